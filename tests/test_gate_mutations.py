"""The gates themselves are tested: each breaking edit below, applied to a copy of the firmware,
must make at least one of `make test`'s gates fail, naming the broken place.

Each edit is something that runs on CPython and fails or mislabels data on a board (issue 5 lists
how each was found). When a new hole is found, add its edit here: the list only grows. An edit
whose `old` text is no longer in the firmware fails loudly, so the list is kept current.
"""
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import e2e  # noqa: E402

SERIAL = "plugins/outputs/serial.py"
CSV_LINE = "        self.line(observation.json() if self.json_format else observation.csv())\n"
BME_PARAMS = 'PARAMS = ("Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF")\n'
NOW_MS = "now_ms = ticks_ms\n"

# (what, file, old text (exactly once in the file; None: put new at the top), new text)
MUTATIONS = [
    ("BME280 parameters taken from a dict (unordered in MicroPython: columns mislabelled)",
     "plugins/sensors/bme280.py", BME_PARAMS,
     "_UNITS = {'Humidity': '%', 'TemperatureF': 'F', 'TemperatureC': 'C', 'Pressure': 'Pa', 'AltitudeM': 'm',"
     " 'AltitudeF': 'ft'}\nPARAMS = tuple(_UNITS)\n"),
    ("getattr(text, 'removeprefix')", SERIAL, CSV_LINE,
     "        self.line(getattr(observation.csv(), 'removeprefix')('\\ufeff'))\n"),
    ("text.ljust(8)", SERIAL, CSV_LINE, "        self.line(observation.csv().ljust(8))\n"),
    ("str.format_map", SERIAL, CSV_LINE, "        self.line('{line}'.format_map({'line': observation.csv()}))\n"),
    ("str.zfill", SERIAL, CSV_LINE, "        self.line(observation.csv().zfill(1))\n"),
    ("str.isalnum", SERIAL, CSV_LINE,
     "        line = observation.csv()\n        self.line(line if line.isalnum() or line else '')\n"),
    ("int.bit_length", SERIAL, CSV_LINE,
     "        line = observation.csv()\n        self.line(line[:len(line) + len(line).bit_length() * 0])\n"),
    ("print(..., flush=True)", SERIAL, CSV_LINE, "        print(observation.csv(), flush=True)\n"),
    ("from collections import defaultdict", "core/observation.py", None, "from collections import defaultdict\n"),
    ("from os import path", "plugins/outputs/sdcard.py", "\nimport os\n", "\nimport os\nfrom os import path\n"),
    ("from json import JSONDecodeError", "core/settings.py", None, "from json import JSONDecodeError\n"),
    ("from time import time_ns", "core/app.py", "import time\n", "import time\nfrom time import time_ns\n"),
    ("from math import prod", "plugins/sensors/bme280.py",
     "from plugins.sensors.base import Device as Base, read_into, register\n",
     "from math import prod\nfrom plugins.sensors.base import Device as Base, read_into, register\n"),
    ("sys.getsizeof", "core/commands.py",
     '    app.info("heap free " + str(gc.mem_free()) + " bytes, used " + str(gc.mem_alloc()) + " bytes")\n',
     '    app.info("heap free " + str(gc.mem_free()) + " bytes, app " + str(sys.getsizeof(app)) + " bytes")\n'),
    ("a keyword argument before *args (MicroPython 1.27 swaps them)", "plugins/sensors/base.py",
     '        self.section = Section(self.NAME, self.PARAMS, self.DIGITS)\n',
     '        self.section = Section(self.NAME, digits=self.DIGITS, *(self.PARAMS,))\n'),
    ("an alias of time.monotonic", "core/app.py", NOW_MS,
     "_now = time.monotonic\n\n\ndef now_ms():\n    return int(_now() * 1000) & 0x1FFFFFFF\n"),
    ("time.monotonic_ns() / 1e6", "core/app.py", NOW_MS,
     "def now_ms():\n    return int(time.monotonic_ns() / 1e6) & 0x1FFFFFFF\n"),
    ("time.time() arithmetic in ms", "core/app.py", "WallClock(int(time.time()) * 1000)",
     "WallClock(int(time.time() * 1000))"),
]

# `make test`'s gates, cheapest first; a mutation stops at the first that fails.
STATIC_GATES = ("gate_imports", "gate_api", "gate_mpycross", "gate_mypy")


def firmware_copy(dest):
    os.makedirs(dest, exist_ok=True)
    for name in ("code.py", "core", "plugins", "requirements.txt"):
        src = os.path.join(REPO, name)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(dest, name))
    return dest


def mutate(root, rel, old, new):
    path = os.path.join(root, rel)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if old is None:
        text = new + text
    else:
        assert text.count(old) == 1, "this edit no longer applies to %s: update it to today's code:\n%s" % (rel, old)
        text = text.replace(old, new)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def gate_failures(root, rel=None):
    """(gate, output) of the first gate that fails on the tree, or None when every gate passes."""
    for gate in STATIC_GATES:
        proc = subprocess.run([sys.executable, os.path.join(REPO, "tools", gate + ".py"), root],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            return gate, proc.stdout + proc.stderr
    found = e2e.compare(root)
    return ("e2e", "\n".join(found)) if found else None


def test_the_gates_pass_the_unbroken_copy(tmp_path):
    """Otherwise every mutation below would 'fail' for a reason of its own."""
    assert gate_failures(firmware_copy(str(tmp_path))) is None


def test_every_breaking_edit_fails_a_gate(tmp_path):
    def trial(index):
        what, rel, old, new = MUTATIONS[index]
        root = firmware_copy(str(tmp_path / str(index)))
        mutate(root, rel, old, new)
        return what, rel, gate_failures(root)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(trial, range(len(MUTATIONS))))
    missed = [what for what, rel, failed in results if failed is None]
    assert not missed, "no gate caught: " + "; ".join(missed)
    for what, rel, (gate, output) in results:
        # A static gate names the broken file; the VM run names the difference or the warning.
        assert rel in output or gate == "e2e" and ("differs" in output or "[W]" in output), (what, gate, output)
        print("%-70s caught by %s" % (what, gate))


# The VM run alone must catch every edit it executes: a second net under the static gates. The
# exception: its RTC gives whole seconds, so a float made of time.time() looks the same in both runs.
NOT_SEEN_BY_THE_RUN = {"time.time() arithmetic in ms"}


def test_the_vm_run_alone_catches_what_it_executes(tmp_path):
    def trial(index):
        what, rel, old, new = MUTATIONS[index]
        root = firmware_copy(str(tmp_path / str(index)))
        mutate(root, rel, old, new)
        return what, e2e.compare(root)

    runnable = [i for i, m in enumerate(MUTATIONS) if m[0] not in NOT_SEEN_BY_THE_RUN]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(trial, runnable))
    missed = [what for what, found in results if not found]
    assert not missed, "the VM run did not catch: " + "; ".join(missed)


@pytest.mark.parametrize("what", [m[0] for m in MUTATIONS])
def test_each_edit_applies_to_todays_code(what, tmp_path):
    _, rel, old, new = next(m for m in MUTATIONS if m[0] == what)
    mutate(firmware_copy(str(tmp_path)), rel, old, new)
