"""The AWS IoT connection (imported only when "AWS IoT"/"Enabled" is true; see plugins/iot/aws.py).

States, one step per poll: wait for WiFi and a set clock -> check the settings and certificate
files -> connect (TCP, TLS, MQTT CONNECT: one attempt) -> subscribe to the update responses ->
publish the latest observation when the minimum update interval allows. Any failure closes the
socket, is named once on the console, and waits a backoff (1 s doubling to 60 s, with jitter).

Nothing waits for an answer once connected: an update is written to the socket (QoS 1 with the
PUBACK setting, QoS 0 with "accepted") and its PUBACK, update/accepted or update/rejected is read
by a later poll, matched by packet id or clientToken. An update counts as confirmed only then.

Only what runs while connected stays resident. What runs at a connect attempt (the settings and
certificate checks, the TLS context, MQTT CONNECT) is in awsconnect.py, and what a rare event says
(an error in a user's words, a rejection, !aws) in awswords.py: each imported when needed and
released after (core.app.release), so their code and long messages cost heap only meanwhile.
"""
import errno
import random

from adafruit_ticks import ticks_diff, ticks_ms

from core import net as netmod
from core.app import release
try:
    from typing import Any
except ImportError:
    pass

# awsconnect and awswords take the properties from here: plugins/iot/aws.py is released after setup.
from plugins.iot.aws import PROPERTIES

SOCKET_TIMEOUT_S = 1  # TCP connect and each TLS/MQTT read while connecting
RECV_TIMEOUT_S = 2  # the longest wait for one broker answer while connecting (CONNACK, SUBACK)
ACK_WAIT_MS = 10000  # a PUBACK not come by then: the broker stopped answering, the link is dead
CAP_MS = 60000
CARD_CHECK_MS = 5000  # how often missing certificate files are looked for again
STATE_LIMIT = 8192  # AWS: desired + reported state at most 8 KB
VERIFY_MS = 10000  # the first update after a connect must be accepted by the shadow by then
THROTTLE_CAP_MS = 60000  # 429/500 double the time between updates up to this much extra
IN_FLIGHT = 8  # updates sent and not yet confirmed, at most (AWS: 10 requests in flight per connection)
_HEAD = b'{"state":{"reported":'


def status(app):
    """!aws (registered by plugins/iot/aws.py while AWS IoT is enabled)."""
    for name, plugin in app.plugins:
        if name == "iot.aws":
            _call("awswords", "report", plugin)


_ON_DEMAND = ("plugins.iot.awsconnect", "plugins.iot.awswords")


def _call(name, function, *args):
    """function(*args) of plugins/iot/<name>.py, imported for the call; both on-demand modules are
    released after it (awsconnect imports awswords)."""
    module = __import__("plugins.iot." + name, None, None, (function,))
    try:
        return getattr(module, function)(*args)
    finally:
        release(_ON_DEMAND)


def make_client_class():
    """MiniMQTT's client with a non-blocking first read, so polling for messages never waits."""
    from adafruit_minimqtt.adafruit_minimqtt import MQTT

    class Client(MQTT):
        peek = False
        limit = 0
        heard = 0  # tick of the last packet received

        def _sock_exact_recv(self, bufsize, timeout=None):
            if not self.peek:
                return super()._sock_exact_recv(bufsize, timeout)
            self.peek = False
            sock: Any = self._sock
            sock.settimeout(0)
            buf = bytearray(1)
            try:
                got = sock.recv_into(buf, 1)  # OSError(EAGAIN): nothing there; MiniMQTT returns None
            finally:
                sock.settimeout(self._socket_timeout)
            if not got:
                raise OSError(errno.ENOTCONN)  # the broker closed the connection
            self.heard = ticks_ms()
            return buf

        def _connect(self, *args, **kwargs):
            result = super()._connect(*args, **kwargs)
            self.heard = ticks_ms()  # the CONNACK
            return result

        def _send_bytes(self, buffer):
            """MiniMQTT's, with a deadline: a write that finds no room (OSError EAGAIN: every socket
            is non-blocking on the board) is retried for SOCKET_TIMEOUT_S, then the link counts as
            stalled. MiniMQTT's retries without end, holding the loop until lwIP gives up (minutes)."""
            sock: Any = self._sock
            size = len(buffer)
            data = buffer
            done = 0
            start = ticks_ms()
            while True:
                try:
                    sent = sock.send(data)
                except OSError as err:
                    if err.errno != errno.EAGAIN:
                        raise
                    if ticks_diff(ticks_ms(), start) >= SOCKET_TIMEOUT_S * 1000:
                        raise OSError(errno.ETIMEDOUT)  # named "no answer from <server> within 1 s"
                    continue
                if not isinstance(sent, int):
                    return  # some sockets' send() returns None: all was taken
                done += sent
                if done >= size:
                    return
                data = memoryview(buffer)[done:]

        def _decode_remaining_length(self):
            size = super()._decode_remaining_length()
            if self.limit and size > self.limit:
                from adafruit_minimqtt.adafruit_minimqtt import MMQTTException
                raise MMQTTException(_call("awswords", "over_buffer", "broker", size, self.limit))
            return size

    return Client


class AWSClient:
    # Set by awsconnect.prepare() at boot, with what each means (annotations only: no code on the board).
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
    box: Any
    flight: list
    queued: int
    drops_told: int
    drop_said: bool
    replay_ms: int

    def __init__(self, app, net):
        self.app = app
        self.net = net
        _call("awsconnect", "prepare", self)  # the state (listed there) and the settings, checked

    def _say(self, text, warn=True):
        if text == self.problem:
            return
        self.problem = text
        if warn:
            self.last_error = text
            self.app.warn("AWS IoT: " + text)
        else:
            self.app.info("AWS IoT: " + text)

    # --- the loop -------------------------------------------------------------------------

    def write(self, observation):
        box = self.box
        if box is not None and (box.pending or not self.connected or self.verifying):
            # Not deliverable now, or older ones wait: into the outbox. Logging faster than the
            # Minimum Update Interval, one observation in every so many (counted, not timed: a
            # late tick must not cost the next one its place).
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
            self.app.warn("AWS IoT: outbox full: the oldest observations waiting are dropped (" + str(box.dropped)
                          + " so far; the card's log holds them); the shadow is told in \"outbox_dropped\"")

    def _requeue(self):
        """The link is gone: what was sent and not confirmed is sent again from the outbox, the
        live updates (older than anything queued since) queued first."""
        box = self.box
        flight = self.flight
        self.flight = []
        if box is None:
            return
        for item in flight:
            if item[1] is not None and not item[2]:
                self._queue(item[1])
        if self.pending is not None:
            self._queue(self.pending)
            self.pending = None
        box.rewind()

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
        client = self.client
        self.connected = False
        self._requeue()
        if client is None:
            return
        try:
            client._close_socket()
        except Exception:  # the socket's close() raised (a dropped network): only the bookkeeping is left
            sock = client._sock
            client._sock = None
            # The connection manager forgets a socket only after its close() succeeded: without
            # this, every later connect would fail with "An existing socket is already connected".
            # (free_socket would hand this dead socket back to the next connect instead.)
            manager = client._connection_manager
            key = manager._key_by_managed_socket.pop(sock, None)
            if key is not None:
                manager._managed_socket_by_key.pop(key, None)
            manager._available_sockets.discard(sock)
        client._is_connected = False
        client._subscribed_topics = []

    def _receive(self, now):
        client = self.client
        try:
            for _ in range(4):  # at most a few messages per poll
                client.peek = True
                op = client._wait_for_msg()
                if op is None:
                    break
                if op == 0xD0:  # PINGRESP
                    self.ping_at = None
                elif op == 0x40 or op == 0xB0:  # PUBACK or UNSUBACK: length 2 and a packet id
                    rest = client._sock_exact_recv(3)
                    self.ping_at = None
                    if op == 0x40:
                        self._puback((rest[1] << 8) | rest[2])
            client.peek = False
            # Keep-alive: a PINGREQ once nothing was received (or sent) for half the period; no
            # answer within another half means the link is dead. Timed from what was received:
            # updates sent every second would otherwise put the ping off for ever.
            half = self.keep_alive * 500
            if self.ping_at is not None:
                if ticks_diff(now, self.ping_at) >= half:
                    self._lost(_call("awswords", "no_answer", self, "PINGRESP", half))
                    return
            elif (ticks_diff(now, client.heard) >= half
                  or ticks_diff(now, client._last_msg_sent_timestamp) >= half):
                client._send_bytes(b"\xc0\x00")
                client._last_msg_sent_timestamp = now
                self.ping_at = now
        except Exception as err:
            client.peek = False
            self._lost("", err)
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
                _call("awswords", "unthrottled", self)
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
            _call("awswords", "too_big", self, "over_state", size)
            return
        token = self.prefix + "-" + str(self.seq + 1)
        tail = '},"clientToken":"' + token + '"}'
        size += len(_HEAD) + len(tail)  # the payload: {"state":{"reported":<observation>},"clientToken":"..."}
        if self.limit and size > self.limit:
            item[2] = True
            self._settle(None)
            _call("awswords", "too_big", self, "over_buffer", size)
            return
        item[0] = token
        self.seq += 1
        self.too_big_said = False
        self.last_sent = now
        if self.verifying or self.confirm_accepted:
            if len(tokens) >= 10:  # AWS allows 10 requests in flight per connection; the oldest
                tokens.pop(1)  # is kept: its age tells a dead link (_receive)
            tokens.append((token, now))
        qos1 = not self.confirm_accepted
        if qos1:
            self.pid = self.pid % 0xFFFF + 1
        try:
            packet = self._packet(data, tail, qos1)
            data = None
            self.client._send_bytes(packet)  # one write, one TLS record; bounded (make_client_class)
        except Exception as err:
            self._lost("", err)
            return
        packet = None
        self.client._last_msg_sent_timestamp = ticks_ms()
        if qos1:  # its PUBACK is read by a later poll: MiniMQTT's publish() would wait for it
            if len(self.acks) >= 10:
                self.acks.pop(1)  # the oldest is kept: its age tells a dead link (_receive)
            self.acks.append((self.pid, token, now))
        self.sent += 1

    def _packet(self, data, tail, qos1):
        """The whole MQTT PUBLISH of an update in one buffer (QoS 1 with the next packet id, or 0)."""
        topic = self.topic_bytes
        n = len(topic)
        rest = 2 + n + (2 if qos1 else 0) + len(_HEAD) + len(data) + len(tail)
        header = bytearray(b"\x32" if qos1 else b"\x30")
        self.client._encode_remaining_length(header, rest)
        at = len(header)
        packet = bytearray(at + rest)
        packet[0:at] = header
        packet[at] = n >> 8
        packet[at + 1] = n & 0xFF
        at += 2
        packet[at:at + n] = topic
        at += n
        if qos1:
            packet[at] = self.pid >> 8
            packet[at + 1] = self.pid & 0xFF
            at += 2
        packet[at:at + len(_HEAD)] = _HEAD
        at += len(_HEAD)
        packet[at:at + len(data)] = data
        packet[at + len(data):] = tail.encode()
        return packet

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
        if topic.endswith("/accepted"):
            if token:
                self._confirmed(token, field(message, "version"))
        elif topic.endswith("/rejected"):
            _call("awswords", "rejected", self, token, message)
            if token and self.box is not None:
                self._rejected(token, field(message, "code"))

    def _rejected(self, token, code):
        """A rejected update leaves the outbox (the shadow cannot take it as it is), but one
        throttled (429, 500) is sent again: everything unconfirmed from the oldest on."""
        if code == "429" or code == "500":
            for item in self.flight:
                if item[0] == token:
                    self._requeue()
                    return
        self._settle(token)

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
