"""Helpers for the stand-in's server processes: find a program, a free loopback port, stop by PID."""

import os
import shutil
import signal
import socket
import subprocess
import time

HOST = "127.0.0.1"


class MissingProgram(RuntimeError):
    """A Debian program the stand-in runs is not installed; the message has the fix."""


def find_program(name, package):
    exe = shutil.which(name) or next(
        (
            p
            for p in ("/usr/sbin/" + name, "/usr/local/sbin/" + name, "/sbin/" + name)
            if os.path.exists(p)
        ),
        None,
    )
    if exe is None:
        raise MissingProgram(
            "%s is missing: run `make system-packages` as root, or apt-get install -y %s"
            % (name, package)
        )
    return exe


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_is_free(port, kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def pid_alive(pid):
    """True while a process with this PID exists (a reaped child no longer does)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(proc, timeout=10):
    """SIGTERM the process by its PID, then SIGKILL after `timeout`; reaps it."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout)


class Server:
    """A program run as a server for the tests: its process (`proc`, stopped by its PID) and the
    file its output goes to (`_log`, closed on stop). Subclasses start `proc`, then _wait_started()."""

    proc = None
    log_path = None
    _log = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _wait_started(self, check, timeout, what):
        """Wait until `check()`; if the program exits or time runs out, stop it and raise."""
        try:
            wait_until(check, self.proc, timeout, what, self.log_path)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self):
        stop(self.proc)
        if self._log:
            self._log.close()
            self._log = None


def wait_until(check, proc, timeout, what, log_path=None):
    """Poll `check()` until true; raise with the process's log if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("%s exited (%s): %s" % (what, proc.returncode, _tail(log_path)))
        if check():
            return
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError("%s did not start in %d s: %s" % (what, timeout, _tail(log_path)))
        time.sleep(0.05)


def _tail(path, n=2000):
    if not path or not os.path.exists(path):
        return "(no log)"
    with open(path, "rb") as f:
        data = f.read()
    return data[-n:].decode("utf-8", "replace")


def tcp_listening(port):
    def check():
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            return False

    return check
