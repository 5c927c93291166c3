"""Simulated TI TMP117 at 0x48 (0x49, 0x4A, 0x4B), datasheet SNOSD82.

Register level, 16-bit big-endian registers behind a pointer: temperature result (0x00,
1/128 C per LSB), configuration (0x01; power-on 0x0220: continuous, CONV 4 (1 s), AVG 8),
the limits, EEPROM and offset registers, device ID 0x0117 (0x0F).  Continuous mode converts
every cycle (the CONV time, or the averaging's active time when that is longer: 15.5 ms per
sample); one-shot converts once and shuts down; shutdown keeps the last result.  Data_Ready
(bit 13) is set by a conversion and cleared by reading the configuration.  A configuration
write restarts the cycle; after a reset the result reads 0x8000 (-256 C) until the first
conversion.  The offset register is added.  Not modelled: alerts, EEPROM programming.
"""

from . import RegisterDevice

RESULT = 0x00
CONFIG = 0x01
OFFSET = 0x07
DEVICE_ID = 0x0F
CONV_S = (0.0155, 0.125, 0.25, 0.5, 1.0, 4.0, 8.0, 16.0)
AVG = (1, 8, 32, 64)
WRITABLE = (CONFIG, 0x02, 0x03, 0x04, 0x05, 0x06, OFFSET, 0x08)


class TMP117(RegisterDevice):
    KEYS = ("temperature",)
    DEFAULTS = {"temperature": 22.0}
    LIMITS = {"temperature": (-55.0, 150.0)}
    OUT_OF_RANGE = {"temperature": 200.0}
    ADDRESSES = (0x48, 0x49, 0x4A, 0x4B)

    def reset(self):
        self.words = [0] * 16
        self.words[RESULT] = 0x8000
        self.words[CONFIG] = 0x0220
        self.words[0x02] = 0x6000
        self.words[0x03] = 0x8000
        self.words[DEVICE_ID] = 0x0117
        self._t0 = self.clock()
        self._done = 0  # conversions completed since _t0

    def _cycle(self):
        config = self.words[CONFIG]
        active = AVG[(config >> 5) & 3] * 0.0155
        return active, max(CONV_S[(config >> 7) & 7], active)

    def _update(self):
        mode = (self.words[CONFIG] >> 10) & 3
        if mode == 1:
            return  # shutdown
        active, period = self._cycle()
        elapsed = self.clock() - self._t0
        if elapsed < active:
            return
        done = 1 if mode == 3 else int((elapsed - active) // period) + 1
        if done > self._done:
            self._done = done
            raw = int(round(self.value("temperature") * 128.0)) + _signed(self.words[OFFSET])
            self.words[RESULT] = min(max(raw, -32768), 32767) & 0xFFFF
            self.words[CONFIG] |= 0x2000  # Data_Ready
            if mode == 3:
                self.words[CONFIG] = (self.words[CONFIG] & ~0x0C00) | 0x0400  # one-shot: then shutdown

    def write(self, data):
        if len(data) == 0:
            return
        self.pointer = data[0]
        if len(data) >= 3 and self.pointer in WRITABLE:
            value = data[1] << 8 | data[2]
            if self.pointer == CONFIG:
                self._update()
                if value & 0x0002:  # soft reset
                    self.reset()
                    return
                self.words[CONFIG] = (self.words[CONFIG] & 0xF000) | (value & 0x0FFC)
                self._t0 = self.clock()
                self._done = 0
            else:
                self.words[self.pointer] = value

    def read(self, n):
        self._update()
        reg = self.pointer & 0x0F if self.pointer < 0x10 else None
        word = self.words[reg] if reg is not None else 0
        if reg == CONFIG:
            self.words[CONFIG] &= ~0x2000  # Data_Ready clears on read
        out = bytes([word >> 8, word & 0xFF])
        return (out * ((n + 1) // 2))[:n]


def _signed(v):
    return v - 0x10000 if v & 0x8000 else v
