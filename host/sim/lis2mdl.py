"""Simulated ST LIS2MDL magnetometer at 0x1E.

Register level (datasheet DS12144): WHO_AM_I 0x40 at 0x4F, the hard-iron offsets, CFG_REG_A
(COMP_TEMP_EN, REBOOT and SOFT_RST, which clear themselves, ODR, MD: continuous, single or
idle), CFG_REG_B, CFG_REG_C (BDU), the interrupt registers, STATUS_REG and the little-endian
OUTX..OUTZ (1.5 mG per LSB, offsets subtracted) and TEMP_OUT.  The address increments on
multi-byte reads.  Outputs are refreshed from the simulated values (Gauss) at each read that
reaches them while the chip is in continuous mode; a single measurement is taken once and the
chip goes idle.  A reset leaves it idle (CFG_REG_A = 0x03).  Not modelled: interrupts, the
offset cancellation modes, low power.
"""

from . import RegisterDevice

OFFSET = 0x45
WHO_AM_I = 0x4F
CFG_A = 0x60
CFG_C = 0x62
STATUS = 0x67
OUT = 0x68
TEMP = 0x6E
GAUSS_PER_LSB = 0.0015
WRITABLE = tuple(range(0x45, 0x4B)) + (0x60, 0x61, 0x62, 0x63, 0x65, 0x66)


class LIS2MDL(RegisterDevice):
    KEYS = ("x", "y", "z")
    DEFAULTS = {"x": 0.2, "y": -0.05, "z": 0.45}
    LIMITS = {"x": (-49.0, 49.0), "y": (-49.0, 49.0), "z": (-49.0, 49.0)}
    OUT_OF_RANGE = {"x": 49.0, "y": 49.0, "z": 49.0}
    ADDRESSES = (0x1E,)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[WHO_AM_I] = 0x40
        self.regs[CFG_A] = 0x03  # idle
        self.regs[0x63] = 0xE0  # INT_CRTL_REG
        self._single = False

    def _write_reg(self, reg, value):
        if reg == CFG_A:
            if value & 0x20:  # SOFT_RST: the configuration registers to their defaults
                self.regs[0x60:0x67] = b"\x03\x00\x00\xe0\x00\x00\x00"
                return
            self.regs[reg] = value & ~0x60 & 0xFF  # REBOOT and SOFT_RST clear themselves
            self._single = value & 0x03 == 1
        elif reg in WRITABLE:
            self.regs[reg] = value

    def _before_read(self):
        if self.pointer > TEMP + 1:
            return
        mode = self.regs[CFG_A] & 0x03
        if mode != 0 and not (mode == 1 and self._single):
            return
        for i, key in enumerate(("x", "y", "z")):
            offset = self.regs[OFFSET + 2 * i] | self.regs[OFFSET + 2 * i + 1] << 8
            offset = offset - 0x10000 if offset & 0x8000 else offset
            raw = int(round(self.value(key) / GAUSS_PER_LSB)) - offset
            raw = -32768 if raw < -32768 else 32767 if raw > 32767 else raw
            raw &= 0xFFFF
            self.regs[OUT + 2 * i] = raw & 0xFF
            self.regs[OUT + 2 * i + 1] = raw >> 8
        self.regs[TEMP] = 0  # 25 C: 8 LSB/C, not a simulated value
        self.regs[TEMP + 1] = 0
        self.regs[STATUS] = 0x0F
        if mode == 1:  # single: one measurement, then idle
            self._single = False
            self.regs[CFG_A] |= 0x03
