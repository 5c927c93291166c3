"""The AWS IoT plugin's protocol behaviours, each run as a user runs the firmware (`python -m host`)
against the local AWS IoT stand-in (Mosquitto with mutual TLS, the moto-based shadow service) and a
real chronyd NTP server, all on 127.0.0.1: the shadow's error codes, the 8 KB state limit, Buffer
Size, the minimum update interval, the keep-alive bounds, the settings checks, `!aws`, and what
counts as delivered.

Loggers that are independent run side by side inside one test. Each uses its own Thing name, so
their MQTT client IDs never take each other's session over; they connect with the stand-in's
wide-policy certificate (like the seed page's policy, with "Resource": "*"), except where the
Thing's own certificate matters.
"""
import json
import os
import signal
import time

from aws_fixtures import aws_standin, fail_next, ntp_server  # noqa: F401  (fixtures)
from hostrun import STEADY_BUS

from host.aws import devicerun
from host.aws.devicerun import aws_toml, toml  # noqa: F401  (test_aws_stall takes them from here)

THING = "TestThing23"


def wide_toml(standin, thing, extra=""):
    """A Thing of its own, with the stand-in's wide-policy certificate (service.crt/.key on the card)."""
    return aws_toml(standin, thing=thing, cert="wide.crt", key="wide.key", extra=extra)


def wide_files(standin):
    """The card files wide_toml names: the stand-in's wide-policy certificate and key."""
    with open(standin.certs.service_cert) as cert, open(standin.certs.service_key) as key:
        return {"wide.crt": cert.read(), "wide.key": key.read()}


def Logger(folder, settings, standin=None, bus=STEADY_BUS):
    """python -m host in a subprocess (devicerun.Logger), with the stand-in's certificates and its
    wide-policy ones (wide_toml) on the card."""
    return devicerun.Logger(folder, settings, bus, card_files=standin.certs if standin else None,
                            files=wide_files(standin) if standin else None)


def counters(status):
    """`!aws`'s figures: {"sent": n, "confirmed": n, "rejected": n, ...}."""
    text = status[1].split("AWS IoT: updates ")[1]
    out = {}
    for part in text.replace(" (PUBACK)", "").replace(" (update/accepted)", "").split(", "):
        words = part.split(" ")
        out[" ".join(words[:-1])] = int(words[-1])
    return out


def stop_all(loggers):
    for logger in loggers:
        logger.stop()



def cloud_update(standin, thing, state):
    """A cloud application's shadow update (paho-mqtt with the stand-in's service certificate)."""
    import paho.mqtt.client as mqtt
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cloud-app-" + thing)
    client.tls_set(ca_certs=standin.certs.ca, certfile=standin.certs.service_cert, keyfile=standin.certs.service_key)
    client.connect(standin.host, standin.port)
    client.loop_start()
    try:
        client.publish("$aws/things/%s/shadow/update" % thing, json.dumps({"state": state}), qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def gaps(stamps):
    return [round(b - a, 2) for a, b in zip(stamps, stamps[1:])]


def stamps_of(logger, text):
    return [t for t, line in zip(list(logger.stamps), list(logger.lines)) if text in line]


# --- the shadow's answers: 409, 413, 400, 403, 429, 500 ---------------------------------------

def test_rejections_are_handled_as_aws_documents_them(aws_standin, ntp_server, tmp_path):
    ntp = "127.0.0.1:%d" % ntp_server.port
    fast = "AWS_IOT_MINIMUM_UPDATE_INTERVAL = 500\n"  # every observation sent, at 500 ms
    puback = Logger(tmp_path / "puback", toml(ntp, extra=wide_toml(aws_standin, "ProtoErrors", fast)), aws_standin)
    throttled = Logger(tmp_path / "throttled", toml(ntp, extra=wide_toml(aws_standin, "ProtoThrottle", fast)),
                       aws_standin)
    accepted = Logger(tmp_path / "accepted", toml(ntp, extra=wide_toml(
        aws_standin, "ProtoErrorsAcc", fast + 'AWS_IOT_CONFIRMATION = "accepted"\n')), aws_standin)
    loggers = [puback, throttled, accepted]

    def delivered(logger, more=1):
        word = "accepted, shadow version" if logger is accepted else "delivered (PUBACK)"
        logger.wait(word, count=logger.count(word) + more)

    try:
        for logger in loggers:
            delivered(logger, 2)
        # Independent Things: their injected answers go at once.
        fail_next(aws_standin, 429, 3, thing="ProtoThrottle")
        fail_next(aws_standin, 500, 2, thing="ProtoErrorsAcc")
        # 409: nothing to re-get (updates carry no version); the next update goes as usual.
        fail_next(aws_standin, 409, 1, thing="ProtoErrors")
        puback.wait("rejected: 409 version conflict: Version conflict; updates carry no version, so the next "
                    "one goes as usual")
        delivered(puback)
        # 413 twice: named once, each update dropped and never retried; then the next goes.
        fail_next(aws_standin, 413, 2, thing="ProtoErrors")
        puback.wait("rejected: 413 payload too large: The payload exceeds the maximum size allowed; that update "
                    "is dropped, not retried (the card holds it)")
        delivered(puback, 2)
        fail_next(aws_standin, 400, 1, thing="ProtoErrors")
        puback.wait("rejected: 400 bad request: Invalid JSON; that update is dropped, not retried")
        fail_next(aws_standin, 403, 1, thing="ProtoErrors")
        puback.wait("rejected: 403 forbidden by the Thing's policy: Forbidden; that update is dropped, not retried "
                    "(the card holds it): does the certificate's policy allow iot:UpdateThingShadow")
        delivered(puback, 2)
        status = puback.status()
        # 429 three times: the time between updates doubles, then comes back once they go through.
        throttled.wait("no longer throttled; one update every 0.5 s", timeout=30)
        delivered(throttled, 3)
        # Confirmation "accepted": 500 slows the rate the same way, and is never counted as delivered.
        accepted.wait("no longer throttled", timeout=30)
        delivered(accepted, 2)
        shadow_before = len(aws_standin.accepted("ProtoErrorsAcc"))
        status_acc = accepted.status()
        shadow_after = len(aws_standin.accepted("ProtoErrorsAcc"))
    finally:
        stop_all(loggers)
    rejected = [r for r in aws_standin.rejected("ProtoErrors") if r["op"] == "update"]  # not the get's 404
    assert [r["code"] for r in rejected] == [409, 413, 413, 400, 403]
    assert all(r["injected"] for r in rejected)
    figures = counters(status)
    assert figures["rejected"] == 5
    # A PUBACKed update the shadow rejected is taken back from the confirmed count.
    assert figures["confirmed"] == figures["sent"] - 5, status
    assert puback.console().count("rejected: 413") == 1  # the second 413 was counted, not said again
    # No rejected update reached the shadow.
    assert not {u["clientToken"] for u in aws_standin.accepted("ProtoErrors")} & {r["clientToken"] for r in rejected}
    # The rate: the gaps between the 429s grew (0.5 s, then 1 s, 1.5 s), then updates are 0.5 s apart again.
    text = throttled.console()
    for wait in ("1 s", "1.5 s", "2.5 s"):
        assert "rejected: 429 throttled: too many requests: Too Many Requests; slowing to one update every " + wait \
            in text
    slowed = gaps(stamps_of(throttled, "rejected: 429"))
    assert slowed[0] >= 0.85 and slowed[1] >= 1.3, slowed
    after = gaps(stamps_of(throttled, "delivered (PUBACK)")[-3:])
    assert all(0.35 <= g <= 0.8 for g in after), after
    acc = counters(status_acc)
    # Confirmed: exactly the updates the shadow accepted (one may be on its way while !aws runs).
    assert acc["rejected"] == 2 and shadow_before - 1 <= acc["confirmed"] <= shadow_after, status_acc
    assert acc["sent"] == acc["confirmed"] + 2 or acc["sent"] == acc["confirmed"] + 3, status_acc
    assert accepted.console().count("rejected: 500 AWS internal error: Internal service failure; slowing") == 2
    for logger in loggers:  # every observation is still on the card
        assert len(logger.card()) >= len(logger.times()) - 1


# --- limits and settings checks, side by side ---------------------------------------------------

def test_limits_and_checks_are_named_while_logging_goes_on(aws_standin, ntp_server, tmp_path):
    ntp = "127.0.0.1:%d" % ntp_server.port
    aws_server = "avgpd2wdr5s6u-ats.iot.us-east-1.amazonaws.com"
    checks = {  # a setting -> the console line naming it; nothing is sent, the logger runs
        "port 1883": (aws_toml(aws_standin, server=aws_server, port=1883),
                      "[W] AWS IoT: Port (AWS_IOT_PORT) is 1883, MQTT without TLS: AWS IoT needs 8883"),
        "no client name": (aws_toml(aws_standin, thing=""),
                           "[W] AWS IoT: Client Name (AWS_IOT_CLIENT_NAME) is empty"),
        "no server": (aws_toml(aws_standin, server=""), "[W] AWS IoT: Server (AWS_IOT_SERVER) is empty"),
        "other topic": (aws_toml(aws_standin, extra='AWS_IOT_MQTT_TOPIC = "$aws/things/Other/shadow/update"\n'),
                        "[W] AWS IoT: MQTT Topic (AWS_IOT_MQTT_TOPIC) \"$aws/things/Other/shadow/update\" is not "
                        "this Thing's shadow update topic $aws/things/TestThing23/shadow/update"),
        "unreadable": (aws_toml(aws_standin, cert="certs"),
                       "[W] AWS IoT: Client Cert Filename: sd/certs cannot be read ("),
    }
    loggers = {name: Logger(tmp_path / name.replace(" ", "-"), toml(ntp, extra=extra), aws_standin)
               for name, (extra, _) in checks.items()}
    (loggers["unreadable"].sd / "certs").mkdir()  # a folder where the file should be
    # Missing, then copied to the card: found without a restart.
    missing = Logger(tmp_path / "missing", toml(ntp, extra=aws_toml(aws_standin, key="late.key")), aws_standin)
    # Not PEM, then replaced by the real key.
    not_pem = Logger(tmp_path / "not-pem", toml(ntp, extra=wide_toml(aws_standin, "ProtoPem")), aws_standin)
    (not_pem.sd / "wide.key").write_text("this is not a key\n")
    # The minimum update interval at a 200 ms log timer, a keep-alive under AWS's 30 s, Buffer Size 0.
    rate = Logger(tmp_path / "rate", toml(ntp, interval=200, extra=wide_toml(
        aws_standin, "ProtoRate", extra="AWS_IOT_KEEP_ALIVE = 10\n")), aws_standin)
    # Buffer Size: an update larger is never sent; a message larger than it is named, and the link recovers.
    small = Logger(tmp_path / "small", toml(ntp, extra=wide_toml(aws_standin, "ProtoSmall",
                                                                 extra="AWS_IOT_BUFFER_SIZE = 200\n")), aws_standin)
    bounded = Logger(tmp_path / "bounded", toml(ntp, extra=wide_toml(
        aws_standin, "ProtoBuffer", extra='AWS_IOT_BUFFER_SIZE = 2048\nAWS_IOT_CONFIRMATION = "accepted"\n')),
        aws_standin)
    everyone = list(loggers.values()) + [missing, not_pem, rate, small, bounded]
    try:
        for name, (_, line) in checks.items():
            loggers[name].wait(line)
        missing.wait("[W] AWS IoT: Client Key Filename: sd/late.key is missing on the card; waiting for the card "
                     "or the settings to change (logging goes on)")
        not_pem.wait("[W] AWS IoT: Client Key Filename: sd/wide.key is not PEM (no -----BEGIN/-----END lines); "
                     "waiting")
        (missing.sd / "late.key").write_text(open(aws_standin.certs.key).read())
        (not_pem.sd / "wide.key").write_text(open(aws_standin.certs.service_key).read())
        small.wait("[W] AWS IoT: an update of ")
        rate.wait("delivered (PUBACK)", count=1)
        rate_from = len(aws_standin.accepted("ProtoRate"))
        bounded.wait("accepted, shadow version", count=2)
        missing.wait("[I] AWS IoT: certificate files found")
        missing.wait("delivered (PUBACK)", count=1)
        not_pem.wait("delivered (PUBACK)", count=1)
        time.sleep(max(0.0, 6 - (time.monotonic() - rate.stamps[rate.lines.index(
            next(line for line in rate.lines if "delivered (PUBACK)" in line))])))
        rate_to = len(aws_standin.accepted("ProtoRate"))
        rate_window = time.monotonic()
        # A cloud application sets a 3 KB desired state: update/accepted echoes it to the devices.
        for thing in ("ProtoBuffer", "ProtoRate"):
            cloud_update(aws_standin, thing, {"desired": {"note": "x" * 3000}})
        bounded.wait("[W] AWS IoT: connection lost (a ")
        bounded.wait("[I] AWS IoT: connected to", count=2)
        bounded.wait("accepted, shadow version", count=bounded.count("accepted, shadow version") + 1)
        rate_status = rate.status()
        rate.type("!settings\n")
        rate.wait("AWS_IOT_KEEP_ALIVE = ")
        small_status = small.status()
    finally:
        stop_all(everyone)
    for name, logger in loggers.items():
        text = logger.console()
        assert text.count("[W] AWS IoT:") == 1, (name, text)  # said once
        assert "delivered" not in text and "AWS IoT: connected" not in text, name
        assert len(logger.times()) >= 8 and len(logger.card()) >= 8, name  # serial and SD logging went on
    # Found on the card without a restart; the wait was said once.
    for logger in (missing, not_pem):
        assert logger.console().count("[W] AWS IoT:") == 1 and len(logger.times()) >= 8
    # Keep Alive under 30 s: refused with a message, the default used.
    assert ("[W] settings.toml line 12: AWS_IOT_KEEP_ALIVE: out of range 30..1200: 10; using 60"
            in rate.console()), rate.console()
    assert "AWS_IOT_KEEP_ALIVE = 60  (default)" in rate.console()
    # At 200 ms, updates go about once a second; the latest observation wins; the card has them all.
    window = rate_window - stamps_of(rate, "delivered (PUBACK)")[0]
    per_s = (rate_to - rate_from) / window
    assert 0.7 <= per_s <= 1.15, (rate_to - rate_from, window)
    assert min(gaps(stamps_of(rate, "delivered (PUBACK)"))) >= 0.9
    figures = counters(rate_status)
    assert figures["replaced by a newer one"] >= 3 * figures["sent"], rate_status
    card = rate.card()
    entries = [int(line.split(",")[1]) for line in card]
    assert entries == list(range(entries[0], entries[0] + len(entries)))  # every observation on the card
    last = aws_standin.document("ProtoRate")["state"]["reported"]["General"]["Entry"]
    assert last in entries[-8:], (last, entries[-8:])  # the shadow holds one of the latest
    # Buffer Size 0 (MiniMQTT's default) took the 3 KB echo; 2048 named it and reconnected.
    assert "connection lost" not in rate.console()
    text = bounded.console()
    assert ("message from the broker is larger than Buffer Size (AWS_IOT_BUFFER_SIZE = 2048): set it to 0 or at "
            "least ") in text
    # An update larger than Buffer Size: named once, never sent.
    assert small.console().count("[W] AWS IoT: an update of") == 1
    assert ("is larger than Buffer Size (AWS_IOT_BUFFER_SIZE = 200): not sent (the card holds it); set it to 0 or "
            "at least") in small.console()
    assert not aws_standin.accepted("ProtoSmall") and counters(small_status)["too big"] >= 3


# --- !aws, and what counts as delivered --------------------------------------------------------

def test_status_and_only_confirmed_updates_count(aws_standin, ntp_server, tmp_path):
    """The broker black-holed after connect (stopped by its PID: TCP still takes the bytes, nothing
    answers), then running again, then killed and restarted."""
    ntp = "127.0.0.1:%d" % ntp_server.port
    logger = Logger(tmp_path, toml(ntp, interval=200, extra=aws_toml(aws_standin)), aws_standin)
    stopped = False
    try:
        logger.wait("delivered (PUBACK)", count=3)
        first = logger.status()
        os.kill(aws_standin.broker.pid, signal.SIGSTOP)
        stopped = True
        time.sleep(0.5)  # a PUBACK already on its way has come
        held = counters(logger.status())
        logger.wait("[W] AWS IoT: connection lost (no PUBACK from localhost:%d for update " % aws_standin.port,
                    timeout=20)
        black = logger.status()
        os.kill(aws_standin.broker.pid, signal.SIGCONT)
        stopped = False
        logger.wait("[I] AWS IoT: connected to", count=2, timeout=30)
        logger.wait("delivered (PUBACK)", count=logger.count("delivered (PUBACK)") + 1)
        aws_standin.restart_broker()
        logger.wait("[I] AWS IoT: connected to", count=3, timeout=30)
        logger.wait("delivered (PUBACK)", count=logger.count("delivered (PUBACK)") + 1)
        last = logger.status()
    finally:
        if stopped:
            os.kill(aws_standin.broker.pid, signal.SIGCONT)
        logger.stop()
    # After a few updates: connected, since when, sent = confirmed, no reconnect, no error.
    assert first[0].startswith("[I] AWS IoT: connected to localhost:%d since 20" % aws_standin.port), first
    figures = counters(first)
    assert figures["sent"] == figures["confirmed"] >= 3 and figures["rejected"] == 0, first
    assert first[2] == "[I] AWS IoT: reconnects 0; last error: none"
    # Black-holed: updates went on being sent, none was counted as delivered, and the loop never waited.
    during = counters(black)
    assert during["confirmed"] == held["confirmed"], (held, black)
    assert during["sent"] >= held["sent"] + 5, (held, black)
    assert black[0].startswith("[I] AWS IoT: not connected"), black
    assert "last error: no PUBACK from localhost" in black[2] and "update(s) not confirmed" in black[2], black
    assert logger.largest_gap() <= 200 + 150, logger.largest_gap()  # no stall, broker restart included
    # After the broker came back and was restarted: connected again since later, two reconnects, the last error.
    assert last[0].startswith("[I] AWS IoT: connected to localhost:%d since 20" % aws_standin.port)
    assert last[0].split(" since ")[1] > first[0].split(" since ")[1]
    # Two reconnects; a third when the logger was back before the stand-in's shadow service (its first
    # update after a connect must be accepted within 10 s, or it connects again).
    assert last[2].startswith(("[I] AWS IoT: reconnects 2; last error: the broker closed the connection", "[I] AWS IoT: reconnects 3; last error: no answer from the Thing's "
                               "shadow")), last
    after = counters(last)
    assert after["confirmed"] > during["confirmed"] and after["sent"] >= after["confirmed"]


# --- AWS's 8 KB state limit ---------------------------------------------------------------------

# The simulated bus has at most three devices (about 450 bytes of JSON), so the firmware runs in
# process here with an observation of 30 device sections (about 10 KB), as a bus full of sensors
# would make; everything else is as on the board: App, the plugin, its MQTT client, the stand-in.
BIG_DRIVER = r"""
from core.observation import Observation, Section
small = app.observation
big = Observation([app.general] + [Section("Sensor [x%%02x]" %% i, ["Parameter number %%d" %% j for j in range(12)])
                                   for i in range(30)])
for section in big.sections[1:]:
    section.values[:] = [12.5] * 12

def run(observation, seconds, until=None):
    app.observation = observation
    end = time.monotonic() + seconds
    due = 0
    while time.monotonic() < end and not (until and until()):
        now = ticks_ms()
        if time.monotonic() >= due:
            app.log(now)
            due = time.monotonic() + 0.2
        for _, poller in app.pollers:
            poller.poll(now)
        time.sleep(0.01)
    print("PHASE sent %%d confirmed %%d too_big %%d" %% (aws.sent, aws.confirmed, aws.too_big), flush=True)

print("BIG", len(big.json()), flush=True)
run(small, 20, lambda: aws.confirmed >= 2)
run(big, 3)
run(small, 10, lambda: aws.confirmed >= 4)
app.close()
"""


def test_a_state_over_8kb_is_never_sent(aws_standin, ntp_server, tmp_path):
    settings = toml("127.0.0.1:%d" % ntp_server.port, extra=wide_toml(aws_standin, "ProtoBig")) + 'PLUGINS = "iot.aws"\n'
    out = devicerun.run_in_process(tmp_path, settings, aws_standin.certs, BIG_DRIVER, card=wide_files(aws_standin))
    lines = out.splitlines()
    size = int([line for line in lines if line.startswith("BIG")][0].split()[1])
    assert size > 8192
    phases = [[int(w) for w in line.split()[2::2]] for line in lines if line.startswith("PHASE")]
    (sent0, confirmed0, big0), (sent1, confirmed1, big1), (sent2, confirmed2, big2) = phases
    assert big0 == 0 and sent1 == sent0 and big1 >= 10  # over 8 KB: never sent, every one counted
    assert sent2 > sent1 and confirmed2 >= 4 and big2 == big1  # smaller again: sent again
    said = [line for line in lines if "over AWS's 8 KB shadow state limit" in line]
    assert len(said) == 1 and said[0].startswith("[W] AWS IoT: an observation of "), said
    assert abs(int(said[0].split(" of ")[1].split()[0]) - size) < 20, (said, size)  # its size, in bytes
    assert all(len(json.dumps(u["state"], separators=(",", ":"))) < 8192 for u in aws_standin.accepted("ProtoBig"))
    assert not [r for r in aws_standin.rejected("ProtoBig") if r["op"] == "update"]  # (the get at connect: 404)
    # Why it is not split by section: the shadow keeps every section it was sent, and the 8 KB
    # counts the whole state, so the second half of a split is refused (413) by the stand-in as by AWS.
    half = {"Sensor %d" % i: {"Parameter number %d" % j: 12.5 for j in range(12)} for i in range(15)}
    cloud_update(aws_standin, "ProtoSplit", {"reported": half})
    cloud_update(aws_standin, "ProtoSplit", {"reported": {k.replace("Sensor", "Other"): v for k, v in half.items()}})
    deadline = time.monotonic() + 10
    while not aws_standin.rejected("ProtoSplit") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(aws_standin.accepted("ProtoSplit")) == 1
    assert [r["code"] for r in aws_standin.rejected("ProtoSplit")] == [413]
