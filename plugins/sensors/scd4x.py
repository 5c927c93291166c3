# Sensirion SCD4x (SCD40/41) CO2, temperature and humidity, with adafruit_scd4x.
#
# The original's "SCD40": its device name, parameter names, CO2 as an integer and 3 decimals.
# Periodic measurement mode (a reading every 5 s). Lean read without waiting: each observation
# reads the reply to the read_measurement command the one before sent (one 9-byte read, three
# CRC-checked words) and sends the next, where the driver would ask data-ready and wait 1 ms for
# each. When the chip had no new reading, it NACKs that read (datasheet 3.5.2): the values stay as
# they were, as the driver's cache does. The air pressure from a barometer, when one is present, is
# sent as set_ambient_pressure (allowed while measuring) whenever its whole hPa change.
from adafruit_ticks import ticks_diff
from plugins.sensors.base import Device as Base, receive, send

NAME = "SCD40"
ADDRESSES = (0x62,)
PARAMS = ("CO2 (PPM)", "Temperature (C)", "Humidity (%RH)")
DIGITS = (None, 3, 3)
READ = b"\xec\x05"
START = b"\x21\xb1"
STOP = b"\x3f\x86"
STOP_MS = 500


def _crc(data):
    from adafruit_scd4x import SCD4X
    return SCD4X._crc8(data)


def _data_ready(i2c, address):
    # get_data_ready_status (0xE4B8): one CRC-checked word whose bits 15:11 are reserved (zero).
    # A command, answered in periodic and idle mode alike.
    import time

    send(i2c, address, b"\xe4\xb8")
    time.sleep(0.001)
    buf = receive(i2c, address, bytearray(3))
    return _crc(buf[0:2]) == buf[2] and buf[0] & 0xF8 == 0


PROBES = ((80, 2, _data_ready),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 40000), (-10.0, 60.0), (0.0, 100.0))  # datasheet: CO2 output range, specified T and RH
    GIVES = (("temperature", 1), ("humidity", 2))
    RANK = 2
    NEEDS = ("pressure",)
    LAG = 1
    PERIOD_MS = 5000

    def start(self):
        if getattr(self, "sensor", None) is None:
            from adafruit_scd4x import SCD4X
            self.sensor = SCD4X(self.i2c, self.address)  # at boot: stops a running measurement (500 ms)
            self.bus = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
            self.buf = bytearray(9)
            self.pair = bytearray(2)  # a word, for its CRC: no slicing per read
            self.command = bytearray(5)
            self.word = bytearray(2)
            self.hpa = 0
            send(self.bus, self.address, START)
            self.stopped = None
        else:
            # Again after an unplug: it may still be measuring. Stop it; start it 500 ms later.
            send(self.bus, self.address, STOP)
            self.stopped = self.now
        self.pending = False

    def sample(self, values):
        bus = self.bus
        if self.stopped is not None:
            if ticks_diff(self.now, self.stopped) < STOP_MS:
                return
            send(bus, self.address, START)
            self.stopped = None
            return
        fresh = False
        if self.pending:
            try:
                receive(bus, self.address, self.buf)
                fresh = True
            except OSError:
                pass  # no new reading yet (or gone: the command below tells)
        pascal = self.given("pressure")
        hpa = int(pascal / 100.0 + 0.5) if pascal is not None and 70000.0 <= pascal <= 120000.0 else self.hpa
        if hpa != self.hpa:
            self._pressure(hpa)  # this cycle's command; the next cycle asks for a reading again
            self.pending = False
        else:
            send(bus, self.address, READ)
            self.pending = True
        if fresh:
            self._convert(values)

    def _pressure(self, hpa):
        command = self.command
        command[0] = 0xE0
        command[1] = 0x00
        self.word[0] = command[2] = hpa >> 8
        self.word[1] = command[3] = hpa & 0xFF
        command[4] = self.sensor._crc8(self.word)
        send(self.bus, self.address, command)
        self.hpa = hpa

    def _crc_ok(self, buf, i):
        pair = self.pair
        pair[0] = buf[i]
        pair[1] = buf[i + 1]
        return self.sensor._crc8(pair) == buf[i + 2]

    def _convert(self, values):
        buf = self.buf
        if not (self._crc_ok(buf, 0) and self._crc_ok(buf, 3) and self._crc_ok(buf, 6)):
            values[0] = values[1] = values[2] = None
            self.reject(0, "CRC error")
            self.reject(1, "CRC error")
            self.reject(2, "CRC error")
            return
        # The driver's maths (adafruit_scd4x SCD4X._read_data)
        values[0] = buf[0] << 8 | buf[1]
        values[1] = -45.0 + 175.0 * (buf[3] << 8 | buf[4]) / 65535.0
        values[2] = 100.0 * (buf[6] << 8 | buf[7]) / 65535.0
