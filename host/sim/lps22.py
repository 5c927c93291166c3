"""Simulated ST LPS22HB (WHO_AM_I 0xB1) or LPS22HH (0xB3) barometer at 0x5D (0x5C).

Register level (LPS22HB datasheet DocID027083, LPS22HH DS12575; the registers used here are
the same on both): WHO_AM_I (0x0F), CTRL_REG1 (0x10: ODR in bits 6:4, 0 = power-down /
one-shot, 1, 10, 25, 50, 75 Hz and on the HH 100 and 200 Hz; BDU bit 1), CTRL_REG2 (0x11,
power-on 0x10: BOOT bit 7 and SWRESET bit 2 self-clearing, IF_ADD_INC bit 4, ONE_SHOT bit 0),
STATUS (0x27: P_DA bit 0, T_DA bit 1), PRESS_OUT_XL..H (0x28..0x2A, 24-bit two's complement,
4096 LSB/hPa) and TEMP_OUT_L..H (0x2B..0x2C, 16-bit, 100 LSB/C).  The register pointer
increments over a multi-byte access while IF_ADD_INC is set; the address's top bit (which the
Adafruit driver sets, the LPS25's auto-increment flag) is ignored.

In continuous mode the first result is there one ODR period after the mode is set, then a new
one every period (taken from the value at the time it is read, so the host's waves need no
conversion history); reading PRESS_OUT_H clears P_DA, TEMP_OUT_H clears T_DA.  A one-shot
converts at once.  A reset (SWRESET, or power lost) returns every register to its power-on
value: power-down, outputs 0.  Not modelled: FIFO, interrupts, the low-pass filter, reference
pressure and offset (RPDS).
"""

from . import RegisterDevice

WHO_AM_I = 0x0F
CTRL_REG1 = 0x10
CTRL_REG2 = 0x11
CTRL_REG3 = 0x12
STATUS = 0x27
PRESS_OUT_XL = 0x28
TEMP_OUT_H = 0x2C
ODR_HZ = (0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 100.0, 200.0)
WRITABLE = (0x0B, 0x0C, 0x0D, 0x0E, CTRL_REG1, CTRL_REG2, CTRL_REG3, 0x13, 0x14, 0x15, 0x16, 0x18, 0x19)


class LPS22HB(RegisterDevice):
    KEYS = ("temperature", "pressure")
    DEFAULTS = {"temperature": 22.0, "pressure": 1013.25}
    LIMITS = {"temperature": (-40.0, 85.0), "pressure": (260.0, 1260.0)}
    OUT_OF_RANGE = {"temperature": 150.0, "pressure": 2000.0}  # both still fit their registers
    ADDRESSES = (0x5D, 0x5C)
    CHIP_ID = 0xB1
    MAX_ODR = 5  # 75 Hz

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[WHO_AM_I] = self.CHIP_ID
        self.regs[CTRL_REG2] = 0x10  # IF_ADD_INC
        self._t0 = self.clock()
        self._done = 0  # conversions since the mode was set

    def _odr(self):
        odr = (self.regs[CTRL_REG1] >> 4) & 7
        return ODR_HZ[odr] if odr <= self.MAX_ODR else 0.0

    def _convert(self):
        raw_p = int(round(self.value("pressure") * 4096.0))
        raw_t = int(round(self.value("temperature") * 100.0))
        raw_p = min(max(raw_p, -0x800000), 0x7FFFFF) & 0xFFFFFF
        raw_t = min(max(raw_t, -0x8000), 0x7FFF) & 0xFFFF
        self.regs[PRESS_OUT_XL:TEMP_OUT_H + 1] = bytes((raw_p & 0xFF, (raw_p >> 8) & 0xFF, raw_p >> 16,
                                                        raw_t & 0xFF, raw_t >> 8))
        self.regs[STATUS] |= 0x03  # P_DA, T_DA

    def _update(self):
        hz = self._odr()
        if hz <= 0.0:
            return  # power-down: the outputs keep their last result
        done = int((self.clock() - self._t0) * hz)
        if done > self._done:
            self._done = done
            self._convert()

    def write(self, data):
        if len(data) == 0:
            return
        self.pointer = data[0] & 0x7F
        for b in data[1:]:
            self._write_reg(self.pointer, b)
            if self.regs[CTRL_REG2] & 0x10:
                self.pointer = (self.pointer + 1) & 0x7F

    def _write_reg(self, reg, value):
        if reg not in WRITABLE:
            return
        if reg == CTRL_REG2:
            if value & 0x04:  # SWRESET
                self.reset()
                return
            if value & 0x01 and self._odr() == 0.0:  # ONE_SHOT in power-down: one conversion
                self._convert()
            self.regs[reg] = value & 0x7A  # BOOT, SWRESET and ONE_SHOT clear themselves
            return
        if reg == CTRL_REG1:
            self._update()
            if (value ^ self.regs[reg]) & 0x70:  # a new ODR: the cycle starts again
                self._t0 = self.clock()
                self._done = 0
        self.regs[reg] = value

    def read(self, n):
        self._update()
        out = bytearray(n)
        for i in range(n):
            reg = self.pointer
            out[i] = self.regs[reg]
            if reg == PRESS_OUT_XL + 2:
                self.regs[STATUS] &= ~0x01
            elif reg == TEMP_OUT_H:
                self.regs[STATUS] &= ~0x02
            if self.regs[CTRL_REG2] & 0x10:
                self.pointer = (self.pointer + 1) & 0x7F
        return bytes(out)


class LPS22HH(LPS22HB):
    CHIP_ID = 0xB3
    MAX_ODR = 7  # 200 Hz
