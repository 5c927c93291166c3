"""Motion and power devices beyond the conformance table's rows: the LSM6DSOX through the ISM330's
plugin and simulator."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_devices import find, qwiic, values_of  # noqa: E402,F401  (qwiic: the fixture)


def test_an_lsm6dsox_is_named_so_and_reads_like_an_ism330(qwiic):
    from host.sim.ism330 import ISM330

    bus, i2c, clock = qwiic()
    bus.add(ISM330(0x6A, {"accel_z": -1000.0, "gyro_y": 2500.0, "temperature": 31.0}, chip_id=0x6C))
    found, app = find(i2c)
    assert [(d.section.name, d.address) for d in found] == [("LSM6DSOX", 0x6A)], app.said
    clock.advance(0.02)
    found[0].read(0)
    got = values_of(found[0])
    assert got["Accel Z (milli-g)"] == pytest.approx(-1000.0, abs=0.122)
    assert got["Gyro Y (milli-dps)"] == pytest.approx(2500.0, abs=17.5)
    assert got["Temperature (C)"] == pytest.approx(31.0, abs=0.004)
