"""The sibling services' outbox (plugins/iot/storeforward.py over core/outbox.py), as AWS IoT's is tested
in test_aws_outbox.py: MQTT Secure Client across a broker outage with a power cut in it, and MQTT
Client's full outbox. Real Mosquitto brokers on 127.0.0.1 (test_mqtt_services.py's), a paho-mqtt
subscriber with a session the broker keeps, `python -m host` as the logger."""
import time

from shadowlog import boots, card_runs
from test_mqtt_services import (TOPIC, Logger, SiblingBroker, Subscriber, card, logged, once_in_order, plain_toml,
                                secure_toml)

from host.aws import make_certs
from host.aws.devicerun import restart


def test_mqtt_secure_client_keeps_what_an_outage_and_a_power_cut_held_back(tmp_path):
    certs = make_certs(str(tmp_path / "certs"))
    broker = SiblingBroker(certs, tmp_path / "broker", True, persist=True).start()
    subscriber = Subscriber(broker, certs, persistent=True)
    # Nothing about the outbox is set: on by default, 64 KB on the card.
    logger = Logger(tmp_path / "logger", secure_toml(broker), interval=300)
    card(logger, certs)
    try:
        logger.wait("delivered to %s (PUBACK)" % TOPIC, timeout=30)
        logger.wait(",4,")
        broker.stop()
        logger.wait("[W] MQTT Secure Client: connection lost (", timeout=30)
        time.sleep(2)
        restart(logger, kill=True)  # kill -9: a power cut while observations are being queued
        first = card_runs(logger)[0]
        logger.wait("[I] MQTT Secure Client: ")
        logger.wait("observations wait in the outbox from before the restart")
        time.sleep(2)
        broker.start()
        logger.wait("[I] MQTT Secure Client: connected to localhost:%d (TLS)" % broker.port, timeout=30)
        last = logged(logger) + 2
        got = subscriber.until(None, timeout=40, done=lambda entries: boots(entries)[1:] and entries[-1] >= last)
    finally:
        subscriber.close()
        logger.stop()
        broker.stop()
    sent = boots([m["General"]["Entry"] for m in got])
    assert len(sent) == 2, sent
    # The first boot's: every one, in order, but the one being written at the cut may be missing.
    old = once_in_order(sent[0], 1)
    assert old == list(range(1, len(old) + 1)) and len(old) >= len(first) - 1, (old, first)
    new = once_in_order(sent[1], 1)
    assert new == list(range(1, len(new) + 1)) and len(new) >= last
    assert len(first) >= 4 + 2 * 1000 // 300 - 1  # the outage was long enough to matter


def test_mqtt_client_full_outbox_drops_the_oldest_counts_and_says_so(tmp_path):
    certs = make_certs(str(tmp_path / "certs"))
    broker = SiblingBroker(certs, tmp_path / "broker", False, persist=True).start()
    subscriber = Subscriber(broker, persistent=True)
    # 4 KB: four files of 1 KB, three observations each; ~25 observations queued overflow it.
    logger = Logger(tmp_path / "logger", plain_toml(broker) + "MQTT_CLIENT_OUTBOX_SIZE = 4\n", interval=200)
    try:
        logger.wait("delivered to %s (PUBACK)" % TOPIC)
        logger.wait(",3,")
        broker.stop()
        logger.wait("[W] MQTT Client: connection lost (", timeout=30)
        logger.wait("[W] MQTT Client: outbox full: the oldest observations waiting are dropped", timeout=20)
        time.sleep(3)
        broker.start()
        logger.wait("[I] MQTT Client: connected to", count=2, timeout=30)
        last = logged(logger) + 2
        got = subscriber.until(last)
        logger.type("!mqtt\n")
        logger.wait("MQTT Client: outbox (SD card): ")
    finally:
        subscriber.close()
        logger.stop()
        broker.stop()
    sent = once_in_order([m["General"]["Entry"] for m in got], 1)
    missing = sorted(set(range(1, sent[-1] + 1)) - set(sent))
    assert missing and min(missing) > 3  # those delivered before the broker went were not dropped
    report = [line for line in logger.lines if "MQTT Client: outbox (SD card): " in line][-1]
    assert report.endswith("dropped when full %d" % len(missing)), (report, missing)
    said = [line for line in logger.lines if "outbox full" in line]
    assert len(said) == 1 and "the card's log holds them" in said[0]  # said once, while it stayed full
    # The newest were kept: every entry after the last dropped one arrived, in order.
    assert sent[sent.index(max(missing) + 1):] == list(range(max(missing) + 1, sent[-1] + 1))
    assert last - max(missing) >= 6
    (on_card,) = card_runs(logger)
    assert on_card == list(range(1, len(on_card) + 1))  # the card's log has the dropped ones too
