# MAX17048 LiPo fuel gauge, on board at 0x36, read with adafruit_max1704x.
#
# Parameter names are the original's (flxDevMAX17048).
from core.observation import Section
from core.pins import read_register

PARAMS = ("Voltage (V)", "State Of Charge (%)", "Change Rate (%/hr)")
DIGITS = (2, 1, 1)


def probe(i2c, address):
    # The version register (0x08) reads 0x001_ on a MAX17048/9.
    version = read_register(i2c, address, 0x08, 2)
    return version[0] == 0x00 and version[1] & 0xF0 == 0x10


class Device:
    def __init__(self, i2c, address):
        from adafruit_max1704x import MAX17048
        self.address = address
        self.sensor = MAX17048(i2c, address)
        self.section = Section("MAX17048", PARAMS, DIGITS)

    def read(self, _now):
        sensor = self.sensor
        values = self.section.values
        values[0] = sensor.cell_voltage
        values[1] = sensor.cell_percent
        values[2] = sensor.charge_rate
