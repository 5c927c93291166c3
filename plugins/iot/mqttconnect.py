# MQTT Client and MQTT Secure Client, what runs only now and then: the state and the settings check
# (at boot), one connect attempt, what a rare event says, the status report (!mqtt, !mqtts).
# Imported by MQTTService.call() (plugins/iot/mqttclient.py) and released after each call, so this
# code and its messages take heap only meanwhile. `c` is the MQTTService.
from adafruit_ticks import ticks_diff, ticks_ms

from core.app import release
from core.net import Backoff
from plugins.iot.mqttlink import CAP_MS, RECV_TIMEOUT_S, SOCKET_TIMEOUT_S, make_client_class
from plugins.iot.mqttclient import QUEUE_MAX

KEEP_ALIVE_S = 60


def prepare(c):
    c.client = None
    c.connected = False
    c.backoff = Backoff(1000, CAP_MS)
    c.problem = None  # the last trouble said, so each is said once
    c.waiting_for = None  # "settings", "files", "clock", "WiFi"
    c.files_checked = None
    c.context = None
    c.queue = []  # [(entry, observation JSON)] not sent yet, oldest first
    c.acks = []  # [(packet id, entry, tick sent, payload bytes or None: the outbox's)] awaiting their PUBACK
    c.pid = 0
    c.ping_at = None
    c.keep_alive = KEEP_ALIVE_S
    c.said_delivered = False
    c.sent = 0
    c.confirmed = 0
    c.dropped = 0
    c.too_big = 0
    c.too_big_said = False
    c.resent = 0
    c.connects = 0
    c.last_error = ""
    c.last_entry = 0
    c.since = 0
    get = c.app.settings.get
    props = c.props
    c.port = get(props[1])
    c.server = get(props[2]).strip()
    c.topic = get(props[3]).strip()
    c.topic_bytes = c.topic.encode()
    c.limit = get(props[5])
    c.config_error = error = _config_error(c)
    if error:
        c.waiting_for = "settings"
        c._say(error + "; " + c.name + " waits until the settings change (logging goes on)")
    size = get(props[-2])  # Outbox Size (KB), then Outbox Entries Without Card: the tuple's last two
    if size and not error:
        from plugins.iot.storeforward import open_box  # kept while the service runs (its put())
        c.outbox = open_box(c, c.kind, size, get(props[-1]))


def _config_error(c):
    props = c.props
    if not c.server:
        return props[2].name + " (" + props[2].key + ") is empty: set it to the broker's host name"
    if not c.topic:
        return props[3].name + " (" + props[3].key + ") is empty: set the topic to publish to"
    if "+" in c.topic or "#" in c.topic:
        return (props[3].name + " (" + props[3].key + ") \"" + c.topic + "\" has a wildcard (+ or #): a "
                "message is published to one topic")
    return None


def attempt(c, now):
    props = c.props
    get = c.app.settings.get
    if c.secure and c.context is None:
        from plugins.iot.tlsfiles import context
        try:
            if context(c, now, (None, None, None) + props[8:11], None, None) is None:
                return
        finally:
            release(("plugins.iot.tlsfiles",))
    c.waiting_for = None
    client = c.client
    if client is None:
        user = get(props[6])
        client = make_client_class()(
            broker=c.server, port=c.port, username=user or None, password=get(props[7]) if user else None,
            client_id=get(props[4]).strip() or None, is_ssl=c.secure, keep_alive=c.keep_alive,
            recv_timeout=RECV_TIMEOUT_S, socket_timeout=SOCKET_TIMEOUT_S, connect_retries=1,
            socket_pool=c.net.socket_pool(), ssl_context=c.context)
        client.limit = c.limit
        client.limit_key = props[5].key
        if c.limit:
            client.mqtt_msg = c.limit
        c.client = client
    try:
        client._connect()  # one attempt: connect() would retry and sleep inside the log loop
    except Exception as err:  # OSError, RuntimeError, MMQTTException, MemoryError: all close the socket
        c._close()
        text = why(c, err)
        wait = c.backoff.failed(now)
        if text != c.problem:
            c._say(text + "; nothing sent, logging goes on; trying again in " + str(wait // 1000 + 1)
                   + " s, then less often")
            c.problem = text  # said once per kind of trouble (the wait changes each time)
        return
    c.connected = True
    c.connects += 1
    c.backoff.reset()
    c.since = ticks_ms()
    c.problem = None
    c.ping_at = None
    c.said_delivered = False
    c.app.info(c.name + ": connected to " + c.server + ":" + str(c.port) + (" (TLS)" if c.secure else "")
               + " as " + client.client_id + "; observations go to " + c.topic)


def requeue(c):
    # After a lost link: the observations sent but not confirmed go back to the front of the queue
    # (with an outbox: into it, and it starts again at its oldest), to be sent again after the
    # reconnect; then the backoff waits.
    acks = c.acks
    if c.outbox is not None:
        for ack in acks:
            if ack[0]:  # not a placeholder (too big: never sent)
                c.resent += 1
        spill(c)
        c.outbox.rewind()
        c.acks = []
    elif acks:
        c.resent += len(acks)
        back = [(entry, data.decode()) for _, entry, _, data in acks]
        c.queue[0:0] = back
        c.acks = []
        extra = len(c.queue) - QUEUE_MAX
        if extra > 0:
            del c.queue[0:extra]
            c.dropped += extra
    c.backoff.failed(ticks_ms())


def spill(c):
    # The observations held in RAM go into the outbox, oldest first: those sent and not confirmed,
    # then those not sent. Called when one must be queued behind them (or the link is lost, or the
    # service stops): RAM holds observations only while the outbox is empty, so the order stays the
    # logging order. Those in flight stay in flight as the outbox's (given by next()), so their
    # PUBACKs confirm them there.
    from plugins.iot.storeforward import put
    box = c.outbox
    acks = c.acks
    live = acks and acks[0][3] is not None  # all in flight are RAM's or all the outbox's (the rule above)
    if live:
        for ack in acks:
            put(c, ack[1], ack[3].decode())
    for entry, text in c.queue:
        put(c, entry, text)
    c.queue = []
    if live:
        for i in range(len(acks)):
            box.next()
            ack = acks[i]
            acks[i] = (ack[0], ack[1], ack[2], None)


def why(c, err):
    from plugins.iot import networds
    try:
        return networds.why(err, c.server, c.port, SOCKET_TIMEOUT_S, RECV_TIMEOUT_S)
    finally:
        release(("plugins.iot.networds",))


def no_clock(c):
    c._say("waiting for the clock: it reads " + c.app.wall.iso()[:10] + " and no NTP answer has come"
           + ("" if c.net.ntp_on else " (NTP Client is off)")
           + "; a TLS handshake now would fail on the certificate dates", warn=False)


def too_big(c, entry, size):
    # An observation over Buffer Size: not sent (the card holds it), counted, said once until one goes out.
    c.too_big += 1
    if not c.too_big_said:
        c.too_big_said = True
        key = c.props[5].key
        c.last_error = ("observation " + str(entry) + ": a message of " + str(size) + " bytes is larger than "
                        "Buffer Size (" + key + " = " + str(c.limit) + "): not sent (the card holds it); set it to "
                        "0 or at least " + str(size))
        c.app.warn(c.name + ": " + c.last_error)


def report(c):
    app = c.app
    if c.connected:
        state = ("connected to " + c.server + ":" + str(c.port) + " for " + str(ticks_diff(ticks_ms(), c.since)
                 // 1000) + " s; topic " + c.topic)
    else:
        state = "not connected (" + (c.waiting_for or "connecting") + ")"
    app.info(c.name + ": " + state)
    app.info(c.name + ": observations sent " + str(c.sent) + ", delivered " + str(c.confirmed) + " (PUBACK), "
             + "waiting " + str(len(c.queue)) + ", unconfirmed " + str(len(c.acks)) + ", sent again "
             + str(c.resent) + ", dropped " + str(c.dropped) + ", too big " + str(c.too_big))
    if c.outbox is not None:
        from plugins.iot.storeforward import describe
        app.info(c.name + ": " + describe(c.outbox))
    app.info(c.name + ": connects " + str(c.connects) + "; last error: " + (c.last_error or "none"))
