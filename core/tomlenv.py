"""settings.toml, read with the semantics of CircuitPython 10's os.getenv / supervisor.get_setting.

The subset: `KEY = value` lines and `#` comments at root level; double-quoted strings with the
escapes \\b \\t \\n \\f \\r \\" \\\\ \\uXXXX \\UXXXXXXXX; integers as C strtol reads them (0x
works, a leading 0 means octal, no 0o, 0b or _); `true`/`false`. Values after a [table] header
are invisible to CircuitPython, so they are reported, not read. The first of duplicate keys wins,
as on the board. Floats must be written as strings: 10.2's get_setting has no floats.
A UTF-8 byte-order mark (which some editors put first) hides line 1 from the board, whose reader
compares a key's first byte with it; the rest of the file reads as usual, so here too.
"""
from core.clip import clip

_HEX = "0123456789abcdefABCDEF"
BOM_SKIPS = ("the file starts with a byte-order mark (an invisible mark some editors add) and CircuitPython"
             " skips the line it is on; save the file as UTF-8 without BOM, or start it with a comment line")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def parse(text):
    """Return (values, lines, problems).

    values: {key: str | int | bool}; lines: {key: line number};
    problems: [(line number, key or "", reason)] in file order.
    """
    values = {}
    lines = {}
    problems = []
    first = {}
    in_table = None
    number = 0
    bom = text[:1] == "\ufeff"
    for line in text.split("\n"):
        number += 1
        body = line.strip()
        if number == 1 and bom:
            body = body[1:].strip()
            if body and body[0] != "#":
                key = body.split("=")[0].strip() if "=" in body else ""
                problems.append((number, key, BOM_SKIPS))
            continue
        if not body or body[0] == "#":
            continue
        if body[0] == "[":
            in_table = "[" + clip(body[1:].split("]")[0]) + "]"
            continue
        eq = body.find("=")
        if eq < 1:
            problems.append((number, "", "expected KEY = value"))
            continue
        key = body[:eq].strip()
        if not _bare_key(key):
            problems.append((number, key, "a key is letters, digits and _ (no quotes, no dots)"))
            continue
        if in_table:
            problems.append((number, key, "after the table " + in_table + "; CircuitPython reads only keys before the first table"))
            continue
        if key in first:
            problems.append((number, key, "duplicate key; CircuitPython uses the first, on line " + str(first[key])))
            continue
        # The board stops at the first line of a key, even when its value is unreadable.
        first[key] = number
        try:
            value = _value(body[eq + 1:].strip())
        except ValueError as err:
            problems.append((number, key, str(err)))
            continue
        values[key] = value
        lines[key] = number
    return values, lines, problems


def _bare_key(key):
    if not key:
        return False
    for ch in key:
        if not (ch.isalpha() or ch.isdigit() or ch == "_" or ch == "-"):
            return False
    return True


def _value(src):
    if not src:
        raise ValueError("missing value")
    first = src[0]
    if first == '"':
        if src.startswith('"""'):
            raise ValueError("triple-quoted strings are not supported by CircuitPython")
        text, rest = _string(src)
        _tail(rest)
        return text
    if first == "'":
        raise ValueError("CircuitPython reads only double-quoted strings")
    token = src.split("#")[0].strip()
    if token == "true":
        return True
    if token == "false":
        return False
    return _strtol(token)


def _tail(rest):
    rest = rest.strip()
    if rest and rest[0] != "#":
        raise ValueError("unexpected text after the value: " + clip(rest))


def _string(src):
    """The string after the opening quote, and the text after its closing quote. Runs between
    escapes are copied whole: a long value costs a few slices, not a step per character."""
    out = []
    i = 1
    quote = src.find('"', i)
    while quote >= 0:
        slash = src.find("\\", i, quote)
        if slash < 0:
            out.append(src[i:quote])
            return "".join(out), src[quote + 1:]
        out.append(src[i:slash])
        i = slash + 1
        esc = src[i]  # there is one: the quote, at the latest
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
        elif esc == "u" or esc == "U":
            width = 4 if esc == "u" else 8
            digits = src[i + 1:i + 1 + width]
            if len(digits) != width or not _all_in(digits, _HEX):
                raise ValueError("bad \\" + esc + " escape: needs " + str(width) + " hex digits")
            out.append(chr(int(digits, 16)))
            i += width
        else:
            raise ValueError("unknown escape \\" + clip(esc))
        i += 1
        if i > quote:  # that quote was escaped (or inside a \\u escape's digits)
            quote = src.find('"', i)
    raise ValueError("unterminated string (missing closing \")")


def _strtol(token):
    """An integer as C strtol(s, NULL, 0) accepts it; anything else is an error, as on the board."""
    sign = 1
    body = token
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body[:2] in ("0x", "0X"):
        base = 16
        digits = body[2:]
        allowed = _HEX
    elif len(body) > 1 and body[0] == "0":
        base = 8
        digits = body[1:]
        allowed = "01234567"
    else:
        base = 10
        digits = body
        allowed = "0123456789"
    if digits and _all_in(digits, allowed):
        return sign * int(digits, base)
    if _looks_float(token):
        token = clip(token)
        raise ValueError("unquoted number " + token + " is not an integer; write floats as strings: \"" + token + "\"")
    raise ValueError("unquoted value " + clip(token) + " is neither an integer nor true/false; quote strings with \"")


def _all_in(text, allowed):
    for ch in text:
        if ch not in allowed:
            return False
    return True


def _looks_float(token):
    if not _all_in(token, "0123456789+-.eE") or not ("." in token or "e" in token or "E" in token):
        return False
    try:
        float(token)
        return True
    except ValueError:
        return False


def read_file(path):
    """parse() a file; a missing file means no values. Undecodable bytes are reported by line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}, {}, []
    text, bad = decode_lines(data)
    values, lines, problems = parse(text)
    if bad:
        problems = sorted([(number, "", "not UTF-8 text") for number in bad] + problems)
    return values, lines, problems


def decode_lines(data):
    """(text, [numbers of the lines that are not UTF-8, left out as empty lines])."""
    try:
        return data.decode("utf-8"), []
    except UnicodeError:
        pass
    good = []
    bad = []
    number = 0
    for raw in data.split(b"\n"):
        number += 1
        try:
            good.append(raw.decode("utf-8"))
        except UnicodeError:
            good.append("")
            bad.append(number)
    return "\n".join(good), bad
