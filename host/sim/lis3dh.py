"""Simulated ST LIS3DH accelerometer at 0x18 (0x19 with SDO high).

Register level (datasheet DocID17530): WHO_AM_I 0x33, STATUS_REG_AUX, TEMP_CFG_REG,
CTRL_REG1..6 (CTRL_REG1's ODR and LPen, CTRL_REG4's FS and HR; CTRL_REG5's BOOT reloads the
trimming and clears itself), REFERENCE, STATUS_REG and the left-justified little-endian
OUT_X..OUT_Z.  A register address with its top bit set auto-increments on a multi-byte read;
without it every byte comes from the same register, as on the chip.  Outputs are refreshed
from the simulated values (milli-g) at each read while the chip runs (ODR not 0), in 12, 10
or 8 bits (high resolution, normal, low power), scaled as adafruit_lis3dh reads them.  A
reset leaves the chip powered down with CTRL_REG1 = 0x07.  Not modelled: FIFO, click and
interrupt engines, the auxiliary ADC values.
"""

from . import RegisterDevice

STATUS_AUX = 0x07
WHO_AM_I = 0x0F
TEMP_CFG = 0x1F
CTRL1 = 0x20
CTRL4 = 0x23
CTRL5 = 0x24
STATUS = 0x27
OUT = 0x28
COUNTS_PER_G = {0: 16380, 1: 8190, 2: 4096, 3: 1365}  # 16-bit counts per g by FS (adafruit_lis3dh)
WRITABLE = tuple(range(0x1E, 0x27)) + tuple(range(0x2E, 0x30)) + tuple(range(0x30, 0x40))


class LIS3DH(RegisterDevice):
    KEYS = ("accel_x", "accel_y", "accel_z")
    DEFAULTS = {"accel_x": 0.0, "accel_y": 0.0, "accel_z": 1000.0}
    LIMITS = {"accel_x": (-16000.0, 16000.0), "accel_y": (-16000.0, 16000.0), "accel_z": (-16000.0, 16000.0)}
    OUT_OF_RANGE = {"accel_x": 16000.0, "accel_y": 16000.0, "accel_z": 16000.0}
    ADDRESSES = (0x18, 0x19)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[WHO_AM_I] = 0x33
        self.regs[0x1E] = 0x10  # CTRL_REG0
        self.regs[CTRL1] = 0x07
        self._increment = False

    def write(self, data):
        if len(data) == 0:
            return
        self._increment = bool(data[0] & 0x80)
        self.pointer = data[0] & 0x7F
        for b in data[1:]:
            self._write_reg(self.pointer, b)
            if self._increment:
                self.pointer = (self.pointer + 1) & 0x7F

    def read(self, n):
        self._before_read()
        out = bytearray(n)
        for i in range(n):
            out[i] = self.regs[self.pointer]
            if self._increment:
                self.pointer = (self.pointer + 1) & 0x7F
        return bytes(out)

    def _write_reg(self, reg, value):
        if reg == CTRL5:
            self.regs[reg] = value & 0x7F  # BOOT clears itself once the trimming is reloaded
        elif reg in WRITABLE:
            self.regs[reg] = value

    def _before_read(self):
        if self.pointer > OUT + 5 or not self.regs[CTRL1] >> 4:  # a read that reaches the outputs
            return
        ctrl1, ctrl4 = self.regs[CTRL1], self.regs[CTRL4]
        bits = 8 if ctrl1 & 0x08 else 12 if ctrl4 & 0x08 else 10
        per_g = COUNTS_PER_G[(ctrl4 >> 4) & 3]
        drop = 16 - bits
        for i, key in enumerate(("accel_x", "accel_y", "accel_z")):
            raw = int(round(self.value(key) / 1000.0 * per_g / (1 << drop)))
            lim = 1 << (bits - 1)
            raw = -lim if raw < -lim else lim - 1 if raw > lim - 1 else raw
            raw = (raw << drop) & 0xFFFF
            self.regs[OUT + 2 * i] = raw & 0xFF
            self.regs[OUT + 2 * i + 1] = raw >> 8
        self.regs[STATUS] = 0x0F
