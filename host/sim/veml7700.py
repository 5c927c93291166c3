"""Simulated Vishay VEML7700 ambient light sensor at 0x10 (datasheet rev. 1.x, doc 84286).

Command-code registers of 16 bits, little-endian (LSB first): a write is the
command code then LSB, MSB; a read is the command code, then two bytes.  The
codes do not auto-increment.  Modelled: ALS_CONF (0x00; power-on value 0x0001:
shut down), the thresholds, power saving, ALS (0x04) and WHITE (0x05) counts of
the simulated lux at the set gain and integration time, the interrupt status and
ID (0x07 = 0xC481: device ID 0x81, address option 0xC4).  After power-on the
counts read 0 until a first integration time has passed; a count saturates at
0xFFFF.  Not modelled: interrupts, power saving's refresh time.
"""

from . import RegisterDevice

CONF = 0x00
PSM = 0x03
ALS = 0x04
WHITE = 0x05
INT = 0x06
ID = 0x07
GAINS = {0: 1.0, 1: 2.0, 2: 0.125, 3: 0.25}
TIMES_MS = {0xC: 25, 0x8: 50, 0x0: 100, 0x1: 200, 0x2: 400, 0x3: 800}


class WordDevice(RegisterDevice):
    """16-bit little-endian command-code registers (Vishay VEML style), no auto-increment."""

    WRITABLE = ()  # type: tuple

    def reset(self):
        self.words = {}
        self.pointer = 0

    def write(self, data):
        if len(data) == 0:
            return
        self.pointer = data[0]
        if len(data) >= 3 and data[0] in self.WRITABLE:
            self._write_word(data[0], data[1] | data[2] << 8)

    def _write_word(self, code, value):
        self.words[code] = value

    def word(self, code):
        return self.words.get(code, 0)

    def read(self, n):
        w = self.word(self.pointer)
        return (bytes((w & 0xFF, w >> 8)) + bytes(max(0, n - 2)))[:n]


class VEML7700(WordDevice):
    KEYS = ("lux", "white")
    DEFAULTS = {"lux": 250.0, "white": 300.0}
    LIMITS = {"lux": (0.0, 140000.0), "white": (0.0, 140000.0)}
    OUT_OF_RANGE = {"lux": 200000.0, "white": 200000.0}  # beyond the counters: they saturate
    ADDRESSES = (0x10,)
    WRITABLE = (CONF, 0x01, 0x02, PSM)

    def reset(self):
        WordDevice.reset(self)
        self.words[CONF] = 0x0001
        self.words[ID] = 0xC481
        self.on_at = None  # when ALS_SD was cleared

    def _write_word(self, code, value):
        if code == CONF:
            value &= ~0xE40C & 0xFFFF
            if not value & 1 and self.word(CONF) & 1:
                self.on_at = self.clock()
            elif value & 1:
                self.on_at = None
        self.words[code] = value

    def resolution(self):
        conf = self.word(CONF)
        return 0.0042 * (800.0 / TIMES_MS.get(conf >> 6 & 0xF, 100)) * (2.0 / GAINS[conf >> 11 & 3])

    def word(self, code):
        if code in (ALS, WHITE):
            conf = self.word(CONF)
            if self.on_at is None or self.clock() - self.on_at < TIMES_MS.get(conf >> 6 & 0xF, 100) / 1000.0:
                return 0
            count = int(round(self.value("lux" if code == ALS else "white") / self.resolution()))
            return min(count, 0xFFFF)
        return self.words.get(code, 0)
