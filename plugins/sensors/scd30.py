# Sensirion SCD30 CO2, temperature and humidity, with adafruit_scd30.
#
# The original's "SCD30": its device name, parameter names, CO2 as an integer and 3 decimals.
# Continuous measurement (a reading every 2 s, the driver's start). The chip wants a stop and 3 ms
# between a command and its reply, so nothing waits: each observation reads the reply to the
# command the one before sent, and sends the next: get_data_ready until it says ready, then
# read_measurement (its 18 bytes, six CRC-checked words, read the observation after). Between
# readings the values stay, as the driver's cache does.
import struct

from plugins.sensors.base import Device as Base, receive, send

NAME = "SCD30"
ADDRESSES = (0x61,)
PARAMS = ("CO2 (PPM)", "Temperature (C)", "Humidity (%RH)")
DIGITS = (None, 3, 3)
READY = b"\x02\x02"
READ = b"\x03\x00"


def _firmware(i2c, address):
    # read_firmware_version (0xD100): one CRC-checked word, neither blank nor erased. A command.
    import time

    from adafruit_scd30 import SCD30
    send(i2c, address, b"\xd1\x00")
    time.sleep(0.01)
    buf = receive(i2c, address, bytearray(3))
    return SCD30._crc8(buf[0:2]) == buf[2] and buf[0:2] not in (b"\x00\x00", b"\xff\xff")


PROBES = ((80, 2, _firmware),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 40000), (-40.0, 70.0), (0.0, 100.0))  # datasheet: CO2 measurement range, T and RH
    GIVES = (("temperature", 1), ("humidity", 2))
    RANK = 3
    LAG = 2
    PERIOD_MS = 2000

    def start(self):
        from adafruit_scd30 import SCD30
        self.sensor = SCD30(self.i2c, address=self.address)  # starts continuous measurement
        self.bus = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
        self.buf = bytearray(18)
        self.ready = memoryview(self.buf)[0:3]
        self.four = bytearray(4)
        self.pair = bytearray(2)  # a word, for its CRC: no slicing per read
        self.asked = None  # READY or READ: the command whose reply the next observation reads

    def sample(self, values):
        bus = self.bus
        asked = self.asked
        if asked is READY:
            buf = receive(bus, self.address, self.ready)
            if not self._crc_ok(buf, 0):
                self._bad(values)
            elif buf[1] == 1:
                send(bus, self.address, READ)
                self.asked = READ
                return
        elif asked is READ:
            receive(bus, self.address, self.buf)
            self._convert(values)
        send(bus, self.address, READY)
        self.asked = READY

    def _crc_ok(self, buf, i):
        pair = self.pair
        pair[0] = buf[i]
        pair[1] = buf[i + 1]
        return self.sensor._crc8(pair) == buf[i + 2]

    def _bad(self, values):
        values[0] = values[1] = values[2] = None
        self.reject(0, "CRC error")
        self.reject(1, "CRC error")
        self.reject(2, "CRC error")

    def _convert(self, values):
        buf = self.buf
        for i in range(0, 18, 3):
            if not self._crc_ok(buf, i):
                self._bad(values)
                return
        four = self.four
        for n in range(3):  # each float is two words (the driver's _read_data)
            i = n * 6
            four[0] = buf[i]
            four[1] = buf[i + 1]
            four[2] = buf[i + 3]
            four[3] = buf[i + 4]
            values[n] = struct.unpack(">f", four)[0]
        co2 = values[0]
        values[0] = int(co2 + 0.5) if co2 == co2 and -1.0 < co2 < 1e9 else co2  # an integer, as the original's
