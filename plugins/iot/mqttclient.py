# The connection of MQTT Client and MQTT Secure Client (plugins/iot/mqtt.py, mqtts.py): imported only
# when one is enabled, one MQTTService each.
#
# One step per poll, each bounded: wait for WiFi (and, with TLS, a set clock and the certificate
# files) -> connect (TCP, TLS, MQTT CONNECT: one attempt) -> publish the waiting observations, one
# per poll, at QoS 1. Nothing waits for an answer: each PUBACK is read by a later poll
# (mqttlink.receive) and confirms its observation through delivered(entry), the one place a
# delivery is confirmed (where the outbox's confirm() goes). Any failure closes the socket, is said
# once, and waits a backoff (1 s doubling to 60 s, with jitter); the observations not confirmed are
# sent again after the reconnect (at least once: a broker may get one twice, never none of those
# kept).
#
# Without an outbox, observations wait in RAM, at most QUEUE_MAX: while the broker cannot be
# reached the oldest are dropped, and counted (!mqtt / !mqtts).
#
# With one ("Outbox Size", core/outbox.py through storeforward.py), as AWS IoT: while connected and
# the outbox empty, observations go out from RAM as above; anything else (not connected, older ones
# waiting in the outbox, RAM full) queues the observation in the outbox, behind whatever RAM held
# (mqttconnect.spill: RAM holds observations only while the outbox is empty, so the order is the
# logging order). Once connected the outbox is sent oldest first (each observation as it was logged:
# its own entry and time), up to WINDOW awaiting their PUBACK, new observations queued behind; each
# leaves it only at its PUBACK (delivered()). A link lost with PUBACKs not come sends those again
# (a broker may get one twice, never none).
#
# The connect attempt, the settings check and the words for rare events are in mqttconnect.py,
# imported when needed and released after, as AWS IoT's awsconnect.py.
from adafruit_ticks import ticks_diff

from core.app import release
from plugins.iot.mqttlink import ACK_WAIT_MS, CARD_CHECK_MS, drop, packet, receive, say, send

try:
    from typing import Any
except ImportError:
    pass

QUEUE_MAX = 8  # observations waiting in RAM (not yet sent) without an outbox
WINDOW = 4  # observations sent and not yet confirmed by their PUBACK


def status_mqtt(app):
    _status(app, "iot.mqtt")


def status_mqtts(app):
    _status(app, "iot.mqtts")


def _status(app, name):
    for plugin_name, plugin in app.plugins:
        if plugin_name == name:
            plugin.call("report")


class MQTTService:
    # Set by mqttconnect.prepare() (annotations only: no code on the board).
    client: Any
    connected: bool
    backoff: Any
    problem: Any
    waiting_for: Any
    files_checked: Any
    context: Any
    queue: list
    acks: list
    pid: int
    ping_at: Any
    keep_alive: int
    server: str
    port: int
    topic: str
    topic_bytes: bytes
    limit: int
    config_error: Any
    said_delivered: bool
    sent: int
    confirmed: int
    dropped: int
    too_big: int
    too_big_said: bool
    resent: int
    connects: int
    last_error: str
    last_entry: int
    since: int
    outbox: Any  # core/outbox.py's Outbox, or None
    drop_said: bool
    box_said: bool

    def __init__(self, app, net, props, kind):
        self.app = app
        self.net = net
        self.props = props
        self.kind = kind  # "mqtt" or "mqtts": the quick command's name, and TLS if "mqtts"
        self.secure = kind == "mqtts"
        self.name = props[0].section  # "MQTT Client" or "MQTT Secure Client"
        self.outbox = None  # the store-and-forward outbox (core/outbox.py), when wired in
        self.call("prepare")

    def call(self, function, *args):
        # mqttconnect.<function>(self, *args), imported for the call and released after it.
        from plugins.iot import mqttconnect
        try:
            return getattr(mqttconnect, function)(self, *args)
        finally:
            release(("plugins.iot.mqttconnect",))

    _say = say

    # --- the loop -------------------------------------------------------------------------

    def write(self, observation):
        queue = self.queue
        box = self.outbox
        if box is not None and (box.pending or not self.connected or len(queue) + len(self.acks) >= QUEUE_MAX):
            if queue or self.acks:
                self.call("spill")  # what RAM holds goes first
            from plugins.iot.storeforward import put
            put(self, self.app.entry, observation.json())
            return
        queue.append((self.app.entry, observation.json()))
        if len(queue) > QUEUE_MAX:
            queue.pop(0)  # the newest are kept
            self.dropped += 1

    def poll(self, now):
        if self.config_error:
            return
        if not self.net.up:
            if self.connected:
                self._lost("WiFi is down")
            self.waiting_for = "WiFi"
            return
        if self.connected:
            if not receive(self, now):  # PUBACKs (to _puback) and the keep-alive, without waiting
                return
            acks = self.acks
            if acks and ticks_diff(now, acks[0][2]) > ACK_WAIT_MS:
                self._lost("no PUBACK from " + self.server + ":" + str(self.port) + " for observation "
                           + str(acks[0][1]) + " within " + str(ACK_WAIT_MS // 1000) + " s: the broker stopped "
                           "answering; " + str(len(acks)) + " observation(s) not confirmed")
                return
            box = self.outbox
            if len(acks) < WINDOW and (self.queue or (box is not None and box.pending)):
                self._send(now)
            return
        if not self.backoff.ready(now):
            return
        if self.secure:
            if not self.net.clock_ok():
                if self.waiting_for != "clock":
                    self.waiting_for = "clock"
                    self.call("no_clock")
                return
            if (self.context is None and self.files_checked is not None
                    and ticks_diff(now, self.files_checked) < CARD_CHECK_MS):
                return  # certificate files missing: looked for again every few seconds
        self.call("attempt", now)

    def _send(self, now):
        box = self.outbox
        boxed = box is not None and box.pending > 0
        if boxed:
            record = box.next()  # the oldest not yet sent, with its own entry number (and time, in it)
            if record is None:
                return  # all sent, awaiting their PUBACKs
            entry, text = record[0], record[2]
        else:
            entry, text = self.queue.pop(0)
        data = text.encode()
        text = None
        size = len(data) + len(self.topic_bytes) + 4
        if self.limit and size > self.limit:
            self.call("too_big", entry, size)
            if boxed:  # never sendable: it leaves the outbox (the card's log holds it), in its turn
                self.acks.append((0, entry, now, None))
                self._settle()
            return
        self.pid = self.pid % 0xFFFF + 1
        try:
            whole = packet(self.client, self.topic_bytes, self.pid, (data,))
        except MemoryError as err:
            if not boxed:  # the outbox's is sent again after its rewind (_lost)
                self.queue.insert(0, (entry, data.decode()))
            self._lost("", err)
            return
        # before the write: a failed one is sent again
        self.acks.append((self.pid, entry, now, None if boxed else data))
        if send(self, whole):  # one bounded write; its PUBACK is read by a later poll
            self.sent += 1

    def _puback(self, pid):
        acks = self.acks
        for i in range(len(acks)):
            if acks[i][0] == pid:
                ack = acks.pop(i)
                self.delivered(ack[1], ack[3] is None)
                self._settle()
                return

    def _settle(self):
        # Placeholders (packet id 0: too big, never sent) leave the outbox once the ones before them
        # were confirmed: the outbox's confirm() removes its oldest given.
        acks = self.acks
        while acks and not acks[0][0]:
            acks.pop(0)
            self.outbox.confirm()

    def delivered(self, entry, boxed):
        # Observation `entry` (App.entry when it was taken) was confirmed by the broker (PUBACK at QoS 1);
        # `boxed`: it was the outbox's. The one place a delivery is confirmed: it leaves the outbox here.
        self.confirmed += 1
        self.last_entry = entry
        if boxed:
            self.outbox.confirm()  # PUBACKs come in order (MQTT 3.1.1 4.6): the outbox's oldest given
            from plugins.iot.storeforward import settled
            settled(self)
        self.too_big_said = False
        if not self.said_delivered:
            self.said_delivered = True
            self.app.info(self.name + ": observation " + str(entry) + " delivered to " + self.topic
                          + " (PUBACK); the next ones are counted (!" + self.kind + ")")

    def _lost(self, text, err=None):
        # The link is gone (`text`, or `err` named in a user's words): closed, and reconnected later;
        # the observations not confirmed wait to be sent again.
        self._close()
        if err is not None:
            text = self.call("why", err)
        self.last_error = text
        self.app.warn(self.name + ": connection lost (" + text + "); reconnecting (logging goes on)")
        self.call("requeue")

    def _close(self):
        self.connected = False
        if self.client is not None:
            drop(self.client)

    def close(self):
        client = self.client
        if client is not None and self.connected:
            try:
                client.disconnect()
            except Exception:
                pass
        self._close()
        if self.outbox is not None:
            self.call("spill")  # what RAM holds waits in the outbox for the next start
