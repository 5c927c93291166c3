"""The local AWS IoT stand-in (host/aws) answers real clients as AWS IoT does.

Real processes only: Mosquitto with mutual TLS, the moto-based shadow service, chronyd; the
clients are the AWS IoT Device SDK v2 (awscrt) and paho-mqtt, as cloud-side code would use.
"""

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from aws_fixtures import aws_standin, ntp_server, start_ntp, start_standin  # noqa: F401

from host.aws.proc import free_port, pid_alive

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESPONSES = (
    "update/accepted",
    "update/rejected",
    "update/delta",
    "update/documents",
    "get/accepted",
    "get/rejected",
    "delete/accepted",
    "delete/rejected",
)


class Device:
    """A paho-mqtt client with a device certificate, subscribed to its Thing's answers."""

    def __init__(self, port, thing, ca, cert, key, subscribe=True):
        self.base = "$aws/things/%s/shadow/" % thing
        self.messages = []
        self.cond = threading.Condition()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="%s-%s" % (thing, uuid.uuid4().hex[:8])
        )
        self.client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
        connected, subscribed, answered = threading.Event(), threading.Event(), threading.Event()

        def on_connect(_c, _u, _f, rc, _p):
            if not rc.is_failure:
                connected.set()
            answered.set()

        self.client.on_connect = on_connect
        self.client.on_disconnect = lambda *_a: answered.set()  # e.g. the broker hung up
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("localhost", port, keepalive=30)
        self.client.loop_start()
        answered.wait(5)
        if not connected.is_set():
            self.close()
            raise ConnectionError("no MQTT session")
        if subscribe:
            self.client.subscribe([(self.base + t, 1) for t in RESPONSES])
            assert subscribed.wait(5)

    def _on_message(self, _client, _userdata, msg):
        with self.cond:
            self.messages.append((msg.topic[len(self.base) :], json.loads(msg.payload)))
            self.cond.notify_all()

    def send(self, op, body, topic_base=None):
        with self.cond:
            self.messages.clear()
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.client.publish((topic_base or self.base) + op, payload, qos=1).wait_for_publish(5)

    def wait(self, *suffixes, timeout=5):
        """The first answer on one of the topic suffixes, as (suffix, body); None on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for suffix, body in self.messages:
                    if suffix in suffixes:
                        return suffix, body
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def request(self, op, body, timeout=5):
        self.send(op, body)
        answer = self.wait(op + "/accepted", op + "/rejected", timeout=timeout)
        assert answer is not None, "no answer to " + op
        return answer

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def _device(standin, **kw):
    c = standin.certs
    return Device(standin.port, standin.thing, c.ca, c.cert, c.key, **kw)


@pytest.fixture
def device(aws_standin):  # noqa: F811
    dev = _device(aws_standin)
    yield dev
    dev.close()


def _version(standin):
    doc = standin.document()
    return doc["version"] if doc else 0


# --- the AWS IoT Device SDK v2 ----------------------------------------------------------------


def test_aws_iot_device_sdk_v2_updates_and_reads_the_shadow(aws_standin):  # noqa: F811
    from awscrt import mqtt as crt_mqtt  # pylint: disable=import-outside-toplevel
    from awsiot import iotshadow, mqtt_connection_builder  # pylint: disable=import-outside-toplevel

    s = aws_standin
    conn = mqtt_connection_builder.mtls_from_path(
        endpoint="localhost",
        port=s.port,
        cert_filepath=s.certs.cert,
        pri_key_filepath=s.certs.key,
        ca_filepath=s.certs.ca,
        client_id="sdk-" + uuid.uuid4().hex[:8],
        clean_session=True,
        keep_alive_secs=30,
    )
    conn.connect().result(10)
    try:
        shadow = iotshadow.IotShadowClient(conn)
        accepted, rejected, got = [], [], []
        done = threading.Event()

        def keep(into):
            def cb(response):
                into.append(response)
                done.set()

            return cb

        qos = crt_mqtt.QoS.AT_LEAST_ONCE
        sub = iotshadow.UpdateShadowSubscriptionRequest(thing_name=s.thing)
        shadow.subscribe_to_update_shadow_accepted(sub, qos, keep(accepted))[0].result(5)
        shadow.subscribe_to_update_shadow_rejected(sub, qos, keep(rejected))[0].result(5)
        getsub = iotshadow.GetShadowSubscriptionRequest(thing_name=s.thing)
        shadow.subscribe_to_get_shadow_accepted(getsub, qos, keep(got))[0].result(5)

        def update(reported, token):
            done.clear()
            shadow.publish_update_shadow(
                iotshadow.UpdateShadowRequest(
                    thing_name=s.thing,
                    state=iotshadow.ShadowState(reported=reported),
                    client_token=token,
                ),
                qos,
            ).result(5)
            assert done.wait(5), "no answer from the shadow service"

        before = _version(s)
        update({"General": {"Entry": 1}}, "sdk-token-1")
        assert not rejected
        assert accepted[-1].version == before + 1
        assert accepted[-1].client_token == "sdk-token-1"
        assert accepted[-1].state.reported == {"General": {"Entry": 1}}

        update({"BME280": {"TemperatureC": 21.5}}, "sdk-token-2")
        assert accepted[-1].version == before + 2 and accepted[-1].client_token == "sdk-token-2"

        done.clear()
        shadow.publish_get_shadow(
            iotshadow.GetShadowRequest(thing_name=s.thing, client_token="sdk-get"), qos
        ).result(5)
        assert done.wait(5)
        reported = got[-1].state.reported
        assert reported["General"]["Entry"] == 1 and reported["BME280"]["TemperatureC"] == 21.5
        assert got[-1].version == before + 2 and got[-1].client_token == "sdk-get"
    finally:
        conn.disconnect().result(5)
    tokens = [u["clientToken"] for u in s.accepted()]
    assert tokens[-2:] == ["sdk-token-1", "sdk-token-2"]


# --- paho-mqtt: update, merge, version, errors ----------------------------------------------


def test_update_is_accepted_with_version_and_token_and_merges(aws_standin, device):  # noqa: F811
    before = _version(aws_standin)
    kind, body = device.request("update", {"state": {"reported": {"A": {"x": 1}}}, "clientToken": "t-1"})
    assert kind == "update/accepted"
    assert body["version"] == before + 1 and body["clientToken"] == "t-1"
    assert body["state"] == {"reported": {"A": {"x": 1}}}
    assert body["metadata"]["reported"]["A"]["x"]["timestamp"] > 0
    documents = device.wait("update/documents")[1]
    assert documents["current"]["version"] == before + 1 and documents["clientToken"] == "t-1"

    kind, body = device.request("update", {"state": {"reported": {"A": {"y": 2}, "B": 3}}, "clientToken": "t-2"})
    assert kind == "update/accepted" and body["version"] == before + 2
    reported = aws_standin.document()["state"]["reported"]
    assert reported["A"] == {"x": 1, "y": 2} and reported["B"] == 3  # merged, not replaced

    kind, body = device.request("update", {"state": {"reported": {"A": {"x": None}}}})
    assert kind == "update/accepted" and "clientToken" not in body
    assert aws_standin.document()["state"]["reported"]["A"] == {"y": 2}  # null deletes a key
    assert aws_standin.accepted()[-1]["version"] == before + 3


def test_a_stale_version_is_a_409_and_the_right_one_is_accepted(aws_standin, device):  # noqa: F811
    current = device.request("update", {"state": {"reported": {"V": 1}}})[1]["version"]
    kind, body = device.request(
        "update", {"state": {"reported": {"V": 2}}, "version": current - 1, "clientToken": "stale"}
    )
    assert kind == "update/rejected"
    assert body == {"code": 409, "message": "Version conflict", "clientToken": "stale", "timestamp": body["timestamp"]}
    assert aws_standin.document()["state"]["reported"]["V"] == 1
    kind, body = device.request("update", {"state": {"reported": {"V": 3}}, "version": current})
    assert kind == "update/accepted" and body["version"] == current + 1
    assert aws_standin.rejected()[-1]["code"] == 409


def test_state_over_8_kb_is_a_413_and_changes_nothing(aws_standin, device):  # noqa: F811
    before = _version(aws_standin)
    kind, body = device.request("update", {"state": {"reported": {"Big": "x" * 8300}}, "clientToken": "big"})
    assert kind == "update/rejected" and body["code"] == 413 and body["clientToken"] == "big"
    assert _version(aws_standin) == before
    assert "Big" not in (aws_standin.document() or {}).get("state", {}).get("reported", {})


def test_bad_requests_are_400_with_aws_messages(device):
    def nest(levels):
        value = 1
        for i in range(levels):
            value = {"L%d" % i: value}
        return value

    assert device.request("update", {"state": {"reported": nest(6)}})[0] == "update/accepted"
    cases = [
        ({"state": {"reported": nest(7)}, "clientToken": "deep"},
         "JSON contains too many levels of nesting; maximum is 6"),
        ({"clientToken": "c"}, "Missing required node: state"),
        ({"state": [1]}, "State node must be an object"),
        ({"state": {"reported": 5}}, "Reported node must be an object"),
        ({"state": {"reported": {}}, "version": "one"}, "Invalid version"),
        ({"state": {"reported": {}}, "clientToken": "k" * 65}, "Invalid clientToken"),
        (b"{not json", "Invalid JSON"),
    ]  # fmt: skip
    for request, message in cases:
        kind, body = device.request("update", request)
        assert (kind, body["code"], body["message"]) == ("update/rejected", 400, message), request
    kind, body = device.request("update", {"state": {"reported": {}}, "clientToken": "k" * 64})
    assert kind == "update/accepted" and body["clientToken"] == "k" * 64


def test_desired_unlike_reported_gives_a_delta_and_get_shows_it(aws_standin, device):  # noqa: F811
    device.request("update", {"state": {"reported": {"Rate": 15000, "Mode": "CSV"}}})
    kind, body = device.request(
        "update", {"state": {"desired": {"Rate": 2000, "Mode": "CSV"}}, "clientToken": "want"}
    )
    assert kind == "update/accepted"
    delta = device.wait("update/delta")[1]
    assert delta["state"] == {"Rate": 2000} and delta["version"] == body["version"]
    assert delta["clientToken"] == "want"

    kind, doc = device.request("get", {"clientToken": "g"})
    assert kind == "get/accepted" and doc["clientToken"] == "g"
    assert doc["state"]["delta"] == {"Rate": 2000}
    assert doc["state"]["reported"]["Rate"] == 15000 and doc["version"] == body["version"]

    device.request("update", {"state": {"reported": {"Rate": 2000}, "desired": None}})
    doc = device.request("get", b"")[1]
    assert "desired" not in doc["state"] and "delta" not in doc["state"]  # desired: null removed it
    assert aws_standin.document()["version"] == doc["version"]


# --- the policy and TLS refusals ---------------------------------------------------------


def test_another_things_certificate_gets_no_answer_on_this_things_topics(aws_standin):  # noqa: F811
    s = aws_standin
    other = Device(s.port, s.certs.other_thing, s.certs.ca, s.certs.other_cert, s.certs.other_key)
    try:
        kind, body = other.request("get", b"")
        assert (kind, body["code"]) == ("get/rejected", 404)  # its own shadow: none yet
        kind, body = other.request("update", {"state": {"reported": {"n": 1}}, "version": 1})
        assert (kind, body["code"]) == ("update/rejected", 409)  # a version for no document
        before, count = _version(s), len(s.accepted())
        other.send("update", {"state": {"reported": {"Intruder": 1}}}, topic_base="$aws/things/%s/shadow/" % s.thing)
        assert other.wait(*RESPONSES, timeout=1.5) is None  # dropped by the ACL: no answer
        assert _version(s) == before and len(s.accepted()) == count
        # the same certificate works on its own Thing's topics
        kind, body = other.request("update", {"state": {"reported": {"n": 1}}})
        assert kind == "update/accepted" and s.document(s.certs.other_thing)["state"]["reported"] == {"n": 1}
    finally:
        other.close()


def _refused(port, ca, cert=None, key=None):
    """True if no MQTT session comes up: the TLS handshake fails or the broker hangs up."""
    try:
        dev = Device(port, "TestThing23", ca, cert, key, subscribe=False)
    except (ssl.SSLError, OSError, ConnectionError):
        return True
    dev.close()
    return False


def test_clients_without_a_good_certificate_cannot_connect(aws_standin):  # noqa: F811
    c = aws_standin.certs
    assert not _refused(aws_standin.port, c.ca, c.cert, c.key)  # the control
    assert _refused(aws_standin.port, c.ca)  # no client certificate
    assert _refused(aws_standin.port, c.ca, c.wrong_cert, c.wrong_key)  # signed by another CA
    with pytest.raises(ssl.SSLCertVerificationError):  # a device trusting the wrong CA
        Device(aws_standin.port, "TestThing23", c.wrong_ca, c.cert, c.key, subscribe=False)


def test_broker_restart_on_the_same_port_and_updates_resume(aws_standin):  # noqa: F811
    s = aws_standin
    old_pid, port = s.broker.pid, s.port
    s.kill_broker()
    assert not pid_alive(old_pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    s.restart_broker()
    assert s.port == port and s.broker.pid != old_pid
    dev = _device(s)
    try:
        kind, body = dev.request("update", {"state": {"reported": {"After": "restart"}}, "clientToken": "r"})
        assert kind == "update/accepted" and body["clientToken"] == "r"
    finally:
        dev.close()


# --- NTP and process lifetimes ---------------------------------------------------------------


def test_ntp_server_answers_sntp_with_stratum_8_and_the_pcs_time(ntp_server):  # noqa: F811
    stratum, when = ntp_server.query()
    assert stratum == 8
    assert abs(when - time.time()) < 2


def test_every_server_process_is_gone_after_stop(tmp_path):
    standin = start_standin(tmp_path / "aws")
    ntp = start_ntp(tmp_path / "ntp")
    pids = [standin.broker.pid, standin.service.pid, ntp.pid]
    assert all(pid_alive(p) for p in pids)
    port = standin.port
    ntp.stop()
    standin.stop()
    assert not any(pid_alive(p) for p in pids)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_python_m_host_aws_writes_a_card_and_shows_accepted_updates(tmp_path):
    card, work = tmp_path / "sd", tmp_path / "aws"
    card.mkdir()
    (card / "datalogger.json").write_text('{"Logging Timer": {"Interval": 2000}}')
    port = free_port()
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", "host.aws", "--dir", str(card), "--work", str(work),
         "--port", str(port), "--ntp"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )  # fmt: skip
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops it" in line or len(lines) > 40:
                break
        text = "".join(lines)
        assert "mqtts://localhost:%d" % port in text and "stratum 8" in text, text
        settings = json.loads((card / "datalogger.json").read_text())
        assert settings["Logging Timer"] == {"Interval": 2000}  # kept
        block = settings["AWS IoT"]
        assert list(block)[:3] == ["Enabled", "Port", "Server"] and block["Enabled"] is True
        assert (block["Server"], block["Port"]) == ("localhost", port)
        assert block["MQTT Topic"] == "$aws/things/TestThing23/shadow/update"
        files = [block["CA Cert Filename"], block["Client Cert Filename"], block["Client Key Filename"]]
        assert files == ["AmazonRootCA1.pem", "TestThing23_DevCert.crt", "TestThing23_Private.key"]
        dev = Device(block["Port"], block["Client Name"], *(str(card / f) for f in files))
        try:
            kind, _ = dev.request("update", {"state": {"reported": {"General": {"Entry": 7}}}, "clientToken": "cli"})
            assert kind == "update/accepted"
        finally:
            dev.close()
        line = proc.stdout.readline()
        while "update accepted" not in line and line:
            line = proc.stdout.readline()
        assert "TestThing23 update accepted: version 1" in line and "clientToken cli" in line
        shown = subprocess.run(
            [sys.executable, "-m", "host.aws", "--work", str(work), "--show"],
            cwd=REPO, capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        assert json.loads(shown.stdout)["state"]["reported"] == {"General": {"Entry": 7}}
        pids = [int(p) for p in re.findall(r"PID (\d+)", text)]
        assert len(pids) == 3 and all(pid_alive(p) for p in pids)  # broker, shadow service, chronyd
        os.kill(proc.pid, signal.SIGTERM)
        rest = proc.stdout.read()
        assert proc.wait(15) == 0 and "[aws] stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not any(pid_alive(p) for p in pids)
