"""Saved settings as a user meets them: the fallback file round trip, the original's datalogger.json with
its numbers, damaged files, and the startup menu, through a real pseudo-terminal or `python -m host`."""
import json

import pexpect

from hostrun import REPO, Board, both, data, messages, rows

ORIGINAL = """{
  "Logger": {
    "Timestamp Mode": 2,
    "Sample Numbering": true,
    "Output ID": true,
    "Output Source Name": true,
    "Serial Console Format": 2
  },
  "Data File": {
    "Rotate Period": 48
  },
  "WiFi Network": {
    "Password": ""
  }
}
"""


def spawn(board, wait="quick commands: !help"):
    child = pexpect.spawn(board.args()[0], board.args()[1:], cwd=REPO, encoding="utf-8", timeout=20,
                          dimensions=(50, 200))
    if wait:
        child.expect_exact(wait)
    return child


def nvm(board):
    image = (board.drive / "nvm.bin").read_bytes()
    return json.loads(image[10:10 + (image[4] << 8 | image[5])]) if image[:4] == b"DLv1" else None


def test_fallback_round_trip_save_clear_restart(tmp_path):
    board = Board(tmp_path, 'LOGGING_TIMER_INTERVAL = 60000\nWIFI_PASSWORD = "hunter2"\n')
    child = spawn(board)
    try:
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        child.send('{"Save Settings": {"Fallback Save": true}, "Logger": {"Timestamp Mode": 1,'
                   ' "Numbering Increment": 10}, "AWS IoT": {"Client Name": "Shed7"}}\r')
        child.expect_exact("[I] Settings saved to NVM")
        child.expect_exact("[I] Settings written to sd/datalogger.json")  # Fallback Save: the file too
        child.expect_exact('passwords and keys written as ""')
        child.send("!clear-settings-forced\r")
        child.expect_exact("[I] Saved settings cleared")
        child.send("!restart-forced\r")
        child.expect_exact("[I] Settings restored from sd/datalogger.json")
        child.expect(r"sd/datalogger.json: (\d+) value\(s\) restored and saved to NVM")
        child.expect_exact("Content-Type: text/csv")
        child.expect_exact("General.Time (millis),General.Entry,")  # the mode and the increment came back
        child.expect(r"\n\d+,1,DataLogger IoT,")
        child.send("!log-now\r")
        child.expect(r"\n\d+,11,DataLogger IoT,")
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)
    written = json.loads((board.sd / "datalogger.json").read_text())
    assert written["Logger"]["Timestamp Mode"] == 1 and written["Data File"]["Rotate Period"] == 24  # as numbers
    assert written["WiFi Network"]["Password"] == ""  # a secret stays off the card
    assert written["AWS IoT"]["Client Name"] == "Shed7"
    assert nvm(board)["Logger"]["Numbering Increment"] == 10


def test_secrets_reach_the_card_only_when_asked_with_a_warning(tmp_path):
    board = Board(tmp_path, 'WIFI_NETWORK_2_PASSWORD = "hunter2"\nSAVE_SETTINGS_FALLBACK_SAVE = 1\n'
                            'SAVE_SETTINGS_SECRETS_IN_FALLBACK = 1\n')
    lines, _ = board.run_until("anyone holding the card can read them", typed="!save-settings\n")
    assert any("datalogger.json holds the passwords and keys: anyone holding the card can read them" in line
               for line in lines)
    assert json.loads((board.sd / "datalogger.json").read_text())["WiFi Network"]["Network 2 Password"] == "hunter2"


def test_an_original_datalogger_json_with_numbers_loads(tmp_path):
    board = Board(tmp_path)
    (board.sd / "datalogger.json").write_text(ORIGINAL)
    lines, _ = board.run_until(both("DATA_FILE_ROTATE_PERIOD", rows(1)), typed="!settings\n")
    said = "\n".join(messages(lines))
    assert "sd/datalogger.json: 6 value(s) restored and saved to NVM" in said
    assert 'LOGGER_TIMESTAMP_MODE = "Seconds since Epoch"  (saved settings)' in said
    assert 'DATA_FILE_ROTATE_PERIOD = "2 days"  (saved settings)' in said
    assert "Content-Type: application/json" in lines
    first = json.loads(data(lines)[0])
    assert list(first["General"]) == ["Time (Epoch)", "Entry", "Board ID", "Board Name", "Trigger"]
    assert first["General"]["Trigger"] == "Logging Timer" and first["General"]["Board ID"] == "A1B2C3D4E5F6"
    assert nvm(board)["Logger"]["Timestamp Mode"] == 2  # stored as the original stores it
    assert board.lines("sfe0001.txt")[0].startswith("General.Time (Epoch),General.Entry,General.Board ID,")


def test_a_bad_value_is_named_once_and_never_saved(tmp_path):
    board = Board(tmp_path)
    (board.sd / "datalogger.json").write_text('{"Logging Timer": {"Interval": 5}, "Logger": {"Timestamp Mode": 42},'
                                              ' "Data File": {"File Prefix": "abc"}}')
    lines, _ = board.run_until("quick commands: !help")
    said = "\n".join(messages(lines))
    assert '"Logging Timer"/"Interval": out of range 10..86400000: 5; ignored' in said
    assert "sd/datalogger.json: 1 value(s) restored" in said
    assert nvm(board) == {"Data File": {"File Prefix": "abc"}}
    lines, _ = board.run_until("quick commands: !help")  # the next start: no warning again
    assert not [line for line in lines if line.startswith("[W]")], lines


def test_a_file_that_gave_nothing_is_read_again_once_corrected(tmp_path):
    board = Board(tmp_path)
    (board.sd / "datalogger.json").write_text('{"Logging Timer": {"Interv')  # cut short
    lines, _ = board.run_until("quick commands: !help")
    said = "\n".join(messages(lines))
    assert "no value could be read; nothing saved, so the file is read again at the next start" in said
    (board.sd / "datalogger.json").write_text('{"Logging Timer": {"Interval": 700}}')
    lines, _ = board.run_until("quick commands: !help")
    assert "[I] Logging every 700 ms; quick commands: !help" in lines
    # A partly damaged file seeds what parsed; Restore from Fallback reads it again after a fix.
    (board.sd / "datalogger.json").write_text('{\n  "Logging Timer": {\n    "Interval": 900\n  },\n'
                                              '  "Data File": {\n    "File Prefix": "ab c\n  }\n}\n')
    lines, _ = board.run_until("Saved settings cleared", typed="!clear-settings-forced\n")
    assert any("Saved settings cleared" in line for line in lines)
    lines, _ = board.run_until("quick commands: !help")
    said = "\n".join(messages(lines))
    assert "sd/datalogger.json: 1 value(s) restored and saved to NVM" in said and "Restore from Fallback" in said


def test_the_startup_menu_keys(tmp_path):
    board = Board(tmp_path, "APPLICATION_SETTINGS_STARTUP_DELAY = 5\nLOGGING_TIMER_INTERVAL = 60000\n")
    (board.sd / "datalogger.json").write_text('{"Logging Timer": {"Interval": 700}}')
    child = spawn(board, wait="s) no settings restore")
    try:
        child.send("l")
        child.expect_exact("Supported devices: MAX17048, BME280, BMP3XX")
        child.send("s")
        child.expect_exact("[I] Startup: settings not restored (this start only)")
        child.expect_exact("[I] Logging every 60000 ms")  # the card's file was not read
        child.send("!restart-forced\r")
        child.expect_exact("s) no settings restore")
        child.send("a")
        child.expect_exact("[I] Startup: no device auto-load (this start only)")
        child.expect_exact("[I] Logging every 700 ms")
        child.expect_exact("General.Time,General.Entry,General.Board Name\r\n")  # no devices
        child.send("!restart-forced\r")
        child.expect_exact("s) no settings restore")
        child.send("w")
        child.expect_exact("[I] Startup: WiFi off (this start only)")
        child.send("!settings\r")
        child.expect_exact("WIFI_ENABLED = False  (startup menu)")
        child.send("!restart-forced\r")
        child.expect_exact("s) no settings restore")
        child.send("n")
        child.expect_exact("[I] found BME280 at 0x77")
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)


def test_with_nothing_attached_the_startup_delay_is_skipped(tmp_path):
    board = Board(tmp_path, "APPLICATION_SETTINGS_STARTUP_DELAY = 1\n")
    lines, _ = board.run(seconds=2.5)  # stdin is /dev/null here: nobody answers
    assert data(lines), lines  # logging starts once the delay is over


def pick(child, name):
    """Select a menu line by its name, as a user reads the number off the page."""
    child.expect(r"(\d+)\) " + name + " - ")
    number = child.match.group(1)
    child.expect_exact("Select option")
    child.send(number + ("\r" if len(number) == 1 else ""))


def test_the_save_settings_page_actions_round_trip(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        child.send('{"Data File": {"File Prefix": "shed"}}\r')
        child.expect_exact("[I] Settings saved to NVM")
        child.send(" ")
        pick(child, "Settings")
        pick(child, "Save Settings")
        pick(child, "Save to Fallback")
        child.expect_exact("[Y/n]")
        child.send("y")
        child.expect_exact("Settings written to sd/datalogger.json")
        pick(child, "Clear saved settings")
        child.expect_exact("[Y/n]")
        child.send("y")
        child.expect_exact("Saved settings cleared")
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)
    assert (board.drive / "nvm.bin").read_bytes()[:4] == b"\xff" * 4
    lines, _ = board.run_until(both("quick commands: !help", "shed0001.txt"))  # the next start: restored from the file
    said = "\n".join(messages(lines))
    assert "[I] Settings restored from sd/datalogger.json" in said
    assert "shed0001.txt" in board.files()


def test_reset_sample_counter_on_the_logger_page(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\nLOGGER_NUMBERING_INCREMENT = 5\n")
    child = spawn(board)
    try:
        child.expect(r"\n\S+,1,DataLogger IoT,")
        child.send("!log-now\r")
        child.expect(r"\n\S+,6,DataLogger IoT,")  # stepped by Numbering Increment
        child.send(" ")
        pick(child, "Settings")
        pick(child, "Logger")
        pick(child, "Reset Sample Counter")
        child.expect_exact("[Y/n]")
        child.send("y")
        child.expect_exact("Sample counter reset: the next Entry is 1")
        for _ in range(4):
            child.send("\x1b")
        child.send("!log-now\r")
        child.expect(r"\n\S+,1,DataLogger IoT,")
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)


def test_start_messages_device_names_and_board_name_as_the_original(tmp_path):
    board = Board(tmp_path, 'APPLICATION_SETTINGS_START_MESSAGES = "Compact"\nAPPLICATION_SETTINGS_DEVICE_NAMES = 1\n'
                            'APPLICATION_SETTINGS_BOARD_NAME = "Shed 7"\n')
    lines, _ = board.run_until(rows(2))
    said = messages(lines)
    assert said[0].startswith("[I] SparkFun DataLogger IoT") and not any("ready" in line for line in said)
    assert "[I] Logging every 15000 ms; quick commands: !help" in said
    header = data(lines)[0]
    assert "MAX17048 [x36].Voltage (V)" in header and "BME280 [x77].Humidity" in header
    assert ",Shed 7," in data(lines)[1]
    (board.drive / "settings.toml").write_text('APPLICATION_SETTINGS_START_MESSAGES = 2\n')  # its number: Disabled
    lines, _ = board.run_until(rows(1))
    assert [line for line in messages(lines) if "Logging every" in line or "found" in line] == []
    assert data(lines)
