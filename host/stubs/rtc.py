"""rtc stand-in: the board's RTC over the host's clock, settable like the board's.

The RTC is the host's clock plus an offset kept in this process. ``time.time()`` on the board
reads the RTC, so the host runner makes CPython's ``time.time`` read it too
(``host_install``); ``host_set(epoch_s)`` starts it at another time, e.g. 2000-01-01 as a
board whose RTC was never set (``python -m host --rtc 2000-01-01``).
"""
import calendar
import time

_real_time = time.time
_offset = 0


def _now():
    return _real_time() + _offset


class RTC:
    @property
    def datetime(self):
        return time.gmtime(int(_now()))

    @datetime.setter
    def datetime(self, value):
        global _offset
        _offset = calendar.timegm(tuple(value)[:6] + (0, 0, 0)) - int(_real_time())


def host_set(epoch_s):
    """Host only: the RTC reads epoch_s now."""
    global _offset
    _offset = epoch_s - int(_real_time())


def host_install():
    """Host only: time.time() reads this RTC, as on the board."""
    time.time = _now
