#!/usr/bin/env python3
"""Heap measurements inside the real MicroPython 1.27 VM (tools/mpvm).

1. Import cost (`bench_imports`, the CLI): resident heap after `import X` and a collection,
   each figure counted ON TOP of the ones before it (libraries first, in order, then our
   modules). The stand-ins for CircuitPython built-ins (host/vm: board, busio, time, ...) are
   imported before the first measurement, because on the board they cost no heap.

       tools/bench_heap.py                        # default stack, table vs the 163 KB budget
       tools/bench_heap.py --libs adafruit_ticks adafruit_bus_device.i2c_device ...
       tools/bench_heap.py --modules core.settings plugins.outputs.serial --json
       tools/bench_heap.py --isolated             # each of our modules alone, on top of the libs

   Per-module figures move by a KB or two with where MicroPython happens to allocate a new
   qstr pool (charged whole to the import that overflows the last one); totals are stable.

2. Allocation per cycle (`measure_alloc`): given setup code that binds `obj` (an object with
   a cycle() method; or defines setup() returning it), run warm-up cycles, then count
   gc.mem_alloc() growth over `cycles` cycles with the GC disabled (bytes allocated per
   cycle, garbage included), and retained growth over `long_cycles` cycles with the GC
   enabled (mem_alloc after gc.collect() at the start vs the end: a leak shows here).

       from bench_heap import measure_alloc      # with tools/ on sys.path
       r = measure_alloc("from core.x import Y\\nobj = Y()", files=["core"])
       r["bytes_per_cycle"], r["retained_growth"]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpvm  # noqa: E402

REPO = mpvm.REPO
BUDGET_KB = 163  # heap of an ESP32-S3 without PSRAM (platform reference)

# Third-party libraries in measuring order: those the default stack imports.
DEFAULT_LIBS = [
    "adafruit_ticks",
    "adafruit_bus_device.i2c_device",
    "adafruit_register.i2c_struct",
    "adafruit_max1704x",
    "adafruit_bme280.basic",
]
# Libraries that import typing/circuitpython_typing unconditionally off CircuitPython: they
# get host/vm/typing_stubs for their own import only (dropped again before the next one).
NEEDS_TYPING_STUBS = {"adafruit_connection_manager"}
# Extra plugin modules measured after core/*.py by default.
DEFAULT_PLUGIN_MODULES = ["plugins.outputs.serial", "plugins.outputs.sdcard", "plugins.sensors.auto"]
# Built-ins on the board, stand-ins in the VM: imported before measuring, not counted.
PRELOAD = [
    "micropython", "time", "os", "sys", "gc", "struct", "math", "errno",
    "board", "busio", "digitalio", "microcontroller", "supervisor",
    "storage", "sdcardio", "rtc",
]

MARK = "@@BENCH"


def default_modules() -> list[str]:
    """core modules (each core/*.py, plus the package) and the default plugin modules."""
    mods = ["core"]
    core = os.path.join(REPO, "core")
    if os.path.isdir(core):
        for fn in sorted(os.listdir(core)):
            if fn.endswith(".py") and fn != "__init__.py":
                mods.append("core." + fn[:-3])
    return mods + DEFAULT_PLUGIN_MODULES


_VM_IMPORT_BENCH = r'''
import gc, sys
for _n in PRELOAD:
    try:
        __import__(_n)
    except ImportError:
        pass

def _missing(name, e):
    msg = str(e.args[0]) if e.args else ""
    q = msg.split("'")
    miss = q[1] if len(q) >= 3 else ""
    return bool(miss) and (miss == name or name.startswith(miss + "."))

# The VM's GC collects only between top-level chunks (see tools/mpvm.py), so each import runs
# in one chunk (_pre) and is read in the next (_post), once its compile-time garbage is gone.
_S = {"before": 0, "status": ""}

def _pre(i):
    kind, name, typing_stubs = JOBS[i]
    if typing_stubs:
        sys.path.append(TYPING_PATH)
    _S["before"] = gc.mem_alloc()
    status = "ok"
    try:
        __import__(name)
    except ImportError as e:
        status = ("missing" if _missing(name, e) else "error: ImportError: " + str(e.args[0] if e.args else e))
    except Exception as e:
        status = "error: " + type(e).__name__ + ": " + str(e)
    if typing_stubs:
        sys.path.remove(TYPING_PATH)
        for _m in list(sys.modules):
            if _m == "typing" or _m.split(".")[0] == "circuitpython_typing":
                del sys.modules[_m]
    _S["status"] = status
    gc.collect()

def _post(i):
    kind, name, _ = JOBS[i]
    after = gc.mem_alloc()
    status = _S["status"]
    print(MARK, kind, name, after - _S["before"] if status == "ok" else 0, status)
    gc.collect()

def _base(i):
    print(MARK, "baseline", "-", gc.mem_alloc(), "ok")
    gc.collect()

gc.collect()
'''


def bench_imports(
    libs: Sequence[str] = DEFAULT_LIBS,
    modules: Sequence[str] | None = None,
    heap: int = 1024 * 1024,
    files: Sequence[mpvm.FileEntry] = ("core", "plugins"),
) -> dict:
    """Import `libs` then `modules` in one VM, each measured on top of the previous ones.

    Returns {"baseline": bytes, "rows": [{"kind": "lib"|"ours", "name", "bytes", "status"}]}
    where status is "ok", "missing" (the module itself doesn't exist) or "error: ...".
    """
    if modules is None:
        modules = default_modules()
    jobs = [("lib", n, n.split(".")[0] in NEEDS_TYPING_STUBS) for n in libs]
    jobs += [("ours", n, False) for n in modules]
    header = "MARK = %r\nPRELOAD = %r\nTYPING_PATH = %r\nJOBS = %r\n" % (
        MARK, PRELOAD, mpvm.TYPING_STUBS_VM, jobs)
    files = [f for f in files if not isinstance(f, str) or os.path.exists(os.path.join(REPO, f))]
    # typing stubs are copied (typing_stubs=True) but only put on sys.path during the imports
    # that need them; run() appends the path, so take it off again first.
    code = [header + "import sys\nif TYPING_PATH in sys.path: sys.path.remove(TYPING_PATH)\n" + _VM_IMPORT_BENCH,
            "_base(0)"]
    for i in range(len(jobs)):
        code += ["_pre(%d)" % i, "_post(%d)" % i]
    rc, out = mpvm.run(code, files, heap, libs=list(libs), typing_stubs=True)
    if rc != 0:
        raise RuntimeError("heap bench failed in the VM (rc=%d):\n%s" % (rc, out))
    res: dict = {"baseline": 0, "rows": []}
    for line in out.splitlines():
        if not line.startswith(MARK + " "):
            continue
        _, kind, name, nbytes, status = line.split(" ", 4)
        if kind == "baseline":
            res["baseline"] = int(nbytes)
        else:
            res["rows"].append({"kind": kind, "name": name, "bytes": int(nbytes), "status": status})
    return res


def bench_isolated(
    libs: Sequence[str] = DEFAULT_LIBS,
    modules: Sequence[str] | None = None,
    heap: int = 1024 * 1024,
    files: Sequence[mpvm.FileEntry] = ("core", "plugins"),
) -> dict:
    """Like bench_imports, but each of our modules in a fresh VM on top of `libs`: its cost
    includes whatever of ours it imports itself (so the "ours" rows don't add up)."""
    if modules is None:
        modules = default_modules()
    res = bench_imports(libs, [], heap, files)
    for m in modules:
        res["rows"] += [r for r in bench_imports(libs, [m], heap, files)["rows"] if r["kind"] == "ours"]
    res["isolated"] = True
    return res


def format_table(res: dict, budget_kb: float = BUDGET_KB) -> str:
    rows = res["rows"]
    w = max([len(r["name"]) for r in rows] + [28])
    out = ["%-*s %9s" % (w, "module", "KB"), "-" * (w + 10)]
    totals = {"lib": 0, "ours": 0}
    for kind, title in (("lib", "third-party libraries"), ("ours", "our code")):
        for r in rows:
            if r["kind"] != kind:
                continue
            if r["status"] == "ok":
                out.append("%-*s %9.1f" % (w, r["name"], r["bytes"] / 1024))
                totals[kind] += r["bytes"]
            else:
                out.append("%-*s %9s  (%s)" % (w, r["name"], "-", r["status"]))
        out.append("%-*s %9.1f" % (w, "= " + title, totals[kind] / 1024))
        out.append("")
    whole = totals["lib"] + totals["ours"]
    if res.get("isolated"):
        out.append("(--isolated: each of our modules measured alone on top of the libraries;")
        out.append(" shared imports are counted in every row, so the totals below overstate)")
    out.append("%-*s %9.1f   of %d KB budget (%.0f%%), %.1f KB left" % (
        w, "whole default stack", whole / 1024, budget_kb, 100.0 * whole / 1024 / budget_kb,
        budget_kb - whole / 1024))
    out.append("(VM baseline before any import: %.1f KB, not counted)" % (res["baseline"] / 1024))
    return "\n".join(out)


# ---------------------------------------------------------------- allocation per cycle

_VM_ALLOC = r'''
import gc

class _Nop:
    def cycle(self):
        pass

def _loop(o, n):
    for _ in range(n):
        o.cycle()

def _alloc_over(o, n):
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    _loop(o, n)
    b = gc.mem_alloc()
    gc.enable()
    return b - a

# The VM's GC collects only between top-level chunks (see tools/mpvm.py): readings (_mark) are
# taken in a chunk of their own after one that ended with gc.collect(), and long runs are split
# into blocks so that garbage is collected between them.
_R = {"h": 0, "s": 0, "o": 0, "a": 0, "1": 0, "2": 0, "3": 0}  # all keys now: no resize later

def _mark(k):
    _R[k] = gc.mem_alloc()
    gc.collect()

def _block(n):
    _loop(obj, n)
    gc.collect()

def _report(_):
    import json
    print(_MARK, json.dumps({
        "setup_bytes": _R["s"] - _R["h"],
        "loop_overhead_bytes": _R["o"],
        "alloc_bytes": _R["a"] - _R["o"],
        "retained_growth_first_half": _R["2"] - _R["1"],
        "retained_growth_second_half": _R["3"] - _R["2"],
        "heap_after": _R["3"],
    }))

gc.collect()
'''
_VM_ALLOC_SETUP = '''exec(_SETUP, globals())
if "obj" not in globals():
    obj = setup()
gc.collect()
'''
_VM_ALLOC_COUNT = '''_R["o"] = _alloc_over(_Nop(), _CYCLES)
_R["a"] = _alloc_over(obj, _CYCLES)
gc.collect()
'''
ALLOC_BLOCK = 250  # cycles per chunk in the long run (the heap grows by a block's garbage)


def _alloc_chunks(head: str, warmup: int, long_cycles: int) -> list:
    def blocks(n: int) -> list:
        return ["_block(%d)" % min(ALLOC_BLOCK, n - i) for i in range(0, n, ALLOC_BLOCK)]

    half = long_cycles // 2
    return ([head + _VM_ALLOC, "_mark('h')", _VM_ALLOC_SETUP, "_mark('s')"] + blocks(warmup)
            + [_VM_ALLOC_COUNT, "_mark('1')"] + blocks(half) + ["_mark('2')"]
            + blocks(long_cycles - half) + ["_mark('3')", "_report(0)"])


def measure_alloc(
    setup_code: str,
    cycles: int = 1000,
    long_cycles: int = 10000,
    files: Sequence[mpvm.FileEntry] = ("core", "plugins"),
    *,
    warmup: int = 100,
    heap: int = 1024 * 1024,
    libs: Sequence[str] = (),
) -> dict:
    """Measure what obj.cycle() allocates, inside the VM.

    setup_code runs as __main__ code and must bind `obj` (or define `setup()` returning the
    object). After `warmup` cycles:
      - bytes_per_cycle: gc.mem_alloc() growth over `cycles` cycles with gc disabled, divided by
        cycles (all allocation, garbage included; the empty loop's cost is subtracted);
      - retained_growth: mem_alloc after gc.collect() at the end minus at the start of
        `long_cycles` cycles with gc enabled (split into halves: a leak grows in both,
        one-time warm-up growth only in the first). The VM collects only between top-level
        chunks (see tools/mpvm.py), so the cycles run in chunks of ALLOC_BLOCK.
    Raises RuntimeError with the VM output if the snippet fails.
    """
    files = [f for f in files if not isinstance(f, str) or os.path.exists(os.path.join(REPO, f))]
    mark = "@@ALLOC"
    head = "_SETUP = %r\n_WARMUP = %d\n_CYCLES = %d\n_LONG = %d\n_MARK = %r\n" % (
        setup_code, warmup, cycles, long_cycles, mark)
    code = _alloc_chunks(head, warmup, long_cycles)
    rc, out = mpvm.run(code, files, heap, libs=list(libs))
    line = next((ln for ln in out.splitlines() if ln.startswith(mark + " ")), None)
    if rc != 0 or line is None:
        raise RuntimeError("measure_alloc failed in the VM (rc=%d):\n%s" % (rc, out))
    r = json.loads(line[len(mark) + 1:])
    r.update(
        cycles=cycles,
        long_cycles=long_cycles,
        warmup=warmup,
        bytes_per_cycle=r["alloc_bytes"] / cycles,
        retained_growth=r["retained_growth_first_half"] + r["retained_growth_second_half"],
        output=out,
    )
    return r


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Heap cost of imports in the MicroPython 1.27 VM.")
    ap.add_argument("--libs", nargs="*", default=None,
                    help="third-party modules in order (default: %s)" % " ".join(DEFAULT_LIBS))
    ap.add_argument("--modules", nargs="*", default=None,
                    help="our modules (default: core/*.py + %s)" % " ".join(DEFAULT_PLUGIN_MODULES))
    ap.add_argument("--budget-kb", type=float, default=BUDGET_KB)
    ap.add_argument("--isolated", action="store_true",
                    help="measure each of our modules in its own VM (on top of the libraries)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    a = ap.parse_args(argv)
    try:
        fn = bench_isolated if a.isolated else bench_imports
        res = fn(DEFAULT_LIBS if a.libs is None else a.libs, a.modules)
    except mpvm.MpvmSetupError as e:
        print(e, file=sys.stderr)
        return 2
    print(json.dumps(res, indent=2) if a.json else format_table(res, a.budget_kb))
    return 0


if __name__ == "__main__":
    sys.exit(main())
