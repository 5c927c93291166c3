# The whole firmware on a clock that only moves when it sleeps. The same file runs in CPython over
# host/stubs and inside the MicroPython 1.27 VM over host/vm (tools/e2e.py sets it up), so the two
# runs must print the same console lines and write the same card files, byte for byte.
#
# It runs code.py's own main() (boot, the loop, close) unchanged; only the clock, the RTC and the
# typing at the console are played by this script. It is not firmware: it may patch modules.
import sys
import time

import supervisor

EPOCH_S = 1767268800  # 2026-01-01 12:00:00 UTC: a set RTC, as after NTP
STOP_MS = 0  # set by tools/e2e.py: the tick time at which "Ctrl-C" is pressed
TYPED = []  # set by tools/e2e.py: (tick time, text) typed at the console, in time order

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


supervisor.ticks_ms = _ticks_ms  # adafruit_ticks takes it from supervisor at its import, below
time.time = _time
time.sleep = _sleep

from core import console  # noqa: E402

_console_init = console.Console.__init__


def _keep(self, app):
    _console_init(self, app)
    _consoles.append(self)


console.Console.__init__ = _keep


def run(stop_ms, typed):
    global STOP_MS, TYPED
    STOP_MS = stop_ms
    TYPED = list(typed)
    from core.app import main
    main()
    sys.stdout.write("=== e2e: stopped\n")
