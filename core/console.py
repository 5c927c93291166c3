"""The serial console: polled without blocking, handed to whoever claims the input.

Quick commands start with "!" and end with Enter. A console with nothing attached reports no
bytes, so the logger never waits on it.
"""
import sys

MAX_LINE = 64


class Console:
    def __init__(self, app):
        import supervisor
        self._runtime = supervisor.runtime
        self._app = app
        self._line = ""
        self._hinted = False
        self.claimant = None  # an object with claim(char) -> bool, such as the menu

    def poll(self, _now=None):
        # A character at a time: the count is in bytes, read() counts characters, and asking
        # for more than have arrived would block the logger.
        runtime = self._runtime
        for _ in range(MAX_LINE):
            if not runtime.serial_bytes_available:
                return
            try:
                ch = sys.stdin.read(1)
            except UnicodeError:  # a byte that is not UTF-8: line noise, not a command
                continue
            self.feed(ch)

    def feed(self, ch):
        if self.claimant is not None and self.claimant.claim(ch):
            return
        if ch == "\r" or ch == "\n":
            line = self._line
            self._line = ""
            if line.startswith("!"):
                self.run(line[1:].strip())
            return
        if ch == "\x08" or ch == "\x7f":
            self._line = self._line[:-1]
            return
        if not self._line and ch != "!":
            if not self._hinted:
                self._hinted = True
                self._app.info("Quick commands start with ! and end with Enter; try !help")
            return
        if len(self._line) < MAX_LINE:
            self._line += ch

    def run(self, name):
        try:
            from core import commands  # only once someone types a command
            commands.run(self._app, name)
        except Exception as err:  # a command's fault must not stop the logger
            self._app.warn("!" + name + " failed (" + type(err).__name__ + ": " + str(err) + ")")
