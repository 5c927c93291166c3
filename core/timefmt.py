# Timestamps with integers only: floats on the board are 32-bit, so an epoch second as a float is wrong.
#
# Time zones (POSIX TZ rules) are in core/posixtz.py.
from micropython import const

# The original's Timestamp Mode labels, in its order: the index is the number its datalogger.json stores.
MODES = ("No Timestamp", "Milliseconds since program start", "Seconds since Epoch", "Milliseconds since Epoch",
         "Date Time - USA Date format", "Date Time", "ISO8601 Timestamp", "ISO8601 Timestamp with Time Zone",
         "ISO8601 Timestamp - Week Date", "ISO8601 Timestamp - Week Date with Time Zone")
def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


DAY_MS = const(86400000)  # const(): a number in the code, no lookup per use
CLOCK_SET_DAY = 19723  # 2024-01-01: an RTC reading before it was never set (it starts at 2000 or 1970)
_MINUTE = "%04d-%02d-%02dT%02d:%02d:"


class WallClock:
    # Civil time as a day number and the ms into that day: small integers for ever (an epoch
    # in ms is a long int, which allocates on every operation), advanced by tick differences.
    # The text up to the minute, and the zone after it, are made once a minute.

    __slots__ = ("day", "ms", "slew", "_day", "_minute_ms", "_format", "_zone_offset", "_zone")

    def __init__(self, epoch_ms):
        self.day, self.ms = divmod(epoch_ms, DAY_MS)
        self.slew = 0  # ms still to take back from a correction into the past, at half speed
        self._day = None  # the day and the first ms of the minute _format is for
        self._minute_ms = 0
        self._format = ""  # "2026-11-25T21:39:%02d.%03dZ"
        self._zone_offset = None
        self._zone = "Z"

    def correct(self, epoch_ms):
        # Follow a better time (NTP): forward at once; backward by running at half speed until it
        # has caught up, so no observation ever reads earlier than the one before. Returns the step.
        diff = epoch_ms - self.epoch_ms()
        if diff >= 0 or not self.is_set():
            self.day, self.ms = divmod(epoch_ms, DAY_MS)
            self.slew = 0
        else:
            self.slew = -diff
        return diff

    def advance(self, step_ms):
        if self.slew:
            take = step_ms // 2 if step_ms // 2 < self.slew else self.slew
            self.slew -= take
            step_ms -= take
        ms = self.ms + step_ms
        if 0 <= ms < DAY_MS:
            self.ms = ms
            return
        days, ms = divmod(ms, DAY_MS)
        self.day += days
        self.ms = ms

    def is_set(self):
        return self.day >= CLOCK_SET_DAY

    def epoch_ms(self):
        return self.day * DAY_MS + self.ms

    def iso(self, offset_s=None):
        # 2026-11-25T21:39:54.123Z, or with offset_s (seconds east of UTC) 2026-11-25T14:39:54.123-07:00.
        day = self.day
        ms = self.ms
        if offset_s:
            ms += offset_s * 1000
            if ms >= DAY_MS or ms < 0:
                days, ms = divmod(ms, DAY_MS)
                day += days
        if offset_s != self._zone_offset:
            self._zone_offset = offset_s
            self._day = None
            if offset_s is None:
                self._zone = "Z"
            else:
                off = -offset_s if offset_s < 0 else offset_s
                self._zone = "%s%02d:%02d" % ("-" if offset_s < 0 else "+", off // 3600, off // 60 % 60)
        ms -= self._minute_ms
        if day != self._day or ms >= 60000 or ms < 0:
            ms += self._minute_ms
            minute = ms // 60000
            y, m, d = civil_from_days(day)
            self._format = _MINUTE % (y, m, d, minute // 60, minute % 60) + "%02d.%03d" + self._zone
            self._day = day
            self._minute_ms = minute * 60000
            ms -= self._minute_ms
        return self._format % divmod(ms, 1000)


def iso8601(epoch_ms, offset_s=None):
    # 2026-11-25T21:39:54.123Z, or with offset_s: 2026-11-25T14:39:54.123-07:00.
    return WallClock(epoch_ms).iso(offset_s)
