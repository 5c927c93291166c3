"""Run the firmware as a user would on the PC: `python -m host` in a subprocess, over real files."""
import json
import os
import signal
import subprocess
import sys
import time

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

    def run(self, seconds=2.0, sd=True, typed=None):
        """Run to the end, with `typed` text on the console; returns (stdout lines, stderr text).
        A crash fails the test."""
        proc = subprocess.run(self.args(seconds, sd), cwd=REPO, input=typed,
                              stdin=subprocess.DEVNULL if typed is None else None, capture_output=True,
                              text=True, timeout=seconds + 60)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.stdout.splitlines(), proc.stderr

    def start(self, sd=True):
        return subprocess.Popen(self.args(None, sd), cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def files(self):
        return sorted(p.name for p in self.sd.iterdir())

    def lines(self, name):
        return (self.sd / name).read_text().splitlines()


def stop(proc, sig=signal.SIGINT):
    """Stop a started board by its PID; returns (stdout lines, stderr)."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return out.splitlines(), err


def wait_for(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def data(lines):
    """The observation lines: everything that is not a [I]/[W] message."""
    return [line for line in lines if line and not line.startswith("[")]


def messages(lines):
    return [line for line in lines if line.startswith("[")]
