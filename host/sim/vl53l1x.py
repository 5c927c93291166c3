"""Simulated ST VL53L1X time-of-flight ranging sensor at 0x29 (datasheet DS12385, ULD API UM2510).

16-bit register addresses, big-endian (a write: address high, low, then data,
auto-incrementing; a read continues from the address last written).  A write of a
single byte sets only the high byte of the index (reads then come from empty space).
Modelled: the model ID block 0x010F..0x0111 (0xEA, 0xCC, 0x10), the 91-byte
configuration at 0x2D..0x87 the driver writes, SYSTEM__MODE_START (0x0087: 0x40
ranges, 0x00 stops), SYSTEM__INTERRUPT_CLEAR (0x0086), GPIO__TIO_HV_STATUS (0x0031:
bit 0 is new data, active high with GPIO_HV_MUX__CTRL's polarity bit clear) and the
result block from 0x0089: raw range status (9: valid), stream count (0 at the
start, then counting, 255 wraps to 128), the distance (0x0096, mm) and the signal
rate (0x0098, kcps / 8).  While ranging a new result comes every timing budget
(from 0x005E's word; 50 ms if unknown), overwriting the last.  After a reset the result block is blank and
the sensor does not range.  Not modelled: distance modes' reach, ROI, ambient.
"""

from . import RegisterDevice

MODEL_ID = 0x010F
GPIO_STATUS = 0x0031
INTERRUPT_CLEAR = 0x0086
MODE_START = 0x0087
RESULT = 0x0089
# RANGE_CONFIG__TIMEOUT_MACROP_A_HI (0x005E) words of the ULD's timing budgets (short and long mode), in ms
BUDGETS = {0x001D: 15, 0x0051: 20, 0x00D6: 33, 0x01AE: 50, 0x02E1: 100, 0x03E1: 200, 0x0591: 500,
           0x001E: 20, 0x0060: 33, 0x00AD: 50, 0x01CC: 100, 0x02D9: 200, 0x048F: 500}


class VL53L1X(RegisterDevice):
    KEYS = ("distance", "signal_rate")
    DEFAULTS = {"distance": 500.0, "signal_rate": 12000.0}
    LIMITS = {"distance": (0.0, 4000.0), "signal_rate": (0.0, 500000.0)}
    OUT_OF_RANGE = {"distance": 6000.0, "signal_rate": 12000.0}  # beyond its 4 m reach
    ADDRESSES = (0x29,)

    def reset(self):
        self.mem = {MODEL_ID: 0xEA, MODEL_ID + 1: 0xCC, MODEL_ID + 2: 0x10, 0x0030: 0x01}
        self.index = 0
        self.started = None  # when ranging started
        self.seen = -1  # the result the last interrupt clear was for

    def write(self, data):
        if len(data) == 0:
            return
        if len(data) == 1:
            self.index = data[0] << 8
            return
        self.index = data[0] << 8 | data[1]
        for i, b in enumerate(data[2:]):
            self._store(self.index + i, b)

    def _store(self, reg, value):
        if reg == MODE_START:
            if value & 0x40 and self.started is None:
                self.started = self.clock()
                self.seen = -1
            elif not value & 0x40:
                self.started = None
        elif reg == INTERRUPT_CLEAR:
            if value & 1:
                self.seen = self._results()
            return
        self.mem[reg] = value

    def _results(self):
        """How many results since ranging started (0: none yet)."""
        if self.started is None:
            return self.mem.get(-1, 0)
        period = BUDGETS.get(self.mem.get(0x005E, 0) << 8 | self.mem.get(0x005F, 0), 50) / 1000.0
        n = int((self.clock() - self.started) / period + 1e-9)
        self.mem[-1] = n
        return n

    def _refresh(self):
        n = self._results()
        if n == 0 or self.started is None:
            return
        if self.mem.get(-2) != n:  # a new result
            self.mem[-2] = n
            count = n - 1 if n - 1 < 256 else 128 + (n - 1 - 128) % 128
            distance = min(max(int(round(self.value("distance"))), 0), 0xFFFF)
            signal = min(max(int(round(self.value("signal_rate") / 8.0)), 0), 0xFFFF)
            block = bytearray(17)
            block[0] = 0x09
            block[2] = count & 0xFF
            block[13], block[14] = distance >> 8, distance & 0xFF
            block[15], block[16] = signal >> 8, signal & 0xFF
            for i in range(17):
                self.mem[RESULT + i] = block[i]
        polarity = 0 if self.mem.get(0x0030, 0) & 0x10 else 1
        ready = n > self.seen
        self.mem[GPIO_STATUS] = polarity if ready else 1 - polarity

    def read(self, n):
        self._refresh()
        out = bytes(self.mem.get(self.index + i, 0) for i in range(n))
        self.index += n
        return out
