"""Register-level simulated I2C devices for host runs (never shipped to the board).

A device is a plain object with ``address``, ``write(data)`` (one I2C write
transaction, ACKed) and ``read(n)`` (one read transaction, returns ``n`` bytes).
Raising OSError from either means the device NACKed.  ``host.sim.bus.SimBus``
routes transactions by 7-bit address; ``host/stubs/busio.py`` sits on top.

This package only uses what MicroPython 1.27 also has (no dataclasses, no
typing at runtime) so the simulators can run inside the MicroPython VM too.
"""

import math


class Signal:
    """A value over time: a constant, or a wave from ``lo`` to ``hi``.

    ``kind`` is "triangle" (the default: starts at ``lo`` at t=0, reaches ``hi``
    at half the period, back at ``lo`` after ``period_s``), "sine" (starts at
    the middle, rising), "ramp" (``lo`` to ``hi`` over the period, then again) or
    "noise" (a new value every ``period_s``, uniform in ``lo..hi``, the same
    sequence for the same ``seed``).
    """

    def __init__(self, lo, hi=None, period_s=0.0, kind="triangle", seed=0):
        self.lo = float(lo)
        self.hi = self.lo if hi is None else float(hi)
        self.period_s = float(period_s)
        self.kind = kind
        self.seed = int(seed)

    def at(self, t_s):
        if self.period_s <= 0 or self.hi == self.lo:
            return self.lo
        span = self.hi - self.lo
        if self.kind == "noise":
            return self.lo + span * _noise(self.seed, int(t_s // self.period_s))
        phase = (t_s % self.period_s) / self.period_s
        if self.kind == "sine":
            return self.lo + span * 0.5 * (1.0 + math.sin(2.0 * math.pi * phase))
        if self.kind == "ramp":
            return self.lo + span * phase
        frac = 2.0 * phase if phase < 0.5 else 2.0 - 2.0 * phase
        return self.lo + span * frac

    def __repr__(self):
        if self.period_s <= 0:
            return "Signal(%r)" % self.lo
        return "Signal(%r, %r, %r, %r)" % (self.lo, self.hi, self.period_s, self.kind)


def _noise(seed, step):
    """A number in [0, 1) from (seed, step): an integer hash, the same everywhere."""
    x = (seed * 0x9E3779B1 + step * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    x ^= x >> 15
    return (x & 0xFFFFFF) / 16777216.0


def crc8(data):
    """Sensirion's CRC-8 (polynomial 0x31, init 0xFF), as their datasheets give it."""
    crc = 0xFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


# Faults a device can be given (SimBus.set_fault or the bus file's "faults"):
FAULTS = ("nack", "crc", "stuck", "range", "reset")


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
    OUT_OF_RANGE = {}  # type: dict  # what value() gives under the "range" fault
    CRC = False  # True: reads carry Sensirion CRCs, which the "crc" fault corrupts

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
        self.fault = None  # one of FAULTS while a fault is set (the bus applies nack and stuck)
        self.reset()

    def set(self, key, value):
        """Change a simulated physical value: a number or a Signal."""
        if key not in self.KEYS:
            raise KeyError(key)
        self.values[key] = value if isinstance(value, Signal) else Signal(value)

    def value(self, key):
        """The physical value ``key`` right now, clamped to the chip's range."""
        if self.fault == "range":  # a chip gone wrong: a value it cannot physically measure
            return self.OUT_OF_RANGE[key]
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
