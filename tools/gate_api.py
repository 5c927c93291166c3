"""API gate: firmware may use only what the MicroPython 1.27 VM (CircuitPython 10's base) really has.

Usage:  python tools/gate_api.py [ROOT]        check the firmware of ROOT (default: the repo)
        python tools/gate_api.py --regenerate  rewrite tools/vm_api.json from the VM (make vm-api)

tools/vm_api.json is generated, never edited by hand: `dir()` inside the VM (tools/mpvm.py, no host
stand-ins, no frozen micropython-lib extras) for every built-in module CircuitPython also has and for
the built-in types, plus the CPython keyword arguments the VM's built-in callables reject (each one
probed: the call runs in CPython and fails in the VM). `time`, `os` and `hashlib` are recorded with
CircuitPython's API instead (CP_MODULES below): the VM's utime/uos/hashlib differ from CircuitPython's.
Hardware modules (board, busio, ...) are left to tools/gate_mypy.py and circuitpython-stubs.

The check parses every firmware file (gate_imports.firmware_files) with `ast` and flags:
- `from M import name` and `M.name` (also getattr/hasattr(M, "name")) where M is a recorded module
  that has no `name`;
- attributes the VM's type lacks, used on a value whose type can be inferred (literals, f-strings,
  str()/int()/... calls, %-formatting, string methods, simple local variables, `except E as e`);
  and, on any value, the methods that NO built-in type has in the VM (zfill, ljust, isalnum,
  bit_length, removeprefix, ...), also as getattr/hasattr strings, unless one of our own classes, a
  requirements.txt library or a CircuitPython built-in class defines that name (`self.split`);
- keyword arguments the VM's built-in callables reject (`print(..., flush=True)`);
- integer time: `time.monotonic` referenced at all (alias, value, `from time import monotonic`),
  `monotonic_ns()` divided with `/`, `time.time()` multiplied or divided (float ms);
- a keyword argument before `*args` (`f(key=1, *args)`): MicroPython 1.27 passes the arguments wrongly.

Prints one `file:line: what: reason` per violation; exit status 1 if any.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"
DATA = TOOLS / "vm_api.json"
sys.path.insert(0, str(TOOLS))
import gate_imports  # noqa: E402  (firmware_files, BUILTINS, requirement_modules)

# The built-in types whose attributes are recorded (type and instance, union).
TYPES = ("str", "bytes", "bytearray", "int", "float", "list", "dict", "tuple", "set", "frozenset",
         "memoryview", "object", "BaseException", "Exception")

# CircuitPython's own API where it differs from the VM's built-in module (source: CircuitPython 10's
# shared-bindings/time and shared-bindings/os docs; host/vm/time.py and host/vm/os.py stand in for them
# in the VM; hashlib from circuitpython-stubs' hashlib-stubs, read at regeneration).
CP_MODULES = {
    "time": ["localtime", "mktime", "monotonic", "monotonic_ns", "sleep", "struct_time", "time"],
    "os": ["chdir", "getcwd", "getenv", "listdir", "mkdir", "remove", "rename", "rmdir", "sep", "stat",
           "statvfs", "sync", "uname", "urandom", "utime"],
}
CP_STUB_MODULES = ("hashlib",)

# CPython keyword arguments of built-in callables, probed in the VM: (callable, keyword, a call that
# CPython runs). A keyword is recorded as rejected when the call raises in the VM.
KEYWORD_PROBES = [
    ("print", "flush", "print('', end='', flush=True)"),
    ("print", "sep", "print('', end='', sep='')"),
    ("print", "file", "print('', end='', file=sys.stdout)"),
    ("sorted", "key", "sorted([1], key=abs)"),
    ("sorted", "reverse", "sorted([1], reverse=True)"),
    ("min", "key", "min([1], key=abs)"),
    ("min", "default", "min([], default=0)"),
    ("max", "key", "max([1], key=abs)"),
    ("max", "default", "max([], default=0)"),
    ("sum", "start", "sum([1], start=0)"),
    ("enumerate", "start", "enumerate([1], start=1)"),
    ("round", "ndigits", "round(1.5, ndigits=0)"),
    ("pow", "mod", "pow(2, 3, mod=5)"),
    ("zip", "strict", "list(zip([1], [2], strict=True))"),
    ("int", "base", "int('7', base=8)"),
    ("str", "object", "str(object=1)"),
    ("str", "encoding", "str(b'a', encoding='utf-8')"),
    ("str", "errors", "str(b'a', 'utf-8', errors='strict')"),
    ("bytes", "encoding", "bytes('a', encoding='utf-8')"),
    ("bytes", "errors", "bytes('a', 'utf-8', errors='strict')"),
    ("bytearray", "encoding", "bytearray('a', encoding='utf-8')"),
    ("memoryview", "object", "memoryview(object=b'a')"),
    ("property", "fget", "property(fget=len)"),
    ("property", "doc", "property(len, doc='x')"),
    ("open", "mode", "open('p.txt', mode='w').close()"),
    ("open", "buffering", "open('p.txt', 'w', buffering=-1).close()"),
    ("open", "encoding", "open('p.txt', 'w', encoding='utf-8').close()"),
    ("open", "errors", "open('p.txt', 'w', errors='strict').close()"),
    ("open", "newline", "open('p.txt', 'w', newline='').close()"),
    ("open", "closefd", "open('p.txt', 'w', closefd=True).close()"),
    ("int.to_bytes", "length", "(1).to_bytes(length=2, byteorder='big')"),
    ("int.to_bytes", "byteorder", "(1).to_bytes(2, byteorder='big')"),
    ("int.to_bytes", "signed", "(1).to_bytes(2, 'big', signed=True)"),
    ("int.from_bytes", "byteorder", "int.from_bytes(b'a', byteorder='big')"),
    ("int.from_bytes", "signed", "int.from_bytes(b'a', 'big', signed=True)"),
    ("str.split", "sep", "'a b'.split(sep=' ')"),
    ("str.split", "maxsplit", "'a b'.split(maxsplit=1)"),
    ("str.rsplit", "sep", "'a b'.rsplit(sep=' ')"),
    ("str.rsplit", "maxsplit", "'a b'.rsplit(maxsplit=1)"),
    ("str.splitlines", "keepends", "'a'.splitlines(keepends=True)"),
    ("str.encode", "encoding", "'a'.encode(encoding='utf-8')"),
    ("str.encode", "errors", "'a'.encode('utf-8', errors='strict')"),
    ("bytes.decode", "encoding", "b'a'.decode(encoding='utf-8')"),
    ("bytes.decode", "errors", "b'a'.decode('utf-8', errors='strict')"),
    ("bytearray.decode", "encoding", "bytearray(b'a').decode(encoding='utf-8')"),
    ("bytearray.decode", "errors", "bytearray(b'a').decode('utf-8', errors='strict')"),
    ("bytes.split", "sep", "b'a b'.split(sep=b' ')"),
    ("bytes.split", "maxsplit", "b'a b'.split(maxsplit=1)"),
    ("bytes.splitlines", "keepends", "b'a'.splitlines(keepends=True)"),
    ("bytes.hex", "sep", "b'ab'.hex(sep=':')"),
    ("list.sort", "key", "[1].sort(key=abs)"),
    ("list.sort", "reverse", "[1].sort(reverse=True)"),
    ("json.dumps", "indent", "json.dumps([1], indent=1)"),
    ("json.dumps", "separators", "json.dumps([1], separators=(',', ':'))"),
    ("json.dumps", "sort_keys", "json.dumps([1], sort_keys=True)"),
    ("json.dumps", "ensure_ascii", "json.dumps([1], ensure_ascii=False)"),
    ("json.dumps", "default", "json.dumps([1], default=str)"),
    ("json.dumps", "allow_nan", "json.dumps([1], allow_nan=True)"),
    ("json.dumps", "skipkeys", "json.dumps([1], skipkeys=True)"),
    ("json.dump", "indent", "json.dump([1], io.StringIO(), indent=1)"),
    ("json.dump", "separators", "json.dump([1], io.StringIO(), separators=(',', ':'))"),
    ("json.dump", "sort_keys", "json.dump([1], io.StringIO(), sort_keys=True)"),
    ("json.dump", "ensure_ascii", "json.dump([1], io.StringIO(), ensure_ascii=False)"),
    ("json.loads", "object_hook", "json.loads('{}', object_hook=dict)"),
    ("json.loads", "object_pairs_hook", "json.loads('{}', object_pairs_hook=dict)"),
    ("json.loads", "parse_float", "json.loads('1.5', parse_float=float)"),
    ("json.loads", "parse_int", "json.loads('1', parse_int=int)"),
    ("json.load", "object_hook", "json.load(io.StringIO('{}'), object_hook=dict)"),
    ("json.load", "object_pairs_hook", "json.load(io.StringIO('{}'), object_pairs_hook=dict)"),
    ("re.compile", "flags", "re.compile('a', flags=0)"),
    ("re.match", "flags", "re.match('a', 'a', flags=0)"),
    ("re.search", "flags", "re.search('a', 'a', flags=0)"),
    ("re.sub", "count", "re.sub('a', 'b', 'a', count=1)"),
    ("re.sub", "flags", "re.sub('a', 'b', 'a', flags=0)"),
    ("collections.namedtuple", "defaults", "collections.namedtuple('P', 'a b', defaults=(1,))"),
    ("collections.namedtuple", "rename", "collections.namedtuple('P', 'a b', rename=True)"),
    ("collections.deque", "iterable", "collections.deque(iterable=())"),
    ("collections.deque", "maxlen", "collections.deque((), maxlen=3)"),
    ("math.isclose", "rel_tol", "math.isclose(1.0, 1.0, rel_tol=0.1)"),
    ("math.isclose", "abs_tol", "math.isclose(1.0, 1.0, abs_tol=0.1)"),
    ("binascii.b2a_base64", "newline", "binascii.b2a_base64(b'a', newline=False)"),
    ("binascii.hexlify", "sep", "binascii.hexlify(b'ab', sep=':')"),
]

# Runs inside the VM: prints the API as one JSON line.
VM_SCRIPT = r"""
import sys, io, json, re, collections, math, binascii
mods = {}
for m in %(modules)r:
    try:
        mods[m] = sorted(dir(__import__(m)))
    except ImportError:
        pass
samples = {"str": "x", "bytes": b"x", "bytearray": bytearray(1), "int": 5, "float": 1.5, "list": [1],
           "dict": {1: 2}, "tuple": (1,), "set": {1}, "frozenset": frozenset(), "memoryview": memoryview(b"x"),
           "object": object(), "BaseException": BaseException(1), "Exception": Exception(1)}
types = {}
for name in %(types)r:
    v = samples[name]
    types[name] = sorted(set(dir(type(v))) | set(dir(v)))
rejected = {}
for fn, kw, call in %(probes)r:
    try:
        exec(call)
    except Exception as e:
        rejected.setdefault(fn, {})[kw] = "%%s: %%s" %% (type(e).__name__, e)
print("VMAPI" + json.dumps({"version": sys.version, "modules": mods, "types": types, "rejected": rejected}))
"""


def stub_names(module: str) -> list[str]:
    """Top-level names of circuitpython-stubs' <module>-stubs/__init__.pyi."""
    site = Path(gate_imports.metadata.distribution("circuitpython-stubs").locate_file(""))
    tree = ast.parse((site / f"{module}-stubs" / "__init__.pyi").read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return sorted(n for n in names if not n.startswith("_"))


def regenerate() -> dict:
    """Ask the VM (and CPython, to prove each probe is a valid CPython call); return the data."""
    from mpvm import run

    check = ("import sys, io, json, re, collections, math, binascii\n"
             "for fn, kw, call in %r:\n"
             "    try:\n        exec(call)\n"
             "    except Exception as e:\n        print('%%s(%%s=): %%r' %% (fn, kw, e))\n" % KEYWORD_PROBES)
    with tempfile.TemporaryDirectory() as tmp:  # the open() probes write p.txt in the cwd
        proc = subprocess.run([sys.executable, "-c", check], cwd=tmp, capture_output=True, text=True)
    if proc.returncode or proc.stdout:
        raise SystemExit(f"gate_api: probes that fail in CPython too (fix KEYWORD_PROBES):\n{proc.stdout}{proc.stderr}")
    script = VM_SCRIPT % {"modules": sorted(gate_imports.BUILTINS), "types": list(TYPES),
                          "probes": KEYWORD_PROBES}
    rc, out = run(script, stubs=False, frozen=False)
    line = next((x for x in out.splitlines() if x.startswith("VMAPI")), None)
    if rc or line is None:
        raise SystemExit(f"gate_api: the VM run failed (rc {rc}):\n{out}")
    data = json.loads(line[len("VMAPI"):])
    sources = {m: "MicroPython 1.27 VM dir()" for m in data["modules"]}
    for m, names in CP_MODULES.items():
        data["modules"][m] = sorted(names)
        sources[m] = "CircuitPython API (gate_api.CP_MODULES)"
    for m in CP_STUB_MODULES:
        data["modules"][m] = stub_names(m)
        sources[m] = "CircuitPython API (circuitpython-stubs)"
    data["sources"] = sources
    return data


def dump(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


@functools.lru_cache(maxsize=None)
def load() -> dict:
    return json.loads(DATA.read_text())


# ---------------------------------------------------------------------------------------- inference

# What methods of the built-in types return (CPython semantics; enough to follow a chain).
SAME = "same"
RETURNS = {
    "str": dict({m: "str" for m in "capitalize casefold center expandtabs format format_map join ljust lower lstrip "
                 "replace rjust rstrip strip swapcase title translate upper zfill removeprefix removesuffix".split()},
                split="list", rsplit="list", splitlines="list", partition="tuple", rpartition="tuple",
                count="int", find="int", index="int", rfind="int", rindex="int", encode="bytes"),
    "bytes": dict({m: "bytes" for m in "center join lower lstrip replace rstrip strip upper".split()},
                  decode="str", hex="str", split="list", rsplit="list", count="int", find="int"),
    "bytearray": {"decode": "str", "hex": "str", "split": "list", "count": "int", "find": "int"},
    "int": {"to_bytes": "bytes", "from_bytes": "int", "bit_length": "int"},
    "list": {"copy": "list", "count": "int", "index": "int"},
    "dict": {"copy": "dict"},
    "set": {m: "set" for m in "copy difference intersection symmetric_difference union".split()},
    "tuple": {"count": "int", "index": "int"},
}
CALL_TYPES = dict({n: n for n in ("str", "int", "float", "bytes", "bytearray", "list", "dict", "tuple", "set",
                                  "frozenset", "memoryview")},
                  repr="str", chr="str", hex="str", oct="str", bin="str", ascii="str", format="str", input="str",
                  len="int", ord="int", hash="int", id="int", sorted="list", divmod="tuple", object="object")
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
          ast.DictComp, ast.GeneratorExp)
INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr,
           ast.BitXor)


def bound_names(tree: ast.AST) -> set[str]:
    """Every name the file binds anywhere (so `str`, `print` or `json` may not be what they seem)."""
    out: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
    return out


class Scope:
    """Types of a function's (or the module's) simple locals: names every assignment gives one type."""

    def __init__(self, infer, body: list[ast.stmt], params: set[str], exc_type: str | None):
        self.types: dict[str, str | None] = {}
        assigns: dict[str, list[ast.expr]] = {}
        unknown = set(params)
        followed: set[int] = set()  # the Name targets of `x = ...` / `x += ...`
        for node in self.own_nodes(body):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigns.setdefault(node.targets[0].id, []).append(node.value)
                followed.add(id(node.targets[0]))
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                assigns.setdefault(node.target.id, []).append(
                    ast.BinOp(left=ast.Name(id=node.target.id, ctx=ast.Load()), op=node.op, right=node.value))
                followed.add(id(node.target))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                if exc_type and self.builtin_exception(node.type):
                    assigns.setdefault(node.name, []).append(ast.Name(id="__exception__", ctx=ast.Load()))
                else:
                    unknown.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and id(node) not in followed:
                unknown.add(node.id)  # for/with targets, unpacking, walrus, del: not followed
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                unknown.update(node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                unknown.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                unknown.update((a.asname or a.name).split(".")[0] for a in node.names)
        for name in unknown:
            assigns.pop(name, None)
        self.assigns = assigns
        self.clock: dict[str, set[str]] = {}  # which clock -> locals holding its value (Checker.clock_vars)
        self.types = {name: None for name in assigns}
        for _ in range(3):  # a few rounds settle chains like a = "x"; b = a + "y"
            for name, values in assigns.items():
                found = {infer(v, self) for v in values}
                self.types[name] = found.pop() if len(found) == 1 else None

    @staticmethod
    def builtin_exception(t: ast.expr | None) -> bool:
        names = t.elts if isinstance(t, ast.Tuple) else [t]
        return t is not None and all(isinstance(n, ast.Name) and isinstance(getattr(builtins, n.id, None), type)
                                     and issubclass(getattr(builtins, n.id), BaseException) for n in names)

    @staticmethod
    def own_nodes(body: list[ast.stmt]):
        """Nodes of this scope; nested functions, classes, lambdas, comprehensions are yielded, not entered."""
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, SCOPES):
                stack.extend(ast.iter_child_nodes(node))

    def get(self, name: str) -> str | None:
        return self.types.get(name)


# ------------------------------------------------------------------------------------------ checks

@functools.lru_cache(maxsize=None)
def cp_builtin_class_members() -> frozenset[str]:
    """Names CircuitPython's own built-in classes define (circuitpython-stubs), e.g. busio.I2C's."""
    site = Path(gate_imports.metadata.distribution("circuitpython-stubs").locate_file(""))
    out: set[str] = set()
    for m in gate_imports.BUILTINS:
        for p in (site / f"{m}-stubs").rglob("*.pyi"):
            try:
                out |= class_members(ast.parse(p.read_text()))
            except SyntaxError:
                pass  # PEP 695 syntax (micropython-stubs' `def const[T]`) on an older CPython: no classes there
    return frozenset(out)


def class_members(tree: ast.AST) -> set[str]:
    """Methods and attributes a module's classes define, and every attribute it assigns (obj.x = ...)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    out.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    out.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    out.update(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
    return out


def library_members(root: Path) -> set[str]:
    """class_members of every module of the libraries in ROOT/requirements.txt."""
    tops, _, _ = gate_imports.requirement_modules(root)
    out: set[str] = set()
    for top in tops:
        spec = importlib.util.find_spec(top)
        if spec is None:
            continue
        paths = [Path(p) for p in spec.submodule_search_locations or []]
        files = [f for p in paths for f in p.rglob("*.py")] or ([Path(spec.origin)] if spec.origin else [])
        for f in files:
            try:
                out |= class_members(ast.parse(f.read_text(encoding="utf-8")))
            except (SyntaxError, UnicodeDecodeError, OSError):
                pass
    return out


class Checker:
    def __init__(self, root: Path, files: list[Path]):
        data = load()
        self.root = root
        self.modules = {m: set(names) for m, names in data["modules"].items()}
        self.sources = data["sources"]
        self.types = {t: set(names) for t, names in data["types"].items()}
        self.rejected = data["rejected"]
        # Methods no built-in type has in the VM: CPython's public attributes of the same types minus
        # everything the VM's types have (dunders excepted: the VM's dir() does not list special methods).
        vm_all = set().union(*self.types.values())
        cp_all = {a for t in TYPES for a in dir(getattr(builtins, t)) if not a.startswith("_")}
        self.missing_everywhere = cp_all - vm_all
        self.trees: dict[Path, ast.AST] = {}
        own: set[str] = set()
        for path in files:
            try:
                self.trees[path] = ast.parse(path.read_text(encoding="utf-8"))
            except SyntaxError:
                continue  # gate_imports and gate_mpycross report it
            own |= class_members(self.trees[path])
        self.defined_elsewhere = own | library_members(root) | cp_builtin_class_members()
        self.out: list[tuple[str, int, str]] = []

    def flag(self, line: int, what: str, reason: str) -> None:
        self.out.append((self.rel, line, f"{self.rel}:{line}: {what}: {reason}"))

    # -- inference --------------------------------------------------------------------------------
    def infer(self, e: ast.expr, scope: Scope | None) -> str | None:
        if isinstance(e, ast.Constant):
            if isinstance(e.value, bool) or e.value is None:
                return None
            return type(e.value).__name__ if type(e.value).__name__ in self.types else None
        if isinstance(e, ast.JoinedStr):
            return "str"
        if isinstance(e, (ast.List, ast.ListComp)):
            return "list"
        if isinstance(e, (ast.Dict, ast.DictComp)):
            return "dict"
        if isinstance(e, (ast.Set, ast.SetComp)):
            return "set"
        if isinstance(e, ast.Tuple):
            return "tuple"
        if isinstance(e, ast.Name):
            if e.id == "__exception__":
                return "BaseException"
            return scope.get(e.id) if scope else None
        if isinstance(e, ast.IfExp):
            a, b = self.infer(e.body, scope), self.infer(e.orelse, scope)
            return a if a == b else None
        if isinstance(e, ast.Subscript):
            t = self.infer(e.value, scope)
            if t == "str":
                return "str"
            if t in ("bytes", "bytearray", "list", "tuple") and isinstance(e.slice, ast.Slice):
                return t
            return "int" if t in ("bytes", "bytearray") else None
        if isinstance(e, ast.BinOp):
            left, right = self.infer(e.left, scope), self.infer(e.right, scope)
            if isinstance(e.op, ast.Mod) and left in ("str", "bytes"):
                return left  # %-formatting
            if isinstance(e.op, ast.Add) and "str" in (left, right):
                return "str"
            if isinstance(e.op, ast.Add) and left == right and left in ("bytes", "list", "tuple"):
                return left
            if isinstance(e.op, ast.Mult) and {left, right} in ({"str", "int"}, {"list", "int"}, {"bytes", "int"}):
                return (left if left != "int" else right)
            if left == right == "int":
                return "int" if isinstance(e.op, INT_OPS) else ("float" if isinstance(e.op, ast.Div) else None)
            return None
        if isinstance(e, ast.Call):
            f = e.func
            if isinstance(f, ast.Name) and f.id in CALL_TYPES and f.id not in self.bound:
                if f.id == "str" and len(e.args) > 1:
                    return "str"
                return CALL_TYPES[f.id]
            if isinstance(f, ast.Name) and f.id == "round" and f.id not in self.bound and len(e.args) == 1:
                return "int"
            if isinstance(f, ast.Attribute):
                t = self.receiver_type(f.value, scope)
                return RETURNS.get(t or "", {}).get(f.attr)
        return None

    def receiver_type(self, e: ast.expr, scope: Scope | None) -> str | None:
        """The type of a value an attribute is read from; `str.x` (the class itself) counts as str."""
        if isinstance(e, ast.Name) and e.id in self.types and e.id not in self.bound and isinstance(
                getattr(builtins, e.id, None), type):
            return e.id
        return self.infer(e, scope)

    # -- the file walk ----------------------------------------------------------------------------
    def check_file(self, path: Path) -> None:
        self.rel = path.relative_to(self.root).as_posix()
        tree = self.trees.get(path)
        if tree is None:
            return
        # module aliases bound only by `import M [as x]` (a name also bound any other way is not followed)
        imported: dict[str, str] = {}
        from_names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname or "." not in a.name:
                        imported[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom):
                from_names.update(a.asname or a.name for a in node.names)
                self.check_from(node)
        assigned = bound_names(tree) | from_names
        self.mods = {alias: m for alias, m in imported.items() if m in self.modules and alias not in assigned}
        self.bound = assigned | set(imported)  # names that may shadow a builtin (print, str, open...)
        # names that are a clock function: `from time import monotonic_ns [as x]`, `_ns = time.monotonic_ns`
        self.clock_names: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "time":
                for a in node.names:
                    self.clock_names[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                v = node.value
                if (isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and self.mods.get(v.value.id) == "time"
                        and v.attr in ("monotonic_ns", "time")):  # an alias of time.monotonic is flagged itself
                    self.clock_names[node.targets[0].id] = v.attr
                elif isinstance(v, ast.Name) and v.id in self.clock_names:
                    self.clock_names[node.targets[0].id] = self.clock_names[v.id]
        self.walk_scope(tree.body, set())

    def walk_scope(self, body: list[ast.stmt], params: set[str]) -> None:
        scope = Scope(self.infer, body, params, "BaseException")
        for node in Scope.own_nodes(body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
                names |= {a.arg for a in (args.vararg, args.kwarg) if a}
                self.walk_scope(node.body if isinstance(node.body, list) else [ast.Expr(node.body)], names)
                for d in list(getattr(node, "decorator_list", [])) + list(args.defaults) + [
                        d for d in args.kw_defaults if d is not None]:
                    self.walk_expr(d, scope)
            elif isinstance(node, ast.ClassDef):
                self.walk_scope(node.body, set())
                for d in node.decorator_list + node.bases:
                    self.walk_expr(d, scope)
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                self.walk_expr(node, None)
            else:
                self.check_node(node, scope)

    def walk_expr(self, e: ast.AST, scope: Scope | None) -> None:
        for node in ast.walk(e):
            if isinstance(node, (ast.Lambda, ast.FunctionDef)):
                continue
            self.check_node(node, scope)

    def check_node(self, node: ast.AST, scope: Scope | None) -> None:
        if isinstance(node, ast.Attribute):
            self.check_attr(node, node.value, node.attr, scope, f".{node.attr}")
        elif isinstance(node, ast.Call):
            self.check_call(node, scope)
        elif isinstance(node, ast.BinOp):
            self.check_clock_arith(node, scope)
        elif isinstance(node, ast.Name) and self.clock_names.get(node.id) == "monotonic":
            self.flag(node.lineno, "monotonic", "a float clock (from time import monotonic); use time.monotonic_ns() "
                      "or adafruit_ticks.ticks_ms()")

    def module_missing(self, mod: str, name: str) -> str:
        src = self.sources.get(mod, "")
        who = "CircuitPython's" if src.startswith("CircuitPython") else "MicroPython 1.27's"
        return f"{who} {mod} has no {name} (tools/vm_api.json)"

    def check_from(self, node: ast.ImportFrom) -> None:
        if node.level or node.module not in self.modules:
            return
        for a in node.names:
            if a.name != "*" and a.name not in self.modules[node.module]:
                self.flag(node.lineno, f"from {node.module} import {a.name}", self.module_missing(node.module, a.name))
            elif node.module == "time" and a.name == "monotonic":
                self.flag(node.lineno, "from time import monotonic", "a float clock; use time.monotonic_ns() or "
                          "adafruit_ticks.ticks_ms()")

    def check_attr(self, node: ast.AST, value: ast.expr, attr: str, scope: Scope | None, shown: str) -> None:
        line = node.lineno
        if isinstance(value, ast.Name) and value.id in self.mods:
            mod = self.mods[value.id]
            if attr not in self.modules[mod]:
                self.flag(line, f"{mod}.{attr}", self.module_missing(mod, attr))
            elif mod == "time" and attr == "monotonic":
                self.flag(line, "time.monotonic", "a float clock (seconds as a 32-bit float on the board) by any "
                          "route; use time.monotonic_ns() or adafruit_ticks.ticks_ms()")
            return
        if attr.startswith("__"):
            return  # the VM's dir() does not list special methods
        t = self.receiver_type(value, scope)
        if t is not None:
            if attr not in self.types[t]:
                self.flag(line, shown, f"MicroPython 1.27's {t} has no {attr}")
        elif attr in self.missing_everywhere and attr not in self.defined_elsewhere:
            self.flag(line, shown, f"no built-in type has {attr} in MicroPython 1.27 (CPython only)")

    def check_call(self, node: ast.Call, scope: Scope | None) -> None:
        f = node.func
        # getattr(x, "name") / hasattr(x, "name") read an attribute too
        if (isinstance(f, ast.Name) and f.id in ("getattr", "hasattr") and f.id not in self.bound
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)):
            name = node.args[1].value
            self.check_attr(node, node.args[0], name, scope, f'{f.id}(..., "{name}")')
        # call order: a keyword before *args
        starred = [a for a in node.args if isinstance(a, ast.Starred)]
        for kw in node.keywords:
            if kw.arg is not None and any((kw.lineno, kw.col_offset) < (s.lineno, s.col_offset) for s in starred):
                self.flag(kw.lineno, f"{kw.arg}=... before *args", "MicroPython 1.27 passes the arguments "
                          "wrongly (swapped or TypeError); put *args before the keywords")
                break
        # keywords the VM rejects
        keys = self.callable_keys(f, scope)
        for kw in node.keywords:
            if kw.arg is None or not keys:
                continue
            reasons = [self.rejected.get(k, {}).get(kw.arg) for k in keys]
            if all(reasons):
                shown = keys[0] if len(keys) == 1 else "." + keys[0].split(".", 1)[1]
                self.flag(node.lineno, f"{shown}({kw.arg}=...)", f"MicroPython 1.27 rejects this keyword "
                          f"({reasons[0]})")
        # integer time: time.monotonic_ns()/... is handled in check_clock_arith

    def callable_keys(self, f: ast.expr, scope: Scope | None) -> list[str]:
        """Keys of self.rejected the callee may be: ["print"], ["json.dumps"], ["str.split", "bytes.split"]."""
        if isinstance(f, ast.Name):
            return [f.id] if f.id not in self.bound and hasattr(builtins, f.id) else []
        if not isinstance(f, ast.Attribute):
            return []
        if isinstance(f.value, ast.Name) and f.value.id in self.mods:
            return [f"{self.mods[f.value.id]}.{f.attr}"]
        t = self.receiver_type(f.value, scope)
        if t is not None:
            return [f"{t}.{f.attr}"]
        if f.attr in self.defined_elsewhere:
            return []
        # unknown receiver: only when every built-in type with this method rejects the keyword
        return [k for k in self.rejected if k.split(".")[0] in self.types and k.split(".", 1)[-1] == f.attr]

    # -- integer time -----------------------------------------------------------------------------
    def is_clock_call(self, e: ast.AST, which: str) -> bool:
        if not isinstance(e, ast.Call):
            return False
        f = e.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and self.mods.get(f.value.id) == "time":
            return f.attr == which
        return isinstance(f, ast.Name) and self.clock_names.get(f.id) == which

    def contains_clock(self, e: ast.AST, which: str, scope: Scope | None) -> bool:
        """True when e computes with the clock's value: a call, or a local that holds one
        (`t0 = time.monotonic_ns()`); an int()/round() around it ends the float."""
        if self.is_clock_call(e, which):
            return True
        if isinstance(e, ast.Name) and scope is not None:
            return e.id in self.clock_vars(scope, which)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in ("int", "round", "len", "str"):
            return False
        return any(self.contains_clock(c, which, scope) for c in ast.iter_child_nodes(e))

    def clock_vars(self, scope: Scope, which: str) -> set[str]:
        if which not in scope.clock:
            scope.clock[which] = found = set()
            for _ in range(3):  # t0 = monotonic_ns(); t1 = t0 + 5
                found |= {name for name, values in scope.assigns.items()
                          if any(self.contains_clock(v, which, scope) for v in values)}
        return scope.clock[which]

    def check_clock_arith(self, node: ast.BinOp, scope: Scope | None) -> None:
        ns = [self.contains_clock(x, "monotonic_ns", scope) for x in (node.left, node.right)]
        floats = [isinstance(x, ast.Constant) and isinstance(x.value, float) for x in (node.right, node.left)]
        if any(ns) and (isinstance(node.op, ast.Div) or (isinstance(node.op, ast.Mult) and any(
                f and n for f, n in zip(floats, ns)))):
            self.flag(node.lineno, "monotonic_ns() / ...", "true division (or a float factor) gives a float, "
                      "32-bit on the board; use // for integer ms")
        if isinstance(node.op, (ast.Mult, ast.Div)) and (self.contains_clock(node.left, "time", scope)
                                                         or self.contains_clock(node.right, "time", scope)):
            self.flag(node.lineno, "time.time() arithmetic", "float arithmetic on the clock (time.time() is a float "
                      "on CPython; a float on the board loses ms); use int(time.time()) * 1000")


def main(argv: list[str]) -> int:
    if argv == ["--regenerate"]:
        DATA.write_text(dump(regenerate()))
        print(f"gate_api: wrote {DATA.relative_to(REPO)}")
        return 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    root = Path(argv[0]).resolve() if argv else REPO
    if not DATA.is_file():
        print(f"gate_api: {DATA} is missing; run `make vm-api`", file=sys.stderr)
        return 2
    files = gate_imports.firmware_files(root)
    checker = Checker(root, files)
    for path in files:
        checker.check_file(path)
    for _, _, msg in sorted(set(checker.out)):
        print(msg)
    if checker.out:
        print(f"gate_api: {len(set(checker.out))} violation(s)", file=sys.stderr)
        return 1
    print(f"gate_api: {len(files)} firmware file(s) OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
