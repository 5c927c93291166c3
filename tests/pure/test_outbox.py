"""core/outbox.py: what an IoT service holds while it cannot deliver, on a real folder (the card)
or in RAM. Runs in the MicroPython VM too, on its own file system."""
import os

from core.outbox import Outbox

_made = [0]


def folder():
    """A new empty folder: a temporary one on the PC, one on the VM's file system."""
    try:
        import tempfile
        return tempfile.mkdtemp()
    except ImportError:
        _made[0] += 1
        path = "/outbox_test_" + str(_made[0])
        os.mkdir(path)
        return path


def payload(n):
    return '{"General":{"Entry":' + str(n) + ',"Time":"t' + str(n) + '"},"BME280":{"Temp \u00b0C":21.5}}'


def drain(box):
    out = []
    while True:
        entry = box.peek()
        if entry is None:
            return out
        out.append(entry)
        box.confirm()


def test_entries_come_back_oldest_first_with_their_number_time_and_payload_after_a_restart():
    card = folder()
    box = Outbox(card, "aws", 64, 10)
    for n in range(1, 6):
        assert box.put(n, 1769467229 + n, payload(n)) == 0
    assert box.pending == 5
    box = Outbox(card, "aws", 64, 10)  # a reboot
    assert box.pending == 5
    assert box.peek() == (1, 1769467230, payload(1))
    box.confirm()
    box.confirm()
    box = Outbox(card, "aws", 64, 10)  # confirmed entries stay gone across a reboot
    assert [e[0] for e in drain(box)] == [3, 4, 5]
    assert box.pending == 0 and box.dropped == 0
    assert Outbox(card, "aws", 64, 10).pending == 0


def test_next_sends_ahead_and_confirm_removes_in_order():
    for card in (folder(), None):
        box = Outbox(card, "aws", 64, 10)
        for n in range(1, 5):
            box.put(n, 0, payload(n))
        assert [box.next()[0] for _ in range(3)] == [1, 2, 3]
        box.confirm()  # entry 1
        assert box.next()[0] == 4 and box.next() is None
        box.rewind()  # the link was lost: 2, 3 and 4 were never confirmed
        assert box.next()[0] == 2
        box.confirm()
        assert [e[0] for e in drain(box)] == [3, 4]


def test_a_full_card_outbox_drops_the_oldest_counts_them_and_keeps_the_newest():
    card = folder()
    box = Outbox(card, "aws", 4, 10)  # 4 KB: four files of 1 KB, ~11 entries each
    dropped = 0
    for n in range(1, 201):
        dropped += box.put(n, 0, payload(n))
    assert dropped == box.dropped and 100 < dropped < 200
    assert box.pending == 200 - dropped and box.pending * 90 >= 3 * 1024  # at least 3 of its 4 KB kept
    on_card = sum(os.stat(card + "/" + f)[6] for f in os.listdir(card) if ".h" not in f)
    assert on_card <= 4 * 1024
    box = Outbox(card, "aws", 4, 10)
    assert box.dropped == dropped  # the count survives a reboot
    entries = [e[0] for e in drain(box)]
    assert entries == list(range(dropped + 1, 201))  # the newest, in order, none twice


def test_entries_dropped_while_in_flight_do_not_take_a_newer_one_with_their_confirmation():
    for card in (folder(), None):
        box = Outbox(card, "aws", 2, 3)
        box.put(1, 0, payload(1))
        assert box.next()[0] == 1  # sent, not yet confirmed
        n = 1
        while box.dropped == 0:
            n += 1
            box.put(n, 0, payload(n))
        assert box.dropped == n - 1 - box.pending  # entry 1 was sent: not counted unless never confirmed
        box.confirm()  # entry 1's confirmation: it was already dropped
        first = box.peek()[0]
        assert first > 1
        box.confirm()
        assert box.peek() is None or box.peek()[0] == first + 1


def test_the_ram_ring_keeps_the_newest():
    box = Outbox(None, "aws", 64, 5)
    dropped = sum(box.put(n, 0, payload(n)) for n in range(1, 13))
    assert dropped == 7 == box.dropped and box.pending == 5
    assert [e[0] for e in drain(box)] == [8, 9, 10, 11, 12]


def test_a_line_cut_by_a_power_cut_loses_only_that_entry():
    card = folder()
    box = Outbox(card, "aws", 64, 10)
    for n in range(1, 4):
        box.put(n, 0, payload(n))
    name = [f for f in os.listdir(card) if ".h" not in f][0]
    with open(card + "/" + name, "ab") as f:
        f.write(b"4 0 80 {\"General\":{\"En")  # the write of entry 4 cut short
    box = Outbox(card, "aws", 64, 10)
    assert box.pending == 3
    box.put(5, 0, payload(5))  # a new line after the cut one
    box = Outbox(card, "aws", 64, 10)
    assert [e[0] for e in drain(box)] == [1, 2, 3, 5]


def test_a_head_record_cut_short_resends_at_most_one_entry():
    card = folder()
    box = Outbox(card, "aws", 64, 10)
    for n in range(1, 6):
        box.put(n, 0, payload(n))
    box.confirm()
    box.confirm()
    newest = card + "/aws-outbox.h" + str(box.seq % 2)
    with open(newest, "wb") as f:
        f.write(b"3 1 ")  # cut while writing the record of the second confirm
    box = Outbox(card, "aws", 64, 10)
    assert [e[0] for e in drain(box)] == [2, 3, 4, 5]  # entry 2 again, none lost


def test_an_entry_dropped_in_flight_and_never_confirmed_counts_as_dropped():
    for card in (folder(), None):
        box = Outbox(card, "aws", 2, 3)
        box.put(1, 0, payload(1))
        box.next()
        n = 1
        while box.peek()[0] == 1:
            n += 1
            box.put(n, 0, payload(n))
        before = box.dropped
        box.rewind()  # the link was lost before entry 1's confirmation came
        assert box.dropped == before + 1
        assert box.next()[0] == box.peek()[0] > 1
