"""Timestamps with integers only: floats on the board are 32-bit, so an epoch second as a float is wrong.

Time zones (POSIX TZ rules) are in core/posixtz.py.
"""

MODES = ("none", "ms since start", "epoch s", "epoch ms", "ISO8601", "ISO8601+TZ")


def days_from_civil(y, m, d):
    """Days since 1970-01-01 (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


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


def _two(n):
    return ("0" + str(n)) if n < 10 else str(n)


def iso8601(epoch_ms, offset_s=None):
    """2026-11-25T21:39:54.123Z, or with offset_s: 2026-11-25T14:39:54.123-07:00."""
    local_ms = epoch_ms + (offset_s or 0) * 1000
    secs, ms = divmod(local_ms, 1000)
    days, sod = divmod(secs, 86400)
    y, mo, d = civil_from_days(days)
    text = (str(y) + "-" + _two(mo) + "-" + _two(d) + "T" + _two(sod // 3600) + ":"
            + _two(sod // 60 % 60) + ":" + _two(sod % 60) + "." + str(1000 + ms)[1:])
    if offset_s is None:
        return text + "Z"
    sign = "-" if offset_s < 0 else "+"
    off = -offset_s if offset_s < 0 else offset_s
    return text + sign + _two(off // 3600) + ":" + _two(off // 60 % 60)
