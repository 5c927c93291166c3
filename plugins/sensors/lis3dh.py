# ST LIS3DH accelerometer, with adafruit_lis3dh.
#
# The original has no LIS3DH: named in its style (its ISM330's parameters), milli-g in the names.
# The driver's set-up: 400 Hz, high resolution, block data update, +/-2 g. Lean read: one
# 14-byte burst of CTRL_REG1..CTRL_REG6, REFERENCE, STATUS_REG and OUT_X..OUT_Z (0x20..0x2D, the
# address's top bit asking for auto-increment) per observation, through the driver's own
# acceleration maths; the driver would read CTRL_REG4 and the outputs in two transactions.
# CTRL_REG1 in the same burst tells a chip that was reset (and sits powered down).
from plugins.sensors.base import Device as Base, read_into, register

NAME = "LIS3DH"
ADDRESSES = (0x18, 0x19)
PARAMS = ("Accel X (milli-g)", "Accel Y (milli-g)", "Accel Z (milli-g)")
DIGITS = (3, 3, 3)
BURST = 0x20 | 0x80  # CTRL_REG1, auto-increment


def _chip_id(i2c, address):
    return register(i2c, address, 0x0F, 1)[0] == 0x33


PROBES = ((80, 0, _chip_id),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-2001.0, 2001.0), (-2001.0, 2001.0), (-2001.0, 2001.0))

    def start(self):
        import adafruit_lis3dh
        # checks WHO_AM_I, reboots, 400 Hz, all axes, high resolution, block data update
        self.sensor = adafruit_lis3dh.LIS3DH_I2C(self.i2c, address=self.address)

        class Sample(adafruit_lis3dh.LIS3DH_I2C):
            # The driver answering its acceleration maths from one burst read: its range and output
            # registers are plain values here. (A property's fget would be simpler; MicroPython has none.)
            range = 0

            def __init__(self):
                self.buf = bytearray(14)
                self.out = memoryview(self.buf)[8:14]

            def _read_register(self, register, length):
                return self.out

        self.shim = Sample()
        self.milli_g = 1000.0 / adafruit_lis3dh.STANDARD_GRAVITY

    def _configure(self):
        # The driver's set-up again after a reset, without its reboot wait (a reset chip needs none).
        import adafruit_lis3dh as lis
        sensor = self.sensor
        sensor._write_register_byte(0x20, 0x07)  # CTRL_REG1: X, Y, Z on
        sensor.data_rate = lis.DATARATE_400_HZ
        sensor._write_register_byte(0x23, 0x88)  # CTRL_REG4: block data update, high resolution
        sensor._write_register_byte(0x1F, 0x80)  # TEMP_CFG_REG: ADC on
        sensor._write_register_byte(0x24, 0x08)  # CTRL_REG5: latched interrupt 1

    def sample(self, values):
        shim = self.shim
        buf = read_into(getattr(self.sensor._i2c, "i2c"), self.address, BURST, shim.buf)  # the driver's device's bus
        if buf[0] >> 4 == 0:  # ODR 0: reset to power-down
            values[0] = values[1] = values[2] = None
            self.reject(0, "the chip was reset")
            self.reject(1, "the chip was reset")
            self.reject(2, "the chip was reset")
            self._configure()
            return
        shim.range = (buf[3] >> 4) & 0x03  # CTRL_REG4 FS
        x, y, z = shim.acceleration
        k = self.milli_g
        values[0] = x * k
        values[1] = y * k
        values[2] = z * k
