# MAX17048 LiPo fuel gauge, on board at 0x36, read with adafruit_max1704x.
#
# Parameter names and 3 decimals are the original's (flxDevMAX17048).
# Lean read: VCELL (0x02) and SOC (0x04) are consecutive words, read in one 4-byte burst, and CRATE
# (0x16) in a second read, through the driver's own maths, where its properties would read each
# word in a transaction of its own. The driver is released after set-up (see start()).
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
        import sys
        before = set(sys.modules)
        from adafruit_max1704x import MAX17048

        class Words(MAX17048):
            # The driver with its register words as plain values: its properties' maths run on them.
            # (A property's fget would be simpler; MicroPython has none.)
            _cell_voltage = 1
            _cell_SOC = 1
            _cell_crate = 1

            def __init__(self):
                pass

        MAX17048(self.i2c, self.address)  # the driver's set-up: it checks the chip and wakes it
        words = Words()
        # The driver's maths is one scale per register word: taken from it once, so that the driver
        # and its register modules (~17 KB of heap, for an on-board chip) are released until the
        # next set-up.
        self.scale = (words.cell_voltage, words.cell_percent, words.charge_rate)
        from core.app import release
        release([name for name in sys.modules if name not in before])
        self.cells = bytearray(4)
        self.crate = bytearray(2)

    def sample(self, values):
        cells = read_into(self.i2c, self.address, 0x02, self.cells)  # VCELL, SOC
        crate = read_into(self.i2c, self.address, 0x16, self.crate)  # CRATE
        scale = self.scale
        rate = crate[0] << 8 | crate[1]
        values[0] = (cells[0] << 8 | cells[1]) * scale[0]
        values[1] = (cells[2] << 8 | cells[3]) * scale[1]
        values[2] = (rate - 0x10000 if rate & 0x8000 else rate) * scale[2]
