"""Host stand-in for CircuitPython's ``board`` on the DataLogger IoT (ESP32-S3).

Pins are plain objects compared by identity, like ``microcontroller.Pin``.
The alias numbers below are the ESP32-S3's usual choices and only matter on
the host for telling pins apart: firmware must use the names, never numbers.
``I2C()``, ``STEMMA_I2C()`` and ``SPI()`` return one shared bus each, and a
new one after it was deinitialised, as CircuitPython's board module does.
"""

import busio

board_id = "sparkfun_datalogger_iot_esp32s3"


class Pin:
    """Like microcontroller.Pin: no public API beyond identity and repr."""

    def __init__(self, number):
        self.id = number  # GPIO number (Blinka's Pin exposes it as .id too)

    def __repr__(self):
        return "board.IO%d" % self.id


# The ESP32-S3 has GPIO0..21 and GPIO26..48 (there is no GPIO22..25).
_PINS = {}
for _n in list(range(0, 22)) + list(range(26, 49)):
    _PINS[_n] = globals()["IO%d" % _n] = Pin(_n)
del _n

SDA = _PINS[8]
SCL = _PINS[9]
SD_CS = _PINS[10]
SD_MOSI = MOSI = _PINS[11]
SD_SCK = SCK = _PINS[12]
SD_MISO = MISO = _PINS[13]
TX = _PINS[43]
RX = _PINS[44]
NEOPIXEL = _PINS[48]
BUTTON = BOOT = _PINS[0]

_i2c = None
_spi = None


def I2C():
    """The board's shared I2C bus (Qwiic connectors and the fuel gauge)."""
    global _i2c
    if _i2c is None or _i2c.deinited():
        _i2c = busio.I2C(SCL, SDA)
    return _i2c


STEMMA_I2C = I2C  # the Qwiic port is the same bus on this board


def SPI():
    """The board's shared SPI bus (the microSD socket)."""
    global _spi
    if _spi is None or _spi.deinited():
        _spi = busio.SPI(SCK, MOSI, MISO)
    return _spi
