# The buses, on the pins the settings name: no CircuitPython board definition exists for the
# DataLogger IoT, so a generic ESP32-S3 build is told where its Qwiic bus and SD card are.
from core.schema import STR, Prop

SECTION = "Board Pins"
I2C_SDA = Prop(SECTION, "I2C SDA", STR, "IO8", "Qwiic I2C data pin (a board module name)")
I2C_SCL = Prop(SECTION, "I2C SCL", STR, "IO9", "Qwiic I2C clock pin")
SD_CS = Prop(SECTION, "SD CS", STR, "IO10", "SD card chip select pin")
SD_SCK = Prop(SECTION, "SD SCK", STR, "IO12", "SD card SPI clock pin")
SD_MOSI = Prop(SECTION, "SD MOSI", STR, "IO11", "SD card SPI MOSI pin")
SD_MISO = Prop(SECTION, "SD MISO", STR, "IO13", "SD card SPI MISO pin")
PROPERTIES = (I2C_SDA, I2C_SCL, SD_CS, SD_SCK, SD_MOSI, SD_MISO)

_buses: dict = {}


def pin(get, prop):
    # The board pin a property names; `get` is Settings.get, or Settings.peek before saved settings load.
    import board
    found = getattr(board, get(prop), None)
    if found is None:
        raise ValueError(prop.key + ": the board has no pin named " + get(prop))
    return found


def i2c(get):
    # One shared I2C bus (busio refuses a second object on the same pins).
    if "i2c" not in _buses:
        import busio
        _buses["i2c"] = busio.I2C(pin(get, I2C_SCL), pin(get, I2C_SDA))
    return _buses["i2c"]


def scan(i2c):
    while not i2c.try_lock():
        pass
    try:
        return i2c.scan()
    finally:
        i2c.unlock()


def spi(get):
    if "spi" not in _buses:
        import busio
        _buses["spi"] = busio.SPI(pin(get, SD_SCK), MOSI=pin(get, SD_MOSI), MISO=pin(get, SD_MISO))
    return _buses["spi"]
