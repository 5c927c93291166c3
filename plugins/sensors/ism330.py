# ST ISM330DHCX (WHO_AM_I 0x6B) and LSM6DSOX (0x6C) accelerometer and gyro, with adafruit_lsm6ds.
#
# The original's "ISM330": its device name, parameter names (milli-g, milli-dps) and 3 decimals,
# and its defaults: 104 Hz, 4 g, 500 dps. An LSM6DSOX (not in the original) reads the same,
# named "LSM6DSOX". Lean read: the chip runs continuously (block data update on); one 14-byte
# burst of OUT_TEMP, OUTX_G..OUTZ_G and OUTX_A..OUTZ_A (0x20..0x2D) per observation, scaled with
# the driver's sensitivity tables, where its properties would read temperature, gyro and
# accelerometer in three transactions.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "ISM330"
ADDRESSES = (0x6B, 0x6A)
PARAMS = ("Accel X (milli-g)", "Accel Y (milli-g)", "Accel Z (milli-g)",
          "Gyro X (milli-dps)", "Gyro Y (milli-dps)", "Gyro Z (milli-dps)", "Temperature (C)")
DIGITS = (3, 3, 3, 3, 3, 3, 3)
CHIPS = {0x6B: "ISM330", 0x6C: "LSM6DSOX"}


def _chip_id(i2c, address):
    return register(i2c, address, 0x0F, 1)[0] in CHIPS


PROBES = ((80, 0, _chip_id),)


def _s16(buf, i):
    v = buf[i] | buf[i + 1] << 8
    return v - 0x10000 if v & 0x8000 else v


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-4000.0, 4000.0), (-4000.0, 4000.0), (-4000.0, 4000.0),
              (-500000.0, 500000.0), (-500000.0, 500000.0), (-500000.0, 500000.0), (-40.0, 105.0))

    def start(self):
        import adafruit_lsm6ds as lsm
        chip = register(self.i2c, self.address, 0x0F, 1)[0]
        if chip == 0x6C:
            from adafruit_lsm6ds import lsm6dsox
            Driver = getattr(lsm6dsox, "LSM6DSOX")
        else:
            from adafruit_lsm6ds import ism330dhcx
            Driver = getattr(ism330dhcx, "ISM330DHCX")
        if self.section.name == NAME:
            self.section.name = CHIPS.get(chip, NAME)
        self.sensor = sensor = Driver(self.i2c, self.address)  # checks the chip ID, resets, 104 Hz, 4 g
        self._configure()
        # the driver's tables (made at run time, hence getattr): milli-g and milli-dps per LSB
        self.accel_lsb = getattr(lsm.AccelRange, "lsb")[sensor.accelerometer_range]
        self.gyro_lsb = getattr(lsm.GyroRange, "lsb")[sensor.gyro_range]
        self.temp_lsb = lsm._TEMPERATURE_SENSITIVITY
        self.temp_offset = lsm._TEMPERATURE_OFFSET
        self.buf = bytearray(14)

    def _configure(self):
        # The original's settings through the driver's registers (no settling waits: the first
        # samples come a cycle later): block data update, 104 Hz, 4 g, 500 dps.
        import adafruit_lsm6ds as lsm
        sensor = self.sensor
        sensor._bdu = True
        sensor.accelerometer_data_rate = getattr(lsm.Rate, "RATE_104_HZ")
        sensor.gyro_data_rate = getattr(lsm.Rate, "RATE_104_HZ")
        sensor._accel_range = getattr(lsm.AccelRange, "RANGE_4G")
        lsm.LSM6DS._set_gyro_range(sensor, getattr(lsm.GyroRange, "RANGE_500_DPS"))

    def sample(self, values):
        buf = read_into(getattr(self.sensor.i2c_device, "i2c"), self.address, 0x20, self.buf)
        if _s16(buf, 8) == 0 and _s16(buf, 10) == 0 and _s16(buf, 12) == 0 and _s16(buf, 0) == 0:
            # Powered and running, the accelerometer never reads exactly 0 on all axes (gravity,
            # noise): the chip was reset and sits powered down. Set it up again.
            for i in range(7):
                values[i] = None
                self.reject(i, "the chip was reset")
            self._configure()
            return
        a = self.accel_lsb
        g = self.gyro_lsb
        values[0] = _s16(buf, 8) * a
        values[1] = _s16(buf, 10) * a
        values[2] = _s16(buf, 12) * a
        values[3] = _s16(buf, 2) * g
        values[4] = _s16(buf, 4) * g
        values[5] = _s16(buf, 6) * g
        values[6] = _s16(buf, 0) / self.temp_lsb + self.temp_offset
