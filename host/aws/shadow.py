"""The classic-shadow service of AWS IoT, answering over MQTT as AWS does (PC side only).

moto's iot-data shadow model (FakeShadow) does the merge, delta and versions; this adds what
moto lacks and AWS IoT does (aws-shadow.md): the 8 KB state limit (413), JSON depth 6, the
128 KB payload limit, clientToken (string of at most 64 bytes, echoed), the types of `state`,
`desired` and `reported`, `"desired": null` / `"reported": null` removing the section, `version`
sent for a shadow that doesn't exist (409), and 404 for get/delete of a missing shadow.

Responses go on update/accepted, update/rejected, update/delta (when an update with `desired`
leaves desired differing from reported), update/documents, get/accepted, get/rejected,
delete/accepted and delete/rejected. Not mimicked: named shadows, 429 throttling, 401/403
(the broker's ACL drops forbidden publishes silently, as AWS does under MQTT 3.1.1).

A test control, not AWS behaviour (see "Test control" below): `fail_next(state_dir, thing, code,
count)` makes the next `count` updates of `thing` be rejected with `code` (403, 429, 500, ...,
with AWS's message for it), so tests can see how a device handles answers the model never gives.

Run as a process: `python -m host.aws.service --port P --ca CA --cert C --key K --state-dir D`.
It prints one line per accepted (or rejected) update; its state folder holds, for the tests
and for a look while it runs:
- `<thing>.json`: the current document, as get/accepted returns it;
- `accepted.jsonl` / `rejected.jsonl`: one JSON object per accepted / rejected update;
both are written before the answer is published, so a client holding an answer can read them.
"""

import argparse
import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time

from .proc import Server, wait_until

MAX_STATE_BYTES = 8 * 1024
MAX_PAYLOAD_BYTES = 128 * 1024
MAX_DEPTH = 6
MAX_TOKEN_BYTES = 64
PREFIX = "$aws/things/"
ACCOUNT = "123456789012"
REGION = "us-east-1"
OPS = ("update", "get", "delete")


class Rejection(Exception):
    def __init__(self, code, message, injected=False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.injected = injected  # made by the test control, not by the model


def _depth(value):
    """Levels of nesting below a section: {"a": 1} is 1, {"a": {"b": 1}} is 2."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _metadata(value, ts):
    if isinstance(value, dict):
        return {k: _metadata(v, ts) for k, v in value.items()}
    if isinstance(value, list):
        return [_metadata(v, ts) for v in value]
    return {"timestamp": ts}


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def _pruned(value):
    """A delta without the empty objects moto leaves where desired and reported agree below a key
    (AWS lists only what differs: {"BME280": {}} is no delta)."""
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        item = _pruned(item)
        if item != {} or not isinstance(value[key], dict):
            out[key] = item
    return out


def _full(shadow):
    """shadow.to_dict() with its delta as AWS gives it (see _pruned)."""
    doc = shadow.to_dict()
    state = doc.get("state")
    if isinstance(state, dict) and "delta" in state:
        state["delta"] = _pruned(state["delta"])
        if not state["delta"]:
            del state["delta"]
    return doc


def parse_topic(topic):
    """`$aws/things/<thing>/shadow/<op>` -> (thing, op), or None."""
    if not topic.startswith(PREFIX):
        return None
    parts = topic[len(PREFIX) :].split("/")
    if len(parts) != 3 or parts[1] != "shadow" or parts[2] not in OPS or not parts[0]:
        return None
    return parts[0], parts[2]


# --- Test control (a test tool, not AWS behaviour) --------------------------------------
# A file <state_dir>/fail-next/<thing>.json holding {"code": N, "count": K, "message": "..."}
# makes the next K updates of that Thing be rejected with that code before the model sees
# them (nothing is merged; the rejection is recorded with "injected": true). The service
# reads it on every update, so a test writes it while everything runs; fail_next() does.

INJECTED_MESSAGES = {
    400: "Invalid JSON",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Version conflict",
    413: "The payload exceeds the maximum size allowed",
    429: "Too Many Requests",
    500: "Internal service failure",
}


def _control_path(state_dir, thing):
    return os.path.join(state_dir, "fail-next", thing + ".json")


def fail_next(state_dir, thing, code, count=1, message=None):
    """Test control: reject the next `count` updates of `thing` with `code` (and AWS's message)."""
    path = _control_path(state_dir, thing)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = {"code": code, "count": count, "message": message or INJECTED_MESSAGES.get(code, "Rejected")}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(body, f)
    os.replace(tmp, path)


def failures_left(state_dir, thing):
    """How many injected rejections of `thing` are still to come."""
    try:
        with open(_control_path(state_dir, thing), encoding="utf-8") as f:
            return json.load(f)["count"]
    except FileNotFoundError:
        return 0


def _take_injected(state_dir, thing):
    """(code, message) of an injected rejection for this update, or None; counts it down."""
    if state_dir is None:
        return None
    path = _control_path(state_dir, thing)
    try:
        with open(path, encoding="utf-8") as f:
            body = json.load(f)
    except (FileNotFoundError, ValueError):
        return None
    body["count"] -= 1
    if body["count"] <= 0:
        os.remove(path)
    else:
        fail_next(state_dir, thing, body["code"], body["count"], body["message"])
    return body["code"], body["message"]


class ShadowModel:
    """Every Thing's classic shadow, kept in moto's iot-data backend. Thread-safe.

    handle(topic, payload) returns the (topic, payload bytes) answers to publish and records
    the result; on_accepted / on_rejected are called (under the lock) before it returns.
    """

    def __init__(self, on_accepted=None, on_rejected=None, on_document=None, control_dir=None):
        # moto is imported here: it is large, and only the service needs it.
        from moto.iot.models import iot_backends  # pylint: disable=import-outside-toplevel
        from moto.iotdata.models import FakeShadow  # pylint: disable=import-outside-toplevel

        self._fake_shadow = FakeShadow
        self._iot = iot_backends[ACCOUNT][REGION]
        self._lock = threading.Lock()
        self.on_accepted = on_accepted
        self.on_rejected = on_rejected
        self.on_document = on_document
        self.control_dir = control_dir  # where the test control's files are; None: no control

    # -- moto's model ---------------------------------------------------------------------

    def _thing(self, name):
        try:
            return self._iot.describe_thing(name)
        except Exception:  # pylint: disable=broad-except  # moto's ResourceNotFoundException
            # AWS keeps a classic shadow for any Thing name the policy allows.
            self._iot.create_thing(name, None, None)
            return self._iot.describe_thing(name)

    def _current(self, name):
        shadow = self._thing(name).thing_shadows.get(None)
        if shadow is None or shadow.deleted:
            return None
        return shadow

    def document(self, name):
        """The current document as get/accepted gives it (without clientToken), or None."""
        with self._lock:
            shadow = self._current(name)
            return None if shadow is None else _full(shadow)

    # -- requests -------------------------------------------------------------------------

    def handle(self, topic, payload):
        parsed = parse_topic(topic)
        if parsed is None:
            return []
        thing, op = parsed
        with self._lock:
            base = PREFIX + thing + "/shadow/" + op
            token = None
            try:
                request, token = self._parse(payload, op)
                injected = _take_injected(self.control_dir, thing) if op == "update" else None
                if injected is not None:
                    raise Rejection(injected[0], injected[1], injected=True)
                if op == "update":
                    answers = self._update(thing, base, request, token, len(payload))
                elif op == "get":
                    answers = self._get(thing, base, token)
                else:
                    answers = self._delete(thing, base, token)
            except Rejection as rej:
                body = {"code": rej.code, "message": rej.message, "timestamp": int(time.time())}
                if token is not None:
                    body["clientToken"] = token
                if self.on_rejected:
                    self.on_rejected(thing, op, dict(body, injected=True) if rej.injected else body)
                answers = [(base + "/rejected", body)]
            return [(t, _compact(b).encode()) for t, b in answers]

    def _parse(self, payload, op):
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise Rejection(413, "The payload exceeds the maximum size allowed")
        if op != "update" and not payload.strip():
            return {}, None  # get and delete take an empty payload
        try:
            request = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Rejection(400, "Invalid JSON") from exc
        if not isinstance(request, dict):
            raise Rejection(400, "Invalid JSON")
        token = request.get("clientToken")
        if "clientToken" in request and (
            not isinstance(token, str) or len(token.encode("utf-8")) > MAX_TOKEN_BYTES
        ):
            raise Rejection(400, "Invalid clientToken")
        return request, token

    def _update(self, thing, base, request, token, size):
        if "state" not in request:
            raise Rejection(400, "Missing required node: state")
        state = request["state"]
        if not isinstance(state, dict):
            raise Rejection(400, "State node must be an object")
        for key in state:
            if key not in ("desired", "reported"):
                raise Rejection(400, "State contains an invalid node: '%s'" % key)
        for key in ("desired", "reported"):
            if key in state and state[key] is not None and not isinstance(state[key], dict):
                raise Rejection(400, "%s node must be an object" % key.capitalize())
        if any(_depth(state.get(k)) > MAX_DEPTH for k in ("desired", "reported")):
            raise Rejection(400, "JSON contains too many levels of nesting; maximum is 6")
        version = request.get("version")
        if "version" in request and (
            isinstance(version, bool) or not isinstance(version, int) or version < 0
        ):
            raise Rejection(400, "Invalid version")

        thing_obj = self._thing(thing)
        stored = thing_obj.thing_shadows.get(None)
        live = stored if stored is not None and not stored.deleted else None
        if "version" in request and (stored is None or stored.version != version):
            # No document (never made) has no version to match: a conflict, as a stale one.
            raise Rejection(409, "Version conflict")

        # moto merges into dicts it shares with the previous version and the request: copy.
        previous = copy.deepcopy(stored) if stored is not None else None
        moto_request = {"state": copy.deepcopy({k: v for k, v in state.items() if v is not None})}
        new = self._fake_shadow.create_from_previous_version(previous, moto_request)
        if "desired" in state and state["desired"] is None:
            new.desired, new.metadata_desired = None, None
        if "reported" in state and state["reported"] is None:
            new.reported, new.metadata_reported = None, None
        sections = {k: v for k, v in (("desired", new.desired), ("reported", new.reported)) if v}
        if len(_compact(sections).encode("utf-8")) > MAX_STATE_BYTES:
            raise Rejection(413, "The payload exceeds the maximum size allowed")
        thing_obj.thing_shadows[None] = new

        ts = new.timestamp
        accepted = {
            "state": state,
            "metadata": {k: _metadata(v, ts) for k, v in state.items()},
            "version": new.version,
            "timestamp": ts,
        }
        current = new.to_dict(include_delta=False)
        documents = {
            "previous": live.to_dict(include_delta=False) if live is not None else None,
            "current": current,
            "timestamp": ts,
        }
        if token is not None:
            accepted["clientToken"] = token
            documents["clientToken"] = token
        answers = [(base + "/accepted", accepted)]
        delta = _full(new)["state"].get("delta")
        if isinstance(state.get("desired"), dict) and delta:
            body = {
                "version": new.version,
                "timestamp": ts,
                "state": delta,
                "metadata": _metadata(delta, ts),
            }
            if token is not None:
                body["clientToken"] = token
            answers.append((base + "/delta", body))
        answers.append((base + "/documents", documents))
        if self.on_document:
            self.on_document(thing, _full(new))
        if self.on_accepted:
            self.on_accepted(thing, accepted, size)
        return answers

    def _get(self, thing, base, token):
        shadow = self._current(thing)
        if shadow is None:
            raise Rejection(404, "No shadow exists with name: '%s'" % thing)
        body = _full(shadow)
        if token is not None:
            body["clientToken"] = token
        return [(base + "/accepted", body)]

    def _delete(self, thing, base, token):
        thing_obj = self._thing(thing)
        shadow = self._current(thing)
        if shadow is None:
            raise Rejection(404, "No shadow exists with name: '%s'" % thing)
        new = self._fake_shadow.create_from_previous_version(copy.deepcopy(shadow), None)
        thing_obj.thing_shadows[None] = new
        body = {"version": new.version, "timestamp": new.timestamp}
        if token is not None:
            body["clientToken"] = token
        if self.on_document:
            self.on_document(thing, None)
        return [(base + "/accepted", body)]


# --- the state folder the service keeps (read by the tests and by `python -m host.aws --show`)


def _append_jsonl(path, obj):
    with open(path, "a", encoding="utf-8") as f:
        f.write(_compact(obj) + "\n")


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def read_document(state_dir, thing):
    """The Thing's current shadow document (as get/accepted gives it), or None."""
    path = os.path.join(state_dir, thing + ".json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _read_jsonl(path, thing):
    try:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.endswith("\n")]
    except FileNotFoundError:
        return []
    return [r for r in rows if thing is None or r["thing"] == thing]


def read_accepted(state_dir, thing=None):
    """Accepted updates, oldest first: {"thing", "version", "clientToken", "state", "bytes"}."""
    return _read_jsonl(os.path.join(state_dir, "accepted.jsonl"), thing)


def read_rejected(state_dir, thing=None):
    """Rejected requests, oldest first: {"thing", "op", "code", "message", "clientToken"}."""
    return _read_jsonl(os.path.join(state_dir, "rejected.jsonl"), thing)


def _summary(state):
    parts = []
    for section in ("reported", "desired"):
        if section in state:
            value = state[section]
            keys = ", ".join(value) if isinstance(value, dict) else "null"
            parts.append("%s: %s" % (section, keys))
    return "; ".join(parts)


# --- the service process ------------------------------------------------------------------


def serve(args):
    import paho.mqtt.client as mqtt  # pylint: disable=import-outside-toplevel

    os.makedirs(args.state_dir, exist_ok=True)
    out = sys.stdout

    def say(line):
        out.write(time.strftime("%H:%M:%S ") + line + "\n")
        out.flush()

    def on_accepted(thing, accepted, size):
        row = {
            "thing": thing,
            "version": accepted["version"],
            "clientToken": accepted.get("clientToken"),
            "bytes": size,
            "state": accepted["state"],
        }
        _append_jsonl(os.path.join(args.state_dir, "accepted.jsonl"), row)
        token = accepted.get("clientToken")
        say(
            "[aws] %s update accepted: version %d, %d bytes%s, %s"
            % (
                thing,
                accepted["version"],
                size,
                ", clientToken " + token if token is not None else "",
                _summary(accepted["state"]),
            )
        )
        if args.print_document:
            # from the cache: model.document() would wait for the lock this call runs under
            say("[aws] %s shadow document:\n%s" % (thing, json.dumps(docs.get(thing), indent=2)))

    def on_rejected(thing, op, body):
        row = {"thing": thing, "op": op}
        row.update(body)
        row.setdefault("clientToken", None)
        _append_jsonl(os.path.join(args.state_dir, "rejected.jsonl"), row)
        say("[aws] %s %s rejected: %d %s%s" % (thing, op, body["code"], body["message"],
                                               " (test control)" if body.get("injected") else ""))

    docs = {}

    def on_document(thing, doc):
        docs[thing] = doc
        path = os.path.join(args.state_dir, thing + ".json")
        if doc is None:
            if os.path.exists(path):
                os.remove(path)
        else:
            _write_json(path, doc)

    model = ShadowModel(on_accepted, on_rejected, on_document, control_dir=args.state_dir)
    ready = os.path.join(args.state_dir, "ready")
    if os.path.exists(ready):
        os.remove(ready)
    subscribed = threading.Event()

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="aws-shadow-service", clean_session=True
    )
    client.tls_set(ca_certs=args.ca, certfile=args.cert, keyfile=args.key)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    topics = [(PREFIX + "+/shadow/" + op, 1) for op in OPS]

    def on_connect(cl, _userdata, _flags, reason_code, _props):
        if reason_code.is_failure:
            say("[aws] shadow service: broker refused the connection: %s" % reason_code)
            return
        cl.subscribe(topics)  # again on every reconnect: the session is clean

    def on_subscribe(_cl, _userdata, _mid, reason_codes, _props):
        if any(rc.is_failure for rc in reason_codes):
            say("[aws] shadow service: subscription refused: %s" % reason_codes)
            return
        # The ready file is written again after each reconnect: StandIn.restart_broker waits for it.
        with open(ready, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
        if not subscribed.is_set():
            subscribed.set()
            say("[aws] shadow service ready on %s:%d" % (args.host, args.port))

    def on_message(cl, _userdata, msg):
        try:
            answers = model.handle(msg.topic, msg.payload)
        except Exception as exc:  # pylint: disable=broad-except
            say("[aws] shadow service: internal error on %s: %r" % (msg.topic, exc))
            parsed = parse_topic(msg.topic)
            if parsed:
                body = {"code": 500, "message": "Internal service failure"}
                answers = [
                    (PREFIX + parsed[0] + "/shadow/" + parsed[1] + "/rejected", _compact(body).encode())
                ]
            else:
                answers = []
        for topic, payload in answers:
            cl.publish(topic, payload, qos=1)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message

    stopping = threading.Event()

    def on_signal(_signum, _frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.connect(args.host, args.port, keepalive=30)
            break
        except OSError as exc:
            if time.monotonic() > deadline or stopping.is_set():
                say("[aws] shadow service: cannot reach the broker: %s" % exc)
                return 1
            time.sleep(0.2)
    client.loop_start()
    while not stopping.wait(0.5):
        pass
    client.disconnect()
    client.loop_stop()
    return 0


class ShadowService(Server):
    """The shadow service as a child process, started and stopped by PID."""

    def __init__(self, certs, broker_host, broker_port, state_dir, *, print_document=False, log_path=None):
        self.certs = certs
        self.host = broker_host
        self.port = broker_port
        self.state_dir = str(state_dir)
        self.print_document = print_document
        self.log_path = log_path  # None: the service prints to our stdout

    @property
    def ready_path(self):
        return os.path.join(self.state_dir, "ready")

    def forget_ready(self):
        if os.path.exists(self.ready_path):
            os.remove(self.ready_path)

    def wait_ready(self, timeout=20):
        """Wait until the service has (re)subscribed on the broker."""
        wait_until(lambda: os.path.exists(self.ready_path), self.proc, timeout, "shadow service", self.log_path)

    def start(self, timeout=20):
        os.makedirs(self.state_dir, exist_ok=True)
        ready = self.ready_path
        self.forget_ready()
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        cmd = [
            sys.executable,
            "-m",
            "host.aws.service",
            "--host", self.host,
            "--port", str(self.port),
            "--ca", self.certs.ca,
            "--cert", self.certs.service_cert,
            "--key", self.certs.service_key,
            "--state-dir", self.state_dir,
        ]  # fmt: skip
        if self.print_document:
            cmd.append("--print-document")
        if self.log_path:
            self._log = open(self.log_path, "ab")  # pylint: disable=consider-using-with
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            cmd,
            cwd=repo,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,
        )
        return self._wait_started(lambda: os.path.exists(ready), timeout, "shadow service")

    def document(self, thing):
        return read_document(self.state_dir, thing)

    def accepted(self, thing=None):
        return read_accepted(self.state_dir, thing)

    def rejected(self, thing=None):
        return read_rejected(self.state_dir, thing)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host.aws.service", description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--print-document", action="store_true", help="print the document after each update")
    return serve(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
