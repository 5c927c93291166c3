"""AWS IoT, the connect attempt: the settings and certificate checks, the TLS context, one MQTT CONNECT.

Imported by plugins/iot/awsclient.py for each attempt (and for the state and settings check at boot)
and released after it: this code and its messages take heap only while a connection is being made
(~5 KB in the VM, on top of the TLS handshake's; awswords only once an attempt has failed).
Everything it keeps is on the AWSClient `c`.
"""
from random import randint

from adafruit_ticks import ticks_ms

from core.app import release
from core.net import Backoff
from plugins.iot.awsclient import CAP_MS, PROPERTIES, RECV_TIMEOUT_S, SOCKET_TIMEOUT_S, make_client_class

(_, PORT, SERVER, TOPIC, CLIENT, BUFFER, USERNAME, PASSWORD, CA, CERT, KEY, CA_FILE, CERT_FILE, KEY_FILE,
 MIN_INTERVAL, KEEP_ALIVE, CONFIRM, OUTBOX, OUTBOX_RAM, REPLAY) = PROPERTIES  # plugins/iot/aws.py's order
INLINE_CERT = "aws-iot-cert.pem"
INLINE_KEY = "aws-iot-key.pem"


def prepare(c):
    """The AWSClient's state and settings (at boot); what in the settings stops AWS IoT is said."""
    c.client = None
    c.connected = False
    c.backoff = Backoff(1000, CAP_MS)
    c.problem = None  # the last trouble announced, so each is said once
    c.waiting_for = None  # "settings", "files", "clock", "WiFi"
    c.files_checked = None
    c.since = 0  # tick of the last connect
    c.connected_wall = ""
    c.pending = None  # the latest observation JSON not yet sent
    c.last_sent = None
    c.throttle_ms = 0
    c.sent = 0
    c.confirmed = 0
    c.rejected = 0
    c.skipped = 0
    c.too_big = 0
    c.too_big_said = False
    c.reconnects = 0
    c.connects = 0
    c.last_error = ""
    c.tokens = []  # [(token, tick sent)] awaiting update/accepted (first update, or "accepted" mode)
    c.acks = []  # [(packet id, token, tick sent)] awaiting a PUBACK
    c.pid = 0
    c.rejected_said = 0  # the code of the last rejection named; repeats are only counted
    c.rejected_since = False  # a rejection came since the last update was sent
    c.throttle_hit = False  # a 429/500 came since the last update was sent
    c.seq = 0
    c.prefix = "%04x" % randint(0, 0xFFFF)
    c.ping_at = None
    c.context = None
    c.verifying = True
    c.unsubscribe_due = False
    c.get_misses = 0  # connects whose shadow document (get, for the desired settings) did not come
    c.doc_due = False  # the document asked for at this connect has not come yet (awsdelta.py)
    c.cfg_again = None  # a settings report to send again once the outbox has drained (awsdelta.py)
    c.out_of_order = False  # a throttled update is sent again after later ones: until the outbox drains
    get = c.app.settings.get
    c.min_ms = get(MIN_INTERVAL)
    c.confirm_accepted = get(CONFIRM) == "accepted"
    c.server = get(SERVER).strip()
    c.port = get(PORT)
    c.thing = get(CLIENT).strip()
    c.topic = get(TOPIC).strip() or "$aws/things/" + c.thing + "/shadow/update"
    c.topic_bytes = c.topic.encode()
    c.keep_alive = get(KEEP_ALIVE)
    c.limit = get(BUFFER)
    c.config_error = error = _config_error(c)
    if error:
        c._say(error + "; AWS IoT waits until the settings change (logging goes on)")
    _outbox(c, get)


def _outbox(c, get):
    """The outbox (core/outbox.py): on the card if there is one, else a RAM ring."""
    c.box = None
    c.flight = []  # [[token, live JSON or None (the outbox's), confirmed, outbox_dropped sent or -1]]
    c.queued = 0  # observations that came for the outbox
    c.drops_told = 0  # the drop count a confirmed update carried
    c.drop_said = False
    c.replay_ms = get(REPLAY)
    size = get(OUTBOX)
    if not size or c.config_error:
        return
    from core import sdcard
    from core.outbox import Outbox
    card = sdcard.mounted() or sdcard.mount(get) is None
    c.box = box = Outbox(sdcard.ROOT if card else None, "aws", size, get(OUTBOX_RAM))
    if box.error:
        c.app.warn("AWS IoT: " + box.error)
    elif not card:
        c.app.info("AWS IoT: no SD card: while offline the newest " + str(box.ram_entries)
                   + " observations wait in RAM (lost at a restart)")
    if box.pending:
        c.app.info("AWS IoT: " + str(box.pending) + " observations wait in the outbox from before the restart")


def _config_error(c):
    if not c.server:
        return "Server (AWS_IOT_SERVER) is empty: set it to the Thing's endpoint (Device Shadow URL host)"
    if not c.thing:
        return "Client Name (AWS_IOT_CLIENT_NAME) is empty: set it to the Thing's name"
    if c.port == 1883:
        return ("Port (AWS_IOT_PORT) is 1883, MQTT without TLS: AWS IoT needs 8883 (TLS with the device "
                "certificate); nothing is sent")
    prefix = "$aws/things/" + c.thing + "/shadow/"
    if not (c.topic.startswith(prefix) and c.topic.endswith("/update")):
        return ("MQTT Topic (AWS_IOT_MQTT_TOPIC) \"" + c.topic + "\" is not this Thing's shadow update "
                "topic $aws/things/" + c.thing + "/shadow/update")
    return None


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
