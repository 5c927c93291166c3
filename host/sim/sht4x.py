"""Simulated Sensirion SHT4x (SHT40/41/45) at 0x44 (0x45, 0x46 on other parts), datasheet v6.6.

Command level, as the chip is: a one-byte command, then (after its execution time) a
6-byte read of two words, each followed by its CRC-8.  A read while a measurement is
still running, or with nothing to read, is NACKed, as the chip does.

Modelled: measure at high/medium/low precision (max. times 8.3/4.5/1.6 ms), the
heater commands (measured as high precision), serial number, soft reset; the
resolution of the 16-bit words.  Not modelled: the heater's warming.
"""

from . import RegisterDevice, crc8

SERIAL = 0x89
RESET = 0x94
MEASURE_S = {0xFD: 0.0083, 0xF6: 0.0045, 0xE0: 0.0016}
HEATER = (0x39, 0x32, 0x2F, 0x24, 0x1E, 0x15)
SERIAL_NUMBER = 0x0C4F3A21  # any 32-bit value will do


def words(a, b):
    """Two 16-bit words with their CRCs, as the chip sends them."""
    out = bytearray(6)
    out[0], out[1] = a >> 8, a & 0xFF
    out[2] = crc8(out[0:2])
    out[3], out[4] = b >> 8, b & 0xFF
    out[5] = crc8(out[3:5])
    return bytes(out)


class SHT4X(RegisterDevice):
    KEYS = ("temperature", "humidity")
    DEFAULTS = {"temperature": 22.0, "humidity": 50.0}
    LIMITS = {"temperature": (-40.0, 125.0), "humidity": (0.0, 100.0)}
    OUT_OF_RANGE = {"temperature": 130.0, "humidity": 119.0}  # the words' ceilings
    ADDRESSES = (0x44, 0x45, 0x46)
    CRC = True

    def reset(self):
        self._pending = None  # (ready at s, 6 bytes) or None

    def write(self, data):
        if len(data) == 0:
            return  # address-only probe: just ACK
        cmd = data[0]
        now = self.clock()
        if cmd == RESET:
            self.reset()
        elif cmd == SERIAL:
            self._pending = (now + 0.001, words(SERIAL_NUMBER >> 16, SERIAL_NUMBER & 0xFFFF))
        elif cmd in MEASURE_S or cmd in HEATER:
            ready = now + MEASURE_S.get(cmd, 0.0083)
            t = min(max(int(round((self.value("temperature") + 45.0) * 65535.0 / 175.0)), 0), 0xFFFF)
            h = min(max(int(round((self.value("humidity") + 6.0) * 65535.0 / 125.0)), 0), 0xFFFF)
            self._pending = (ready, words(t, h))
        else:
            raise OSError(5, "SHT4x NACK: unknown command 0x%02x" % cmd)

    def read(self, n):
        pending = self._pending
        if pending is None or self.clock() < pending[0]:
            raise OSError(5, "SHT4x NACK: no data ready")
        self._pending = None
        return (pending[1] + bytes(max(0, n - 6)))[:n]
