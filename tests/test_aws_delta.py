"""Remote configuration through the shadow: a cloud application (the AWS IoT Device SDK v2, awsiotsdk)
sets desired settings on the local AWS IoT stand-in; the logger (`python -m host`) applies what the
allow-list permits at once, saves it, and reports it so the delta clears, and refuses the rest whole
with a reported "config_error". The delta handler is also fuzzed in-process with hypothesis."""
import gc
import json
import os
import sys
import threading
import time
import uuid

import pytest
from aws_fixtures import aws_standin, ntp_server  # noqa: F401  (pytest fixtures)
from hostrun import REPO, STEADY_BUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.aws import devicerun
from host.aws.devicerun import aws_toml, toml

THING = "TestThing23"
REFUSED = "[W] AWS IoT: desired settings refused, none applied: "
APPLIED = "[I] AWS IoT: desired settings applied: "


class Cloud:
    """A cloud application on the Thing's shadow, through the AWS IoT Device SDK v2."""

    def __init__(self, standin):
        from awscrt import mqtt as crt_mqtt  # pylint: disable=import-outside-toplevel
        from awsiot import iotshadow, mqtt_connection_builder  # pylint: disable=import-outside-toplevel

        self.iotshadow = iotshadow
        self.thing = standin.thing
        self.qos = crt_mqtt.QoS.AT_LEAST_ONCE
        self.conn = mqtt_connection_builder.mtls_from_path(
            endpoint="localhost", port=standin.port, cert_filepath=standin.certs.cert,
            pri_key_filepath=standin.certs.key, ca_filepath=standin.certs.ca,
            client_id="cloud-app-" + uuid.uuid4().hex[:8], clean_session=True, keep_alive_secs=30)
        self.conn.connect().result(10)
        self.shadow = iotshadow.IotShadowClient(self.conn)
        self.answers = {}
        self.cond = threading.Condition()
        update = iotshadow.UpdateShadowSubscriptionRequest(thing_name=self.thing)
        get = iotshadow.GetShadowSubscriptionRequest(thing_name=self.thing)
        self.shadow.subscribe_to_update_shadow_accepted(update, self.qos, self._keep)[0].result(5)
        self.shadow.subscribe_to_update_shadow_rejected(update, self.qos, self._keep)[0].result(5)
        self.shadow.subscribe_to_get_shadow_accepted(get, self.qos, self._keep)[0].result(5)

    def _keep(self, response):
        with self.cond:
            self.answers[response.client_token] = response
            self.cond.notify_all()

    def _answer(self, token):
        with self.cond:
            assert self.cond.wait_for(lambda: token in self.answers, 5), "no answer from the shadow service"
            return self.answers.pop(token)

    def desire(self, desired):
        """Sets desired state as `aws iot-data update-thing-shadow` would; returns the accepted answer."""
        token = "cloud-" + uuid.uuid4().hex[:8]
        request = self.iotshadow.UpdateShadowRequest(
            thing_name=self.thing, state=self.iotshadow.ShadowState(desired=desired), client_token=token)
        self.shadow.publish_update_shadow(request, self.qos).result(5)
        answer = self._answer(token)
        assert answer.version, answer  # accepted, not rejected
        return answer

    def document(self):
        """The shadow's state as the cloud reads it: {"desired", "reported", "delta"} (None if absent)."""
        token = "get-" + uuid.uuid4().hex[:8]
        self.shadow.publish_get_shadow(self.iotshadow.GetShadowRequest(thing_name=self.thing, client_token=token),
                                       self.qos).result(5)
        state = self._answer(token).state
        return {"desired": state.desired, "reported": state.reported or {}, "delta": state.delta}

    def wait_reported(self, test, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            doc = self.document()
            if test(doc):
                return doc
            assert time.monotonic() < deadline, doc
            time.sleep(0.2)

    def close(self):
        self.conn.disconnect().result(5)


class Again(devicerun.Logger):
    """The logger started again on the drive and card of an earlier run (its NVM, its settings)."""

    def __init__(self, earlier):  # pylint: disable=super-init-not-called
        self.drive, self.sd = earlier.drive, earlier.sd
        self.lines, self.err, self.stamps = [], [], []
        self._start(earlier.proc.args)


def gaps_after(logger, text):
    """The steps (ms) between the observations printed after the console line holding `text`, less the
    first (the interval changed during it)."""
    lines = list(logger.lines)
    start = max(i for i, line in enumerate(lines) if text in line)
    times = [int(line.split(",")[0]) for line in lines[start:] if line.split(",")[0].isdigit()]
    return [b - a for a, b in zip(times[1:], times[2:])]


def wait_gaps(logger, text, count, timeout=15):
    deadline = time.monotonic() + timeout
    while len(gaps_after(logger, text)) < count:
        assert time.monotonic() < deadline, logger.console()[-3000:]
        time.sleep(0.1)
    return gaps_after(logger, text)


def test_a_cloud_application_sets_the_log_interval_and_refusals_change_nothing(aws_standin, ntp_server, tmp_path):
    settings_toml = toml("127.0.0.1:%d" % ntp_server.port, interval=500, extra=aws_toml(aws_standin))
    logger = devicerun.Logger(tmp_path, settings_toml, STEADY_BUS, card_files=aws_standin.certs)
    cloud = Cloud(aws_standin)
    try:
        logger.wait("[I] AWS IoT: connected to localhost:%d" % aws_standin.port)
        logger.wait("delivered (PUBACK)")
        refusals = [  # desired, what config_error names, how the cloud takes the desired back
            ({"AWS IoT": {"Server": "attacker.example.com"}}, "\"AWS IoT/Server\": not settable remotely",
             {"AWS IoT": None}),
            ({"Logging Timer": {"Interval": 5}}, "\"Logging Timer/Interval\": out of range 10..86400000: 5",
             {"Logging Timer": None}),
            ({"Logger": "JSON"}, "\"Logger\": expected an object of properties", {"Logger": None}),
            ({"Logging Timer": {"Interval": "fast"}}, "\"Logging Timer/Interval\": expected an integer",
             {"Logging Timer": None}),
            # all or nothing: the good Interval is not applied with the forbidden Port
            ({"Logging Timer": {"Interval": 2000}, "AWS IoT": {"Port": 1883}}, "\"AWS IoT/Port\": not settable",
             {"Logging Timer": None, "AWS IoT": None}),
        ]
        for number, (desired, reason, undo) in enumerate(refusals, 1):
            cloud.desire(desired)
            logger.wait(REFUSED, count=number)
            assert reason in [line for line in logger.lines if REFUSED in line][-1], "\n".join(l for l in logger.lines if "AWS" in l)
            doc = cloud.wait_reported(lambda d: reason in str(d["reported"].get("config_error")))
            assert doc["delta"]  # refused: what the cloud desires still differs from what is reported
            cloud.desire(undo)
        assert APPLIED not in logger.console() and "Settings saved" not in logger.console()
        assert all(450 <= gap <= 600 for gap in gaps_after(logger, "delivered (PUBACK)")[-6:])  # still 500 ms

        cloud.desire({"Logging Timer": {"Interval": 1000}})
        logger.wait(APPLIED + "Logging Timer/Interval = 1000")
        gaps = wait_gaps(logger, APPLIED, 4)
        assert all(900 <= gap <= 1150 for gap in gaps), gaps  # logging at the new rate at once
        doc = cloud.wait_reported(lambda d: d["reported"].get("Logging Timer") == {"Interval": 1000})
        assert not doc["delta"], doc  # reported as desired: the delta cleared
        assert "config_error" not in doc["reported"]  # the earlier refusal's reason is cleared
        logger.type("!settings\n")
        logger.wait("LOGGING_TIMER_INTERVAL = 1000  (saved settings)")
        logger.stop()

        # Desired while the logger is off: read from the shadow document (get) at the next connect.
        cloud.desire({"BME280": {"Humidity": False}})
        again = Again(logger)  # a restart with the same drive (NVM) and card; settings.toml still says 500
        try:
            again.type("!settings\n")
            again.wait("LOGGING_TIMER_INTERVAL = 1000  (saved settings)")  # the remote change survived
            again.wait(APPLIED + "BME280/Humidity = false")
            gaps = wait_gaps(again, "LOGGING_TIMER_INTERVAL", 3)
            assert all(900 <= gap <= 1150 for gap in gaps), gaps
            doc = cloud.wait_reported(lambda d: d["reported"].get("BME280", {}).get("Humidity") is False)
            assert not doc["delta"], doc
            header = [line for line in again.lines if line.startswith("General.")][-1]
            assert "BME280.TemperatureC" in header and "Humidity" not in header  # the column is gone at once
        finally:
            again.stop()
        assert again.count(APPLIED) == 1
    finally:
        cloud.close()
        logger.stop()


# --- the delta handler in-process, fuzzed (no broker) ---------------------------------------------

@pytest.fixture(scope="module")
def small_app(tmp_path_factory):
    """The firmware's App over the host stand-ins with the core, AWS IoT and serial settings, one
    BME280 and an AWS IoT client that is not connected (its reports are returned, not sent)."""
    folder = tmp_path_factory.mktemp("delta")
    saved = sys.path[:], os.getcwd()
    sys.path.insert(0, os.path.join(REPO, "host", "stubs"))
    os.chdir(folder)
    try:
        from adafruit_ticks import ticks_ms  # pylint: disable=import-outside-toplevel

        from core.app import App  # pylint: disable=import-outside-toplevel
        from core.observation import Section  # pylint: disable=import-outside-toplevel
        from core.props import CORE_PROPERTIES  # pylint: disable=import-outside-toplevel
        from core.scheduler import Scheduler, Task  # pylint: disable=import-outside-toplevel
        from core.schema import BOOL, Prop  # pylint: disable=import-outside-toplevel
        from plugins.iot import aws  # pylint: disable=import-outside-toplevel
        from plugins.iot.awsclient import AWSClient  # pylint: disable=import-outside-toplevel
        from plugins.outputs import serial as serial_out  # pylint: disable=import-outside-toplevel

        class Device:
            def __init__(self, name, params):
                self.section = Section(name, params)
                self.address = 0x77

        app = App()
        app.settings.declare(list(CORE_PROPERTIES) + list(aws.PROPERTIES) + list(serial_out.PROPERTIES))
        app.settings.declare([Prop("BME280", p, BOOL, True, None) for p in ("Humidity", "TemperatureC")])
        app.scheduler = Scheduler(ticks_ms, app.warn, 1000)
        app.nvm = bytearray(8192)
        app.devices = [(Task("BME280"), Device("BME280", ("Humidity", "TemperatureC")))]
        app.general = Section("General", ("Entry",))
        app.layout()
        client = AWSClient(app, None)
        app.plugins.append(("iot.aws", client))
        # The firmware's release() runs gc.collect() (a few per delta): quick on the board's small heap,
        # slow over a test process's. Frozen, the objects there now are not walked again.
        gc.freeze()
        yield app, client
    finally:
        gc.unfreeze()
        sys.path[:] = saved[0]
        os.chdir(saved[1])


def _handle(client, topic, message):
    from plugins.iot.awsclient import _call  # pylint: disable=import-outside-toplevel
    return _call("awsdelta", "handle", client, topic, message)


def test_the_handler_reports_what_it_applied_and_why_it_refused(small_app):
    app, client = small_app
    delta = "$aws/things/TestThing23/shadow/update/delta"
    report = json.loads(_handle(client, delta, json.dumps({"version": 7, "state": {
        "BME280": {"Humidity": False}, "Logger": {"Timestamp Mode": 3}}, "metadata": {}})))
    assert report["state"]["reported"] == {"config_error": None, "BME280": {"Humidity": False},
                                           "Logger": {"Timestamp Mode": 3}}
    assert app.observation.header().startswith("General.Time ms (Epoch),") and "Humidity" not in app.observation.header()
    before = dict(app.settings.values)
    for message, reason in (('{"state":{"a":{"b":{"c":1}}}}', "too deep"),
                            ('{"state":{"Logger":{"Timestamp Mode":1 2}}}', "not valid JSON"),
                            ('{"state":{"X":"' + "y" * 3000 + '"}}', "too big"),
                            ('{"state":{"WiFi Network":{"Password":"x"}}}', "not settable remotely"),
                            ("[]", "no state object")):
        report = json.loads(_handle(client, delta, message))
        assert reason in report["state"]["reported"]["config_error"], (message, report)
    assert app.settings.values == before
    got = json.loads(_handle(client, "$aws/things/TestThing23/shadow/get/accepted", json.dumps({"state": {
        "reported": {"BME280": {"Humidity": 45.0}, "delta": 1}, "desired": {"BME280": {"Humidity": True}},
        "delta": {"BME280": {"Humidity": True}}}, "version": 9})))
    assert got["state"] == {"reported": {"config_error": None, "BME280": {"Humidity": True}},
                            "desired": {"BME280": {"Humidity": None}}}  # its reading goes in reported


_KEYS = st.sampled_from(["state", "delta", "version", "Logging Timer", "Interval", "Logger", "Timestamp Mode",
                         "BME280", "Humidity", "AWS IoT", "Server", "Minimum Update Interval", "Data File",
                         "Rotate Period", "", "\x00", "é"])
_SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8)
            | st.sampled_from(["JSON", "CSV", "6 h", "1 week", "ISO8601 Timestamp", " 1000 "]))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_KEYS | st.text(max_size=4), inner, max_size=4), max_leaves=20)
_TOPICS = st.sampled_from(["update/delta", "get/accepted", "get/rejected", "update/rejected", "update/accepted"])


def _messages():
    as_text = _JSON.map(lambda v: json.dumps(v, allow_nan=True))
    wrapped = _JSON.map(lambda v: json.dumps({"state": v, "version": 3}))
    in_get = _JSON.map(lambda v: json.dumps({"state": {"delta": v}, "clientToken": "x-cfg1"}))
    damaged = st.tuples(wrapped, st.integers(0, 400), st.text(max_size=3)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1]:])
    deep = st.integers(3, 3000).map(lambda n: '{"state":' + '{"a":' * n + "1" + "}" * n + "}")
    return (as_text | wrapped | in_get | damaged | deep | st.binary(max_size=200)
            | st.text(max_size=200))


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(_TOPICS, _messages())
def test_no_delta_crashes_or_stalls_the_handler_and_a_refused_one_changes_nothing(small_app, topic, message):
    app, client = small_app
    before = dict(app.settings.values)
    began = time.monotonic()
    report = _handle(client, "$aws/things/TestThing23/shadow/" + topic, message)  # never raises
    assert time.monotonic() - began < 0.5
    if report is None:
        assert app.settings.values == before
        return
    state = json.loads(report)["state"]
    reported = state["reported"]
    if reported.get("config_error"):
        assert set(reported) == {"config_error"} and app.settings.values == before  # all or nothing
        return
    from core.live import REMOTE  # pylint: disable=import-outside-toplevel
    for key, value in app.settings.values.items():  # only allow-listed settings changed
        if value != before[key] or type(value) is not type(before[key]):
            assert key in REMOTE or key.startswith("BME280_"), key
