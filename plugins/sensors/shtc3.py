# Sensirion SHTC3 humidity and temperature, with adafruit_shtc3.
#
# The original's "SHTC3": its device name, parameter names and 3 decimals.
# Lean read without waiting: the chip stays awake (idle, where the driver sleeps it between
# readings and wakes it again), and each observation reads the measurement started by the one
# before (one 6-byte read, both words CRC-checked) and starts the next (one 16-bit command),
# where the driver would wake it, wait 13 ms and sleep it, four transfers a reading.
from plugins.sensors.base import Device as Base, receive, send

NAME = "SHTC3"
ADDRESSES = (0x70,)
PARAMS = ("Humidity (%RH)", "Temperature (C)", "Temperature (F)")
DIGITS = (3, 3, 3)
MEASURE = b"\x78\x66"  # normal mode, temperature first, no clock stretching: 12.1 ms at most
WAKEUP = b"\x35\x17"
READ_ID = b"\xef\xc8"
COMMANDS = (WAKEUP, READ_ID)  # what identification may write


def _chip_id(i2c, address):
    # As the original: wake it, then Read ID (0xEFC8): one word and its CRC, bit 11 and bits 5:0
    # 0x807. Commands, so they run only when nothing safer decided (the chip has no registers).
    import time

    from adafruit_shtc3 import SHTC3
    send(i2c, address, WAKEUP)
    time.sleep(0.001)
    send(i2c, address, READ_ID)
    time.sleep(0.001)
    buf = receive(i2c, address, bytearray(3))
    return SHTC3._crc8(buf[0:2]) == buf[2] and (buf[0] << 8 | buf[1]) & 0x083F == 0x0807


PROBES = ((90, 2, _chip_id),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0.0, 100.0), (-40.0, 125.0), (-40.0, 257.0))
    LAG_S = 0.0121  # the measurement the previous observation started
    LAG = 1

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(0.013)  # at boot only: the first observation finds its measurement ready

    def start(self):
        from adafruit_shtc3 import SHTC3
        self.sensor = SHTC3(self.i2c)  # wakes it, soft reset, checks the chip ID (0x70 is its only address)
        self.buf = bytearray(6)
        view = memoryview(self.buf)
        self.words = (view[0:2], view[3:5])  # views: a read allocates nothing
        self._command()

    def _command(self):
        send(getattr(self.sensor.i2c_device, "i2c"), self.address, MEASURE)  # the driver's device's bus

    def sample(self, values):
        buf = receive(getattr(self.sensor.i2c_device, "i2c"), self.address, self.buf)
        self._command()  # the next observation's measurement
        crc = getattr(self.sensor, "_crc8")  # the driver's CRC, over views of the buffer
        if crc(self.words[0]) != buf[2] or crc(self.words[1]) != buf[5]:
            values[0] = values[1] = values[2] = None
            self.reject(0, "CRC error")
            self.reject(1, "CRC error")
            self.reject(2, "CRC error")
            return
        # The driver's integer conversion (adafruit_shtc3 measurements): 0.01 C and 0.01 %RH
        celsius = (((4375 * (buf[0] << 8 | buf[1])) >> 14) - 4500) / 100.0
        values[0] = ((625 * (buf[3] << 8 | buf[4])) >> 12) / 100.0
        values[1] = celsius
        values[2] = celsius * 9.0 / 5.0 + 32.0
