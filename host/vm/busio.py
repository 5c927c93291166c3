"""VM stand-in for CircuitPython's `busio`: objects construct; bus I/O finds no device, unless
`sim` is set to a host.sim.bus.SimBus, whose simulated devices then answer on every I2C object."""

sim = None  # a host.sim.bus.SimBus: its devices are on the I2C bus
trace = None  # a list: each I2C transaction is appended as (method, address, out, in_size, ranges)


def _nodev():
    raise OSError(19)  # ENODEV


def _send(address, buffer, start, end):
    if sim is None:
        _nodev()
    n = len(buffer)
    sim.write(address, buffer if start == 0 and (end is None or end >= n) else buffer[start:end])


def _recv(address, buffer, start, end):
    if sim is None:
        _nodev()
    end = len(buffer) if end is None or end > len(buffer) else end
    data = sim.read(address, end - start)
    for i in range(end - start):
        buffer[start + i] = data[i]


def _trace(method, address, out, in_buffer, ranges):
    trace.append((method, address, None if out is None else bytes(out),
                  0 if in_buffer is None else len(in_buffer), ranges))


class _Bus:
    def __init__(self, *args, **kwargs):
        self._locked = False

    def try_lock(self):
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self):
        self._locked = False

    def deinit(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.deinit()


class I2C(_Bus):
    def scan(self):
        return [] if sim is None else [a for a in sim.addresses() if 0x08 <= a <= 0x77]

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        if trace is not None:
            _trace("readfrom_into", address, None, buffer, {"start": start, "end": end})
        _recv(address, buffer, start, end)

    def writeto(self, address, buffer, *, start=0, end=None):
        if trace is not None:
            _trace("writeto", address, buffer, None, {"start": start, "end": end})
        _send(address, buffer, start, end)

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0,
                              out_end=None, in_start=0, in_end=None):
        if trace is not None:
            _trace("writeto_then_readfrom", address, out_buffer, in_buffer,
                   {"out_start": out_start, "out_end": out_end, "in_start": in_start, "in_end": in_end})
        _send(address, out_buffer, out_start, out_end)
        _recv(address, in_buffer, in_start, in_end)


class SPI(_Bus):
    frequency = 0

    def configure(self, *, baudrate=100000, polarity=0, phase=0, bits=8):
        self.frequency = baudrate

    def write(self, buffer, *, start=0, end=None):
        _nodev()

    def readinto(self, buffer, *, start=0, end=None, write_value=0):
        _nodev()

    def write_readinto(self, out_buffer, in_buffer, *, out_start=0, out_end=None,
                       in_start=0, in_end=None):
        _nodev()


class UART(_Bus):
    in_waiting = 0

    def read(self, nbytes=None):
        return None

    def readinto(self, buf):
        return None

    def readline(self):
        return None

    def write(self, buf):
        return len(buf)

    def reset_input_buffer(self):
        pass
