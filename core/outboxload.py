# The outbox's rare paths (core/outbox.py imports this for the call and releases it after):
# load() reads what waits on the card at a start, drop() drops the oldest file of a full outbox.
import os

from core.outbox import _check


def load(box):
    folder = box.folder
    prefix = box.prefix
    start = len(prefix) - len(folder) - 1
    stem = prefix[len(folder) + 1:]
    segs = []
    for file in os.listdir(folder):
        if file.startswith(stem) and file[start:].isdigit():
            segs.append(int(file[start:]))
    segs.sort()
    best = None
    for i in (0, 1):
        record = _head(prefix + "h" + str(i))
        if record is not None and (best is None or record[0] > best[0]):
            best = record
    seg, off = (segs[0] if segs else 0), 0
    if best is not None:
        box.seq, hseg, hoff, box.dropped = best
        if hseg in segs:
            seg, off = hseg, hoff
        elif segs and hseg > segs[0]:  # its file is gone: start at the next one
            for s in segs:
                if s > hseg:
                    seg = s
                    break
    for s in segs[:]:
        if s < seg:  # all its entries were confirmed (a cut came before it was deleted)
            os.remove(box.path(s))
            segs.remove(s)
    box.segs = segs
    box.sizes = [os.stat(box.path(s))[6] for s in segs]
    box.head = box.cursor = (seg, off)
    count = 0
    at = box.head
    while True:
        record, at = box._read(at)
        if record is None:
            break
        count += 1
    box.pending = count
    if segs and box.sizes[-1]:
        with open(box.path(segs[-1]), "rb") as f:
            f.seek(box.sizes[-1] - 1)
            box.torn = f.read(1) != b"\n"


def _head(path):
    # A head record (seq, segment, offset, dropped), or None if missing or cut short.
    try:
        with open(path, "rb") as f:
            parts = f.read(80).split()
        if len(parts) != 5:
            return None
        seq, seg, off, dropped, check = [int(p) for p in parts]
    except (OSError, ValueError):
        return None
    if check != _check(seq, seg, off, dropped):
        return None
    return seq, seg, off, dropped


def drop(box):
    # The oldest file goes (more than SEGMENTS): how many waiting entries it took.
    seg = box.segs[0]
    lost = 0
    at = box.head if box.head[0] == seg else (seg, 0)
    while True:
        record, at = box._read(at)
        if record is None or at[0] != seg:
            break
        lost += 1
    ghosts = box.ghosts
    for item in box.flight[:]:
        if item[0] == seg:  # in flight: its confirmation must not remove a newer entry
            box.flight.remove(item)
            box.ghosts += 1
            lost -= 1  # sent: counted as dropped only if never confirmed (rewind)
    os.remove(box.path(seg))
    box.segs.pop(0)
    box.sizes.pop(0)
    nxt = (box.segs[0], 0)
    if box.head[0] == seg:
        box.head = nxt
    if box.cursor[0] == seg:
        box.cursor = nxt
    box.pending -= lost + box.ghosts - ghosts
    box.dropped += lost
    box._write_head()
    return lost
