"""VM shadow of `time` with CircuitPython's API (reaches the VM's built-in as `utime`).

CircuitPython has monotonic, monotonic_ns, sleep, time, localtime, mktime and struct_time;
it has no ticks_ms/ticks_diff/time_ns/gmtime/strftime, so neither does this module.
Note: the VM's floats are double precision; the board's are not (see the platform reference).
"""
from collections import namedtuple

import utime

_T0 = utime.time_ns()
_offset = 0  # seconds added to the VM clock by rtc.RTC().datetime = ...


_struct_time = namedtuple(
    "struct_time",
    ("tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst"),
)


def struct_time(t):
    """struct_time((year, mon, mday, hour, min, sec, wday, yday, isdst)), as on CircuitPython."""
    t = tuple(t)
    if len(t) == 8:
        t = t + (-1,)
    if len(t) != 9:
        raise TypeError("time tuple must have 9 elements")
    return _struct_time(*t)


def monotonic_ns():
    return utime.time_ns() - _T0


def monotonic():
    return monotonic_ns() / 1e9


def sleep(seconds):
    utime.sleep(seconds)


def time():
    return utime.time() + _offset


def localtime(secs=None):
    return struct_time(utime.localtime(time() if secs is None else int(secs)))


def mktime(t):
    return utime.mktime(tuple(t)[:8])


def _set_time(secs):
    global _offset
    _offset = int(secs) - utime.time()
