"""The Qwiic device plugins in the MicroPython 1.27 VM and in CPython, from one script.

The same code runs on both sides: the simulators of host/sim on a simulated bus, the unmodified
drivers of requirements.txt, plugins/sensors/auto.py finding the devices, time.sleep advancing a
simulated clock (a driver's or plugin's wait costs no wall time). Only the attachment of the bus
differs: CPython's busio stand-in (host/stubs) reads host.runtime.bus, the VM's (host/vm) busio.sim.
CPython runs in a subprocess, so the drivers it imports with that clock stay out of the caller.

    observe(rows, n)       -> {"cpython": [...], "vm": [...]}: each row found and read n times
    scan_times(repeats)    -> auto.find over a full bus and the default bus, timed on both sides
    heap_per_device(rows)  -> VM heap of each driver plus its plugin

A row here is (sim, address, values), as host/sim/bus.py TYPES names the simulator.
"""

import json
import os
import subprocess
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
import mpvm  # noqa: E402

REQUIREMENTS = os.path.join(REPO, "requirements.txt")
MARK = "@@DEV"


def driver_libs(path=REQUIREMENTS):
    """The top-level modules (for the VM's /lib) of every library requirements.txt names."""
    from importlib import metadata

    tops = []
    with open(path) as f:
        for line in f:
            name = line.split("#")[0].strip().split("==")[0].strip()
            if not name:
                continue
            files = metadata.distribution(name).files or ()
            for entry in files:
                top = entry.parts[0]
                if top.endswith(".py"):
                    top = top[:-3]
                elif len(entry.parts) == 1 or top.endswith((".dist-info", "-stubs")) or top == "__pycache__":
                    continue
                if top not in tops and not top.startswith("_"):
                    tops.append(top)
    return tops


def vm_files():
    return ["core", "plugins", "host/sim", {"src": os.path.join(REPO, "host", "__init__.py"), "dst": "/host/__init__.py"}]


# How each side attaches a SimBus and times a stretch of code (microseconds).
_CPYTHON = '''
import sys
sys.path[:0] = [%r, %r]
import time
import busio
import host.runtime
from core import pins


def _attach(bus):
    host.runtime.bus = bus
    pins._buses.clear()
    return busio.I2C(None, None)


def _us():
    return time.perf_counter_ns() // 1000


def _tb(err):
    import traceback
    return traceback.format_exc()
''' % (os.path.join(REPO, "host", "stubs"), REPO)

_VM = '''
import sys
import time
import utime
import busio


def _attach(bus):
    busio.sim = bus
    return busio.I2C(None, None)


def _us():
    return utime.ticks_us()  # the VM's C clock (its period does not wrap in a run)


def _tb(err):
    import io
    text = io.StringIO()
    sys.print_exception(err, text)
    return text.getvalue()
'''

# Both sides: the simulated clock, time.sleep on it, a tiny App for auto.find.
_COMMON = '''
import gc
import json
_clock = [0]


def _ns():
    return _clock[0]


def _advance(s):
    _clock[0] += int(s * 1e9)


_slept = [0]


def _sleep(s):
    _slept[0] += int(s * 1e9)
    _advance(s)


time.sleep = _sleep  # before any driver is imported: "from time import sleep" takes this one
from host.sim.bus import SimBus, TYPES, parse_bus


class _Settings:
    def get(self, prop):
        return prop.default


class _App:
    def __init__(self):
        self.settings = _Settings()
        self.said = []

    def info(self, text):
        self.said.append("[I] " + text)

    def warn(self, text):
        self.said.append("[W] " + text)


def _bus(devices):
    _clock[0] = 0
    bus = SimBus(_ns)
    for sim, address, values in devices:
        bus.add(TYPES[sim](address, values))
    return bus
'''

# Each row alone on the bus: found by auto.find, settled as tests/test_devices.py settle() does,
# then N observations, each printed with the firmware's own formatting (core.observation).
_OBSERVE = '''
from plugins.sensors import auto
from core.observation import format_value


def _fine(v, digits):
    # A float to 3 more decimals than it is written with: shows a tie at its precision (x.xxx5),
    # which CPython's "%.3f" rounds to even and MicroPython's away from zero.
    if isinstance(v, float):
        return ("%." + str((2 if digits is None else digits) + 3) + "f") % v
    return format_value(v, digits)

for _sim, _address, _values in ROWS:
    _out = {"sim": _sim, "address": _address, "found": [], "said": [], "obs": [], "fine": [],
            "error": None}
    try:
        _app = _App()
        _i2c = _attach(_bus([(_sim, _address, _values)]))
        _found = auto.find(_app, _i2c)
        _out["found"] = [[d.section.name, d.address] for d in _found]
        _out["said"] = _app.said
        if len(_found) == 1:
            _d = _found[0]
            _out["params"] = list(_d.section.params)
            _advance(0.02 + _d.PERIOD_MS / 1000.0)
            for _i in range(_d.LAG + N):
                if _i:
                    _advance(max(0.05, _d.LAG_S, _d.PERIOD_MS / 1000.0))
                _d.read(_clock[0] // 1000000)
                if _i >= _d.LAG:
                    _out["obs"].append([format_value(v, g) for v, g in zip(_d.section.values, _d.section.digits)])
                    _out["fine"].append([_fine(v, g) for v, g in zip(_d.section.values, _d.section.digits)])
    except Exception as err:
        _out["error"] = _tb(err)  # the traceback
    print(MARK + " " + json.dumps(_out))
'''

# One full scan (auto.find) per bus and repetition, from cold: the plugin and driver modules a scan
# imports are dropped after each, as at boot. Sleeps pass on the simulated clock and are summed.
_SCAN = '''
from plugins.sensors import base  # resident at boot before the scan (core.observation with it)
import adafruit_ticks
_keep = set(sys.modules)


def _drop():
    for _m in [m for m in sys.modules if m not in _keep]:
        del sys.modules[_m]
        _pkg, _, _leaf = _m.rpartition(".")
        _p = sys.modules.get(_pkg)
        if _p is not None and _leaf in _p.__dict__:
            delattr(_p, _leaf)


for _name, _devices in BUSES:
    _times = []
    for _r in range(REPEATS):
        _drop()
        _bus_ = _bus(_devices)
        _i2c = _attach(_bus_)
        _app = _App()
        _slept[0] = 0
        from plugins.sensors import auto
        _t0 = _us()
        _found = auto.find(_app, _i2c)
        _t1 = _us()
        _times.append(_t1 - _t0)
        _counts = [_bus_.count(a) for a in _bus_.devices]
    print(MARK + " " + json.dumps({"bus": _name, "us": _times, "found": [d.section.name for d in _found],
          "slept_us": _slept[0] // 1000, "transactions": sum(c["transactions"] for c in _counts),
          "bytes": sum(c["bytes"] for c in _counts), "said": [s for s in _app.said if s.startswith("[W]")]}))
    _drop()
'''


def _parse(out):
    return [json.loads(line[len(MARK) + 1:]) for line in out.splitlines() if line.startswith(MARK + " ")]


def run_cpython(body, timeout=300):
    code = _CPYTHON + _COMMON + body
    proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          cwd=TOOLS, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError("CPython run failed (rc=%d):\n%s" % (proc.returncode, out[-4000:]))
    return out


def run_vm(body, timeout=300, heap=2 * 1024 * 1024):
    code = body if isinstance(body, list) else [body]
    code = [_VM + _COMMON + code[0]] + code[1:]
    rc, out = mpvm.run(code, vm_files(), heap, libs=driver_libs(), timeout=timeout)
    if rc != 0:
        raise RuntimeError("VM run failed (rc=%d):\n%s" % (rc, out[-4000:]))
    return out


def _header(**names):
    return "".join("%s = json.loads(%r)\n" % (k, json.dumps(v)) for k, v in names.items())


def observe(rows, n=3, sides=("cpython", "vm")):
    """rows: [(sim, address, values)]. {side: [{"sim", "address", "found", "said", "params", "obs",
    "error"}]}, obs the n observations after the device settled, each value formatted as the CSV has it,
    and fine the same values with 3 more decimals (a float written at a tie: see _fine)."""
    rows = [(sim, address, dict(values)) for sim, address, values in rows]
    body = _header(ROWS=rows, N=n, MARK=MARK) + _OBSERVE
    runners = {"cpython": run_cpython, "vm": run_vm}
    return {side: _parse(runners[side](body)) for side in sides}


def full_bus(rows):
    """(devices, left_out): every row at its default address, or its next free one; rows with none
    free left out (their rivals hold every address they can have). rows: tests/devices.py ROWS."""
    taken = {}
    devices = []
    left = []
    for row in rows:
        free = [a for a in row.addresses if a not in taken]
        if not free:
            left.append((row.name, row.addresses))
            continue
        taken[free[0]] = row.name
        devices.append((row.sim, free[0], dict(row.values)))
    return devices, left


def default_bus():
    """The default bus's devices (host/sim/default_bus.json) as (sim, address, values)."""
    with open(os.path.join(REPO, "host", "sim", "default_bus.json")) as f:
        doc = json.load(f)
    out = []
    for spec in doc["devices"]:
        values = {k: (v["from"] if isinstance(v, dict) else v) for k, v in spec.get("values", {}).items()}
        out.append((spec["type"], int(spec["address"], 16), values))
    return out


def scan_times(buses, repeats=3, sides=("cpython", "vm")):
    """buses: [(name, [(sim, address, values)])]. {side: [{"bus", "us": [per repetition], "found",
    "slept_us", "transactions", "bytes", "said"}]}: auto.find from cold (modules dropped each time)."""
    buses = [(name, [(s, a, dict(v)) for s, a, v in devices]) for name, devices in buses]
    body = _header(BUSES=buses, REPEATS=repeats, MARK=MARK) + _SCAN
    runners = {"cpython": run_cpython, "vm": run_vm}
    return {side: _parse(runners[side](body)) for side in sides}


# Heap of each driver plus its plugin (VM): from a baseline with the simulators, the shared bus
# libraries and plugins.sensors.base loaded, gc.mem_alloc() after a collection (the VM collects only
# between top-level chunks), before and after creating the device (its plugin module and driver
# imported, the chip set up). The device and every module it imported are dropped after each row.
# Two passes: the first ("cold") interns each driver's names, which stay interned when it is dropped,
# and a new qstr pool (~9 KB past ~1270 names) is charged to whichever row crosses it; the second
# ("warm") is then the code and objects alone. micropython.qstr_info() around each cold row gives the
# bytes of the names it interned.
_HEAP = '''
import micropython
from plugins.sensors import auto, base
from core import app, props  # what auto.find imports when it ends
import adafruit_ticks
import adafruit_bus_device.i2c_device
_keep = set(sys.modules)
_S = {"before": 0, "error": None}
_dev = None
_i2c = None


def _prep(i, p):
    global _i2c
    sim, address, values = ROWS[i][1:]
    _i2c = _attach(_bus([(sim, address, values)]))
    print(QMARK, i, p, "before")
    micropython.qstr_info()
    gc.collect()


def _make(i, p):
    global _dev
    kind, sim, address = ROWS[i][:3]
    _S["error"] = None
    _S["before"] = gc.mem_alloc()
    try:
        __import__("plugins.sensors." + kind)
        _dev = sys.modules["plugins.sensors." + kind].Device(_i2c, address)
    except Exception as err:
        _S["error"] = type(err).__name__ + ": " + str(err)
    gc.collect()


def _after(i, p):
    global _dev, _i2c
    after = gc.mem_alloc()
    print(QMARK, i, p, "after")
    micropython.qstr_info()
    new = sorted(m for m in sys.modules if m not in _keep)
    print(MARK + " " + json.dumps({"sim": ROWS[i][1], "pass": p, "bytes": after - _S["before"], "modules": new,
                                  "error": _S["error"]}))
    _dev = None
    _i2c = None
    for m in new:
        del sys.modules[m]
        pkg, _, leaf = m.rpartition(".")
        p = sys.modules.get(pkg)
        if p is not None and leaf in p.__dict__:
            delattr(p, leaf)
    gc.collect()


def _prep_all():
    global _i2c
    _i2c = _attach(_bus(ALL))
    gc.collect()


def _make_all():
    global _dev
    _S["before"] = gc.mem_alloc()
    _dev = auto.find(_App(), _i2c)
    gc.collect()


def _after_all():
    after = gc.mem_alloc()
    print(MARK + " " + json.dumps({"pass": "all", "bytes": after - _S["before"],
                                  "found": [d.section.name for d in _dev]}))
'''
QMARK = "@@Q"


def heap_per_device(rows, together=()):
    """rows: [(kind, sim, address, values)]; together: [(sim, address, values)], a bus found by
    auto.find at the end (every driver's names already interned). From one VM run: {"rows": [{"sim",
    "bytes" (warm: code and objects), "cold_bytes" (first time, names and any new qstr pool included),
    "name_bytes" (names interned: qstr string data), "modules", "error"}], "together": {"bytes",
    "found"} or None}."""
    rows = [(kind, sim, address, dict(values)) for kind, sim, address, values in rows]
    together = [(sim, address, dict(values)) for sim, address, values in together]
    code = [_header(ROWS=rows, ALL=together, MARK=MARK, QMARK=QMARK) + _HEAP + "gc.collect()\n"]
    for p in ("cold", "warm"):
        for i in range(len(rows)):
            code += ["_prep(%d, %r)" % (i, p), "_make(%d, %r)" % (i, p), "_after(%d, %r)" % (i, p)]
    if together:
        code += ["_prep_all()", "_make_all()", "_after_all()"]
    out = run_vm(code)
    names = {}
    lines = out.splitlines()
    for n, line in enumerate(lines):
        if line.startswith(QMARK + " ") and n + 1 < len(lines):
            _, i, p, when = line.split()
            fields = dict(f.split("=") for f in lines[n + 1].split(":", 1)[1].replace(",", " ").split())
            names[(int(i), p, when)] = int(fields["n_str_data_bytes"])
    res = _parse(out)
    both = [r for r in res if r["pass"] == "all"]
    cold = [r for r in res if r["pass"] == "cold"]
    warm = [r for r in res if r["pass"] == "warm"]
    if len(cold) != len(rows) or len(warm) != len(rows):
        raise RuntimeError("heap run incomplete:\n" + out[-4000:])
    for i, (c, w) in enumerate(zip(cold, warm)):
        w["cold_bytes"] = c["bytes"]
        w["name_bytes"] = names[(i, "cold", "after")] - names[(i, "cold", "before")]
        w["error"] = w["error"] or c["error"]
        del w["pass"]
    return {"rows": warm, "together": both[0] if both else None}
