# Declared properties: the one schema every plugin writes once.
#
# A property is a (section, name) pair in the original firmware's words, e.g.
# ("AWS IoT", "Client Name"). Its settings.toml key, its JSON-file place, its menu line,
# its NVM slot and its shadow-delta path all derive from it (compare flux-sdk's flxProperty).
#
# Each property's doc is written beside it in its plugin file, but a Prop keeps no doc (None):
# the text lives only in the module's top-level code, which is freed once the import is done, so
# the docs cost no heap while the logger runs (~80 bytes a property). What needs them (the menu,
# tools/settings_doc.py) reads them with core.propdocs.docs(), which imports the module afresh
# with docs kept. The same on the PC as on the board, so both print the same.

from collections import namedtuple

BOOL = "bool"
INT = "int"
FLOAT = "float"
STR = "str"
ACTION = "action"  # a menu entry that runs a function: see Action()

_keep = [False]  # keep docs: only while core.propdocs reads them


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
    # One setting. `choices` (a tuple) makes it a pick-list; `low`/`high` bound numbers. `doc` is
    # kept only while _keep[0] (see above).
    return _Prop(section, name, kind, default, doc if _keep[0] else None, low, high, choices, secret,
                 key or settings_key(section, name))


# An action: a menu line that runs a function after a [Y/n] prompt (Save to Fallback, Reset Sample
# Counter, Clear saved settings...). Declare it with Action() in a plugin's PROPERTIES (or in core/app.py's
# CORE_PROPERTIES), in its section, like any property. It is no setting: Settings.declare keeps it
# apart in settings.actions (not settings.props), so it has no settings.toml key, NVM slot or JSON entry;
# the menu shows it on its section's page after the settings, as "N) Name - doc", asks
# "Name? [Y/n]" (Enter is yes) and then calls run(app).
# - `run` is a function of the app, or a "module:function" string imported only when the action
#   runs (and released afterwards: its code costs no heap the rest of the time).
# - run(app) returns a short text the menu prints ("[I] " + text), or None; an exception is caught and
#   printed as a warning, the menu stays open.
# - Stored as a _Prop (kind ACTION, the runner in `default`), so pages treat it like any line.
# - Its doc is kept only while _keep[0], as a Prop's (the menu reads it with core.propdocs.docs()).
def Action(section, name, doc, run):
    return _Prop(section, name, ACTION, run, doc if _keep[0] else None, None, None, None, False, settings_key(section, name))
