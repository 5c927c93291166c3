"""VM stand-in for CircuitPython's `rtc`."""
import time

_source = None


class RTC:
    calibration = 0

    @property
    def datetime(self):
        return time.localtime()

    @datetime.setter
    def datetime(self, value):
        time._set_time(time.mktime(value))


def set_time_source(rtc):
    global _source
    _source = rtc
