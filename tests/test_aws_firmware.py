"""The AWS IoT plugin, WiFi and the NTP clock, run as a user runs them (`python -m host`) against the
local AWS IoT stand-in (Mosquitto with mutual TLS and a policy-like ACL, a shadow service) and a real
chronyd NTP server, all on 127.0.0.1."""
import json
import os
import signal
import socket
import threading
import time

from aws_fixtures import aws_standin, ntp_server  # noqa: F401  (pytest fixtures)
from hostrun import STEADY_BUS

from host.aws import devicerun
from host.aws.devicerun import aws_toml, toml

THING = "TestThing23"
# The seed page's block, exactly; the tests change only Server and Port.
SEED = json.loads("""{"AWS IoT": {
    "Enabled": true, "Port": 8883, "Server": "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com",
    "MQTT Topic": "$aws/things/TestThing23/shadow/update", "Client Name": "TestThing23", "Buffer Size": 0,
    "Username": "", "Password": "", "CA Certificate": "", "Client Certificate": "", "Client Key": "",
    "CA Cert Filename": "AmazonRootCA1.pem", "Client Cert Filename": "TestThing23_DevCert.crt",
    "Client Key Filename": "TestThing23_Private.key"}}""")
INTERVAL = 500
SOCKET_TIMEOUT_MS = 1000  # plugins/iot/awsclient.py SOCKET_TIMEOUT_S: the bound on one network step


def Logger(tmp_path, settings, seed=None, card_files=None, args=()):
    """python -m host in a subprocess on the steady bus (host/aws/devicerun.py, shared with make bench)."""
    return devicerun.Logger(tmp_path, settings, STEADY_BUS, seed=seed, card_files=card_files, args=args)


def no_pem(text):
    assert "-----BEGIN" not in text and "PRIVATE KEY" not in text and "MII" not in text


def check_updates(standin, before, logger):
    """The shadow got the observations in the original's structure, with the values on the console."""
    updates = standin.accepted(THING)[before:]
    assert len(updates) >= 3, updates
    console = {line.split(",")[0]: line for line in logger.lines if line.split(",")[0].isdigit()}
    for update in updates:
        reported = update["state"]["reported"]
        assert list(update["state"]) == ["reported"]
        assert update["clientToken"]
        assert set(reported) == {"General", "MAX17048", "BME280"}
        assert reported["BME280"]["TemperatureC"] == 21.502 and reported["MAX17048"]["Voltage (V)"] == 4.1
        assert str(reported["General"]["Time (millis)"]) in console  # the same observation as the console's line (the column named by "ms since start", as the original)
    versions = [u["version"] for u in updates]
    assert versions == sorted(versions)
    document = standin.document(THING)
    assert document["state"]["reported"]["BME280"]["Humidity"] == 45.001


def test_seed_block_and_card_files_update_the_shadow(aws_standin, ntp_server, tmp_path):
    seed = json.loads(json.dumps(SEED))
    seed["AWS IoT"]["Server"] = "localhost"
    seed["AWS IoT"]["Port"] = aws_standin.port
    before = len(aws_standin.accepted(THING))
    logger = Logger(tmp_path, toml("127.0.0.1:%d" % ntp_server.port), seed=seed, card_files=aws_standin.certs)
    try:
        logger.wait("[I] WiFi: joined \"SimNet\"")  # no WiFi settings: the PC's network
        logger.wait("[I] NTP: clock set from 127.0.0.1:%d" % ntp_server.port)
        logger.wait("[I] AWS IoT: connected to localhost:%d as TestThing23" % aws_standin.port)
        logger.wait("delivered (PUBACK)", count=3)
        logger.type("!aws\n!settings\n")
        logger.wait("AWS IoT: reconnects 0; last error: none")
        logger.wait("AWS_IOT_CLIENT_KEY_FILENAME = ")
    finally:
        logger.stop()
    check_updates(aws_standin, before, logger)
    text = logger.console()
    assert "AWS IoT: connected to localhost:%d since " % aws_standin.port in text
    assert "[I] AWS IoT: updates sent " in text and "confirmed" in text
    assert "AWS_IOT_CLIENT_KEY_FILENAME = \"TestThing23_Private.key\"  (saved settings)" in text
    no_pem(text)
    assert logger.card_lines() >= 4


def test_settings_toml_path_updates_the_shadow(aws_standin, ntp_server, tmp_path):
    before = len(aws_standin.accepted(THING))
    logger = Logger(tmp_path, toml("127.0.0.1:%d" % ntp_server.port, extra=aws_toml(aws_standin)),
                    card_files=aws_standin.certs)
    try:
        logger.wait("delivered (PUBACK)", count=3)
    finally:
        logger.stop()
    check_updates(aws_standin, before, logger)
    no_pem(logger.console())


def _inline(path):
    return open(path).read().replace("\n", "\\n")


def test_inline_pem_is_written_to_the_card_and_never_shown(aws_standin, ntp_server, tmp_path):
    certs = aws_standin.certs
    extra = ('AWS_IOT_ENABLED = 1\nAWS_IOT_SERVER = "localhost"\nAWS_IOT_PORT = %d\nAWS_IOT_CLIENT_NAME = "%s"\n'
             'AWS_IOT_CA_CERTIFICATE = "%s"\nAWS_IOT_CLIENT_CERTIFICATE = "%s"\nAWS_IOT_CLIENT_KEY = "%s"\n'
             'AWS_IOT_CONFIRMATION = "accepted"\n'
             % (aws_standin.port, THING, _inline(certs.ca), _inline(certs.cert), _inline(certs.key)))
    before = len(aws_standin.accepted(THING))
    logger = Logger(tmp_path, toml("127.0.0.1:%d" % ntp_server.port, extra=extra))
    try:
        logger.wait("accepted, shadow version", count=3)  # confirmed by update/accepted with our clientToken
        logger.type("!settings\n")
        logger.wait("AWS_IOT_CLIENT_KEY = ****")
    finally:
        logger.stop()
    check_updates(aws_standin, before, logger)
    assert (logger.sd / "aws-iot-key.pem").read_text().strip() == open(certs.key).read().strip()
    no_pem(logger.console())


def test_refusals_are_named_nothing_is_sent_and_logging_goes_on(aws_standin, ntp_server, tmp_path):
    certs = aws_standin.certs
    ntp = "127.0.0.1:%d" % ntp_server.port
    cases = {
        "wrong CA": (aws_toml(aws_standin, ca="wrong_ca.pem"),
                     "not verified by the CA certificate"),
        "no client cert": (aws_toml(aws_standin, cert=""),
                           "Client Certificate and Client Cert Filename are both empty"),
        "another thing's cert": (aws_toml(aws_standin, cert="other.crt", key="other.key"),
                                 "no answer from the Thing's shadow to update"),
        "port 1883": (aws_toml(aws_standin, port=1883), "Port (AWS_IOT_PORT) is 1883"),
        "missing file": (aws_toml(aws_standin, key="nope.key"),
                         "Client Key Filename: sd/nope.key is missing on the card; waiting"),
    }
    before = len(aws_standin.accepted(THING))
    loggers = {}
    for i, (name, (extra, _)) in enumerate(cases.items()):
        folder = tmp_path / str(i)
        logger = loggers[name] = Logger(folder, toml(ntp, extra=extra), card_files=certs)
        (logger.sd / "wrong_ca.pem").write_text(open(certs.wrong_ca).read())
        (logger.sd / "other.crt").write_text(open(certs.other_cert).read())
        (logger.sd / "other.key").write_text(open(certs.other_key).read())
    try:
        for name, (_, message) in cases.items():
            loggers[name].wait(message)
        time.sleep(2)
    finally:
        for logger in loggers.values():
            logger.stop()
    assert len(aws_standin.accepted(THING)) == before  # nothing reached the shadow
    for name, logger in loggers.items():
        assert "delivered" not in logger.console(), name
        assert len(logger.times()) >= 4, name  # serial logging went on
        assert logger.card_lines() >= 4, name  # and SD logging
        no_pem(logger.console())


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_log_loop_never_waits_longer_than_one_network_step(aws_standin, ntp_server, tmp_path):
    """The largest gap between log ticks while the broker is down, black-holed and refusing."""
    black_hole = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel does) and never answers
    interval = 200
    ntp = "127.0.0.1:%d" % ntp_server.port
    cases = {
        "down": aws_toml(aws_standin, port=_closed_port()),
        "black-holed": aws_toml(aws_standin, port=black_hole.getsockname()[1]),
        "refusing": aws_toml(aws_standin, ca="AmazonRootCA1.pem", cert="wrong.crt", key="wrong.key"),
    }
    loggers = {}
    try:
        for i, (name, extra) in enumerate(cases.items()):
            logger = loggers[name] = Logger(tmp_path / str(i), toml(ntp, interval=interval, extra=extra),
                                            card_files=aws_standin.certs)
            (logger.sd / "wrong.crt").write_text(open(aws_standin.certs.wrong_cert).read())
            (logger.sd / "wrong.key").write_text(open(aws_standin.certs.wrong_key).read())
        for logger in loggers.values():
            logger.wait("trying again in", count=1)
        time.sleep(6)  # attempts at about 1, 2 and 4 s
    finally:
        for logger in loggers.values():
            logger.stop()
        black_hole.close()
    figures = {name: logger.largest_gap() for name, logger in loggers.items()}
    print("largest gap between log ticks at %d ms: %s" % (interval, figures))
    for name, logger in loggers.items():
        assert logger.console().count("[W] AWS IoT: ") == 1, (name, logger.console())  # said once
        assert figures[name] <= interval + SOCKET_TIMEOUT_MS + 400, (name, figures)
    assert "no answer from localhost" in loggers["black-holed"].console()
    assert "connection refused by localhost" in loggers["down"].console()
    assert "the server refused the TLS connection" in loggers["refusing"].console()


def test_clock_unset_and_ntp_unreachable_waits_then_connects(aws_standin, ntp_server, tmp_path):
    extra = aws_toml(aws_standin) + 'NTP_CLIENT_NTP_SERVER_TWO = "127.0.0.1:%d"\n' % ntp_server.port
    settings = toml("127.0.0.1:%d" % _closed_port(), extra="", mode="epoch ms").replace('NTP_CLIENT_NTP_SERVER_TWO = ""\n', "")
    logger = Logger(tmp_path, settings + extra, card_files=aws_standin.certs, args=["--rtc", "2000-01-01"])
    try:
        logger.wait("AWS IoT: waiting for the clock: it reads 2000-01-01 and no NTP answer has come")
        logger.wait("[W] NTP: no answer from 127.0.0.1:")
        logger.wait("[I] NTP: clock set from 127.0.0.1:%d" % ntp_server.port)  # the second server
        logger.wait("delivered (PUBACK)", count=2)
    finally:
        logger.stop()
    text = logger.console()
    assert text.index("waiting for the clock") < text.index("AWS IoT: connected")
    times = logger.times()
    assert times[0] < 946771200000 < times[-1]  # from 2000 to now
    assert times == sorted(times)  # the clock never ran backwards
    steps = [b - a for a, b in zip(times, times[1:])]
    assert len([s for s in steps if s > 60000]) == 1  # one step forward, at the sync; else the interval
    assert len([t for t in times if t < 946771200000]) >= 1


def test_network_faults_keep_the_ticks_and_reconnect(aws_standin, ntp_server, tmp_path):
    logger = Logger(tmp_path, toml("127.0.0.1:%d" % ntp_server.port, extra=aws_toml(aws_standin)),
                    card_files=aws_standin.certs)
    try:
        logger.wait("delivered (PUBACK)", count=2)
        aws_standin.kill_broker()
        logger.wait("[W] AWS IoT: connection lost")
        mark = len(logger.lines)
        time.sleep(2)
        aws_standin.restart_broker()
        logger.wait("[I] AWS IoT: connected to", count=2, timeout=30)
        gap_broker = max(b - a for a, b in zip(logger.times()[-30:], logger.times()[-29:]))
        logger.proc.send_signal(signal.SIGUSR1)  # the access point goes away
        logger.wait("[W] WiFi: lost \"SimNet\"")
        time.sleep(2)
        logger.proc.send_signal(signal.SIGUSR2)  # and comes back
        logger.wait("[I] WiFi: joined \"SimNet\"", count=2, timeout=30)
        logger.wait("[I] AWS IoT: connected to", count=3, timeout=30)
        logger.wait("delivered (PUBACK)", count=len([l for l in logger.lines if "delivered" in l]) + 1)
        logger.type("!aws\n")
        logger.wait("AWS IoT: reconnects 2;")
    finally:
        logger.stop()
        if aws_standin.broker.proc is None or aws_standin.broker.proc.poll() is not None:
            aws_standin.restart_broker()
    text = logger.console()
    assert text.count("[W] WiFi: lost") == 1 and len(logger.lines) > mark
    print("largest gap between ticks at %d ms, broker killed: %d ms; whole run: %d ms"
          % (INTERVAL, gap_broker, logger.largest_gap()))
    assert logger.largest_gap() <= INTERVAL + SOCKET_TIMEOUT_MS + 400


SOCKET_DRIVER = r"""
for _, poller in app.pollers:
    poller.poll(0)

def sockets():
    time.sleep(0.2)  # the closer thread's last connection is gone
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink("/proc/self/fd/" + fd).startswith("socket:")
        except OSError:
            pass  # the listing's own descriptor
    return count

closer = socket.create_server(("127.0.0.1", 0))  # accepts, then hangs up: a failed TLS handshake
def serve():
    while True:
        conn, _ = closer.accept()
        conn.close()
threading.Thread(target=serve, daemon=True).start()
refused = socket.socket(); refused.bind(("127.0.0.1", 0)); refused_port = refused.getsockname()[1]; refused.close()
good = aws.port
now = 0
def attempt(port):
    global now
    now += 120000  # past any backoff
    aws.backoff.reset()
    if aws.client is not None:
        aws.client.port = port
    aws.poll(now)
    return aws.connected

assert attempt(good)
aws._lost("test"); baseline = (sockets(), socketpool.host_open_sockets())
failed = 0
for i in range(50):
    if not attempt(refused_port if i %% 2 else closer.getsockname()[1]):
        failed += 1
    if i %% 10 == 9:
        assert attempt(good), "reconnect"
        aws._lost("test")
after = (sockets(), socketpool.host_open_sockets())
assert attempt(good)
print("failed", failed, "baseline", baseline, "after", after, "connected", socketpool.host_open_sockets())
app.close()
"""


def test_socket_count_stays_flat_across_50_failed_connects(aws_standin, ntp_server, tmp_path):
    settings = toml("127.0.0.1:%d" % ntp_server.port, extra=aws_toml(aws_standin)) + 'PLUGINS = "iot.aws"\n'
    out = devicerun.run_in_process(tmp_path, settings, aws_standin.certs, SOCKET_DRIVER)
    line = [l for l in out.splitlines() if l.startswith("failed")][0]
    print(line)
    words = line.split()
    assert words[1] == "50"
    baseline = line.split("baseline ")[1].split(" after")[0]
    after = line.split("after ")[1].split(" connected")[0]
    assert baseline == after, line  # no socket left behind by 50 failures and 5 reconnects
    assert words[-1] == "2"  # one TLS connection: 2 of the board's 8 sockets


def test_wifi_off_keeps_the_services_off_though_the_board_joined_by_itself(aws_standin, ntp_server, tmp_path):
    """CircuitPython joins CIRCUITPY_WIFI_* before code.py runs; "WiFi Network / Enabled" off still
    means no network use: no NTP, no AWS IoT connection, said once, logging goes on."""
    settings = ('CIRCUITPY_WIFI_SSID = "SimNet"\nCIRCUITPY_WIFI_PASSWORD = "simpass"\nWIFI_ENABLED = 0\n'
                + toml("127.0.0.1:%d" % ntp_server.port, extra=aws_toml(aws_standin)))
    accepted_before = len(aws_standin.accepted())  # the stand-in is shared with the tests before
    logger = Logger(tmp_path, settings, card_files=aws_standin.certs)
    try:
        logger.wait("WiFi: off (WiFi Network / Enabled, WIFI_ENABLED)")
        logger.wait("DataLogger IoT", count=8, timeout=30)  # observations go on meanwhile
    finally:
        logger.stop()
    text = logger.console()
    assert "WiFi: joined" not in text and "NTP: clock set" not in text and "AWS IoT: connected" not in text
    assert text.count("WiFi: off") == 1
    assert len(aws_standin.accepted()) == accepted_before
