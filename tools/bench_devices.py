#!/usr/bin/env python3
"""Bus figures per Qwiic device (part of `make bench`): one observation of each row of
tests/devices.py, read by its plugin through the unmodified driver over its simulator.

For each device: register reads (a register's address written, then read, counts once),
transactions and bytes per observation, the ratio to the datasheet's minimum register reads
(target <= 1.5), and the bus time per observation at 400 kHz: each transaction's bits on the wire
(start, address byte, data bytes, each with its ACK, stop) plus the board's turnaround per
transaction (host/sim/bus.py TURNAROUND_US, with its source). Then the highest log rate that
bus time allows with all of them present, and with the default bus.

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
    time.sleep = lambda s: clock.__setitem__(0, clock[0] + int(s * 1e9))
    rows = []
    try:
        for row in ROWS:
            bus = SimBus(lambda: clock[0])
            bus.add(TYPES[row.sim](row.addresses[0], dict(row.values)))
            host.runtime.bus = bus
            auto.pins._buses.clear()
            i2c = busio.I2C(None, None)
            (device,) = auto.find(_App(), i2c)
            for t in (20, 40):
                clock[0] += int(max(0.02, device.LAG_S) * 1e9)  # a lagging device's conversion is done (AS7341)
                if t == 40:
                    bus.reset_counts()
                device.read(t)
            c = bus.count(row.addresses[0])
            rows.append({"device": row.name, "reads": c["reads"], "min_reads": row.min_reads,
                         "ratio": c["reads"] / row.min_reads, "transactions": c["transactions"],
                         "bytes": c["bytes"],
                         "bus_us": wire_us(c["transactions"], c["bytes"]) + c["transactions"] * turnaround})
    finally:
        time.sleep = real_sleep
        host.runtime.bus = None
        auto.pins._buses.clear()
    total = sum(r["bus_us"] for r in rows)
    default = sum(r["bus_us"] for r in rows if r["device"] in ("BME280", "MAX17048"))
    return {"rows": rows, "turnaround_us": turnaround, "all_us": total, "all_max_hz": 1e6 / total,
            "default_us": default, "default_max_hz": 1e6 / default}


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


def report(f):
    lines = ["Qwiic bus per observation (400 kHz, %d us turnaround per transaction):" % f["turnaround_us"],
             "  %-10s %5s %4s %6s %5s %6s %8s" % ("device", "reads", "min", "ratio", "trans", "bytes", "bus us")]
    for r in f["rows"]:
        mark = "" if r["ratio"] <= RATIO_TARGET else "  over the %.1f target" % RATIO_TARGET
        lines.append("  %-10s %5d %4d %6.2f %5d %6d %8.0f%s" % (r["device"], r["reads"], r["min_reads"], r["ratio"],
                                                             r["transactions"], r["bytes"], r["bus_us"], mark))
    lines.append("  all %d devices: %.0f us an observation: at most %.0f Hz" % (len(f["rows"]), f["all_us"],
                                                                             f["all_max_hz"]))
    lines.append("  default bus (BME280 + MAX17048): %.0f us: at most %.0f Hz" % (f["default_us"],
                                                                               f["default_max_hz"]))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(figures()))
