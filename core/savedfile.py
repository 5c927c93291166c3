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


def save(app):
    """Write the saved settings to the NVM image (8 KiB, rewritten whole: only on change)."""
    if app.nvm is None:
        app.warn("no NVM on this board; settings not saved")
        return False
    image = nvm_image(dump_json(app.settings.saved_sections(), app.settings.order()).encode("utf-8"))
    if len(image) > len(app.nvm):
        app.warn("settings need " + str(len(image)) + " bytes; the NVM has " + str(len(app.nvm)))
        return False
    app.nvm[0:len(image)] = image
    app.info("Settings saved to NVM (" + str(len(image)) + " bytes)")
    return True


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
