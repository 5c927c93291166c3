"""usb_cdc stand-in: the board's USB console over this process's stdout.

On the board, print() puts a line's bytes into TinyUSB's TX FIFO (1024 bytes on the ESP32-S3) and,
while a host holds the port open, waits for as long as the FIFO is full; the host empties the FIFO
as fast as its terminal reads. Here the same FIFO sits between sys.stdout and the real stdout: its
bytes move on to the terminal or pipe through a non-blocking descriptor of its own, whenever the
FIFO is touched and from a thread meanwhile (the board's USB task). When the reader stops (a pty
whose master is not read, a pipe nobody empties), the kernel's buffer fills, then the FIFO, and
then print() waits, as on the board. `console.out_waiting` counts
the FIFO's bytes, so the firmware's decision (core/console.py) runs unchanged.

Only the process's own stdout is modelled (python -m host). When something else has taken
sys.stdout (pytest's capture, the bench's sink), `console.connected` is False: lines are printed
straight there, as the board prints when no host is attached.
"""
import atexit
import io
import os
import select
import signal
import stat
import sys
import threading

FIFO_BYTES = 1024  # CFG_TUD_CDC_TX_BUFSIZE in CircuitPython's ESP32-S3 builds
EXIT_WAIT_S = 2.0  # at exit, how long the FIFO may go without the reader taking a byte


def _nonblocking(fd):
    """A descriptor that writes to stdout without ever blocking, or None (then a thread waits)."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode) or stat.S_ISCHR(mode) and not os.isatty(fd):
        return fd  # a file or /dev/null: writes never wait for a reader
    if not (stat.S_ISFIFO(mode) or os.isatty(fd)):
        return None
    try:  # a description of its own: O_NONBLOCK on stdout's would reach stdin and the shell's terminal
        return os.open("/proc/self/fd/" + str(fd), os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None


class _Fifo(io.RawIOBase):
    """The TX FIFO: sys.stdout writes into it; what the reader takes leaves it."""

    def __init__(self, fd):
        super().__init__()
        self._fd = fd
        self._nb = _nonblocking(fd)
        self._bytes = bytearray()
        self._cond = threading.Condition()
        threading.Thread(target=self._usb_task, name="usb_cdc", daemon=True).start()
        atexit.register(self._drain)

    def writable(self):
        return True

    def fileno(self):
        return self._fd

    def isatty(self):
        return os.isatty(self._fd)

    def flush(self):
        pass  # print() on the board returns once the bytes are in the FIFO

    def waiting(self):
        with self._cond:
            self._push()
            return len(self._bytes)

    def write(self, data):
        data = bytes(data)
        done = 0
        with self._cond:
            while done < len(data):
                room = FIFO_BYTES - len(self._bytes)
                if room <= 0:
                    # serial_write_substring: wait for the host, however long. In slices, so
                    # Ctrl-C (here also --seconds, a simulated signal) still gets through.
                    self._cond.wait(0.05)
                    self._push()
                    continue
                end = min(done + room, len(data))
                self._bytes += data[done:end]
                done = end
                self._push()
                self._cond.notify_all()
        return len(data)

    def _push(self):
        """What the reader's side takes now (the board's USB task), without waiting; under the lock."""
        if not self._bytes or self._nb is None:
            return False
        try:
            sent = os.write(self._nb, self._bytes)
        except BlockingIOError:
            return False
        except OSError:  # the reader has gone (EIO on a pty, EPIPE): lost, as with no host
            sent = len(self._bytes)
        del self._bytes[:sent]
        self._cond.notify_all()
        return sent > 0

    def _usb_task(self):
        """Moves the FIFO on while nothing else touches it, as the board's USB task does."""
        # Stop signals (Ctrl-C, SIGTERM, --seconds' SIGALRM) must wake the firmware's thread, not this one.
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        while True:
            with self._cond:
                while not self._bytes:
                    self._cond.wait()
                chunk = bytes(self._bytes)
            if self._nb is not None:
                select.select([], [self._nb], [], 0.1)  # until the reader has made room
                with self._cond:
                    if not self._push():
                        self._cond.wait(0.01)
                continue
            try:  # a socket: a blocking write, outside the lock
                sent = os.write(self._fd, chunk)
            except OSError:
                sent = len(chunk)
            with self._cond:
                del self._bytes[:sent]
                self._cond.notify_all()

    def _drain(self):
        """At exit: the FIFO's last lines reach a reader that is still reading."""
        with self._cond:
            left = len(self._bytes)
            while self._bytes:
                self._cond.wait(EXIT_WAIT_S)
                self._push()
                if len(self._bytes) >= left:
                    return  # nobody is reading
                left = len(self._bytes)


class Serial:
    """usb_cdc.Serial as the console: connected (DTR) and out_waiting (bytes in the TX FIFO)."""

    timeout = None
    write_timeout = None

    def __init__(self, fifo):
        self._fifo = fifo

    @property
    def connected(self):
        return self._fifo is not None

    @property
    def out_waiting(self):
        return self._fifo.waiting() if self._fifo is not None else 0


def _install():
    stdout = sys.stdout
    if stdout is None or stdout is not sys.__stdout__:
        return None
    try:
        fd = stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return None
    stdout.flush()
    fifo = _Fifo(fd)
    sys.stdout = io.TextIOWrapper(fifo, encoding=stdout.encoding, errors=stdout.errors,
                                  line_buffering=True, write_through=True)
    return fifo


console = Serial(_install())
data = None
