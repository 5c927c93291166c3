"""Simulated Microchip MCP9600 (device ID 0x40) thermocouple amplifier at 0x60..0x67.

Register level (datasheet DS20005426): hot-junction temperature TH (0x00), junctions delta
TΔ (0x01) and cold-junction temperature TC (0x02), 16-bit two's complement big-endian at
0.0625 C per LSB (TC's lowest two bits zero at the 0.25 C ambient resolution); status
(0x04, TH update bit 6), thermocouple sensor configuration (0x05), device configuration
(0x06), alert registers, device ID and revision (0x20: 0x40, 0x14).  A register's data
bytes follow its pointer in a write; the pointer stays on that register (reads return it
again).  Normal mode converts continuously (the values are the simulated ones right now);
shutdown keeps the last ones.  Not modelled: thermocouple EMF tables, filter, burst mode.
"""

from . import RegisterDevice

TH = 0x00
TD = 0x01
TC = 0x02
STATUS = 0x04
SENSOR_CFG = 0x05
DEVICE_CFG = 0x06
DEVICE_ID = 0x20
SIZES = {TH: 2, TD: 2, TC: 2, 0x03: 3, STATUS: 1, SENSOR_CFG: 1, DEVICE_CFG: 1, 0x08: 1, 0x09: 1, 0x0A: 1,
         0x0B: 1, 0x0C: 1, 0x0D: 1, 0x0E: 1, 0x0F: 1, 0x10: 2, 0x11: 2, 0x12: 2, 0x13: 2, DEVICE_ID: 2}
WRITABLE = (STATUS, SENSOR_CFG, DEVICE_CFG) + tuple(range(0x08, 0x14))


def _word(celsius, step=0.0625):
    raw = int(round(celsius / step)) * int(step / 0.0625)
    return min(max(raw, -32768), 32767) & 0xFFFF


class MCP9600(RegisterDevice):
    KEYS = ("temperature", "ambient")
    DEFAULTS = {"temperature": 100.0, "ambient": 22.0}
    LIMITS = {"temperature": (-200.0, 1372.0), "ambient": (-40.0, 125.0)}  # type K
    OUT_OF_RANGE = {"temperature": 2047.9375, "ambient": 200.0}
    ADDRESSES = tuple(range(0x60, 0x68))

    def reset(self):
        self.data = {reg: 0 for reg in SIZES}
        self.data[DEVICE_CFG] = 0x00  # normal mode, 0.0625 C, 18 bits
        self.data[DEVICE_ID] = 0x4014

    def write(self, data):
        if len(data) == 0:
            return
        self.pointer = data[0]
        reg = self.pointer
        if len(data) > 1 and reg in WRITABLE:
            value = 0
            for b in data[1:1 + SIZES[reg]]:
                value = value << 8 | b
            if reg == STATUS:
                self.data[STATUS] &= value | 0x3F  # burst-complete and update bits clear when written 0
            else:
                self.data[reg] = value

    def read(self, n):
        reg = self.pointer
        if reg in (TH, TD, TC, STATUS) and self.data[DEVICE_CFG] & 0x03 == 0:  # normal mode: converting
            hot, cold = self.value("temperature"), self.value("ambient")
            self.data[TH] = _word(hot)
            self.data[TC] = _word(cold, 0.25 if self.data[DEVICE_CFG] & 0x80 else 0.0625)
            self.data[TD] = _word(hot - cold)
            self.data[STATUS] |= 0x40
        size = SIZES.get(reg, 1)
        value = self.data.get(reg, 0)
        out = bytes((value >> (8 * (size - 1 - i))) & 0xFF for i in range(size))
        return (out * (n // size + 1))[:n]
