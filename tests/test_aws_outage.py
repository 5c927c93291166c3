"""The issue's outages, at its own figures: logging at 1 s (Minimum Update Interval at its default,
1 s, so every observation is an update), the broker killed by its PID for 10 s and then WiFi dropped
for 10 s, and a reboot (code.py restarted, as Ctrl-C and a start) in the middle of a 10 s outage.
Every entry logged reaches the shadow service exactly once, in order, and the card's log has them
all. Against the local AWS IoT stand-in (Mosquitto, the shadow service) and a real NTP server."""
import os
import signal
import time

from aws_fixtures import aws_standin, ntp_server  # noqa: F401  (pytest fixtures)
from hostrun import STEADY_BUS
from shadowlog import THING, boots, card_runs, drained, entries_sent, logged, stop

from host.aws import devicerun
from host.aws.devicerun import aws_toml, restart, toml

OUTAGE_S = 10


def start(tmp_path, standin, ntp):
    # Nothing about the outbox is set: it is on by default (64 KB on the card).
    # Wall-clock times (the default's kind): they tell one boot's observation from another's,
    # which lets the logger see from the shadow document what arrived before a confirmation was lost.
    settings = toml("127.0.0.1:%d" % ntp.port, interval=1000, extra=aws_toml(standin), mode="epoch ms")
    return devicerun.Logger(tmp_path, settings, STEADY_BUS, card_files=standin.certs)


def test_broker_killed_then_wifi_dropped_for_10_s_each_every_entry_reaches_the_shadow_once(
        aws_standin, ntp_server, tmp_path):
    # make soak: SOAK_OUTAGES rounds of both (each ~45 s); make test: one.
    rounds = int(os.environ.get("SOAK_OUTAGES", "1"))
    before = len(aws_standin.accepted(THING))
    logger = start(tmp_path, aws_standin, ntp_server)
    held = []  # observations each outage held back
    try:
        logger.wait("delivered (PUBACK)", count=3)
        synced = len(logger.times())  # from here on the clock is NTP's: no step in General.Time
        for n in range(rounds):
            aws_standin.kill_broker()
            logger.wait("[W] AWS IoT: connection lost", count=2 * n + 1)
            down = logged(logger)
            time.sleep(OUTAGE_S)
            aws_standin.restart_broker()
            logger.wait("[I] AWS IoT: connected to", count=2 * n + 2, timeout=40)
            back = drained(logger, aws_standin, before)
            held.append(back - down)
            logger.proc.send_signal(signal.SIGUSR1)  # the access point goes away
            logger.wait("[W] WiFi: lost \"SimNet\"", count=n + 1)
            down = logged(logger)
            time.sleep(OUTAGE_S)
            logger.proc.send_signal(signal.SIGUSR2)  # and comes back
            logger.wait("[I] AWS IoT: connected to", count=2 * n + 3, timeout=40)
            back = drained(logger, aws_standin, before)
            held.append(back - down)
        last = drained(logger, aws_standin, before)
    finally:
        stop(logger, aws_standin)
    assert min(held) >= OUTAGE_S, held  # each outage held back 10 or more
    sent = entries_sent(aws_standin, before)
    assert sent[:last] == list(range(1, last + 1)), sent  # every one, once, in order
    assert len(sent) - last <= 1  # and perhaps the one logged as the test stopped
    (on_card,) = card_runs(logger)
    assert on_card[:last] == list(range(1, last + 1))  # the SD log has them all too
    assert "Traceback" not in logger.console()
    gap = logger.largest_gap(synced)
    assert gap <= 1000 + 400, gap  # logging went on at 1 s throughout


def test_a_reboot_in_the_middle_of_a_10_s_outage_loses_and_repeats_nothing(aws_standin, ntp_server, tmp_path):
    before = len(aws_standin.accepted(THING))
    logger = start(tmp_path, aws_standin, ntp_server)
    try:
        logger.wait("delivered (PUBACK)", count=3)
        aws_standin.kill_broker()
        logger.wait("[W] AWS IoT: connection lost")
        time.sleep(OUTAGE_S / 2)
        restart(logger, kill=False)  # code.py restarted: the first boot stops as Ctrl-C stops it
        logger.wait("observations wait in the outbox from before the restart")
        time.sleep(OUTAGE_S / 2)
        aws_standin.restart_broker()
        logger.wait("[I] AWS IoT: connected to", count=2, timeout=40)
        time.sleep(2)
        last = drained(logger, aws_standin, before)
    finally:
        stop(logger, aws_standin)
    first, second = card_runs(logger)  # the card's log: both boots, every entry
    assert first == list(range(1, len(first) + 1)) and second[:last] == list(range(1, last + 1))
    sent = boots(entries_sent(aws_standin, before))
    assert len(sent) == 2, sent
    assert sent[0] == first, (sent[0], first)  # the first boot's, every one once, in order
    assert sent[1][:last] == list(range(1, last + 1)) and len(sent[1]) - last <= 1, sent[1]
    assert len(first) >= 3 + OUTAGE_S // 2 - 1
