# The Timestamp Modes used less often: the date-time and ISO week-date texts (modes 4, 5, 8, 9), and what
# boot and settings need to know of the modes. Imported only where needed and released afterwards, so the
# ISO8601 default costs none of this at run time. (Comments, not a docstring: it would stay on the heap.)
from core.timefmt import DAY_MS, civil_from_days

# The earlier short names, still read from settings.toml.
LEGACY = ("none", "ms since start", "epoch s", "epoch ms", "US date", "date", "ISO8601", "ISO8601+TZ",
          "ISO week", "ISO week+TZ")
# The time column's name follows the mode, as the original names it.
COLUMNS = ("", "Time (millis)", "Time (Epoch)", "Time ms (Epoch)", "Time", "Time", "Time", "Time", "Time", "Time")
ZONED = (4, 5, 7, 9)  # the modes that show local time


def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def date_text(mode, day, ms, offset_s):
    """Modes 4, 5, 8 and 9: "11-25-2026 14:39:54", "25-11-2026 14:39:54", "2026-W48-3T21:39:54Z",
    "2026-W48-3T14:39:54-07:00" (local time where the mode has a zone)."""
    if offset_s:
        ms += offset_s * 1000
        days, ms = divmod(ms, DAY_MS)
        day += days
    secs = ms // 1000
    clock = "%02d:%02d:%02d" % (secs // 3600, secs // 60 % 60, secs % 60)
    if mode == 4 or mode == 5:
        y, m, d = civil_from_days(day)
        return ("%02d-%02d-%04d " % ((m, d, y) if mode == 4 else (d, m, y))) + clock
    weekday = (day + 3) % 7 + 1  # 1970-01-01 was a Thursday; Monday is 1
    thursday = day - weekday + 4  # the week's Thursday decides its year
    year = civil_from_days(thursday)[0]
    week = (thursday - days_from_civil(year, 1, 1)) // 7 + 1
    if mode == 8 or offset_s is None:
        zone = "Z"
    else:
        off = -offset_s if offset_s < 0 else offset_s
        zone = "%s%02d:%02d" % ("-" if offset_s < 0 else "+", off // 3600, off // 60 % 60)
    return "%04d-W%02d-%dT" % (year, week, weekday) + clock + zone
