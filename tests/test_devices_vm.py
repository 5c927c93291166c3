"""Every device of the conformance table (tests/devices.py) in the MicroPython 1.27 VM, the base of
CircuitPython 10, against the same run in CPython: its simulator at its default address, found by
plugins/sensors/auto.py, its unmodified driver from requirements.txt, a few observations. Both
must find the device under the original's name and write the same values, none empty: a plugin
or driver using what MicroPython lacks (property.fget, an f-string's "=", a keyword its built-ins
refuse...) fails here, with the VM's traceback.

One VM run and one CPython run (a subprocess) for all rows: tools/devices_vm.py.
Needs the MicroPython VM (npm ci --prefix tools/mpvm), like tests/test_vm.py.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools"))

import devices_vm  # noqa: E402
from devices import ROWS  # noqa: E402

OBSERVATIONS = 3
IDS = [row.sim for row in ROWS]


@pytest.fixture(scope="module")
def runs():
    rows = [(row.sim, row.addresses[0], row.values) for row in ROWS]
    res = devices_vm.observe(rows, OBSERVATIONS)
    assert [r["sim"] for r in res["cpython"]] == [r["sim"] for r in res["vm"]] == IDS, res
    return {side: dict(zip(IDS, res[side])) for side in res}


def _tie(fine, digits):
    # "412.3125" at 3 decimals: exactly halfway, written .312 by CPython (to even), .313 by MicroPython
    head, _, tail = fine.partition(".")
    return tail[digits:] == "500"


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_found_and_read_alike_in_the_vm_and_in_cpython(runs, row):
    address = row.addresses[0]
    for side in ("vm", "cpython"):
        r = runs[side][row.sim]
        assert r["error"] is None, "%s, %s:\n%s" % (row.sim, side, r["error"])
        assert r["found"] == [[row.name, address]], (side, r["said"])
        assert r["params"] == list(row.params), side
        assert len(r["obs"]) == OBSERVATIONS, side
        for obs in r["obs"]:
            empty = [p for p, v in zip(row.params, obs) if v == ""]
            assert not empty, "%s in %s: empty %s in %r" % (row.name, side, empty, obs)
    vm, cpy = runs["vm"][row.sim], runs["cpython"][row.sim]
    assert vm["said"] == cpy["said"]
    for n in range(OBSERVATIONS):
        for i, param in enumerate(row.params):
            a, b = vm["obs"][n][i], cpy["obs"][n][i]
            if a == b:
                continue
            # Only a float exactly halfway at its precision may be written differently (the same value)
            digits = 2 if row.digits[i] is None else row.digits[i]
            assert vm["fine"][n][i] == cpy["fine"][n][i] and _tie(vm["fine"][n][i], digits), (
                "%s %s, observation %d: VM %s, CPython %s (%s / %s)"
                % (row.name, param, n, a, b, vm["fine"][n][i], cpy["fine"][n][i]))


def test_the_vm_has_every_library_requirements_txt_names():
    libs = devices_vm.driver_libs()
    with open(devices_vm.REQUIREMENTS) as f:
        wanted = [line.split("==")[0].strip() for line in f if line.strip() and not line.startswith("#")]
    assert len(libs) >= len(wanted), (libs, wanted)  # one top-level module (or more) per distribution
    for top in ("adafruit_bus_device", "adafruit_register", "cedargrove_nau7802", "adafruit_lsm6ds",
                "adafruit_sgp40", "adafruit_as7341"):
        assert top in libs
    for entry in devices_vm.mpvm.lib_files(libs):  # each one found on the host, to copy into the VM's /lib
        assert os.path.exists(entry["src"]), entry
