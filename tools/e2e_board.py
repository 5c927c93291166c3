# The whole firmware on a clock that only moves when it sleeps. The same file runs in CPython over
# host/stubs and inside the MicroPython 1.27 VM over host/vm (tools/e2e.py sets it up), so the two
# runs must print the same console lines and write the same card files, byte for byte.
#
# It runs code.py's own main() (boot, the loop, close) unchanged; only the clock, the RTC, the
# typing at the console and the USB host reading it are played by this script. It is not
# firmware: it may patch modules.
import sys
import time

import supervisor

EPOCH_S = 1767268800  # 2026-01-01 12:00:00 UTC: a set RTC, as after NTP
STOP_MS = 0  # set by tools/e2e.py: the tick time at which "Ctrl-C" is pressed
TYPED = []  # set by tools/e2e.py: (tick time, text) typed at the console, in time order
UNREAD = (0, 0)  # set by tools/e2e.py: from and to which tick time the USB host stops reading
FIFO_BYTES = 1024  # the board's USB TX FIFO, as core/console.py knows it

_clock = [1000]
_consoles = []


def _ticks_ms():
    return _clock[0] & 0x1FFFFFFF  # CircuitPython's wrap


def _time():
    return EPOCH_S + _clock[0] // 1000


def _sleep(seconds):
    _clock[0] += int(seconds * 1000) or 1
    while TYPED and TYPED[0][0] <= _clock[0]:
        text = TYPED.pop(0)[1]
        for ch in text:
            _consoles[0].feed(ch)
    if _clock[0] >= STOP_MS:
        raise KeyboardInterrupt  # Ctrl-C: main() closes the files and says so


class _Host:
    """usb_cdc.console as a USB host attached throughout (DTR set) that reads everything at once,
    except from UNREAD[0] to UNREAD[1] (a terminal left suspended): then the TX FIFO is full, and
    the firmware's drop path runs, the same in both runtimes. It replaces the stand-in's console
    (host/stubs/usb_cdc.py models a real reader; host/vm/usb_cdc.py's always reads) before
    core.console takes it."""

    connected = True

    @property
    def out_waiting(self):
        return FIFO_BYTES if UNREAD[0] <= _clock[0] < UNREAD[1] else 0


supervisor.ticks_ms = _ticks_ms  # adafruit_ticks takes it from supervisor at its import, below
time.time = _time
time.sleep = _sleep

import usb_cdc  # noqa: E402

usb_cdc.console = _Host()

from core import console  # noqa: E402

_console_init = console.Console.__init__


def _keep(self, app):
    _console_init(self, app)
    _consoles.append(self)


console.Console.__init__ = _keep


def run(stop_ms, typed, unread=(0, 0)):
    global STOP_MS, TYPED, UNREAD
    STOP_MS = stop_ms
    TYPED = list(typed)
    UNREAD = tuple(unread)
    from core.app import main
    main()
    sys.stdout.write("=== e2e: stopped\n")
