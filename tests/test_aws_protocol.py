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
import subprocess
import threading
import time

from aws_fixtures import aws_standin, copy_device_files, fail_next, ntp_server  # noqa: F401  (fixtures)
from hostrun import PYTHON, REPO, STEADY_BUS

THING = "TestThing23"


def toml(ntp, interval=500, extra=""):
    return ('LOGGING_TIMER_INTERVAL = %d\nLOGGER_TIMESTAMP_MODE = "ms since start"\n'
            'NTP_CLIENT_NTP_SERVER_ONE = "%s"\nNTP_CLIENT_NTP_SERVER_TWO = ""\n' % (interval, ntp)) + extra


def aws_toml(standin, thing=THING, port=None, server="localhost", ca="AmazonRootCA1.pem",
             cert="TestThing23_DevCert.crt", key="TestThing23_Private.key", extra=""):
    return ('AWS_IOT_ENABLED = 1\nAWS_IOT_SERVER = "%s"\nAWS_IOT_PORT = %d\nAWS_IOT_CLIENT_NAME = "%s"\n'
            'AWS_IOT_CA_CERT_FILENAME = "%s"\nAWS_IOT_CLIENT_CERT_FILENAME = "%s"\n'
            'AWS_IOT_CLIENT_KEY_FILENAME = "%s"\n' % (server, port or standin.port, thing, ca, cert, key)) + extra


def wide_toml(standin, thing, extra=""):
    """A Thing of its own, with the stand-in's wide-policy certificate (service.crt/.key on the card)."""
    return aws_toml(standin, thing=thing, cert="wide.crt", key="wide.key", extra=extra)


class Logger:
    """python -m host in a subprocess; its console read line by line, each with its arrival time."""

    def __init__(self, folder, settings, standin=None, bus=STEADY_BUS):
        self.drive = folder / "drive"
        self.sd = folder / "sd"
        self.drive.mkdir(parents=True)
        self.sd.mkdir()
        (self.drive / "settings.toml").write_text(settings)
        (folder / "bus.json").write_text(json.dumps(bus))
        if standin is not None:
            copy_device_files(standin.certs, str(self.sd))
            (self.sd / "wide.crt").write_text(open(standin.certs.service_cert).read())
            (self.sd / "wide.key").write_text(open(standin.certs.service_key).read())
        self.lines = []
        self.stamps = []
        self.err = []
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "host", "--drive", str(self.drive), "--sd", str(self.sd), "--bus", str(folder / "bus.json")],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True).start()

    def _read(self, stream, out):
        for line in stream:
            if out:
                self.stamps.append(time.monotonic())
                self.lines.append(line.rstrip("\n"))
            else:
                self.err.append(line.rstrip("\n"))

    def count(self, text):
        return sum(text in line for line in list(self.lines))

    def wait(self, text, count=1, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.count(text) >= count:
                return
            assert self.proc.poll() is None, "\n".join(self.lines[-40:] + self.err[-30:])
            time.sleep(0.05)
        said = [line for line in self.lines if line.startswith("[")]
        raise AssertionError("no %r (x%d) in:\n%s" % (text, count, "\n".join(said[-40:] + self.err[-30:])))

    def type(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def status(self):
        """`!aws`: the lines it prints, once they are all there."""
        mark = len(self.lines)
        self.type("!aws\n")
        self.wait("AWS IoT: reconnects", count=self.count("AWS IoT: reconnects") + 1)
        return [line for line in self.lines[mark:] if line.startswith("[I] AWS IoT: ")][-3:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)
        time.sleep(0.1)
        assert "Traceback" not in "\n".join(self.err), "\n".join(self.err)
        return self.lines

    def times(self):
        return [int(line.split(",")[0]) for line in self.lines if line.split(",")[0].isdigit()]

    def largest_gap(self):
        times = self.times()
        return max(b - a for a, b in zip(times, times[1:]))

    def console(self):
        return "\n".join(self.lines + self.err)

    def card(self):
        """The card's CSV data lines (header skipped), oldest first."""
        rows = []
        for path in sorted(self.sd.glob("sfe*.txt")):
            rows += [line for line in path.read_text().splitlines()[1:] if line]
        return rows


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
    puback = Logger(tmp_path / "puback", toml(ntp, extra=wide_toml(aws_standin, "ProtoErrors")), aws_standin)
    throttled = Logger(tmp_path / "throttled", toml(ntp, extra=wide_toml(aws_standin, "ProtoThrottle")), aws_standin)
    accepted = Logger(tmp_path / "accepted", toml(ntp, extra=wide_toml(
        aws_standin, "ProtoErrorsAcc", extra='AWS_IOT_CONFIRMATION = "accepted"\n')), aws_standin)
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
        throttled.wait("no longer throttled; one update every 1 s", timeout=30)
        delivered(throttled, 3)
        # Confirmation "accepted": 500 slows the rate the same way, and is never counted as delivered.
        accepted.wait("no longer throttled", timeout=30)
        delivered(accepted, 2)
        status_acc = accepted.status()
    finally:
        stop_all(loggers)
    rejected = aws_standin.rejected("ProtoErrors")
    assert [r["code"] for r in rejected] == [409, 413, 413, 400, 403]
    assert all(r["injected"] for r in rejected)
    figures = counters(status)
    assert figures["rejected"] == 5
    # A PUBACKed update the shadow rejected is taken back from the confirmed count.
    assert figures["confirmed"] == figures["sent"] - 5, status
    assert puback.console().count("rejected: 413") == 1  # the second 413 was counted, not said again
    # No rejected update reached the shadow.
    assert not {u["clientToken"] for u in aws_standin.accepted("ProtoErrors")} & {r["clientToken"] for r in rejected}
    # The rate: the gaps between the 429s grew (1 s, then 2 s, 3 s), then updates are about 1 s apart again.
    text = throttled.console()
    for wait in ("2 s", "3 s", "5 s"):
        assert "rejected: 429 throttled: too many requests: Too Many Requests; slowing to one update every " + wait \
            in text
    slowed = gaps(stamps_of(throttled, "rejected: 429"))
    assert slowed[0] >= 1.7 and slowed[1] >= 2.6, slowed
    after = gaps(stamps_of(throttled, "delivered (PUBACK)")[-3:])
    assert all(0.8 <= g <= 1.6 for g in after), after
    acc = counters(status_acc)
    assert acc["rejected"] == 2 and acc["confirmed"] == len(aws_standin.accepted("ProtoErrorsAcc")), status_acc
    assert accepted.console().count("rejected: 500 AWS internal error: Internal service failure; slowing") == 2
    for logger in loggers:  # every observation is still on the card
        assert len(logger.card()) >= len(logger.times()) - 1
