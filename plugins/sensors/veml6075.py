# Vishay VEML6075 UVA and UVB light and UV index, with adafruit_veml6075.
#
# The original's "VEML6075": its device name, parameter names and 3 decimals, and its default
# set-up (100 ms integration, normal dynamic: the set-up the driver's responsivities are for).
# Identified by its ID register (0x0C reads 0x0026), as the original does; at 0x10 this tells
# it from a VEML7700. Lean read: the chip integrates continuously; one observation reads UV_CONF
# (to notice a reset, which shuts the chip down), UVA, UVB and the two compensation channels: five
# 2-byte register reads (the codes do not auto-increment), through the driver's coefficients.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "VEML6075"
ADDRESSES = (0x10,)
PARAMS = ("UVA Level", "UVB Level", "UV Index")
DIGITS = (3, 3, 3)
CONF = 0x00
UVA = 0x07
UVB = 0x09
COMP1 = 0x0A
COMP2 = 0x0B


def _word(i2c, address, code):
    buf = register(i2c, address, code, 2)
    return buf[0] | buf[1] << 8


def _device_id(i2c, address):
    return _word(i2c, address, 0x0C) == 0x0026


def _conf_reserved(i2c, address):
    return _word(i2c, address, CONF) & 0xFF80 == 0  # UV_CONF: bit 7 and the high byte are reserved


PROBES = ((80, 0, _device_id), (10, 0, _conf_reserved))


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-1000.0, 65535.0), (-1000.0, 65535.0), (-1.0, 50.0))

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(0.11)  # at boot only: the first integration (100 ms) is done by the first observation

    def start(self):
        from adafruit_veml6075 import VEML6075
        sensor = VEML6075(self.i2c, integration_time=100, high_dynamic=False)  # powered on
        self.sensor = sensor
        self.conf = _word(self.i2c, self.address, CONF)
        self.buf = bytearray(2)

    def _read(self, i2c, code):
        buf = read_into(i2c, self.address, code, self.buf)
        return buf[0] | buf[1] << 8

    def sample(self, values):
        sensor = self.sensor
        i2c = getattr(sensor._i2c, "i2c")  # the driver's device's bus
        if self._read(i2c, CONF) != self.conf:
            for i in range(3):
                self.reject(i, "the chip was reset")
            self.start()
            return
        uva = self._read(i2c, UVA)
        uvb = self._read(i2c, UVB)
        comp1 = self._read(i2c, COMP1)
        comp2 = self._read(i2c, COMP2)
        # The driver's _take_reading() and uv_index, without its 100 ms sleep.
        uva = uva - sensor._a * comp1 - sensor._b * comp2
        uvb = uvb - sensor._c * comp1 - sensor._d * comp2
        values[0] = uva
        values[1] = uvb
        values[2] = (uva * sensor._uvaresp + uvb * sensor._uvbresp) / 2
