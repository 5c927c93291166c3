"""The firmware's words, as a user meets them: no floods, no silences, no misleading messages."""
import os
import re
import subprocess
import sys
import time

from hostrun import REPO, Board, Running, both, data, messages, rows

FAST = "LOGGING_TIMER_INTERVAL = 200\n"
BOOTED = "quick commands: !help"  # the last line of boot: every boot message comes before it


def one_line_each(lines):
    """Every message fits a terminal line and sends no control character to it."""
    for line in messages(lines):
        assert len(line) < 400, line[:120]
        assert not re.search("[\x00-\x1f\x7f-\x9f\ufeff]", line), repr(line[:120])


def test_a_megabyte_of_garbage_in_settings_toml_gives_a_screenful(tmp_path):
    garbage = []
    for n in range(20000):  # ~1 MB: bad lines with escape sequences, carriage returns and bells
        garbage.append(("\x1b[2J bad line %d \r\x07 " % n) + "#=[" * (n % 5) + "x" * 30)
    board = Board(tmp_path, "\n".join(garbage) + "\n" + FAST)
    start = time.monotonic()
    lines, _ = board.run_until(rows(2))
    took = time.monotonic() - start
    told = [m for m in messages(lines) if "settings.toml" in m]
    assert len(told) == 21, told[:3]
    assert told[0] == "[W] settings.toml line 1: expected KEY = value; ignored"
    assert told[1].startswith("[W] settings.toml line 2: \\x1b[2J bad line 1 \\r\\x07 #: a key is letters")
    more = int(re.fullmatch(r"\[W\] settings.toml: (\d+) more problems not shown", told[-1]).group(1))
    assert more > 10000
    one_line_each(lines)
    assert "[I] Logging every 200 ms; quick commands: !help" in lines  # the last line still counts
    assert len(data(lines)) >= 3 and took < 20, took  # and it logs, soon


def test_megabyte_values_and_names_are_clipped_with_their_length(tmp_path):
    big = "a" * 1000000
    board = Board(tmp_path, "\n".join([
        'LOGGER_TIMESTAMP_MODE = "\x1b]0;pwned\x07' + big + '"',  # a wrong choice, echoed
        'DATA_FILE_FILE_PREFIX = "' + big + '"',  # a good string, but no file name
        big + " = 1",  # an unknown key
        "[" + big + "]",  # a table
        "A = 1",
    ]) + "\n")
    lines, _ = board.run_until(both("(settings.toml line 2)", rows(1)), typed="!settings\n")
    said = "\n".join(messages(lines))
    one_line_each(lines)
    assert "settings.toml line 3: " + "a" * 40 + "... (1000000 characters): unknown key" in said
    assert "settings.toml line 5: A: after the table [" + "a" * 40 + "... (1000000 characters)]" in said
    assert "DATA_FILE_FILE_PREFIX = \"" + "a" * 99 + "... (1000002 characters)  (settings.toml line 2)" in said
    assert len(data(lines)) >= 2  # and it logs


def test_an_unknown_command_is_echoed_escaped_and_clipped(tmp_path):
    board = Board(tmp_path)
    lines, _ = board.run_until("(60 characters); try !help", typed="!\x1b[2J\x1b]0;title\x07oops\n!" + "z" * 60 + "\n")
    one_line_each(lines)
    assert "[W] unknown command !\\x1b[2J\\x1b]0;title\\x07oops; try !help" in lines
    assert "[W] unknown command !" + "z" * 40 + "... (60 characters); try !help" in lines


def test_a_plugin_named_twice_is_said_and_loaded_once(tmp_path):
    board = Board(tmp_path, FAST + 'PLUGINS = "sensors.auto, outputs.serial, outputs.serial , sensors.auto"\n')
    lines, _ = board.run_until(rows(3))
    said = messages(lines)
    assert "[W] PLUGINS names outputs.serial twice; loaded once" in said
    assert "[W] PLUGINS names sensors.auto twice; loaded once" in said
    assert said.count("[I] plugin outputs.serial ready") == 1
    logged = data(lines)
    assert logged.count(logged[0]) == 1  # one header, and each observation once
    entries = [int(r.split(",")[1]) for r in logged[1:]]
    assert len(entries) >= 3 and entries == list(range(1, len(entries) + 1))


def test_plugins_that_record_nothing_are_told(tmp_path):
    board = Board(tmp_path / "none", FAST + 'PLUGINS = "sensors.auto"\n')
    lines, _ = board.run_until(BOOTED)
    assert ("[W] no output plugin is loaded (PLUGINS needs outputs.serial or outputs.sdcard): nothing will be "
            "recorded") in lines
    board = Board(tmp_path / "off", FAST + 'SERIAL_CONSOLE_FORMAT = "Disabled"\nSD_CARD_FORMAT = "Disabled"\n')
    lines, _ = board.run_until(BOOTED)
    assert "[W] every output plugin is Disabled: nothing will be recorded" in lines
    board = Board(tmp_path / "fine", FAST)
    lines, _ = board.run_until(rows(1))
    assert not [m for m in messages(lines) if "nothing will be recorded" in m]


def test_output_plugins_that_fail_to_start_are_told_as_such(tmp_path):
    # An output is named but cannot load (a typo, a missing file): PLUGINS does name one.
    board = Board(tmp_path / "failed", FAST + 'PLUGINS = "sensors.auto, outputs.nope"\n')
    lines, _ = board.run_until(BOOTED)
    said = messages(lines)
    assert any(m.startswith("[W] plugin outputs.nope: cannot load (") for m in said), said
    assert "[W] every output plugin named in PLUGINS failed to start: nothing will be recorded" in said, said
    assert not [m for m in said if "PLUGINS needs" in m]
    # One Disabled, one that failed: neither word alone is true.
    board = Board(tmp_path / "mixed", FAST + 'PLUGINS = "sensors.auto, outputs.nope, outputs.serial"\n'
                                             'SERIAL_CONSOLE_FORMAT = "Disabled"\n')
    lines, _ = board.run_until(BOOTED)
    assert "[W] every output plugin is Disabled or failed to start: nothing will be recorded" in lines


def test_a_byte_order_mark_is_named_and_costs_only_the_line_circuitpython_skips(tmp_path):
    board = Board(tmp_path / "key", None)
    (board.drive / "settings.toml").write_bytes(b"\xef\xbb\xbfLOGGING_TIMER_INTERVAL = 200\n"
                                                 b'SERIAL_CONSOLE_FORMAT = "JSON"\n')
    lines, _ = board.run_until(both(BOOTED, rows(1)))
    one_line_each(lines)
    warned = [m for m in messages(lines) if m.startswith("[W]")]
    assert len(warned) == 1 and warned[0].startswith(
        "[W] settings.toml line 1: LOGGING_TIMER_INTERVAL: the file starts with a byte-order mark"), warned
    assert "[I] Logging every 15000 ms; quick commands: !help" in lines  # as on the board: line 1 unseen
    assert data(lines)[0].startswith('{"General":')  # line 2 is read
    board = Board(tmp_path / "comment", None)
    (board.drive / "settings.toml").write_bytes(b"\xef\xbb\xbf# my settings\nLOGGING_TIMER_INTERVAL = 200\n")
    lines, _ = board.run_until(BOOTED)
    assert not [m for m in messages(lines) if m.startswith("[W]")]
    assert "[I] Logging every 200 ms; quick commands: !help" in lines


def test_a_pulled_card_is_told_once_and_a_new_reason_once_each_too(tmp_path):
    # The card coming back is also test_host_run's test_a_pulled_card_is_announced_and_a_new_file_starts...
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 100\n")
    locked = tmp_path / "locked-card"  # a write-protected card: a read-only file system
    locked.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=12k", "tmpfs", str(locked)],
                           capture_output=True, text=True)
    assert mount.returncode == 0, "this test mounts a read-only tmpfs as the card; run it as root: " + mount.stderr
    run = Running(board.args())
    try:
        run.wait(both("SD card: logging to", rows(3)))
        os.rename(board.sd, board.sd.with_name("pulled"))
        # Past a retry (5 s after the warning: 55 observations at 100 ms take 5.5 s or more),
        # which finds no card and must say nothing new.
        run.wait(rows(55, after="[W] SD card:"))
        os.symlink(locked, board.sd)  # the card is back, locked
        run.wait(rows(55, after="read-only"))  # past the next retry, which finds it locked again
        os.symlink(tmp_path / "pulled", tmp_path / "unlocked")
        os.replace(tmp_path / "unlocked", board.sd)  # back, unlocked, at once
        run.wait(lambda lines: sum("SD card: logging to" in line for line in lines) == 2, why=" (the card back)")
    finally:
        lines, _ = run.stop()
        subprocess.run(["umount", "-l", str(locked)], check=True)
    card = [m for m in messages(lines) if "SD card" in m]
    here = str(board.sd / "sfe0001.txt")
    assert card[0] == "[I] SD card: logging to sd/sfe0001.txt (on this PC: " + here + ")"
    assert card[1].startswith("[W] SD card: file or card missing (errno 2) writing sd/sfe0001.txt (on this PC: "
                              + here + "); serial logging continues")
    assert card[2] == ("[W] SD card: the card is read-only (errno 30); serial logging continues, retrying "
                       "every 5 s")  # a new reason, said once
    assert card[3].startswith("[I] SD card: logging to sd/sfe0002.txt")
    assert len(card) == 4, card  # one warning per loss or new reason
    entries = [int(r.split(",")[1]) for r in data(lines)[1:]]
    assert len(entries) >= 113 and entries == list(range(1, len(entries) + 1))  # the console went on


# --- the missed-tick message names its cause: the loop itself, in this process, on a clock that -----
# only moves when the loop sleeps or a device takes its time (the machine's load cannot bend it).


class _Clock:
    """supervisor.ticks_ms and time.sleep/time.time for core.app, as tools/e2e_board.py plays them."""

    def __init__(self):
        self.ms = 1000

    def __call__(self):
        return self.ms & 0x1FFFFFFF

    def sleep(self, seconds):
        self.ms += int(seconds * 1000) or 1

    def time(self):
        return 1767268800 + self.ms // 1000


class _Device:
    def __init__(self, clock, read_ms):
        from core.observation import Section
        self.section = Section("Slow", ["x"])
        self.clock = clock
        self.read_ms = read_ms
        self.reads = 0

    def read(self, now):
        self.reads += 1
        self.clock.ms += self.read_ms(self.reads)  # the read takes its time
        self.section.values[0] = self.reads


class _Stop:
    def __init__(self, clock, seconds):
        self.clock = clock
        self.end = clock.ms + int(seconds * 1000)

    def poll(self, now):
        if self.clock.ms > self.end:
            raise KeyboardInterrupt


def _missed(monkeypatch, capsys, interval_ms, read_ms, seconds):
    """Run App.run() over one device whose read takes read_ms(n) ms; the missed-tick lines."""
    monkeypatch.syspath_prepend(os.path.join(REPO, "host", "stubs"))
    monkeypatch.delitem(sys.modules, "supervisor", raising=False)
    from core import app as app_module
    from core.observation import Observation, Section
    from core.scheduler import Scheduler, Task

    clock = _Clock()
    monkeypatch.setattr(app_module, "now_ms", clock)
    monkeypatch.setattr(app_module, "time", clock)
    app = app_module.App()
    app.interval_ms = interval_ms
    app.time_mode = 1
    app.general = Section("General", ["Time", "Entry"])
    device = _Device(clock, read_ms)
    app.devices = [(Task("Slow"), device)]
    app.observation = Observation([app.general, device.section])
    app.pollers = [(Task("stop"), _Stop(clock, seconds))]
    app.scheduler = Scheduler(clock, app.warn, interval_ms)
    try:
        app.run()
    except KeyboardInterrupt:
        pass
    finally:
        sys.modules.pop("supervisor", None)
    assert device.reads >= seconds * 1000 // max(interval_ms, read_ms(2)) // 2, device.reads  # it did run
    return [line for line in capsys.readouterr().out.splitlines() if "missed" in line]


def test_log_cycles_longer_than_the_interval_are_named_as_such(monkeypatch, capsys):
    said = _missed(monkeypatch, capsys, 20, lambda n: 35, 0.6)
    assert said, "no missed ticks reported"
    took = int(re.search(r": a log cycle takes (\d+) ms, longer than the 20 ms interval$", said[0]).group(1))
    assert 35 <= took < 200


def test_one_long_stall_is_named_a_stall_with_its_length(monkeypatch, capsys):
    said = _missed(monkeypatch, capsys, 20, lambda n: 400 if n == 5 else 1, 1.0)
    assert len(said) == 1, said
    match = re.search(r"missed (\d+) log tick\(s\) \(\d+ in all\): a stall of (\d+) ms between observations "
                      r"\(a log cycle takes (\d+) ms; the interval is 20 ms\)$", said[0])
    assert match, said[0]
    assert 15 <= int(match.group(1)) <= 25 and 400 <= int(match.group(2)) < 700 and int(match.group(3)) < 20
