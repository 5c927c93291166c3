# ST LPS22HB (WHO_AM_I 0xB1) and LPS22HH (0xB3) barometers, with adafruit_lps2x's register map
# and maths.
#
# The original has the LPS25HB, not the LPS22: named in its LPS25HB's style, "Temperature (C)"
# and "Pressure (hPa)" with 3 decimals; the device is named by its chip ("LPS22HB", "LPS22HH").
# An LPS35HW answers 0xB1 too, with the LPS22HB's registers: it reads as an LPS22HB.
# The driver's set-up: continuous at 75 Hz; here with block data update too. Lean read: one
# 5-byte burst of PRESS_OUT_XL..TEMP_OUT_H (0x28..0x2C, IF_ADD_INC incrementing the address)
# per observation, through the driver's own pressure and temperature maths, where its
# properties would read twice. The driver's constructor only knows the LPS22HB's ID, resets the
# chip, polls and sleeps: here its registers are set up directly, without waiting.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "LPS22HB"
ADDRESSES = (0x5D, 0x5C)
PARAMS = ("Temperature (C)", "Pressure (hPa)")
DIGITS = (3, 3)
IDS = (0xB1, 0xB3)  # LPS22HB, LPS22HH
CTRL_REG1 = 0x10
CONTINUOUS = 0x52  # CTRL_REG1: ODR 75 Hz (the driver's rate), block data update
BURST = 0x28  # PRESS_OUT_XL
SETUP = bytes((CTRL_REG1, CONTINUOUS))


def _chip_id(i2c, address):
    return register(i2c, address, 0x0F, 1)[0] in IDS


def _reserved(i2c, address):
    return register(i2c, address, 0x27, 1)[0] & 0xCC == 0  # STATUS: bits 7, 6, 3, 2 read 0


PROBES = ((80, 0, _chip_id), (10, 0, _reserved))

_classes = None


def _driver():
    # adafruit_lps2x.LPS22 with a constructor that only attaches the bus and keeps the driver's
    # temperature scale, and the same driver answering its raw registers from one burst read:
    # its pressure and temperature properties then only compute (the driver is left as it is;
    # MicroPython's property has no fget to call on a shim).
    global _classes
    if _classes is None:
        from adafruit_bus_device.i2c_device import I2CDevice
        from adafruit_lps2x import LPS22

        class _LPS22(LPS22):
            def __init__(self, i2c, address):
                self.i2c_device = I2CDevice(i2c, address)
                self._temp_scaling = 100
                self._temp_offset = 0

        class _Sample(LPS22):
            _raw_pressure = 0  # plain values in place of the register descriptors
            _raw_temperature = 0

            def __init__(self, sensor):
                self._temp_scaling = sensor._temp_scaling
                self._temp_offset = sensor._temp_offset
                self.buf = bytearray(5)

        _classes = (_LPS22, _Sample)
    return _classes


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-40.0, 85.0), (260.0, 1260.0))

    def start(self):
        driver, sample = _driver()
        sensor = driver(self.i2c, self.address)
        chip = sensor._chip_id
        if chip not in IDS:
            raise OSError(19, "not an LPS22")  # something else answers there now
        if chip == 0xB3 and self.section.name == NAME:
            self.section.name = "LPS22HH"
        self._setup(sensor)
        self.sensor = sensor
        self.shim = sample(sensor)

    def _setup(self, sensor):
        with sensor.i2c_device as bus:
            bus.write(SETUP)

    def sample(self, values):
        shim = self.shim
        buf = read_into(self.sensor.i2c_device.i2c, self.address, BURST, shim.buf)  # the driver's device's bus
        if buf[0] == 0 and buf[1] == 0 and buf[2] == 0 and buf[3] == 0 and buf[4] == 0:
            # 0 hPa and 0 C: the power-on outputs of a chip that was reset (and sits powered down)
            values[0] = values[1] = None
            self.reject(0, "the chip was reset")
            self.reject(1, "the chip was reset")
            self._setup(self.sensor)
            return
        shim._raw_pressure = buf[2] << 16 | buf[1] << 8 | buf[0]
        t = buf[4] << 8 | buf[3]
        shim._raw_temperature = t - 0x10000 if t & 0x8000 else t
        values[0] = shim.temperature  # the driver's maths
        values[1] = shim.pressure
