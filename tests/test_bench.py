"""Smoke test of tools/bench.py (`make bench`): each benchmark runs with tiny counts and gives
sane figures, so the bench can't rot silently while core/ and plugins/ change.

Needs the MicroPython VM (npm ci --prefix tools/mpvm), like tests/test_vm.py.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import bench  # noqa: E402


def test_throughput_runs_both_loops():
    r = bench.throughput(rounds=1, cycles=20)
    assert r["framework_hz"] > 0 and r["baseline_hz"] > 0
    assert r["ratio"] > 0
    assert r["bme280_normal_mode"], "the BME280 must be in normal mode for both loops"
    # the same columns on both sides: General (3) + MAX17048 (3) + BME280 (6)
    assert len(r["framework_line"].split(",")) == len(r["baseline_line"].split(",")) == 12, r


def test_heap_after_boot_and_imports():
    boot = bench.heap_after_boot(cycles=2)
    assert boot["boot_bytes"] > 0 and boot["logged_bytes"] > 0
    assert "core.app" in boot["imported"] and "core.app" in boot["resident"]
    imp = bench.heap_imports(boot)
    names = [r["name"] for r in imp["rows"]]
    assert set(bench.LIBS) <= set(names)
    for plugin in bench.PLUGINS:
        assert plugin in names, (plugin, names)
    assert imp["libs_bytes"] > 0 and imp["ours_bytes"] > 0
    assert imp["whole_bytes"] == imp["libs_bytes"] + imp["ours_bytes"]


def test_import_order_puts_dependencies_first():
    order = bench.import_order(["core.app", "core.schema", "core.pins"])
    assert order.index("core.schema") < order.index("core.pins") < order.index("core.app")


def test_alloc_per_cycle_and_breakdown():
    r = bench.alloc_per_cycle(cycles=20, long_cycles=40, warmup=5)
    assert isinstance(r["bytes_per_cycle_int"], int) and r["bytes_per_cycle_int"] >= 0
    assert isinstance(r["retained_growth"], int)
    bd = bench.alloc_breakdown(calls=3)
    assert [row for row in bd["rows"] if row[1] is None] == [], "parts no longer measurable"
    assert bd["whole_bytes"] > 0 and bd["bus_bytes"] >= 0 and bd["net_bytes"] >= 0


def test_main_prints_every_figure(capsys):
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for needle in ("ratio framework/baseline", "our code at import", "resident after App().boot()",
                   "allocated per cycle", "retained growth over"):
        assert needle in out, needle
