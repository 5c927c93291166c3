"""`python -m host` as a new user drives it: how it stops, what it leaves behind, what it says about
a mistake in its arguments or its bus file."""
import json
import os
import signal
import subprocess

import pytest

from hostrun import HEADER, PYTHON, REPO, TIMEOUT, Board, assert_same_observations, check_steady, data, wait_for

FAST = "LOGGING_TIMER_INTERVAL = 100\n"
STOPPED = "[I] Stopped; files closed"


def env_with_tmp(tmp_path):
    """The environment with TMPDIR at an empty folder of the test's, where the runner's temporary
    board root (circuitpy-root-*) is made and can be looked for."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir(exist_ok=True)
    return dict(os.environ, TMPDIR=str(tmp)), tmp


def roots(tmp):
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("circuitpy-root-"))


def start(board, env, seconds=None, ignore_sigint=False):
    def background():  # what `cmd &` in a script does to a job: Ctrl-C is not for it
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(board.args(seconds), cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=background if ignore_sigint else None)


def logging(board):
    """Once the card holds the header and three observations."""
    card = board.sd / "sfe0001.txt"
    return wait_for(lambda: card.exists() and len(card.read_text().splitlines()) >= 4, timeout=TIMEOUT)


def finish(proc, timeout, why):
    """(exit status, stdout lines, stderr) once proc ends; fails (and ends it) if it does not."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("python -m host still running %d s after %s" % (timeout, why))
    return proc.returncode, out.splitlines(), err


def assert_clean_stop(board, tmp, rc, lines, err, observations=2):
    assert rc == 0, (rc, lines[-5:], err[-2000:])
    assert "Traceback" not in err, err
    assert STOPPED in lines
    card = (board.sd / "sfe0001.txt").read_text()
    assert card.endswith("\n")  # the last line was finished before the file was closed
    rows = card.splitlines()
    assert rows[0] == HEADER and len(rows) >= 1 + observations
    for row in rows[1:]:
        check_steady(HEADER, row)
    assert_same_observations(rows[1:], data(lines)[1:])  # what the console showed is on the card
    assert roots(tmp) == []


def test_seconds_stops_a_background_run_that_ignores_ctrl_c(tmp_path):
    board = Board(tmp_path, FAST)
    env, tmp = env_with_tmp(tmp_path)
    # Long enough to boot on a loaded machine (0.3 s idle) and log once; --seconds is the point here.
    proc = start(board, env, seconds=4, ignore_sigint=True)
    rc, lines, err = finish(proc, 4 + TIMEOUT, "--seconds 4")
    assert_clean_stop(board, tmp, rc, lines, err, observations=1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("ignore_sigint", [False, True], ids=["foreground", "background"])
def test_sigterm_and_sighup_stop_cleanly(tmp_path, sig, ignore_sigint):
    board = Board(tmp_path, FAST)
    env, tmp = env_with_tmp(tmp_path)
    proc = start(board, env, ignore_sigint=ignore_sigint)
    started = logging(board)
    proc.send_signal(sig if started else signal.SIGKILL)
    rc, lines, err = finish(proc, TIMEOUT, signal.Signals(sig).name)
    assert started, err
    assert_clean_stop(board, tmp, rc, lines, err)


def test_more_stop_signals_do_not_cut_the_clean_stop_short(tmp_path):
    board = Board(tmp_path, FAST)
    env, tmp = env_with_tmp(tmp_path)
    proc = start(board, env)
    started = logging(board)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGTERM) if started else (signal.SIGKILL,):
        proc.send_signal(sig)  # an impatient user, or a service manager and a closing terminal
    rc, lines, err = finish(proc, TIMEOUT, "four stop signals")
    assert started, err
    assert_clean_stop(board, tmp, rc, lines, err)
    assert lines.count(STOPPED) == 1


def test_a_killed_run_leaves_no_root_folder_behind(tmp_path):
    # kill -9 (the power-cut test does it) allows no clean-up in the process itself.
    board = Board(tmp_path, FAST)
    env, tmp = env_with_tmp(tmp_path)
    proc = start(board, env)
    started = logging(board)
    running = roots(tmp)
    proc.kill()
    finish(proc, TIMEOUT, "SIGKILL")
    assert started and len(running) == 1, running  # the board's root folder, while it runs
    assert wait_for(lambda: roots(tmp) == [], timeout=TIMEOUT), roots(tmp)


from host.sim.bus import TYPES  # noqa: E402  (every simulator the bus file takes, whoever added it)

DEVICE_OK = {"type": "MAX17048", "address": "0x36", "values": {"voltage": 4.1}}


def _types():
    # The bus file's types as the message lists them (sorted), whichever devices are added.
    import sys

    sys.path.insert(0, REPO)
    try:
        from host.sim.bus import TYPES
    finally:
        sys.path.remove(REPO)
    return ", ".join(sorted(TYPES))


@pytest.mark.parametrize("text,names", [
    ('{"devices": [\n  {"type": "BME280",}\n]}', ["is not valid JSON", "line 2"]),
    (json.dumps({"devices": [DEVICE_OK, {"type": "BMP999"}]}),
     ["devices[1]", "key 'type'", "must be one of " + _types(), "'BMP999'"]),
    (json.dumps({"devices": [DEVICE_OK, {"type": "BME280", "address": "0x40"}]}),
     ["devices[1]", "key 'address'", 'must be one of "0x77", "0x76"', "'0x40'"]),
    (json.dumps({"devices": [DEVICE_OK, {"type": "BME280", "address": 119.5}]}),
     ["devices[1]", "key 'address'", "119.5"]),
    (json.dumps({"devices": [DEVICE_OK, {"type": "BME280", "values": {"humidity": 120}}]}),
     ["devices[1]", "key 'values.humidity'", "120 is outside 0.0..100.0"]),
    (json.dumps({"devices": [DEVICE_OK, {"type": "BME280", "values": {"pressure": "high"}}]}),
     ["devices[1]", "key 'values.pressure'", "must be a number", "'high'"]),
    ('{"devices": [{"type": "BME280", "values": {"temperature": {"from": 1, "to": 2, "period_s": NaN}}}]}',
     ["devices[0]", "key 'values.temperature.period_s'", "must be a number", "nan"]),
    (json.dumps({"devices": [DEVICE_OK, {"type": "BME280", "unplugged": [[5, 1]]}]}),
     ["devices[1]", "key 'unplugged'", "[5, 1] ends before it starts"]),
])
def test_a_mistake_in_the_bus_file_is_one_line_and_status_2(tmp_path, text, names):
    board = Board(tmp_path, FAST)
    board.bus.write_text(text)
    env, tmp = env_with_tmp(tmp_path)
    proc = subprocess.run(board.args(5), cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)
    said = proc.stderr.splitlines()
    assert len(said) == 1, proc.stderr  # the message, no traceback
    assert said[0].startswith("bus file %s: " % board.bus), said
    for name in names:
        assert name in said[0], (name, said[0])
    assert proc.returncode == 2 and proc.stdout == ""  # the firmware never started
    assert board.files() == [] and roots(tmp) == []


def test_a_drive_that_is_a_file_is_one_line_and_status_2(tmp_path):
    board = Board(tmp_path, FAST)
    not_a_folder = tmp_path / "drive.img"
    not_a_folder.write_text("")
    args = board.args(5)
    args[args.index("--drive") + 1] = str(not_a_folder)
    env, tmp = env_with_tmp(tmp_path)
    proc = subprocess.run(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    assert proc.stderr.splitlines() == ["--drive %s: not a folder" % not_a_folder]
    assert proc.returncode == 2 and roots(tmp) == []


def test_help_describes_every_flag_with_its_default():
    proc = subprocess.run([PYTHON, "-m", "host", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    text = proc.stdout
    options = text[text.index("options:"):]
    # Each flag's own paragraph: from the flag to the next flag.
    flags = ["--drive", "--sd", "--no-sd", "--bus", "--seconds"]
    starts = [options.index("\n  " + flag + " ") for flag in flags]
    paragraphs = {flag: " ".join(options[a:b].split()) for flag, a, b in
                  zip(flags, starts, starts[1:] + [options.index("\n\n", starts[-1])])}
    meaning = {"--drive": "CIRCUITPY", "--sd": "SD card", "--no-sd": "no SD card", "--bus": "simulated I2C devices",
               "--seconds": "stop cleanly after N seconds"}
    for flag, words in meaning.items():
        assert words in paragraphs[flag], (flag, paragraphs[flag])
        assert "default: " in paragraphs[flag], (flag, paragraphs[flag])
    assert "build/drive" in paragraphs["--drive"] and "build/sd" in paragraphs["--sd"]
    assert "host/sim/default_bus.json" in paragraphs["--bus"]
    assert "SIGTERM" in text and "SIGHUP" in text  # how else it stops


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "ten"])
def test_seconds_must_be_a_positive_number(tmp_path, value):
    board = Board(tmp_path, FAST)
    env, tmp = env_with_tmp(tmp_path)
    proc = subprocess.run(board.args() + ["--seconds=" + value], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2, proc.stdout[-500:] + proc.stderr[-2000:]
    assert proc.stderr.splitlines()[-1] == (
        "python -m host: error: argument --seconds: expected a number of seconds > 0 (at most 100000000), got %r"
        % value)
    assert board.files() == [] and roots(tmp) == []
