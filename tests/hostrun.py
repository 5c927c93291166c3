"""Run the firmware as a user would on the PC: `python -m host` in a subprocess, over real files."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable

# Constant values, so a test can predict every field of an observation.
STEADY_BUS = {"devices": [
    {"type": "BME280", "address": "0x77", "instant": True,
     "values": {"temperature": 21.5, "humidity": 45.0, "pressure": 1013.25}},
    {"type": "MAX17048", "address": "0x36", "values": {"voltage": 4.1, "soc": 87.5, "charge_rate": -1.04}},
]}
HEADER = ("General.Time,General.Entry,General.Board Name,MAX17048.Voltage (V),MAX17048.State Of Charge (%),"
          "MAX17048.Change Rate (%/hr),BME280.Humidity,BME280.TemperatureF,BME280.TemperatureC,BME280.Pressure,"
          "BME280.AltitudeM,BME280.AltitudeF")
# What the original reports for that bus: Pressure in Pa, altitude by the standard atmosphere.
ALTITUDE_M = 44330.0 * (1.0 - (1013.25 / 1013.25) ** 0.1903)
STEADY = {"General.Board Name": "DataLogger IoT", "MAX17048.Voltage (V)": 4.10, "MAX17048.State Of Charge (%)": 87.5,
          "MAX17048.Change Rate (%/hr)": -1.0, "BME280.Humidity": 45.0, "BME280.TemperatureF": 70.7,
          "BME280.TemperatureC": 21.5, "BME280.Pressure": 101325.0, "BME280.AltitudeM": 0.0, "BME280.AltitudeF": 0.0}


def check_steady(header, line):
    """Every field of a CSV observation from STEADY_BUS is what the sensors were set to."""
    fields = dict(zip(header.split(","), line.split(",")))
    assert len(fields) == len(header.split(",")) == len(line.split(",")), (header, line)
    for name, want in STEADY.items():
        if isinstance(want, str):
            assert fields[name] == want, (name, fields[name])
        else:
            assert abs(float(fields[name]) - want) <= 0.06, (name, fields[name], want)
    return fields


class Board:
    """A drive folder, a card folder and a bus file under tmp_path."""

    def __init__(self, tmp_path, settings=None, bus=STEADY_BUS):
        self.drive = tmp_path / "drive"
        self.sd = tmp_path / "sd"
        self.drive.mkdir(parents=True, exist_ok=True)
        self.sd.mkdir(exist_ok=True)
        self.bus = tmp_path / "bus.json"
        self.bus.write_text(json.dumps(bus))
        if settings is not None:
            (self.drive / "settings.toml").write_text(settings)

    def args(self, seconds=None, sd=True):
        out = [PYTHON, "-m", "host", "--drive", str(self.drive), "--bus", str(self.bus)]
        out += ["--sd", str(self.sd)] if sd else ["--no-sd"]
        if seconds is not None:
            out += ["--seconds", str(seconds)]
        return out

    def run_until(self, until, sd=True, typed=None, timeout=None):
        """Start the board, wait until its console shows `until` (see Running.wait), stop it as
        Ctrl-C does (SIGTERM) and return (stdout lines, stderr text). A crash fails the test."""
        run = Running(self.args(None, sd), typed=typed)
        try:
            run.wait(until, timeout)
        finally:
            lines, err = run.stop()
        assert run.returncode == 0, "\n".join(lines[-40:]) + err[-3000:]
        assert "Traceback" not in err, err
        return lines, err

    def run(self, seconds=2.0, sd=True, typed=None):
        """Run with --seconds, with `typed` text on the console; returns (stdout lines, stderr text).
        A crash fails the test. Only for a test of --seconds itself: boot alone takes 0.3 s idle and
        seconds on a loaded machine, so a test that needs a message or N observations waits for
        them with run_until() (or Running) instead."""
        proc = subprocess.run(self.args(seconds, sd), cwd=REPO, input=typed,
                              stdin=subprocess.DEVNULL if typed is None else None, capture_output=True,
                              text=True, timeout=seconds + 60)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.stdout.splitlines(), proc.stderr

    def caught_up(self, name="sfe0001.txt"):
        """A condition for wait(): the card file holds every observation the console has shown, so the
        log cycle is over and a stop now cuts none short (the card is written after the console)."""
        path = self.sd / name

        def check(lines):
            try:
                text = path.read_text()
            except OSError:
                return False
            card = [line for line in text.splitlines() if not line.startswith("General.")]
            return len(card) >= len(observations(lines))
        check.what = "the card catching up with the console"
        return check

    def files(self):
        return sorted(p.name for p in self.sd.iterdir())

    def lines(self, name):
        return (self.sd / name).read_text().splitlines()


TIMEOUT = 30.0  # how long a test waits for what it expects: generous, for a loaded 2-core CI machine


class Running:
    """`python -m host` started, its console read line by line while it runs; wait() for what a
    test needs instead of guessing how long that takes (boot alone takes 0.3 s to seconds)."""

    def __init__(self, args, typed=None, stdin=None, env=None):
        self.err_file = tempfile.TemporaryFile()
        self.lines = []
        self.returncode = None
        self._cond = threading.Condition()
        self._done = False
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=self.err_file,
                                     stdin=subprocess.PIPE if typed is not None else
                                     (stdin if stdin is not None else subprocess.DEVNULL),
                                     text=True, encoding="utf-8", errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if typed is not None:
            self.type(typed)
            self.proc.stdin.close()

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._done = True
            self._cond.notify_all()

    def type(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait(self, until, timeout=None, why=""):
        """Wait until until(lines) is true (see said(), rows() and their combination both()); fails the
        test, showing the console, if the board stops or TIMEOUT s pass first. Returns the lines."""
        until = _predicate(until)
        end = time.monotonic() + (timeout or TIMEOUT)
        with self._cond:
            while not until(self.lines):
                left = end - time.monotonic()
                if self._done or left <= 0:
                    shown = "\n".join(self.lines[-30:])
                    self.proc.kill()
                    pytest.fail("python -m host %s before %s%s; its last lines:\n%s\nstderr: %s" % (
                        "ended" if self._done else "did not get there in %d s" % (timeout or TIMEOUT),
                        getattr(until, "what", "the condition"), why, shown, self.stderr()[-2000:]))
                self._cond.wait(min(left, 0.05))  # and now and then: a condition may read a file
            return list(self.lines)

    def stderr(self):
        self.err_file.seek(0)
        return self.err_file.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        """Stop it (SIGTERM stops it cleanly, as Ctrl-C does) and return (stdout lines, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.returncode = self.proc.wait()
        self._reader.join(TIMEOUT)
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        err = self.stderr()
        self.err_file.close()
        return list(self.lines), err


def _predicate(until):
    if callable(until):
        return until
    if isinstance(until, int):
        return rows(until)
    return said(until)


def said(text):
    """Until a console line contains `text`."""
    def check(lines):
        return any(text in line for line in lines)
    check.what = repr(text)
    return check


def rows(count, after=None):
    """Until `count` observations (data lines, not the CSV header) are on the console; with `after`,
    that many after the first line containing it."""
    def check(lines):
        if after is not None:
            for i, line in enumerate(lines):
                if after in line:
                    lines = lines[i + 1:]
                    break
            else:
                return False
        return len(observations(lines)) >= count
    check.what = "%d observation(s)%s" % (count, "" if after is None else " after %r" % after)
    return check


def both(*checks):
    checks = [_predicate(c) for c in checks]

    def check(lines):
        return all(c(lines) for c in checks)
    check.what = " and ".join(getattr(c, "what", "?") for c in checks)
    return check


def assert_same_observations(card, shown):
    """The card holds what the console showed, none lost; only the console's last observation may be
    missing from the card: the stop (SIGTERM here, Ctrl-C on a board) can land between the two."""
    assert card == shown[:len(card)] and len(shown) - len(card) in (0, 1), (card[-3:], shown[-3:])


def observations(lines):
    """The observation lines: data lines without the CSV header."""
    return [line for line in data(lines) if not line.startswith("General.")]


def wait_for(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def data(lines):
    """The observation lines: everything that is not a [I]/[W] message or the Content-Type line."""
    return [line for line in lines if line and not line.startswith("[") and not line.startswith("Content-Type: ")]


def messages(lines):
    return [line for line in lines if line.startswith("[")]
