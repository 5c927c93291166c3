# Bosch BME280 humidity, temperature and pressure, read with adafruit_bme280 (basic).
#
# Parameter names and 3 decimals are the original's (flxDevBME280): users' pipelines depend on them.
# Pressure is in Pa and altitude uses the standard sea level, as the original reports them.
# Lean read: the chip runs in normal mode, and one burst read of its eight data registers
# (0xF7..0xFE) per observation feeds the driver's own compensation (temperature, pressure and
# humidity from the same sample), where its properties would make five register reads.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "BME280"
ADDRESSES = (0x77, 0x76)
PARAMS = ("Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF")
DIGITS = (3, 3, 3, 3, 3, 3)
SEA_LEVEL_PA = 101325.0
MODE_NORMAL = 0x03
DATA = 0xF7


def _chip_id(i2c, address):
    return register(i2c, address, 0xD0, 1)[0] == 0x60  # a BMP280 (0x58) has no humidity: not this driver


def _status_reserved(i2c, address):
    return register(i2c, address, 0xF3, 1)[0] & 0xF6 == 0  # status: only bits 3 and 0 are used


def _calibrated(i2c, address):
    cal = register(i2c, address, 0x88, 24)
    return cal != bytes(24) and cal != b"\xff" * 24  # factory trimming is never blank


PROBES = ((80, 0, _chip_id), (10, 0, _status_reserved), (10, 0, _calibrated))


class _Burst:
    # Stands in for the driver's bus implementation: the data registers come from one burst read,
    # anything else goes to the chip. Views of one buffer: a read allocates nothing.
    def __init__(self, real):
        self.real = real
        self.buf = bytearray(8)
        view = memoryview(self.buf)
        self.press = view[0:3]
        self.temp = view[3:6]
        self.hum = view[6:8]

    def read_register(self, reg, length):
        if reg == 0xFA and length == 3:
            return self.temp
        if reg == DATA and length == 3:
            return self.press
        if reg == 0xFD and length == 2:
            return self.hum
        return self.real.read_register(reg, length)

    def write_register_byte(self, reg, value):
        self.real.write_register_byte(reg, value)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0.0, 100.0), (-40.0, 185.0), (-40.0, 85.0), (30000.0, 110000.0), (-700.0, 9200.0),
              (-2300.0, 30200.0))
    GIVES = (("temperature", 2), ("humidity", 0), ("pressure", 3))  # compensation for others (base.py)
    RANK = 0

    def start(self):
        from adafruit_bme280.basic import Adafruit_BME280_I2C
        sensor = Adafruit_BME280_I2C(self.i2c, self.address)
        # Normal mode keeps a fresh sample ready, so a log cycle never waits (forced mode would
        # wait ~38 ms a property); its ~0.7 mA is small beside the ESP32's.
        sensor.mode = MODE_NORMAL
        self.burst = _Burst(sensor._bus_implementation)
        setattr(sensor, "_bus_implementation", self.burst)
        self.sensor = sensor

    def sample(self, values):
        # Through the driver's own I2CDevice's bus (whatever bus it holds now).
        buf = read_into(self.burst.real._i2c.i2c, self.address, DATA, self.burst.buf)
        if buf[3] == 0x80 and buf[4] == 0 and buf[5] & 0xF0 == 0:
            # Temperature at its reset value 0x80000: the chip reset and sleeps (it lost its set-up).
            for i in range(len(values)):
                self.reject(i, "the chip was reset")
            self.sensor.mode = MODE_NORMAL
            return
        sensor = self.sensor
        celsius = sensor.temperature
        pascal = sensor.pressure * 100.0
        metres = 44330.0 * (1.0 - (pascal / SEA_LEVEL_PA) ** 0.1903)
        values[0] = sensor.humidity
        values[1] = celsius * 9.0 / 5.0 + 32.0
        values[2] = celsius
        values[3] = pascal
        values[4] = metres
        values[5] = metres * 3.28084
