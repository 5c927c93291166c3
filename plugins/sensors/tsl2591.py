# ams TSL2591 light (full spectrum and infrared channels, lux), with adafruit_tsl2591.
#
# The original has no TSL2591: named in its style (its VEML7700's), units in the names.
# Identified by its ID register (0x12 = 0x50, read with the command bit: 0xB2) and STATUS's
# reserved bits; at 0x29 this tells it from a VL53L1X before that one's riskier 16-bit probe.
# Lean read: the chip integrates continuously (gain 25x, 100 ms: the driver's set-up); one burst
# read of STATUS and both channels (0x13..0x17) per observation, and lux by the driver's own
# formula. Not yet valid (AVALID clear) with the chip powered: the fields are empty; powered off: it
# was reset, and is set up again.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "TSL2591"
ADDRESSES = (0x29,)
PARAMS = ("Visible (counts)", "Infrared (counts)", "Full Spectrum (counts)", "Lux")
DIGITS = (None, None, None, 3)
COMMAND = 0xA0  # CMD, normal transaction
STATUS = 0x13
ENABLED = 0x03  # ENABLE: PON and AEN


def _device_id(i2c, address):
    return register(i2c, address, COMMAND | 0x12, 1)[0] == 0x50


def _status_reserved(i2c, address):
    return register(i2c, address, COMMAND | STATUS, 1)[0] & 0xCE == 0  # only bits 5, 4 and 0 are used


PROBES = ((80, 0, _device_id), (10, 0, _status_reserved))


def _maths(gain, itime):
    # The driver's lux property, fed with counts already read: a TSL2591 whose raw_luminosity is
    # a plain attribute (set per observation) and whose gain and time are the set-up's.
    from adafruit_tsl2591 import TSL2591

    class Counts(TSL2591):
        raw_luminosity = (0, 0)

        def __init__(self):
            self._gain = gain
            self._integration_time = itime

    return Counts()


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 65535), (0, 65535), (0, 65535), (0.0, 88000.0))

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(0.11)  # at boot only: the first integration (100 ms) is done by the first observation

    def start(self):
        from adafruit_tsl2591 import TSL2591
        sensor = TSL2591(self.i2c, self.address)  # checks the ID; gain 25x, 100 ms, enabled
        self.sensor = sensor
        self.maths = _maths(sensor._gain, sensor._integration_time)
        self.buf = bytearray(5)

    def sample(self, values):
        i2c = getattr(self.sensor._device, "i2c")  # the driver's device's bus
        buf = read_into(i2c, self.address, COMMAND | STATUS, self.buf)
        if not buf[0] & 0x01:  # AVALID clear: no integration completed
            for i in range(4):
                values[i] = None
            if register(i2c, self.address, COMMAND, 1)[0] & ENABLED != ENABLED:
                for i in range(4):
                    self.reject(i, "the chip was reset")
                self.start()
            return
        full = buf[1] | buf[2] << 8
        infrared = buf[3] | buf[4] << 8
        values[0] = full - infrared
        values[1] = infrared
        values[2] = full
        maths = self.maths
        maths.raw_luminosity = (full, infrared)
        try:
            values[3] = maths.lux
        except RuntimeError:  # the driver: a channel overflowed
            for i in range(4):
                self.reject(i, "saturated")
