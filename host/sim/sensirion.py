"""What Sensirion's command-level chips share (SCD4x, SCD30, SGP40 here).

A transaction writes a 16-bit command, optionally followed by 16-bit words each
with its CRC-8 (a wrong CRC is NACKed); after the command's execution time the
reply (words with their CRCs) is read in a separate transaction.  While the chip
is executing a command it NACKs its address; a read with no reply pending is
NACKed.  Subclasses give ``command(cmd, args, now)``, which returns
``(execution time in s, reply words or None)`` or raises OSError (NACK).
"""

from . import RegisterDevice, crc8


def words(*values):
    """16-bit words with their CRCs, as the chip sends them."""
    out = bytearray()
    for v in values:
        hi, lo = (v >> 8) & 0xFF, v & 0xFF
        out += bytes((hi, lo, crc8(bytes((hi, lo)))))
    return bytes(out)


def nack(name, why):
    return OSError(5, "%s NACK: %s" % (name, why))


class SensirionDevice(RegisterDevice):
    CRC = True
    NAME = "Sensirion"

    def reset(self):
        self._busy_until = 0.0
        self._reply = None  # (ready at s, bytes)
        self.power_on()

    def power_on(self):
        pass

    def value_at(self, key, t):
        """The physical value ``key`` at time ``t`` (a reading taken then), clamped to the chip's range."""
        if self.fault == "range":
            return self.OUT_OF_RANGE[key]
        lo, hi = self.LIMITS[key]
        return min(max(self.values[key].at(t), lo), hi)

    def write(self, data):
        if len(data) == 0:
            return  # address-only probe: just ACK
        now = self.clock()
        if now < self._busy_until - 1e-6:  # (a wait of exactly the execution time is enough)
            raise nack(self.NAME, "busy executing a command")
        if len(data) < 2 or (len(data) - 2) % 3:
            raise nack(self.NAME, "not a command: %r" % bytes(data))
        args = []
        for i in range(2, len(data), 3):
            if crc8(data[i:i + 2]) != data[i + 2]:
                raise nack(self.NAME, "argument CRC wrong")
            args.append(data[i] << 8 | data[i + 1])
        self._reply = None
        seconds, reply = self.command(data[0] << 8 | data[1], args, now)
        self._busy_until = now + seconds
        if reply is not None:
            self._reply = (now + seconds, reply)

    def read(self, n):
        now = self.clock()
        reply = self._reply
        if reply is None or now < reply[0] - 1e-6:
            raise nack(self.NAME, "no reply ready")
        self._reply = None
        self.delivered()
        return (reply[1] + bytes(max(0, n - len(reply[1]))))[:n]

    def delivered(self):
        """A reply was read out (a subclass notes which reading it was)."""

    def command(self, cmd, args, now):
        raise nack(self.NAME, "unknown command 0x%04x" % cmd)
