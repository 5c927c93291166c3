# The serial console: output that never holds up logging, and input polled without blocking.
#
# Output. Every console line goes through `out` (App.info/warn, outputs.serial, the quick commands).
# On the board, print() reaches USB through CircuitPython's serial_write_substring: while a host holds
# the port open (DTR set: usb_cdc.console.connected), it loops until TinyUSB's TX FIFO (1024 bytes in
# ESP32-S3 builds, CFG_TUD_CDC_TX_BUFSIZE; 128 on the S2) has taken every byte, with no timeout and no
# Ctrl-C. A terminal left open but not reading (suspended, or a host program that stopped) would hold
# up the whole loop, SD writes included. So a line is printed only when it fits in the FIFO
# (usb_cdc.console.out_waiting counts the bytes in it), and then print() cannot wait:
# - a line that does not fit may wait WAIT_MS for a reading host to take the FIFO (USB moves about a
#   kilobyte a millisecond); if it still does not fit, it is dropped and counted, and so is every
#   line after it, at once, until the FIFO has emptied (the host reads again);
# - then the count is printed first ("[W] console was not being read: N line(s) dropped"), at most
#   every REPORT_MS (lines dropped meanwhile go into the next report);
# - data lines leave the last RESERVE bytes of the FIFO to messages ([W]/[I]), so the first warnings
#   of a stall still reach the terminal when it reads again.
# With no host attached (not connected) or the USB console off (usb_cdc.console None), CircuitPython
# throws console output away itself, at once: lines are printed as they are, which also keeps them
# on the web workflow's serial page. Limits: the FIFO size is CircuitPython's build setting, not
# readable at run time (FIFO_BYTES); a line longer than the FIFO is printed only when the FIFO is
# empty, and could still wait if the host stopped reading in the few ms it takes to send; output to
# the web workflow's socket is CircuitPython's own and not covered; a traceback printed after a core
# fault (code.py restarts 5 s later anyway) is printed directly.
#
# Input. Quick commands start with "!" and end with Enter. A console with nothing attached reports
# no bytes, so the logger never waits on it.
# (Comments, not the docstring: MicroPython keeps a module docstring on the heap.)
import sys

MAX_LINE = 64
FIFO_BYTES = 1024  # the board's USB TX FIFO (CircuitPython ports/espressif/Makefile, ESP32-S3)
RESERVE = 256  # the part of the FIFO data lines leave free for messages
DATA_LIMIT = FIFO_BYTES - RESERVE


class Output:
    # Console lines, printed whole or dropped (and counted): never waited for.

    def __init__(self):
        try:
            import usb_cdc
            self.cdc = usb_cdc.console  # None when boot.py turned the USB console off
        except ImportError:  # a build without USB, or CPython without the stand-ins
            self.cdc = None
        self.app = None  # set by Console: the drop report says whether the SD card has the observations
        self.stalled = False  # a line was dropped and the FIFO has not emptied since
        self.dropped = 0  # lines dropped since the last report (not 0 while stalled)
        self.dropped_messages = 0  # of which messages
        self.reported_at = None  # ticks of the last report
        self.held = None  # while the menu is open: data lines held (not printed), counted; else None

    def line(self, text, limit=DATA_LIMIT):
        # An observation line; a message ([I]/[W]) gives FIFO_BYTES: data lines leave RESERVE
        # bytes of the FIFO to messages. Printed if its bytes (UTF-8, and the CR LF print() ends
        # a line with on USB) fit under `limit` in the FIFO now (a longer line: in an empty FIFO);
        # else it waits a little or is dropped (core/consoledrop.py). The usual case, a host that
        # reads, is settled by a bound (4 bytes a character) without encoding the text.
        if self.held is not None and limit == DATA_LIMIT:
            self.held += 1  # the menu is open: a data line is counted, not printed (the SD card has it)
            return True
        cdc = self.cdc
        if cdc is not None and cdc.connected and (
                self.dropped or cdc.out_waiting + (len(text) << 2) + 2 > limit):
            need = len(text.encode()) + 2
            waiting = cdc.out_waiting
            if self.dropped or waiting + need > limit and (need <= limit or waiting):
                from core import consoledrop
                return consoledrop.write(self, text, need, limit)
        print(text)
        return True

    def message(self, text):
        # A message line ([I]/[W], menu text): it may use the whole FIFO, and is never held.
        return self.line(text, FIFO_BYTES)

    def prompt(self, text):
        # Menu text the cursor stays after (a prompt, a typed character's echo): no line end.
        cdc = self.cdc
        shown = True
        if cdc is not None and cdc.connected:
            need = len(text.encode())
            waiting = cdc.out_waiting
            if self.dropped or waiting + need > FIFO_BYTES and (need <= FIFO_BYTES or waiting):
                from core import consoledrop
                shown = consoledrop.write(self, text, need, FIFO_BYTES, "")
            else:
                print(text, end="")
        else:
            print(text, end="")
        flush = getattr(sys.stdout, "flush", None)  # a line-buffered stdout (the host) holds it otherwise
        if flush is not None:
            flush()
        return shown


out = Output()


class Console:
    def __init__(self, app):
        import supervisor
        self._runtime = supervisor.runtime
        self._app = app
        self._line = ""
        self._hinted = False
        self.claimant = None  # an object with claim(char) -> bool, such as a quick command's [y/n] question
        self.menu = None  # the open menu (plugins/ui/menupages.py): every key is its own until it closes
        self.menu_pages = ""  # its module, set by plugins/ui/menu.py: then any key but "!" opens it
        out.app = app

    def poll(self, _now=None):
        if self.menu is not None:
            self.to_menu(None)
        if out.dropped:  # the count is told as soon as the console is read again
            from core import consoledrop
            consoledrop.idle(out)
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
        if not self._line and (self.menu is not None or self.menu_pages and ch != "!" and " " <= ch != "\x7f"):
            self.to_menu(ch)  # a line end, a control byte or DEL (a paste's CR LF, noise) opens nothing
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
        if ch == "\x15":  # Ctrl-U: the command typed so far is dropped
            self._line = ""
            return
        if not self._line and ch != "!":
            if not self._hinted:
                self._hinted = True
                self._app.info("Quick commands start with ! and end with Enter; try !help")
            return
        if len(self._line) < MAX_LINE:
            self._line += ch

    def to_menu(self, ch):
        # Open the menu (the key that opens it only opens it), or give it a key, or the time (None).
        try:
            menu = self.menu
            if menu is None:
                __import__(self.menu_pages)
                self.menu = sys.modules[self.menu_pages].Menu(self._app, self)
            elif ch is None:
                menu.tick()
            else:
                menu.key(ch)
        except Exception as err:  # no heap for it, or a fault in it: the logger goes on
            out.held = None
            self._app.warn("menu closed by " + type(err).__name__ + ": " + str(err))
            self.menu_closed()

    def menu_closed(self):
        # Called by the menu as it closes: its code gives its heap back.
        self.menu = None
        from core.app import USE_ONLY, release
        release((self.menu_pages, "core.propdocs") + USE_ONLY)

    def run(self, name):
        try:
            from core import commands  # only once someone types a command
            commands.run(self._app, name)
        except Exception as err:  # a command's fault must not stop the logger
            self._app.warn("!%s failed (%s: %s)" % (name, type(err).__name__, err))
        finally:
            from core.app import USE_ONLY, release
            release(USE_ONLY)  # commands are rare: their code is loaded again when one is typed
