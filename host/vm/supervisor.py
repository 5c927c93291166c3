"""VM stand-in for CircuitPython's `supervisor`."""
import utime



def ticks_ms():
    # CircuitPython's supervisor.ticks_ms() wraps at 2**29 (what adafruit_ticks expects) and
    # allocates nothing; the VM's own ticks_ms (period 2**30) neither.
    return utime.ticks_ms() & 0x1FFFFFFF


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
