"""VM stand-in for CircuitPython's `board` (pins are microcontroller.Pin objects)."""
from microcontroller import Pin

board_id = "mpvm"

SDA = Pin("SDA")
SCL = Pin("SCL")
SCK = Pin("SCK")
MOSI = Pin("MOSI")
MISO = Pin("MISO")
TX = Pin("TX")
RX = Pin("RX")
NEOPIXEL = Pin("NEOPIXEL")
LED = Pin("LED")
BUTTON = Pin("BUTTON")


def __getattr__(name):
    # Board pin names differ per board: accept any upper-case name as a pin.
    if name[:1].isupper():
        return Pin(name)
    raise AttributeError(name)


def I2C():
    import busio
    return busio.I2C(SCL, SDA)


def STEMMA_I2C():
    return I2C()


def SPI():
    import busio
    return busio.SPI(SCK, MOSI, MISO)


def UART():
    import busio
    return busio.UART(TX, RX)
