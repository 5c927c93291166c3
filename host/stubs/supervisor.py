"""supervisor stand-in: ticks_ms, get_setting (our own settings.toml parser) and serial_bytes_available."""
import os
import select
import time

from host import runtime as _host

_START_NS = time.monotonic_ns()
# How long after the start the tick clock wraps: a minute, as on the board; a test may bring it closer.
_BEFORE_WRAP_MS = int(os.environ.get("HOST_TICKS_BEFORE_WRAP_MS", "60000"))


def ticks_ms():
    # The board's ticks_ms wraps at 2**29 and starts near the wrap to expose bugs early.
    return ((time.monotonic_ns() - _START_NS) // 1000000 + (1 << 29) - _BEFORE_WRAP_MS) & ((1 << 29) - 1)


def get_setting(key, default=None):
    """CircuitPython 10.2+: str, int or bool from settings.toml, or default; malformed values give None."""
    from core import tomlenv

    path = os.path.join(_host.DRIVE, "settings.toml") if _host.DRIVE else "settings.toml"
    values = tomlenv.read_file(path)[0]
    if key in values:
        return values[key]
    # The PC's network stands for CIRCUITPY_WIFI_* when no WiFi is configured (python -m host).
    wifi = getattr(_host, "DEFAULT_WIFI", None)
    if wifi and key == "CIRCUITPY_WIFI_SSID":
        return wifi[0]
    if wifi and key == "CIRCUITPY_WIFI_PASSWORD":
        return wifi[1]
    return default


class _SerialIn:
    """The console's input as the board's USB serial gives it: serial_bytes_available counts
    bytes, while sys.stdin.read(n) returns n characters, waiting for them if need be."""

    def __init__(self):
        self._bytes = b""
        self._eof = False

    def _fill(self, wait):
        if self._eof or _host.STDIN_FD is None:
            return
        while select.select([_host.STDIN_FD], [], [], None if wait else 0)[0]:
            data = os.read(_host.STDIN_FD, 1024)
            if not data:
                self._eof = True  # nothing attached any more: report nothing, never spin
                return
            self._bytes += data
            if wait:
                return

    def available(self):
        self._fill(False)
        return len(self._bytes)

    def read(self, count=-1):
        self._fill(False)
        if count is None or count < 0:
            count = len(self._bytes)
        while True:
            text = self._bytes.decode("utf-8", "ignore")
            if len(text) >= count or self._eof or _host.STDIN_FD is None:
                break
            self._fill(True)  # the board's read blocks until the characters arrive
        out = text[:count]
        self._bytes = text[count:].encode("utf-8")
        return out


serial_in = _SerialIn()


class _Runtime:
    usb_connected = True
    autoreload = False

    @property
    def serial_connected(self):
        return _host.STDIN_FD is not None

    @property
    def serial_bytes_available(self):
        return serial_in.available()


runtime = _Runtime()


class Reload(SystemExit):
    """supervisor.reload(): the host runner starts code.py again, as the board's soft reboot does."""


def reload():
    raise Reload("supervisor.reload()")
