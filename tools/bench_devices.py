#!/usr/bin/env python3
"""Bus figures per Qwiic device (part of `make bench`): one observation of each row of
tests/devices.py, read by its plugin through the unmodified driver over its simulator.

For each device: register reads (a register's address written, then read, counts once),
transactions and bytes per observation, the ratio to the datasheet's minimum register reads
(target <= 1.5), and the bus time per observation at 400 kHz: each transaction's bits on the wire
(start, address byte, data bytes, each with its ACK, stop) plus the board's turnaround per
transaction (host/sim/bus.py TURNAROUND_US, with its source). Then the highest log rate that
bus time allows with all of them present, and with the default bus.

Then, in the MicroPython 1.27 VM (tools/devices_vm.py): the heap of each driver plus its plugin
(gc.mem_alloc() after a collection, before and after creating the device), and of every device of a
full bus found together; and the time of a full scan (plugins/sensors/auto.find from cold) over a
bus with every device at its default address (or its next free one) and over the default bus, in
CPython and in the VM, with the waits the drivers ask for (simulated clock) and the scan's bus time
on the board.

    .venv/bin/python tools/bench_devices.py
"""

import os
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
RATIO_TARGET = 1.5
KHZ = 400


def _setup():
    for path in (os.path.join(REPO, "host", "stubs"), REPO, os.path.join(REPO, "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)


def wire_us(transactions, nbytes, khz=KHZ):
    # start + stop ~ 2 bit times; every byte (the address byte of each transaction too) 9 bits
    return (transactions * (2 + 9) + nbytes * 9) * 1000.0 / khz


def figures(turnaround_us=None):
    """[{device, reads, min_reads, ratio, transactions, bytes, bus_us}] and the totals."""
    saved_path = list(sys.path)
    had = {name: sys.modules.get(name) for name in ("busio", "board")}
    _setup()
    try:
        return _figures(turnaround_us)
    finally:  # leave the caller's imports as they were (our busio stand-in off the path)
        sys.path[:] = saved_path
        for name, module in had.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _figures(turnaround_us):
    import time

    import busio
    from devices import ROWS

    import host.runtime
    from host.sim.bus import TURNAROUND_US, TYPES, SimBus
    from plugins.sensors import auto

    turnaround = TURNAROUND_US if turnaround_us is None else turnaround_us
    clock = [0]
    real_sleep = time.sleep
    time.sleep = fake = lambda s: clock.__setitem__(0, clock[0] + int(s * 1e9))
    patched = []  # drivers already imported with "from time import sleep" wait on this bus's clock too
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("adafruit_") and callable(getattr(module, "sleep", None)):
            module.sleep = fake
            patched.append(module)
    rows = []
    try:
        for row in ROWS:
            bus = SimBus(lambda: clock[0])
            bus.add(TYPES[row.sim](row.addresses[0], dict(row.values)))
            host.runtime.bus = bus
            auto.pins._buses.clear()
            i2c = busio.I2C(None, None)
            (device,) = auto.find(_App(), i2c)
            for n in range(2):
                clock[0] += int(max(0.05, device.LAG_S) * 1e9)  # a command done (the SGP40 needs 30 ms); AS7341: its LAG_S
                if n:
                    bus.reset_counts()
                device.read(clock[0] // 1000000)  # the observation's ticks_ms, on the bus's clock (SGP40 times by it)
            c = bus.count(row.addresses[0])
            rows.append({"device": _label(row), "sim": row.sim, "reads": c["reads"], "min_reads": row.min_reads,
                         "ratio": c["reads"] / row.min_reads, "transactions": c["transactions"],
                         "bytes": c["bytes"],
                         "bus_us": wire_us(c["transactions"], c["bytes"]) + c["transactions"] * turnaround})
    finally:
        time.sleep = real_sleep
        for module in patched:
            module.sleep = real_sleep
        host.runtime.bus = None
        auto.pins._buses.clear()
    total = sum(r["bus_us"] for r in rows)
    default = sum(r["bus_us"] for r in rows if r["device"] in ("BME280", "MAX17048"))
    return {"rows": rows, "turnaround_us": turnaround, "all_us": total, "all_max_hz": 1e6 / total,
            "default_us": default, "default_max_hz": 1e6 / default}


def _label(row):
    from devices import ROWS

    return row.name if [r.name for r in ROWS].count(row.name) == 1 else "%s (%s)" % (row.name, row.sim)


def _tables():
    _setup()
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    import devices_vm
    from devices import ROWS

    return devices_vm, ROWS


def heap_figures():
    """VM heap per device (its driver plus its plugin) and of a full bus found together by auto.find:
    {"rows": [{"device", "kind", "sim", "bytes", "cold_bytes", "name_bytes", "modules", "error"}],
     "together": {"bytes", "found"}, "left_out": [...]}."""
    devices_vm, rows = _tables()
    full, left = devices_vm.full_bus(rows)
    res = devices_vm.heap_per_device([(r.kind, r.sim, r.addresses[0], r.values) for r in rows], full)
    for row, r in zip(rows, res["rows"]):
        r["device"] = _label(row)
        r["kind"] = row.kind
    res["left_out"] = [name for name, _ in left]
    return res


SCAN_ADDRESSES = 0x78 - 0x08  # i2c.scan() probes 0x08..0x77, one address-only write each


def scan_figures(repeats=3, sides=("cpython", "vm"), turnaround_us=None):
    """A full scan (auto.find from cold: every plugin's probes imported, the found devices' drivers
    loaded and set up) over a full bus (every row at its default address, or its next free one) and
    over the default bus: {"buses": [{"bus", "devices", "found", "cpython_ms", "vm_ms" (medians of
    `repeats`), "slept_ms" (the drivers' and plugins' waits, simulated), "transactions", "bytes",
    "bus_ms" (the board's bus time: the probes' and set-up's transactions plus i2c.scan()'s)}],
    "left_out": [names no free address was left for]}."""
    import statistics

    from host.sim.bus import TURNAROUND_US

    turnaround = TURNAROUND_US if turnaround_us is None else turnaround_us
    devices_vm, rows = _tables()
    full, left = devices_vm.full_bus(rows)
    buses = [("full", full), ("default", devices_vm.default_bus())]
    res = devices_vm.scan_times(buses, repeats, sides)
    out = []
    for i, (name, devices) in enumerate(buses):
        first = res[sides[0]][i]
        for side in sides:
            if res[side][i]["found"] != first["found"]:
                raise RuntimeError("the scans found different devices: %r" % ({s: res[s][i] for s in sides},))
        transactions = first["transactions"] + SCAN_ADDRESSES
        r = {"bus": name, "devices": len(devices), "found": first["found"], "slept_ms": first["slept_us"] / 1000.0,
             "transactions": transactions, "bytes": first["bytes"], "warnings": first["said"],
             "bus_ms": (wire_us(transactions, first["bytes"]) + transactions * turnaround) / 1000.0}
        for side in ("cpython", "vm"):
            r[side + "_ms"] = statistics.median(res[side][i]["us"]) / 1000.0 if side in sides else None
        out.append(r)
    return {"buses": out, "left_out": [n for n, _ in left], "repeats": repeats, "turnaround_us": turnaround}


HEAP_KB = 163  # the ESP32-S3's CircuitPython heap (tools/bench_heap.py BUDGET_KB)


class _App:
    def __init__(self):
        class Settings:
            def get(self, prop):
                return prop.default

        self.settings = Settings()

    def info(self, text):
        pass

    def warn(self, text):
        pass


def heap_report(h):
    lines = ["Heap of each driver plus its plugin (MicroPython 1.27 VM; KB; names: the identifiers its first",
             "import interns, which stay; a new qstr pool (~9 KB) falls on whichever import crosses a threshold):",
             "  %-18s %7s %7s %10s" % ("device", "heap", "names", "first time")]
    for r in h["rows"]:
        if r["error"]:
            lines.append("  %-18s n/a: %s" % (r["device"], r["error"]))
            continue
        lines.append("  %-18s %7.1f %7.1f %10.1f" % (r["device"], r["bytes"] / 1024.0, r["name_bytes"] / 1024.0,
                                                     r["cold_bytes"] / 1024.0))
    t = h["together"]
    if t:
        over = t["bytes"] / 1024.0 > HEAP_KB
        lines.append("  %d devices together (one full bus, found by auto.find; shared libraries once): %.1f KB"
                     "%s" % (len(t["found"]), t["bytes"] / 1024.0,
                             ", over the board's ~%d KB heap" % HEAP_KB if over else ""))
    return "\n".join(lines)


def scan_report(s):
    lines = ["Full scan (auto.find from cold; median of %d; waits on a simulated clock; bus time at 400 kHz and"
             % s["repeats"],
             "%d us a transaction, i2c.scan()'s %d address probes included):" % (s["turnaround_us"], SCAN_ADDRESSES),
             "  %-8s %7s %11s %7s %12s %8s %6s" % ("bus", "devices", "CPython ms", "VM ms", "waits ms", "bus ms",
                                                  "trans")]
    for r in s["buses"]:
        lines.append("  %-8s %7d %11.1f %7s %12.0f %8.1f %6d" % (
            r["bus"], len(r["found"]), r["cpython_ms"], "-" if r["vm_ms"] is None else "%.0f" % r["vm_ms"],
            r["slept_ms"], r["bus_ms"], r["transactions"]))
    if s["left_out"]:
        lines.append("  full bus: every row at its default address or its next free one; no address left for %s"
                     % ", ".join(s["left_out"]))
    return "\n".join(lines)


def report(f, heap=None, scan=None):
    lines = ["Qwiic bus per observation (400 kHz, %d us turnaround per transaction):" % f["turnaround_us"],
             "  %-16s %5s %4s %6s %5s %6s %8s" % ("device", "reads", "min", "ratio", "trans", "bytes", "bus us")]
    for r in f["rows"]:
        mark = "" if r["ratio"] <= RATIO_TARGET else "  over the %.1f target" % RATIO_TARGET
        lines.append("  %-16s %5d %4d %6.2f %5d %6d %8.0f%s" % (r["device"], r["reads"], r["min_reads"], r["ratio"],
                                                             r["transactions"], r["bytes"], r["bus_us"], mark))
    lines.append("  all %d devices: %.0f us an observation: at most %.0f Hz" % (len(f["rows"]), f["all_us"],
                                                                             f["all_max_hz"]))
    lines.append("  default bus (BME280 + MAX17048): %.0f us: at most %.0f Hz" % (f["default_us"],
                                                                               f["default_max_hz"]))
    if heap is not None:
        lines.append(heap_report(heap))
    if scan is not None:
        lines.append(scan_report(scan))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(figures(), heap_figures(), scan_figures()))
