# MAX17048 LiPo fuel gauge, on board at 0x36, read with adafruit_max1704x.
#
# Parameter names and 3 decimals are the original's (flxDevMAX17048).
from plugins.sensors.base import Device as Base, register

NAME = "MAX17048"
ADDRESSES = (0x36,)
PARAMS = ("Voltage (V)", "State Of Charge (%)", "Change Rate (%/hr)")
DIGITS = (3, 3, 3)


def _version(i2c, address):
    # The version register (0x08) reads 0x001_ on a MAX17048/9.
    version = register(i2c, address, 0x08, 2)
    return version[0] == 0x00 and version[1] & 0xF0 == 0x10


PROBES = ((80, 0, _version),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0.0, 5.12), (0.0, 256.0), (-6816.0, 6816.0))

    def start(self):
        from adafruit_max1704x import MAX17048
        self.sensor = MAX17048(self.i2c, self.address)

    def sample(self, values):
        sensor = self.sensor
        values[0] = sensor.cell_voltage
        values[1] = sensor.cell_percent
        values[2] = sensor.charge_rate
