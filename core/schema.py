# Declared properties: the one schema every plugin writes once.
#
# A property is a (section, name) pair in the original firmware's words, e.g.
# ("AWS IoT", "Client Name"). Its settings.toml key, its JSON-file place, its menu line,
# its NVM slot and its shadow-delta path all derive from it (compare flux-sdk's flxProperty).

from collections import namedtuple

BOOL = "bool"
INT = "int"
FLOAT = "float"
STR = "str"


def settings_key(section, name):
    # UPPER_SNAKE key: every run of non-alphanumerics becomes one "_".
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


# A tuple, not a class instance: MicroPython gives every instance a dict (~160 bytes for ten
# fields), and there are dozens of properties resident for the whole run.
_Prop = namedtuple("_Prop", ("section", "name", "kind", "default", "doc", "low", "high", "choices",
                            "secret", "key"))


def Prop(section, name, kind, default, doc, low=None, high=None, choices=None, secret=False, key=None):
    # One setting. `choices` (a tuple) makes it a pick-list; `low`/`high` bound numbers.
    return _Prop(section, name, kind, default, doc, low, high, choices, secret,
                 key or settings_key(section, name))
