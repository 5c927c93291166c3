"""The original's quick commands, typed at a real pseudo-terminal as a person at tio or screen would."""
import json

import pexpect

from hostrun import REPO, Board

SEED_AWS = """{
  "AWS IoT": {
    "Enabled": false,
    "Port": 8883,
    "Server": "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com",
    "MQTT Topic": "$aws/things/TestThing23/shadow/update",
    "Client Name": "TestThing23",
    "Buffer Size": 0,
    "Username": "",
    "Password": "",
    "CA Cert Filename": "AmazonRootCA1.pem",
    "Client Cert Filename": "TestThing23_DevCert.crt",
    "Client Key Filename": "TestThing23_Private.key"
  }
}"""


def spawn(board):
    child = pexpect.spawn(board.args()[0], board.args()[1:], cwd=REPO, encoding="utf-8", timeout=20,
                          dimensions=(50, 200))
    child.expect_exact("quick commands: !help")
    return child


def saved(board):
    path = board.drive / "nvm.bin"
    image = path.read_bytes() if path.exists() else b""
    if image[:4] != b"DLv1":
        return None
    return json.loads(image[10:10 + (image[4] << 8 | image[5])])


def test_every_quick_command_answers(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.expect_exact("Content-Type: text/csv")
        answers = [("!about", "Device ID: A1B2C3D4E5F6"), ("!devices", "BME280 at 0x77: ok"),
                   ("!heap", "[I] heap free "), ("!log-now", ",2,DataLogger IoT,"), ("!log-rate", "Rate Metric: "),
                   ("!sdcard", " MB free"), ("!systime", "System time: 20"), ("!uptime", " observations"),
                   ("!device-id", "Device ID: A1B2C3D4E5F6"), ("!version", "DataLogger IoT for CircuitPython"),
                   ("!wifi", "WiFi: "), ("!help", "!json-settings - paste"), ("!settings", "LOGGING_TIMER_INTERVAL = "
                   "60000  (settings.toml line 1)"), ("!settings json", '"Timestamp Mode": 6'),
                   ("!save-settings", "[I] Settings saved to NVM"),
                   ("!save-settings", "[I] Settings unchanged; NVM not rewritten")]
        for typed, answer in answers:
            child.send(typed + "\r")
            child.expect_exact(answer)
        # Guarded ones ask first; n cancels, and the -forced form asks nothing.
        child.send("!restart\r")
        child.expect_exact("Restart the device? [y/n]")
        child.send("n")
        child.expect_exact("[I] cancelled")
        child.send("!clear-settings\r")
        child.expect_exact("Clear the saved settings (NVM)? [y/n]")
        child.send("y")
        child.expect_exact("[I] Saved settings cleared")
        child.send("!clear-settings-forced\r")
        child.expect_exact("[I] Saved settings cleared")
        child.send("!reset-device\r")
        child.expect_exact("[y/n]")
        child.send("\x1b")
        child.expect_exact("[I] cancelled")
        child.send("!restart-forced\r")
        child.expect_exact("[I] Restarting")
        child.expect_exact("[I] SparkFun DataLogger IoT for CircuitPython")  # code.py runs again
        child.expect_exact("quick commands: !help")
        child.send("!factory-reset\r")
        child.expect_exact("[y/n]")
        child.send("y")
        child.expect_exact("[I] Restarting")
        child.expect_exact("quick commands: !help")
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)
    assert (board.drive / "nvm.bin").read_bytes()[:4] == b"\xff" * 4


def test_json_settings_applies_the_seeds_block_or_refuses_a_broken_one_whole(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        broken = SEED_AWS.replace('"Port": 8883,', '"Port": 8883')  # a comma lost: not JSON
        child.send(broken.replace("\n", "\r\n") + "\r\n")
        child.expect_exact("[W] !json-settings: not valid JSON")
        child.expect_exact("nothing applied")
        assert saved(board) is None  # nothing of it reached the NVM
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        good = SEED_AWS.replace('"Buffer Size": 0', '"Buffer Size": "lots"')
        child.send(good.replace("\n", "\r\n") + "\r\n")
        child.expect_exact('"AWS IoT"/"Buffer Size": expected an integer')
        child.expect_exact("[I] !json-settings: 9 value(s) applied")  # Password "" (a secret) is no value
        child.expect_exact("[I] Settings saved to NVM")
        child.send("!settings\r")
        child.expect_exact('AWS_IOT_CLIENT_NAME = "TestThing23"  (saved settings)')
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        child.expect_exact("[W] !json-settings: no document within 15 s; nothing applied", timeout=40)
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)
    nvm = saved(board)
    assert nvm["AWS IoT"]["Client Name"] == "TestThing23" and nvm["AWS IoT"]["Port"] == 8883
    assert "Buffer Size" not in nvm["AWS IoT"]  # the bad value is named, not saved
    lines, _ = board.run_until("AWS_IOT_SERVER", typed="!settings\n")  # and it is there after a restart
    assert 'AWS_IOT_SERVER = "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com"  (saved settings)' in "\n".join(lines)


# The AWS IoT block exactly as the seed (aws-iot-seed.md) prints it: a section without braces, with its
# trailing comma.
SEED_BLOCK = """"AWS IoT": {
    "Enabled": true,
    "Port": 8883,
    "Server": "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com",
    "MQTT Topic": "$aws/things/TestThing23/shadow/update",
    "Client Name": "TestThing23",
    "Buffer Size": 0,
    "Username": "",
    "Password": "",
    "CA Certificate": "",
    "Client Certificate": "",
    "Client Key": "",
    "CA Cert Filename": "AmazonRootCA1.pem",
    "Client Cert Filename": "TestThing23_DevCert.crt",
    "Client Key Filename": "TestThing23_Private.key"
  },"""


def test_json_settings_takes_the_seeds_block_as_printed_and_swallows_a_refused_paste(tmp_path):
    block = SEED_BLOCK
    assert block.endswith("},")
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        child.send(block.replace("\n", "\r\n") + "\r\n")
        child.expect_exact("[I] !json-settings: ")
        child.expect_exact("value(s) applied")
        child.expect_exact("[I] Settings saved to NVM")
        # Refused at its first character: the rest of the paste never reaches the menu or a command.
        child.send("!json-settings\r")
        child.expect_exact("paste one JSON settings object")
        child.send("AWS IoT: {\r\n  2\r\n  1\r\n  x\r\n}\r\n")
        child.expect_exact("[W] !json-settings: a settings document starts with {")
        assert child.expect_exact(["Settings for:", "Select option", pexpect.TIMEOUT], timeout=3) == 2
        child.send("!settings\r")
        child.expect_exact('AWS_IOT_CLIENT_NAME = "TestThing23"  (saved settings)')
        child.sendintr()
        child.expect_exact("[I] Stopped; files closed")
    finally:
        child.close(force=True)
    nvm = saved(board)
    assert nvm["AWS IoT"]["Enabled"] is True and nvm["AWS IoT"]["Port"] == 8883
    assert nvm["AWS IoT"]["Client Key Filename"] == "TestThing23_Private.key"
