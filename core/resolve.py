"""Boot work: resolve each property as built-in default < settings.toml < saved settings.

Every bad input is named with its file, line or key and the reason; the default is used
instead and the logger keeps running. At most MAX_TOLD warnings are said per file, then how many
more there were: a file of garbage gives a screenful, not thousands of lines. What a message
echoes from a file is clipped and its control characters escaped (core.clip).
Released after boot (see core.app.release).
"""
import os

from core import savedfile, tomlenv
from core.clip import clip
from core.coerce import coerce
from core.settings import SAVED

TOML_PATH = "settings.toml"
MAX_JSON_BYTES = 16384  # the original's file is ~4 KB; a bigger one would only exhaust the heap
MAX_TOLD = 20  # warnings said per file; the rest are counted


class Told:
    """Says warnings about one file, at most MAX_TOLD; done() says how many more there were."""

    def __init__(self, say, name):
        self.say = say
        self.name = name
        self.count = 0

    def __call__(self, text):
        self.count += 1
        if self.count <= MAX_TOLD:
            self.say(text)

    def done(self):
        if self.count > MAX_TOLD:
            self.say(self.name + ": " + str(self.count - MAX_TOLD) + " more problems not shown")
        self.count = 0


def platform_getter():
    """The board's own settings reader: supervisor.get_setting (10.2+) or os.getenv."""
    try:
        import supervisor
        return supervisor.get_setting
    except (ImportError, AttributeError):
        import os
        return getattr(os, "getenv", None)


class Resolver:
    def __init__(self, settings, say, toml_path=TOML_PATH, getter=None):
        self.settings = settings
        self._say = Told(say, toml_path)
        self.saved_say = Told(say, SAVED)  # for load_saved, then for the saved values
        self._toml_path = toml_path
        self._saved_where = SAVED
        self.dropped = 0  # saved values that failed their check (left out of the next save)
        self._toml, self._lines, problems = tomlenv.read_file(toml_path)
        for line, key, reason in problems:
            self._say(self._where(line) + (clip(key) + ": " if key else "") + reason + "; ignored")
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

    def raw(self, key):
        """A settings.toml value as read, or None: for keys outside the schema (CIRCUITPY_*)."""
        return self._toml.get(key)

    def peek(self, prop):
        """The value from settings.toml or the default, before saved settings are known."""
        try:
            return coerce(prop, self._toml[prop.key]) if prop.key in self._toml else prop.default
        except ValueError:
            return prop.default

    def restore(self, sections, where):
        """Adopt saved {section: {name: raw}}; call before declaring what they override."""
        self.settings.saved = sections
        self._saved_where = where
        if where:
            self.saved_say.name = where

    def declare(self, props, origin=None):
        """Add properties to the settings (declared by module `origin`) and resolve their values now."""
        self.settings.declare(props, origin)
        for prop in props:
            if prop.kind != "action":  # an Action (core/schema.py) is no setting
                self._resolve(prop)

    def _resolve(self, prop):
        key = prop.key
        settings = self.settings
        toml_value = None
        if key in self._toml:
            try:
                toml_value = coerce(prop, self._toml[key])
                settings.values[key] = toml_value
                settings.sources[key] = self._toml_path + " line " + str(self._lines[key])
            except ValueError as err:
                self._say(self._where(self._lines[key]) + key + ": " + str(err)
                          + "; using " + settings.shown(prop, prop.default))
        raw = settings.saved.get(prop.section, {}).get(prop.name)
        if raw is None or prop.secret and raw == "":
            return  # the original writes secrets as "", which must not wipe a value
        try:
            saved_value = coerce(prop, raw)
        except ValueError as err:
            self.saved_say(self._saved_where + ": \"" + prop.section + "\"/\"" + prop.name + "\": " + str(err)
                           + "; ignored")
            del settings.saved[prop.section][prop.name]  # never saved back: it would warn on every start
            self.dropped += 1
            return
        if toml_value is not None and saved_value != toml_value:
            self._say(self._where(self._lines[key]) + key + " = " + clip(settings.shown(prop, toml_value))
                      + " is hidden by the saved value " + clip(settings.shown(prop, saved_value))
                      + " (!clear-settings forgets saved settings)")
        settings.values[key] = saved_value
        settings.sources[key] = SAVED

    def report_unknown(self):
        """Name settings.toml keys and saved properties that no loaded schema declares; then, per
        file, how many warnings were not shown. The last word on the settings at boot."""
        known = {}
        for prop in self.settings.props:
            known[prop.key] = True
            known[prop.section + "/" + prop.name] = True
        for key in sorted(self._toml):
            if key not in known and not key.startswith("CIRCUITPY_"):
                self._say(self._where(self._lines[key]) + clip(key)
                          + ": unknown key (no loaded plugin declares it); ignored")
        saved = self.settings.saved
        for section in sorted(saved):
            for name in sorted(saved[section]):
                if section + "/" + name not in known:
                    self.saved_say(self._saved_where + ": \"" + clip(section) + "\"/\"" + clip(name)
                                   + "\": unknown property (no loaded plugin declares it); kept, unused")
        self._say.done()
        self.saved_say.done()


def load_saved(nvm, sd_root, say, fallback_allowed):
    """Saved settings from the NVM image, else (if allowed) seeded once from datalogger.json.

    Returns (sections, where, seeded) where seeded means the caller should save back to NVM
    (and say where the settings came from). `say` is told each problem.
    """
    if nvm is not None:
        payload, reason = savedfile.nvm_payload(nvm)
        if payload is not None:
            sections, problems = savedfile.parse_json(_text_of(payload, "NVM settings", say), "NVM settings")
            for problem in problems:
                say(problem)
            return sections, "NVM settings", False
        if reason != "empty":
            say("NVM settings: " + reason + "; not used")
    if not fallback_allowed or sd_root is None:
        return {}, "", False
    path = sd_root + "/datalogger.json"
    try:
        size = os.stat(path)[6]
        if size > MAX_JSON_BYTES:
            say(path + ": " + str(size) + " bytes, more than the " + str(MAX_JSON_BYTES) + " a settings file needs; not read")
            return {}, "", False
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}, "", False
    sections, problems = savedfile.parse_json(_text_of(data, path, say), path)
    for problem in problems:
        say(problem)
    return sections, path, True


def _text_of(data, where, say):
    """A file's text; lines that are not UTF-8 are named and left out."""
    text, bad = tomlenv.decode_lines(data)
    for number in bad:
        say(where + " line " + str(number) + ": not UTF-8 text; skipped")
    return text
