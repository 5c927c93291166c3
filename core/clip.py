"""User text fit for one console line: what a message echoes from a file or the keyboard.

Control characters are shown escaped (\\x1b, \\r, \\u200b), so an escape sequence, a carriage
return or an invisible character in a file cannot rewrite the terminal or hide in a message,
and long text is clipped with its length. Written without repr(), whose output differs between
MicroPython and CPython.
"""

LIMIT = 40
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clip(text, limit=LIMIT):
    """`text` with control and invisible characters escaped, cut to `limit` characters plus
    "... (N characters)" when longer."""
    n = len(text)
    head = text[:limit] if n > limit else text
    out = []
    for ch in head:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or _invisible(code):
            named = _NAMED.get(ch)
            out.append(named if named else ("\\x%02x" % code if code < 0x100 else "\\u%04x" % code))
        else:
            out.append(ch)
    if n > limit:
        out.append("... (" + str(n) + " characters)")
    return "".join(out)


def _invisible(code):
    """Zero-width and direction marks, line separators, the byte-order mark, and surrogates
    (which a terminal cannot even print)."""
    if code < 0x200B:
        return False
    return (code <= 0x200F or 0x2028 <= code <= 0x202E or 0x2060 <= code <= 0x206F
            or 0xD800 <= code <= 0xDFFF or code == 0xFEFF)
