"""Reading a property's value from text or JSON: what settings.toml, the JSON file, the NVM and
(later) the menu and the shadow delta hand in. Imported at boot and released after it.
"""
from core.schema import BOOL, FLOAT, INT, STR


# The numbers the original stores for a pick-list, where they are not 0, 1, 2...: its Rotate Period is
# kept in hours (flux-sdk flxFileRotate).
NUMBERS = {"DATA_FILE_ROTATE_PERIOD": (6, 12, 24, 48, 168)}


def numbers_of(prop):
    return NUMBERS.get(prop.key) or tuple(range(len(prop.choices)))


def stored(prop, value):
    """A value as the original stores it: a pick-list's value as its number ("Timestamp Mode": 6)."""
    if prop.choices and value in prop.choices:
        return numbers_of(prop)[prop.choices.index(value)]
    return value


def coerce(prop, raw):
    """Return the value for `raw` (as settings.toml, a JSON file or the NVM gives it).

    Raises ValueError with a reason a user can act on.
    """
    kind = prop.kind
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
        raise ValueError("expected 0/1 or \"true\"/\"false\", got " + _show(prop, raw))
    if kind == STR:
        if prop.choices and isinstance(raw, int) and not isinstance(raw, bool):
            # The original stores a pick-list's value as its number ("Timestamp Mode": 6).
            numbers = numbers_of(prop)
            if raw in numbers:
                return prop.choices[numbers.index(raw)]
            raise ValueError("expected one of the numbers " + ", ".join([str(n) for n in numbers]) + ", got "
                             + str(raw))
        if not isinstance(raw, str):
            raise ValueError("expected a quoted string, got " + _show(prop, raw))
        # Credentials pasted from a web page often carry a stray \r or blanks (see the original's issues).
        value = raw.strip()
        if prop.choices:
            for choice in prop.choices:
                if choice.lower() == value.lower():
                    return choice
            if prop.choices[0] == "No Timestamp":  # the earlier short names of the Timestamp Mode
                from core.datefmt import LEGACY
                for i in range(len(LEGACY)):
                    if LEGACY[i].lower() == value.lower():
                        return prop.choices[i]
            words = ", ".join(prop.choices)
            if len(words) > 100:  # the ten Timestamp Modes: name the ends, the rest are in the README
                words = (str(len(prop.choices)) + " labels from \"" + prop.choices[0] + "\" to \"" + prop.choices[-1]
                         + "\", or their numbers")
            raise ValueError("expected one of " + words + "; got " + _show(prop, raw))
        return value
    if kind == INT:
        if raw is True or raw is False:
            raise ValueError("expected an integer, got " + _show(prop, raw))
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str):
            try:
                value = int(raw.strip())
            except ValueError:
                raise ValueError("expected an integer, got " + _show(prop, raw))
        elif isinstance(raw, float) and raw - raw == 0 and raw == int(raw):  # inf - inf and NaN are NaN
            value = int(raw)
        else:
            raise ValueError("expected an integer, got " + _show(prop, raw))
    elif kind == FLOAT:
        if raw is True or raw is False:
            raise ValueError("expected a number, got " + _show(prop, raw))
        try:
            value = float(raw.strip() if isinstance(raw, str) else raw)
        except (ValueError, TypeError, OverflowError):
            raise ValueError("expected a number (write floats as strings: \"0.5\"), got " + _show(prop, raw))
        if value - value != 0:  # NaN passes every range check; inf is no setting
            raise ValueError("expected a finite number, got " + _show(prop, raw))
    else:
        raise ValueError("unknown property kind " + kind)
    if prop.low is not None and value < prop.low or prop.high is not None and value > prop.high:
        raise ValueError("out of range " + str(prop.low) + ".." + str(prop.high) + ": " + _show(prop, raw))
    return value

def describe_range(prop):
    if prop.choices:
        return " | ".join(prop.choices)
    if prop.low is not None or prop.high is not None:
        return str(prop.low) + ".." + str(prop.high)
    if prop.kind == BOOL:
        return "0/1"
    return ""


def _show(prop, raw):
    # A secret's value is never shown, whatever its type (a password written without quotes is a number).
    if prop.secret:
        return "****"
    if isinstance(raw, str):
        from core.clip import clip  # escapes control characters (repr() lets C1 bytes through on MicroPython)
        return '"' + clip(raw) + '"'
    return str(raw)
