"""VM stand-in for CircuitPython's `microcontroller`."""


class Pin:
    def __init__(self, name="?"):
        self._name = name

    def __repr__(self):
        return "board." + self._name


class ResetReason:
    POWER_ON = "POWER_ON"
    BROWNOUT = "BROWNOUT"
    SOFTWARE = "SOFTWARE"
    DEEP_SLEEP_ALARM = "DEEP_SLEEP_ALARM"
    RESET_PIN = "RESET_PIN"
    WATCHDOG = "WATCHDOG"
    UNKNOWN = "UNKNOWN"
    RESCUE_DEBUG = "RESCUE_DEBUG"


class RunMode:
    NORMAL = "NORMAL"
    SAFE_MODE = "SAFE_MODE"
    UF2 = "UF2"
    BOOTLOADER = "BOOTLOADER"


class Processor:
    frequency = 240000000
    temperature = 25.0
    voltage = None
    uid = b"\x00\x01\x02\x03\x04\x05"
    reset_reason = ResetReason.POWER_ON


cpu = Processor()
cpus = (cpu, cpu)
nvm = bytearray(8192)  # espressif: 8 KiB
watchdog = None


def delay_us(us):
    pass


def disable_interrupts():
    pass


def enable_interrupts():
    pass


def on_next_reset(run_mode):
    pass


def reset():
    raise SystemExit("microcontroller.reset()")
