# Observations on the SD card: sfe0001.txt, sfe0002.txt, ... in CSV (header per file) or JSON.
#
# Each line is flushed (FatFs syncs on flush), so a power cut loses at most the line being
# written. A missing, removed or full card is announced once, whatever the retries then meet (a
# pulled card fails the write, then the mount): one warning per loss, and one line when logging
# resumes in a new file. A retry that fails for another reason (the card is back but full,
# read-only, not FAT, or its pin is in use) says that new reason, once.
import os

from adafruit_ticks import ticks_add, ticks_diff

from core import sdcard
from core.scheduler import TICKS_HALF, TICKS_MAX
from core.schema import INT, STR, Prop

# On the original's Logger page, and in its datalogger.json under "Logger" (0 Disabled, 1 CSV, 2 JSON).
FORMAT = Prop("Logger", "SD Card Format", STR, "CSV", "Observation format on the SD card",
              choices=("Disabled", "CSV", "JSON"), key="SD_CARD_FORMAT")
PREFIX = Prop("Data File", "File Prefix", STR, "sfe", "Start of each log file's name")
START = Prop("Data File", "File Start Number", INT, 1, "First file number to try", low=0, high=99999)
ROTATE = Prop("Data File", "Rotate Period", STR, "1 day", "Start a new file after this long",
              choices=("6 h", "12 h", "1 day", "2 days", "1 week"))
PROPERTIES = (FORMAT, PREFIX, START, ROTATE)

ROTATE_MS = (6 * 3600000, 12 * 3600000, 24 * 3600000, 48 * 3600000, 168 * 3600000)
CHECK_MS = 1000  # how often a quiet card is checked for removal
RETRY_MS = 5000  # how often a missing card is looked for
ENOSPC = 28
FULL = "SD card: the card is full"  # one wording whichever way it is found, so it is said once
_REASONS = {5: "I/O error: card removed?", 2: "file or card missing", 30: "the card is read-only", 19: "no card"}
GONE = "gone"  # the kind of trouble of a card that is not there: these errno, or sdcardio's "no SD card"
_GONE_ERRNO = (2, 5, 19)


class SDOutput:
    def __init__(self, app, json_format, prefix, start, rotate_ms):
        self.app = app
        self.json_format = json_format
        self.prefix = prefix
        self.start = start
        self.rotate_ms = rotate_ms
        self.file = None
        self.path = ""
        self.age_ms = 0  # how long the file has been written, summed from tick differences
        self.last_ms = 0
        self.checked_ms = 0
        self.retry_ms = None  # while the card is in trouble: the tick to try again
        self.problem = None  # while the card is in trouble, its kind (GONE, FULL or the reason): said once
        self.seen = None  # the observation last written: new columns start a new file (its own header)

    def write(self, observation):
        now = self.app.scheduler.now  # where this call began: the scheduler has just read the clock
        f = self.file
        if observation is not self.seen:
            self.seen = observation
            if f is not None and not self.json_format:
                self._close()  # the columns changed: a new file, so no line sits under another header
                f = None
        if f is not None:
            self.age_ms += ((now - self.last_ms + TICKS_HALF) & TICKS_MAX) - TICKS_HALF  # ticks_diff, inlined
            self.last_ms = now
            if self.age_ms >= self.rotate_ms:
                self._close()
                f = None
        if f is None:
            if self.retry_ms is not None and ticks_diff(now, self.retry_ms) < 0:
                return
            f = self._open(now, observation)
            if f is None:
                return
        try:
            f.write(observation.json() if self.json_format else observation.csv())
            f.write("\n")
            f.flush()
        except OSError as err:
            self._lost(err, now)

    def poll(self, now):
        # Notice a card pulled while nothing is written (the file handle alone would not tell).
        if self.file is not None and ticks_diff(now, self.checked_ms) >= CHECK_MS:
            self.checked_ms = now
            try:
                os.stat(self.path)
            except OSError as err:
                self._lost(err, now)

    def _open(self, now, observation):
        # The next free file, opened with its header; None (and said why, once) if the card fails.
        reason = sdcard.mount(self.app.settings.get)
        if reason is not None:
            return self._trouble("SD card: " + reason, now, GONE if reason == "no SD card" else reason)
        try:
            space = os.statvfs(sdcard.ROOT)
            if space[0] * space[4] < space[0] * 2:  # under two blocks free: a new file would fail empty
                return self._trouble(FULL, now, FULL)
            number = self.start
            while True:
                path = sdcard.ROOT + "/" + self.prefix + ("%04d" % number) + ".txt"
                try:
                    os.stat(path)
                    number += 1  # an existing number is skipped, never overwritten
                except OSError:
                    break
            self.file = open(path, "a")
            if not self.json_format:
                self.file.write(observation.header())
                self.file.write("\n")
                self.file.flush()
        except OSError as err:
            self._close()
            sdcard.unmount()
            return self._trouble(FULL if _errno(err) == ENOSPC else "SD card: " + _reason(err), now, _kind(err))
        self.path = path
        self.age_ms = 0
        self.last_ms = now
        self.checked_ms = now
        self.retry_ms = None
        self.app.info("SD card: logging to " + sdcard.where(path))
        self.problem = None
        return self.file

    def _lost(self, err, now):
        self._close()
        sdcard.unmount()
        self._trouble(FULL if _errno(err) == ENOSPC else "SD card: " + _reason(err) + " writing "
                      + sdcard.where(self.path), now, _kind(err))

    def _trouble(self, reason, now, kind):
        self.retry_ms = ticks_add(now, RETRY_MS)
        if kind != self.problem:
            self.problem = kind
            self.app.warn(reason + "; serial logging continues, retrying every " + str(RETRY_MS // 1000) + " s")

    def _close(self):
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
            self.file = None

    def close(self):
        self._close()

    def apply(self, prop, value):
        # A setting changed in the menu: True if it took effect at once (a new file starts).
        if prop is FORMAT and value != "Disabled":
            self.json_format = value == "JSON"
        elif prop is PREFIX:
            self.prefix = value
        elif prop is START:
            self.start = value
        elif prop is ROTATE:
            self.rotate_ms = ROTATE_MS[ROTATE.choices.index(value)]
            return True  # the file open now rotates at the new period
        else:
            return False
        self._close()
        return True


def _errno(err):
    return err.args[0] if err.args and isinstance(err.args[0], int) else 0


def _kind(err):
    # The trouble an error means: GONE (one warning per loss, whatever the retries meet), FULL,
    # or another reason, said again only when it changes.
    code = _errno(err)
    if code == ENOSPC:
        return FULL
    return GONE if code in _GONE_ERRNO else _reason(err)


def _reason(err):
    code = _errno(err)
    reason = _REASONS.get(code)
    if reason is None:
        from core.clip import clip  # the reason may hold the file name, made from a setting

        reason = clip(sdcard.why(err), 100)
    return reason + (" (errno " + str(code) + ")" if code else "")


def setup(app):
    choice = app.settings.get(FORMAT)
    if choice == "Disabled":
        return None
    return SDOutput(app, choice == "JSON", app.settings.get(PREFIX), app.settings.get(START),
                    ROTATE_MS[ROTATE.choices.index(app.settings.get(ROTATE))])
