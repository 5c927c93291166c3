# Bosch BME280 humidity, temperature and pressure, read with adafruit_bme280 (basic).
#
# Parameter names are the original's (flxDevBME280): users' pipelines depend on them.
# Pressure is in Pa and altitude uses the standard sea level, as the original reports them.
from core.observation import Section
from core.pins import read_register

PARAMS = ("Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF")
DIGITS = (2, 2, 2, 2, 2, 2)
SEA_LEVEL_PA = 101325.0
CHIP_IDS = (0x60, 0x58)
MODE_NORMAL = 0x03


def probe(i2c, address):
    # The original's isConnected(): the chip ID at register 0xD0 is 0x60 (or 0x58, a BMP280).
    return read_register(i2c, address, 0xD0, 1)[0] in CHIP_IDS


class Device:
    def __init__(self, i2c, address):
        from adafruit_bme280.basic import Adafruit_BME280_I2C
        self.address = address
        self.sensor = Adafruit_BME280_I2C(i2c, address)
        # In forced mode the driver starts a ~38 ms conversion for each of temperature, humidity
        # and pressure. Normal mode (0.5 ms standby, as the driver configured it) keeps a fresh
        # reading ready, so a log cycle never waits; its ~0.7 mA is small beside the ESP32's.
        self.sensor.mode = MODE_NORMAL
        self.section = Section("BME280", PARAMS, DIGITS)

    def read(self, _now):
        sensor = self.sensor
        celsius = sensor.temperature
        pascal = sensor.pressure * 100.0
        metres = 44330.0 * (1.0 - (pascal / SEA_LEVEL_PA) ** 0.1903)
        values = self.section.values
        values[0] = sensor.humidity
        values[1] = celsius * 9.0 / 5.0 + 32.0
        values[2] = celsius
        values[3] = pascal
        values[4] = metres
        values[5] = metres * 3.28084
