"""AWS IoT, the link: a connect attempt (the certificate checks, the TLS context, one MQTT CONNECT),
and what was sent and not confirmed queued again when the link goes or an update is throttled.

Imported by plugins/iot/awsclient.py for each attempt (and when a link goes) and released after:
its code and messages take heap only meanwhile, on top of the TLS handshake's at an attempt
(awswords only once an attempt has failed). What only the start needs (the state, the settings
check, the outbox) is in awsprepare.py. Everything it keeps is on the AWSClient `c`.
"""
from adafruit_ticks import ticks_ms

from core.app import release
from plugins.iot.awsclient import PROPERTIES, RECV_TIMEOUT_S, SOCKET_TIMEOUT_S, make_client_class

(_, _, _, _, _, BUFFER, USERNAME, PASSWORD, CA, CERT, KEY, CA_FILE, CERT_FILE, KEY_FILE,
 _, _, _, _, _, _) = PROPERTIES  # plugins/iot/aws.py's order
INLINE_CERT = "aws-iot-cert.pem"
INLINE_KEY = "aws-iot-key.pem"


def attempt(c, now):
    """The certificates (once found, kept as a TLS context), then one connect attempt."""
    if _files(c, now) is None:
        return
    c.waiting_for = None
    client = c.client
    if client is None:
        get = c.app.settings.get
        user = get(USERNAME)
        client = make_client_class()(
            broker=c.server, port=c.port, username=user or None, password=get(PASSWORD) if user else None,
            client_id=c.thing, is_ssl=True, keep_alive=c.keep_alive, recv_timeout=RECV_TIMEOUT_S,
            socket_timeout=SOCKET_TIMEOUT_S, connect_retries=1, socket_pool=c.net.socket_pool(),
            ssl_context=c.context)
        client.limit = c.limit
        client.limit_key = BUFFER.key
        if c.limit:
            client.mqtt_msg = c.limit
        client.on_message = c._message
        c.client = client
    try:
        client._connect()  # one attempt: connect() would retry and sleep inside the log loop
        # update/accepted is followed until the shadow has accepted one update on this connection (a
        # broker may take a PUBACKed update its policy drops); with PUBACK confirmation, then let go.
        # update/delta and the shadow document (get) carry the settings desired from the cloud (awsdelta.py).
        shadow = c.topic[:-6]  # $aws/things/<thing>/shadow/
        client.subscribe([(c.topic + "/rejected", 0), (c.topic + "/accepted", 0), (c.topic + "/delta", 0),
                          (shadow + "get/accepted", 0), (shadow + "get/rejected", 0)])
        # get/accepted is read by a later poll; the token tells this logger's answer from other clients'.
        # Not asked again after two connects lost before it came (a document over Buffer Size, say).
        c.doc_due = c.get_misses < 2
        if c.doc_due:
            c.get_misses += 1  # back to 0 when the answer comes (awsdelta.py)
            client.publish(shadow + "get", '{"clientToken":"' + c.prefix + '-cfg0"}', qos=0)
    except Exception as err:  # OSError, RuntimeError, MMQTTException, MemoryError: all close the socket
        c._close()
        from plugins.iot.awswords import failed, why  # only now: not in the heap during the TLS handshake
        failed(c, why(err, c.server, c.port), now)
        return
    c.connected = True
    c.connects += 1
    if c.connects > 1:
        c.reconnects += 1
    c.backoff.reset()
    c.since = ticks_ms()
    app = c.app
    c.connected_wall = app.wall.iso() if app.wall.is_set() else "start + " + str(
        app.uptime.epoch_ms() // 1000) + " s"
    c.problem = None
    c.ping_at = None
    c.verifying = True
    c.tokens = []
    c.acks = []
    c.unsubscribe_due = False
    app.info("AWS IoT: connected to " + c.server + ":" + str(c.port) + " as " + c.thing
             + "; shadow updates go to " + c.topic)
    if c.get_misses == 2 and c.connects > 2:
        c.get_misses = 3  # said once
        app.warn("AWS IoT: the shadow document did not come through at two connects (larger than Buffer Size?): "
                 "it is no longer asked for; desired settings arrive by update/delta only")


def unsubscribe_accepted(c):
    """UNSUBSCRIBE from update/accepted; its UNSUBACK is read by AWSClient._receive (MiniMQTT's
    unsubscribe() waits for it, and never gives up on a broker that stopped answering)."""
    client = c.client
    topic = (c.topic + "/accepted").encode()
    c.pid = c.pid % 0xFFFF + 1
    packet = bytearray(b"\xa2")
    client._encode_remaining_length(packet, 4 + len(topic))
    packet.append(c.pid >> 8)
    packet.append(c.pid & 0xFF)
    packet.append(len(topic) >> 8)
    packet.append(len(topic) & 0xFF)
    try:
        client._send_bytes(packet)
        client._send_bytes(topic)
    except Exception as err:
        c._lost("", err)
        return
    client._last_msg_sent_timestamp = ticks_ms()


def _files(c, now):
    # The certificates (plugins/iot/tlsfiles.py, shared with MQTT Secure Client and HTTP IoT).
    if c.context is not None:
        return c.context
    from plugins.iot.tlsfiles import context
    try:
        return context(c, now, (CA, CERT, KEY, CA_FILE, CERT_FILE, KEY_FILE), (INLINE_CERT, INLINE_KEY),
                       "AWS IoT needs the Thing's ")
    finally:
        release(("plugins.iot.tlsfiles",))


def requeue(c):
    """The link is gone (or an update was throttled): what was sent and not confirmed is sent again
    from the outbox, the live updates (older than anything queued since) queued first."""
    flight = c.flight
    c.flight = []
    for item in flight:
        if item[1] is not None and not item[2]:
            c._queue(item[1])
    if c.pending is not None:
        c._queue(c.pending)
        c.pending = None
    c.box.rewind()


def rejected(c, token, code):
    """A rejected update leaves the outbox (the shadow cannot take it as it is), but one throttled
    (429, 500) is sent again: everything unconfirmed from the oldest on."""
    if code == "429" or code == "500":
        for item in c.flight:
            if item[0] == token:
                c.out_of_order = True  # the shadow may take later ones first (awsdelta._delivered)
                requeue(c)
                return
    c._settle(token)
