"""Register-level simulated I2C devices for host runs (never shipped to the board).

A device is a plain object with ``address``, ``write(data)`` (one I2C write
transaction, ACKed) and ``read(n)`` (one read transaction, returns ``n`` bytes).
Raising OSError from either means the device NACKed.  ``host.sim.bus.SimBus``
routes transactions by 7-bit address; ``host/stubs/busio.py`` sits on top.

This package only uses what MicroPython 1.27 also has (no dataclasses, no
typing at runtime) so the simulators can run inside the MicroPython VM too.
"""


class Signal:
    """A value that is either a constant or a triangle wave over time.

    The wave starts at ``lo`` at t=0, reaches ``hi`` at half the period and is
    back at ``lo`` after ``period_s``: gentle and continuous, so a host run
    looks alive without ever jumping.
    """

    def __init__(self, lo, hi=None, period_s=0.0):
        self.lo = float(lo)
        self.hi = self.lo if hi is None else float(hi)
        self.period_s = float(period_s)

    def at(self, t_s):
        if self.period_s <= 0 or self.hi == self.lo:
            return self.lo
        phase = (t_s % self.period_s) / self.period_s
        frac = 2.0 * phase if phase < 0.5 else 2.0 - 2.0 * phase
        return self.lo + (self.hi - self.lo) * frac

    def __repr__(self):
        if self.period_s <= 0:
            return "Signal(%r)" % self.lo
        return "Signal(%r, %r, %r)" % (self.lo, self.hi, self.period_s)


def _zero_clock():
    return 0.0


class RegisterDevice:
    """Byte-addressed register file with an auto-incrementing pointer.

    The first byte of a write sets the register pointer; further bytes are
    stored one register after another (this is how the MAX17048 and most
    chips behave; the BME280 overrides ``write``).  Reads continue from the
    pointer.  Subclasses provide ``KEYS`` (physical values they simulate),
    ``DEFAULTS`` and ``LIMITS``, and hook ``_write_reg`` / ``_before_read``.
    """

    KEYS = ()  # type: tuple
    DEFAULTS = {}  # type: dict
    LIMITS = {}  # type: dict
    ADDRESSES = ()  # type: tuple

    def __init__(self, address, values=None, clock=None):
        self.address = address
        self.clock = clock or _zero_clock  # seconds since the bus was loaded
        self.values = {}
        for key in self.KEYS:
            self.set(key, self.DEFAULTS[key])
        for key in values or {}:
            self.set(key, values[key])
        self.regs = bytearray(256)
        self.pointer = 0
        self.reset()

    def set(self, key, value):
        """Change a simulated physical value: a number or a Signal."""
        if key not in self.KEYS:
            raise KeyError(key)
        self.values[key] = value if isinstance(value, Signal) else Signal(value)

    def value(self, key):
        """The physical value ``key`` right now, clamped to the chip's range."""
        v = self.values[key].at(self.clock())
        lo, hi = self.LIMITS[key]
        return min(max(v, lo), hi)

    def reset(self):
        pass

    def write(self, data):
        if len(data) == 0:
            return  # address-only probe: just ACK
        self.pointer = data[0]
        for b in data[1:]:
            self._write_reg(self.pointer, b)
            self.pointer = (self.pointer + 1) & 0xFF

    def read(self, n):
        self._before_read()
        out = bytearray(n)
        for i in range(n):
            out[i] = self.regs[self.pointer]
            self.pointer = (self.pointer + 1) & 0xFF
        return bytes(out)

    def _write_reg(self, reg, value):
        pass  # read-only by default: real chips ignore such writes

    def _before_read(self):
        pass

    def _put16(self, reg, value):
        """Store a 16-bit big-endian register (two's complement if negative)."""
        value &= 0xFFFF
        self.regs[reg] = value >> 8
        self.regs[reg + 1] = value & 0xFF

    def __repr__(self):
        return "<%s at 0x%02x>" % (type(self).__name__, self.address)
