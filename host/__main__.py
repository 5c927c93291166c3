"""Run the unchanged code.py on CPython over the stand-ins in host/stubs.

    python -m host [--drive DIR] [--sd DIR | --no-sd] [--bus FILE] [--seconds N]

--drive  the folder acting as CIRCUITPY: settings.toml and the NVM image nvm.bin
--sd     the folder acting as the SD card (default: build/sd); --no-sd means no card
--bus    a JSON file of simulated I2C devices (default: host/sim/default_bus.json)
--seconds  stop cleanly after N seconds, as Ctrl-C does on a board

The serial console is this process's stdin and stdout.
"""
import argparse
import os
import runpy
import sys
import tempfile
import threading
import _thread

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m host", description=__doc__.split("\n\n")[0])
    parser.add_argument("--drive", default=os.path.join(REPO, "build", "drive"))
    card = parser.add_mutually_exclusive_group()
    card.add_argument("--sd", default=os.path.join(REPO, "build", "sd"))
    card.add_argument("--no-sd", action="store_true")
    parser.add_argument("--bus", default=None)
    parser.add_argument("--seconds", type=float, default=None)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    drive = os.path.abspath(args.drive)
    os.makedirs(drive, exist_ok=True)
    sd_dir = None if args.no_sd else os.path.abspath(args.sd)
    if sd_dir:
        os.makedirs(sd_dir, exist_ok=True)
    bus = os.path.abspath(args.bus) if args.bus else None

    stand_ins_first()
    from host import runtime

    runtime.DRIVE = drive
    runtime.SD_DIR = sd_dir
    runtime.BUS_FILE = bus
    runtime.get_bus()  # a bad bus file is named now, before the firmware starts

    # The board's root folder: settings.toml from the drive, and the empty sd folder where the
    # card is mounted (linked in by the storage stand-in).
    root = tempfile.mkdtemp(prefix="circuitpy-root-")
    os.symlink(os.path.join(drive, "settings.toml"), os.path.join(root, "settings.toml"))
    os.mkdir(os.path.join(root, "sd"))
    os.chdir(root)

    _join_wifi(runtime)
    sys.stdout.reconfigure(line_buffering=True)
    restore_tty = _serial_console(runtime)
    if args.seconds is not None:
        timer = threading.Timer(args.seconds, _thread.interrupt_main)
        timer.daemon = True
        timer.start()
    import supervisor

    try:
        while True:
            try:
                runpy.run_path(os.path.join(REPO, "code.py"), run_name="__main__")
                break
            except supervisor.Reload:
                print("\nsoft reboot\n")  # what the board prints before running code.py again
    except KeyboardInterrupt:
        pass
    finally:
        restore_tty()
        for name in os.listdir(root):
            path = os.path.join(root, name)
            os.remove(path) if os.path.islink(path) or not os.path.isdir(path) else os.rmdir(path)
        os.rmdir(root)
    return 0


def stand_ins_first():
    """Our stand-ins come first, so Blinka's board/busio/microcontroller (installed with MiniMQTT)
    never shadow them; the repo comes last, so its code.py never shadows the stdlib's `code`."""
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
    sys.path[:0] = [os.path.join(REPO, "host", "stubs")]
    sys.path.append(REPO)


def _join_wifi(runtime):
    """As the board does before code.py: join CIRCUITPY_WIFI_SSID (the simulated network accepts it)."""
    import supervisor
    import wifi

    ssid = supervisor.get_setting("CIRCUITPY_WIFI_SSID")
    if ssid:
        password = supervisor.get_setting("CIRCUITPY_WIFI_PASSWORD") or ""
        runtime.WIFI_NETWORKS = {str(ssid): str(password)}
        wifi.radio.connect(str(ssid), str(password))


def _serial_console(runtime):
    """Use stdin as the board's serial input: characters arrive as typed, without echo."""
    import supervisor

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return lambda: None
    runtime.STDIN_FD = fd
    sys.stdin = supervisor.serial_in
    if not os.isatty(fd):
        return lambda: None
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    new = termios.tcgetattr(fd)
    new[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, new)
    return lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved)


if __name__ == "__main__":
    sys.exit(main())
