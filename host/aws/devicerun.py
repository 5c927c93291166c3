"""`python -m host` as a device of the local AWS IoT stand-in, for the tests and `make bench`.

    from host.aws.devicerun import Logger, toml, aws_toml

Logger(folder, settings, bus) runs the logger in a subprocess on folder/drive and folder/sd, its
console read line by line as it comes; .wait(text), .type(text), .stop(), .times() (General.Time in
ms of every observation line) and .largest_gap() (the largest step between them).
run_in_process(folder, settings, certs, driver) boots the firmware inside a fresh Python process
instead, for a test that needs to reach into the running App (`app`, `aws`) from `driver`'s code.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from .certs import copy_device_files

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THING = "TestThing23"


def toml(ntp, interval=500, extra="", mode="ms since start"):
    """settings.toml text. Times by the tick clock ("ms since start") measure the loop; "epoch ms"
    shows the wall clock. `ntp` is NTP Server One ("host:port"); Server Two is left empty."""
    return ('LOGGING_TIMER_INTERVAL = %d\nLOGGER_TIMESTAMP_MODE = "%s"\nNTP_CLIENT_NTP_SERVER_ONE = "%s"\n'
            'NTP_CLIENT_NTP_SERVER_TWO = ""\n' % (interval, mode, ntp)) + extra


def aws_toml(standin, port=None, ca="AmazonRootCA1.pem", cert="TestThing23_DevCert.crt",
             key="TestThing23_Private.key", thing=THING, server="localhost", extra=""):
    """The AWS IoT settings for the stand-in, certificate files on the card under these names."""
    return ('AWS_IOT_ENABLED = 1\nAWS_IOT_SERVER = "%s"\nAWS_IOT_PORT = %d\nAWS_IOT_CLIENT_NAME = "%s"\n'
            'AWS_IOT_CA_CERT_FILENAME = "%s"\nAWS_IOT_CLIENT_CERT_FILENAME = "%s"\n'
            'AWS_IOT_CLIENT_KEY_FILENAME = "%s"\n' % (server, port or standin.port, thing, ca, cert, key)) + extra


class Logger:
    """python -m host in a subprocess; its console read line by line as it comes, each line's
    arrival time in `stamps`. `card_files`: the stand-in's certificates, copied under the seed's
    names; `files`: {name: text} more files on the card."""

    def __init__(self, folder, settings, bus, seed=None, card_files=None, args=(), files=None):
        folder = os.fspath(folder)
        from pathlib import Path

        self.drive = Path(folder) / "drive"
        self.sd = Path(folder) / "sd"
        self.drive.mkdir(parents=True)
        self.sd.mkdir()
        (self.drive / "settings.toml").write_text(settings)
        bus_file = Path(folder) / "bus.json"
        bus_file.write_text(json.dumps(bus))
        if seed is not None:
            (self.sd / "datalogger.json").write_text(json.dumps(seed))
        if card_files is not None:
            copy_device_files(card_files, str(self.sd))
        for name, text in (files or {}).items():
            (self.sd / name).write_text(text)
        self.lines = []
        self.stamps = []
        self.err = []
        self._start([sys.executable, "-m", "host", "--drive", str(self.drive), "--sd", str(self.sd), "--bus",
                     str(bus_file)] + list(args))

    def _start(self, command):
        # The process, its console read into lines (with stamps) and err as it comes.
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines, self.stamps), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err, None), daemon=True).start()

    @staticmethod
    def _read(stream, into, stamps):
        for line in stream:
            if stamps is not None:
                stamps.append(time.monotonic())
            into.append(line.rstrip("\n"))

    def count(self, text):
        return sum(text in line for line in list(self.lines))

    def wait(self, text, count=1, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.count(text) >= count:
                return True
            assert self.proc.poll() is None, "\n".join(self.lines + self.err)
            time.sleep(0.05)
        said = [line for line in self.lines if line.startswith("[")]
        raise AssertionError("no %r (x%d) in:\n%s" % (text, count, "\n".join(said[-40:] + self.err[-30:])))

    def type(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)
        time.sleep(0.1)
        assert "Traceback" not in "\n".join(self.err), "\n".join(self.err)
        return self.lines

    def times(self):
        """General.Time (ms) of every observation line."""
        out = []
        for line in list(self.lines):
            first = line.split(",")[0]
            if first.isdigit():
                out.append(int(first))
        return out

    def largest_gap(self, since=0):
        """The largest step between observations, from the `since`-th observation on."""
        times = self.times()[since:]
        return max([b - a for a, b in zip(times, times[1:])] or [0])

    def card_lines(self):
        return sum(len(p.read_text().splitlines()) for p in self.sd.glob("sfe*.txt"))

    def card(self):
        """The card's CSV data lines (header skipped), oldest first."""
        rows = []
        for path in sorted(self.sd.glob("sfe*.txt")):
            rows += [line for line in path.read_text().splitlines()[1:] if line]
        return rows

    def status(self):
        """`!aws`: the lines it prints, once they are all there."""
        mark = len(self.lines)
        self.type("!aws\n")
        self.wait("AWS IoT: reconnects", count=self.count("AWS IoT: reconnects") + 1)
        # The report's three lines come together; an update's line may come just before or after them.
        said = [line for line in self.lines[mark:] if line.startswith("[I] AWS IoT: ")]
        at = max(i for i, line in enumerate(said) if line.startswith("[I] AWS IoT: updates "))
        return said[at - 1:at + 2]

    def console(self):
        return "\n".join(self.lines + self.err)


# The start of an in-process driver: the firmware booted over the host stand-ins in this process,
# joined to the simulated network, with `app` and `aws` (the AWS IoT plugin) at hand.
_IN_PROCESS_BOOT = r"""
import errno, os, socket, sys, threading, time
sys.path.insert(0, %(repo)r)
from host.__main__ import stand_ins_first
stand_ins_first()
from host import runtime
runtime.DRIVE, runtime.SD_DIR = %(drive)r, %(sd)r
runtime.WIFI_NETWORKS = {"SimNet": "simpass"}
os.chdir(%(root)r)
import wifi, socketpool
wifi.radio.connect("SimNet", "simpass")
from adafruit_ticks import ticks_ms
from core.app import App
app = App()
app.boot()
aws = [p for n, p in app.plugins if n == "iot.aws"][0]
"""


def run_in_process(folder, settings, certs, driver, card=None):
    """Run `driver` (Python; %%-escaped, as it is %%-formatted with the folders) after booting the
    firmware in a fresh process, on folder/drive (holding `settings`) and folder/sd (the Thing's three
    files, plus `card`: {name: text}). Returns its stdout; a failure shows both of its outputs."""
    from pathlib import Path

    drive, sd, root = (Path(folder) / name for name in ("drive", "sd", "root"))
    for path in (drive, sd, root, root / "sd"):  # root/sd: the mount point the card is linked into
        path.mkdir()
    os.symlink(drive / "settings.toml", root / "settings.toml")
    (drive / "settings.toml").write_text(settings)
    copy_device_files(certs, str(sd))
    for name, text in (card or {}).items():
        (sd / name).write_text(text)
    script = (_IN_PROCESS_BOOT + driver) % {"repo": REPO, "drive": str(drive), "sd": str(sd), "root": str(root)}
    out = subprocess.run([sys.executable, "-c", script], cwd=str(root), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def restart(logger, kill=True):
    """The same logger started again on its drive and card (a reboot): after a kill -9 (a power cut),
    or after Ctrl-C. The new process's console is read as before, after a "--- restart ---" line."""
    if logger.proc.poll() is None:
        if kill:
            logger.proc.kill()
            logger.proc.wait(10)
        else:
            logger.stop()
    logger.lines.append("--- restart ---")
    logger.stamps.append(time.monotonic())
    logger._start(logger.proc.args)
    return logger
