# TI TMP117 precision temperature, with adafruit_tmp117's register map.
#
# The original's "TMP117": its device name, parameter name and 3 decimals, and its set-up (no
# averaging, conversion cycle 0: a new result every 15.5 ms, continuous mode).
# Lean read: one register read of the temperature result (0x00) per observation; the chip
# converts on its own. The driver's constructor resets the chip and waits over a second for
# its first averaged result; here its register map sets the chip up without waiting.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "TMP117"
ADDRESSES = (0x48, 0x49, 0x4A, 0x4B)
PARAMS = ("Temperature (C)",)
DIGITS = (3,)
LSB_C = 0.0078125  # the driver's _TMP117_RESOLUTION


def _device_id(i2c, address):
    reg = register(i2c, address, 0x0F, 2)
    return (reg[0] << 8 | reg[1]) & 0x0FFF == 0x0117  # bits 15:12 are the revision


PROBES = ((80, 0, _device_id),)

_class = None


def _driver():
    # adafruit_tmp117.TMP117 with a constructor that only attaches the bus: its register
    # descriptors do the rest (the driver itself is left as it is).
    global _class
    if _class is None:
        from adafruit_bus_device.i2c_device import I2CDevice
        from adafruit_tmp117 import TMP117

        class _TMP117(TMP117):
            def __init__(self, i2c, address):
                self.i2c_device = I2CDevice(i2c, address)

        _class = _TMP117
    return _class


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-55.0, 150.0),)

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(0.016)  # at boot only: the first conversion of the new set-up is ready

    def start(self):
        sensor = _driver()(self.i2c, self.address)
        if sensor._part_id & 0x0FFF != 0x0117:
            raise OSError(19, "not a TMP117")  # something else answers there now
        self._setup(sensor)
        self.sensor = sensor
        self.buf = bytearray(2)

    def _setup(self, sensor):
        sensor._raw_averaged_measurements = 0  # AVG 00: one sample a result
        sensor._raw_measurement_delay = 0  # CONV 000: 15.5 ms
        sensor._mode = 0  # continuous

    def sample(self, values):
        buf = read_into(self.sensor.i2c_device.i2c, self.address, 0x00, self.buf)  # the driver's device's bus
        raw = buf[0] << 8 | buf[1]
        if raw == 0x8000:
            # -256 C: no conversion since a reset (the chip lost its set-up)
            self.reject(0, "the chip was reset")
            self._setup(self.sensor)
            return
        values[0] = (raw - 0x10000 if raw & 0x8000 else raw) * LSB_C
