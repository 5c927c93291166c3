"""Smoke test of tools/bench.py (`make bench`): each benchmark runs with tiny counts and gives
sane figures, so the bench can't rot silently while core/ and plugins/ change.

Needs the MicroPython VM (npm ci --prefix tools/mpvm), like tests/test_vm.py.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import bench  # noqa: E402


def test_throughput_runs_both_loops_on_both_buses():
    r = bench.throughput(rounds=1, cycles=20)
    assert r["framework_hz"] > 0 and r["baseline_hz"] > 0
    assert r["ratio"] > 0
    assert r["bme280_normal_mode"], "the BME280 must be in normal mode for both loops"
    # the same columns on both sides: General (3) + MAX17048 (3) + BME280 (6)
    assert len(r["framework_line"].split(",")) == len(r["baseline_line"].split(",")) == 12, r
    # without the simulator (frozen bus) a cycle is much cheaper, on both sides
    assert 0 < r["frozen_framework_us"] < r["framework_us"] and 0 < r["frozen_baseline_us"] < r["baseline_us"]
    assert r["frozen_ratio"] > 0 and r["frozen_reads_us"] > 0


def test_vm_throughput_gives_both_ratios():
    r = bench.vm_throughput(slices=2, cycles=10, sim_slices=1)
    for bus in ("frozen", "sim"):
        assert r[bus + "_ratio"] > 0, r
        assert r[bus + "_framework_us"] > 0 and r[bus + "_baseline_us"] > 0, r


def test_frozen_bus_answers_what_was_recorded_and_names_what_was_not():
    ns: dict = {}
    exec(bench._FROZEN_I2C, ns)

    class Sim:
        def try_lock(self):
            return True

        def unlock(self):
            pass

        def writeto_then_readfrom(self, address, out, buf, *, out_start, out_end, in_start, in_end):
            buf[in_start:in_end] = bytes([address, out[out_start]])

    bus = ns["FrozenI2C"](Sim())
    buf = bytearray(3)
    bus.writeto_then_readfrom(0x36, b"\x02", buf, in_start=1, in_end=3)
    bus.recording = False
    buf[:] = b"\x00\x00\x00"
    bus.writeto_then_readfrom(0x36, b"\x02", buf, in_start=1, in_end=3)
    assert buf == b"\x00\x36\x02"
    try:
        bus.writeto_then_readfrom(0x36, b"\x04", buf, in_start=1, in_end=3)
    except OSError as err:
        assert "address 0x36 register 0x04, 2 bytes" in str(err)
    else:
        raise AssertionError("an unrecorded read must fail")


def test_heap_after_boot_and_imports():
    boot = bench.heap_after_boot(cycles=2)
    assert boot["boot_bytes"] > 0 and boot["logged_bytes"] > 0
    assert "core.app" in boot["imported"] and "core.app" in boot["resident"]
    # commands and a settings save load modules that are released again; a zone costs something
    # nothing kept; what stays is the names their code interned (MicroPython never frees them)
    assert boot["kept_after_use"] == [] and boot["used_bytes"] < 1536, boot
    assert boot["tz_bytes"] > 0
    imp = bench.heap_imports(boot)
    names = [r["name"] for r in imp["rows"]]
    assert set(bench.LIBS) <= set(names)
    for plugin in bench.PLUGINS:
        assert plugin in names, (plugin, names)
    assert imp["libs_bytes"] > 0 and imp["ours_bytes"] > 0
    assert imp["whole_bytes"] == imp["libs_bytes"] + imp["ours_bytes"]


def test_import_order_puts_dependencies_first():
    order = bench.import_order(["core.props", "core.schema", "core.pins"])
    assert order.index("core.schema") < order.index("core.pins") < order.index("core.props")


def test_alloc_per_cycle_and_breakdown_with_the_board_model():
    r = bench.alloc_per_cycle(cycles=20, long_cycles=40, warmup=5)
    assert isinstance(r["bytes_per_cycle_int"], int) and r["bytes_per_cycle_int"] >= 0
    assert isinstance(r["retained_growth"], int)
    bd = bench.alloc_breakdown(calls=3, float_calls=2)
    assert [row for row in bd["rows"] if row[1] is None] == [], "parts no longer measurable"
    assert bd["whole_bytes"] > 0 and bd["bus_bytes"] >= 0 and bd["net_bytes"] >= 0
    # the BME280's compensation makes floats: boxed in the VM, not on the board
    assert bd["float_count"] > 50, bd
    assert 0 < bd["board_bytes"] < bd["net_bytes"], bd
    assert all(row[2] is not None for row in bd["rows"]), bd["rows"]


def test_main_prints_every_figure(capsys):
    assert bench.main(["--quick", "--no-aws"]) == 0  # section 4: test_aws_figures
    out = capsys.readouterr().out
    for needle in ("CPython (host stand-ins)", "MicroPython 1.27 VM", "frozen", "our code at import",
                   "resident after App().boot()", "released after use", "ISO8601+TZ mode",
                   "in the VM:", "board's object model:", "retained growth over", "5. Menu and saved settings"):
        assert needle in out, needle


def test_aws_figures(capsys):
    """Section 4 with tiny counts: the VM heap with AWS IoT connected, the wire cost of both
    Confirmation choices and the loop stall of each network fault (against the local stand-in)."""
    heap = bench.aws_heap(updates=10)
    assert heap["connected"] and heap["connected_after_setup"], heap
    assert heap["pubacks"] >= 10 and heap["confirmed"] >= 10, heap  # the updates went through the VM's broker
    assert 0 < heap["boot"] < heap["conn"] and heap["sent"] > 0, heap
    # Issue 6: the whole stack connected must leave the board's 163 KB room for TLS's ~36 KB.
    assert heap["sent"] <= bench.AWS_TARGET_KB * 1024, heap
    assert "adafruit_minimqtt.adafruit_minimqtt" in heap["modules"] and "plugins.iot.awsclient" in heap["modules"]
    assert "adafruit_ntp" not in heap["modules"]  # NTP off here; imported only for a query anyway
    imp = bench.aws_heap_imports()
    assert [r["name"] for r in imp["aws_libs"]] == bench.AWS_LIBS
    assert {r["name"] for r in imp["aws_ours"]} >= set(bench.AWS_MODULES)
    assert all(r["bytes"] > 0 for r in imp["aws_libs"] + imp["aws_ours"]), imp
    wire = bench.aws_wire(updates=2)
    for mode in ("PUBACK", "accepted"):
        r = wire[mode]
        assert r["updates"] == 2 and 200 < r["payload_bytes"] < 4096, r  # a few sections of one observation
        assert r["mqtt_bytes_up"] > r["payload_bytes"] and r["shadow_units"] == 1, r
    assert wire["PUBACK"]["metered"] == 1 and wire["accepted"]["metered"] == 2, wire  # AWS's accepted is metered
    assert wire["accepted"]["accepted_bytes"] > wire["accepted"]["payload_bytes"], wire  # it echoes state + metadata
    stall = bench.aws_stall(seconds=4)
    assert len(stall) == 6, stall
    for name, r in stall.items():
        # 4 s at 1 s ticks, the first tick after the logger boots (a loaded machine boots it slowly):
        # 3 or more ticks show the loop went on through the fault
        assert r["ticks"] >= 3 and r["largest_gap_ms"] >= bench.STALL_INTERVAL, (name, r)
    bench.print_aws(heap, imp, wire, stall)
    out = capsys.readouterr().out
    for needle in ("4. AWS IoT", "adafruit_minimqtt.adafruit_minimqtt", "after connecting", "PUBACK", "accepted",
                   "broker black-holed", "WiFi dropped and back", "NTP unreachable"):
        assert needle in out, needle


def test_menu_and_saved_settings_figures(capsys):
    """Section 5: the NVM image with every property at its longest (it fits the 8 KiB, or the save is
    refused naming the size), and the menu's heap in the VM (it costs something when open and gives
    its heap back when closed)."""
    nvm = bench.nvm_image_size()
    assert nvm["nvm"] == bench.NVM_BYTES and nvm["devices"] > 0 and nvm["plugins"] > 0 and nvm["core"] > 0, nvm
    assert nvm["unlisted"] == [], "a new free-text setting needs a realistic maximum in bench.REALISTIC"
    for case in ("menu", "realistic", "realistic_files"):
        r = nvm[case]
        if r["bytes"] <= bench.NVM_BYTES:
            assert r["saved"] and r["read_back"] == nvm["props"], (case, r)
        else:  # refused whole, the size named
            assert r["saved"] is None and r["read_back"] == 0, (case, r)
            assert "settings need %d bytes" % r["bytes"] in r["said"][-1], (case, r)
    assert nvm["menu"]["bytes"] > nvm["realistic"]["bytes"] > nvm["realistic_files"]["bytes"] > nvm["empty_bytes"]
    assert nvm["at_limit"] <= bench.NVM_BYTES < nvm["past_limit"], nvm
    menu = bench.menu_heap(redraws=2)
    assert not menu["loaded_at_boot"] and not menu["still_open"], menu  # imported only when first opened
    assert menu["open_bytes"] > 0 and menu["page_bytes"] > menu["open_bytes"], menu
    assert "plugins.ui.menupages" in menu["modules"] and menu["page_lines"] > 10, menu
    assert menu["page_title"].startswith("Settings for: /DataLogger IoT/"), menu
    assert menu["first_draw"] > 0 and menu["redraw"] > 0, menu
    # closed (x, then ESC): its code released, the heap back within 1 KB (interned names stay)
    assert not menu["kept_after_x"] and not menu["kept_after_esc"], menu
    assert abs(menu["closed_bytes"]) < 1024 and abs(menu["closed2_bytes"]) < 1024, menu
    bench.print_menu(nvm, menu)
    out = capsys.readouterr().out
    for needle in ("5. Menu and saved settings", "realistic maxima", "the menu's import cost", "after closing (x)"):
        assert needle in out, needle


def test_device_bus_figures_meet_the_lean_read_target_and_give_a_log_rate():
    import bench_devices

    f = bench_devices.figures()
    names = [r["device"] for r in f["rows"]]
    assert {"BME280", "MAX17048", "BMP384", "SHT4x"} <= set(names)
    for r in f["rows"]:
        assert r["ratio"] <= bench_devices.RATIO_TARGET, r
        assert r["bus_us"] >= r["transactions"] * f["turnaround_us"] > 0, r
    bme = f["rows"][names.index("BME280")]
    assert bme["reads"] == 1 and bme["bytes"] == 9  # one burst of the eight data registers
    assert 0 < f["all_max_hz"] < f["default_max_hz"]
    assert "BME280" in bench_devices.report(f)


def test_device_heap_in_the_vm_per_driver_and_together():
    import bench_devices

    h = bench_devices.heap_figures()
    for r in h["rows"]:
        assert r["error"] is None and r["bytes"] > 1024 and r["name_bytes"] >= 0 and r["cold_bytes"] > 0, r
        assert "plugins.sensors." + r["kind"] in r["modules"], r  # the plugin and its driver, imported for it
    together = h["together"]
    assert len(together["found"]) == len(h["rows"]) - len(h["left_out"])  # a full bus: each row once, rivals aside
    assert together["bytes"] > max(r["bytes"] for r in h["rows"])
    text = bench_devices.heap_report(h)
    assert "Heap of each driver" in text and "together" in text and "BME280" in text


def test_device_scan_times_in_cpython_and_the_vm():
    import bench_devices

    s = bench_devices.scan_figures(repeats=1)
    full, default = s["buses"]
    assert sorted(default["found"]) == ["BME280", "MAX17048"] and len(full["found"]) > 10, s
    for r in (full, default):
        assert r["cpython_ms"] > 0 and r["vm_ms"] > 0 and r["slept_ms"] > 0, r
        assert r["bus_ms"] * 1000 > r["transactions"] * s["turnaround_us"] > bench_devices.SCAN_ADDRESSES, r
        assert not r["warnings"], r
    assert full["transactions"] > default["transactions"] and full["slept_ms"] > default["slept_ms"]
    assert "Full scan" in bench_devices.scan_report(s)


def test_outbox_figures():
    """Section 7 with a one-minute backlog: it drains in order with the ticks on time, its card cost,
    and the VM heap with the outbox on by default, and with one sibling service."""
    import bench_outbox

    drain = bench_outbox.drain_figures(60)
    assert drain["drained_s"] and drain["in_order"], drain
    assert drain["largest_tick_gap_ms"] < 2000, drain  # logging at 1 s went on through the drain
    cost = bench_outbox.card_cost(50)
    assert cost["payload_per_entry"] < cost["bytes_per_entry"] < cost["payload_per_entry"] + 40, cost
    assert cost["writes_per_put"] == 1 and cost["writes_per_confirm"] == 1, cost
    heap = bench_outbox.heap_figures()
    assert heap["off_sent"] < heap["on_sent"] <= heap["target"], heap  # the default outbox within issue 6's target
    assert heap["sibling_sent"] <= heap["target"] < heap["both_sent"], heap
    assert heap["sibling_confirmed"] >= 10 and "plugins.iot.storeforward" in heap["sibling_modules"], heap
    text = bench_outbox.report(drain, cost, heap)
    assert "in order: yes" in text and "MQTT Client alone" in text
