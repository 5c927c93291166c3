# The console's dropped lines: the short wait, the count and its report (core/console.py says
# why). Loaded when a line first does not fit the USB FIFO; released once the report is said
# (core.app.release), so a logger whose console is read keeps none of it.
import time

from adafruit_ticks import ticks_diff, ticks_ms

from core.console import FIFO_BYTES

WAIT_MS = 10  # how long a line may wait for a reading host, once per stall
REPORT_MS = 10000  # drop reports at most this often
REPORT_BYTES = 128  # room for the drop report (it is shorter)


def write(out, text, need, limit, end="\n"):
    # Print `text` (`need` bytes with its CR LF, if `end`) if it fits under `limit` in the FIFO, after
    # a short wait; else drop it, and every line after it at once until the FIFO has emptied.
    cdc = out.cdc
    if out.stalled and cdc.out_waiting or not room(cdc, need, limit, WAIT_MS):
        out.stalled = True
        out.dropped += 1
        if limit == FIFO_BYTES:
            out.dropped_messages += 1
        return False
    out.stalled = False  # the FIFO has emptied: the host reads again
    if out.dropped:
        report(out, need)
    if end:
        print(text)
    else:
        print(text, end="")  # a menu prompt (core.console's Output.prompt)
    return True


def room(cdc, need, limit, wait):
    # Whether `need` bytes fit under `limit` in the FIFO, now or within `wait` ms.
    while True:
        waiting = cdc.out_waiting
        if waiting + need <= limit or need > limit and not waiting:  # longer: an empty FIFO will do
            return True
        if not wait:
            return False
        wait -= 1
        time.sleep(0.001)  # the USB task runs meanwhile


def idle(out):
    # From the loop, while lines are dropped: the count is told once the console is read again.
    cdc = out.cdc
    if cdc is not None and (not cdc.connected or out.stalled and cdc.out_waiting):
        return
    out.stalled = False
    report(out)


def report(out, need=0):
    # Say how many lines were dropped, if the FIFO has room for that and `need` more bytes.
    now = ticks_ms()
    if out.reported_at is not None and ticks_diff(now, out.reported_at) < REPORT_MS:
        return
    if out.cdc is not None and not room(out.cdc, REPORT_BYTES + need, FIFO_BYTES, 0):
        return  # checked before the text is made: this runs on every loop until it is said
    text = "[W] console was not being read: " + str(out.dropped) + " line(s) dropped"
    if out.dropped_messages:
        text += " (" + str(out.dropped_messages) + " of them messages)"
    for name, plugin in out.app.plugins if out.app else ():
        if name == "outputs.sdcard" and getattr(plugin, "file", None) is not None:
            text += "; the observations are on the SD card"  # only while a file is open on it
    out.reported_at = now
    out.dropped = 0
    out.dropped_messages = 0
    print(text)
    from core.app import release
    release(("core.consoledrop",))  # loaded again at the next drop
