"""Effective settings: built-in defaults < settings.toml < saved settings (NVM, seeded from the SD card).

Every value remembers where it came from, and every bad input is named with its file, line or
key and the reason; the default is used instead and the logger keeps running.
"""
from core import savedfile, tomlenv

TOML_PATH = "settings.toml"
DEFAULT = "default"
SAVED = "saved settings"


def platform_getter():
    """The board's own settings reader: supervisor.get_setting (10.2+) or os.getenv."""
    try:
        import supervisor
        return supervisor.get_setting
    except (ImportError, AttributeError):
        import os
        return getattr(os, "getenv", None)


class Settings:
    def __init__(self, say, toml_path=TOML_PATH, getter=None):
        self._say = say
        self._toml_path = toml_path
        self.values = {}
        self.sources = {}
        self.props = []  # declaration order, which the menu and the files keep
        self.saved = {}  # {section: {name: raw}} as restored
        self._saved_where = SAVED
        self._toml, self._lines, problems = tomlenv.read_file(toml_path)
        for line, key, reason in problems:
            self._say(self._where(line) + (key + ": " if key else "") + reason + "; ignored")
        if getter:
            # The board's reader decides the value; our parse only knows lines and mistakes.
            for key in self._toml:
                try:
                    value = getter(key)
                except ValueError:
                    value = None
                if value is not None:
                    self._toml[key] = value

    def _where(self, line):
        return self._toml_path + " line " + str(line) + ": "

    def peek(self, prop):
        """The value from settings.toml or the default, before saved settings are known."""
        try:
            return prop.coerce(self._toml[prop.key]) if prop.key in self._toml else prop.default
        except ValueError:
            return prop.default

    def declare(self, props):
        """Add properties and resolve their values now."""
        for prop in props:
            self.props.append(prop)
            self._resolve(prop)

    def _resolve(self, prop):
        key = prop.key
        value = prop.default
        source = DEFAULT
        toml_value = None
        if key in self._toml:
            try:
                toml_value = prop.coerce(self._toml[key])
                value = toml_value
                source = self._toml_path + " line " + str(self._lines[key])
            except ValueError as err:
                self._say(self._where(self._lines[key]) + key + ": " + str(err)
                          + "; using " + self.shown(prop, prop.default))
        raw = self.saved.get(prop.section, {}).get(prop.name)
        if raw is not None and not (prop.secret and raw == ""):
            try:
                saved_value = prop.coerce(raw)
                if toml_value is not None and saved_value != toml_value:
                    self._say(self._where(self._lines[key]) + key + " = " + self.shown(prop, toml_value)
                              + " is hidden by the saved value " + self.shown(prop, saved_value)
                              + " (!clear-settings forgets saved settings)")
                value = saved_value
                source = SAVED
            except ValueError as err:
                self._say(SAVED + ": \"" + prop.section + "\"/\"" + prop.name + "\": " + str(err) + "; ignored")
        self.values[key] = value
        self.sources[key] = source

    def restore(self, sections, where):
        """Adopt saved {section: {name: raw}}; unknown names are reported once props are declared."""
        self.saved = sections
        self._saved_where = where

    def report_unknown(self):
        """Name settings.toml keys and saved properties that no loaded schema declares."""
        known = {}
        named = {}
        for prop in self.props:
            known[prop.key] = True
            named[prop.section + "/" + prop.name] = True
        for key in sorted(self._toml):
            if key not in known and not key.startswith("CIRCUITPY_"):
                self._say(self._where(self._lines[key]) + key
                          + ": unknown key (no loaded plugin declares it); ignored")
        for section in sorted(self.saved):
            for name in sorted(self.saved[section]):
                if section + "/" + name not in named:
                    self._say(self._saved_where + ": \"" + section + "\"/\"" + name
                              + "\": unknown property (no loaded plugin declares it); kept, unused")

    def get(self, prop):
        return self.values[prop.key]

    def shown(self, prop, value):
        if prop.secret and value:
            return "****"
        if isinstance(value, str):
            return "\"" + value + "\""
        return str(value)

    def to_sections(self, include_secrets=True):
        """{section: {name: value}}: every declared property, over the saved ones no loaded
        plugin declares (so saving never drops, say, an unloaded plugin's AWS IoT block)."""
        out = {}
        for section in self.saved:
            out[section] = dict(self.saved[section])
        for prop in self.props:
            value = self.values[prop.key]
            if prop.secret and not include_secrets:
                value = ""
            out.setdefault(prop.section, {})[prop.name] = value
        return out

    def order(self):
        """[(section, [names])] in declaration order, then undeclared saved ones sorted:
        dicts on the board don't keep order."""
        out = []
        index = {}
        pairs = [(prop.section, prop.name) for prop in self.props]
        for section in sorted(self.saved):
            for name in sorted(self.saved[section]):
                pairs.append((section, name))
        for section, name in pairs:
            if section not in index:
                index[section] = len(out)
                out.append((section, []))
            names = out[index[section]][1]
            if name not in names:
                names.append(name)
        return out


def load_saved(nvm, sd_root, say, fallback_allowed):
    """Saved settings from the NVM image, else (if allowed) seeded once from datalogger.json.

    Returns (sections, where, seeded) where seeded means the caller should save back to NVM.
    """
    if nvm is not None:
        payload, reason = savedfile.nvm_payload(nvm)
        if payload is not None:
            sections, problems = savedfile.parse_json(payload.decode("utf-8"), "NVM settings")
            for problem in problems:
                say(problem)
            return sections, "NVM settings", False
        if reason != "empty":
            say("NVM settings: " + reason + "; not used")
    if not fallback_allowed or sd_root is None:
        return {}, "", False
    path = sd_root + "/datalogger.json"
    try:
        with open(path, "r") as f:
            text = f.read()
    except OSError:
        return {}, "", False
    sections, problems = savedfile.parse_json(text, path)
    for problem in problems:
        say(problem)
    say("Settings restored from " + path)
    return sections, path, True
