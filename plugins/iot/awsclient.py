"""The AWS IoT connection (imported only when "AWS IoT"/"Enabled" is true; see plugins/iot/aws.py).

States, one step per poll: wait for WiFi and a set clock -> check the settings and certificate
files -> connect (TCP, TLS, MQTT CONNECT: one attempt) -> subscribe to the update responses ->
publish the latest observation when the minimum update interval allows. Any failure closes the
socket, is named once on the console, and waits a backoff (1 s doubling to 60 s, with jitter).

Nothing waits for an answer once connected: an update is written to the socket (QoS 1 with the
PUBACK setting, QoS 0 with "accepted") and its PUBACK, update/accepted or update/rejected is read
by a later poll, matched by packet id or clientToken. An update counts as confirmed only then.

Only what runs while connected stays resident. What runs at the start (the state, the settings
check, the outbox) is in awsprepare.py, at a connect attempt (the certificate checks, the TLS
context, MQTT CONNECT) in awsconnect.py, and what a rare event says in awswords.py (link trouble,
in a user's words) or awsnotes.py (a rejection, an update too big, !aws): each imported when needed and
released after (core.app.release), so their code and long messages cost heap only meanwhile.
"""
from adafruit_ticks import ticks_add, ticks_diff, ticks_ms

from core import net as netmod
from core.app import release
try:
    from typing import Any
except ImportError:
    pass

# awsprepare, awsconnect and awsnotes take the properties from here: plugins/iot/aws.py is released after setup.
from plugins.iot.aws import PROPERTIES

# The MQTT steps shared with MQTT Client and MQTT Secure Client (awsconnect and awswords import them from here).
from plugins.iot.mqttlink import (ACK_WAIT_MS, CAP_MS, CARD_CHECK_MS, RECV_TIMEOUT_S, SOCKET_TIMEOUT_S,  # noqa: F401
                                  make_client_class, drop, packet, receive, say, send)
STATE_LIMIT = 8192  # AWS: desired + reported state at most 8 KB
VERIFY_MS = 10000  # the first update after a connect must be accepted by the shadow by then
DOC_WAIT_MS = 3000  # the replay waits this long at most for the shadow document (awsdelta._delivered)
THROTTLE_CAP_MS = 60000  # 429/500 double the time between updates up to this much extra
IN_FLIGHT = 8  # updates sent and not yet confirmed, at most (AWS: 10 requests in flight per connection)
_HEAD = b'{"state":{"reported":'


def status(app):
    """!aws (registered by plugins/iot/aws.py while AWS IoT is enabled)."""
    for name, plugin in app.plugins:
        if name == "iot.aws":
            _call("awsnotes", "report", plugin)


def _call(name, function, *args):
    """function(*args) of plugins/iot/<name>.py, imported for the call and released after it (with
    awswords, which awsconnect imports after a failed attempt)."""
    name = "plugins.iot." + name
    module = __import__(name, None, None, (function,))
    try:
        return getattr(module, function)(*args)
    finally:
        release((name, "plugins.iot.awswords"))


class AWSClient:
    # Set by awsprepare.prepare() at boot, with what each means (annotations only: no code on the board).
    client: Any
    connected: bool
    backoff: Any
    problem: Any
    waiting_for: Any
    files_checked: Any
    since: int
    connected_wall: str
    pending: Any
    last_sent: Any
    throttle_ms: int
    sent: int
    confirmed: int
    rejected: int
    skipped: int
    too_big: int
    too_big_said: bool
    reconnects: int
    connects: int
    last_error: str
    tokens: list
    acks: list
    pid: int
    rejected_said: int
    rejected_since: bool
    throttle_hit: bool
    seq: int
    prefix: str
    ping_at: Any
    context: Any
    verifying: bool
    unsubscribe_due: bool
    min_ms: int
    confirm_accepted: bool
    server: str
    port: int
    thing: str
    topic: str
    topic_bytes: bytes
    keep_alive: int
    limit: int
    config_error: Any
    get_misses: int
    doc_due: bool
    cfg_again: Any
    out_of_order: bool
    box: Any
    flight: list
    queued: int
    drops_told: int
    drop_said: bool
    replay_ms: int

    def __init__(self, app, net):
        self.app = app
        self.net = net
        _call("awsprepare", "prepare", self)  # the state (listed there) and the settings, checked

    name = "AWS IoT"
    _say = say

    # --- the loop -------------------------------------------------------------------------

    def write(self, observation):
        box = self.box
        if box is not None and (box.pending or not self.connected or self.verifying
                                or len(self.flight) >= IN_FLIGHT):
            # Not deliverable now (IN_FLIGHT unconfirmed: a link that stalls), or older ones wait:
            # into the outbox, behind the live one still waiting. Logging faster than the Minimum
            # Update Interval, one observation in every so many (counted, not timed: a late tick
            # must not cost the next one its place).
            if not box.pending:
                # The live updates in flight become the outbox's oldest entries, as if sent from it,
                # so whatever the link does next they stay ahead of the newer ones (awsconnect.requeue).
                for item in self.flight:
                    if item[1] is not None and not item[2]:  # (confirmed ones only wait to be settled)
                        self._queue(item[1])
                        item[1] = None
                        box.next()
            if self.pending is not None:
                self._queue(self.pending)
                self.pending = None
            interval = self.app.interval_ms
            every = (self.min_ms + interval - 1) // interval if interval > 0 else 1
            self.queued += 1
            if every > 1 and self.queued % every:
                self.skipped += 1
                return
            self._queue(observation.json())
            return
        if self.pending is not None:
            self.skipped += 1  # the latest observation wins between updates; the card holds them all
        self.pending = observation.json()

    def _queue(self, text):
        box = self.box
        wall = self.app.wall
        dropped = box.put(self.app.entry, wall.epoch_ms() // 1000 if wall.is_set() else 0, text)
        if box.error and box.error != self.last_error:
            self.last_error = box.error
            self.app.warn("AWS IoT: " + box.error)
        if dropped and not self.drop_said:
            self.drop_said = True  # said once until the outbox empties; counted in !aws and the shadow
            _call("awswords", "outbox_full", self)

    def _settle(self, token):
        """An update confirmed (or given up): the oldest confirmed in a row leave the outbox."""
        flight = self.flight
        for item in flight:
            if item[0] == token:
                item[2] = True
                break
        while flight and flight[0][2]:
            item = flight.pop(0)
            if item[1] is None:
                self.box.confirm()
            if item[3] >= 0:
                self.drops_told = item[3]
        box = self.box
        if box is not None and not box.pending:
            self.drop_said = False
            self.out_of_order = False
            if self.cfg_again is not None:  # a settings report older observations followed: sent again
                _call("awsdelta", "again", self)

    def poll(self, now):
        net = self.net
        if self.config_error:
            self.waiting_for = "settings"
            return
        if not net.up:
            if self.connected:
                self._lost("WiFi is down")
            self.waiting_for = "WiFi"
            return
        if self.connected:
            self._receive(now)
            if self.connected and self.unsubscribe_due and not self.acks:
                self.unsubscribe_due = False
                _call("awsconnect", "unsubscribe_accepted", self)
                return
            if self.connected:
                self._send(now)
            return
        if not self.backoff.ready(now):
            return
        if not net.clock_ok():
            if self.waiting_for != "clock":
                self.waiting_for = "clock"
                _call("awswords", "no_clock", self)
            return
        if (self.context is None and self.files_checked is not None
                and ticks_diff(now, self.files_checked) < CARD_CHECK_MS):
            return  # certificate files missing: looked for again every few seconds
        _call("awsconnect", "attempt", self, now)

    def _lost(self, text, err=None):
        """The link is gone (`text`, or `err` named in a user's words): closed, and reconnected later."""
        self._close()  # first: the socket's TLS memory goes before the words are loaded
        if err is not None:
            text = _call("awswords", "why", err, self.server, self.port)
        self.last_error = text
        self.app.warn("AWS IoT: connection lost (" + text + "); reconnecting (logging goes on)")
        self.backoff.failed(ticks_ms())

    def _close(self):
        self.connected = False
        if self.client is not None:
            drop(self.client)  # first: the socket's TLS memory goes before a module is loaded
        if self.box is None:
            self.flight = []
        else:
            _call("awsconnect", "requeue", self)  # what was sent but not confirmed goes back to the outbox

    def _receive(self, now):
        if not receive(self, now):  # PUBACKs (to _puback), update/accepted and rejected, the keep-alive
            return
        if self.acks and ticks_diff(now, self.acks[0][2]) > ACK_WAIT_MS:
            self._lost(_call("awswords", "no_puback", self))
        elif not self.verifying and self.tokens and ticks_diff(now, self.tokens[0][1]) > ACK_WAIT_MS:
            # "accepted": the shadow answers every update (accepted or rejected); none means the link is dead
            self._lost(_call("awswords", "no_answer", self, "update/accepted", ACK_WAIT_MS))

    def _puback(self, pid):
        acks = self.acks
        for i in range(len(acks)):
            if acks[i][0] == pid:
                token = acks.pop(i)[1]
                if not self.verifying:
                    self._confirmed(token, "")
                return

    def _send(self, now):
        tokens = self.tokens
        if self.verifying and tokens:
            if ticks_diff(now, tokens[0][1]) > VERIFY_MS:
                _call("awswords", "no_shadow_answer", self, now)
            return  # one update at a time until the shadow has answered once
        box = self.box
        flight = self.flight
        replay = box is not None and box.pending > 0
        if self.doc_due:
            if ticks_diff(now, self.since) >= DOC_WAIT_MS:
                self.doc_due = False
            elif replay:
                return  # the shadow document first: what it shows of the outbox is not sent again (awsdelta.py)
        if replay:
            interval = self.replay_ms  # the outbox drains faster than observations come
        elif self.pending is None:
            return
        else:
            interval = self.min_ms
        if box is not None and len(flight) >= IN_FLIGHT:
            return
        throttle = self.throttle_ms
        if throttle and not self.throttle_hit:
            throttle //= 2  # no 429/500 for the last update: the rate recovers
        if self.last_sent is not None and ticks_diff(now, self.last_sent) < interval + throttle:
            return
        if replay:
            record = box.next()  # the oldest not yet sent, with its own time and entry number
            if record is None:
                return  # all sent, awaiting confirmation
            text = record[2]
            live = None
        else:
            text = live = self.pending
            self.pending = None
        record = None
        item = [None, live, False, -1]
        if box is not None:  # kept until confirmed: sent again from the outbox if the link goes first
            flight.append(item)
        if box is not None and box.dropped != self.drops_told:
            item[3] = box.dropped
            text = text[:-1] + ',"outbox_dropped":' + str(box.dropped) + "}"
        if throttle != self.throttle_ms:
            self.throttle_ms = throttle if throttle >= self.min_ms else 0
            if not self.throttle_ms:
                _call("awsnotes", "unthrottled", self)
        self.throttle_hit = False
        if not self.rejected_since:
            self.rejected_said = 0  # the last update went through: a new rejection is named again
        self.rejected_since = False
        data = text.encode()  # the bytes AWS counts (a character may take up to 4)
        text = live = None
        size = len(data)
        if size + 13 > STATE_LIMIT:  # {"reported":...}: AWS's 8 KB counts desired + reported
            item[2] = True  # never sendable: it leaves the outbox (the card's log holds it)
            self._settle(None)
            _call("awsnotes", "too_big", self, "over_state", size)
            return
        token = self.prefix + "-" + str(self.seq + 1)
        tail = '},"clientToken":"' + token + '"}'
        size += len(_HEAD) + len(tail)  # the payload: {"state":{"reported":<observation>},"clientToken":"..."}
        if self.limit and size > self.limit:
            item[2] = True
            self._settle(None)
            _call("awsnotes", "too_big", self, "over_buffer", size)
            return
        item[0] = token
        self.seq += 1
        self.too_big_said = False
        # Paced by the schedule, not by when a poll came: the loop's small delays must not add up
        # (a 1 s log and a 1 s Minimum Update Interval would otherwise skip an observation now and then).
        last = self.last_sent
        interval += throttle
        self.last_sent = now if last is None or ticks_diff(now, last) >= 2 * interval else ticks_add(last, interval)
        if self.verifying or self.confirm_accepted:
            if len(tokens) >= 10:  # AWS allows 10 requests in flight per connection; the oldest
                tokens.pop(1)  # is kept: its age tells a dead link (_receive)
            tokens.append((token, now))
        qos1 = not self.confirm_accepted
        if qos1:
            self.pid = self.pid % 0xFFFF + 1
        try:
            whole = packet(self.client, self.topic_bytes, self.pid if qos1 else 0, (_HEAD, data, tail.encode()))
        except MemoryError as err:
            self._lost("", err)
            return
        data = None
        if not send(self, whole):  # one write, one TLS record; bounded (mqttlink.make_client_class)
            return
        whole = None
        if qos1:  # its PUBACK is read by a later poll: MiniMQTT's publish() would wait for it
            if len(self.acks) >= 10:
                self.acks.pop(1)  # the oldest is kept: its age tells a dead link (_receive)
            self.acks.append((self.pid, token, now))
        self.sent += 1

    def _confirmed(self, token, version):
        """An update confirmed by its PUBACK (version "") or by update/accepted with its clientToken."""
        if version:
            for i in range(len(self.tokens)):
                if self.tokens[i][0] == token:
                    self.tokens.pop(i)
                    break
            else:
                return  # not awaited: another client's, or one its PUBACK already confirmed
        self.confirmed += 1
        self._settle(token)
        self.app.info("AWS IoT: update " + token + " " + ("accepted, shadow version " + version
                                                         if version else "delivered (PUBACK)"))
        if self.verifying:
            self.verifying = False
            if not self.confirm_accepted:
                self.unsubscribe_due = True

    def _message(self, client, topic, message):
        self.ping_at = None
        token = field(message, "clientToken")
        if topic.endswith("/delta") or "-cfg" in token:
            # The shadow's desired settings (update/delta, and the answer to the get sent at connect) and
            # the answers to what the logger reported of them: plugins/iot/awsdelta.py, loaded for it.
            # Answers to other clients' gets and updates are not this logger's.
            _call("awsdelta", "handle", self, topic, message)
        elif topic.endswith("/accepted"):
            if token:
                self._confirmed(token, field(message, "version"))
        elif topic.endswith("/rejected"):
            _call("awsnotes", "rejected", self, token, message)
            if token and self.box is not None:
                _call("awsconnect", "rejected", self, token, field(message, "code"))

    def apply(self, prop, value):
        # A setting changed (menu, shadow delta: core/live.py): the update rate takes effect at once.
        if prop.key == "AWS_IOT_MINIMUM_UPDATE_INTERVAL":
            self.min_ms = value
            return True
        return False

    def close(self):
        client = self.client
        if client is not None and self.connected:
            try:
                client.disconnect()
            except Exception:
                pass
        self._close()


def field(message, name):
    """A top-level string or number field of a JSON message, without parsing a large document."""
    key = '"' + name + '":'
    at = message.rfind(key)
    if at < 0:
        return ""
    at += len(key)
    while at < len(message) and message[at] == " ":
        at += 1
    if at < len(message) and message[at] == '"':
        end = message.find('"', at + 1)
        return message[at + 1:end] if end > 0 else ""
    end = at
    while end < len(message) and message[end] in "0123456789":
        end += 1
    return message[at:end]
