"""rtc stand-in: the host's clock, settable like the board's (the offset is kept in this process)."""
import time

_offset = 0


class RTC:
    @property
    def datetime(self):
        return time.gmtime(time.time() + _offset)

    @datetime.setter
    def datetime(self, value):
        global _offset
        _offset = int(time.mktime(tuple(value)[:9]) - time.timezone - time.time())
