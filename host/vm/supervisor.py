"""VM stand-in for CircuitPython's `supervisor`."""
import utime

_T0 = utime.time_ns()


def ticks_ms():
    # CircuitPython's supervisor.ticks_ms() wraps at 2**29 (what adafruit_ticks expects).
    return ((utime.time_ns() - _T0) // 1000000) & 0x1FFFFFFF


class RunReason:
    STARTUP = "STARTUP"
    AUTO_RELOAD = "AUTO_RELOAD"
    SUPERVISOR_RELOAD = "SUPERVISOR_RELOAD"
    REPL_RELOAD = "REPL_RELOAD"


class Runtime:
    usb_connected = False
    serial_connected = False
    serial_bytes_available = 0
    autoreload = True
    ble_workflow = False
    run_reason = RunReason.STARTUP


runtime = Runtime()


def reload():
    raise SystemExit("supervisor.reload()")


def set_next_code_file(filename, *, reload_on_success=False, reload_on_error=False,
                       sticky_on_success=False, sticky_on_error=False, sticky_on_reload=False):
    pass


def get_previous_traceback():
    return None
