"""MQTT Client and MQTT Secure Client, run as a user runs them (`python -m host`) against real Mosquitto
brokers on 127.0.0.1: one plain (port 1883's role), one with TLS that requires a client certificate,
both made with the AWS stand-in's helpers (host/aws: certificates, Mosquitto, stop by PID). A paho-mqtt
subscriber checks what arrives on the topic."""
import json
import os
import queue
import time

import paho.mqtt.client as paho
import pytest
from hostrun import STEADY_BUS

from host.aws import devicerun, make_certs
from host.aws.broker import Broker
from host.aws.proc import MissingProgram

TOPIC = "/sparkfun/datalogger1"
INTERVAL = 500


class SiblingBroker(Broker):
    """Mosquitto without the AWS policy: anonymous plain MQTT, or TLS requiring a client certificate
    signed by the test CA (`tls`)."""

    def __init__(self, certs, folder, tls, persist=False):
        super().__init__(certs, folder)
        self.tls = tls
        self.persist = persist  # sessions (and messages queued for them) kept across a stop by PID

    def _write_config(self):
        os.makedirs(self.folder, exist_ok=True)
        conf = os.path.join(self.folder, "mosquitto.conf")
        persistence = ["persistence true", "persistence_location " + os.path.join(self.folder, "")] \
            if self.persist else ["persistence false"]
        lines = ["per_listener_settings false"] + persistence + ["log_dest stdout", "log_type all",
                 "connection_messages true", "allow_anonymous true", "listener %d %s" % (self.port, self.host)]
        if self.tls:
            lines += ["cafile " + self.certs.ca, "certfile " + self.certs.server_cert,
                      "keyfile " + self.certs.server_key, "require_certificate true"]
        if os.getuid() == 0:
            lines.insert(0, "user root")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return conf


@pytest.fixture(scope="module")
def brokers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mqtt")
    certs = make_certs(str(folder / "certs"))
    started = []
    try:
        for tls in (False, True):
            started.append(SiblingBroker(certs, folder / ("tls" if tls else "plain"), tls).start())
    except MissingProgram as exc:
        pytest.fail(str(exc))
    try:
        yield certs, started[0], started[1]
    finally:
        for broker in started:
            broker.stop()


class Subscriber:
    """paho-mqtt subscribed to TOPIC (with the test CA and a valid client certificate for TLS)."""

    def __init__(self, broker, certs=None, persistent=False):
        self.messages = queue.Queue()
        # persistent: a session the broker keeps (with a persist=True broker, across its restarts), so
        # what is published while this client reconnects waits for it
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="checker-%d" % broker.port,
                                  clean_session=not persistent)
        self.client.reconnect_delay_set(1, 1)
        if certs is not None:
            self.client.tls_set(ca_certs=certs.ca, certfile=certs.other_cert, keyfile=certs.other_key)
        subscribed = queue.Queue()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(TOPIC, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rc, p: subscribed.put(True)
        self.client.on_message = lambda c, u, m: self.messages.put(m.payload)
        self.client.connect("localhost", broker.port)
        self.client.loop_start()
        subscribed.get(timeout=10)

    def until(self, entry, timeout=30, done=None):
        """Every message until one with General.Entry `entry` or later (as they came), or until
        done(the entries so far) is true."""
        out = []
        end = time.monotonic() + timeout
        while not out or (not done([m["General"]["Entry"] for m in out]) if done else out[-1]["General"]["Entry"] < entry):
            left = end - time.monotonic()
            assert left > 0, "entry %d never came; got %s" % (entry, [m["General"]["Entry"] for m in out][-20:])
            try:
                out.append(json.loads(self.messages.get(timeout=left)))
            except queue.Empty:
                pass
        return out

    def take(self, count, timeout=20):
        out = []
        end = time.monotonic() + timeout
        while len(out) < count:
            out.append(json.loads(self.messages.get(timeout=max(0.1, end - time.monotonic()))))
        return out

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def Logger(tmp_path, extra, interval=INTERVAL):
    settings = ('LOGGING_TIMER_INTERVAL = %d\nLOGGER_TIMESTAMP_MODE = "ms since start"\nNTP_CLIENT_ENABLED = 0\n'
                % interval) + extra
    return devicerun.Logger(tmp_path, settings, STEADY_BUS)


def plain_toml(broker):
    return ('MQTT_CLIENT_ENABLED = 1\nMQTT_CLIENT_SERVER = "localhost"\nMQTT_CLIENT_PORT = %d\n'
            'MQTT_CLIENT_MQTT_TOPIC = "%s"\nMQTT_CLIENT_CLIENT_NAME = "logger-plain"\n' % (broker.port, TOPIC))


def secure_toml(broker, cert="client.crt", key="client.key", ca="ca.pem"):
    return ('MQTT_SECURE_CLIENT_ENABLED = 1\nMQTT_SECURE_CLIENT_SERVER = "localhost"\nMQTT_SECURE_CLIENT_PORT = %d\n'
            'MQTT_SECURE_CLIENT_MQTT_TOPIC = "%s"\nMQTT_SECURE_CLIENT_CA_CERT_FILENAME = "%s"\n'
            'MQTT_SECURE_CLIENT_CLIENT_CERT_FILENAME = "%s"\nMQTT_SECURE_CLIENT_CLIENT_KEY_FILENAME = "%s"\n'
            % (broker.port, TOPIC, ca, cert, key))


def card(logger, certs):
    """The CA, a client certificate and key the broker trusts, and ones signed by another CA."""
    for name, path in (("ca.pem", certs.ca), ("client.crt", certs.cert), ("client.key", certs.key),
                       ("wrong.crt", certs.wrong_cert), ("wrong.key", certs.wrong_key),
                       ("wrong-ca.pem", certs.wrong_ca)):
        (logger.sd / name).write_text(open(path).read())


def check_observations(messages, logger):
    """Each message is an observation's JSON, the same observation as one of the console's lines (read
    from the logger's pipe a moment after the message may have come)."""
    def console():
        return {line.split(",")[0] for line in list(logger.lines) if line.split(",")[0].isdigit()}

    end = time.monotonic() + 5
    for doc in messages:
        assert set(doc) == {"General", "MAX17048", "BME280"}, doc
        assert doc["BME280"]["TemperatureC"] == 21.502 and doc["MAX17048"]["Voltage (V)"] == 4.1
        while str(doc["General"]["Time (millis)"]) not in console() and time.monotonic() < end:
            time.sleep(0.05)
        assert str(doc["General"]["Time (millis)"]) in console()
    entries = [doc["General"]["Entry"] for doc in messages]
    assert entries == sorted(entries) and len(set(entries)) == len(entries), entries


def test_mqtt_client_publishes_each_observation_and_comes_back_after_the_broker(brokers, tmp_path):
    certs, plain, _ = brokers
    subscriber = Subscriber(plain)
    logger = Logger(tmp_path, plain_toml(plain))
    try:
        logger.wait("[I] MQTT Client: connected to localhost:%d as logger-plain; observations go to %s"
                    % (plain.port, TOPIC))
        logger.wait("delivered to %s (PUBACK)" % TOPIC)
        check_observations(subscriber.take(4), logger)
        # The broker stops (by its PID) and comes back on the same port: said, logging goes on, reconnected.
        plain.stop()
        logger.wait("[W] MQTT Client: connection lost (", timeout=30)
        seen = len(logger.times())
        plain.start()
        logger.wait("[I] MQTT Client: connected to", count=2, timeout=30)
        subscriber.close()
        subscriber = Subscriber(plain)
        after = subscriber.take(2)
        check_observations(after, logger)
        logger.type("!mqtt\n")
        logger.wait("MQTT Client: connects 2; last error: ")
    finally:
        subscriber.close()
        logger.stop()
    assert len(logger.times()) > seen  # serial logging went on
    assert logger.largest_gap() <= INTERVAL + 1400, logger.largest_gap()
    text = logger.console()
    assert "MQTT Client: observations sent " in text and "delivered " in text
    assert text.count("[W] MQTT Client: connection lost") == 1


def test_mqtt_secure_client_with_a_client_certificate(brokers, tmp_path):
    certs, _, tls = brokers
    subscriber = Subscriber(tls, certs)
    logger = Logger(tmp_path, secure_toml(tls))
    card(logger, certs)
    try:
        logger.wait("[I] MQTT Secure Client: connected to localhost:%d (TLS)" % tls.port)
        logger.wait("delivered to %s (PUBACK)" % TOPIC)
        check_observations(subscriber.take(3), logger)
        logger.type("!mqtts\n!settings\n")
        logger.wait("MQTT Secure Client: connects 1; last error: none")
        logger.wait("MQTT_SECURE_CLIENT_CLIENT_KEY_FILENAME = ")
    finally:
        subscriber.close()
        logger.stop()
    assert "-----BEGIN" not in logger.console()


def test_wrong_certificates_are_refused_and_named_and_logging_goes_on(brokers, tmp_path):
    certs, _, tls = brokers
    cases = {
        "client certificate from another CA": (secure_toml(tls, cert="wrong.crt", key="wrong.key"),
                                               "MQTT Secure Client: TLS with localhost:%d: the server " % tls.port),
        "no client certificate": (secure_toml(tls, cert="", key=""),
                                  "MQTT Secure Client: TLS with localhost:%d: the server " % tls.port),
        "wrong CA": (secure_toml(tls, ca="wrong-ca.pem"), "not verified by the CA certificate"),
        "missing key file": (secure_toml(tls, key="nope.key"), "Client Key Filename: sd/nope.key is missing"),
    }
    loggers = {}
    try:
        for i, (name, (extra, _)) in enumerate(cases.items()):
            loggers[name] = Logger(tmp_path / str(i), extra)
            card(loggers[name], certs)
        for name, (_, message) in cases.items():
            loggers[name].wait(message)
        for name, logger in loggers.items():
            if "missing" not in name:
                logger.wait("trying again in")
        time.sleep(2.5)  # the next attempts: the same trouble is not said again
    finally:
        for logger in loggers.values():
            logger.stop()
    for name, logger in loggers.items():
        text = logger.console()
        assert "delivered" not in text and "connected to" not in text, name
        said = [line for line in text.splitlines() if line.startswith("[W] MQTT Secure Client: ")]
        assert len(said) == 1, (name, said)  # said once
        assert len(logger.times()) >= 5, name  # logging went on
        assert logger.card_lines() >= 5, name


def logged(logger):
    """General.Entry of the newest observation on the console."""
    return int([line for line in logger.lines if line.split(",")[0].isdigit()][-1].split(",")[1])


def card_entries(logger):
    """General.Entry of every observation in the card's log files (one boot)."""
    out = []
    for path in sorted(logger.sd.glob("sfe*.txt")):
        lines = path.read_text().splitlines()
        column = lines[0].split(",").index("General.Entry")
        out += [int(line.split(",")[column]) for line in lines[1:] if line[:1].isdigit()]
    return out


def once_in_order(entries, repeats):
    """The entries with repeats in a row removed. MQTT is at least once: a PUBLISH whose PUBACK was lost
    with the link is sent again by the logger after the reconnect, and the broker (its session kept)
    may deliver its last one to the subscriber again; so at most `repeats` arrive twice, next to each
    other (AWS IoT can tell from the shadow document, test_aws_outage.py; a broker cannot)."""
    unique = [e for i, e in enumerate(entries) if i == 0 or e != entries[i - 1]]
    assert len(entries) - len(unique) <= repeats, entries
    return unique


def test_with_an_outbox_every_entry_arrives_once_in_order_across_a_broker_outage(brokers, tmp_path):
    # The outbox on (its default), 300 ms interval, the broker stopped by PID for 3 s: every entry logged
    # arrives, from the first (queued before the first connect) to the last, each once, in order; the card
    # has them.
    certs = brokers[0]
    broker = SiblingBroker(certs, tmp_path / "broker", False, persist=True).start()
    subscriber = Subscriber(broker, persistent=True)
    logger = Logger(tmp_path / "logger", plain_toml(broker), interval=300)  # the outbox on: its default
    try:
        logger.wait("delivered to %s (PUBACK)" % TOPIC)
        logger.wait(",5,")  # a few delivered live
        broker.stop()
        logger.wait("[W] MQTT Client: connection lost (", timeout=30)
        time.sleep(3)  # ~10 observations into the outbox on the card
        assert list(logger.sd.glob("mqtt-outbox.*"))
        broker.start()
        logger.wait("[I] MQTT Client: connected to", count=2, timeout=30)
        last = logged(logger) + 2  # the outbox drained, and the live ones behind it
        got = subscriber.until(last)
        logger.type("!mqtt\n")
        logger.wait("MQTT Client: outbox (SD card): ")
    finally:
        subscriber.close()
        logger.stop()
        broker.stop()
    sent = once_in_order([m["General"]["Entry"] for m in got], 2)
    assert sent == list(range(1, len(sent) + 1)), sent
    check_observations([m for i, m in enumerate(got) if i == 0 or m != got[i - 1]], logger)
    on_card = card_entries(logger)
    assert on_card[:len(sent)] == sent and len(on_card) >= last  # the card's log has every one
    assert logger.count("[W] MQTT Client: connection lost") == 1
    assert "outbox full" not in logger.console()
    assert logger.largest_gap() <= 300 + 1400, logger.largest_gap()
