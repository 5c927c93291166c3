"""Declared properties: the one schema every plugin writes once.

A property is a (section, name) pair in the original firmware's words, e.g.
("AWS IoT", "Client Name"). Its settings.toml key, its JSON-file place, its menu line,
its NVM slot and its shadow-delta path all derive from it (compare flux-sdk's flxProperty).
"""

BOOL = "bool"
INT = "int"
FLOAT = "float"
STR = "str"


def settings_key(section, name):
    """UPPER_SNAKE key: every run of non-alphanumerics becomes one "_"."""
    out = []
    gap = False
    for ch in section + " " + name if section else name:
        if ch.isalpha() or ch.isdigit():
            if gap and out:
                out.append("_")
            out.append(ch.upper())
            gap = False
        else:
            gap = True
    return "".join(out)


class Prop:
    """One setting. `choices` (a tuple) makes it a pick-list; `low`/`high` bound numbers."""

    __slots__ = ("section", "name", "kind", "default", "doc", "low", "high", "choices",
                 "secret", "key")

    def __init__(self, section, name, kind, default, doc, low=None, high=None, choices=None,
                 secret=False, key=None):
        self.section = section
        self.name = name
        self.kind = kind
        self.default = default
        self.doc = doc
        self.low = low
        self.high = high
        self.choices = choices
        self.secret = secret
        self.key = key or settings_key(section, name)

    def coerce(self, raw):
        """Return the value for `raw` (as settings.toml, a JSON file or the NVM gives it).

        Raises ValueError with a reason a user can act on.
        """
        kind = self.kind
        if kind == BOOL:
            if raw is True or raw is False:
                return raw
            if raw == 1 or raw == 0:
                return raw == 1
            if isinstance(raw, str):
                low = raw.strip().lower()
                if low in ("1", "true"):
                    return True
                if low in ("0", "false"):
                    return False
            raise ValueError("expected 0/1 or \"true\"/\"false\", got " + _show(raw))
        if kind == STR:
            if not isinstance(raw, str):
                raise ValueError("expected a quoted string, got " + _show(raw))
            # Credentials pasted from a web page often carry a stray \r or blanks (see the original's issues).
            value = raw.strip()
            if self.choices:
                for choice in self.choices:
                    if choice.lower() == value.lower():
                        return choice
                raise ValueError("expected one of " + ", ".join(self.choices) + "; got " + _show(raw))
            return value
        if kind == INT:
            if raw is True or raw is False:
                raise ValueError("expected an integer, got " + _show(raw))
            if isinstance(raw, int):
                value = raw
            elif isinstance(raw, str):
                try:
                    value = int(raw.strip())
                except ValueError:
                    raise ValueError("expected an integer, got " + _show(raw))
            elif isinstance(raw, float) and raw - raw == 0 and raw == int(raw):  # inf - inf and NaN are NaN
                value = int(raw)
            else:
                raise ValueError("expected an integer, got " + _show(raw))
        elif kind == FLOAT:
            if raw is True or raw is False:
                raise ValueError("expected a number, got " + _show(raw))
            try:
                value = float(raw.strip() if isinstance(raw, str) else raw)
            except (ValueError, TypeError, OverflowError):
                raise ValueError("expected a number (write floats as strings: \"0.5\"), got " + _show(raw))
            if value - value != 0:  # NaN passes every range check; inf is no setting
                raise ValueError("expected a finite number, got " + _show(raw))
        else:
            raise ValueError("unknown property kind " + kind)
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ValueError("out of range " + str(self.low) + ".." + str(self.high) + ": " + _show(raw))
        return value

    def describe_range(self):
        if self.choices:
            return " | ".join(self.choices)
        if self.low is not None or self.high is not None:
            return str(self.low) + ".." + str(self.high)
        if self.kind == BOOL:
            return "0/1"
        return ""


def _show(raw):
    if isinstance(raw, str):
        text = repr(raw)
        return text if len(text) <= 40 else text[:37] + "..."
    return str(raw)
