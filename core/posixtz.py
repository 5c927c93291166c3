"""POSIX TZ rules ("MST7MDT,M3.2.0,M11.1.0"), as the original's Time Zone setting takes them.

Imported only for the ISO8601+TZ timestamp mode.
"""
from core.timefmt import civil_from_days


def days_from_civil(y, m, d):
    """Days since 1970-01-01 (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class PosixTZ:
    """A POSIX TZ rule with optional DST by Mm.w.d rules. utc_offset(epoch_s) gives seconds east of UTC."""

    def __init__(self, text):
        self.text = text
        pos, self.std_name = _tz_name(text, 0)
        pos, west = _tz_offset(text, pos, True)
        self.std = -west
        self.dst = None
        self.rules = ((3, 2, 0, 7200), (11, 1, 0, 7200))  # used only when there is a DST name
        if pos < len(text):
            pos, self.dst_name = _tz_name(text, pos)
            self.dst = self.std + 3600
            if pos < len(text) and text[pos] != ",":
                pos, west = _tz_offset(text, pos, True)
                self.dst = -west
            if pos < len(text):
                parts = text[pos + 1:].split(",") if text[pos] == "," else []
                if len(parts) != 2:
                    raise ValueError("expected ,start,end rules after the DST name")
                self.rules = (_tz_rule(parts[0]), _tz_rule(parts[1]))

    def utc_offset(self, epoch_s):
        if self.dst is None:
            return self.std
        year = civil_from_days(epoch_s // 86400)[0]
        start = _transition(year, self.rules[0], self.std)
        end = _transition(year, self.rules[1], self.dst)
        if start < end:
            return self.dst if start <= epoch_s < end else self.std
        return self.std if end <= epoch_s < start else self.dst


def _tz_name(text, pos):
    if text[pos:pos + 1] == "<":
        end = text.find(">", pos)
        if end < 0:
            raise ValueError("unterminated <name>")
        return end + 1, text[pos + 1:end]
    end = pos
    while end < len(text) and text[end].isalpha():
        end += 1
    if end - pos < 3:
        raise ValueError("zone name needs 3+ letters at position " + str(pos + 1))
    return end, text[pos:end]


def _tz_offset(text, pos, required):
    """[+-]hh[:mm[:ss]] -> seconds, as written (POSIX: positive is west of Greenwich)."""
    sign = 1
    if text[pos:pos + 1] in ("+", "-"):
        sign = -1 if text[pos] == "-" else 1
        pos += 1
    total = 0
    scale = 3600
    for _ in range(3):
        end = pos
        while end < len(text) and text[end].isdigit():
            end += 1
        if end == pos:
            if scale == 3600 and required:
                raise ValueError("expected an hour offset at position " + str(pos + 1))
            break
        total += int(text[pos:end]) * scale
        pos = end
        scale //= 60
        if pos < len(text) and text[pos] == ":" and scale >= 1:
            pos += 1
        else:
            break
    if total > 25 * 3600:
        raise ValueError("offset beyond 24 h")
    return pos, sign * total


def _tz_rule(part):
    """'Mm.w.d[/time]' -> (m, w, d, seconds)."""
    when = 7200
    if "/" in part:
        part, clock = part.split("/", 1)
        when = _tz_offset(clock, 0, True)[1]
    if part[:1] != "M":
        raise ValueError("only Mm.w.d transition rules are supported, got " + part)
    fields = part[1:].split(".")
    if len(fields) != 3:
        raise ValueError("expected Mm.w.d, got " + part)
    m, w, d = int(fields[0]), int(fields[1]), int(fields[2])
    if not (1 <= m <= 12 and 1 <= w <= 5 and 0 <= d <= 6):
        raise ValueError("Mm.w.d out of range: " + part)
    return m, w, d, when


def _transition(year, rule, offset_before):
    """UTC epoch second of a rule's transition, given the local offset in force before it."""
    m, w, d, when = rule
    first = days_from_civil(year, m, 1)
    weekday = (first + 4) % 7  # 1970-01-01 was a Thursday; 0 = Sunday
    day = first + (d - weekday) % 7 + (w - 1) * 7
    if w == 5:
        nxt = days_from_civil(year + (m == 12), m % 12 + 1, 1)
        while day >= nxt:
            day -= 7
    return day * 86400 + when - offset_before
