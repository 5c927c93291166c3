# The outbox (core/outbox.py) as MQTT Client, MQTT Secure Client and HTTP IoT use it: imported only
# when a service's "Outbox Size" is set (by mqttconnect.prepare / httpwords.prepare), and kept while it
# runs (put() is called for each observation queued while the service cannot deliver).
#
# AWS IoT opens its outbox with open_box() too (awsprepare._outbox, at its start only), but queues
# with its own awsclient._queue and reports in awsnotes.report: put() and describe() would keep this
# module resident on AWS IoT's heap-critical path.
#
# A service object `c` has: app, name (its section: the console's prefix), outbox, drop_said,
# box_said (the card trouble said), last_error.


def open_box(c, short, size_kb, ram_entries):
    # The outbox on the card if there is one (<card>/<short>-outbox.<n>), else a RAM ring of the newest
    # `ram_entries`; what waits in it from before a restart, or its trouble, is said.
    from core import sdcard
    from core.outbox import Outbox
    card = sdcard.mounted() or sdcard.mount(c.app.settings.get) is None
    box = Outbox(sdcard.ROOT if card else None, short, size_kb, ram_entries)
    c.drop_said = False
    c.box_said = box.error is not None
    if box.error:
        c.app.warn(c.name + ": " + box.error)
    elif not card:
        c.app.info(c.name + ": no SD card: while offline the newest " + str(box.ram_entries)
                   + " observations wait in RAM (lost at a restart)")
    if box.pending:
        c.app.info(c.name + ": " + str(box.pending) + " observations wait in the outbox from before the restart")
    return box


def put(c, entry, text, told=""):
    # Observation `entry` (its JSON `text`) into the outbox, behind the ones waiting; a full outbox
    # drops the oldest: said once until it empties (settled()), counted in box.dropped.
    box = c.outbox
    wall = c.app.wall
    dropped = box.put(entry, wall.epoch_ms() // 1000 if wall.is_set() else 0, text)
    if box.error and not c.box_said:
        c.box_said = True
        c.last_error = box.error
        c.app.warn(c.name + ": " + box.error)
    if dropped and not c.drop_said:
        c.drop_said = True
        c.app.warn(c.name + ": outbox full: the oldest observations waiting are dropped (" + str(box.dropped)
                   + " so far; the card's log holds them)" + told)


def settled(c):
    # After a confirmation: once the outbox is empty, the next drop is said again.
    if not c.outbox.pending:
        c.drop_said = False


def describe(box):
    # The outbox's line of a status report (!mqtt, !mqtts, !http).
    return ("outbox (" + ("SD card" if box.folder else "RAM") + "): " + str(box.pending)
            + " waiting, dropped when full " + str(box.dropped))
