# A bounded outbox of observations an IoT service could not deliver yet (loaded only when a
# service that uses it is enabled; see plugins/iot/awsclient.py).
#
#   box = Outbox(folder, name, size_kb, ram_entries)
#       folder: the card's folder ("sd"), or None for a RAM ring of `ram_entries` (no card)
#       name: the service's short name ("aws"): its files are <folder>/<name>-outbox.<n>
#   box.put(entry_number, time, payload) -> how many of the oldest entries this put dropped
#       (the outbox was full: "Outbox Size" KB on the card, ram_entries in RAM)
#   box.peek() -> (entry_number, time, payload) of the oldest entry, or None
#   box.next() -> the entry after the one next() gave last (from the oldest after rewind()),
#       for sending several before the first is confirmed; None when all were given
#   box.rewind() -> next() starts again at the oldest (the link was lost: nothing in flight)
#   box.confirm() -> the oldest entry leaves (its service confirmed it); confirmations of
#       entries dropped while in flight are absorbed, so the right one leaves
#   box.pending (entries waiting), box.dropped (dropped since the outbox was made, kept on
#       the card), box.error (why the card was given up for RAM, else None)
#
# On the card: up to SEGMENTS append-only files of size_kb / SEGMENTS each, one line per entry,
# "<entry> <time> <byte length> <payload>\n": a line cut short by a power cut (or a kill -9) fails
# its length check and is skipped, so it loses only the entry being written. When the newest file
# is full a new one starts; with more than SEGMENTS files, the oldest is deleted and its waiting
# entries counted as dropped (the newest are kept). A file whose entries were all confirmed is
# deleted. Where the oldest waiting entry is (file, offset) and the drop count are in a small head
# record, written at each confirm and drop to two files in turn (<name>-outbox.h0/.h1, sequence
# numbered and checked): a cut while writing one leaves the other, one step older, so a crash
# between a confirm and its record resends that one entry, never loses one.
import os

from core.app import release

SEGMENTS = 4


def _rare(name, box):
    # What only a start (load: recovery) or a full outbox (drop) needs is in core/outboxload.py,
    # imported for the call and released after, so its code costs heap only meanwhile.
    from core import outboxload
    try:
        return getattr(outboxload, name)(box)
    finally:
        release(("core.outboxload",))


class Outbox:
    def __init__(self, folder, name, size_kb, ram_entries):
        self.pending = 0
        self.dropped = 0
        self.error = None
        self.ram = []  # the RAM ring (no card): [(entry, time, payload)]
        self.ram_entries = ram_entries if ram_entries > 0 else 1
        self.given = 0  # RAM: how many next() gave since the last rewind, not yet confirmed
        self.ghosts = 0  # confirmations still to come for entries dropped while in flight
        self.folder = folder
        self.prefix = "" if folder is None else folder + "/" + name + "-outbox."
        self.seg_bytes = size_kb * 1024 // SEGMENTS
        self.segs = []  # the segment numbers on the card, oldest first
        self.sizes = []  # their sizes in bytes
        self.head = (0, 0)  # (segment, offset) of the oldest waiting entry
        self.cursor = (0, 0)  # where next() reads
        self.flight = []  # [(segment, end offset)] of the entries next() gave, oldest first
        self.seq = 0
        self.torn = False  # the newest file ends in a cut line: the next put starts a new line
        if folder is not None:
            try:
                _rare("load", self)
            except OSError as err:
                self._fail(err)

    # --- the card ----------------------------------------------------------------------

    def path(self, seg):
        return self.prefix + str(seg)

    def _read(self, at):
        # The entry at `at` (skipping lines that fail their check) and where the next one starts;
        # (None, at) at the end.
        seg, off = at
        while seg in self.segs:
            i = self.segs.index(seg)
            if off < self.sizes[i]:
                with open(self.path(seg), "rb") as f:
                    f.seek(off)
                    while True:
                        line = f.readline()
                        if not line.endswith(b"\n"):
                            break  # the end, or a line still being written
                        off += len(line)
                        record = _parse(line)
                        if record is not None:
                            return record, (seg, off)
            if i + 1 >= len(self.segs):
                break
            seg, off = self.segs[i + 1], 0
        return None, at

    def _write_head(self):
        self.seq += 1
        seg, off = self.head
        text = (str(self.seq) + " " + str(seg) + " " + str(off) + " " + str(self.dropped) + " "
                + str(_check(self.seq, seg, off, self.dropped)) + "\n")
        with open(self.prefix + "h" + str(self.seq % 2), "wb") as f:
            f.write(text.encode())

    def _fail(self, err):
        # The card failed: the outbox goes on in RAM (what waited on the card stays there, and is
        # read again at the next start with the card).
        self.error = "outbox on the card given up for RAM (" + str(err) + ")"
        self.folder = None
        self.pending = len(self.ram)
        self.ghosts += len(self.flight)  # their confirmations are the card's entries', not the RAM's
        self.flight = []
        self.given = 0

    # --- the API -----------------------------------------------------------------------

    def put(self, entry, time, payload):
        if self.folder is None:
            return self._put_ram(entry, time, payload)
        data = payload.encode()
        line = (str(entry) + " " + str(time) + " " + str(len(data)) + " ").encode() + data + b"\n"
        if self.torn:
            line = b"\n" + line
        dropped = 0
        try:
            if not self.segs or (self.sizes[-1] and self.sizes[-1] + len(line) > self.seg_bytes):
                seg = self.segs[-1] + 1 if self.segs else self.head[0] + 1
                if not self.segs:
                    self.head = self.cursor = (seg, 0)
                self.segs.append(seg)
                self.sizes.append(0)
                if self.torn:
                    line = line[1:]
                while len(self.segs) > SEGMENTS:
                    dropped += _rare("drop", self)
            with open(self.path(self.segs[-1]), "ab") as f:
                f.write(line)
        except OSError as err:
            self._fail(err)
            return dropped + self._put_ram(entry, time, payload)
        self.torn = False
        self.sizes[-1] += len(line)
        self.pending += 1
        return dropped

    def _put_ram(self, entry, time, payload):
        ram = self.ram
        dropped = 0
        while len(ram) >= self.ram_entries:
            ram.pop(0)
            dropped += 1
            if self.given:
                self.given -= 1
                self.ghosts += 1  # sent: counted as dropped only if never confirmed (rewind)
                dropped -= 1
        ram.append((entry, time, payload))
        self.pending = len(ram)
        self.dropped += dropped
        return dropped

    def peek(self):
        if self.folder is None:
            return self.ram[0] if self.ram else None
        try:
            return self._read(self.head)[0]
        except OSError as err:
            self._fail(err)
            return self.peek()

    def next(self):
        if self.folder is None:
            if self.given >= len(self.ram):
                return None
            self.given += 1
            return self.ram[self.given - 1]
        try:
            record, at = self._read(self.cursor)
        except OSError as err:
            self._fail(err)
            return self.next()
        if record is not None:
            self.cursor = at
            self.flight.append(at)
        return record

    def rewind(self):
        self.dropped += self.ghosts  # dropped while in flight, and their confirmation will never come
        self.given = 0
        self.ghosts = 0
        self.flight = []
        self.cursor = self.head

    def confirm(self):
        if self.ghosts:
            self.ghosts -= 1
            return
        if self.folder is None:
            if self.ram:
                self.ram.pop(0)
                if self.given:
                    self.given -= 1
            self.pending = len(self.ram)
            return
        try:
            if self.flight:
                at = self.flight.pop(0)
            else:
                record, at = self._read(self.head)
                if record is None:
                    return
                if self.cursor == self.head:
                    self.cursor = at
            self.head = at
            self.pending -= 1
            segs = self.segs
            while len(segs) > 1 and (segs[0] < at[0] or (segs[0] == at[0] and at[1] >= self.sizes[0])):
                os.remove(self.path(segs[0]))  # all its entries confirmed
                segs.pop(0)
                self.sizes.pop(0)
                if at[0] < segs[0]:
                    at = self.head = (segs[0], 0)
                if self.cursor[0] < segs[0]:
                    self.cursor = at
            self._write_head()
        except OSError as err:
            self._fail(err)


def _check(seq, seg, off, dropped):
    return (seq * 7 + seg * 31 + off * 131 + dropped * 17) % 65521


def _parse(line):
    # (entry, time, payload) of a whole line, or None if it fails its check (a cut line).
    a = line.find(b" ")
    b = line.find(b" ", a + 1)
    c = line.find(b" ", b + 1)
    if a <= 0 or b <= 0 or c <= 0:
        return None
    try:
        entry = int(line[:a])
        time = int(line[a + 1:b])
        size = int(line[b + 1:c])
    except ValueError:
        return None
    data = line[c + 1:-1]
    if len(data) != size:
        return None
    try:
        return entry, time, data.decode()
    except UnicodeError:
        return None
