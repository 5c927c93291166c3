"""Import and construct gate for the CircuitPython firmware.

Usage:  python tools/gate_imports.py [ROOT]      (ROOT defaults to the repo root)

Parses every firmware file (code.py, boot.py, core/**/*.py, plugins/**/*.py)
with `ast` and checks every import, wherever it is (functions, try blocks):
it must name one of our own modules that exists as a file, a module built into
CircuitPython 10 on an ESP32-S3 (BUILTINS below), or a top-level module shipped
by a distribution listed in ROOT/requirements.txt (mapped through the installed
distribution's RECORD / top_level.txt; run this with the project venv's python).
`typing`-only modules are accepted only inside `try: ... except ImportError:`.

It also flags constructs that CPython accepts but CircuitPython does not run:
`match`, `except*`, positional-only parameters, `{**d}`, f-string `{x=}`,
str.removeprefix/removesuffix, time.monotonic() and ModuleNotFoundError.

Prints one `file:line: what: reason` per violation; exit status 1 if any.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import sys
import tokenize
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OWN_PACKAGES = ("core", "plugins")

# Built-in modules of CircuitPython 10 on an ESP32-S3 without PSRAM. Source: the
# "Included modules" line of circuitpython-stubs' board_definitions/
# espressif_esp32s3_devkitc_1_n8/__init__.pyi (tests/test_gates.py checks this
# list against it), minus the private `_asyncio`, `_bleio`, `_eve`, `_pixelmap`,
# plus `gc` and `micropython`, which are part of the core and not listed there.
# Not here on purpose: asyncio (a library: adafruit-circuitpython-asyncio),
# __future__ (CircuitPython has it, the MicroPython 1.27 VM used for host tests
# does not, and annotations are ignored anyway), and anything CPython-only.
BUILTINS = frozenset("""
    adafruit_bus_device adafruit_pixelbuf aesio alarm analogbufio analogio array
    atexit audiobusio audiocore audioi2sin audiomixer audiomp3 binascii bitbangio
    bitmapfilter bitmaptools board builtins busdisplay busio canio codeop
    collections countio digitalio displayio dualbank epaperdisplay errno espidf
    espnow espulp fontio fourwire framebufferio frequencyio gc getpass gifio
    hashlib i2cdisplaybus io ipaddress jpegio json keypad keypad_demux locale
    lvfontio math max3421e mdns memorymap microcontroller micropython msgpack
    neopixel_write nvm onewireio os paralleldisplaybus ps2io pulseio pwmio
    rainbowio random re rgbmatrix rotaryio rtc sdcardio sdioio select
    sharpdisplay socketpool ssl storage struct supervisor synthio sys terminalio
    tilepalettemapper time touchio traceback ulab usb usb_audio usb_cdc usb_hid
    usb_midi vectorio warnings watchdog wifi zlib
""".split())

# Submodules of built-ins, as circuitpython-stubs has them (<name>-stubs/<sub>/).
BUILTIN_SUBMODULES = frozenset("""
    adafruit_bus_device.i2c_device adafruit_bus_device.spi_device alarm.pin
    alarm.time alarm.touch ulab.numpy ulab.scipy ulab.user ulab.utils usb.core usb.util
""".split())

# Only for annotations; absent on the board, so only inside try/except ImportError.
TYPING_ONLY = frozenset({"typing", "typing_extensions", "circuitpython_typing"})

# Common CPython-only modules, for a clearer message.
CPYTHON_ONLY = frozenset("""
    abc argparse bisect contextlib copy csv dataclasses datetime decimal enum
    fractions functools glob heapq inspect itertools logging operator pathlib
    pickle queue shutil signal socket statistics string subprocess tempfile
    textwrap threading tomllib types unittest urllib uuid weakref
""".split())
SPECIAL = {
    "asyncio": "not built in: add adafruit-circuitpython-asyncio to requirements.txt",
    "__future__": "absent from the MicroPython 1.27 VM; annotations are ignored on the board anyway",
}

IMPORT_ERRORS = {"ImportError", "Exception", "BaseException"}


def firmware_files(root: Path) -> list[Path]:
    files = [root / n for n in ("code.py", "boot.py") if (root / n).is_file()]
    for pkg in OWN_PACKAGES:
        files += sorted(p for p in (root / pkg).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def requirement_modules(root: Path) -> tuple[dict[str, str], set[str], list[str]]:
    """Map top-level module -> distribution for ROOT/requirements.txt.

    Returns (top-level map, set of all dotted module names, problems)."""
    tops: dict[str, str] = {}
    dotted: set[str] = set()
    problems: list[str] = []
    req = root / "requirements.txt"
    if not req.is_file():
        return tops, dotted, problems
    for n, line in enumerate(req.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[\s\[<>=!~;@]", line, maxsplit=1)[0]
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req.name}:{n}: {name}: not installed in this venv; cannot map it to modules")
            continue
        for f in dist.files or ():
            parts = f.parts
            if parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".egg-info")) or "__pycache__" in parts:
                continue
            if f.suffix == ".py":
                mod = list(parts[:-1]) + ([] if f.stem == "__init__" else [f.stem])
                dotted.add(".".join(mod))
                tops[mod[0]] = name
        for top in (dist.read_text("top_level.txt") or "").split():
            tops.setdefault(top, name)
            dotted.add(top)
    return tops, dotted, problems


@functools.lru_cache(maxsize=None)
def venv_owners() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def venv_owner(top: str) -> str | None:
    return next(iter(venv_owners().get(top, [])), None)


def catches_import_error(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    return t is None or any(isinstance(e, ast.Name) and e.id in IMPORT_ERRORS for e in names)


def guarded_import_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes inside the body of a try that catches ImportError."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(catches_import_error(h) for h in node.handlers):
            for stmt in node.body:
                guarded.update(id(n) for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return guarded


def fstring_spans(source: str):
    """Yield (line, text) of every f-string literal (CPython 3.11 and 3.12+ tokenizers)."""
    depth, start = 0, None
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    pos = lambda lc: offsets[lc[0] - 1] + lc[1]  # noqa: E731
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        kind = tokenize.tok_name[tok.type]
        if kind == "STRING" and "f" in re.match(r"[A-Za-z]*", tok.string).group().lower():
            yield tok.start[0], tok.string
        elif kind == "FSTRING_START":
            depth += 1
            if depth == 1:
                start = tok.start
        elif kind == "FSTRING_END":
            depth -= 1
            if depth == 0:
                yield start[0], source[pos(start):pos(tok.end)]


def debug_fields(literal: str):
    """Yield line offsets (0-based) of `{expr=}` fields in one f-string literal."""
    m = re.match(r"[A-Za-z]*('''|\"\"\"|'|\")", literal)
    i, end = m.end(), len(literal) - len(m.group(1))
    while i < end:
        c = literal[i]
        if c == "\\":
            i += 2
            continue
        if c != "{":
            i += 1
            continue
        if literal.startswith("{{", i):
            i += 2
            continue
        j, depth, field_start = i + 1, 0, i
        while j < end:
            c = literal[j]
            if c in "'\"":  # nested string inside the expression
                close = literal.find(c, j + 1)
                j = (close if close != -1 else end) + 1
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}" and depth:
                depth -= 1
            elif depth == 0 and (c in ":}" or (c == "!" and literal[j + 1:j + 2] != "=")):
                break
            j += 1
        if literal[i + 1:j].rstrip().endswith("="):
            yield literal.count("\n", 0, field_start)
        # skip the conversion / format spec up to the matching close brace
        depth = 0
        while j < end and not (literal[j] == "}" and depth == 0):
            depth += {"{": 1, "}": -1}.get(literal[j], 0)
            j += 1
        i = j + 1


class Checker:
    def __init__(self, root: Path, req_tops: dict[str, str], req_dotted: set[str]):
        self.root, self.req_tops, self.req_dotted = root, req_tops, req_dotted
        self.out: list[tuple[str, int, str]] = []

    def flag(self, rel: str, line: int, what: str, reason: str) -> None:
        self.out.append((rel, line, f"{rel}:{line}: {what}: {reason}"))

    def own_exists(self, parts: list[str]) -> bool:
        p = self.root.joinpath(*parts)
        return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()

    def module_problem(self, name: str, guarded: bool) -> str | None:
        top = name.split(".")[0]
        if top in OWN_PACKAGES:
            return None if self.own_exists(name.split(".")) else "no such firmware module"
        if top in TYPING_ONLY:
            return None if guarded else "typing-only module: import it only inside try/except ImportError"
        if top in BUILTINS and (name == top or name in BUILTIN_SUBMODULES):
            return None
        if top in self.req_tops:
            return None if name in self.req_dotted else f"no such module in {self.req_tops[top]}"
        if top in BUILTINS:
            return "no such submodule in the CircuitPython built-in"
        if top in SPECIAL:
            return SPECIAL[top]
        if top in CPYTHON_ONLY:
            return "CPython-only module, not available on CircuitPython"
        owner = venv_owner(top)
        if owner:
            return f"not in requirements.txt (installed in the venv by {owner})"
        return "not a CircuitPython ESP32-S3 built-in, not in requirements.txt, not a firmware module"

    def check_file(self, path: Path) -> None:
        rel = path.relative_to(self.root).as_posix()
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source, filename=rel)
        except SyntaxError as e:
            self.flag(rel, e.lineno or 0, "syntax", str(e.msg))
            return
        package = list(path.relative_to(self.root).parent.parts)
        guarded = guarded_import_nodes(tree)
        time_names = {"time"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "time":
                        time_names.add(a.asname or "time")
                    why = self.module_problem(a.name, id(node) in guarded)
                    if why:
                        self.flag(rel, node.lineno, a.name, why)
            elif isinstance(node, ast.ImportFrom):
                self.check_from(rel, node, package, id(node) in guarded)
            elif isinstance(node, ast.Match):
                self.flag(rel, node.lineno, "match", "match statements are not supported by MicroPython")
            elif type(node).__name__ == "TryStar":
                self.flag(rel, node.lineno, "except*", "exception groups are not supported by MicroPython")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and node.args.posonlyargs:
                self.flag(rel, node.lineno, "positional-only parameters", "'/' in a parameter list is not supported")
            elif isinstance(node, ast.Dict) and None in node.keys:
                self.flag(rel, node.lineno, "{**d}", "dict unpacking in a display is not supported; use dict(d) + update()")
            elif isinstance(node, ast.Attribute) and node.attr in ("removeprefix", "removesuffix"):
                self.flag(rel, node.lineno, f".{node.attr}(", "str has no removeprefix/removesuffix in MicroPython")
            elif isinstance(node, ast.Name) and node.id == "ModuleNotFoundError":
                self.flag(rel, node.lineno, "ModuleNotFoundError", "not defined in MicroPython; catch ImportError")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "monotonic"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in time_names):
                self.flag(rel, node.lineno, "time.monotonic()",
                          "float seconds lose precision after hours; use time.monotonic_ns() or supervisor.ticks_ms()")
        for line, literal in fstring_spans(source):
            for off in debug_fields(literal):
                self.flag(rel, line + off, "f-string '='", "{expr=} differs on MicroPython (str() not repr(); `{x = }` is a SyntaxError)")

    def check_from(self, rel: str, node: ast.ImportFrom, package: list[str], guarded: bool) -> None:
        if node.level == 0:
            mod = node.module or ""
            why = self.module_problem(mod, guarded)
            if why:
                self.flag(rel, node.lineno, mod, why)
            elif mod == "time" and any(a.name == "monotonic" for a in node.names):
                self.flag(rel, node.lineno, "time.monotonic", "float seconds lose precision; use time.monotonic_ns()")
            elif mod.split(".")[0] in OWN_PACKAGES:
                self.check_own_names(rel, node, mod.split("."))
            return
        shown = "." * node.level + (node.module or "")
        if not package or node.level - 1 >= len(package):
            self.flag(rel, node.lineno, shown, "relative import outside a package")
            return
        base = package[: len(package) - (node.level - 1)]
        if node.module:
            target = base + node.module.split(".")
            if not self.own_exists(target):
                self.flag(rel, node.lineno, shown, f"no such firmware module ({'.'.join(target)})")
                return
            base = target
        self.check_own_names(rel, node, base)

    def check_own_names(self, rel: str, node: ast.ImportFrom, base: list[str]) -> None:
        """`from pkg import name`: name must be a submodule unless pkg has an __init__.py to define it."""
        if self.root.joinpath(*base, "__init__.py").is_file() or self.root.joinpath(*base).with_suffix(".py").is_file():
            return
        for a in node.names:
            if not self.own_exists(base + [a.name]):
                self.flag(rel, node.lineno, ".".join(base + [a.name]), "no such firmware module")


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    root = Path(argv[0]).resolve() if argv else REPO
    req_tops, req_dotted, problems = requirement_modules(root)
    checker = Checker(root, req_tops, req_dotted)
    files = firmware_files(root)
    for path in files:
        checker.check_file(path)
    for line in problems + [msg for _, _, msg in sorted(checker.out)]:
        print(line)
    if problems or checker.out:
        print(f"gate_imports: {len(problems) + len(checker.out)} violation(s)", file=sys.stderr)
        return 1
    print(f"gate_imports: {len(files)} firmware file(s) OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
