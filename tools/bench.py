#!/usr/bin/env python3
"""Benchmark figures for the DataLogger (`make bench`): figures with their targets, not pass/fail.

1. Throughput (CPython, host stand-ins): log cycles per second of the whole pipeline -- the App
   booted as `python -m host` boots it (default simulated bus: BME280 at 0x77 + MAX17048 at 0x36;
   serial CSV + SD CSV) with App.log() driven straight off the scheduler's clock -- against a
   hand-written loop doing the same driver reads and the same writes (a CSV line to the console
   and to a file, flushed per line). Both run in one worker process, alternating rounds, with
   the console on the same null sink and the BME280 in normal mode on the same "instant" bus.
   Target: framework / baseline >= 0.8.
2. Heap (MicroPython 1.27 VM): import cost of our code (core + default plugins) on top of the
   third-party libraries, target <= 32 KB; the whole default stack against the 163 KB heap of an
   ESP32-S3 without PSRAM; and the resident heap after App().boot() on simulated devices.
3. Allocation per log cycle (VM): bytes allocated by one steady-state App.log() (target <= 1 KB)
   and the retained growth over 10,000 cycles (must be ~0), with a per-component breakdown.
   The App runs in the VM on host/sim's simulators behind host/vm/busio.py. Once booted, the
   simulators' readings are frozen (their float maths is not firmware work), and what the
   simulated bus itself allocates is measured by replaying one cycle's I2C transactions.

4. AWS IoT: the heap in the VM with iot.aws enabled (the network libraries and our modules on top of
   the default stack; the whole stack resident after boot, after connecting and after N updates over
   host/vm/vmbroker.py, a socket answering as the broker and shadow do, without TLS) against the
   163 KB heap and the 128 KB target; on the host against the local AWS IoT stand-in, the wire cost
   per observation (payload and MQTT bytes, AWS's 5 KB message and 1 KB shadow units) for each
   Confirmation choice, and the largest gap between log ticks at 1 s during each network fault.
5. Menu and saved settings (VM): the NVM image (core/savedfile.py) with every property a default boot
   declares at its longest, against the 8 KiB NVM; the menu's heap: its import cost when it opens,
   what drawing its largest page allocates, and what stays resident once it is closed.

In this VM the GC collects only between top-level chunks of code (tools/mpvm.py), so every
resident-heap figure is read in a chunk of its own after a collection.

    .venv/bin/python tools/bench.py [--quick]

Library use (tests/test_bench.py runs each with tiny counts)::

    throughput(rounds, cycles)     heap_imports()     heap_after_boot()
    alloc_per_cycle(cycles, long_cycles)               alloc_breakdown(calls)
    aws_heap(updates)   aws_heap_imports(boot)   aws_wire(updates)   aws_stall(seconds)
    nvm_image_size()    menu_heap(redraws)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)
import bench_heap  # noqa: E402
import mpvm  # noqa: E402

THROUGHPUT_TARGET = 0.8
OURS_TARGET_KB = 32
ALLOC_TARGET = 1024
BUDGET_KB = bench_heap.BUDGET_KB

LIBS = list(bench_heap.DEFAULT_LIBS)
LIB_DIRS = ["adafruit_ticks", "adafruit_bus_device", "adafruit_register", "adafruit_max1704x", "adafruit_bme280"]
PLUGINS = ["plugins.sensors.auto", "plugins.sensors.base", "plugins.sensors.bme280", "plugins.sensors.max17048",
           "plugins.outputs.serial", "plugins.outputs.sdcard"]
DEFAULT_BUS = os.path.join(REPO, "host", "sim", "default_bus.json")
BME280_NORMAL = 0x03
SLICE = 50  # cycles of one loop before the next loop's turn, within a throughput round
VM_SLICE = 100  # the same in the VM (whose clock steps by 1 ms): a slice's garbage fits its heap


def _module_file(name: str):
    base = os.path.join(REPO, *name.split("."))
    for cand in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(cand):
            return cand
    return None


def _module_level_imports(name: str) -> set:
    """Our modules that `name` imports when it is imported (not those imported inside functions)."""
    import ast

    path = _module_file(name)
    if path is None:
        return set()
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                mod = base + ("." + node.module if node.module else "")
            else:
                mod = node.module or ""
            found.add(mod)
            for alias in node.names:
                found.add(mod + "." + alias.name)
        todo.extend(ast.iter_child_nodes(node))
    out = set()
    for mod in found:
        parts = mod.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b imports the package a first
            sub = ".".join(parts[:i])
            if parts[0] in ("core", "plugins") and _module_file(sub):
                out.add(sub)
    out.discard(name)
    return out


def import_order(names) -> list:
    """`names` leaves first (each after our modules it imports), so that importing them in this
    order charges each module only its own cost."""
    names = set(names)
    order: list = []
    state: dict = {}

    def visit(n):
        if state.get(n):
            return
        state[n] = 1
        for dep in sorted(_module_level_imports(n)):
            visit(dep)
        order.append(n)

    for n in sorted(names):
        visit(n)
    return [n for n in order if n in names or n.split(".")[0] in ("core", "plugins")]


def bench_bus() -> dict:
    """The default bus, with the BME280's conversions taking no simulated time."""
    with open(DEFAULT_BUS) as f:
        doc = json.load(f)
    for dev in doc["devices"]:
        if dev["type"] == "BME280":
            dev["instant"] = True
    return doc


# ------------------------------------------------------------------ 1. throughput (CPython and VM)

# Source run unchanged in CPython and in the MicroPython VM.
_FROZEN_I2C = '''
class FrozenI2C:
    """An I2C bus with frozen registers: each read answers what the simulated device answered
    for the same address, register and length while recording. The drivers run unmodified; the
    simulator's work is gone, as with the board's C busio, where a transfer is one call."""

    def __init__(self, real):
        self.real = real  # the simulated bus, used while recording
        self.answers = {}
        self.key = 0  # address and register pointer of the last write
        self.recording = True
        self.locked = False

    def try_lock(self):
        if self.locked:
            return False
        self.locked = True
        return True

    def unlock(self):
        self.locked = False

    def _answer(self, buffer, start, end):
        if end is None:
            end = len(buffer)
        key = (self.key << 8) | (end - start)
        if self.recording:
            self.answers[key] = bytes(buffer[start:end])
            return
        try:
            buffer[start:end] = self.answers[key]
        except KeyError:
            raise OSError("frozen bus: nothing recorded for address 0x%02x register 0x%02x, %d bytes"
                          % (key >> 16, (key >> 8) & 0xFF, end - start))

    def writeto(self, address, buffer, *, start=0, end=None):
        self.key = (address << 8) | (buffer[start] if len(buffer) > start else 0)
        if self.recording:
            self._real("writeto", address, buffer, start, end)

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        if self.recording:
            self._real("readfrom_into", address, buffer, start, end)
        self._answer(buffer, start, end)

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0, out_end=None,
                              in_start=0, in_end=None):
        self.key = (address << 8) | out_buffer[out_start]
        if self.recording:
            real = self.real
            while not real.try_lock():
                pass
            try:
                real.writeto_then_readfrom(address, out_buffer, in_buffer, out_start=out_start,
                                           out_end=len(out_buffer) if out_end is None else out_end,
                                           in_start=in_start, in_end=len(in_buffer) if in_end is None else in_end)
            finally:
                real.unlock()
        self._answer(in_buffer, in_start, in_end)

    def _real(self, method, address, buffer, start, end):
        real = self.real
        while not real.try_lock():
            pass
        try:
            getattr(real, method)(address, buffer, start=start, end=len(buffer) if end is None else end)
        finally:
            real.unlock()


def i2c_devices(obj, depth=3):
    """What holds a bus inside a driver or a plugin: adafruit_bus_device I2CDevice objects, and a
    plugin that reads its registers itself (an `i2c` and an `address`; its driver, if it keeps one,
    is searched too)."""
    found = []
    d = getattr(obj, "__dict__", None)
    if d is None or depth == 0:
        return found
    if "device_address" in d and "i2c" in d:
        found.append(obj)
        return found
    if "address" in d and "i2c" in d:
        found.append(obj)
    for value in d.values():
        if hasattr(value, "__dict__") and not isinstance(value, type):
            found += i2c_devices(value, depth - 1)
    return found


def use_bus(devices, bus):
    for dev in devices:
        dev.i2c = bus
'''


def throughput(rounds: int = 15, cycles: int = 1000, timeout: float = 300) -> dict:
    """Run the throughput comparison in a fresh worker process (it puts host/stubs first on
    sys.path and changes directory, which must not leak into the caller)."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--throughput-worker",
                           str(rounds), str(cycles)], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@THROUGHPUT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError("throughput worker failed (rc=%d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    return json.loads(lines[-1][len("@@THROUGHPUT "):])


def _host_env():
    """The App's world as host/__main__.py makes it, in a temporary folder: returns
    (tmp, card folder). Stand-ins first on sys.path, the repo last, the board's root as cwd."""
    tmp = tempfile.mkdtemp(prefix="bench-throughput-")
    drive, card, root = (os.path.join(tmp, d) for d in ("drive", "sd", "root"))
    for d in (drive, card, root):
        os.makedirs(d)
    with open(os.path.join(drive, "settings.toml"), "w") as f:
        f.write("LOGGING_TIMER_INTERVAL = 10  # < 1000 ms: the BME280 plugin uses normal mode\n")
    bus_file = os.path.join(tmp, "bus.json")
    with open(bus_file, "w") as f:
        json.dump(bench_bus(), f)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
    sys.path[:0] = [os.path.join(REPO, "host", "stubs")]
    sys.path.append(REPO)
    from host import runtime

    runtime.DRIVE, runtime.SD_DIR, runtime.BUS_FILE, runtime.bus = drive, card, bus_file, None
    runtime.get_bus()
    os.symlink(os.path.join(drive, "settings.toml"), os.path.join(root, "settings.toml"))
    os.mkdir(os.path.join(root, "sd"))  # the mount point, as on CIRCUITPY
    os.chdir(root)
    return tmp, card


def _frozen_loops(app, fw, base, reads, drivers):
    """The loops again on one FrozenI2C: a cycle of each is recorded from the simulated bus,
    then every read is answered from the record. Returns (fw, base, reads) running on it."""
    import busio

    ns: dict = {}
    exec(_FROZEN_I2C, ns)
    frozen = ns["FrozenI2C"](busio.I2C(None, None))
    devices = []
    for obj in [d for _, d in app.devices] + list(drivers):
        devices += ns["i2c_devices"](obj, 4)
    sim = [d.i2c for d in devices]
    if len(devices) < 4:
        raise RuntimeError("expected the I2C devices of both loops (at least 4), found %d" % len(devices))

    def on_frozen(loop):
        def run(n):
            ns["use_bus"](devices, frozen)
            try:
                return loop(n)
            finally:
                for dev, bus in zip(devices, sim):
                    dev.i2c = bus
        return run

    fw_frozen, base_frozen, reads_frozen = on_frozen(fw), on_frozen(base), on_frozen(reads)
    fw_frozen(1)
    base_frozen(1)
    frozen.recording = False
    return fw_frozen, base_frozen, reads_frozen


def _throughput_worker(rounds: int, cycles: int) -> dict:
    tmp, card = _host_env()
    from host import runtime

    real_stdout = sys.stdout
    sink = open(os.devnull, "w", buffering=1)  # line-buffered, as the host runner's console
    sys.stdout = sink
    app = None
    try:
        app, fw = _framework(cycles)
        base, reads, base_bme, drivers = _baseline(cycles)
        fw_frozen, base_frozen, reads_frozen = _frozen_loops(app, fw, base, reads, drivers)
        loops = (fw, base, reads, fw_frozen, base_frozen, reads_frozen)
        for loop in loops:
            loop(max(cycles // 10, 1))  # warm-up
        rates: list = [[] for _ in loops]
        for _ in range(rounds):
            # Slices of the loops in turn, so that each sees the same machine load.
            times = [0.0] * len(loops)
            done = 0
            while done < cycles:
                n = min(SLICE, cycles - done)
                for i, loop in enumerate(loops):
                    times[i] += loop(n)
                done += n
            for i in range(len(loops)):
                rates[i].append(cycles / times[i])
    finally:
        sys.stdout = real_stdout
        sink.close()
        if app is not None:
            app.close()
    fw_rates, base_rates, read_rates, ffw_rates, fbase_rates, fread_rates = rates
    sim = runtime.get_bus().get(0x77)
    # The loops took turns within each round, so a round's ratio compares like with like: the
    # median round ratio is the figure. Rates are the round least disturbed by the rest of the
    # machine (the fastest in all).
    ratios = [a / b for a, b in zip(fw_rates, base_rates)]
    frozen_ratios = [a / b for a, b in zip(ffw_rates, fbase_rates)]
    best = min(range(rounds), key=lambda i: sum(1 / r[i] for r in rates))
    fw_rate, base_rate = fw_rates[best], base_rates[best]
    # The rest of a cycle once the reads are taken out, round by round (neighbours in time).
    fw_rest = statistics.median([1e6 / f - 1e6 / r for f, r in zip(fw_rates, read_rates)])
    base_rest = statistics.median([1e6 / b - 1e6 / r for b, r in zip(base_rates, read_rates)])
    with open(os.path.join(card, "sfe0001.txt")) as f:
        fw_line = f.read().splitlines()[-1]
    with open(os.path.join(card, "baseline.txt")) as f:
        base_line = f.read().splitlines()[-1]
    os.chdir(REPO)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "rounds": rounds,
        "cycles": cycles,
        "framework_hz": fw_rate,
        "baseline_hz": base_rate,
        "ratio": statistics.median(ratios),
        "best_round_ratio": fw_rate / base_rate,
        "ratios": ratios,
        "framework_us": 1e6 / fw_rate,
        "baseline_us": 1e6 / base_rate,
        "overhead_us": 1e6 / fw_rate - 1e6 / base_rate,
        "reads_us": statistics.median([1e6 / r for r in read_rates]),
        "framework_rest_us": fw_rest,
        "baseline_rest_us": base_rest,
        "frozen_ratio": statistics.median(frozen_ratios),
        "frozen_ratios": frozen_ratios,
        "frozen_framework_us": statistics.median([1e6 / r for r in ffw_rates]),
        "frozen_baseline_us": statistics.median([1e6 / r for r in fbase_rates]),
        "frozen_reads_us": statistics.median([1e6 / r for r in fread_rates]),
        "frozen_framework_rest_us": statistics.median([1e6 / f - 1e6 / r for f, r in zip(ffw_rates, fread_rates)]),
        "frozen_baseline_rest_us": statistics.median([1e6 / b - 1e6 / r for b, r in zip(fbase_rates, fread_rates)]),
        "bme280_normal_mode": [d.sensor.mode for _, d in app.devices if hasattr(getattr(d, "sensor", None), "mode")] == [BME280_NORMAL]
        and base_bme.mode == BME280_NORMAL and sim.regs[0xF4] & 0x03 == BME280_NORMAL,
        "framework_line": fw_line,
        "baseline_line": base_line,
    }


def _framework(cycles):
    from core.app import App

    app = App()
    app.boot()
    assert [d.section.name for _, d in app.devices] == ["MAX17048", "BME280"], app.devices
    clock = app.scheduler.now_ms
    log = app.log

    def run(n):
        t0 = time.perf_counter()
        for _ in range(n):
            log(clock())
        return time.perf_counter() - t0

    return app, run


def _baseline(cycles):
    """What one would write by hand: the drivers, a CSV line, print it, append it, flush."""
    import board
    import busio
    from adafruit_bme280.basic import Adafruit_BME280_I2C
    from adafruit_max1704x import MAX17048

    i2c = busio.I2C(board.SCL, board.SDA)
    gauge = MAX17048(i2c, 0x36)
    bme = Adafruit_BME280_I2C(i2c, 0x77)
    bme.mode = BME280_NORMAL
    out = open(os.path.join("sd", "baseline.txt"), "a")
    print("Time,Entry,Board,Voltage,SOC,Rate,Humidity,TempF,TempC,Pressure,AltM,AltF")
    start_ms = time.monotonic_ns() // 1000000
    epoch_base_ms = int(time.time()) * 1000 - start_ms
    state = {"entry": 0}

    def run(n):
        entry = state["entry"]
        t0 = time.perf_counter()
        for _ in range(n):
            now = time.monotonic_ns() // 1000000
            entry += 1
            secs, ms = divmod(epoch_base_ms + now, 1000)
            t = time.gmtime(secs)
            celsius = bme.temperature
            pascal = bme.pressure * 100.0
            metres = 44330.0 * (1.0 - (pascal / 101325.0) ** 0.1903)
            line = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ,%d,DataLogger IoT,%.2f,%.1f,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f" % (
                t[0], t[1], t[2], t[3], t[4], t[5], ms, entry,
                gauge.cell_voltage, gauge.cell_percent, gauge.charge_rate,
                bme.humidity, celsius * 9.0 / 5.0 + 32.0, celsius, pascal, metres, metres * 3.28084)
            print(line)
            out.write(line)
            out.write("\n")
            out.flush()
        took = time.perf_counter() - t0
        state["entry"] = entry
        return took

    def reads(n):
        """The driver reads alone (shared by both loops; mostly the simulators' work)."""
        t0 = time.perf_counter()
        for _ in range(n):
            bme.temperature, bme.pressure, bme.humidity
            gauge.cell_voltage, gauge.cell_percent, gauge.charge_rate
        return time.perf_counter() - t0

    return run, reads, bme, (gauge, bme)


# ------------------------------------------------------------------ VM set-up shared by 2 and 3

def _vm_files(tmp: str) -> list:
    settings = os.path.join(tmp, "settings.toml")
    with open(settings, "w") as f:
        f.write("LOGGING_TIMER_INTERVAL = 10\n")
    return ["core", "plugins", "host/sim", {"src": os.path.join(REPO, "host", "__init__.py"), "dst": "/host/__init__.py"},
            {"src": settings, "dst": "/settings.toml"}]


# Imported before the App so that they don't count: on the board they are built in (the
# stand-ins) or absent (the simulators).
_VM_PRELUDE = '''
import gc, json, sys
for _n in %r:
    try:
        __import__(_n)
    except ImportError:
        pass
import busio
from host.sim.bus import parse_bus
busio.sim = parse_bus(json.loads(%r))
''' % (bench_heap.PRELOAD, json.dumps(bench_bus()))

# Boot the App on the simulated devices and take one observation; then freeze the simulators'
# readings (their float maths is simulator work, not firmware work: the registers keep the last
# sample, as a real sensor's would between conversions).
_VM_BOOT = '''
from core.app import App
app = App()
app.boot()
clock = app.scheduler.now_ms
app.log(clock())

def _frozen():
    pass

for _d in busio.sim.devices.values():
    _d._before_read = _frozen

# Steady state: past 2**30 ns of uptime time.monotonic_ns() is a long int (it is on a board one
# second after boot), and so are the simulators' clocks.
import time
while busio.sim.now_s() < 1.2:
    time.sleep(0.1)

class Cycle:
    def __init__(self, app):
        self.app = app
        self.clock = app.scheduler.now_ms

    def cycle(self):
        self.app.log(self.clock())

obj = Cycle(app)
'''


QSTR_ENTRY = 7  # bytes a new name takes in a qstr pool: its hash, length and pointer (32-bit)
_VM_QSTR = "import micropython\n_qi = micropython.qstr_info\n_QM = '@@QSTR'\n"


def _settled(code: list) -> list:
    """The chunks, with the qstr pools' state printed after each that reads a mark (for qstr_fix)."""
    out = [code[0] + _VM_QSTR]
    for chunk in code[1:]:
        out.append(chunk)
        if "_mark('" in chunk:
            out.append("print(_QM)\n_qi()\n")
    return out


def qstr_fix(code: list, out: str) -> dict:
    """Per mark of `code` (as _settled ran it): the bytes to take off its heap figure so that the
    qstr pools count QSTR_ENTRY bytes per name. The VM grows its pools in doubling steps of up to
    ~20 KB, charged whole to whatever runs when one fills: a step falls before or after a mark with
    any unrelated change (a board's pools, beside its ROM names, step elsewhere again)."""
    marks = [re.findall(r"_mark\('(\w+)'\)", c)[-1] for c in code[1:] if "_mark('" in c]
    infos = re.findall(r"@@QSTR\s+qstr pool: n_pool=\d+, n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)",
                       out)
    return {m: int(total) - int(data) - int(n) * QSTR_ENTRY for m, (n, data, total) in zip(marks, infos)}


def _vm_run(code, files, what):
    rc, out = mpvm.run(code, files, libs=LIB_DIRS)
    if rc != 0:
        raise RuntimeError("%s failed in the VM (rc=%d):\n%s" % (what, rc, out))
    return out


def _marked(out: str, mark: str) -> dict:
    line = next((ln for ln in out.splitlines() if ln.startswith(mark + " ")), None)
    if line is None:
        raise RuntimeError("no %s line in the VM output:\n%s" % (mark, out[-3000:]))
    return json.loads(line[len(mark) + 1:])


# ------------------------------------------------------------------ 1b. throughput (VM)

# The board's built-ins are C: its clock read and its I2C transfers are single calls. In the VM the
# stand-ins are Python, so the framework's clock is the VM's own C ticks_ms (its 2**30 period does
# not wrap in a bench run), and the hand-written loop calls the VM's C time functions.
_VM_C_CLOCK = '''
import supervisor, utime
supervisor.ticks_ms = utime.ticks_ms
'''

# The hand-written loop in the VM, as one would write it for CircuitPython, and the loops' timing.
_VM_THROUGHPUT = '''
import builtins
from adafruit_bme280.basic import Adafruit_BME280_I2C
from adafruit_max1704x import MAX17048

_print = builtins.print

def _quiet(*args):
    pass

_sim_i2c = busio.I2C(None, None)
gauge = MAX17048(_sim_i2c, 0x36)
bme = Adafruit_BME280_I2C(_sim_i2c, 0x77)
bme.mode = 3
_bout = open("/sd/baseline.txt", "a")
_print("Time,Entry,Board,Voltage,SOC,Rate,Humidity,TempF,TempC,Pressure,AltM,AltF")
_start = utime.time_ns() // 1000000
_epoch_base = utime.time() * 1000 - _start
_S = [0]
_CSV = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ,%d,DataLogger IoT,%.2f,%.1f,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f"

def _base(n):
    entry = _S[0]
    out = _bout
    t0 = utime.ticks_us()
    for _ in range(n):
        now = utime.time_ns() // 1000000
        entry += 1
        secs, ms = divmod(_epoch_base + now, 1000)
        t = utime.localtime(secs)
        celsius = bme.temperature
        pascal = bme.pressure * 100.0
        metres = 44330.0 * (1.0 - (pascal / 101325.0) ** 0.1903)
        line = _CSV % (t[0], t[1], t[2], t[3], t[4], t[5], ms, entry,
                       gauge.cell_voltage, gauge.cell_percent, gauge.charge_rate,
                       bme.humidity, celsius * 9.0 / 5.0 + 32.0, celsius, pascal, metres, metres * 3.28084)
        print(line)
        out.write(line)
        out.write("\\n")
        out.flush()
    took = utime.ticks_diff(utime.ticks_us(), t0)
    _S[0] = entry
    return took

def _reads(n):
    """The driver reads alone (shared by both loops)."""
    t0 = utime.ticks_us()
    for _ in range(n):
        bme.temperature, bme.pressure, bme.humidity
        gauge.cell_voltage, gauge.cell_percent, gauge.charge_rate
    return utime.ticks_diff(utime.ticks_us(), t0)

def _fw(n):
    log = app.log
    clock = app.scheduler.now_ms
    t0 = utime.ticks_us()
    for _ in range(n):
        log(clock())
    return utime.ticks_diff(utime.ticks_us(), t0)

_frozen_bus = FrozenI2C(_sim_i2c)
_devices = []
for _task, _dev in app.devices:
    _devices += i2c_devices(_dev, 4)
for _drv in (gauge, bme):
    _devices += i2c_devices(_drv, 4)
if len(_devices) < 4:
    raise RuntimeError("expected the I2C devices of both loops (at least 4), found %d" % len(_devices))

def _on(bus):
    for _d in _devices:
        _d.i2c = bus

_LOOPS = (_fw, _base, _reads)
_T = {}  # (bus, loop index) -> [microseconds of each slice]

def _slice(n, bus):
    builtins.print = _quiet  # the console is a null sink for both loops
    try:
        _on(_frozen_bus if bus == "frozen" else _sim_i2c)
        for i in range(len(_LOOPS)):
            _T.setdefault((bus, i), []).append(_LOOPS[i](n))
    finally:
        builtins.print = _print
    gc.collect()

_on(_frozen_bus)  # one cycle of each loop records the answers
_fw(1)
_base(1)
_frozen_bus.recording = False
_on(_sim_i2c)
gc.collect()
'''


def vm_throughput(slices: int = 40, cycles: int = VM_SLICE, sim_slices: int = 10) -> dict:
    """Framework against the hand-written loop in the MicroPython VM, timed with ticks_us (1 ms
    steps in this VM): `slices` slices of `cycles` cycles of each loop on the frozen bus, then
    `sim_slices` on the simulated bus, the loops taking turns within each slice. The figure is
    the median of the slices' ratios: a slice disturbed by the rest of the machine is an outlier.
    The GC runs between slices (untimed, for both loops; a slice's garbage fits the heap)."""
    code = [_VM_C_CLOCK + _VM_PRELUDE + _FROZEN_I2C + _VM_BOOT + _VM_THROUGHPUT,
            "_slice(5, 'frozen')", "_slice(5, 'sim')", "_T.clear()"]  # warm-up
    for i in range(max(slices, sim_slices)):
        if i < slices:
            code.append("_slice(%d, 'frozen')" % cycles)
        if i < sim_slices:
            code.append("_slice(%d, 'sim')" % cycles)
    code.append("print('@@VMTHROUGHPUT', json.dumps([[k[0], k[1], v] for k, v in _T.items()]))")
    with tempfile.TemporaryDirectory() as tmp:
        out = _vm_run(code, _vm_files(tmp), "throughput")
    rows = _marked(out, "@@VMTHROUGHPUT")
    t = {(bus, i): us for bus, i, us in rows}
    res: dict = {"slices": slices, "sim_slices": sim_slices, "cycles": cycles}
    for bus in ("frozen", "sim"):
        fw, base, reads = t[(bus, 0)], t[(bus, 1)], t[(bus, 2)]
        res[bus + "_ratio"] = statistics.median([b / f for f, b in zip(fw, base)])
        res[bus + "_framework_us"] = statistics.median(fw) / cycles
        res[bus + "_baseline_us"] = statistics.median(base) / cycles
        res[bus + "_reads_us"] = statistics.median(reads) / cycles
        # The rest of a cycle once the reads are taken out, slice by slice (neighbours in time).
        res[bus + "_framework_rest_us"] = statistics.median([(f - r) / cycles for f, r in zip(fw, reads)])
        res[bus + "_baseline_rest_us"] = statistics.median([(b - r) / cycles for b, r in zip(base, reads)])
    return res


# ------------------------------------------------------------------ 2. heap (VM)

_OURS = ("core", "plugins")
_LIB_TOPS = tuple(n.split(".")[0] for n in LIBS)

# Records every module of ours or of the libraries that gets imported, lazily-imported and
# later-released ones included (MicroPython lets builtins.__import__ be replaced).
_VM_IMPORT_HOOK = """
import builtins
_seen = [None] * 256  # allocated before the baseline: recording allocates nothing that stays
_count = [0]
_import = builtins.__import__

def _hook(name, *args):
    module = _import(name, *args)
    for _m in sys.modules:
        if _m not in _seen and _m.split('.')[0] in %r:
            _seen[_count[0]] = _m
            _count[0] += 1
    return module

builtins.__import__ = _hook
""" % ((_OURS + _LIB_TOPS),)


# Quick commands typed on a running logger (each loads core.commands, some core.clip; a save
# loads core.savedfile): all released after use (core.app.USE_ONLY).
USE_COMMANDS = ("help", "heap", "uptime", "devices", "settings", "version")
TZ_DEFAULT = "MST7MDT,M3.2.0,M11.1.0"


_VM_APP_BOOT = "from core.app import App\napp = App()\napp.boot()\n"


def _vm_marks(keys) -> str:
    """VM code defining _mark(k): the resident heap into _R[k] (read at the start of a chunk, after the
    collection the chunk before asked for), then a collection for the next chunk. _R has every key
    from the start: no dict resize later."""
    return ("_R = %r\ndef _mark(k):\n    _R[k] = gc.mem_alloc()\n    gc.collect()\n"
            % dict.fromkeys(keys, 0))


def heap_after_boot(cycles: int = 50) -> dict:
    """Resident heap (after a collection at the top level) once App().boot() is done, and after
    `cycles` log cycles, measured from a baseline with the stand-ins and simulators loaded.
    Also names the modules the boot imported and those still resident after it."""
    with tempfile.TemporaryDirectory() as tmp:
        code = [
            _VM_PRELUDE + _VM_IMPORT_HOOK + _vm_marks(("base", "boot", "boot2", "logged", "used", "tz"))
            + "_print = builtins.print\ngc.collect()\n",
            "_mark('base')",
            _VM_APP_BOOT + "builtins.__import__ = _import\ngc.collect()\n",
            "_mark('boot')",
            "_resident = sorted(m for m in sys.modules if m.split('.')[0] in %r)\n"
            "_seen = sorted(_seen[:_count[0]])\ngc.collect()\n" % ((_OURS + _LIB_TOPS),),
            "_mark('boot2')",
            "for _i in range(%d):\n    app.log(app.scheduler.now_ms())\ngc.collect()\n" % cycles,
            "_mark('logged')",
            # First use of what a running logger loads on demand: quick commands, a settings save.
            "_before_use = set(sys.modules)\nbuiltins.print = lambda *a, **k: None\n"
            "for _c in %r:\n    app.console.run(_c)\napp.save_settings()\nbuiltins.print = _print\n"
            "_kept = sorted(m for m in sys.modules if m not in _before_use)\ngc.collect()\n" % (USE_COMMANDS,),
            "_mark('used')",
            # ISO8601+TZ mode keeps a PosixTZ (and its module) for the minute-by-minute offset.
            "from core.posixtz import PosixTZ\n_tz = PosixTZ(%r)\n_tz.utc_offset(1764633600)\ngc.collect()\n"
            % TZ_DEFAULT,
            "_mark('tz')",
            "print('@@BOOT', json.dumps({'baseline_bytes': _R['base'], 'boot_bytes': _R['boot'] - _R['base'],"
            " 'logged_bytes': _R['logged'] - _R['boot2'] + _R['boot'] - _R['base'], 'imported': _seen,"
            " 'resident': _resident, 'used_bytes': _R['used'] - _R['logged'], 'kept_after_use': _kept,"
            " 'tz_bytes': _R['tz'] - _R['used']}))",
        ]
        out = _vm_run(code, _vm_files(tmp), "boot")
    res = _marked(out, "@@BOOT")
    res["cycles"] = cycles
    return res


def heap_imports(boot: dict | None = None) -> dict:
    """Import cost: the libraries first, then each of our modules that a default boot imports
    (leaves first), each on top of the ones before. `boot` is heap_after_boot()'s result."""
    if boot is None:
        boot = heap_after_boot(cycles=0)
    ours = [m for m in boot["imported"] if m.split(".")[0] in _OURS]
    # What stays resident first (code.py's imports and the default plugins), then what boot
    # imports and releases: resident modules never import boot-only ones.
    ordered = import_order(ours)
    ordered = [m for m in ordered if m in boot["resident"]] + [m for m in ordered if m not in boot["resident"]]
    res = bench_heap.bench_imports(LIBS, ordered)
    bad = [r for r in res["rows"] if r["status"] != "ok"]
    if bad:
        raise RuntimeError("imports failed in the VM: %r" % bad)
    for r in res["rows"]:
        r["resident"] = r["kind"] == "lib" or r["name"] in boot["resident"]
    libs = sum(r["bytes"] for r in res["rows"] if r["kind"] == "lib")
    ours_bytes = sum(r["bytes"] for r in res["rows"] if r["kind"] == "ours")
    released = sum(r["bytes"] for r in res["rows"] if not r["resident"])
    res.update(libs_bytes=libs, ours_bytes=ours_bytes - released, whole_bytes=libs + ours_bytes - released,
               released_bytes=released, peak_bytes=libs + ours_bytes)
    return res


# ------------------------------------------------------------------ 3. allocation per cycle (VM)

def alloc_per_cycle(cycles: int = 1000, long_cycles: int = 10000, warmup: int = 100) -> dict:
    """bench_heap.measure_alloc on App.log() with the App booted in the VM."""
    with tempfile.TemporaryDirectory() as tmp:
        r = bench_heap.measure_alloc(_VM_PRELUDE + _VM_BOOT, cycles, long_cycles, _vm_files(tmp),
                                     warmup=warmup, libs=LIB_DIRS)
    r.pop("output", None)
    r["bytes_per_cycle_int"] = int(round(r["bytes_per_cycle"]))
    return r


# One cycle's I2C transactions are recorded, then replayed through the same busio stand-in and
# simulators: what they allocate is the simulated bus's, which a board's C busio doesn't allocate.
# Each part is measured in a chunk of its own (the VM collects garbage only between chunks), and
# its floats are counted on the heap map (micropython.mem_info(1) marks a float's block "F").
_VM_BREAKDOWN = '''
import micropython

class Replay:
    """One cycle's recorded I2C transactions, replayed with the same buffer sizes and ranges."""

    def __init__(self, i2c, ops):
        self.i2c = i2c
        self.ops = [(m, a, out, bytearray(n) if n else None, r) for m, a, out, n, r in ops]

    def cycle(self, _=None):
        i2c = self.i2c
        for m, a, out, buf, r in self.ops:
            while not i2c.try_lock():
                pass
            if m == "readfrom_into":
                i2c.readfrom_into(a, buf, start=r["start"], end=r["end"])
            elif m == "writeto":
                i2c.writeto(a, out, start=r["start"], end=r["end"])
            else:
                i2c.writeto_then_readfrom(a, out, buf, out_start=r["out_start"], out_end=r["out_end"],
                                          in_start=r["in_start"], in_end=r["in_end"])
            i2c.unlock()

def _record(fn, arg):
    busio.trace = []
    fn(arg)
    ops = busio.trace
    busio.trace = None
    return Replay(busio.I2C(None, None), ops)  # every VM I2C object reaches the same simulators

def _nothing(_):
    pass

_N = @CALLS@
_NF = @FLOAT_CALLS@
_rows = []  # [name, bytes per call, floats per call, error]
_parts = []  # [name, make]: make() gives (fn, arg)

def _part(name, make):
    _parts.append((name, make))

def _measure(i):
    """Bytes allocated per call (garbage included); a part that no longer exists is reported."""
    name, make = _parts[i]
    try:
        fn, arg = make()
        fn(arg)
        gc.disable()
        a = gc.mem_alloc()
        for _ in range(_N):
            fn(arg)
        b = gc.mem_alloc()
        gc.enable()
        _rows.append([name, (b - a) / _N, None, None])
        _parts[i] = (name, (fn, arg))
    except Exception as err:
        gc.enable()
        _rows.append([name, None, None, type(err).__name__ + ": " + str(err)])
        _parts[i] = (name, None)
    gc.collect()

def _floats(i):
    """The heap map before and after _NF calls: the host counts the new float blocks."""
    name, made = _parts[i]
    if made is None:
        return
    fn, arg = made
    gc.disable()
    print("@@MAP0 %d" % i)
    micropython.mem_info(1)
    print("@@MAP1 %d" % i)
    for _ in range(_NF):
        fn(arg)
    print("@@MAP2 %d" % i)
    micropython.mem_info(1)
    print("@@MAP3 %d" % i)
    gc.enable()
    gc.collect()

_obs = app.observation
_now = clock()
for _task, _dev in app.devices:
    _part("read " + _dev.section.name + " (plugin + driver + bus)", (lambda d: lambda: (d.read, 0))(_dev))
    _part("  of which the simulated bus", (lambda d: lambda: (_record(d.read, 0).cycle, 0))(_dev))
_part("timestamp (App.timestamp)", lambda: ((lambda a: app.timestamp()), 0))

def _csv(obs):
    obs.changed()
    obs.csv()

_part("CSV text (Observation.csv)", lambda: (_csv, _obs))
for _task, _out in app.outputs:
    _part("write " + _task.name + " (CSV cached)", (lambda o: lambda: (o.write, _obs))(_out))

def _call_overhead():
    from core.scheduler import Task
    calls = [(Task("bench"), _nothing, None)]  # bound once, as App.prepare binds a log cycle's calls
    scheduler = app.scheduler
    return (lambda a: scheduler.call_each(calls, a, 0)), 0

_part("Scheduler.call_each overhead (one call)", _call_overhead)
_part("clock read (now_ms: adafruit_ticks.ticks_ms)", lambda: ((lambda a: clock()), 0))
_part("whole App.log()", lambda: ((lambda a: obj.cycle()), 0))
_part("  of which the simulated bus", lambda: (_record(lambda a: obj.cycle(), 0).cycle, 0))
gc.collect()
'''


def _count_floats(out: str) -> dict:
    """Float blocks ("F" on the heap map) new between the @@MAP1 and @@MAP2 marks, per part."""
    counts: dict = {}
    maps: dict = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@@MAP"):
            mark, i = line[5], int(line.split()[1])
            current = (i, mark) if mark in "02" else None  # a map follows @@MAP0 and @@MAP2
            if current is not None:
                maps[current] = 0
            continue
        if current is not None and len(line) > 10 and line[8:10] == ": ":
            maps[current] += line[10:].count("F")
    for (i, mark), n in maps.items():
        if mark == "0" and (i, "2") in maps:
            counts[i] = maps[(i, "2")] - n
    return counts


MAX_PARTS = 32
FLOAT_BYTES = 16  # a boxed float in the VM: one 16-byte GC block (the board keeps it in the object word)


def alloc_breakdown(calls: int = 200, float_calls: int = 10) -> dict:
    """Bytes allocated per call by each part of a log cycle, in the VM (garbage included), and
    the floats among them; the board-model figure leaves out the floats and the simulated bus."""
    code = _VM_PRELUDE + _VM_BOOT + _VM_BREAKDOWN.replace("@CALLS@", str(int(calls))).replace(
        "@FLOAT_CALLS@", str(int(float_calls)))
    chunks = [code]
    for i in range(MAX_PARTS):  # the parts depend on the devices and outputs found: guarded chunks
        chunks += ["if %d < len(_parts): _measure(%d)" % (i, i), "if %d < len(_parts): _floats(%d)" % (i, i)]
    chunks.append("print('@@BREAKDOWN', json.dumps(_rows))")
    with tempfile.TemporaryDirectory() as tmp:
        out = _vm_run(chunks, _vm_files(tmp), "breakdown")
    rows = _marked(out, "@@BREAKDOWN")  # [name, bytes per call or None, floats per call, error or None]
    floats = _count_floats(out)
    for i, row in enumerate(rows):
        if row[1] is not None and i in floats:
            row[2] = floats[i] / float_calls
    names = [r[0] for r in rows]
    k = names.index("whole App.log()")
    whole, bus = rows[k], rows[k + 1]
    if whole[1] is None or bus[1] is None or whole[2] is None or bus[2] is None:
        raise RuntimeError("breakdown: App.log() could not be measured: %r" % rows)
    board = (whole[1] - whole[2] * FLOAT_BYTES) - (bus[1] - bus[2] * FLOAT_BYTES)
    return {"calls": calls, "rows": rows, "whole_bytes": whole[1], "bus_bytes": bus[1],
            "bus_floats": bus[2], "net_bytes": whole[1] - bus[1], "float_count": whole[2] - bus[2],
            "float_bytes": (whole[2] - bus[2]) * FLOAT_BYTES, "board_bytes": board}


# ------------------------------------------------------------------ 4. AWS IoT (VM heap; wire and stall on the host)

AWS_LIBS = ["adafruit_connection_manager", "adafruit_minimqtt.adafruit_minimqtt", "adafruit_ntp"]
AWS_MODULES = ["core.net", "plugins.iot.aws", "plugins.iot.mqttlink", "plugins.iot.awsclient"]
# Imported for a step and released after it (core.app.release): in the heap only meanwhile.
AWS_ON_DEMAND = ["core.netsteps", "plugins.iot.awsprepare", "plugins.iot.awsconnect", "plugins.iot.tlsfiles",
                 "plugins.iot.awswords", "plugins.iot.awsnotes", "plugins.iot.networds"]
AWS_RELEASED = {"plugins.iot.aws": "released after setup; its Props stay in the settings",
                "core.netsteps": "on demand: start, a WiFi join, an NTP query",
                "plugins.iot.awsprepare": "at the start only: the state, the settings check, the outbox",
                "plugins.iot.awsconnect": "on demand: each connect attempt",
                "plugins.iot.awswords": "on demand: link trouble, in a user's words",
                "plugins.iot.awsnotes": "on demand: a rejection, an update too big, !aws",
                "plugins.iot.tlsfiles": "on demand: the certificate files, until a TLS context is made",
                "plugins.iot.networds": "on demand: a network error in a user's words",
                "adafruit_ntp": "imported for an NTP query only, then released"}
AWS_TARGET_KB = 128  # the whole stack with AWS IoT connected (issue 6)
TLS_KB = 36  # one mbedTLS connection on the board (platform reference); no TLS in the VM
THING = "TestThing23"
MQTT_CHUNK = 5120  # AWS IoT meters messages in 5 KB chunks
SHADOW_CHUNK = 1024  # and shadow operations per 1 KB record


def _aws_settings(extra: str = "") -> str:
    names = ("AmazonRootCA1.pem", "TestThing23_DevCert.crt", "TestThing23_Private.key")
    return ('LOGGING_TIMER_INTERVAL = 1000\nAWS_IOT_ENABLED = 1\nAWS_IOT_SERVER = "localhost"\n'
            'AWS_IOT_CLIENT_NAME = "%s"\nAWS_IOT_CA_CERT_FILENAME = "%s"\nAWS_IOT_CLIENT_CERT_FILENAME = "%s"\n'
            'AWS_IOT_CLIENT_KEY_FILENAME = "%s"\nNTP_CLIENT_ENABLED = 0\n' % ((THING,) + names)) + extra


def _aws_vm_files(tmp: str, extra: str = "", aws: bool = True) -> list:
    """The VM's drive with AWS IoT on (or off: `aws`) and the settings `extra`, and the Thing's real
    certificate files on its card."""
    _repo_on_path()
    from host.aws.certs import copy_device_files, make_certs

    files = _vm_files(tmp)
    settings = os.path.join(tmp, "settings.toml")
    with open(settings, "w") as f:
        f.write(_aws_settings(extra).replace("AWS_IOT_ENABLED = 1", "AWS_IOT_ENABLED = %d" % aws))
    card = os.path.join(tmp, "sd")
    for path in copy_device_files(make_certs(os.path.join(tmp, "certs"), THING), card):
        files.append({"src": path, "dst": "/sd/" + os.path.basename(path)})
    return files


# The VM's network: the radio joined, every socket a vmbroker.BrokerSocket (host/vm/vmbroker.py).
_VM_AWS_NET = '''
import wifi, socketpool, ssl, vmbroker
socketpool.peer = vmbroker.BrokerSocket
wifi.radio.connected = True
wifi.radio.ipv4_address = "10.0.0.2"
wifi.radio.ap_info = None
_R = {"base": 0, "cm": 0, "boot": 0, "conn": 0, "sent": 0, "attempt": 0, "words": 0}
_TYPING = %r
if _TYPING in sys.path:
    sys.path.remove(_TYPING)

def _mark(k):
    _R[k] = gc.mem_alloc()
    gc.collect()

gc.collect()
''' % mpvm.TYPING_STUBS_VM

# adafruit_connection_manager imports typing off CircuitPython: stubs for its import only.
_VM_AWS_CM = '''
sys.path.append(_TYPING)
import adafruit_connection_manager
sys.path.remove(_TYPING)
for _m in list(sys.modules):
    if _m == "typing" or _m.split(".")[0] == "circuitpython_typing":
        del sys.modules[_m]
gc.collect()
'''

_VM_AWS_BOOT = '''
from core.app import App
app = App()
app.boot()
_aws = [p for n, p in app.plugins if n == %r][0]
from adafruit_ticks import ticks_add
_now = [app.scheduler.now_ms()]

def _step(k):
    for _ in range(k):
        _now[0] = ticks_add(_now[0], 1000)
        app.log(_now[0])
        for _t, _p in app.pollers:
            _p.poll(_now[0])
gc.collect()
'''


def aws_heap(updates: int = 50, extra: str = "", plugin: str = "iot.aws") -> dict:
    """Resident heap in the VM with AWS IoT on: after boot, after connecting (TCP, MQTT CONNECT,
    subscriptions, the first update accepted) and after `updates` more, through a socket that
    answers as the broker and shadow do (host/vm/vmbroker.py; no TLS). `extra`: more settings (a
    sibling service enabled...); `plugin`: the service whose counts are reported (AWS IoT is off
    unless it is "iot.aws")."""
    steps = ["_step(10)\ngc.collect()\n"] * (updates // 10) + (
        ["_step(%d)\ngc.collect()\n" % (updates % 10)] if updates % 10 else [])
    with tempfile.TemporaryDirectory() as tmp:
        code = [_VM_PRELUDE + _VM_AWS_NET, "_mark('base')", _VM_AWS_CM, "_mark('cm')", _VM_AWS_BOOT % plugin,
                "_mark('boot')", "_step(4)\ngc.collect()\n", "_mark('conn')",
                "print('@@AWSCONN', json.dumps([_aws.connected, _aws.confirmed, _aws.sent]))"] + steps + [
                "_mark('sent')",
                # A reconnect holds the connect code (plugins/iot/awsconnect.py) on top of it all, then TLS.
                "import plugins.iot.awsconnect\ngc.collect()\n", "_mark('attempt')",
                # A rejection or !aws while connected holds plugins/iot/awsnotes.py (TLS still open).
                "from core.app import release\nrelease(['plugins.iot.awsconnect'])\n"
                "import plugins.iot.awsnotes\ngc.collect()\n", "_mark('words')",
                "print('@@AWSHEAP', json.dumps({'cm': _R['cm'] - _R['base'], 'boot': _R['boot'] - _R['base'],"
                " 'conn': _R['conn'] - _R['base'], 'sent': _R['sent'] - _R['base'], 'updates_sent': _aws.sent,"
                " 'attempt': _R['attempt'] - _R['base'], 'words': _R['words'] - _R['base'],"
                " 'confirmed': _aws.confirmed, 'broker_publishes': vmbroker.BrokerSocket.publishes,"
                " 'pubacks': vmbroker.BrokerSocket.pubacks, 'connected': _aws.connected,"
                " 'modules': sorted(m for m in sys.modules if m.split('.')[0] in"
                " ('core', 'plugins', 'adafruit_minimqtt', 'adafruit_connection_manager', 'adafruit_ntp'))}))"]
        rc, out = mpvm.run(_settled(code), _aws_vm_files(tmp, extra, plugin == "iot.aws"), libs=LIB_DIRS + [n.split(".")[0] for n in AWS_LIBS],
                           typing_stubs=True)
    if rc != 0:
        raise RuntimeError("AWS heap bench failed in the VM (rc=%d):\n%s" % (rc, out[-4000:]))
    res = _marked(out, "@@AWSHEAP")
    conn = _marked(out, "@@AWSCONN")
    fix = qstr_fix(code, out)
    for key in ("cm", "boot", "conn", "sent", "attempt", "words"):
        res[key] -= fix[key] - fix["base"]
    res.update(updates=updates, connected_after_setup=conn[0], confirmed_at_connect=conn[1])
    return res


def aws_heap_imports(boot: dict | None = None) -> dict:
    """Import cost in the VM: the default stack's libraries and modules first (as heap_imports), then
    the network libraries and our AWS IoT modules, each on top of the ones before."""
    if boot is None:
        boot = heap_after_boot(cycles=0)
    ours = [m for m in boot["imported"] if m.split(".")[0] in _OURS and m in boot["resident"]]
    base = import_order(ours)
    extra = [m for m in import_order(base + AWS_MODULES + AWS_ON_DEMAND) if m not in base]
    res = bench_heap.bench_imports(LIBS + AWS_LIBS, base + extra)
    bad = [r for r in res["rows"] if r["status"] != "ok"]
    if bad:
        raise RuntimeError("imports failed in the VM: %r" % bad)
    res["aws_libs"] = [r for r in res["rows"] if r["name"] in AWS_LIBS]
    res["aws_ours"] = [r for r in res["rows"] if r["name"] in extra]
    res["aws_libs_bytes"] = sum(r["bytes"] for r in res["aws_libs"])
    res["aws_ours_bytes"] = sum(r["bytes"] for r in res["aws_ours"])
    return res


def _repo_on_path():
    """host.aws (the stand-in) from the repo; last, so its code.py never shadows the stdlib's `code`."""
    if REPO not in sys.path:
        sys.path.append(REPO)


def _standin(tmp: str):
    from host.aws import NtpServer, StandIn

    standin = StandIn(os.path.join(tmp, "aws"), THING)
    standin.start()
    try:
        ntp = NtpServer(os.path.join(tmp, "ntp")).start()
    except BaseException:
        standin.stop()
        raise
    return standin, ntp


def _mqtt_publish_bytes(topic: str, payload: int, qos: int) -> int:
    rest = 2 + len(topic.encode()) + (2 if qos else 0) + payload
    length = 1
    while rest >= 128 ** length:
        length += 1
    return 1 + length + rest


def aws_wire(updates: int = 5, timeout: float = 60) -> dict:
    """Per observation, for each Confirmation choice, on the host against the stand-in: what the
    device publishes and what AWS sends to it, counted by a paho client subscribed to the Thing's
    shadow topics, in payload and MQTT bytes and in AWS's metering units."""
    import math

    import paho.mqtt.client as mqtt

    _repo_on_path()
    from host.aws.devicerun import Logger, aws_toml, toml

    prefix = "$aws/things/%s/shadow/update" % THING
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        standin, ntp = _standin(tmp)
        seen: list = []
        monitor = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-monitor")
        try:
            certs = standin.certs
            monitor.tls_set(ca_certs=certs.ca, certfile=certs.service_cert, keyfile=certs.service_key)
            monitor.on_message = lambda _c, _u, msg: seen.append((msg.topic, bytes(msg.payload)))
            monitor.connect(standin.host, standin.port)
            monitor.subscribe(prefix + "/#", 0)
            monitor.loop_start()
            time.sleep(0.5)
            for mode in ("PUBACK", "accepted"):
                done = "delivered (PUBACK)" if mode == "PUBACK" else "accepted, shadow version"
                first = len(seen)
                logger = Logger(os.path.join(tmp, mode), toml("127.0.0.1:%d" % ntp.port, interval=1000,
                                                              extra=aws_toml(standin) + 'AWS_IOT_CONFIRMATION = "%s"\n'
                                                              % mode), bench_bus(), card_files=standin.certs)
                try:
                    # PUBACK: the first update after a connect is confirmed by update/accepted (the policy
                    # check), the rest by PUBACK: the steady state is what comes after it.
                    logger.wait(done, count=updates + (0 if mode == "PUBACK" else 1), timeout=timeout)
                    time.sleep(0.3)
                finally:
                    logger.stop()
                msgs = seen[first:]
                tokens = [_token(p) for t, p in msgs if t == prefix]
                steady = set(tokens[1:updates + 1])
                sent = [len(p) for t, p in msgs if t == prefix and _token(p) in steady]
                accepted = [len(p) for t, p in msgs if t == prefix + "/accepted" and _token(p) in steady]
                documents = [len(p) for t, p in msgs if t == prefix + "/documents"][1:updates + 1]
                # What the device receives: plugins/iot/awsclient.py subscribes (QoS 0) to update/rejected,
                # and to update/accepted only until the first update on a connection is accepted when
                # Confirmation is PUBACK; QoS 0 subscriptions mean the device sends no PUBACKs.
                to_device = accepted if mode == "accepted" else []
                qos = 1 if mode == "PUBACK" else 0
                n = len(sent)
                rows[mode] = {
                    "updates": n,
                    "payload_bytes": sum(sent) / n,
                    "mqtt_bytes_up": sum(_mqtt_publish_bytes(prefix, s, qos) for s in sent) / n,
                    "accepted_bytes": sum(accepted) / len(accepted) if accepted else 0,
                    "documents_bytes": sum(documents) / len(documents) if documents else 0,
                    "mqtt_bytes_down": (sum(_mqtt_publish_bytes(prefix + "/accepted", a, 0) for a in to_device)
                                        / n + (4 if qos else 0)),
                    "metered_up": sum(math.ceil(s / MQTT_CHUNK) for s in sent) / n,
                    "metered_down": sum(math.ceil(a / MQTT_CHUNK) for a in to_device) / n,
                    "metered_device_pubacks": 0,
                    "shadow_units": sum(math.ceil(s / SHADOW_CHUNK) for s in sent) / n,
                    "largest_gap_ms": logger.largest_gap(since=1),
                }
                rows[mode]["metered"] = (rows[mode]["metered_up"] + rows[mode]["metered_down"]
                                         + rows[mode]["metered_device_pubacks"])
        finally:
            monitor.loop_stop()
            monitor.disconnect()
            ntp.stop()
            standin.stop()
    return rows


def _token(payload: bytes) -> str:
    try:
        return json.loads(payload).get("clientToken") or ""
    except ValueError:
        return ""


STALL_INTERVAL = 1000


def aws_stall(seconds: float = 8, timeout: float = 60) -> dict:
    """The largest gap between log ticks (1 s interval) during each network fault, on the host against
    the stand-in, all faults at once (one logger each) plus a logger with AWS IoT off for comparison."""
    import signal
    import socket

    _repo_on_path()
    from host.aws.devicerun import Logger, aws_toml, toml

    def closed_port(kind=socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        standin, ntp = _standin(tmp)
        black_hole = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody ever answers
        ntp_ok = "127.0.0.1:%d" % ntp.port
        cases = {
            "AWS IoT off (no fault)": (toml(ntp_ok, STALL_INTERVAL), ()),
            "broker down (port closed)": (toml(ntp_ok, STALL_INTERVAL, aws_toml(standin, port=closed_port())), ()),
            "broker black-holed": (toml(ntp_ok, STALL_INTERVAL, aws_toml(standin, port=black_hole.getsockname()[1])),
                                   ()),
            "broker refusing the certificate": (toml(ntp_ok, STALL_INTERVAL, aws_toml(
                standin, cert="wrong.crt", key="wrong.key")), ()),
            "WiFi dropped and back": (toml(ntp_ok, STALL_INTERVAL, aws_toml(standin)), ()),
            "NTP unreachable, clock unset": (toml("127.0.0.1:%d" % closed_port(socket.SOCK_DGRAM), STALL_INTERVAL,
                                                  aws_toml(standin)), ("--rtc", "2000-01-01")),
        }
        loggers = {}
        try:
            for i, (name, (settings, args)) in enumerate(cases.items()):
                logger = loggers[name] = Logger(os.path.join(tmp, str(i)), settings, bench_bus(),
                                                card_files=standin.certs, args=args)
                with open(standin.certs.wrong_cert) as f, open(os.path.join(tmp, str(i), "sd", "wrong.crt"), "w") as g:
                    g.write(f.read())
                with open(standin.certs.wrong_key) as f, open(os.path.join(tmp, str(i), "sd", "wrong.key"), "w") as g:
                    g.write(f.read())
            wifi = loggers["WiFi dropped and back"]
            wifi.wait("[I] AWS IoT: connected to", timeout=timeout)
            marks = {name: len(lg.times()) for name, lg in loggers.items()}
            wifi.proc.send_signal(signal.SIGUSR1)  # the access point goes away
            wifi.wait("[W] WiFi: lost", timeout=timeout)
            time.sleep(seconds / 2)
            wifi.proc.send_signal(signal.SIGUSR2)  # and comes back
            wifi.wait("[I] AWS IoT: connected to", count=2, timeout=timeout)
            time.sleep(max(0.0, seconds / 2 - 1))
        finally:
            for logger in loggers.values():
                logger.stop()
            black_hole.close()
            ntp.stop()
            standin.stop()
        for name, logger in loggers.items():
            # From the second tick (the first is at boot); the WiFi drop from just before it.
            since = max(marks[name] - 1, 1) if name == "WiFi dropped and back" else 1
            times = logger.times()[since:]
            res[name] = {"largest_gap_ms": max(b - a for a, b in zip(times, times[1:])), "ticks": len(times),
                         "said": [line for line in logger.lines if line.startswith("[W]")][:2]}
    return res


# ------------------------------------------------------------------ 5. menu and saved settings (VM)

NVM_BYTES = 8192  # microcontroller.nvm on the ESP32-S3 (host/vm/microcontroller.py)


def _pem(label: str, der_bytes: int) -> str:
    """A PEM block of the size a real one of `der_bytes` DER bytes has (64-character base64 lines)."""
    b64 = "A" * (4 * ((der_bytes + 2) // 3))
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----" % (label, "\n".join(lines), label)


def _all_plugins() -> str:
    """Every plugin under plugins/ (a module with a setup()), as a PLUGINS value names them."""
    names = []
    for kind in sorted(os.listdir(os.path.join(REPO, "plugins"))):
        folder = os.path.join(REPO, "plugins", kind)
        if not os.path.isdir(folder):
            continue
        for fname in sorted(os.listdir(folder)):
            if fname.endswith(".py") and fname != "__init__.py":
                with open(os.path.join(folder, fname)) as f:
                    if "\ndef setup(" in f.read():
                        names.append(kind + "." + fname[:-3])
    return ", ".join(names)


# Realistic longest values of the free-text settings: (what, length or value, settings keys). A key
# not listed gets DEFAULT_REALISTIC characters and is named in the result.
_WIFI = ("WIFI_NETWORK_NAME", "WIFI_NETWORK_2_NAME", "WIFI_NETWORK_3_NAME", "WIFI_NETWORK_4_NAME")
REALISTIC = (
    ("hostnames: 253 (DNS)", 253, ("NTP_CLIENT_NTP_SERVER_ONE", "NTP_CLIENT_NTP_SERVER_TWO", "AWS_IOT_SERVER",
                                   "MQTT_CLIENT_SERVER", "MQTT_SECURE_CLIENT_SERVER")),
    ("WiFi network names: 32 (SSID)", 32, _WIFI),
    ("WiFi passwords: 64 (WPA2 hex key)", 64,
     ("WIFI_PASSWORD",) + tuple(k.replace("_NAME", "_PASSWORD") for k in _WIFI[1:])),
    ("file names and the file prefix: 128", 128, ("DATA_FILE_FILE_PREFIX", "AWS_IOT_CA_CERT_FILENAME",
                                                   "AWS_IOT_CLIENT_CERT_FILENAME", "AWS_IOT_CLIENT_KEY_FILENAME",
                                                   "MQTT_SECURE_CLIENT_CA_CERT_FILENAME",
                                                   "MQTT_SECURE_CLIENT_CLIENT_CERT_FILENAME",
                                                   "MQTT_SECURE_CLIENT_CLIENT_KEY_FILENAME", "HTTP_IOT_CA_CERT_FILENAME")),
    ("MQTT topic: 256 (AWS IoT)", 256, ("AWS_IOT_MQTT_TOPIC", "MQTT_CLIENT_MQTT_TOPIC", "MQTT_SECURE_CLIENT_MQTT_TOPIC")),
    ("Thing name: 128 (AWS IoT)", 128, ("AWS_IOT_CLIENT_NAME",)),
    ("MQTT client ID: 64", 64, ("MQTT_CLIENT_CLIENT_NAME", "MQTT_SECURE_CLIENT_CLIENT_NAME")),
    ("MQTT username and password: 128", 128, ("AWS_IOT_USERNAME", "AWS_IOT_PASSWORD", "MQTT_CLIENT_USERNAME",
                                              "MQTT_CLIENT_PASSWORD", "MQTT_SECURE_CLIENT_USERNAME",
                                              "MQTT_SECURE_CLIENT_PASSWORD")),
    ("HTTP URL: 256", 256, ("HTTP_IOT_URL",)),
    ("inline PEM: Amazon Root CA 1, an RSA-2048 device certificate and key",
     None, ("AWS_IOT_CA_CERTIFICATE", "AWS_IOT_CLIENT_CERTIFICATE", "AWS_IOT_CLIENT_KEY")),
    ("board name, time zone: 64", 64, ("APPLICATION_SETTINGS_BOARD_NAME", "TIME_SETUP_TIME_ZONE")),
    ("pin names: 16", 16, ("BOARD_PINS_I2C_SDA", "BOARD_PINS_I2C_SCL", "BOARD_PINS_SD_CS", "BOARD_PINS_SD_SCK",
                           "BOARD_PINS_SD_MOSI", "BOARD_PINS_SD_MISO")),
    ("plugin list: every plugin under plugins/", None, ("PLUGINS",)),
    ("device list and exclusions: 128", 128, ("DEVICES_DEVICE_LIST", "DEVICES_EXCLUDE")),
)
DEFAULT_REALISTIC = 64
# DER sizes: AmazonRootCA1 (837 bytes: its PEM is 1188), an AWS-issued RSA-2048 device certificate
# (~860) and its PKCS#1 key (1192: a 1675-byte PEM).
_PEMS = {"AWS_IOT_CA_CERTIFICATE": ("CERTIFICATE", 837), "AWS_IOT_CLIENT_CERTIFICATE": ("CERTIFICATE", 860),
         "AWS_IOT_CLIENT_KEY": ("RSA PRIVATE KEY", 1192)}


def realistic_values() -> dict:
    """{settings key: value} of the REALISTIC maxima."""
    out = {}
    for _, length, keys in REALISTIC:
        for key in keys:
            if key in _PEMS:
                out[key] = _pem(*_PEMS[key])
            elif key == "PLUGINS":
                out[key] = _all_plugins()
            else:
                out[key] = "a" * length
    return out


# Every declared property (after a default boot: the core's, the default plugins', one per device
# parameter) set to its longest value, saved as core/savedfile.py saves (its NVM image: header + JSON).
_VM_NVM = '''
import builtins, microcontroller
from core import savedfile
from core.coerce import stored
from core.props import CORE_PROPERTIES
from core.schema import BOOL, FLOAT, INT
from core.settings import SAVED
from plugins.ui.menupages import MAX_TEXT

_said = []
app.warn = lambda t: _said.append("[W] " + t)
app.info = lambda t: _said.append("[I] " + t)
_settings = app.settings
_props = _settings.props
_REAL = json.loads(%r)
_NVM = len(microcontroller.nvm)
_devices = [d.section.name for _, d in app.devices]
_core = [p.key for p in CORE_PROPERTIES if p.kind != "action"]
_free = [p for p in _props if p.kind not in (BOOL, INT, FLOAT) and not p.choices]
_unlisted = [p.key for p in _free if p.key not in _REAL]
_PEMS = %r

def _json_len(v):
    return len(json.dumps(v))

def _longest(prop, text):
    kind = prop.kind
    if kind == BOOL:
        return False  # "false" is the longer
    if kind == INT or kind == FLOAT:
        ends = [v for v in (prop.low, prop.high) if v is not None]
        if not ends:
            ends = [-2147483648 if kind == INT else -1.7976931348623157e308]
        best = ends[0]
        for v in ends:
            if _json_len(v) > _json_len(best):
                best = v
        return best
    if prop.choices:  # stored as its number in the NVM: the widest number, then the longest label
        best = prop.choices[0]
        for c in prop.choices:
            a, b = _json_len(stored(prop, c)), _json_len(stored(prop, best))
            if a > b or a == b and len(c) > len(best):
                best = c
        return best
    return text(prop)

def _set(text):
    for p in _props:
        _settings.values[p.key] = _longest(p, text)
        _settings.sources[p.key] = SAVED

def _size(text):
    _set(text)
    return len(savedfile.nvm_image(savedfile.dump_json(savedfile._numbered(app, _settings.saved_sections()),
                                                       _settings.order()).encode("utf-8")))

def _save(text):
    size = _size(text)
    del _said[:]
    microcontroller.nvm[0:_NVM] = b"\\xff" * _NVM
    answer = savedfile.save(app)
    payload, why = savedfile.nvm_payload(microcontroller.nvm)
    back = 0
    if payload is not None:
        sections, problems = savedfile.parse_json(payload.decode(), "NVM")
        for s in sections:
            back += len(sections[s])
    return {"bytes": size, "saved": answer, "said": list(_said), "read_back": back,
            "longest": max([len(text(p)) for p in _free])}

def _fixed(n):
    return lambda p: "a" * n

_res = {"nvm": _NVM, "props": len(_props), "core": len([p for p in _props if p.key in _core]),
        "devices": len([p for p in _props if p.section in _devices]), "free_strings": len(_free),
        "unlisted": _unlisted, "max_text": MAX_TEXT, "max_file": savedfile.MAX_FILE_BYTES,
        "menu": _save(_fixed(MAX_TEXT)), "realistic": _save(lambda p: _REAL.get(p.key) or "a" * %d),
        "realistic_files": _save(lambda p: "" if p.key in _PEMS else _REAL.get(p.key) or "a" * %d)}
_res["plugins"] = _res["props"] - _res["core"] - _res["devices"]
_empty = _size(_fixed(0))
_limit = (_NVM - _empty) // len(_free)
_res.update(empty_bytes=_empty, limit=_limit, at_limit=_size(_fixed(_limit)), past_limit=_size(_fixed(_limit + 1)))
print("@@NVM", json.dumps(_res))
'''


def nvm_image_size() -> dict:
    """The NVM image (core/savedfile.py) with every property a default boot declares at its longest:
    booleans false, numbers the wider end of their range, pick-lists their widest stored number, and
    free text (no per-string limit exists) three ways: at the menu's typed limit (MAX_TEXT), at
    realistic maxima (REALISTIC), and the longest one length for all that still fits."""
    code = [_VM_PRELUDE + _VM_APP_BOOT + "gc.collect()\n",
            _VM_NVM % (json.dumps(realistic_values()), tuple(_PEMS), DEFAULT_REALISTIC, DEFAULT_REALISTIC)]
    with tempfile.TemporaryDirectory() as tmp:
        out = _vm_run(code, _vm_files(tmp), "NVM image")
    return _marked(out, "@@NVM")


# The menu in the VM, opened and closed by keys on the console as a user does (core/console.py
# feeds them to plugins/ui/menupages.py), on an App booted with the default plugins (ui.menu on).
_VM_MENU = '''
import builtins, micropython
from adafruit_ticks import ticks_add, ticks_ms

_print = builtins.print
_lines = [0, 0]  # lines and characters printed
_MODS = [None] * 32  # the menu's modules while open, kept without allocating (names are interned)
_best = [0, 0, None]  # lines, characters and key path of the largest page
_FOUND = [0, 0, 0]  # menupages loaded after boot / after the first close / after the second

def _quiet(*a, **k):
    pass

def _count(*a, **k):
    if "\\n" in k.get("end", "\\n"):
        _lines[0] += 1
    for x in a:
        _lines[1] += len(x)

def _keys(text, shown=False):
    builtins.print = _print if shown else _quiet
    try:
        for ch in text:
            app.console.feed(ch)
    finally:
        builtins.print = _print

def _esc():
    builtins.print = _quiet
    try:
        app.console.feed("\\x1b")  # the ESC key: a lone ESC is known by the time after it
        if app.console.menu is not None:
            app.console.menu.tick(ticks_add(ticks_ms(), 1000))
    finally:
        builtins.print = _print

def _walk(menu, keys):
    # Every page reachable from this one (pick-lists aside): its lines (then characters), counted as
    # shown.
    _lines[0] = _lines[1] = 0
    builtins.print = _count
    try:
        menu.show()
    finally:
        builtins.print = _print
    if _lines[0] > _best[0] or _lines[0] == _best[0] and _lines[1] > _best[1]:
        _best[0] = _lines[0]
        _best[1] = _lines[1]
        _best[2] = keys
    items = menu.items()
    for i in range(len(items)):
        target = items[i][3]
        if target[0] == "page":
            menu.stack.append(target[1])
            _walk(menu, keys + str(i + 1) + "\\r")
            menu.stack.pop()

def _note():
    n = 0
    for m in sys.modules:
        if m not in _before and n < len(_MODS):
            _MODS[n] = m
            n += 1

def _render(keys, n):
    # Bytes allocated by drawing: the keys that reach the page (its first draw), or n redraws.
    gc.disable()
    a = gc.mem_alloc()
    if keys:
        _keys(keys)
    else:
        builtins.print = _quiet
        for _ in range(n):
            app.console.menu.show()
        builtins.print = _print
    b = gc.mem_alloc()
    gc.enable()
    return b - a

def _parent():
    return _best[2][:_best[2].rfind("\\r", 0, len(_best[2]) - 1) + 1]

def _last():
    return _best[2][len(_parent()):]

def _depth():
    # keys x to leave the largest page and the menu
    return _best[2].count("\\r") + 1

def _qstr(mark):
    print("@@QSTR", mark)
    micropython.qstr_info()

_F = {"first": 0, "redraw": 0}
for _i in range(3):
    app.log(app.scheduler.now_ms())
_before = list(sys.modules)
_FOUND[0] = "plugins.ui.menupages" in sys.modules
gc.collect()
'''


def menu_heap(redraws: int = 10) -> dict:
    """The menu in the VM: resident heap before it opens, with its main page open (its import cost),
    on its largest page (by lines) and after it closes (x, then a second session closed by ESC); the
    bytes allocated by reaching the largest page (its first draw: the section's docs are read) and
    per redraw of it."""
    code = [
        _VM_PRELUDE + _VM_APP_BOOT + _vm_marks(("before", "open", "parent", "page", "closed", "page2", "closed2"))
        + _VM_MENU,
        "_mark('before')\n_qstr('before')",
        "_keys('m')\ngc.collect()\n",
        "_mark('open')",
        # Find the largest page, then stand on the page above it (its docs not read yet), menu still open.
        "_walk(app.console.menu, '')\napp.console.menu.stack[1:] = []\napp.console.menu.doc_section = None\n"
        "app.console.menu.doc_map = {}\n_keys(_parent())\ngc.collect()\n",
        "_mark('parent')",
        "_F['first'] = _render(_last(), 0)\ngc.collect()\n",
        "_note()\n_mark('page')",
        "_F['redraw'] = _render('', %d) // %d\ngc.collect()\n" % (redraws, redraws),
        "_keys('x' * _depth())\n_FOUND[1] = 'plugins.ui.menupages' in sys.modules\ngc.collect()\n",
        "_mark('closed')\n_qstr('closed')",
        "_keys('m')\n_keys(_best[2])\ngc.collect()\n",
        "_mark('page2')",
        "for _i in range(_depth()):\n    _esc()\n_FOUND[2] = 'plugins.ui.menupages' in sys.modules\ngc.collect()\n",
        "_mark('closed2')\n_qstr('closed2')",
        "_keys('m')\n_keys(_best[2], True)\n_keys('x' * _depth())\n",  # the page, shown in the output
        "print()\nprint('@@MENU', json.dumps({'marks': _R, 'first_draw': _F['first'], 'redraw': _F['redraw'],"
        " 'page_lines': _best[0], 'page_chars': _best[1], 'page_keys': _best[2],"
        " 'modules': [m for m in _MODS if m], 'loaded_at_boot': _FOUND[0], 'kept_after_x': _FOUND[1],"
        " 'kept_after_esc': _FOUND[2], 'still_open': app.console.menu is not None}))",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        out = _vm_run(code, _vm_files(tmp), "menu")
    res = _marked(out, "@@MENU")
    r = res.pop("marks")
    qstr = {}
    lines = out.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.startswith("@@QSTR "):  # qstr pool: n_pool=.., n_qstr=.., n_str_data_bytes=.., n_total_bytes=..
            qstr[line.split()[1]] = dict((kv.split("=")[0].strip(), int(kv.split("=")[1]))
                                         for kv in lines[i + 1].split(":", 1)[1].split(","))
    page = out[out.rfind("Settings for: /"):].splitlines()
    res.update(redraws=redraws, before_bytes=r["before"], open_bytes=r["open"] - r["before"],
               page_bytes=r["page"] - r["before"], closed_bytes=r["closed"] - r["before"],
               page2_bytes=r["page2"] - r["before"], closed2_bytes=r["closed2"] - r["before"],
               parent_bytes=r["parent"] - r["before"], page_title=page[0] if page else "",
               qstr_bytes=qstr["closed"]["n_total_bytes"] - qstr["before"]["n_total_bytes"],
               qstr_names=qstr["closed"]["n_qstr"] - qstr["before"]["n_qstr"],
               qstr2_bytes=qstr["closed2"]["n_total_bytes"] - qstr["closed"]["n_total_bytes"])
    return res


# ------------------------------------------------------------------ report

def _kb(n):
    return "%.1f" % (n / 1024.0)


def print_aws(aws: dict, aimp: dict, wire: dict, stall: dict) -> None:
    """Section 4 of the report, from aws_heap, aws_heap_imports, aws_wire and aws_stall."""
    w = 34
    print("\n4. AWS IoT (iot.aws enabled, Confirmation PUBACK)")
    print("   Heap in the MicroPython 1.27 VM, each import on top of the default stack (KB):")
    for r in aimp["aws_libs"] + aimp["aws_ours"]:
        note = AWS_RELEASED.get(r["name"])
        print("     %-*s %8s%s" % (w, r["name"], _kb(r["bytes"]), "   (" + note + ")" if note else ""))
    print("     %-*s %8s   ours %s" % (w, "= libraries", _kb(aimp["aws_libs_bytes"]), _kb(aimp["aws_ours_bytes"])))
    print("   (a figure includes the qstr pool its import had to grow: the pool past 1270 names, ~9 KB, lands on")
    print("   whichever import crosses it; identifiers and short strings stay interned after a release)")
    print("   Whole stack resident (the App on simulated devices, serial + SD CSV, AWS IoT), over a socket that")
    print("   answers as the broker and shadow do (host/vm/vmbroker.py: MQTT without TLS; the VM has no network):")
    for key, title in (("boot", "after App().boot()"), ("conn", "after connecting (first update accepted)"),
                       ("sent", "after %d more updates (%d PUBACKs)" % (aws["updates"], aws["pubacks"])),
                       ("attempt", "a reconnect (awsconnect loaded), before TLS"),
                       ("words", "a rejection or !aws (awsnotes loaded)")):
        print("     %-44s %8s KB = %3.0f%% of %d KB; + TLS ~%d KB on the board = %s KB (target <= %d)" % (
            title, _kb(aws[key]), 100.0 * aws[key] / 1024 / BUDGET_KB, BUDGET_KB, TLS_KB,
            _kb(aws[key] + TLS_KB * 1024), AWS_TARGET_KB))
    print("   (connected %s, updates sent %d, confirmed %d. The VM's object sizes are MicroPython 1.27's, as the"
          % (aws["connected"], aws["updates_sent"], aws["confirmed"]))
    print("   board's, but its qstr pools and boxed floats move figures by a few KB; TLS's ~%d KB is the platform"
          % TLS_KB)
    print("   reference's figure, not measured here.)")
    print("   Wire cost per observation, on the PC against the stand-in (a paho client subscribed to the Thing's")
    print("   shadow topics; MQTT bytes without TLS records; AWS meters 5 KB message chunks: the device's publishes,")
    print("   what AWS sends to it and the device's PUBACKs; shadow operations per 1 KB):")
    print("     %-10s %8s %8s %9s %9s %9s %9s %8s %8s" % ("Confirm", "payload", "MQTT up", "MQTT down", "metered",
                                                       "(up/down)", "shadow", "accepted", "gap ms"))
    for mode, r in wire.items():
        print("     %-10s %8.0f %8.0f %9.0f %9.1f %4.0f/%-4.0f %9.1f %8.0f %8d" % (
            mode, r["payload_bytes"], r["mqtt_bytes_up"], r["mqtt_bytes_down"], r["metered"], r["metered_up"],
            r["metered_down"], r["shadow_units"], r["accepted_bytes"], r["largest_gap_ms"]))
    print("     (accepted = the update/accepted message AWS publishes, sent to the device only with \"accepted\";")
    print("     subscriptions are QoS 0, so the device sends no PUBACKs. update/documents, %.0f bytes, is not sent"
          % wire["PUBACK"]["documents_bytes"])
    print("     to the device. gap ms = the largest gap between log ticks at 1 s while sending.)")
    print("   Loop stall: the largest gap between log ticks at a %d ms interval during each fault (one logger each," %
          STALL_INTERVAL)
    print("   all at once on this PC):")
    for name, r in stall.items():
        print("     %-36s %6d ms  (%d ticks)" % (name, r["largest_gap_ms"], r["ticks"]))


def print_menu(nvm: dict, menu: dict) -> None:
    """Section 5 of the report, from nvm_image_size and menu_heap."""
    print("\n5. Menu and saved settings (MicroPython 1.27 VM; the App booted on the default plugins, ui.menu on)")
    print("   NVM image (core/savedfile.py: %d-byte header + JSON) with all %d properties a default boot declares"
          % (10, nvm["props"]))
    print("   (core %d, plugins %d, device parameters %d) at their longest: booleans false, numbers the wider end of"
          % (nvm["core"], nvm["plugins"], nvm["devices"]))
    print("   their range, pick-lists their widest stored number; against the %d-byte NVM:" % nvm["nvm"])

    refusals = []

    def row(title, r):
        if r["saved"] and r["bytes"] <= nvm["nvm"]:
            fits = "fits (%d values read back from the NVM)" % r["read_back"]
        else:
            fits = "REFUSED"
            refusals.append(r["said"][-1] if r["said"] else "(no warning)")
        print("     %-62s %6d bytes  %s" % (title, r["bytes"], fits))

    row("%d free-text settings at the menu's limit, %d characters each" % (nvm["free_strings"], nvm["max_text"]),
        nvm["menu"])
    row("realistic maxima, certificates inline (PEM)", nvm["realistic"])
    row("realistic maxima, certificates as files on the card", nvm["realistic_files"])
    print("     %-62s %6d bytes  (%d characters: %d bytes)" % (
        "every free text at %d characters: the longest that fits" % nvm["limit"], nvm["at_limit"], nvm["limit"] + 1,
        nvm["past_limit"]))
    if refusals:
        print("   (a refused save says: %s)" % refusals[-1])
    values = realistic_values()
    caption = ("No per-string limit exists: core/coerce.py takes text of any length; the menu takes %d typed "
               "characters, settings.toml any, datalogger.json and !json-settings up to the %d-byte file. An image "
               "that does not fit is refused whole, naming its size. Realistic maxima: %s; others %d%s; the PEMs "
               "are %s characters." % (
                   nvm["max_text"], nvm["max_file"], "; ".join(what for what, _, _ in REALISTIC), DEFAULT_REALISTIC,
                   (" (" + ", ".join(nvm["unlisted"]) + ")") if nvm["unlisted"] else "",
                   "/".join(str(len(values[k])) for k in _PEMS)))
    import textwrap
    for line in textwrap.wrap("(" + caption + ")", 106):
        print("   " + line)
    w = 62
    print("   Menu heap, opened and closed with keys on the console (resident after a collection, from before it")
    print("   opens):")
    print("     %-*s %s" % (w, "plugins.ui.menupages loaded before the menu first opens",
                            "yes" if menu["loaded_at_boot"] else "no"))
    print("     %-*s %+8.1f KB" % (w, "main page open: the menu's import cost", menu["open_bytes"] / 1024.0))
    title = menu["page_title"].split("/")[-1] or "?"
    print("     %-*s %+8.1f KB" % (w, "on the largest page, %s (%d lines, %d characters)" % (
        title, menu["page_lines"], menu["page_chars"]), menu["page_bytes"] / 1024.0))
    print("       (loaded meanwhile: %s; and the page's docs)" % ", ".join(menu["modules"]))
    print("     %-*s %8d bytes" % (w, "allocated by its first draw (its section's docs read afresh)",
                                   menu["first_draw"]))
    print("     %-*s %8d bytes" % (w, "allocated per redraw (mean of %d)" % menu["redraws"], menu["redraw"]))
    print("     %-*s %+8.1f KB   (%d bytes: %d names the qstr pool keeps for good)" % (
        w, "after closing (x)", menu["closed_bytes"] / 1024.0, menu["qstr_bytes"], menu["qstr_names"]))
    print("     %-*s %+8.1f KB   (%+d bytes since the first close; menu code %s)" % (
        w, "after a second session, closed by ESC", menu["closed2_bytes"] / 1024.0,
        menu["closed2_bytes"] - menu["closed_bytes"],
        "released" if not (menu["kept_after_x"] or menu["kept_after_esc"]) else "KEPT"))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--throughput-worker"]:
        res = _throughput_worker(int(argv[1]), int(argv[2]))
        print("@@THROUGHPUT " + json.dumps(res))
        return 0
    quick = "--quick" in argv  # small counts: a smoke run (tests/test_bench.py)
    t_start = time.time()
    try:
        mpvm.check_setup()
    except mpvm.MpvmSetupError as e:
        print(e, file=sys.stderr)
        return 2

    print("DataLogger IoT benchmarks (figures, not pass/fail)\n")

    # 1
    tp = throughput(*((3, 300) if quick else (15, 1000)))
    vt = vm_throughput(*((6, 50, 2) if quick else (40, VM_SLICE, 10)))
    print("1. Throughput: App.log (2 devices, serial + SD CSV) against a hand-written loop making the same")
    print("   driver reads and writes, both in one process, taking turns (BME280 in normal mode: %s)."
          % ("yes" if tp["bme280_normal_mode"] else "NO"))
    print("   'frozen bus': every I2C read answered from one recorded cycle (the drivers run unmodified, the")
    print("   simulator's work is gone, as with the board's C busio). Target for the frozen-bus ratio: >= %.1f."
          % THROUGHPUT_TARGET)
    print("   %-30s %-12s %9s %9s %9s %7s" % ("", "bus", "framework", "by hand", "glue f/h", "ratio"))
    rows = (("CPython (host stand-ins)", "simulated", tp["framework_us"], tp["baseline_us"],
             tp["framework_rest_us"], tp["baseline_rest_us"], tp["ratio"]),
            ("", "frozen", tp["frozen_framework_us"], tp["frozen_baseline_us"],
             tp["frozen_framework_rest_us"], tp["frozen_baseline_rest_us"], tp["frozen_ratio"]),
            ("MicroPython 1.27 VM", "simulated", vt["sim_framework_us"], vt["sim_baseline_us"],
             vt["sim_framework_rest_us"], vt["sim_baseline_rest_us"], vt["sim_ratio"]),
            ("", "frozen", vt["frozen_framework_us"], vt["frozen_baseline_us"],
             vt["frozen_framework_rest_us"], vt["frozen_baseline_rest_us"], vt["frozen_ratio"]))
    for name, bus, fw, base, fw_rest, base_rest, ratio in rows:
        print("   %-30s %-12s %9.1f %9.1f %4.0f/%-4.0f %7.2f" % (name, bus, fw, base, fw_rest, base_rest, ratio))
    print("   (us per cycle; glue = a cycle less the same six driver reads alone; ratio = by hand / framework")
    print("   time, the median of %d CPython rounds of %d cycles (turns every %d) and of %d + %d VM slices of %d"
          % (tp["rounds"], tp["cycles"], SLICE, vt["slices"], vt["sim_slices"], vt["cycles"]))
    print("   cycles each. In the VM the clock and the hand-written loop's time calls are the VM's C built-ins,")
    print("   as on the board; its ticks_us counts whole ms, hence the slices. CPython per round, simulated")
    print("   bus: %s)" % " ".join("%.2f" % r for r in tp["ratios"]))
    print("   last lines: framework %s" % tp["framework_line"])
    print("               baseline  %s\n" % tp["baseline_line"])

    # 2
    boot = heap_after_boot()
    imp = heap_imports(boot)
    print("2. Heap in the MicroPython 1.27 VM (resident after gc at the top level)")
    w = 34
    print("   %-*s %8s" % (w, "module (each on top of those above)", "KB"))
    for kind, resident, title in (("lib", True, "third-party libraries"),
                                  ("ours", True, "our code at import (core + default plugins)"),
                                  ("ours", False, "boot-only code, released after boot")):
        for r in imp["rows"]:
            if r["kind"] == kind and r["resident"] == resident:
                print("   %-*s %8s" % (w, r["name"], _kb(r["bytes"])))
        total = (imp["libs_bytes"] if kind == "lib" else imp["ours_bytes"] if resident else imp["released_bytes"])
        target = "   (target <= %d KB)" % OURS_TARGET_KB if kind == "ours" and resident else ""
        print("   %-*s %8s%s" % (w, "= " + title, _kb(total), target))
    print("   %-*s %8s   = %.0f%% of the %d KB heap of an ESP32-S3 without PSRAM" % (
        w, "= whole default stack at import", _kb(imp["whole_bytes"]), 100.0 * imp["whole_bytes"] / 1024 / BUDGET_KB,
        BUDGET_KB))
    print("   %-*s %8s   (with the boot-only code, before it is released)" % (w, "  peak during boot", _kb(imp["peak_bytes"])))
    print("   %-*s %8s   = %.0f%% of %d KB: libraries %s + ours and the App's objects %s" % (
        w, "resident after App().boot()", _kb(boot["boot_bytes"]), 100.0 * boot["boot_bytes"] / 1024 / BUDGET_KB,
        BUDGET_KB, _kb(imp["libs_bytes"]), _kb(boot["boot_bytes"] - imp["libs_bytes"])))
    print("   %-*s %8s" % (w, "resident after %d log cycles" % boot["cycles"], _kb(boot["logged_bytes"])))
    print("   %-*s %+8.1f   (core.commands, core.clip, core.savedfile: released after use, %s)" % (
        w, "after quick commands and a save", boot["used_bytes"] / 1024.0,
        "none kept" if not boot["kept_after_use"] else "KEPT: " + ", ".join(boot["kept_after_use"])))
    tz_total = boot["logged_bytes"] + max(boot["used_bytes"], 0) + boot["tz_bytes"]
    print("   %-*s %+8.1f   (core.posixtz and its zone stay resident in that mode only: the offset is" % (
        w, "ISO8601+TZ mode", boot["tz_bytes"] / 1024.0))
    print("   %-*s %8s   looked up once a minute) -> resident in that mode: %s KB = %.0f%% of %d KB" % (
        w, "", "", _kb(tz_total), 100.0 * tz_total / 1024 / BUDGET_KB, BUDGET_KB))
    print("   (VM baseline before any of it: %s KB, not counted. A row may carry a new qstr pool, a few KB"
          % _kb(imp["baseline"]))
    print("   holding every module's names, charged whole to the import that needed it: rows move, totals don't.)\n")

    # 3
    al = alloc_per_cycle(*((200, 1000) if quick else (1000, 10000)))
    bd = alloc_breakdown(50 if quick else 200)
    print("3. Allocation per log cycle (App booted on simulated devices, serial + SD CSV; target <= %d bytes)"
          % ALLOC_TARGET)
    print("   in the VM: %d bytes (measure_alloc over %d cycles), of which the simulated bus %.0f" % (
        al["bytes_per_cycle_int"], al["cycles"], bd["bus_bytes"]))
    print("   board's object model: %.0f bytes   (target <= %d) = the VM's App.log() %.0f, less the simulated bus"
          % (bd["board_bytes"], ALLOC_TARGET, bd["whole_bytes"]))
    print("     %.0f (C busio allocates nothing), less %.0f floats x %d bytes (CircuitPython keeps a float in the"
          % (bd["bus_bytes"] - bd["bus_floats"] * FLOAT_BYTES, bd["float_count"], FLOAT_BYTES))
    print("     object word; the VM boxes each one: counted on the VM's heap map)")
    print("   retained growth over %d cycles: %d bytes (first half %d, second half %d; must be ~0)" % (
        al["long_cycles"], al["retained_growth"], al["retained_growth_first_half"],
        al["retained_growth_second_half"]))
    print("   breakdown per call (garbage included):                    VM bytes   floats   board bytes")
    for name, nbytes, nfloats, error in bd["rows"]:
        if error is not None:
            print("     %-52s n/a: %s" % (name, error))
            continue
        nf = nfloats or 0
        print("     %-52s %8.0f %8.0f %13.0f" % (name, nbytes, nf, nbytes - nf * FLOAT_BYTES))
    # 4
    if "--no-aws" not in argv:  # tests/test_bench.py runs section 4 on its own
        quick_counts = (20, 3, 6) if quick else (50, 6, 10)
        print_aws(aws_heap(quick_counts[0]), aws_heap_imports(boot), aws_wire(quick_counts[1]),
                  aws_stall(quick_counts[2]))
    # 5
    print_menu(nvm_image_size(), menu_heap(3 if quick else 20))
    import bench_devices
    # 6
    print("\n6. " + bench_devices.report(bench_devices.figures(), bench_devices.heap_figures(),
                                        bench_devices.scan_figures(1 if quick else 5)))
    # 7 (the local AWS IoT stand-in, as section 4: tests/test_aws_outbox.py covers the behaviour)
    if "--no-aws" not in argv:
        import bench_outbox
        print("\n" + bench_outbox.report(bench_outbox.drain_figures(60 if quick else 600), bench_outbox.card_cost(),
                                         bench_outbox.heap_figures()))
    print("\n(%.0f s)" % (time.time() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
