# MAX17048 LiPo fuel gauge, on board at 0x36, read with adafruit_max1704x.
#
# Parameter names and 3 decimals are the original's (flxDevMAX17048).
# Lean read: VCELL (0x02) and SOC (0x04) are consecutive words, read in one 4-byte burst, and CRATE
# (0x16) in a second read, through the driver's own maths, where its properties would read each
# word in a transaction of its own.
from plugins.sensors.base import Device as Base, read_into, register

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

        class Words(MAX17048):
            # The driver with its register words as plain values, filled from the two reads: its
            # properties' maths run on them. (A property's fget would be simpler; MicroPython has none.)
            _cell_voltage = 0
            _cell_SOC = 0
            _cell_crate = 0

            def __init__(self):
                pass

        self.sensor = MAX17048(self.i2c, self.address)
        self.shim = Words()
        self.cells = bytearray(4)
        self.crate = bytearray(2)

    def sample(self, values):
        i2c = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
        cells = read_into(i2c, self.address, 0x02, self.cells)  # VCELL, SOC
        crate = read_into(i2c, self.address, 0x16, self.crate)  # CRATE
        shim = self.shim
        shim._cell_voltage = cells[0] << 8 | cells[1]
        shim._cell_SOC = cells[2] << 8 | cells[3]
        rate = crate[0] << 8 | crate[1]
        shim._cell_crate = rate - 0x10000 if rate & 0x8000 else rate
        values[0] = shim.cell_voltage
        values[1] = shim.cell_percent
        values[2] = shim.charge_rate
