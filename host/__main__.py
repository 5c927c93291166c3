"""Run the unchanged code.py on CPython over the stand-ins in host/stubs.

    python -m host [--drive DIR] [--sd DIR | --no-sd] [--bus FILE] [--seconds N]

The serial console is this process's stdin and stdout. Ctrl-C, SIGTERM, SIGHUP and the end of
--seconds stop it as Ctrl-C stops the board: code.py closes its files and says so.
"""
import argparse
import os
import runpy
import signal
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SECONDS = 100000000  # about 3 years: the longest the interval timer takes
# The signals that stop the firmware cleanly; SIGALRM is --seconds running out.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)
REPEAT_S = 5  # a repeated stop signal within this many seconds is the same stop


class Usage(Exception):
    """A mistake in the arguments or the bus file: a one-line message and exit status 2."""


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_SECONDS:  # false for nan too; inf is too long
        raise argparse.ArgumentTypeError("expected a number of seconds > 0 (at most %d), got %r"
                                         % (MAX_SECONDS, text))
    return value


def _date(text):
    try:
        return time.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError("not a date like 2000-01-01: %r" % text[:40])


def parse_args(argv):
    def shown(*parts):
        return "/".join(parts) + " in " + REPO

    parser = argparse.ArgumentParser(
        prog="python -m host", description=__doc__.split("\n\n")[0],
        epilog="The serial console is this process's stdin and stdout. Ctrl-C, SIGTERM and SIGHUP stop "
               "it cleanly (the firmware closes its files), as Ctrl-C stops the board. Exit status 0, or "
               "2 for a mistake in the arguments or the bus file.")
    parser.add_argument("--drive", metavar="DIR", default=os.path.join(REPO, "build", "drive"),
                        help="the folder acting as the CIRCUITPY drive: its settings.toml and the NVM "
                             "image nvm.bin (made if missing; default: %s)" % shown("build", "drive"))
    card = parser.add_mutually_exclusive_group()
    card.add_argument("--sd", metavar="DIR", default=os.path.join(REPO, "build", "sd"),
                      help="the folder acting as the SD card (made if missing; default: %s)" % shown("build", "sd"))
    card.add_argument("--no-sd", action="store_true",
                      help="run with no SD card inserted (default: off, the --sd folder is the card)")
    parser.add_argument("--bus", metavar="FILE", default=None,
                        help="a JSON file of the simulated I2C devices and their values, described in "
                             "README.md (default: %s)" % shown("host", "sim", "default_bus.json"))
    parser.add_argument("--seconds", metavar="N", type=_seconds, default=None,
                        help="stop cleanly after N seconds (> 0; fractions allowed), as Ctrl-C does on "
                             "a board (default: run until stopped)")
    parser.add_argument("--wifi", action="append", default=None, metavar="SSID:PASSWORD",
                        help="a simulated access point (repeatable; default: SimNet:simpass, standing for "
                             "the PC's network)")
    parser.add_argument("--rtc", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="start the RTC at this date (UTC midnight), e.g. 2000-01-01 as on a board whose "
                             "clock was never set (default: the PC's clock)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # A stop signal that comes while we set up waits until the firmware can stop cleanly.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    _install_stop_handlers()
    try:
        drive, sd_dir, bus = _folders(args)
        stand_ins_first()
        from host import runtime
        from host.sim.bus import BusFileError

        runtime.DRIVE = drive
        runtime.SD_DIR = sd_dir
        runtime.NAME_HOST_FILES = True  # messages name the --sd folder's file next to sd/... (host/stubs/storage.py)
        runtime.BUS_FILE = bus
        try:
            runtime.get_bus()  # a bad bus file is named now, before the firmware starts
        except BusFileError as err:
            raise Usage(str(err))
    except Usage as err:
        print(err, file=sys.stderr)
        return 2

    root = _board_root(drive)
    restore_tty = _no_tty
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        import rtc

        rtc.host_install()  # time.time() reads the RTC, as on the board
        if args.rtc:
            import calendar

            rtc.host_set(calendar.timegm(args.rtc))
        if args.wifi:
            runtime.WIFI_NETWORKS = dict(w.partition(":")[::2] for w in args.wifi)
        _join_wifi(runtime)
        _wifi_signals(runtime)
        sys.stdout.reconfigure(line_buffering=True)
        restore_tty = _serial_console(runtime)
        if args.seconds is not None:
            signal.setitimer(signal.ITIMER_REAL, args.seconds)
        _run_code_py()
    except KeyboardInterrupt:
        pass  # a stop before code.py was running, or in its soft-reboot pause: nothing was open
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # nothing cuts the clean-up short
        try:
            restore_tty()
        except Exception:  # pylint: disable=broad-except  # a terminal that hung up needs no restoring
            pass
        os.chdir(REPO)
        remove_root(root)
    return 0


def _no_tty():
    pass


def _folders(args):
    drive = os.path.abspath(args.drive)
    sd_dir = None if args.no_sd else os.path.abspath(args.sd)
    for flag, path in (("--drive", drive), ("--sd", sd_dir)):
        if path is not None:
            if os.path.exists(path) and not os.path.isdir(path):
                raise Usage("%s %s: not a folder" % (flag, path))
            try:
                os.makedirs(path, exist_ok=True)
            except OSError as err:
                raise Usage("%s %s: cannot make the folder: %s" % (flag, path, err.strerror or err))
    return drive, sd_dir, (os.path.abspath(args.bus) if args.bus else None)


def _install_stop_handlers():
    """SIGTERM, SIGHUP and --seconds' SIGALRM stop the firmware as Ctrl-C does, by raising
    KeyboardInterrupt: code.py's `finally` closes the files. SIGINT too, unless it was ignored
    when we were started (`cmd &` in a script): then it stays ignored, as in any background job.
    A second stop signal within REPEAT_S of the first never cuts that clean stop short; a later
    one interrupts again (a stop that hangs can still be forced)."""
    first = []

    def stop(signum, frame):
        now = time.monotonic()
        if first and now - first[0] < REPEAT_S:
            return
        first[:] = [now]
        raise KeyboardInterrupt

    for signum in STOP_SIGNALS:
        if signum != signal.SIGINT or signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, stop)


def _run_code_py():
    import supervisor

    while True:
        try:
            runpy.run_path(os.path.join(REPO, "code.py"), run_name="__main__")
            return
        except supervisor.Reload:
            print("\nsoft reboot\n")  # what the board prints before running code.py again


def _board_root(drive):
    """The board's root folder, made the current one: settings.toml from the drive, and the empty
    sd folder where the card is mounted (linked in by the storage stand-in). A watcher process
    removes it once this process has ended, however it ended (even by SIGKILL)."""
    root = tempfile.mkdtemp(prefix="circuitpy-root-")
    _watch(root)
    os.symlink(os.path.join(drive, "settings.toml"), os.path.join(root, "settings.toml"))
    os.mkdir(os.path.join(root, "sd"))
    os.chdir(root)
    return root


def _watch(root):
    """Fork a watcher that waits for our end of a pipe to close (the kernel closes it when this
    process ends, whatever the cause) and then removes root if it is still there. It is forked
    while the stop signals are blocked and no thread runs; it keeps them blocked, and leaves the
    terminal's session, so only SIGKILL stops it early."""
    global _watcher_pipe  # pylint: disable=global-statement
    read_end, _watcher_pipe = os.pipe()  # not inherited by any program we might run
    if os.fork():
        os.close(read_end)
        return
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, read_end)
        os.closerange(read_end + 1, 65536)
        while os.read(read_end, 1):
            pass
        remove_root(root)
    finally:
        os._exit(0)  # pylint: disable=protected-access


_watcher_pipe = None  # the runner's end of the watcher's pipe: open for as long as we run


def remove_root(root):
    """Remove the board's root folder: only its links and empty folders, never a file's data."""
    try:
        names = os.listdir(root)
    except OSError:
        return  # already gone
    for name in names:
        path = os.path.join(root, name)
        try:
            if os.path.islink(path) or not os.path.isdir(path):
                os.remove(path)
            else:
                os.rmdir(path)
        except OSError:
            pass
    try:
        os.rmdir(root)
    except OSError:
        pass


def stand_ins_first():
    """Our stand-ins come first, so Blinka's board/busio/microcontroller (installed with MiniMQTT)
    never shadow them; the repo comes last, so its code.py never shadows the stdlib's `code`."""
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
    sys.path[:0] = [os.path.join(REPO, "host", "stubs")]
    sys.path.append(REPO)
    from host import gc_extras

    gc_extras.install()


def _join_wifi(runtime):
    """As the board does before code.py: join CIRCUITPY_WIFI_SSID. With no WiFi network in
    settings.toml at all, the PC's network (the first simulated one) stands for CIRCUITPY_WIFI_*,
    so a newcomer needs no WiFi settings."""
    import supervisor
    import wifi
    from core import tomlenv

    if not hasattr(runtime, "WIFI_NETWORKS"):
        runtime.WIFI_NETWORKS = {"SimNet": "simpass"}
    ssid = supervisor.get_setting("CIRCUITPY_WIFI_SSID")
    if ssid:
        password = supervisor.get_setting("CIRCUITPY_WIFI_PASSWORD") or ""
        if str(ssid) not in runtime.WIFI_NETWORKS:
            runtime.WIFI_NETWORKS[str(ssid)] = str(password)
    else:
        keys = tomlenv.read_file(os.path.join(runtime.DRIVE, "settings.toml"))[0]
        if any(k.startswith("WIFI_NETWORK") and k.endswith("_NAME") and keys[k] for k in keys):
            return
        ssid, password = next(iter(runtime.WIFI_NETWORKS.items()))
        runtime.DEFAULT_WIFI = (ssid, password)
    try:
        wifi.radio.connect(str(ssid), str(password))
    except ConnectionError as err:
        print("[host] CIRCUITPY_WIFI_SSID %r: %s" % (ssid, err), file=sys.stderr)


def _wifi_signals(runtime):
    """SIGUSR1: every simulated access point goes away (the station drops, its sockets die);
    SIGUSR2: they are back. For tests of a WiFi drop."""
    import signal
    import socketpool
    import wifi

    saved = {}

    def drop_now():
        if runtime.WIFI_NETWORKS:
            saved.update(runtime.WIFI_NETWORKS)
        runtime.WIFI_NETWORKS = {}
        wifi.radio.stop_station()
        socketpool.host_reset()

    def drop(_sig, _frame):  # in a thread: the handler may interrupt code holding the socket table's lock
        threading.Thread(target=drop_now, daemon=True).start()

    def back(_sig, _frame):
        runtime.WIFI_NETWORKS = dict(saved)

    signal.signal(signal.SIGUSR1, drop)
    signal.signal(signal.SIGUSR2, back)


def _serial_console(runtime):
    """Use stdin as the board's serial input: characters arrive as typed, without echo."""
    import supervisor

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return _no_tty
    runtime.STDIN_FD = fd
    sys.stdin = supervisor.serial_in
    if not os.isatty(fd):
        return _no_tty
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
