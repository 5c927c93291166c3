"""Host stand-in for CircuitPython's ``busio`` (I2C over simulated devices, SPI stub).

Behaves like CircuitPython 10 on the ESP32-S3 where firmware could notice:
every transfer needs the lock (RuntimeError otherwise), a deinitialised
object raises ValueError, and an address nobody ACKs raises OSError(19)
(ENODEV).  Devices come from ``host.runtime.get_bus()`` (see host/sim/bus.py).
"""

import sys

_MAX = sys.maxsize


def _sim_bus():
    try:
        from host import runtime
    except ImportError:  # runner put only host/stubs on sys.path: add the repo root
        root = __file__.replace("\\", "/").rsplit("/", 3)[0]
        if root not in sys.path:
            sys.path.append(root)
        from host import runtime
    return runtime.get_bus()


class _Locked:
    """Lock and deinit checks shared by I2C and SPI, worded like CircuitPython."""

    _deinited = False
    _locked = False

    def _check(self, need_lock=True):
        if self._deinited:
            raise ValueError("Object has been deinitialized and can no longer be used. "
                             "Create a new object.")
        if need_lock and not self._locked:
            raise RuntimeError("Function requires lock")

    def try_lock(self):
        self._check(False)
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self):
        self._check(False)
        self._locked = False

    def deinited(self):
        return self._deinited

    def deinit(self):
        self._deinited = True
        self._locked = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.deinit()


def _out(buf, start, end):
    return bytes(memoryview(buf)[start:min(end, len(buf))])


def _into(buf, start, end, read):
    end = min(end, len(buf))
    if end - start < 1:
        raise ValueError("buffer length must be >= 1")
    data = read(end - start)
    for i in range(end - start):
        buf[start + i] = data[i]


class I2C(_Locked):
    """``busio.I2C(scl, sda, *, frequency=100000, timeout=255)`` on the SimBus."""

    def __init__(self, scl, sda, *, frequency=100000, timeout=255):
        self.scl, self.sda = scl, sda
        self.frequency = frequency
        self.timeout = timeout
        self._bus = _sim_bus()

    def scan(self):
        """Addresses 0x08..0x77 that ACK, in order."""
        self._check()
        return [a for a in self._bus.addresses() if 0x08 <= a <= 0x77]

    def probe(self, address):
        self._check()
        try:
            self._bus.write(address, b"")
        except OSError:
            return False
        return True

    def writeto(self, address, buffer, *, start=0, end=_MAX):
        self._check()
        self._bus.write(address, _out(buffer, start, end))

    def readfrom_into(self, address, buffer, *, start=0, end=_MAX):
        self._check()
        _into(buffer, start, end, lambda n: self._bus.read(address, n))

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0,
                              out_end=_MAX, in_start=0, in_end=_MAX):
        """Write, repeated start, read; the buffers may be the same object."""
        self._check()
        data = _out(out_buffer, out_start, out_end)  # copy before in_buffer changes
        if min(in_end, len(in_buffer)) - in_start < 1:
            raise ValueError("buffer length must be >= 1")
        self._bus.write(address, data)
        _into(in_buffer, in_start, in_end, lambda n: self._bus.read(address, n))


class SPI(_Locked):
    """Just enough of ``busio.SPI`` for the SD-card stand-in: nothing is attached,
    so writes go nowhere and reads see an idle (pulled-up) MISO: 0xFF."""

    def __init__(self, clock, MOSI=None, MISO=None, half_duplex=False):
        self.clock, self.MOSI, self.MISO = clock, MOSI, MISO
        self.frequency = 250000  # CircuitPython's value before configure()
        self.polarity = self.phase = 0
        self.bits = 8

    def configure(self, *, baudrate=100000, polarity=0, phase=0, bits=8):
        self._check()
        self.frequency, self.polarity, self.phase, self.bits = baudrate, polarity, phase, bits

    def write(self, buffer, *, start=0, end=_MAX):
        self._check()

    def readinto(self, buffer, *, start=0, end=_MAX, write_value=0):
        self._check()
        for i in range(start, min(end, len(buffer))):
            buffer[i] = 0xFF

    def write_readinto(self, out_buffer, in_buffer, *, out_start=0, out_end=_MAX,
                       in_start=0, in_end=_MAX):
        self._check()
        for i in range(in_start, min(in_end, len(in_buffer))):
            in_buffer[i] = 0xFF
