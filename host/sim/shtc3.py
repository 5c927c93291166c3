"""Simulated Sensirion SHTC3 at 0x70, datasheet v4 (2019).

Command level, as the chip is: 16-bit commands, then (after the measurement time) a
6-byte read of two words, each followed by its CRC-8.  A read while a measurement is
still running (no clock stretching), or with nothing to read, is NACKed, as the chip does.

Modelled: sleep (0xB098; asleep, it NACKs every command but wakeup 0x3517), wakeup, soft
reset (0x805D), read ID (0xEFC8: 0x0887, whose bits 11 and 5:0 are the SHTC3's 0x807),
measurements in normal and low-power mode, temperature or humidity first, with and without
clock stretching (max. 12.1 / 0.8 ms; a stretched read waits, so it is answered at once);
the 16-bit words' resolution.  At power-up the chip is idle (awake).
"""

from . import RegisterDevice
from .sht4x import words

WAKEUP = 0x3517
SLEEP = 0xB098
RESET = 0x805D
READ_ID = 0xEFC8
ID = 0x0887
# command: (seconds, temperature first, clock stretching)
MEASURE = {0x7866: (0.0121, True, False), 0x58E0: (0.0121, False, False),
           0x609C: (0.0008, True, False), 0x401A: (0.0008, False, False),
           0x7CA2: (0.0121, True, True), 0x5C24: (0.0121, False, True),
           0x6458: (0.0008, True, True), 0x44DE: (0.0008, False, True)}


class SHTC3(RegisterDevice):
    KEYS = ("temperature", "humidity")
    DEFAULTS = {"temperature": 22.0, "humidity": 50.0}
    LIMITS = {"temperature": (-40.0, 125.0), "humidity": (0.0, 100.0)}
    OUT_OF_RANGE = {"temperature": 129.9, "humidity": 99.99}  # humidity's word cannot leave 0..100
    ADDRESSES = (0x70,)
    CRC = True

    def reset(self):
        self.asleep = False
        self._pending = None  # (ready at s, 6 bytes) or None

    def write(self, data):
        if len(data) == 0:
            return  # address-only probe: just ACK
        if len(data) != 2:
            raise OSError(5, "SHTC3 NACK: commands are 16 bits")
        cmd = data[0] << 8 | data[1]
        if self.asleep:
            if cmd != WAKEUP:
                raise OSError(5, "SHTC3 NACK: asleep (0x%04x)" % cmd)
            self.asleep = False
            return
        now = self.clock()
        if cmd == WAKEUP:
            pass
        elif cmd == SLEEP:
            self.asleep = True
            self._pending = None
        elif cmd == RESET:
            self.reset()
        elif cmd == READ_ID:
            self._pending = (now, words(ID, 0)[:3])
        elif cmd in MEASURE:
            seconds, t_first, stretch = MEASURE[cmd]
            t = min(max(int(round((self.value("temperature") + 45.0) * 65536.0 / 175.0)), 0), 0xFFFF)
            h = min(max(int(round(self.value("humidity") * 65536.0 / 100.0)), 0), 0xFFFF)
            self._pending = (now if stretch else now + seconds, words(t, h) if t_first else words(h, t))
        else:
            raise OSError(5, "SHTC3 NACK: unknown command 0x%04x" % cmd)

    def read(self, n):
        pending = self._pending
        if self.asleep or pending is None or self.clock() < pending[0]:
            raise OSError(5, "SHTC3 NACK: no data ready")
        self._pending = None
        return (pending[1] + bytes(max(0, n - len(pending[1]))))[:n]
