"""Saved settings in the original firmware's shape: {"<Section>": {"<Property>": value}}.

Used for datalogger.json on the SD card and, behind a small checked header, for the NVM image.
A damaged file loses only its damaged keys: when the whole text is not valid JSON, each
`"Name": value` line of the pretty-printed file is read on its own, as the original writes one
property per line.
"""
import json

from core.clip import clip

NVM_MAGIC = b"DLv1"
_HEADER = 10  # magic, 2-byte length, 4-byte Adler-32


def parse_json(text, where):
    """Return ({section: {name: value}}, problems); problems are "where line N: reason" strings.

    A byte-order mark in front (as some editors save) is skipped."""
    if text[:1] == "\ufeff":
        text = text[1:]
    try:
        doc = loads(text)
    except ValueError:
        return _recover(text, where)
    if not isinstance(doc, dict):
        return {}, [where + ": expected a JSON object of sections"]
    problems = []
    out = {}
    for section in doc:
        body = doc[section]
        if isinstance(body, dict):
            out[section] = body
        else:
            problems.append(where + ": \"" + clip(section) + "\": expected an object of properties")
    return out, problems


def _recover(text, where):
    out = {}
    problems = [where + ": not valid JSON; reading it line by line"]
    section = None
    depth = 0
    number = 0
    for line in text.split("\n"):
        number += 1
        body = line.strip().rstrip(",").strip()
        if not body or body == "{":
            continue
        if body == "}":
            section = None
            continue
        name, rest = _quoted_name(body)
        if name is None:
            problems.append(where + " line " + str(number) + ": cannot read " + clip(body))
            continue
        rest = rest.strip()
        indent = len(line) - len(line.lstrip())
        # A "Name": { line indented deeper than its section's is a property value damaged into "{".
        if rest == "{" and (section is None or indent <= depth):
            section = name
            depth = indent
            out.setdefault(section, {})
            continue
        if section is None:
            problems.append(where + " line " + str(number) + ": \"" + clip(name) + "\" is outside any section")
            continue
        try:
            out[section][name] = loads(rest)
        except ValueError:
            problems.append(where + " line " + str(number) + ": \"" + clip(section) + "\"/\"" + clip(name)
                            + "\": bad value " + clip(rest))
    return out, problems


def loads(text):
    """Strict JSON: MicroPython's json.loads accepts damage such as {"a": 88 83} as {"a": 88}."""
    parser = _Strict(text)
    value = parser.value()
    parser.space()
    if parser.pos != len(text):
        parser.fail("unexpected text after the value")
    return value


class _Strict:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def fail(self, reason):
        raise ValueError("line " + str(self.text.count("\n", 0, self.pos) + 1) + ": " + reason)

    def space(self):
        text = self.text
        while self.pos < len(text) and text[self.pos] in " \t\r\n":
            self.pos += 1

    def value(self):
        self.space()
        text = self.text
        ch = text[self.pos:self.pos + 1]
        if ch == "{":
            return self.container("}", {})
        if ch == "[":
            return self.container("]", [])
        if ch == '"':
            return self.string()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, self.pos):
                self.pos += len(word)
                return value
        return self.number()

    def container(self, close, out):
        self.pos += 1
        self.space()
        if self.text[self.pos:self.pos + 1] == close:
            self.pos += 1
            return out
        while True:
            if close == "}":
                self.space()
                if self.text[self.pos:self.pos + 1] != '"':
                    self.fail("expected a quoted name")
                key = self.string()
                self.space()
                if self.text[self.pos:self.pos + 1] != ":":
                    self.fail("expected ':'")
                self.pos += 1
                out[key] = self.value()
            else:
                out.append(self.value())
            self.space()
            ch = self.text[self.pos:self.pos + 1]
            self.pos += 1
            if ch == close:
                return out
            if ch != ",":
                self.fail("expected ',' or '" + close + "'")

    def string(self):
        text = self.text
        start = self.pos
        self.pos += 1
        while True:
            end = self.pos
            while end < len(text) and text[end] != '"' and text[end] != "\\" and text[end] >= " ":
                end += 1
            if end >= len(text) or text[end] < " ":
                self.fail("unterminated string")
            if text[end] == '"':
                self.pos = end + 1
                return json.loads(text[start:self.pos])
            esc = text[end + 1:end + 2]
            if esc == "u":
                if not _hex4(text[end + 2:end + 6]):
                    self.fail("bad \\u escape")
                self.pos = end + 6
            elif esc and esc in '"\\/bfnrt':
                self.pos = end + 2
            else:
                self.fail("bad escape")

    def number(self):
        text = self.text
        start = self.pos
        if text[self.pos:self.pos + 1] == "-":
            self.pos += 1
        if self._digits() == 0:
            self.fail("expected a value")
        if text[start:self.pos].lstrip("-")[:1] == "0" and self.pos - start > 1 + (text[start] == "-"):
            self.fail("leading zero")
        fraction = text[self.pos:self.pos + 1] == "."
        if fraction:
            self.pos += 1
            if self._digits() == 0:
                self.fail("expected digits after '.'")
        if text[self.pos:self.pos + 1] in ("e", "E"):
            fraction = True
            self.pos += 1
            if text[self.pos:self.pos + 1] in ("+", "-"):
                self.pos += 1
            if self._digits() == 0:
                self.fail("expected an exponent")
        number = text[start:self.pos]
        return float(number) if fraction else int(number)

    def _digits(self):
        text = self.text
        start = self.pos
        while self.pos < len(text) and "0" <= text[self.pos] <= "9":
            self.pos += 1
        return self.pos - start


def _hex4(digits):
    if len(digits) != 4:
        return False
    for ch in digits:
        if ch not in "0123456789abcdefABCDEF":
            return False
    return True


def _quoted_name(body):
    """'"Name": rest' -> ("Name", "rest"), else (None, None)."""
    if body[:1] != '"':
        return None, None
    end = body.find('"', 1)
    while end > 0 and _escaped(body, end):
        end = body.find('"', end + 1)
    if end < 0:
        return None, None
    rest = body[end + 1:].strip()
    if rest[:1] != ":":
        return None, None
    try:
        name = json.loads(body[:end + 1])
    except ValueError:
        return None, None
    return name, rest[1:]


def _escaped(text, end):
    """True when the quote at `end` follows an odd run of backslashes ("a\\" ends at its quote)."""
    run = 0
    while end - run > 1 and text[end - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def dump_json(sections, order):
    """Pretty JSON, one property per line, sections and properties in `order` [(section, [names])]."""
    out = ["{"]
    for section, names in order:
        body = sections.get(section)
        if not body:
            continue
        if len(out) > 1:
            out[-1] += ","
        out.append("  " + json.dumps(section) + ": {")
        rows = []
        for name in names:
            if name in body:
                rows.append("    " + json.dumps(name) + ": " + json.dumps(body[name]))
        out.append(",\n".join(rows))
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


FILE = "datalogger.json"
MAX_FILE_BYTES = 16384  # the largest datalogger.json read (core.resolve) or pasted (!json-settings)


def _numbered(app, sections):
    """Pick-list values in {section: {name: value}} as their numbers, in place."""
    from core.coerce import stored
    for prop in app.settings.props:
        body = sections.get(prop.section)
        if prop.choices and body is not None and prop.name in body:
            body[prop.name] = stored(prop, body[prop.name])
    return sections


def save(app, quiet=False):
    """Write the saved settings to the NVM image (8 KiB, rewritten whole: only on change), and to
    sd/datalogger.json when Fallback Save is on. Returns a text for the menu, or None on failure."""
    from core.props import FALLBACK_SAVE

    if app.nvm is None:
        app.warn("no NVM on this board; settings not saved")
        return None
    sections = app.settings.saved_sections()
    image = nvm_image(dump_json(_numbered(app, sections), app.settings.order()).encode("utf-8"))
    if len(image) > len(app.nvm):
        longest = ("", 0)  # what to shorten: the longest text saved
        for section in sections:
            for name in sections[section]:
                value = sections[section][name]
                if isinstance(value, str) and len(value) > longest[1]:
                    longest = (section + "/" + name, len(value))
        app.warn("settings need " + str(len(image)) + " bytes; the NVM has " + str(len(app.nvm)) + ": not saved"
                 + (" (the longest value: " + longest[0] + ", " + str(longest[1]) + " characters)"
                    if longest[1] else ""))
        return None
    if bytes(app.nvm[0:len(image)]) == image:
        text = "Settings unchanged; NVM not rewritten"
    else:
        app.nvm[0:len(image)] = image
        text = "Settings saved to NVM (" + str(len(image)) + " bytes)"
    if not quiet:
        app.info(text)
    if app.settings.get(FALLBACK_SAVE):
        save_fallback(app)
    return text


def save_persistent(app):
    return save(app, True)


def effective(app, secrets):
    """Every declared setting's current value in the file's shape, with the saved sections no loaded
    plugin declares. Secrets: True writes them, False as "" (as the original), or a mask text."""
    from core.coerce import stored
    settings = app.settings
    out = settings.saved_sections()
    for prop in settings.props:
        value = settings.values[prop.key]
        if prop.secret and secrets is not True:
            value = "" if secrets is False or not value else secrets
        out.setdefault(prop.section, {})[prop.name] = stored(prop, value)
    return out


def save_fallback(app):
    """Write sd/datalogger.json in the original's format (enum numbers, secrets "" unless opted in)."""
    from core import sdcard
    from core.props import FALLBACK_SECRETS

    if not sdcard.mounted():
        raise OSError("no SD card: " + FILE + " not written")
    secrets = app.settings.get(FALLBACK_SECRETS)
    text = dump_json(effective(app, secrets), app.settings.order())
    path = sdcard.ROOT + "/" + FILE
    with open(path, "w") as f:
        f.write(text)
    said = "Settings written to " + sdcard.where(path) + " (" + str(len(text)) + " bytes)"
    if secrets:
        app.warn(FILE + " holds the passwords and keys: anyone holding the card can read them")
    else:
        said += "; passwords and keys written as \"\" (Secrets in Fallback is off)"
    app.info(said)
    return None


def apply(app, sections, where):
    """Adopt what is valid in {section: {name: raw}} as saved settings; name what is not.
    Returns the number of values applied."""
    from core.coerce import coerce
    from core.settings import SAVED

    settings = app.settings
    known = {}
    for prop in settings.props:
        known[prop.section + "/" + prop.name] = prop
    count = 0
    for section in sorted(sections):
        for name in sorted(sections[section]):
            raw = sections[section][name]
            prop = known.get(section + "/" + name)
            if prop is None:
                app.warn(where + ": \"" + clip(section) + "\"/\"" + clip(name) + "\": unknown property; ignored")
                continue
            if raw is None or prop.secret and raw == "":
                continue  # the original writes secrets as "": no value
            try:
                value = coerce(prop, raw)
            except ValueError as err:
                app.warn(where + ": \"" + section + "\"/\"" + name + "\": " + str(err) + "; not applied")
                continue
            settings.values[prop.key] = value
            settings.sources[prop.key] = SAVED
            settings.saved.setdefault(section, {})[name] = value
            count += 1
    return count


def read_file(path):
    """(sections, problems) from a settings file on the card."""
    import os

    size = os.stat(path)[6]
    if size > MAX_FILE_BYTES:
        return {}, [path + ": " + str(size) + " bytes, more than the " + str(MAX_FILE_BYTES) + " a settings file "
                    "needs; not read"]
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeError:
        return {}, [path + ": not UTF-8 text; not read"]
    return parse_json(text, path)


def restore_fallback(app):
    """Read sd/datalogger.json, apply what is valid, save it to the NVM."""
    from core import sdcard

    path = sdcard.ROOT + "/" + FILE
    try:
        sections, problems = read_file(path)
    except OSError:
        raise OSError("no " + path + " on the card")
    for problem in problems:
        app.warn(problem)
    count = apply(app, sections, path)
    app.info(str(count) + " value(s) restored from " + sdcard.where(path) + "; some take effect at the next start")
    save(app)
    return None


def clear(app):
    """Erase the NVM settings (one write, no old secret left): the next start reads datalogger.json
    again if Fallback Restore is on, as the original's Clear Settings."""
    if app.nvm is None:
        raise OSError("no NVM on this board")
    app.nvm[0:len(app.nvm)] = b"\xff" * len(app.nvm)
    return ("Saved settings cleared: settings.toml, the defaults (and " + FILE + " if Fallback Restore is on) "
            "apply from the next start")


def adler32(data):
    a = 1
    b = 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a


def nvm_image(payload):
    """Header + payload bytes for microcontroller.nvm."""
    n = len(payload)
    length = bytes(((n >> 8) & 0xFF, n & 0xFF))
    check = adler32(length + payload)  # the length is under the check too: a flipped length is caught
    return (NVM_MAGIC + length + bytes(((check >> 24) & 0xFF, (check >> 16) & 0xFF, (check >> 8) & 0xFF,
                                        check & 0xFF)) + payload)


def nvm_payload(image):
    """Payload bytes from an NVM image, or (None, reason)."""
    if bytes(image[:4]) != NVM_MAGIC:
        if bytes(image[:4]) in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"):
            return None, "empty"
        return None, "no settings header"
    n = (image[4] << 8) | image[5]
    if n > len(image) - _HEADER:
        return None, "length " + str(n) + " runs past the end"
    payload = bytes(image[_HEADER:_HEADER + n])
    check = (image[6] << 24) | (image[7] << 16) | (image[8] << 8) | image[9]
    if adler32(bytes(image[4:6]) + payload) != check:
        return None, "checksum mismatch"
    return payload, None
