# ST LIS2MDL magnetometer, with adafruit_lis2mdl.
#
# The original has no LIS2MDL: named in its style (its MMC5983's parameters: Gauss, 5 decimals).
# The driver's set-up: continuous mode, 10 Hz, temperature compensation, block data update.
# Lean read: one 14-byte burst of CFG_REG_A..STATUS_REG and OUTX..OUTZ (0x60..0x6D) per
# observation, scaled by the driver's 1.5 milligauss per LSB, where its magnetic property reads
# each axis in a transaction of its own. CFG_REG_A in the same burst tells a chip that was reset
# (and sits idle).
from plugins.sensors.base import Device as Base, read_into, register

NAME = "LIS2MDL"
ADDRESSES = (0x1E,)
PARAMS = ("X Field (Gauss)", "Y Field (Gauss)", "Z Field (Gauss)")
DIGITS = (5, 5, 5)


def _chip_id(i2c, address):
    return register(i2c, address, 0x4F, 1)[0] == 0x40


PROBES = ((80, 0, _chip_id),)


def _s16(buf, i):
    v = buf[i] | buf[i + 1] << 8
    return v - 0x10000 if v & 0x8000 else v


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-49.152, 49.152), (-49.152, 49.152), (-49.152, 49.152))

    def start(self):
        import adafruit_lis2mdl
        self.sensor = adafruit_lis2mdl.LIS2MDL(self.i2c)  # checks WHO_AM_I, resets, continuous mode
        self.gauss = adafruit_lis2mdl._MAG_SCALE / 100.0  # the driver's microtesla per LSB, in Gauss
        self.buf = bytearray(14)

    def sample(self, values):
        buf = read_into(getattr(self.sensor.i2c_device, "i2c"), self.address, 0x60, self.buf)  # CFG_REG_A on
        if buf[0] & 0x03:  # MD not continuous: reset to idle
            values[0] = values[1] = values[2] = None
            self.reject(0, "the chip was reset")
            self.reject(1, "the chip was reset")
            self.reject(2, "the chip was reset")
            sensor = self.sensor  # the driver's set-up again, without its reset waits
            sensor._mode = 0x00
            sensor._bdu = True
            sensor._temp_comp = True
            return
        k = self.gauss
        values[0] = _s16(buf, 8) * k
        values[1] = _s16(buf, 10) * k
        values[2] = _s16(buf, 12) * k
