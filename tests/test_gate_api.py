"""tools/gate_api.py: the API gate built from the MicroPython 1.27 VM's own dir() (tools/vm_api.json).

It must pass on the real tree and on a good sample tree, flag every board failure of the bad tree
with its file and line, and tools/vm_api.json must be what the VM gives today (`make vm-api`).
The gate runs as a subprocess with this interpreter (the project venv), as it does standalone.
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GATE = REPO / "tools" / "gate_api.py"


def run_gate(root=None):
    cmd = [sys.executable, str(GATE)] + ([str(root)] if root else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_real_tree():
    proc = run_gate()
    assert proc.returncode == 0, proc.stdout + proc.stderr


GOOD = """
    import gc
    import json
    import os
    import sys
    import time
    from collections import OrderedDict, namedtuple
    from os import getenv
    from time import monotonic_ns

    Point = namedtuple("Point", ("x", "y"))


    class Line:
        def __init__(self, text):
            self.text = text

        def ljust(self, width):  # our own method: not str.ljust
            return self.text + " " * (width - len(self.text))


    def f(*args, key=0):
        return args, key


    def main(args, reading):
        now_ms = int(time.time()) * 1000
        uptime_ms = monotonic_ns() // 1_000_000 + time.monotonic_ns() // 1_000_000
        name, _, value = "a=1".partition("=")
        fields = "a b c".split(" ", 1)
        print(name.upper().strip(), value.isdigit(), fields, end="")
        print(json.dumps({"a": 1}, separators=(",", ":")), file=sys.stderr)
        text = "%s,%d" % (name, now_ms)
        padded = Line(text).ljust(8) + (5).to_bytes(2, "big").hex() + b"ab".hex()
        f(*args, key=1)
        try:
            os.stat(getenv("SD", "/sd"))
        except OSError as e:
            print(e.errno, e.args, reading.value)
        number = int.from_bytes(bytes.fromhex("0102"), "big")
        order = OrderedDict()
        order.update({"k": getattr(reading, "value", None), "n": number})
        sys.stdout.write(text.format(padded) + "{}".format(uptime_ms) + str(gc.mem_free()))
        return sorted(order, key=len, reverse=True), max([], default=0), hasattr(text, "split")
"""


def test_good_sample_tree(tree):
    root = tree({"code.py": GOOD})
    proc = run_gate(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# (source line, what the gate's report for that line starts with, or None for a line that must pass)
BAD = [
    ("import collections", None),
    ("import json", None),
    ("import sys", None),
    ("import time", None),
    ("import time as clock", None),
    ("from collections import defaultdict", "from collections import defaultdict"),
    ("from os import path", "from os import path"),
    ("from json import JSONDecodeError", "from json import JSONDecodeError"),
    ("from time import time_ns", "from time import time_ns"),
    ("from math import prod", "from math import prod"),
    ("from time import monotonic", "from time import monotonic"),
    ("def f(*args, **kw):", None),
    ("    return args", None),
    ("def run(text, n, args, values):", None),
    ("    a = '{x}'.format_map({'x': 1})", ".format_map"),
    ("    b = str(n).zfill(3)", ".zfill"),
    ("    c = text.isalnum()", ".isalnum"),
    ("    d = n.bit_length()", ".bit_length"),
    ("    e = int.bit_length(7)", ".bit_length"),
    ("    print(a, flush=True)", "print(flush=...)"),
    ("    size = sys.getsizeof(values)", "sys.getsizeof"),
    ("    f(key=1, *args)", "key=... before *args"),
    ("    cut = getattr(text, 'removeprefix')", 'getattr(..., "removeprefix")'),
    ("    pad = text.ljust(8)", ".ljust"),
    ("    _now = time.monotonic", "time.monotonic"),
    ("    ms = time.monotonic_ns() / 1e6", "monotonic_ns() / ..."),
    ("    wall = time.time() * 1000", "time.time() arithmetic"),
    ("    late = clock.monotonic()", "time.monotonic"),
    ("    start = monotonic()", "monotonic"),
    ("    label = f'{n}'.rjust(4)", ".rjust"),
    ("    hexed = 'ab'.hex()", ".hex"),
    ("    parts = text.split(maxsplit=1)", ".split(maxsplit=...)"),
    ("    raw = json.dumps(values, indent=2)", "json.dumps(indent=...)"),
    ("    word = ('%s' % n).casefold()", ".casefold"),
    ("    v = int.from_bytes(b'ab', 'big', signed=True)", "int.from_bytes(signed=...)"),
    ("    t = time.time_ns()", "time.time_ns"),
    ("    q = collections.defaultdict(list)", "collections.defaultdict"),
    ("    try:", None),
    ("        pass", None),
    ("    except OSError as err:", None),
    ("        print(err.strerror)", ".strerror"),
    ("    ok = hasattr(values, 'isascii')", 'hasattr(..., "isascii")'),
    ("    t0 = time.monotonic_ns()", None),
    ("    late_ms = (t0 - 5) / 1000", "monotonic_ns() / ..."),
    ("    now_s = time.time()", None),
    ("    wall_ms = now_s * 1000", "time.time() arithmetic"),
    ("    word = 'ab' + text", None),
    ("    code = word.hex()", ".hex"),
    ("    return a, b, c, d, e, size, cut, pad, _now, ms, wall, late, start, label, hexed, parts, raw", None),
]


def test_flags_every_board_failure_with_its_line(tree):
    root = tree({"plugins/bad.py": "\n".join(src for src, _ in BAD) + "\n"})
    proc = run_gate(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    flagged = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"plugins/bad\.py:(\d+): (.*)", line)
        assert m, line  # one `file:line: what: reason` per violation, nothing else on stdout
        flagged.setdefault(int(m.group(1)), []).append(m.group(2))
    expected = {n: what for n, (_, what) in enumerate(BAD, 1) if what}
    for n, what in expected.items():
        assert any(text.startswith(what) for text in flagged.get(n, [])), (n, BAD[n - 1][0], flagged.get(n), proc.stdout)
    assert set(flagged) == set(expected), proc.stdout
    assert "violation(s)" in proc.stderr


def test_names_the_reason(tree):
    root = tree({"core/x.py": "import sys\nfrom time import time_ns\nprint(sys.getsizeof(1), flush=True)\n"})
    out = run_gate(root).stdout.splitlines()
    assert out == [
        "core/x.py:2: from time import time_ns: CircuitPython's time has no time_ns (tools/vm_api.json)",
        "core/x.py:3: print(flush=...): MicroPython 1.27 rejects this keyword (TypeError: extra keyword arguments given)",
        "core/x.py:3: sys.getsizeof: MicroPython 1.27's sys has no getsizeof (tools/vm_api.json)",
    ]


def test_vm_api_json_is_current():
    """The committed list is what the installed VM gives now (regenerate it with `make vm-api`)."""
    spec = importlib.util.spec_from_file_location("gate_api", GATE)
    gate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gate)
    fresh = gate.dump(gate.regenerate())
    assert (REPO / "tools" / "vm_api.json").read_text() == fresh, "tools/vm_api.json is stale: run `make vm-api`"
    data = gate.load()
    assert "MicroPython v1.27.0" in data["version"]
    # what the issue names, straight from the VM
    assert "zfill" not in data["types"]["str"] and "bit_length" not in data["types"]["int"]
    assert "getsizeof" not in data["modules"]["sys"] and "defaultdict" not in data["modules"]["collections"]
    assert data["rejected"]["print"]["flush"].startswith("TypeError")
