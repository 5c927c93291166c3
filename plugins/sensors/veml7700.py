# Vishay VEML7700 ambient light, with adafruit_veml7700.
#
# The original's "VEML7700": its device name, parameter names (counts as integers, Lux with 3
# decimals). Identified by its ID register (0x07: device ID 0x81) and the original's checks
# (ALS_CONF's reserved bits clear; not a VEML6075, whose ID register 0x0C reads 0x0026).
# Lean read: the chip integrates continuously; one observation reads ALS_CONF (to notice a reset,
# which shuts the chip down), ALS and WHITE: three 2-byte register reads, the codes do not
# auto-increment. Lux is the driver's resolution (from gain and integration time, worked out once
# at start) times the ALS count.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "VEML7700"
ADDRESSES = (0x10,)
PARAMS = ("Ambient Light Level", "White Level", "Lux")
DIGITS = (None, None, 3)
CONF = 0x00
ALS = 0x04
WHITE = 0x05


def _word(i2c, address, code):
    buf = register(i2c, address, code, 2)
    return buf[0] | buf[1] << 8


def _device_id(i2c, address):
    word = _word(i2c, address, 0x07)
    return word & 0xFF == 0x81 and word >> 8 in (0xC4, 0xD4)


def _conf_reserved(i2c, address):
    return _word(i2c, address, CONF) & 0xE40C == 0


def _not_veml6075(i2c, address):
    return _word(i2c, address, 0x0C) != 0x0026


PROBES = ((80, 0, _device_id), (10, 0, _conf_reserved), (10, 0, _not_veml6075))


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 65535), (0, 65535), (0.0, 140000.0))

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(0.11)  # at boot only: the first integration (100 ms) is done by the first observation

    def start(self):
        from adafruit_veml7700 import VEML7700
        sensor = VEML7700(self.i2c, self.address)  # gain 1/8, 100 ms, powered on
        self.sensor = sensor
        self.resolution = sensor.resolution()  # lux per count at these settings
        self.conf = _word(self.i2c, self.address, CONF)
        self.buf = bytearray(2)

    def _read(self, i2c, code):
        buf = read_into(i2c, self.address, code, self.buf)
        return buf[0] | buf[1] << 8

    def sample(self, values):
        i2c = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
        if self._read(i2c, CONF) != self.conf:
            # Powered up again (ALS_SD set): it lost its set-up and sleeps.
            for i in range(3):
                self.reject(i, "the chip was reset")
            self.start()
            return
        als = self._read(i2c, ALS)
        values[0] = als
        values[1] = self._read(i2c, WHITE)
        values[2] = self.resolution * als
        if als == 0xFFFF:
            self.reject(0, "saturated")
            self.reject(2, "saturated")
        if values[1] == 0xFFFF:
            self.reject(1, "saturated")
