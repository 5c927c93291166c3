"""The serial menu at a terminal (a real pty, as a person at tio or screen), with the logger running."""
import io
import json
import os
import re

import pexpect
import pytest

from hostrun import REPO, Board

SERVER = "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com"


def spawn(board):
    args = board.args()
    child = pexpect.spawn(args[0], args[1:], cwd=REPO, encoding="utf-8", timeout=20, dimensions=(50, 200))
    child.logfile_read = io.StringIO()  # everything the terminal showed
    child.expect_exact("quick commands: !help")
    return child


def pick(child, label):
    """Select the numbered line `label` of the page being shown (Enter: at once, no 1.5 s wait)."""
    child.expect(r"(\d+)\) " + re.escape(label) + r"\b")
    number = child.match.group(1)
    child.expect_exact("Select option: ")
    child.send(number + "\r")
    return number


def stop(child):
    child.sendintr()
    child.expect_exact("[I] Stopped; files closed")
    child.expect(pexpect.EOF)


def test_the_seeds_walk_sets_aws_iot_and_saves(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.send("a")  # "Press any key to enter the Main Menu"
        child.expect_exact("Settings for: /DataLogger IoT\r\n")
        pick(child, "Settings")
        child.expect_exact("Settings for: /DataLogger IoT/Settings\r\n")
        for heading in ("General", "Network", "Logging", "Services"):
            child.expect_exact("\r\n" + heading + "\r\n")
        pick(child, "IoT Services")
        pick(child, "AWS IoT")
        child.expect_exact("Settings for: /DataLogger IoT/Settings/IoT Services/AWS IoT\r\n")
        pick(child, "Server")
        child.expect_exact("Server: ")
        child.send(SERVER + "\r")
        child.expect_exact("[I] AWS IoT/Server = " + SERVER)
        pick(child, "Client Name")
        child.send("TestThing23\r")
        child.expect_exact("[I] AWS IoT/Client Name = TestThing23")
        pick(child, "Port")
        child.expect_exact("Port: 8883")  # prefilled with the value
        child.send("\x7f\x7f\x7f\x7f" + "443\r")  # backspace, as at a terminal
        child.expect_exact("[I] AWS IoT/Port = 443")
        child.expect(r"\d+\) Port - [^\r\n]* : 443 \(after a restart\)")
        child.expect(r"\d+\) Password - MQTT password : \*\*\*\* \(not set\)")  # a secret is never shown
        child.send("x")
        child.expect_exact("Settings for: /DataLogger IoT/Settings/IoT Services\r\n")
        child.send("x")
        child.send("x")
        child.send("x")
        child.expect_exact("[I] Saving System Settings")
        child.expect(r"\[I\] Settings saved to NVM \(\d+ bytes\)")
        child.expect_exact("3 change(s) take effect after a restart. Restart now? [Y/n]: ")
        child.send("n")
        child.expect_exact("[I] Menu closed")
        stop(child)
    finally:
        child.close(force=True)
    child = spawn(board)  # the same --drive (its NVM) and --sd
    try:
        child.send("!settings\r")
        child.expect_exact("AWS_IOT_PORT = 443  (saved settings)")  # in declaration order
        child.expect_exact('AWS_IOT_SERVER = "' + SERVER + '"  (saved settings)')
        child.expect_exact('AWS_IOT_CLIENT_NAME = "TestThing23"  (saved settings)')
        child.send("a")
        pick(child, "Settings")
        pick(child, "IoT Services")
        pick(child, "AWS IoT")
        child.expect_exact("Server - The Thing's endpoint, e.g. xxxx-ats.iot.us-east-1.amazonaws.com : " + SERVER)
        child.send("\x1b")
        child.send("\x1b")
        child.expect_exact("Settings for: /DataLogger IoT/Settings\r\n")
        stop(child)
    finally:
        child.close(force=True)


def test_esc_and_the_menu_timeout_discard_changes(tmp_path):
    # Application Settings / Menu Timeout at its lowest (10 s): the menu leaves by itself, as ESC does.
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\nAPPLICATION_SETTINGS_MENU_TIMEOUT = 10\n")
    child = spawn(board)
    try:
        for leave in ("\x1b\x1b\x1b", "\x1b\x1b"):  # ESC at the top; then the timeout there
            child.send("a")
            pick(child, "Settings")
            pick(child, "Logging Timer")
            pick(child, "Interval")
            child.send("\x152000\r")  # Ctrl-U clears the prefilled 60000
            child.expect_exact("[I] Logging Timer/Interval = 2000")
            child.send(leave)
            child.expect_exact("[I] Menu closed without saving: changes discarded", timeout=30)
            child.send("!settings\r")
            child.expect_exact("LOGGING_TIMER_INTERVAL = 60000  (settings.toml line 1)")
        stop(child)
    finally:
        child.close(force=True)
    assert not os.path.exists(board.sd / "datalogger.json")


def test_logging_goes_on_while_the_menu_is_open(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 250\n")
    child = spawn(board)
    try:
        child.expect(r"\n\S+,3,DataLogger IoT,")
        child.send("a")
        pick(child, "Devices Settings")
        before = len(board.lines("sfe0001.txt"))
        child.expect_exact("Settings for: /DataLogger IoT/Devices Settings\r\n")
        child.expect_exact("Select option: ")
        child.expect(pexpect.TIMEOUT, timeout=3)  # a person reading the page
        assert ",DataLogger IoT," not in child.before  # no data line garbles the page
        during = len(board.lines("sfe0001.txt"))
        child.send("\x1b\x1b")
        child.expect(r"\[I\] Menu closed; (\d+) data line\(s\) held while it was open \(they are on the SD card\)")
        held = int(child.match.group(1))
        child.expect(r"\n\S+,\d+,DataLogger IoT,")  # and the lines come back
        stop(child)
    finally:
        child.close(force=True)
    assert during - before >= 8  # 3 s at 250 ms, on the card meanwhile
    assert held >= during - before


def test_devices_settings_switch_a_parameter_off(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 500\n")
    child = spawn(board)
    try:
        child.expect(r"\n\S+,2,DataLogger IoT,")
        child.send("a")
        pick(child, "Devices Settings")
        pick(child, "BME280")
        child.expect_exact("Settings for: /DataLogger IoT/Devices Settings/BME280\r\n")
        pick(child, "Humidity")
        child.expect_exact("Humidity (1 = on, 0 = off; ESC keeps it): ")
        child.send("0")
        child.expect_exact("[I] BME280: 5 of 6 parameter(s) output")
        child.expect(r"\d+\) Humidity - Output this parameter : off")
        child.send("xxx")
        child.expect_exact("[I] Menu closed")
        child.expect("\n(General\\.Time,[^\r\n]*)\r\n")
        header = child.match.group(1)
        child.expect(r"\n(\S+,\d+,DataLogger IoT,[^\r\n]*)\r\n")
        line = child.match.group(1)
        stop(child)
    finally:
        child.close(force=True)
    assert "BME280.Humidity" not in header and "BME280.TemperatureF" in header
    assert len(line.split(",")) == len(header.split(","))
    assert board.files() == ["sfe0001.txt", "sfe0002.txt"]  # a new file: no line under the old header
    old, new = board.lines("sfe0001.txt"), board.lines("sfe0002.txt")
    assert "BME280.Humidity" in old[0] and "BME280.Humidity" not in new[0]
    assert all(len(row.split(",")) == len(new[0].split(",")) for row in new)
    # Saved with x, as the original's device settings: off again after a restart, in the NVM's JSON shape.
    child = spawn(board)
    try:
        child.expect("\n(General\\.Time,[^\r\n]*)\r\n")
        assert "BME280.Humidity" not in child.match.group(1) and "BME280.TemperatureC" in child.match.group(1)
        child.send("!settings json\r")
        child.expect_exact('"BME280": {')
        child.expect_exact('"Humidity": false')
        stop(child)
    finally:
        child.close(force=True)


def test_a_device_parameter_is_a_setting(tmp_path):
    # settings.toml switches a parameter off by its key; an unknown parameter is named, not silently taken.
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 500\nBME280_ALTITUDEF = false\nMAX17048_VOLTAGE_V = 0\n")
    child = spawn(board)
    try:
        child.expect("\n(General\\.Time,[^\r\n]*)\r\n")
        header = child.match.group(1)
        child.send("!settings\r")
        child.expect_exact("BME280_ALTITUDEF = False  (settings.toml line 2)")
        stop(child)
    finally:
        child.close(force=True)
    assert "BME280.AltitudeF" not in header and "MAX17048.Voltage (V)" not in header
    assert "BME280.AltitudeM" in header and "MAX17048.State Of Charge (%)" in header


def test_bad_input_is_answered_and_nothing_breaks(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 1000\n")
    child = spawn(board)
    try:
        child.send("a")
        child.expect_exact("Select option: ")
        os.write(child.child_fd, b"\x00\x01\x07\xff\xfe\xc3(\x1b[A\x1b[B\x1bOC")  # garbage, invalid UTF-8, arrows
        child.send("9" * 5000)  # one answer, not 5,000
        child.expect_exact("[W] no option 9: choose 1 to 2, x to exit, b to go back")
        assert child.expect([r"no option", pexpect.TIMEOUT], timeout=3) == 1
        child.send("1")  # the menu still answers: 1) Settings
        child.expect_exact("Settings for: /DataLogger IoT/Settings\r\n")
        pick(child, "IoT Services")
        pick(child, "AWS IoT")
        pick(child, "Server")
        child.send("s" * 5000 + "\r")  # a line over 4 KB
        child.expect_exact("[W] longer than 1024 characters: Server unchanged")
        pick(child, "Client Name")
        child.send("\x01Test\x02Thing\x0723")
        child.send("   \r\n")  # pasted with a line end and spaces
        child.expect_exact("[I] AWS IoT/Client Name = TestThing23: takes effect after a restart")
        pick(child, "Port")
        child.send("\x1570000\r")
        child.expect_exact("[W] Port: out of range (1 to 65535); try again, or ESC keeps 8883")
        child.send("\x15eighty\r")
        child.expect_exact("[W] Port: not a whole number; try again, or ESC keeps 8883")
        child.send("\x1b")
        child.expect_exact("[I] unchanged")
        pick(child, "Password")
        child.send("hunter2  \r\n")
        child.expect_exact("[I] AWS IoT/Password = ****")
        child.expect(r"\d+\) Password - MQTT password : \*\*\*\* \(set\)")
        child.send("bxxx")
        child.expect_exact("Restart now? [Y/n]: ")
        child.send("n")
        child.expect_exact("[I] Menu closed")
        child.send("!log-now\r")  # the logger is alive and well
        child.expect(r"\n\S+,\d+,DataLogger IoT,4\.100,")
        stop(child)
    finally:
        child.close(force=True)
    assert "hunter2" not in child.logfile_read.getvalue()  # never echoed nor shown
    saved = (board.drive / "nvm.bin").read_bytes()
    assert b'"Client Name": "TestThing23"' in saved and b'"Port": 8883' not in saved
    assert b"sssss" not in saved


def test_logger_settings_take_effect_at_once(tmp_path):
    # The Logger page, as the original's: the time column, the General parameters and both output
    # formats change while logging, without a restart.
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 500\n")
    child = spawn(board)
    try:
        child.expect(r"\n\S+,2,DataLogger IoT,")
        child.send("a")
        pick(child, "Settings")
        pick(child, "Logger")
        child.expect_exact("Settings for: /DataLogger IoT/Settings/Logger\r\n")
        pick(child, "Timestamp Mode")
        pick(child, "Seconds since Epoch")
        child.expect_exact("[I] Logger/Timestamp Mode = Seconds since Epoch\r\n")
        pick(child, "Output Source Name")
        child.send("1")
        child.expect_exact("[I] Logger/Output Source Name = True\r\n")
        pick(child, "Serial Console Format")
        pick(child, "JSON")
        child.expect_exact("[I] Logger/Serial Console Format = JSON\r\n")
        child.send("xxx")
        child.expect_exact("[I] Saving System Settings")
        child.expect_exact("[I] Menu closed")
        child.expect_exact("Content-Type: application/json")
        child.expect(r'\n(\{"General":\{"Time \(Epoch\)":[^\r\n]*)\r\n')
        line = json.loads(child.match.group(1))
        stop(child)
    finally:
        child.close(force=True)
    assert "takes effect after a restart" not in child.logfile_read.getvalue()
    assert list(line["General"]) == ["Time (Epoch)", "Entry", "Board Name", "Trigger"]
    assert line["General"]["Time (Epoch)"].isdigit()  # text, as the original writes it
    header = board.lines(board.files()[-1])[0]
    assert header.startswith("General.Time (Epoch),General.Entry,General.Board Name,General.Trigger,")


def test_a_plugin_list_naming_a_missing_plugin_is_refused(tmp_path):
    # Saved, a typo in Plugins would take the menu itself away at the next start.
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.send("a")
        pick(child, "Settings")
        pick(child, "Application Settings")
        pick(child, "Plugins")
        child.expect_exact("Plugins: ")
        child.send("\x15sensors.auto, outputs.serial, ui.menu1\r")
        child.expect_exact("[W] Plugins: no plugin ui.menu1 on this board; try again")
        child.expect_exact("Plugins: ")
        child.send("\x15sensors.auto, outputs.serial, ui.menu\r")
        child.expect_exact("[I] Application Settings/Plugins = sensors.auto, outputs.serial, ui.menu: takes effect "
                           "after a restart")
        child.send("\x1b")
        child.send("\x1b")
        child.send("\x1b")
        child.expect_exact("[I] Menu closed without saving: changes discarded")
        stop(child)
    finally:
        child.close(force=True)


def test_devices_settings_scans_the_bus_again(tmp_path):
    # The menu action beside !devices scan (sensors.auto's Devices section sits on the Devices Settings page).
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.send("a")
        pick(child, "Devices Settings")
        pick(child, "Scan Devices")
        child.expect_exact("[Y/n]")
        child.send("y")
        child.expect_exact("[I] devices: 2 (unchanged)")
        child.expect_exact("Settings for: /DataLogger IoT/Devices Settings\r\n")
        child.send("\x1b")
        child.send("\x1b")
        child.expect_exact("[I] Menu closed")
        stop(child)
    finally:
        child.close(force=True)
