"""Timestamps with integers only: floats on the board are 32-bit, so an epoch second as a float is wrong.

Time zones (POSIX TZ rules) are in core/posixtz.py.
"""

MODES = ("none", "ms since start", "epoch s", "epoch ms", "ISO8601", "ISO8601+TZ")


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


DAY_MS = 86400000
CLOCK_SET_DAY = 19723  # 2024-01-01: an RTC reading before it was never set (it starts at 2000 or 1970)
_ISO = "%sT%02d:%02d:%02d.%03d%s"


class WallClock:
    """Civil time as a day number and the ms into that day: small integers for ever (an epoch
    in ms is a long int, which allocates on every operation), advanced by tick differences.
    The date text is made once a day."""

    __slots__ = ("day", "ms", "_date_day", "_date", "_zone_offset", "_zone")

    def __init__(self, epoch_ms):
        self.day, self.ms = divmod(epoch_ms, DAY_MS)
        self._date_day = None
        self._date = ""
        self._zone_offset = None
        self._zone = "Z"

    def advance(self, step_ms):
        ms = self.ms + step_ms
        if ms >= DAY_MS or ms < 0:
            days, ms = divmod(ms, DAY_MS)
            self.day += days
        self.ms = ms

    def is_set(self):
        return self.day >= CLOCK_SET_DAY

    def epoch_ms(self):
        return self.day * DAY_MS + self.ms

    def iso(self, offset_s=None):
        """2026-11-25T21:39:54.123Z, or with offset_s (seconds east of UTC) 2026-11-25T14:39:54.123-07:00."""
        day = self.day
        ms = self.ms
        if offset_s:
            ms += offset_s * 1000
            if ms >= DAY_MS or ms < 0:
                days, ms = divmod(ms, DAY_MS)
                day += days
        if day != self._date_day:
            y, m, d = civil_from_days(day)
            self._date = "%04d-%02d-%02d" % (y, m, d)
            self._date_day = day
        if offset_s != self._zone_offset:
            self._zone_offset = offset_s
            if offset_s is None:
                self._zone = "Z"
            else:
                off = -offset_s if offset_s < 0 else offset_s
                self._zone = "%s%02d:%02d" % ("-" if offset_s < 0 else "+", off // 3600, off // 60 % 60)
        secs = ms // 1000
        return _ISO % (self._date, secs // 3600, secs // 60 % 60, secs % 60, ms % 1000, self._zone)


def iso8601(epoch_ms, offset_s=None):
    """2026-11-25T21:39:54.123Z, or with offset_s: 2026-11-25T14:39:54.123-07:00."""
    return WallClock(epoch_ms).iso(offset_s)
