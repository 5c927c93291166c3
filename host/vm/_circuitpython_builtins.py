# CircuitPython's built-in names that MicroPython 1.27 lacks, added before any code runs
# (tools/mpvm.py imports this first when the stand-ins are on): ConnectionError, which
# wifi.radio.connect() and socket calls raise on the board.
import builtins


class ConnectionError(OSError):  # noqa: A001
    pass


builtins.ConnectionError = ConnectionError
