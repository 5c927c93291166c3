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
