"""Simulated ams TSL2591 light-to-digital converter at 0x29 (datasheet ams DS000338).

Every transaction starts with the command byte: CMD (bit 7) set, TRANSACTION (bits
6:5) 01 normal (a register address in bits 4:0, auto-incrementing) or 11 special
function (interrupt clears); a byte without CMD is NACKed here.  Modelled: ENABLE
(0x00: PON, AEN), CONTROL (0x01: SRESET, AGAIN, ATIME), the thresholds and
persist filter, PID (0x11), ID (0x12 = 0x50), STATUS (0x13: AVALID once an
integration has completed since AEN) and the two channels C0 (full spectrum) and
C1 (infrared) at 0x14..0x17.  The simulated "lux" and "ratio" (C1/C0) give the
channel counts through the inverse of the Adafruit/ams lux formula at the set gain
(1x, 25x, 428x, 9876x) and integration time; counts saturate at 36863 (100 ms)
or 65535.
"""

from . import RegisterDevice

ENABLE = 0x00
CONTROL = 0x01
PID = 0x11
ID = 0x12
STATUS = 0x13
C0 = 0x14
GAINS = (1.0, 25.0, 428.0, 9876.0)
LUX_DF = 408.0
COEF_B = 1.64


def counts(lux, ratio, control):
    """(C0, C1) for ``lux`` with C1 = ratio * C0 (ratio <= 0.5: lux1 of the formula is the larger)."""
    atime = 100.0 * (control & 7) + 100.0
    cpl = atime * GAINS[control >> 4 & 3] / LUX_DF
    top = 36863 if control & 7 == 0 else 65535
    c0 = lux * cpl / (1.0 - COEF_B * ratio)
    return min(int(round(c0)), top), min(int(round(c0 * ratio)), top)


class TSL2591(RegisterDevice):
    KEYS = ("lux", "ratio")
    DEFAULTS = {"lux": 250.0, "ratio": 0.2}
    LIMITS = {"lux": (0.0, 88000.0), "ratio": (0.0, 0.5)}
    OUT_OF_RANGE = {"lux": 200000.0, "ratio": 0.2}  # the channels saturate
    ADDRESSES = (0x29,)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[PID] = 0x00
        self.regs[ID] = 0x50
        self.on_at = None

    def write(self, data):
        if len(data) == 0:
            return
        cmd = data[0]
        if not cmd & 0x80:
            raise OSError(5, "TSL2591 NACK: no command bit in 0x%02x" % cmd)
        if cmd & 0x60 == 0x60:
            return  # special function: interrupt clears
        self.pointer = cmd & 0x1F
        for b in data[1:]:
            self._write_reg(self.pointer, b)
            self.pointer = (self.pointer + 1) & 0x1F

    def _write_reg(self, reg, value):
        if reg == ENABLE:
            on = value & 3 == 3
            if on and self.regs[ENABLE] & 3 != 3:
                self.on_at = self.clock()
            elif not on:
                self.on_at = None
            self.regs[ENABLE] = value & 0xD3
        elif reg == CONTROL:
            if value & 0x80:
                self.reset()
            else:
                self.regs[CONTROL] = value & 0x37
        elif 0x04 <= reg <= 0x0C:
            self.regs[reg] = value

    def _before_read(self):
        control = self.regs[CONTROL]
        ready = self.on_at is not None and self.clock() - self.on_at >= (100.0 * (control & 7) + 100.0) / 1000.0
        self.regs[STATUS] = 0x01 if ready else 0x00
        c0, c1 = counts(self.value("lux"), self.value("ratio"), control) if ready else (0, 0)
        self.regs[C0:C0 + 4] = bytes((c0 & 0xFF, c0 >> 8, c1 & 0xFF, c1 >> 8))

    def read(self, n):
        self._before_read()
        out = bytearray(n)
        for i in range(n):
            out[i] = self.regs[self.pointer]
            self.pointer = (self.pointer + 1) & 0x1F
        return bytes(out)
