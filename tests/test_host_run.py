"""The firmware's code.py, run unchanged on the PC over simulated hardware, as a user sees it."""
import datetime
import json
import os
import re
import signal
import subprocess
import time

import pytest

from hostrun import (HEADER, REPO, STEADY_BUS, Board, Running, assert_same_observations, both, check_steady, data,
                     messages, rows, wait_for)

FAST = "LOGGING_TIMER_INTERVAL = 200\n"
BOOTED = "quick commands: !help"  # the last line of boot: every boot message comes before it
UNPLUG_S = 2.5  # when the loose BME280 first stops answering, in bus time (from before boot)


def test_observations_reach_the_console_and_the_card_as_csv(tmp_path):
    board = Board(tmp_path, FAST)
    lines, _ = board.run_until(both(rows(4), board.caught_up()))
    logged = data(lines)
    assert logged[0] == HEADER
    assert len(logged) >= 5  # one at startup, then every 200 ms
    entries = []
    for row in logged[1:]:
        fields = check_steady(HEADER, row)
        entries.append(int(fields["General.Entry"]))
        stamp = datetime.datetime.fromisoformat(fields["General.Time"].replace("Z", "+00:00"))
        assert abs((datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()) < 60
    assert entries == list(range(1, len(entries) + 1))
    assert board.files() == ["sfe0001.txt"]
    card = board.lines("sfe0001.txt")
    assert card[0] == HEADER and card.count(HEADER) == 1
    assert_same_observations(card[1:], logged[1:])  # the same observations, none lost
    assert "[I] Stopped; files closed" in lines


def test_json_on_both_outputs_keeps_general_first_and_the_original_names(tmp_path):
    board = Board(tmp_path, FAST + 'SERIAL_CONSOLE_FORMAT = "JSON"\nSD_CARD_FORMAT = "json"\n')
    lines, _ = board.run_until(both(rows(2), board.caught_up()))
    logged = data(lines)
    assert logged and all(row.startswith('{"General":{"Time":"') for row in logged)
    first = json.loads(logged[0])
    assert list(first) == ["General", "MAX17048", "BME280"]
    assert list(first["BME280"]) == ["Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF"]
    assert list(first["MAX17048"]) == ["Voltage (V)", "State Of Charge (%)", "Change Rate (%/hr)"]
    assert first["General"]["Entry"] == 1 and first["BME280"]["TemperatureC"] == 21.502  # 3 decimals, as the original
    assert_same_observations(board.lines("sfe0001.txt"), logged)  # JSON files have no header


def test_an_existing_file_number_is_skipped_and_prefix_and_start_are_settings(tmp_path):
    board = Board(tmp_path, FAST + 'DATA_FILE_FILE_PREFIX = "log"\nDATA_FILE_FILE_START_NUMBER = 7\n')
    (board.sd / "log0007.txt").write_text("precious\n")
    board.run_until(both("SD card: logging to", rows(1)))
    assert board.files() == ["log0007.txt", "log0008.txt"]
    assert (board.sd / "log0007.txt").read_text() == "precious\n"
    board.run_until(both("SD card: logging to", rows(1)))
    assert board.files() == ["log0007.txt", "log0008.txt", "log0009.txt"]  # each boot starts a new file


def test_bad_settings_are_named_and_the_logger_runs_on_defaults(tmp_path):
    board = Board(tmp_path, "\n".join([
        "# a comment",
        "LOGGING_TIMER_INTERVAL = 5",
        'SERIAL_CONSOLE_FORMAT = "XML"',
        "DATA_FILE_FILE_PREFIX = 12",
        'LOGGER_TIMESTAMP_MODE = "epoch s',
        "NO_SUCH_KEY = 1",
        "SAVE_SETTINGS_FALLBACK_RESTORE = 0.5",
        "CIRCUITPY_WEB_API_PASSWORD = \"x\"",
        "[section]",
        "PLUGINS = \"outputs.serial\"",
    ]) + "\n")
    lines, _ = board.run_until(both("SD card: logging to", rows(1)))
    said = "\n".join(messages(lines))
    assert "settings.toml line 2: LOGGING_TIMER_INTERVAL: out of range 10..86400000: 5; using 15000" in said
    assert "settings.toml line 3: SERIAL_CONSOLE_FORMAT: expected one of Disabled, CSV, JSON; got \"XML\"; using \"CSV\"" in said
    assert "settings.toml line 4: DATA_FILE_FILE_PREFIX: expected a quoted string, got 12; using \"sfe\"" in said
    assert "settings.toml line 5: LOGGER_TIMESTAMP_MODE: unterminated string" in said
    assert "settings.toml line 6: NO_SUCH_KEY: unknown key" in said
    assert "settings.toml line 7: SAVE_SETTINGS_FALLBACK_RESTORE: unquoted number 0.5 is not an integer" in said
    assert "settings.toml line 10: PLUGINS: after the table [section]" in said
    assert "CIRCUITPY_WEB_API_PASSWORD" not in said  # CircuitPython's own keys are not ours to judge
    logged = data(lines)
    assert logged[0].startswith("General.Time,") and len(logged) == 2  # CSV, one log at startup, 15 s interval
    assert board.files() == ["sfe0001.txt"]


def test_no_settings_file_means_defaults(tmp_path):
    board = Board(tmp_path)
    lines, _ = board.run_until(both("SD card: logging to", rows(1)))
    assert "[I] Logging every 15000 ms; quick commands: !help" in lines
    assert len(data(lines)) == 2 and board.files() == ["sfe0001.txt"]


def test_timestamp_modes_use_integers_and_the_posix_zone(tmp_path):
    def first_time(mode, extra=""):
        board = Board(tmp_path / mode.replace(" ", "_"), 'LOGGER_TIMESTAMP_MODE = "' + mode + '"\n' + extra)
        logged = data(board.run_until(rows(1))[0])
        return logged[0], logged[1].split(",")[0]

    now = time.time()
    header, value = first_time("epoch s")
    assert header.startswith("General.Time (Epoch),") and abs(int(value) - now) < 30  # named as the original
    assert abs(int(first_time("epoch ms")[1]) / 1000 - now) < 30
    assert 0 <= int(first_time("ms since start")[1]) < 5000
    header, value = first_time("none")
    assert header.startswith("General.Entry,") and value == "1"
    stamp = first_time("ISO8601+TZ", 'TIME_SETUP_TIME_ZONE = "CET-1CEST,M3.5.0,M10.5.0/3"\n')[1]
    os.environ["TZ"] = "CET-1CEST,M3.5.0,M10.5.0/3"
    time.tzset()
    try:
        offset = time.localtime(datetime.datetime.fromisoformat(stamp).timestamp()).tm_gmtoff
    finally:
        del os.environ["TZ"]
        time.tzset()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", stamp)
    assert datetime.datetime.fromisoformat(stamp).utcoffset().total_seconds() == offset


SEED = """{
  "Logging Timer": {
    "Interval": 250
  },
  "AWS IoT": {
    "Enabled": true,
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
  },
  "WiFi Network": {
    "Enabled": true,
    "Network Name": "shed",
    "Password": ""
  }
}
"""


def test_datalogger_json_seeds_the_nvm_once_and_saved_settings_win(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 1000\nWIFI_PASSWORD = \"from-toml\"\n")
    (board.sd / "datalogger.json").write_text(SEED)
    # The NVM is seeded at the end of boot; AWS IoT looks for its files on its first poll after it.
    lines, _ = board.run_until(both(BOOTED, "is missing on the card; waiting"))
    said = "\n".join(messages(lines))
    assert "Settings restored from sd/datalogger.json" in said
    assert "LOGGING_TIMER_INTERVAL = 1000 is hidden by the saved value 250" in said
    assert "[I] Logging every 250 ms" in said
    assert "unknown property" not in said  # iot.aws (a default plugin) declares the whole AWS IoT block
    assert "AWS IoT: CA Cert Filename: sd/AmazonRootCA1.pem is missing on the card; waiting" in said
    image = (board.drive / "nvm.bin").read_bytes()
    assert len(image) == 8192 and image[:4] == b"DLv1"
    saved = json.loads(image[10:10 + (image[4] << 8 | image[5])])
    assert saved["AWS IoT"]["Client Name"] == "TestThing23"  # kept for the plugin that will use it
    assert saved["Logging Timer"]["Interval"] == 250
    assert saved["WiFi Network"]["Network Name"] == "shed"  # the original's WiFi names load as they are
    assert "Data File" not in saved  # only what was saved is saved: defaults and settings.toml stay live
    assert "from-toml" not in image.decode("utf-8", "replace")

    # Next boot: the card's file is gone, the NVM remembers, nothing is seeded again, and an
    # edit to a key the saved settings don't hold takes effect.
    (board.sd / "datalogger.json").unlink()
    (board.drive / "settings.toml").write_text('DATA_FILE_FILE_PREFIX = "log"\nWIFI_PASSWORD = "x"\n')
    lines, _ = board.run_until(both("(settings.toml line 2)", "SD card: logging to"), typed="!settings\n")
    said = "\n".join(messages(lines))
    assert "restored from" not in said and "[I] Logging every 250 ms" in said
    assert "hidden" not in said
    assert "WIFI_PASSWORD = ****  (settings.toml line 2)" in said  # the saved "" overwrote nothing
    assert "log0001.txt" in board.files()

    # !clear-settings erases them, as the original's Clear Settings: with Fallback Restore off, the
    # card's file is not read again either.
    (board.sd / "datalogger.json").write_text(SEED)
    (board.drive / "settings.toml").write_text("SAVE_SETTINGS_FALLBACK_RESTORE = 0\n")
    lines, _ = board.run_until("Saved settings cleared", typed="!clear-settings\ny\n")
    assert any(line.startswith("[I] Saved settings cleared: settings.toml, the defaults") for line in lines)
    assert b"TestThing23" not in (board.drive / "nvm.bin").read_bytes()
    lines, _ = board.run_until(BOOTED)
    said = "\n".join(messages(lines))
    assert "restored from" not in said and "[I] Logging every 15000 ms" in said


def test_a_damaged_datalogger_json_loses_only_the_bad_keys(tmp_path):
    board = Board(tmp_path)
    damaged = SEED.replace('"Interval": 250', '"Interval": 2 50').replace('"Port": 8883,', '"Port": 8883')
    (board.sd / "datalogger.json").write_text(damaged)
    lines, _ = board.run_until(BOOTED)
    said = "\n".join(messages(lines))
    assert "sd/datalogger.json: not valid JSON; reading it line by line" in said
    assert 'sd/datalogger.json line 3: "Logging Timer"/"Interval": bad value 2 50' in said
    image = (board.drive / "nvm.bin").read_bytes()
    saved = json.loads(image[10:10 + (image[4] << 8 | image[5])])
    assert saved["AWS IoT"]["Port"] == 8883 and saved["AWS IoT"]["Server"].startswith("avgpd2wdr5s6u")
    assert "Interval" not in saved.get("Logging Timer", {})  # the damaged value is not guessed at


def test_a_damaged_nvm_image_is_named_and_not_used(tmp_path):
    board = Board(tmp_path, FAST)
    board.run_until(BOOTED)
    (board.sd / "datalogger.json").write_text(SEED)
    board.run_until(BOOTED)  # seeds the NVM once the plugins are loaded, at the end of boot
    image = bytearray((board.drive / "nvm.bin").read_bytes())
    image[12] ^= 0x20
    (board.drive / "nvm.bin").write_bytes(image)
    (board.sd / "datalogger.json").unlink()
    lines, _ = board.run_until(BOOTED)
    assert "[W] NVM settings: checksum mismatch; not used" in lines
    assert "[I] Logging every 200 ms; quick commands: !help" in lines


def test_circuitpy_wifi_keys_are_the_first_network(tmp_path):
    board = Board(tmp_path, 'CIRCUITPY_WIFI_SSID = "home"\nCIRCUITPY_WIFI_PASSWORD = "pw"\n')
    answered = both("WIFI_NETWORK_NAME = ", "WIFI_PASSWORD = ", "LOGGING_TIMER_INTERVAL = ")
    said = "\n".join(board.run_until(answered, typed="!settings\n")[0])
    assert 'WIFI_NETWORK_NAME = "home"  (CIRCUITPY_WIFI_SSID)' in said
    assert "WIFI_PASSWORD = ****  (CIRCUITPY_WIFI_PASSWORD)" in said
    assert "LOGGING_TIMER_INTERVAL = 15000  (default)" in said


def test_without_a_card_the_console_keeps_logging(tmp_path):
    board = Board(tmp_path, FAST)
    lines, _ = board.run_until(rows(3), sd=False)
    said = "\n".join(messages(lines))
    assert "[W] SD card: no SD card; serial logging continues, retrying every 5 s" in said
    assert said.count("[W] SD card") == 1  # said once, not every tick
    assert len(data(lines)) >= 4


def test_a_pulled_card_is_announced_and_a_new_file_starts_when_it_is_back(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 100\n")
    run = Running(board.args())
    try:
        run.wait(both("SD card: logging to", rows(5)))
        before = (board.sd / "sfe0001.txt").read_text()
        os.rename(board.sd, board.sd.with_name("pulled"))
        run.wait("[W] SD card:")  # noticed
        board.sd.mkdir()
        run.wait(lambda lines: sum("SD card: logging to" in line for line in lines) == 2, why=" (the card back)")
        assert wait_for(lambda: len((board.sd / "sfe0001.txt").read_text().splitlines()) >= 3)
    finally:
        lines, _ = run.stop()
    said = "\n".join(messages(lines))
    assert "SD card: file or card missing (errno 2)" in said or "SD card: no SD card" in said
    assert said.count("SD card: logging to sd/sfe0001.txt") == 2
    pulled = (board.sd.with_name("pulled") / "sfe0001.txt").read_text()
    assert pulled.startswith(before)
    assert all(line.count(",") == HEADER.count(",") for line in pulled.splitlines())  # no torn lines
    assert board.lines("sfe0001.txt")[0] == HEADER  # the new file starts with its header
    logged = data(lines)
    entries = [int(r.split(",")[1]) for r in logged if not r.startswith("General.")]
    assert entries == list(range(1, len(entries) + 1))  # the console never stopped


def test_a_full_card_is_announced_and_the_console_keeps_logging(tmp_path):
    card = tmp_path / "tiny-card"
    card.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(card)], capture_output=True, text=True)
    assert mount.returncode == 0, "this test mounts a 12 KiB tmpfs as the card; run it as root: " + mount.stderr
    try:
        board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 20\n")
        board.sd = card
        # Past two retries, 5 s apart: 530 observations at 20 ms take 10.6 s or more.
        lines, _ = board.run_until(rows(530, after="the card is full"), timeout=120)
        said = "\n".join(messages(lines))
        assert said.count("SD card: the card is full; serial logging continues") == 1
        assert said.count("SD card: logging to") == 1
        assert sorted(p.name for p in card.iterdir()) == ["sfe0001.txt"]  # no empty files, one per retry
        logged = data(lines)
        assert len(logged) > 400  # far more than the card holds
        on_card = (card / "sfe0001.txt").read_text().splitlines()
        assert logged[:len(on_card) - 1] == on_card[:-1]  # what reached the card is what was logged
    finally:
        subprocess.run(["umount", str(card)], check=True)


def test_a_power_cut_loses_at_most_the_line_being_written(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 10\n")
    run = Running(board.args())
    try:
        assert wait_for(lambda: (board.sd / "sfe0001.txt").exists() and
                        (board.sd / "sfe0001.txt").stat().st_size > 20000)
    finally:
        lines, _ = run.stop(signal.SIGKILL)  # no clean-up of any kind
    logged = [r for r in data(lines) if not r.startswith("General.")]
    card = board.lines("sfe0001.txt")[1:]
    complete = [line for line in card if line.count(",") == HEADER.count(",")]
    assert len(complete) >= len(card) - 1
    assert len(complete) >= len(logged) - 1  # everything the console showed is on the card, but one line
    assert complete == logged[:len(complete)]


def test_an_unknown_or_broken_plugin_is_named_and_the_rest_run(tmp_path):
    board = Board(tmp_path, FAST + 'PLUGINS = "sensors.auto, outputs.nope, ../evil, sensors.bme280, outputs.serial"\n')
    lines, _ = board.run_until(rows(2))
    said = "\n".join(messages(lines))
    assert "plugin outputs.nope: cannot load (" in said and "the others keep running" in said
    # a device module is no plugin: its setup() is missing, which fails like a setup that raises
    assert "plugin sensors.bme280: setup failed (AttributeError: " in said
    assert "plugin ../evil: cannot load (a plugin name is kind.name, e.g. sensors.auto)" in said
    assert board.files() == []  # outputs.sdcard was not named
    assert len(data(lines)) >= 3


def test_a_sensor_that_stops_answering_is_told_once_retried_and_the_rest_keep_logging(tmp_path):
    bus = json.loads(json.dumps(STEADY_BUS))
    # The BME280 cable works loose, then off, in seconds since the bus file was read (before boot,
    # which takes 0.3 s, or a few on a loaded machine: the first window starts well after).
    bus["devices"][0]["unplugged"] = [[UNPLUG_S, UNPLUG_S + 0.7], [UNPLUG_S + 1.5, None]]
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 100\n", bus=bus)
    # Retried after 1 s (back: the first window is over), lost again for good 0.5 s later.
    lines, _ = board.run_until(both(rows(30, after="BME280 at 0x77: answering again"), board.caught_up()),
                               timeout=120)
    assert "[I] found BME280 at 0x77" in lines, "not found at boot: did boot take longer than %s s?" % UNPLUG_S
    said = messages(lines)
    lost = [line for line in said if line.startswith("[W] BME280 at 0x77: not answering (")]
    assert len(lost) == 2, said  # once per loss, not once per retry
    assert "its fields are empty until it is back; retrying" in lost[0]
    at = [i for i, line in enumerate(said) if line.startswith("[W] BME280 at 0x77: not answering (")]
    assert at[0] < said.index("[W] BME280 at 0x77: answering again") < at[1]
    assert not [line for line in said if line.startswith("[W] BME280: failed")]  # not the scheduler's business
    logged = data(lines)
    assert logged[0] == HEADER
    width = HEADER.count(",")
    assert all(row.count(",") == width for row in logged)  # columns never shift
    gaps = [row for row in logged[1:] if row.endswith(",,,,,,")]
    assert gaps and logged[-1].endswith(",,,,,,")  # no stale values once it is gone
    assert all(",4.100,87.500," in row for row in logged[1:])  # the fuel gauge kept reporting
    assert_same_observations(board.lines("sfe0001.txt")[1:], logged[1:])


def test_the_stand_ins_not_blinka_serve_the_circuitpython_modules():
    import sys as _sys

    from hostrun import REPO
    probe = ("import host.__main__ as runner; runner.stand_ins_first(); import importlib.metadata as md; "
             "md.version('adafruit-blinka'); import board, busio, digitalio, microcontroller, supervisor, "
             "storage, sdcardio, wifi, socketpool, ssl, code; "
             "print('\\n'.join(m.__file__ for m in (board, busio, digitalio, microcontroller, supervisor, "
             "storage, sdcardio, wifi, socketpool, ssl, code)))")
    out = subprocess.run([_sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    files = out.stdout.split()
    stubs = os.path.join(REPO, "host", "stubs")
    assert all(f.startswith(stubs) for f in files[:-1]), files  # Blinka is installed, and loses
    assert not files[-1].startswith(REPO)  # the stdlib's code module, not our code.py


def test_logging_carries_on_through_the_tick_clock_wrap(tmp_path, monkeypatch):
    # supervisor.ticks_ms wraps at 2**29 ms; like the board's, the host's starts a minute before. Here
    # 4 s before (`make soak` runs it the board's way: SOAK_TICKS_BEFORE_WRAP_MS=60000).
    before_ms = int(os.environ.get("SOAK_TICKS_BEFORE_WRAP_MS", "4000"))
    monkeypatch.setenv("HOST_TICKS_BEFORE_WRAP_MS", str(before_ms))
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 250\nLOGGER_TIMESTAMP_MODE = \"epoch ms\"\n")
    # Past the wrap, and 10 s on.
    count = (before_ms + 10000) // 250
    lines, _ = board.run_until(both(rows(count), board.caught_up()), timeout=180)
    # A loaded machine may delay a call past its slice or a tick past the next one, now and then;
    # a tick difference taken wrong across the wrap is off by 2**29 ms (or negative) instead.
    missed = 0
    for said in messages(lines):
        if "slice" in said:
            assert 0 <= int(re.search(r"took (-?\d+) ms", said).group(1)) < 1000, said
        elif "missed" in said:
            missed = int(re.search(r"\((\d+) in all\)", said).group(1))
            assert missed <= 10, said
    logged = [r.split(",") for r in data(lines)[1:]]
    stamps = [int(r[0]) for r in logged]
    assert len(logged) >= count and [int(r[1]) for r in logged] == list(range(1, len(logged) + 1))
    # On the 250 ms grid throughout: each observation at or after its tick and late by less than an
    # interval, so never bunched up (within 250 ms of the latest so far), and drifting from the grid
    # only by the ticks reported missed (a wrong wrap jumps, bunches up or stops them).
    late = [stamp - 250 * i for i, stamp in enumerate(stamps)]
    steps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert all(late[i] > max(late[:i]) - 250 for i in range(1, len(late))), steps
    assert max(late) - min(late) < 250 * (missed + 1), steps
    assert_same_observations(board.lines("sfe0001.txt")[1:], data(lines)[1:])


def test_a_stall_is_reported_as_missed_ticks_once_not_hidden(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 100\n")
    run = Running(board.args())
    try:
        run.wait(both("SD card: logging to", rows(5)))
        start = time.monotonic()
        run.proc.send_signal(signal.SIGSTOP)  # the whole logger stalls, as a blocking call would
        at_stop = len(run.lines)
        time.sleep(1.5)
        run.proc.send_signal(signal.SIGCONT)
        stopped_ms = int((time.monotonic() - start) * 1000)
        # Told once: the report, and no second one over the next 10 observations.
        run.wait(lambda lines: any("missed" in line for line in lines[at_stop:]), why=" (the stall's report)")
        run.wait(rows(10, after="missed"))
    finally:
        lines, _ = run.stop()
    # Any missed tick before the stall (a loaded machine) is not what this test is about.
    missed = [m for m in messages(lines[at_stop:]) if "missed" in m]
    assert len(missed) == 1, missed
    count = int(re.search(r"missed (\d+) log tick", missed[0]).group(1))
    # Named as what it was, a stall, and not blamed on the interval.
    stall = re.search(r": a stall of (\d+) ms between observations \(a log cycle takes \d+ ms; the interval is "
                      r"100 ms\)$", missed[0])
    assert stall, missed
    gap = int(stall.group(1))
    assert stopped_ms - 20 <= gap <= stopped_ms + 1000, (stopped_ms, missed)  # its true length
    assert gap // 100 - 2 <= count <= gap // 100, missed  # 10 a second, less the one taken on waking
    logged = [r.split(",") for r in data(lines)[1:]]
    assert [int(r[1]) for r in logged] == list(range(1, len(logged) + 1))  # entries stay consecutive


def test_a_datalogger_json_that_is_not_text_or_is_huge_does_not_stop_the_logger(tmp_path):
    board = Board(tmp_path, FAST)
    (board.sd / "datalogger.json").write_bytes(SEED.encode().replace(b'"Port": 8883', b'"Port": \xff\xfe8883'))
    lines, _ = board.run_until(rows(1))
    said = "\n".join(messages(lines))
    assert "sd/datalogger.json line 7: not UTF-8 text; skipped" in said
    assert len(data(lines)) >= 2
    image = (board.drive / "nvm.bin").read_bytes()
    saved = json.loads(image[10:10 + (image[4] << 8 | image[5])])
    assert saved["AWS IoT"]["Client Name"] == "TestThing23" and "Port" not in saved["AWS IoT"]

    board = Board(tmp_path / "huge", FAST)
    (board.sd / "datalogger.json").write_text(" " * 20000 + SEED)
    lines, _ = board.run_until(rows(1))
    assert "[W] sd/datalogger.json: 20" in "\n".join(lines) and "not read" in "\n".join(lines)
    assert len(data(lines)) >= 2


def test_keys_outside_ascii_do_not_stall_the_console(tmp_path):
    # The console counts bytes and reads characters: "é°" is 4 bytes but 2 characters, and a
    # read of 4 would wait for keys that never come. The terminal stays open, as a person's does.
    # "é" is a key like any other but "!": it opens the menu, which takes the keys after it.
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 100\n")
    run = Running(board.args(), stdin=subprocess.PIPE)
    try:
        run.wait(both("SD card: logging to", rows(1)))
        run.type("é°\n")
        run.wait("Settings for: /DataLogger IoT")  # the menu opened on "é"
        time.sleep(0.3)  # the other keys have arrived (a pipe takes microseconds)
        before = len(board.lines("sfe0001.txt"))
        # Still logging, nothing more typed: a stalled loop never gets there.
        assert wait_for(lambda: len(board.lines("sfe0001.txt")) >= before + 5, timeout=15), "logging stalled"
        run.type("\x1b")  # ESC leaves the menu; the console takes quick commands again
        run.wait("[I] Menu closed")
        run.type("!log-rate\n")
        run.wait("[I] !log-rate")
    finally:
        lines, _ = run.stop()
    assert "[I] !log-rate" in lines
