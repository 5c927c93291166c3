"""AWS IoT, the connect attempt: the settings and certificate checks, the TLS context, one MQTT CONNECT.

Imported by plugins/iot/awsclient.py for each attempt (and for the state and settings check at boot)
and released after it: this code and its messages take heap only while a connection is being made
(~5 KB in the VM, on top of the TLS handshake's; awswords only once an attempt has failed).
Everything it keeps is on the AWSClient `c`.
"""
import errno
from random import randint

from adafruit_ticks import ticks_diff, ticks_ms

from core import sdcard
from core.net import Backoff
from plugins.iot.awsclient import (CAP_MS, CARD_CHECK_MS, PROPERTIES, RECV_TIMEOUT_S, SOCKET_TIMEOUT_S,
                                   make_client_class)

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
        if c.limit:
            client.mqtt_msg = c.limit
        client.on_message = c._message
        c.client = client
    try:
        client._connect()  # one attempt: connect() would retry and sleep inside the log loop
        # update/accepted is followed until the shadow has accepted one update on this connection (a
        # broker may take a PUBACKed update its policy drops); with PUBACK confirmation, then let go.
        client.subscribe([(c.topic + "/rejected", 0), (c.topic + "/accepted", 0)])
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
    """Check the certificate files and inline PEM; build the TLS context. None if not ready (said why)."""
    if c.context is not None:
        return c.context
    if c.files_checked is not None and ticks_diff(now, c.files_checked) < CARD_CHECK_MS:
        return None
    c.files_checked = now
    get = c.app.settings.get
    paths = []
    ca_text = None
    for prop, inline, name in ((CA, get(CA), get(CA_FILE)), (CERT, get(CERT), get(CERT_FILE)),
                               (KEY, get(KEY), get(KEY_FILE))):
        inline = _clean(inline)
        if inline:
            error = _pem_error(inline, prop is KEY)
            if error:
                return _wait_files(c, prop.name + " (" + prop.key + ") " + error)
            if prop is CA:
                ca_text = inline
                continue
            path = _write_inline(c, prop, inline)
            if path is None:
                return None
            paths.append(path)
            continue
        name = name.strip()
        if not name:
            if prop is CA:
                continue  # the board's built-in CA bundle (it has Amazon's roots)
            return _wait_files(c, prop.name + " and " + _file_prop(prop).name + " are both empty: AWS IoT "
                               "needs the Thing's " + ("device certificate" if prop is CERT else "private key"))
        if not sdcard.mounted() and sdcard.mount(get) is not None:
            return _wait_files(c, "no SD card for " + _file_prop(prop).name + " \"" + name + "\"")
        path = sdcard.ROOT + "/" + name.lstrip("/")
        try:
            with open(path, "r") as f:
                text = f.read(16384)
        except (OSError, UnicodeError) as err:
            from plugins.iot.awswords import errno_of
            return _wait_files(c, _file_prop(prop).name + ": " + path + " " + (
                "is missing on the card" if errno_of(err) == errno.ENOENT else "cannot be read (" + str(err) + ")"))
        error = _pem_error(text, prop is KEY)
        if error:
            return _wait_files(c, _file_prop(prop).name + ": " + path + " " + error)
        if prop is CA:
            ca_text = text
        else:
            paths.append(path)
        text = None
    import ssl
    context = ssl.create_default_context()
    try:
        if ca_text:
            context.load_verify_locations(cadata=ca_text)
        context.load_cert_chain(paths[0], paths[1])
    except (OSError, ValueError) as err:
        return _wait_files(c, "the device certificate or key cannot be loaded (" + str(err) + ")")
    # The board parses the PEM when wrapping a socket: try it now, so a bad one is named, not leaked.
    pool = c.net.socket_pool()
    sock = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    try:
        context.wrap_socket(sock, server_hostname=c.server).close()
    except (ValueError, OSError) as err:  # the board: ValueError for bad input, OSError(-0x...) from mbedTLS
        return _wait_files(c, "the certificates or key are not valid (" + str(err) + ")")
    finally:
        sock.close()
    c.context = context
    if c.waiting_for == "files":
        c._say("certificate files found", warn=False)
    return context


def _wait_files(c, text):
    c.waiting_for = "files"
    c._say(text + "; waiting for the card or the settings to change (logging goes on)")
    return None


def _write_inline(c, prop, text):
    """load_cert_chain takes only paths: inline PEM goes to the card first."""
    if not sdcard.mounted() and sdcard.mount(c.app.settings.get) is not None:
        _wait_files(c, prop.name + " is inline, but the board's TLS reads it only from a file and there "
                    "is no SD card to write it to")
        return None
    path = sdcard.ROOT + "/" + (INLINE_KEY if prop is KEY else INLINE_CERT)
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as err:
        _wait_files(c, prop.name + ": cannot write " + path + " (" + str(err) + ")")
        return None
    return path


def _clean(text):
    """PEM as pasted: stray \\r removed, literal \\n turned into line breaks."""
    if not text:
        return ""
    text = text.replace("\r", "")
    if "\\n" in text:
        text = text.replace("\\n", "\n")
    return text.strip()


def _pem_error(text, key):
    """Why text is not PEM of the expected kind, or None. Never quotes the text."""
    if "-----BEGIN " not in text or "-----END " not in text:
        return "is not PEM (no -----BEGIN/-----END lines)"
    if key and "PRIVATE KEY-----" not in text:
        return "is not a private key in PEM"
    if not key and "CERTIFICATE-----" not in text:
        return "is not a certificate in PEM"
    return None


def _file_prop(prop):
    return CA_FILE if prop is CA else CERT_FILE if prop is CERT else KEY_FILE
