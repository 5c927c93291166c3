# Sensirion SHT4x (SHT40/41/45) humidity and temperature, with adafruit_sht4x.
#
# The original has no SHT4x: named in its style (its SHTC3's parameters), units in the names.
# Lean read without waiting: each observation reads the measurement started by the one before
# (one 6-byte read, both words CRC-checked) and starts the next (one command byte), where the
# driver would wait 10 ms a reading.
from plugins.sensors.base import Device as Base, receive, send

NAME = "SHT4x"
ADDRESSES = (0x44, 0x45, 0x46)
PARAMS = ("Humidity (%RH)", "Temperature (C)", "Temperature (F)")
DIGITS = (3, 3, 3)
MEASURE = b"\xfd"  # high precision, no heater: 8.3 ms at most


def _serial(i2c, address):
    # Read Serial (0x89): two words, each with its CRC. A command, so it runs only when nothing
    # safer decided (the chip has no registers to read).
    import time

    from adafruit_sht4x import SHT4x
    crc = SHT4x._crc8
    send(i2c, address, b"\x89")
    time.sleep(0.01)
    buf = receive(i2c, address, bytearray(6))
    return crc(buf[0:2]) == buf[2] and crc(buf[3:5]) == buf[5] and buf != bytes(6)


PROBES = ((90, 2, _serial),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0.0, 100.0), (-40.0, 125.0), (-40.0, 257.0))
    LAG_S = 0.0083  # the measurement the previous observation started
    GIVES = (("humidity", 0), ("temperature", 1))  # compensation for others (base.py)
    RANK = 1
    LAG = 1

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(0.01)  # at boot only: the first observation finds its measurement ready

    def start(self):
        from adafruit_sht4x import SHT4x
        self.sensor = SHT4x(self.i2c, self.address)  # soft reset
        self.buf = bytearray(6)
        self._command()

    def _command(self):
        send(getattr(self.sensor.i2c_device, "i2c"), self.address, MEASURE)  # the driver's device's bus

    def sample(self, values):
        buf = receive(getattr(self.sensor.i2c_device, "i2c"), self.address, self.buf)
        self._command()  # the next observation's measurement
        crc = self.sensor._crc8
        if crc(buf[0:2]) != buf[2] or crc(buf[3:5]) != buf[5]:
            values[0] = values[1] = values[2] = None
            self.reject(0, "CRC error")
            self.reject(1, "CRC error")
            self.reject(2, "CRC error")
            return
        celsius = -45.0 + 175.0 * (buf[0] << 8 | buf[1]) / 65535.0
        humidity = -6.0 + 125.0 * (buf[3] << 8 | buf[4]) / 65535.0
        values[0] = 0.0 if humidity < 0.0 else 100.0 if humidity > 100.0 else humidity  # datasheet 4.6
        values[1] = celsius
        values[2] = celsius * 9.0 / 5.0 + 32.0
