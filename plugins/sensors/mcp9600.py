# Microchip MCP9600 thermocouple amplifier, with adafruit_mcp9600.
#
# The original's "MCP9600": its device name, parameter names and 3 decimals, and its defaults
# (type K thermocouple, filter 0, 0.0625 C ambient resolution, 18-bit thermocouple conversions).
# Lean read: the chip converts continuously; one register read each of the hot-junction,
# delta and cold-junction registers (0x00, 0x01, 0x02) per observation, as the driver's three
# properties make them, into buffers of our own.
from plugins.sensors.base import Device as Base, read_into, register

NAME = "MCP9600"
ADDRESSES = tuple(range(0x60, 0x68))
PARAMS = ("Thermocouple temperature", "Ambient temperature", "Temperature delta")
DIGITS = (3, 3, 3)


def _device_id(i2c, address):
    # As the original: the device ID register read twice, the first read only wakes the chip.
    try:
        register(i2c, address, 0x20, 2)
    except OSError:
        pass
    return register(i2c, address, 0x20, 2)[0] in (0x40, 0x41)  # MCP9600, MCP9601


PROBES = ((80, 0, _device_id),)


def _celsius(buf):
    # The driver's conversion (adafruit_mcp9600 temperature): 0.0625 C per LSB, two's complement
    value = (buf[0] << 8 | buf[1]) * 0.0625
    if buf[0] & 0x80:
        value -= 4096
    return value


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((-270.0, 1820.0), (-40.0, 125.0), (-395.0, 1860.0))  # every thermocouple type; the chip

    def start(self):
        from adafruit_mcp9600 import MCP9600
        self.sensor = MCP9600(self.i2c, self.address, "K", 0)  # sets type and filter, checks the device ID
        self.bufs = (bytearray(2), bytearray(2), bytearray(2))

    def sample(self, values):
        i2c = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
        address = self.address
        hot = read_into(i2c, address, 0x00, self.bufs[0])
        delta = read_into(i2c, address, 0x01, self.bufs[1])
        cold = read_into(i2c, address, 0x02, self.bufs[2])
        values[0] = _celsius(hot)
        values[1] = _celsius(cold)
        values[2] = _celsius(delta)
