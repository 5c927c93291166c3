"""Tests run inside the real MicroPython 1.27 VM (the base of CircuitPython 10) via tools/mpvm.py.

Needs the VM installed: npm ci --prefix tools/mpvm (these tests fail loudly, with that
command, when it isn't).
"""

import glob
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import bench_heap  # noqa: E402
import mpvm  # noqa: E402

PURE_TESTS = sorted(glob.glob(os.path.join(REPO, "tests", "pure", "test_*.py")))
OUR_CODE = [d for d in ("core", "plugins") if os.path.isdir(os.path.join(REPO, d))]


def vm(code, **kw):
    return mpvm.run(code, OUR_CODE, **kw)


def test_pure_tests_pass_inside_the_vm():
    assert PURE_TESTS, "tests/pure/test_*.py missing"
    rc, out, passed, failed = mpvm.run_tests(PURE_TESTS, OUR_CODE, libs=["adafruit_ticks"])
    print(out)
    assert (passed, failed) != (-1, -1), "runner printed no summary:\n" + out
    assert failed == 0, out
    assert passed > 0, out
    assert rc == 0, out


def test_runner_reports_failures_and_import_errors(tmp_path):
    (tmp_path / "test_demo_fail.py").write_text(
        "def test_ok():\n    pass\n\n"
        "def test_bad():\n    assert 1 == 2, 'one is not two'\n\n"
        "def helper_not_a_test():\n    raise RuntimeError\n"
    )
    (tmp_path / "test_demo_broken.py").write_text("from dataclasses import dataclass\n")
    rc, out, passed, failed = mpvm.run_tests(
        [str(tmp_path / "test_demo_fail.py"), str(tmp_path / "test_demo_broken.py")]
    )
    assert (passed, failed) == (1, 2), out
    assert out.strip().splitlines()[-1] == "1 passed, 2 failed"
    assert "FAIL test_demo_fail.test_bad" in out and "one is not two" in out
    assert "FAIL test_demo_broken (import)" in out and "dataclasses" in out
    assert rc == 0  # the runner reports; it's the caller that judges


def test_vm_rejects_what_circuitpython_would():
    # CPython-only modules are absent
    for mod in ("dataclasses", "typing", "enum", "abc", "functools", "asyncio", "logging", "datetime"):
        rc, out = vm("import " + mod)
        assert rc == 1 and "ImportError" in out, (mod, out)
    # grammar MicroPython doesn't have
    for src in (
        "match 1:\n    case 1:\n        pass\n",
        "def f(a, /, b):\n    return a\n",
        "d = {}\ne = {**d}\n",
        "try:\n    pass\nexcept* ValueError:\n    pass\n",
        "type X = int\n",
    ):
        rc, out = vm(src)
        assert rc == 1 and "SyntaxError" in out, (src, out)
    # dicts don't keep insertion order
    keys = ["zeta", "alpha", "mid", "b", "q", "x1", "y2"]
    rc, out = vm("d = {}\nfor k in %r:\n    d[k] = 1\nprint(list(d))" % keys)
    assert rc == 0, out
    assert out.strip() != repr(keys), "VM kept insertion order?"
    # and kwargs missing on builtins: zip(strict=)
    rc, out = vm("print(list(zip([1], [2], strict=True)))")
    assert rc == 1 and "TypeError" in out


def test_vm_accepts_what_it_accepts():
    # Documented so nobody relies on the VM to catch these: f-string '=' works in MP 1.27,
    # walrus works, small ints are 31-bit but ints are arbitrary precision.
    rc, out = vm("x = 5\nprint(f'{x=}')\nif (n := 2**70) > 0: print(n)\nimport sys; print(sys.maxsize)")
    assert rc == 0, out
    assert out.split() == ["x=5", str(2**70), str(2**31 - 1)]


def test_circuitpython_standins():
    rc, out = vm(
        "import time, supervisor, board, busio, digitalio, microcontroller, storage, sdcardio, rtc, os\n"
        "assert isinstance(time.monotonic_ns(), int)\n"
        "assert not hasattr(time, 'ticks_ms') and not hasattr(time, 'time_ns')\n"
        "assert isinstance(supervisor.ticks_ms(), int)\n"
        "assert supervisor.runtime.serial_bytes_available == 0\n"
        "assert len(microcontroller.nvm) == 8192\n"
        "from micropython import const\n"
        "import binascii; assert binascii.crc32(b'hello') == 907060870\n"
        "storage.mount(storage.VfsFat(sdcardio.SDCard(board.SPI(), board.D10)), '/sd')\n"
        "open('/sd/a.csv', 'w').write('x')\n"
        "assert os.listdir('/sd') == ['a.csv']\n"
        "print('fine')\n"
    )
    assert rc == 0 and out.strip() == "fine", out


def test_exit_codes_and_tracebacks(tmp_path):
    rc, out = vm("def f():\n    raise ValueError('boom')\nf()\n")
    assert rc == 1
    assert "ValueError: boom" in out and 'File "<stdin>", line 2, in f' in out
    assert vm("import sys\nsys.exit(7)")[0] == 7
    assert vm("import sys\nsys.exit()")[0] == 0
    script = tmp_path / "s.py"
    script.write_text("import sys\nprint(sys.argv[1:])\n1/0\n")
    rc, out = mpvm.run(file=str(script), argv=["s.py", "a", "b"])
    assert rc == 1 and "['a', 'b']" in out and "ZeroDivisionError" in out and "s.py" in out


def test_strict_heap_flags_growth():
    code = "b = bytearray(200 * 1024)"
    assert vm(code, heap="163k")[0] == 0
    rc, out = vm(code, heap="163k", strict_heap=True)
    assert rc == 3 and "MemoryError" in out


def test_missing_vm_fails_loudly(monkeypatch):
    monkeypatch.setattr(mpvm, "PKG_DIR", "/nonexistent/node_modules/x")
    with pytest.raises(mpvm.MpvmSetupError) as ei:
        mpvm.run("print(1)")
    assert "npm ci --prefix tools/mpvm" in str(ei.value)


def test_measure_alloc_on_trivial_snippets():
    quiet = bench_heap.measure_alloc(
        "class C:\n"
        "    def __init__(self):\n"
        "        self.n = 0\n"
        "    def cycle(self):\n"
        "        self.n += 1\n"
        "obj = C()\n",
        cycles=500,
        long_cycles=2000,
    )
    assert quiet["bytes_per_cycle"] == 0, quiet["output"]
    assert quiet["retained_growth"] == 0
    leaky = bench_heap.measure_alloc(
        "class C:\n"
        "    def __init__(self):\n"
        "        self.keep = []\n"
        "    def cycle(self):\n"
        "        self.keep.append(bytearray(16))\n"
        "def setup():\n"
        "    return C()\n",
        cycles=500,
        long_cycles=2000,
    )
    assert leaky["bytes_per_cycle"] >= 16
    assert leaky["retained_growth_second_half"] > 0


def test_bench_imports_measures_the_libraries():
    res = bench_heap.bench_imports(modules=["plugins.does_not_exist"])
    rows = {r["name"]: r for r in res["rows"]}
    for lib in bench_heap.DEFAULT_LIBS:
        assert rows[lib]["status"] == "ok" and rows[lib]["bytes"] >= 512, rows[lib]  # adafruit_ticks is about 1 KB
    assert rows["plugins.does_not_exist"]["status"] == "missing"
    assert "whole default stack" in bench_heap.format_table(res)
