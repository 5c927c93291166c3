"""VM stand-in for CircuitPython's `busio`: objects construct; bus I/O finds no device."""


def _nodev():
    raise OSError(19)  # ENODEV


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
        return []

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        _nodev()

    def writeto(self, address, buffer, *, start=0, end=None):
        _nodev()

    def writeto_then_readfrom(self, address, out_buffer, in_buffer, *, out_start=0,
                              out_end=None, in_start=0, in_end=None):
        _nodev()


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
