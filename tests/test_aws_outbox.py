"""Store and forward (core/outbox.py in plugins/iot/awsclient.py), against the local AWS IoT stand-in
(real Mosquitto, the shadow service) and a real NTP server: a power cut in an outage loses nothing
queued, and a full outbox drops the oldest, says so and tells the shadow. At 300 ms per observation;
the issue's outages at 1 s for 10 s are in test_aws_outage.py."""
import signal
import time

from aws_fixtures import aws_standin, ntp_server  # noqa: F401  (pytest fixtures)
from hostrun import STEADY_BUS

from shadowlog import THING, card_runs, drained, entries_sent, stop

from host.aws import devicerun
from host.aws.devicerun import aws_toml, restart, toml

from core.outbox import Outbox  # the firmware's, to read the card as the next start would (conftest: REPO on the path)

INTERVAL = 300


def start(tmp_path, standin, ntp, extra="", interval=INTERVAL, size=64):
    """The logger with an outbox of `size` KB, and updates allowed a little more often than
    observations: each reaches the shadow."""
    rate = "AWS_IOT_MINIMUM_UPDATE_INTERVAL = %d\nAWS_IOT_OUTBOX_SIZE = %d\n" % (interval - 50, size)
    settings = toml("127.0.0.1:%d" % ntp.port, interval=interval, extra=aws_toml(standin) + rate + extra,
                    mode="epoch ms")  # wall-clock times: see test_aws_outage.start
    return devicerun.Logger(tmp_path, settings, STEADY_BUS, card_files=standin.certs)


def drain(box):
    out = []
    while box.peek() is not None:
        out.append(box.peek())
        box.confirm()
    return out


def test_a_power_cut_in_the_middle_of_an_outage_loses_nothing_queued(aws_standin, ntp_server, tmp_path):
    before = len(aws_standin.accepted(THING))
    logger = start(tmp_path, aws_standin, ntp_server, extra='AWS_IOT_CONFIRMATION = "accepted"\n')
    try:
        logger.wait("accepted, shadow version", count=3)
        aws_standin.kill_broker()
        logger.wait("[W] AWS IoT: connection lost")
        time.sleep(2)
        restart(logger, kill=True)  # kill -9: a power cut while observations are being queued
        first_boot = card_runs(logger)[0]
        box = Outbox(str(logger.sd), "aws", 64, 20)  # the outbox file parses after the cut
        assert box.pending >= 2 * 1000 // INTERVAL - 1
        logger.wait("observations wait in the outbox from before the restart")
        time.sleep(2)
        aws_standin.restart_broker()
        logger.wait("[I] AWS IoT: connected to", timeout=30)
        time.sleep(1)
        last = drained(logger, aws_standin, before)
    finally:
        stop(logger, aws_standin)
    sent = entries_sent(aws_standin, before)  # each once: what the shadow already had is not sent again
    runs = card_runs(logger)
    assert len(runs) == 2 and runs[0] == first_boot
    cut = sent.index(1, 1)  # the second boot's entries start again at 1
    # The first boot's: each once and in order; at most the one being written at the cut is missing.
    assert sent[:cut] == list(range(1, cut + 1)) and cut >= len(first_boot) - 1, (sent[:cut], first_boot)
    assert sent[cut:] == list(range(1, len(sent) - cut + 1))
    assert len(sent) - cut >= last
    left = [e[0] for e in drain(Outbox(str(logger.sd), "aws", 64, 20))]
    # What was not confirmed at the stop waits for the next start (the last one sent may be among
    # them: its confirmation had not come; it is sent again, never lost).
    assert left in (runs[1][len(sent) - cut:], runs[1][len(sent) - cut - 1:]), (left, sent[cut:])


def test_a_full_outbox_drops_the_oldest_says_so_and_tells_the_shadow(aws_standin, ntp_server, tmp_path):
    before = len(aws_standin.accepted(THING))
    # 4 KB: four files of 1 KB, three observations each; an outage of ~25 observations overflows it.
    logger = start(tmp_path, aws_standin, ntp_server, size=4, interval=200)
    try:
        logger.wait("delivered (PUBACK)", count=3)
        logger.proc.send_signal(signal.SIGUSR1)
        logger.wait("[W] WiFi: lost \"SimNet\"")
        logger.wait("[W] AWS IoT: outbox full: the oldest observations waiting are dropped", timeout=20)
        time.sleep(3)
        logger.proc.send_signal(signal.SIGUSR2)
        logger.wait("[I] AWS IoT: connected to", count=2, timeout=30)
        last = drained(logger, aws_standin, before)
        logger.type("!aws\n")
        logger.wait("AWS IoT: outbox (SD card): ")
    finally:
        logger.stop()
    updates = aws_standin.accepted(THING)[before:]
    sent = entries_sent(aws_standin, before)  # each once: what the shadow already had is not sent again
    missing = sorted(set(range(1, sent[-1] + 1)) - set(sent))
    assert missing and min(missing) > 3  # those sent before WiFi went were not dropped
    # The count is said on the console, and the next reported state tells the shadow; it grows while
    # the outbox stays full (the drain starts only once the connection is back).
    assert "[W] AWS IoT: outbox full: the oldest observations waiting are dropped (" in logger.console()
    told = [u["state"]["reported"]["outbox_dropped"] for u in updates if "outbox_dropped" in u["state"]["reported"]]
    assert told and told == sorted(told) and told[-1] == len(missing), (told, missing)
    assert aws_standin.document(THING)["state"]["reported"]["outbox_dropped"] == len(missing)
    report = [line for line in logger.lines if "AWS IoT: outbox (SD card): " in line][-1]
    assert report.endswith("dropped when full %d" % len(missing))
    assert sent[-1] >= last  # the newest were kept
    # At least three of the outbox's four files of the newest: every entry after the last dropped one.
    assert last - max(missing) >= 6 and set(range(max(missing) + 1, last + 1)) <= set(sent)
    on_card = card_runs(logger)[0]
    assert on_card == list(range(1, len(on_card) + 1))  # the card's log has the dropped ones too
