"""A console that stops reading never holds up logging: lines are dropped, counted and reported.

The firmware runs as a user runs it, its console a real pseudo-terminal; the test stops reading
the terminal's master for a few seconds, as a terminal left suspended would (tio stopped with
Ctrl-Z), so the kernel's buffer and then the board's USB FIFO fill up.
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

from hostrun import REPO, Board

STALL_S = 5.0
REPORT = re.compile(r"\[W\] console was not being read: (\d+) line\(s\) dropped"
                    r"(?: \((\d+) of them messages\))?; the observations are on the SD card$")


def read_for(master, seconds, chunks):
    """Read the terminal for `seconds` (or until it closes); returns False once it has closed."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return True
        if select.select([master], [], [], min(left, 0.2))[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the firmware has closed the terminal
                return False
            if not data:
                return False
            chunks.append(data)


def test_a_terminal_that_stops_reading_never_holds_up_the_card(tmp_path):
    # 100 Hz, JSON on the console (about 300 bytes a line), ms since start on the card.
    board = Board(tmp_path, 'LOGGING_TIMER_INTERVAL = 10\nSERIAL_CONSOLE_FORMAT = "JSON"\n'
                            'LOGGER_TIMESTAMP_MODE = "ms since start"\n')
    master, slave = pty.openpty()
    stderr = open(tmp_path / "stderr.txt", "wb")
    proc = subprocess.Popen(board.args(), cwd=REPO, stdin=slave, stdout=slave, stderr=stderr)
    os.close(slave)
    chunks = []
    try:
        card = board.sd / "sfe0001.txt"
        give_up = time.monotonic() + 30  # boot takes 0.3 s, or seconds on a loaded machine
        while not (card.exists() and len(card.read_text().splitlines()) > 50):  # started and logging,
            assert read_for(master, 0.1, chunks) and time.monotonic() < give_up, "not logging"  # read meanwhile
        read_for(master, 0.5, chunks)
        before = len(card.read_text().splitlines())
        time.sleep(STALL_S)  # the terminal stops reading
        during = len(card.read_text().splitlines()) - before
        read_for(master, 3.0, chunks)  # and reads again
        proc.send_signal(signal.SIGINT)
        while read_for(master, 1.0, chunks) and proc.poll() is None:
            pass
        read_for(master, 0.5, chunks)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        stderr.close()
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
    console = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").split("\n")

    # The card kept its pace while nobody read the console: no gap of more than a second.
    rows = [line.split(",") for line in board.lines("sfe0001.txt")[1:]]
    times = [int(row[0]) for row in rows]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert max(gaps) < 1000, "the card stopped for " + str(max(gaps)) + " ms"
    assert during >= STALL_S * 100 / 4, during  # a quarter of the rate is plenty on a busy machine

    # The drop is reported once the console is read again, with the count of lines it lost.
    reports = [i for i, line in enumerate(console) if REPORT.match(line)]
    assert reports, "no drop report in:\n" + "\n".join(line for line in console if line.startswith("["))
    first = REPORT.match(console[reports[0]])
    dropped, messages = int(first.group(1)), int(first.group(2) or 0)
    assert dropped > 0

    # Lines are whole or missing, never torn; the count is exact: the observations missing on the
    # console before the report are the report's data lines.
    entries = []
    for line in console[:reports[0]]:
        if line.startswith("{"):
            entries.append(json.loads(line)["General"]["Entry"])
    for line in console[reports[0]:-2]:
        if line.startswith("{"):
            json.loads(line)
    missing = set(range(entries[0], entries[-1] + 1)) - set(entries)
    after = [json.loads(line)["General"]["Entry"] for line in console[reports[0]:] if line.startswith("{")]
    missing |= set(range(entries[-1] + 1, after[0]))
    assert len(missing) == dropped - messages > 0


def test_the_drop_report_names_the_sd_card_only_while_it_has_a_file_open(tmp_path):
    # No card: the observations are nowhere but on the console, and the report must not say
    # they are on the card. 100 Hz, JSON on the console, a terminal that does not read at first.
    board = Board(tmp_path, 'LOGGING_TIMER_INTERVAL = 10\nSERIAL_CONSOLE_FORMAT = "JSON"\n')
    master, slave = pty.openpty()
    stderr = open(tmp_path / "stderr.txt", "wb")
    proc = subprocess.Popen(board.args(sd=False), cwd=REPO, stdin=slave, stdout=slave, stderr=stderr)
    os.close(slave)
    chunks = []
    try:
        time.sleep(STALL_S)  # the terminal is not read: the kernel's buffer, then the FIFO, fill up
        give_up = time.monotonic() + 30
        while not any(b"console was not being read" in c for c in chunks):  # reads again: the report
            assert read_for(master, 0.2, chunks) and time.monotonic() < give_up, "no drop report"
        proc.send_signal(signal.SIGINT)
        while read_for(master, 1.0, chunks) and proc.poll() is None:
            pass
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        stderr.close()
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
    console = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    assert any(line.startswith("[W] SD card: no SD card") for line in console), console[:5]
    reports = [line for line in console if "console was not being read" in line]
    assert re.match(r"\[W\] console was not being read: \d+ line\(s\) dropped( \(\d+ of them messages\))?$",
                    reports[0]), reports[0]


# A line of UTF-8 text three bytes a character (a Board Name in another script): 250 characters,
# 750 bytes. Counted in characters it looks as if it fitted the FIFO behind the 401 bytes already
# there; in bytes it does not, and print() would wait for a host that no longer reads.
_WIDE = r'''
import fcntl, os, sys, time
sys.path[:0] = [os.path.join(sys.argv[1], "host", "stubs"), sys.argv[1]]
flags = fcntl.fcntl(1, fcntl.F_GETFL)
fcntl.fcntl(1, fcntl.F_SETFL, flags | os.O_NONBLOCK)

def fill():
    taken = 0
    try:
        while True:
            taken += os.write(1, b"." * 4096)
    except BlockingIOError:
        return taken

while fill():  # the terminal does not read: fill the kernel's buffers first, until they take nothing
    time.sleep(0.05)
fcntl.fcntl(1, fcntl.F_SETFL, flags)
import usb_cdc  # the board's 1 KB USB FIFO over this terminal
from core.console import out
assert usb_cdc.console.connected and usb_cdc.console.out_waiting == 0
first = out.line("x" * 400)
second = out.line("\u65e5" * 250)
sys.stderr.write("printed %s %s, waiting %d, dropped %d\n" % (first, second, usb_cdc.console.out_waiting, out.dropped))
sys.stderr.flush()
os._exit(0)
'''


def test_a_line_of_non_ascii_text_is_measured_in_bytes_and_never_waits(tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", _WIDE, REPO], cwd=REPO, stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE)
    os.close(slave)
    try:
        _, err = proc.communicate(timeout=10)  # the terminal is never read
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError("print() waited for a terminal that does not read: " + err.decode()[-500:])
    finally:
        os.close(master)
    assert err.decode().strip() == "printed True False, waiting 401, dropped 1", err.decode()
