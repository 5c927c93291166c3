#!/usr/bin/env python3
"""The whole firmware, in CPython and in the MicroPython 1.27 VM, compared line by line.

    .venv/bin/python tools/e2e.py [--root DIR] [--keep DIR]

Boots code.py's main() with every firmware plugin in the default PLUGINS over simulated devices with
fixed values, on a clock that only moves when the loop sleeps (tools/e2e_board.py), types a few quick
commands, has the USB host stop reading the console for a while (lines are dropped, then reported),
stops it as Ctrl-C does, and prints what differs between the two runs: console lines and every file
on the card. Any difference, any `[W]` line and any traceback is a failure (exit 1).
`--root DIR` runs the firmware from another tree (tests/test_gate_mutations.py uses it on broken copies).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import mpvm  # noqa: E402

INTERVAL_MS = 250
CYCLES = 40
# Every value fixed, so both runtimes compute the same numbers from the same registers.
BUS = {"devices": [
    {"type": "BME280", "address": "0x77", "instant": True,
     "values": {"temperature": 21.5, "humidity": 45.0, "pressure": 1013.25}},
    {"type": "MAX17048", "address": "0x36", "values": {"voltage": 4.1, "soc": 87.5, "charge_rate": -1.04}},
]}
# Each setting a plugin reads, set away from its default where that exercises more code.
SETTINGS = """\
PLUGINS = "%s"
LOGGING_TIMER_INTERVAL = %d
LOGGER_TIMESTAMP_MODE = "ISO8601+TZ"
SERIAL_CONSOLE_FORMAT = "CSV"
SD_CARD_FORMAT = "JSON"
AWS_IOT_ENABLED = 1
AWS_IOT_SERVER = "e2e-thing.iot.example.com"
AWS_IOT_CLIENT_NAME = "e2e-thing"
WIFI_NETWORK_NAME = "e2e-nowhere"
"""
# What a user types, and when (tick ms from the start): every quick command, and a walk through the menu. Two answers depend on
# the runtime and are compared with that part masked: !heap's figures and !version's implementation.
START_MS = 1000
TYPED = [(START_MS + 1100, "!help\r"), (START_MS + 2100, "!settings\r!settings json\r"),
         (START_MS + 3100, "!devices\r!about\r"), (START_MS + 4100, "!log-now\r!systime\r!device-id\r!wifi\r"),
         (START_MS + 5100, '!log-rate\r!json-settings\r{"Logger": {"Numbering Increment": 1}}\r'),
         (START_MS + 6100, "!uptime\r!save-settings\r"),
         (START_MS + 7100, "!nonesuch\r"),
         # The menu (plugins/ui/menu.py): open it, Settings, Application Settings (its docs read by
         # core.propdocs), back, back, Devices Settings, the first device, exit.
         (START_MS + 7200, "a"), (START_MS + 7300, "1\r"), (START_MS + 7400, "1\r"), (START_MS + 7500, "\x1b"),
         (START_MS + 7700, "\x1b"), (START_MS + 7850, "2"), (START_MS + 7900, "1"), (START_MS + 7950, "xxx"), (START_MS + 8100, "!heap\r!version\r"),
         (START_MS + 9100, "!clear-settings\r"), (START_MS + 9300, "n"), (START_MS + 9600, "!aws\r")]
# A terminal left suspended for a while, with a command typed meanwhile: its answer and the
# observations of that time are dropped from the console (not from the card), then reported.
UNREAD = (START_MS + 6300, START_MS + 6900)
TYPED.insert(6, (START_MS + 6500, "!devices\r"))
# A retry's wait is drawn at random (jitter): each runtime has its own generator.
MASKS = (("[I] heap free ", re.compile(r"\d+")), ("[I] DataLogger IoT for CircuitPython ", re.compile(r" on \w+$")),
         ("[I] SD card: ", re.compile(r"\d+")), ("[I] Device ID: ", re.compile(r"[0-9A-F]+$")),
         ("[W] WiFi: ", re.compile(r"trying again in \d+ s")))
STOP_MS = START_MS + CYCLES * INTERVAL_MS + 5
# The warnings the run asks for: a mistyped command, the lines dropped while the console was not read,
# and AWS IoT on with no WiFi network in reach (the VM has no network: the plugin runs up to the join,
# in both runtimes).
DROP_REPORT = re.compile(r"\[W\] console was not being read: (\d+) line\(s\) dropped(?: \((\d+) of them messages\))?")
EXPECTED_WARNINGS = ("[W] unknown command !nonesuch", "[W] console was not being read: ",
                     '[W] WiFi: cannot join "e2e-nowhere" (No network with that ssid)')
CARD_MARK = "=== e2e: card file "
LIBS = ["adafruit_ticks", "adafruit_bus_device", "adafruit_register", "adafruit_max1704x", "adafruit_bme280",
        "adafruit_sht4x", "adafruit_bmp3xx",
        "adafruit_minimqtt", "adafruit_connection_manager"]

# After boot the card's files are printed, each line prefixed so it can't be taken for console output.
_DUMP_CARD = """
import os
for _name in sorted(os.listdir('sd')):
    print('%s' + _name)
    with open('sd/' + _name) as _f:
        for _line in _f:
            print('| ' + _line.rstrip('\\n'))
""" % CARD_MARK

_RUN = "import e2e_board\ne2e_board.run(%d, %r, %r)\n" % (STOP_MS, TYPED, UNREAD)


def plugin_names(root: str = REPO) -> list:
    """Every firmware plugin (a module under plugins/ with a setup()), so each new one is run too."""
    names = []
    for kind in sorted(os.listdir(os.path.join(root, "plugins"))):
        folder = os.path.join(root, "plugins", kind)
        for file in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
            if file.endswith(".py") and file != "__init__.py":
                with open(os.path.join(folder, file), encoding="utf-8") as f:
                    if "\ndef setup(" in f.read():
                        names.append(kind + "." + file[:-3])
    return names


def settings_toml(root: str = REPO) -> str:
    return SETTINGS % (", ".join(plugin_names(root)), INTERVAL_MS)


def _bus_clock():
    return "lambda: e2e_board._clock[0] * 1000000"


def run_vm(root: str = REPO) -> tuple[int, str]:
    """The firmware in the MicroPython VM, over host/vm and host/sim."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = os.path.join(tmp, "settings.toml")
        with open(settings, "w") as f:
            f.write(settings_toml(root))
        files = [{"src": os.path.join(root, d), "dst": "/" + d} for d in ("core", "plugins")]
        files += [{"src": os.path.join(root, "code.py"), "dst": "/code.py"},
                  {"src": os.path.join(REPO, "host", "sim"), "dst": "/host/sim"},
                  {"src": os.path.join(REPO, "host", "__init__.py"), "dst": "/host/__init__.py"},
                  {"src": os.path.join(REPO, "tools", "e2e_board.py"), "dst": "/_e2e/e2e_board.py"},
                  {"src": settings, "dst": "/settings.toml"}]
        prelude = ("import os, json\nos.mkdir('/sd')\nos.chdir('/')\nimport e2e_board, busio\n"
                   "from host.sim.bus import parse_bus\n"
                   "busio.sim = parse_bus(json.loads(%r), clock_ns=%s)\n" % (json.dumps(BUS), _bus_clock()))
        return mpvm.run(prelude + _RUN + _DUMP_CARD, files, libs=LIBS, extra_path=["/_e2e"], timeout=300)


def run_cpython(root: str = REPO) -> tuple[int, str]:
    """The firmware in CPython, over host/stubs and host/sim, as `python -m host` runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("drive", "sd", "root", "root/sd"):
            os.mkdir(os.path.join(tmp, d))
        with open(os.path.join(tmp, "drive", "settings.toml"), "w") as f:
            f.write(settings_toml(root))
        os.symlink(os.path.join(tmp, "drive", "settings.toml"), os.path.join(tmp, "root", "settings.toml"))
        script = (
            "import sys, os, json\n"
            "sys.path[:] = [%r] + sys.path[1:] + [%r, %r, %r]\n"
            "from host import gc_extras, runtime\n"
            "gc_extras.install()\n"
            "runtime.DRIVE, runtime.SD_DIR = %r, %r\n"
            "os.chdir(%r)\n"
            "import e2e_board\n"
            "from host.sim.bus import parse_bus\n"
            "runtime.bus = parse_bus(json.loads(%r), clock_ns=%s)\n"
            % (os.path.join(REPO, "host", "stubs"), root, REPO, os.path.join(REPO, "tools"),
               os.path.join(tmp, "drive"), os.path.join(tmp, "sd"), os.path.join(tmp, "root"),
               json.dumps(BUS), _bus_clock())
        ) + _RUN + _DUMP_CARD
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        proc = subprocess.run([sys.executable, "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=300, env=env, cwd=tmp)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")


def problems(rc: int, out: str, who: str, root: str = REPO) -> list[str]:
    """What is wrong with one run on its own: an exit status, a warning, a traceback, no card file."""
    found = []
    if rc != 0:
        found.append("%s: exit status %d" % (who, rc))
    for line in out.splitlines():
        if line.startswith("| "):
            continue  # a card line
        if (line.startswith("[W]") and not line.startswith(EXPECTED_WARNINGS)) or "Traceback" in line or "Error" in line:
            found.append("%s: %s" % (who, line))
    for name in plugin_names(root):
        if "[I] plugin %s ready" % name not in out:
            found.append("%s: plugin %s did not start" % (who, name))
    if not [line for line in out.splitlines() if DROP_REPORT.match(line)]:
        found.append("%s: no report of the lines dropped while the console was not read" % who)
    if "=== e2e: stopped" not in out:
        found.append("%s: the firmware did not stop cleanly" % who)
    if CARD_MARK not in out:
        found.append("%s: nothing was written to the card" % who)
    return found


def masked(out: str) -> list:
    lines = out.splitlines()
    for i, line in enumerate(lines):
        for prefix, pattern in MASKS:
            if line.startswith(prefix):
                lines[i] = pattern.sub("#", line)
    return lines


def compare(root: str = REPO) -> list[str]:
    """Run both; return the problems (empty when the VM and CPython agree and neither warned)."""
    vm_rc, vm_out = run_vm(root)
    cp_rc, cp_out = run_cpython(root)
    found = problems(cp_rc, cp_out, "CPython", root) + problems(vm_rc, vm_out, "VM", root)
    vm_lines, cp_lines = masked(vm_out), masked(cp_out)
    if vm_lines != cp_lines:
        found.append("the VM's output differs from CPython's (--- CPython, +++ VM):")
        found += list(difflib.unified_diff(cp_lines, vm_lines, "CPython", "VM", lineterm="", n=1))[2:]
    data = [ln for ln in cp_lines if ln[:1].isdigit()]
    card = [ln for ln in cp_lines if ln.startswith("| {")]
    dropped = dropped_data(cp_lines)
    held = 0  # console lines the open menu held back (they are on the card): it says how many
    for ln in cp_lines:
        said = re.match(r"\[I\] Menu closed; (\d+) data line\(s\) held", ln)
        held += int(said.group(1)) if said else 0
    if not held:
        found.append("CPython: the menu was not opened and closed (no \"Menu closed; N data line(s) held\")")
    if len(data) + dropped + held <= CYCLES or len(card) != len(data) + dropped + held:
        found.append("CPython: %d console data lines (%d dropped, %d held by the menu) and %d card lines; expected "
                     "the same number, over %d" % (len(data), dropped, held, len(card), CYCLES))
    return found


def dropped_data(lines: list) -> int:
    """The observation lines the console's drop reports count (their lines less their messages)."""
    total = 0
    for line in lines:
        match = DROP_REPORT.match(line)
        if match:
            total += int(match.group(1)) - int(match.group(2) or 0)
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=REPO, help="the firmware tree to run (default: this repo)")
    ap.add_argument("--show", action="store_true", help="also print the CPython run's output")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    if a.show:
        print(run_cpython(root)[1])
    found = compare(root)
    for line in found:
        print(line)
    if found:
        return 1
    print("e2e: the VM and CPython agree, %d cycles, no warnings" % CYCLES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
