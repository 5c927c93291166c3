"""What reached the shadow and what the card holds, for the outbox tests (test_aws_outbox.py,
test_aws_outage.py): General.Entry of every accepted update, of every logged line, per boot."""
import time

THING = "TestThing23"


def entries_sent(standin, before):
    """General.Entry of every update the shadow accepted since `before`, in the order accepted."""
    return [u["state"]["reported"]["General"]["Entry"] for u in standin.accepted(THING)[before:]]


def card_runs(logger):
    """General.Entry of every observation in the card's log files, one list per boot."""
    runs = []
    for path in sorted(logger.sd.glob("sfe*.txt")):
        lines = path.read_text().splitlines()
        column = lines[0].split(",").index("General.Entry")
        entries = [int(line.split(",")[column]) for line in lines[1:] if line[:1].isdigit()]
        if entries and entries[0] == 1 or not runs:
            runs.append([])
        runs[-1].extend(entries)
    return runs


def logged(logger):
    """The General.Entry of the newest observation on the console."""
    return int([line for line in logger.lines if line[:1].isdigit()][-1].split(",")[1])


def wait_drained(logger, standin, before, last_entry, timeout=40.0):
    """Until the shadow has accepted entry `last_entry` of the current boot."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sent = entries_sent(standin, before)
        if sent and sent[-1] >= last_entry:
            return
        time.sleep(0.1)
    raise AssertionError("entry %d never reached the shadow; got %s\n%s"
                         % (last_entry, entries_sent(standin, before)[-20:], "\n".join(logger.lines[-30:])))


def boots(sent):
    """The entries the shadow accepted, split where a later boot starts again at 1."""
    runs = []
    for entry in sent:
        if entry == 1 or not runs:
            runs.append([])
        runs[-1].append(entry)
    return runs


def drained(logger, standin, before):
    """Until the shadow has accepted the newest entry logged by now; that entry."""
    last = logged(logger)
    wait_drained(logger, standin, before, last)
    return last


def stop(logger, standin):
    """The logger stopped, and the broker running again if the test left it down."""
    logger.stop()
    if standin.broker.proc is None or standin.broker.proc.poll() is not None:
        standin.restart_broker()
