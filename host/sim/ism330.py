"""Simulated ST ISM330DHCX (WHO_AM_I 0x6B) or LSM6DSOX (0x6C) at 0x6B or 0x6A.

Register level (datasheet DS13012): WHO_AM_I, CTRL1_XL (accelerometer ODR and full scale),
CTRL2_G (gyro ODR, full scale, the 125 and 4000 dps bits), CTRL3_C (SW_RESET, which clears
itself, BDU, IF_INC: the register address increments on multi-byte reads), STATUS_REG and the
little-endian outputs OUT_TEMP (256 LSB/C, 0 at 25 C), OUTX/Y/Z_G and OUTX/Y/Z_A.  Outputs
are refreshed from the simulated values at each read while the sensor runs (ODR not 0);
after a reset it is powered down and its outputs read 0.  Not modelled: FIFO, filters,
interrupts, embedded functions.
"""

from . import RegisterDevice

WHO_AM_I = 0x0F
CTRL1_XL = 0x10
CTRL2_G = 0x11
CTRL3_C = 0x12
STATUS = 0x1E
OUT_TEMP = 0x20
OUT_G = 0x22
OUT_A = 0x28

ACCEL_MG = {0: 0.061, 1: 0.488, 2: 0.122, 3: 0.244}  # milli-g per LSB by CTRL1_XL FS_XL
GYRO_MDPS = {0: 8.75, 1: 17.5, 2: 35.0, 3: 70.0}  # milli-dps per LSB by CTRL2_G FS_G


def _clamp16(v):
    v = int(round(v))
    return -32768 if v < -32768 else 32767 if v > 32767 else v


class ISM330(RegisterDevice):
    KEYS = ("accel_x", "accel_y", "accel_z", "gyro_x", "gyro_y", "gyro_z", "temperature")
    DEFAULTS = {"accel_x": 0.0, "accel_y": 0.0, "accel_z": 1000.0, "gyro_x": 0.0, "gyro_y": 0.0, "gyro_z": 0.0,
                "temperature": 24.0}
    # milli-g, milli-dps, C: what the widest full scales hold
    LIMITS = {"accel_x": (-16000.0, 16000.0), "accel_y": (-16000.0, 16000.0), "accel_z": (-16000.0, 16000.0),
              "gyro_x": (-4000000.0, 4000000.0), "gyro_y": (-4000000.0, 4000000.0),
              "gyro_z": (-4000000.0, 4000000.0), "temperature": (-40.0, 105.0)}
    OUT_OF_RANGE = {"accel_x": 16000.0, "accel_y": 16000.0, "accel_z": 16000.0, "gyro_x": 4000000.0,
                    "gyro_y": 4000000.0, "gyro_z": 4000000.0, "temperature": 150.0}
    ADDRESSES = (0x6B, 0x6A)

    def __init__(self, address=0x6B, values=None, clock=None, chip_id=0x6B):
        self.chip_id = chip_id
        RegisterDevice.__init__(self, address, values, clock)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[WHO_AM_I] = self.chip_id
        self.regs[CTRL3_C] = 0x04  # IF_INC

    def _write_reg(self, reg, value):
        if reg == CTRL3_C:
            if value & 0x01:  # SW_RESET: the control registers to their defaults, the bit clears itself
                chip = self.regs[WHO_AM_I]
                self.regs[0x01:0x1E] = bytes(0x1D)
                self.regs[WHO_AM_I] = chip
                self.regs[CTRL3_C] = 0x04
                return
            self.regs[reg] = value
        elif 0x01 <= reg <= 0x19 and reg != WHO_AM_I:
            self.regs[reg] = value

    def read(self, n):
        data = RegisterDevice.read(self, n)
        if not self.regs[CTRL3_C] & 0x04:  # IF_INC off: every byte from the first register
            data = bytes([data[0]]) * n
        return data

    def _before_read(self):
        if not STATUS <= self.pointer <= OUT_A + 5:
            return
        xl_on = self.regs[CTRL1_XL] >> 4
        g_on = self.regs[CTRL2_G] >> 4
        if xl_on:
            lsb = ACCEL_MG[(self.regs[CTRL1_XL] >> 2) & 3]
            for i, key in enumerate(("accel_x", "accel_y", "accel_z")):
                self._put16le(OUT_A + 2 * i, _clamp16(self.value(key) / lsb))
            self._put16le(OUT_TEMP, _clamp16((self.value("temperature") - 25.0) * 256.0))
        if g_on:
            ctrl = self.regs[CTRL2_G]
            lsb = 140.0 if ctrl & 0x01 else 4.375 if ctrl & 0x02 else GYRO_MDPS[(ctrl >> 2) & 3]
            for i, key in enumerate(("gyro_x", "gyro_y", "gyro_z")):
                self._put16le(OUT_G + 2 * i, _clamp16(self.value(key) / lsb))
        self.regs[STATUS] = (1 if xl_on else 0) | (2 if g_on else 0) | (4 if xl_on or g_on else 0)

    def _put16le(self, reg, value):
        value &= 0xFFFF
        self.regs[reg] = value & 0xFF
        self.regs[reg + 1] = value >> 8
