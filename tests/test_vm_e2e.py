"""The whole firmware runs in the MicroPython 1.27 VM exactly as in CPython (tools/e2e.py).

code.py's main() boots every firmware plugin over simulated devices with fixed values, logs for
40 cycles, takes quick commands, has its console not read for a while (lines dropped, then
reported) and stops as Ctrl-C does; the VM's console lines and card files must equal CPython's,
line by line, with no warning but those the run asks for and no traceback.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

import e2e  # noqa: E402


def test_the_vm_and_cpython_agree_on_every_line():
    found = e2e.compare()
    assert not found, "\n".join(found)


def test_the_run_covers_what_a_user_sees():
    """The comparison is only worth what the run does: boot, every plugin, data, commands, the card."""
    rc, out = e2e.run_vm()
    assert rc == 0, out
    lines = out.splitlines()
    assert e2e.plugin_names() and all("[I] plugin %s ready" % n in lines for n in e2e.plugin_names())
    assert {"outputs.serial", "outputs.sdcard", "sensors.auto"} <= set(e2e.plugin_names())
    assert any(ln.startswith("General.Time,General.Entry,General.Board Name,MAX17048.Voltage (V)") for ln in lines)
    data = [ln for ln in lines if ln[:4] == "2026"]
    held = [ln for ln in lines if ln.startswith("[I] Menu closed; ")]  # the menu holds console lines back
    assert held, "the run opens and leaves the menu"
    held_lines = int(held[0].split("; ")[1].split(" ")[0])
    assert len(data) + held_lines > e2e.CYCLES - 2 and data[-1].endswith(",DataLogger IoT,4.100,87.500,-1.040,45.001,"
                                                                     "70.703,21.502,101325.029,-0.002,-0.008"), data[-1:]
    card = [ln[2:] for ln in lines if ln.startswith("| {")]
    assert '"BME280":{"Humidity":45.00' in card[-1].replace(" ", ""), card[-1:]
    # While the host did not read (a terminal left suspended), the console dropped two observations
    # and the typed !devices' three lines, said so once it read again, and the card kept them all.
    report = ("[W] console was not being read: 5 line(s) dropped (3 of them messages); the observations are "
              "on the SD card")
    assert lines.count(report) == 1, [ln for ln in lines if "console" in ln]
    entries = [int(ln.split(",")[1]) for ln in data]
    unread = [n for n in range(1, len(card) + 1) if n not in entries]  # dropped, then held by the menu
    assert len(card) == len(data) + 2 + held_lines and len(unread) == 2 + held_lines, unread
    assert lines.index(report) == lines.index(data[entries.index(unread[0] - 1)]) + 1  # told when read again
    # !devices and !about list it; the !devices typed while the console was unread was dropped
    assert [ln for ln in lines if ln.startswith("[I]   BME280 at 0x77")] == ["[I]   BME280 at 0x77: ok"] * 2
    for typed in ("!help", "!settings", "!devices", "!log-rate", "!uptime"):
        assert "[I] " + typed in lines, typed
    assert "[I] Stopped; files closed" in lines


def test_a_difference_is_reported_line_by_line(tmp_path):
    """A firmware change that only the VM runs differently (a dict's order) fails, naming the lines."""
    import shutil
    for name in ("code.py", "core", "plugins"):
        src = os.path.join(REPO, name)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, tmp_path / name)
    bme = tmp_path / "plugins" / "sensors" / "bme280.py"
    text = bme.read_text()
    old = 'PARAMS = ("Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF")'
    assert old in text
    bme.write_text(text.replace(old, "_UNITS = {'Humidity': '%', 'TemperatureF': 'F', 'TemperatureC': 'C', "
                                     "'Pressure': 'Pa', 'AltitudeM': 'm', 'AltitudeF': 'ft'}\nPARAMS = tuple(_UNITS)"))
    found = e2e.compare(str(tmp_path))
    assert found and any("differs" in f for f in found), found
    assert any(f.startswith("-General.Time") for f in found) and any(f.startswith("+General.Time") for f in found)
