# Bosch BMP384/BMP388 (chip ID 0x50) and BMP390 (0x60) pressure and temperature, with adafruit_bmp3xx.
#
# The original's "BMP384": its device name, parameter names and 3 decimals; a BMP390 (which the
# original rejects) is named "BMP390". Lean read: normal mode, and one burst read of the six data
# registers (0x04..0x09) per observation through the driver's own calibration and compensation,
# where the driver would start a forced conversion and poll for it.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "BMP384"
ADDRESSES = (0x77, 0x76)
PARAMS = ("Temperature (C)", "Pressure (Pa)")
DIGITS = (3, 3)
NORMAL = 0x33  # PWR_CTRL: pressure and temperature on, normal mode


def _chip_id(i2c, address):
    return register(i2c, address, 0x00, 1)[0] in (0x50, 0x60)


def _reserved(i2c, address):
    regs = register(i2c, address, 0x02, 2)  # ERR_REG and STATUS: their unused bits read 0
    return regs[0] & 0xF8 == 0 and regs[1] & 0x8F == 0


def _calibrated(i2c, address):
    cal = register(i2c, address, 0x31, 21)
    return cal != bytes(21) and cal != b"\xff" * 21


PROBES = ((80, 0, _chip_id), (10, 0, _reserved), (10, 0, _calibrated))


class _Sample:
    # What the driver's _read() needs, answered from one burst read: it computes, nothing more.
    def __init__(self, sensor):
        self._temp_calib = sensor._temp_calib
        self._pressure_calib = sensor._pressure_calib
        self._wait_time = 0
        self.buf = bytearray(6)

    def _write_register_byte(self, reg, value):
        pass  # no forced conversion: the chip runs in normal mode

    def _read_byte(self, reg):
        return 0x60  # both data-ready bits

    def _read_register(self, reg, length):
        return self.buf


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-40.0, 85.0), (30000.0, 125000.0))
    GIVES = (("pressure", 1),)  # compensation for others (base.py)
    RANK = 1

    def start(self):
        from adafruit_bmp3xx import BMP3XX_I2C
        sensor = BMP3XX_I2C(self.i2c, self.address)  # checks the chip ID, reads the calibration, resets
        if sensor._read_byte(0x00) == 0x60 and self.section.name == NAME:
            self.section.name = "BMP390"
        sensor._write_register_byte(0x1B, NORMAL)
        self.sensor = sensor
        self.shim = _Sample(sensor)
        self.compute = getattr(type(sensor), "_read")  # the driver's maths, run on the shim

    def sample(self, values):
        buf = read_into(getattr(self.sensor._i2c, "i2c"), self.address, 0x04, self.shim.buf)  # the driver's device's bus
        if buf[2] == 0x80 and buf[1] == 0 and buf[0] == 0 and buf[5] == 0x80:
            values[0] = values[1] = None
            self.reject(0, "the chip was reset")
            self.reject(1, "the chip was reset")
            self.sensor._write_register_byte(0x1B, NORMAL)
            return
        pascal, celsius = self.compute(self.shim)
        values[0] = celsius
        values[1] = pascal
