# Sensirion SGP40 VOC sensor, with adafruit_sgp40 and its VOC Index algorithm (Sensirion's).
#
# The original's "SGP40": its device name and its one parameter, the VOC Index (an integer, 1..500;
# 0 in the algorithm's first 45 samples). Humidity and temperature compensation as the original:
# each measurement is sent the humidity and temperature of a BME280, SHT4x or SCD4x when one is
# present (their latest values; without one, the driver's 50 %RH and 25 C). Lean read without
# waiting: each observation reads the raw signal the one before started (one 3-byte read,
# CRC-checked) and starts the next (one 8-byte command), where the driver would wait 500 ms a
# reading. The index algorithm is tuned for one sample a second: log at 1 s for its best.
from adafruit_ticks import ticks_diff
from plugins.sensors.base import Device as Base, receive, send

NAME = "SGP40"
ADDRESSES = (0x59,)
PARAMS = ("VOC Index",)
DIGITS = (None,)


def _words(i2c, address, command, size):
    # A command, then its reply's CRC-checked words (or None).
    import time

    from adafruit_sgp40 import SGP40
    send(i2c, address, command)
    time.sleep(0.01)
    buf = receive(i2c, address, bytearray(size))
    for i in range(0, size, 3):
        if SGP40._generate_crc(buf[i:i + 2]) != buf[i + 2]:
            return None
    return buf


def _serial(i2c, address):
    # get_serial_number (0x3682): three CRC-checked words, the first 0x0000 (as the driver checks).
    buf = _words(i2c, address, b"\x36\x82", 9)
    return buf is not None and buf[0] == 0 and buf[1] == 0


def _feature_set(i2c, address):
    buf = _words(i2c, address, b"\x20\x2f", 3)  # 0x32xx on an SGP40 (as the driver checks)
    return buf is not None and buf[0] == 0x32


PROBES = ((80, 2, _serial), (10, 2, _feature_set))


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 500),)
    NEEDS = ("temperature", "humidity")
    LAG = 1

    def start(self):
        if getattr(self, "sensor", None) is None:
            from adafruit_sgp40 import SGP40
            from adafruit_sgp40.voc_algorithm import VOCAlgorithm
            self.sensor = SGP40(self.i2c, self.address)  # at boot: serial, feature set, self test, reset
            self.voc = VOCAlgorithm()
            self.voc.vocalgorithm_init()
            self.bus = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
            self.buf = bytearray(3)
            self.command = bytearray(b"\x26\x0f\x80\x00\xa2\x66\x66\x93")  # the driver's: 50 %RH, 25 C
            view = memoryview(self.command)
            self.rh_word = view[2:4]
            self.t_word = view[5:7]
            self.word = memoryview(self.buf)[0:2]
            self.celsius = 25.0
            self.humidity = 50.0
        # (after an unplug: nothing to set up again; its next measurement starts below)
        self.pending = False
        self.sent = 0

    def sample(self, values):
        bus = self.bus
        fresh = self.pending
        if fresh:
            if ticks_diff(self.now, self.sent) < 30:
                return  # logging faster than it measures: still measuring, nothing new
            receive(bus, self.address, self.buf)
        celsius = self.given("temperature")
        humidity = self.given("humidity")
        if celsius is not None and humidity is not None:
            self.celsius = celsius
            self.humidity = humidity
        self._compensation(self.celsius, self.humidity)
        send(bus, self.address, self.command)  # the next observation's measurement (30 ms at most)
        self.pending = True
        self.sent = self.now
        if not fresh:
            return
        buf = self.buf
        if self.sensor._generate_crc(self.word) != buf[2]:
            values[0] = None
            self.reject(0, "CRC error")
            return
        values[0] = self.voc.vocalgorithm_process(buf[0] << 8 | buf[1])

    def _compensation(self, celsius, humidity):
        # The driver's conversions (SGP40._relative_humidity_to_ticks, _celsius_to_ticks), into
        # the command in place: no lists per observation.
        humidity = 0.0 if humidity < 0.0 else 100.0 if humidity > 100.0 else humidity
        celsius = -45.0 if celsius < -45.0 else 130.0 if celsius > 130.0 else celsius
        command = self.command
        crc = self.sensor._generate_crc
        ticks = int((humidity * 65535) / 100 + 0.5) & 0xFFFF
        command[2] = ticks >> 8
        command[3] = ticks & 0xFF
        command[4] = crc(self.rh_word)
        ticks = int(((celsius + 45) * 65535) / 175) & 0xFFFF
        command[5] = ticks >> 8
        command[6] = ticks & 0xFF
        command[7] = crc(self.t_word)
