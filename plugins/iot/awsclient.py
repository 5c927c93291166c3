"""The AWS IoT connection (imported only when "AWS IoT"/"Enabled" is true; see plugins/iot/aws.py).

States, one step per poll: wait for WiFi and a set clock -> check the settings and certificate
files -> connect (TCP, TLS, MQTT CONNECT: one attempt) -> subscribe to the update responses ->
publish the latest observation when the minimum update interval allows. Any failure closes the
socket, is named once on the console, and waits a backoff (1 s doubling to 60 s, with jitter).

Nothing waits for an answer once connected: an update is written to the socket (QoS 1 with the
PUBACK setting, QoS 0 with "accepted") and its PUBACK, update/accepted or update/rejected is read
by a later poll, matched by packet id or clientToken. An update counts as confirmed only then.
"""
import errno
import json
import os
import random

from adafruit_ticks import ticks_add, ticks_diff, ticks_ms

from core import net as netmod
from core import sdcard
try:
    from typing import Any
except ImportError:
    pass

from plugins.iot.aws import (BUFFER, CA, CA_FILE, CERT, CERT_FILE, CLIENT, CONFIRM, KEEP_ALIVE, KEY, KEY_FILE,
                             MIN_INTERVAL, PASSWORD, PORT, SERVER, TOPIC, USERNAME)

SOCKET_TIMEOUT_S = 1  # TCP connect and each TLS/MQTT read while connecting
RECV_TIMEOUT_S = 2  # the longest wait for one broker answer while connecting (CONNACK, SUBACK)
ACK_WAIT_MS = 10000  # a PUBACK not come by then: the broker stopped answering, the link is dead
CAP_MS = 60000
CARD_CHECK_MS = 5000  # how often missing certificate files are looked for again
STATE_LIMIT = 8192  # AWS: desired + reported state at most 8 KB
TOKEN_WAIT_MS = 30000
VERIFY_MS = 10000  # the first update after a connect must be accepted by the shadow by then
THROTTLE_CAP_MS = 60000  # 429/500 double the time between updates up to this much extra
INLINE_CERT = "aws-iot-cert.pem"
INLINE_KEY = "aws-iot-key.pem"

# mbedTLS and socket errors in a user's words.
_TLS = {-0x2700: "the server's certificate was not verified by the CA certificate (wrong CA, or the clock)",
        -0x7780: "the server refused the TLS connection (is the device certificate and key this Thing's, "
                 "and active?)",
        -0x7280: "the server closed the connection during the TLS handshake (device certificate refused?)"}
_CODES = {400: "bad request", 401: "unauthorized", 403: "forbidden by the Thing's policy", 404: "not found",
          409: "version conflict", 413: "payload too large", 429: "throttled: too many requests",
          500: "AWS internal error"}
# What each rejection means for the update and what happens next (AWS's Device Shadow error codes).
_DROPPED = "; that update is dropped, not retried (the card holds it)"
_NEXT = {400: _DROPPED + ": the shadow cannot take it as it is",
         401: _DROPPED + ": is the certificate active and attached to the Thing?",
         403: _DROPPED + ": does the certificate's policy allow iot:UpdateThingShadow on this Thing?",
         409: "; updates carry no version, so the next one goes as usual",
         413: _DROPPED + ": with it the shadow's state (reported, plus any desired set from the cloud) would be "
                        "over AWS's 8 KB"}
_BUFFER = "larger than Buffer Size"


def start(app):
    net = netmod.get(app)
    client = AWSClient(app, net)
    app.commands["aws"] = (status, "AWS IoT connection: state, updates, last error")
    return client


def status(app):
    for name, plugin in app.plugins:
        if isinstance(plugin, AWSClient):
            plugin.report()
            return
    app.info("AWS IoT is off (AWS_IOT_ENABLED)")


def _make_client_class():
    """MiniMQTT's client with a non-blocking first read, so polling for messages never waits."""
    from adafruit_minimqtt.adafruit_minimqtt import MQTT

    class Client(MQTT):
        peek = False
        limit = 0

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
            return buf

        def _decode_remaining_length(self):
            size = super()._decode_remaining_length()
            if self.limit and size > self.limit:
                from adafruit_minimqtt.adafruit_minimqtt import MMQTTException
                raise MMQTTException("a " + str(size) + "-byte message from the broker is " + _BUFFER + " ("
                                     + BUFFER.key + " = " + str(self.limit) + "): set it to 0 or at least "
                                     + str(size))
            return size

    return Client


class AWSClient:
    def __init__(self, app, net):
        self.app = app
        self.net = net
        self.client: Any = None
        self.connected = False
        self.subscribed = False
        self.backoff = netmod.Backoff(1000, CAP_MS)
        self.problem = None  # the last trouble announced, so each is said once
        self.waiting_for = None  # "config", "files", "clock", "network"
        self.files_seen = None
        self.files_checked = None
        self.since = 0  # tick of the last connect
        self.connected_wall = ""
        self.pending = None  # the latest observation JSON not yet sent
        self.last_sent = None
        self.min_ms = app.settings.get(MIN_INTERVAL)
        self.throttle_ms = 0
        self.sent = 0
        self.confirmed = 0
        self.rejected = 0
        self.skipped = 0
        self.too_big = 0
        self.too_big_said = False
        self.reconnects = 0
        self.connects = 0
        self.last_error = ""
        self.tokens = []  # [(token, tick sent)] awaiting update/accepted (first update, or "accepted" mode)
        self.acks = []  # [(packet id, token, tick sent)] awaiting a PUBACK
        self.pid = 0
        self.rejected_said = 0  # the code of the last rejection named; repeats are only counted
        self.rejected_since = False  # a rejection came since the last update was sent
        self.throttle_hit = False  # a 429/500 came since the last update was sent
        self.seq = 0
        self.prefix = "%04x" % random.randint(0, 0xFFFF)
        self.ping_at = None
        self.context = None
        self.verifying = True
        self.unsubscribe_due = False
        get = app.settings.get
        self.confirm_accepted = get(CONFIRM) == "accepted"
        self.server = get(SERVER).strip()
        self.port = get(PORT)
        self.thing = get(CLIENT).strip()
        self.topic = get(TOPIC).strip() or "$aws/things/" + self.thing + "/shadow/update"
        self.topic_bytes = self.topic.encode()
        self.keep_alive = get(KEEP_ALIVE)
        self.limit = get(BUFFER)
        self.config_error = self._check_config()
        if self.config_error:
            self._say(self.config_error + "; AWS IoT waits until the settings change (logging goes on)")

    # --- the console ---------------------------------------------------------------------

    def _say(self, text, warn=True):
        if text == self.problem:
            return
        self.problem = text
        if warn:
            self.last_error = text
            self.app.warn("AWS IoT: " + text)
        else:
            self.app.info("AWS IoT: " + text)

    def report(self):
        app = self.app
        if self.connected:
            secs = ticks_diff(ticks_ms(), self.since) // 1000
            state = ("connected to " + self.server + ":" + str(self.port) + " since " + self.connected_wall
                     + " (" + str(secs) + " s)")
        else:
            state = "not connected (" + (self.waiting_for or "connecting") + ")"
        app.info("AWS IoT: " + state)
        app.info("AWS IoT: updates sent " + str(self.sent) + ", confirmed " + str(self.confirmed) + " ("
                 + ("update/accepted" if self.confirm_accepted else "PUBACK") + "), rejected " + str(self.rejected)
                 + ", replaced by a newer one " + str(self.skipped) + ", too big " + str(self.too_big))
        app.info("AWS IoT: reconnects " + str(self.reconnects) + "; last error: " + (self.last_error or "none"))

    # --- checks ---------------------------------------------------------------------------

    def _check_config(self):
        if not self.server:
            return "Server (AWS_IOT_SERVER) is empty: set it to the Thing's endpoint (Device Shadow URL host)"
        if not self.thing:
            return "Client Name (AWS_IOT_CLIENT_NAME) is empty: set it to the Thing's name"
        if self.port == 1883:
            return ("Port (AWS_IOT_PORT) is 1883, MQTT without TLS: AWS IoT needs 8883 (TLS with the device "
                    "certificate); nothing is sent")
        prefix = "$aws/things/" + self.thing + "/shadow/"
        if not (self.topic.startswith(prefix) and self.topic.endswith("/update")):
            return ("MQTT Topic (AWS_IOT_MQTT_TOPIC) \"" + self.topic + "\" is not this Thing's shadow update "
                    "topic $aws/things/" + self.thing + "/shadow/update")
        return None

    def _cert_sources(self):
        """[(property, inline PEM, file name)] for the CA, the certificate and the key."""
        get = self.app.settings.get
        return ((CA, get(CA), get(CA_FILE)), (CERT, get(CERT), get(CERT_FILE)), (KEY, get(KEY), get(KEY_FILE)))

    def _files(self, now):
        """Check the certificate files and inline PEM; build the TLS context. None if not ready (said why)."""
        if self.context is not None:
            return self.context
        if self.files_checked is not None and ticks_diff(now, self.files_checked) < CARD_CHECK_MS:
            return None
        self.files_checked = now
        paths = []
        ca_text = None
        for prop, inline, name in self._cert_sources():
            inline = _clean(inline)
            if inline:
                error = _pem_error(inline, prop is KEY)
                if error:
                    return self._wait_files(prop.name + " (" + prop.key + ") " + error)
                if prop is CA:
                    ca_text = inline
                    continue
                path = self._write_inline(prop, inline)
                if path is None:
                    return None
                paths.append(path)
                continue
            name = name.strip()
            if not name:
                if prop is CA:
                    continue  # the board's built-in CA bundle (it has Amazon's roots)
                return self._wait_files(prop.name + " and " + _file_prop(prop).name + " are both empty: AWS IoT "
                                        "needs the Thing's " + ("device certificate" if prop is CERT else "private key"))
            if not sdcard.mounted() and sdcard.mount(self.app.settings.get) is not None:
                return self._wait_files("no SD card for " + _file_prop(prop).name + " \"" + name + "\"")
            path = sdcard.ROOT + "/" + name.lstrip("/")
            try:
                with open(path, "r") as f:
                    text = f.read(16384)
            except (OSError, UnicodeError) as err:
                return self._wait_files(_file_prop(prop).name + ": " + path + " " + (
                    "is missing on the card" if _errno(err) == errno.ENOENT else "cannot be read (" + str(err) + ")"))
            error = _pem_error(text, prop is KEY)
            if error:
                return self._wait_files(_file_prop(prop).name + ": " + path + " " + error)
            if prop is CA:
                ca_text = text
            else:
                paths.append(path)
            text = None
        import ssl
        context = ssl.create_default_context()
        if ca_text:
            context.load_verify_locations(cadata=ca_text)
        try:
            context.load_cert_chain(paths[0], paths[1])
        except (OSError, ValueError) as err:
            return self._wait_files("the device certificate or key cannot be loaded (" + str(err) + ")")
        # The board parses the PEM when wrapping a socket: try it now, so a bad one is named, not leaked.
        pool = self.net.socket_pool()
        sock = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        try:
            context.wrap_socket(sock, server_hostname=self.server).close()
        except ValueError as err:
            return self._wait_files("the certificates or key are not valid (" + str(err) + ")")
        finally:
            sock.close()
        self.context = context
        if self.waiting_for == "files":
            self._say("certificate files found", warn=False)
        return context

    def _wait_files(self, text):
        self.waiting_for = "files"
        self._say(text + "; waiting for the card or the settings to change (logging goes on)")
        return None

    def _write_inline(self, prop, text):
        """load_cert_chain takes only paths: inline PEM goes to the card first."""
        if not sdcard.mounted() and sdcard.mount(self.app.settings.get) is not None:
            self._wait_files(prop.name + " is inline, but the board's TLS reads it only from a file and there "
                             "is no SD card to write it to")
            return None
        path = sdcard.ROOT + "/" + (INLINE_KEY if prop is KEY else INLINE_CERT)
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError as err:
            self._wait_files(prop.name + ": cannot write " + path + " (" + str(err) + ")")
            return None
        return path

    # --- the loop -------------------------------------------------------------------------

    def write(self, observation):
        if self.pending is not None:
            self.skipped += 1  # the latest observation wins between updates; the card holds them all
        self.pending = observation.json()

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
                self._unsubscribe_accepted()
                return
            if self.connected:
                self._send(now)
            return
        if not self.backoff.ready(now):
            return
        if not net.clock_ok():
            self.waiting_for = "clock"
            self._say("waiting for the clock: it reads " + self.app.wall.iso()[:10] + " and no NTP answer has "
                      "come" + ("" if net.ntp_on else " (NTP Client is off)")
                      + "; a TLS handshake now would fail on the certificate dates", warn=False)
            return
        if self._files(now) is None:
            return
        self.waiting_for = None
        self._connect(now)

    def _connect(self, now):
        client = self.client
        if client is None:
            Client = _make_client_class()
            get = self.app.settings.get
            user = get(USERNAME)
            client = Client(broker=self.server, port=self.port, username=user or None,
                            password=get(PASSWORD) if user else None, client_id=self.thing, is_ssl=True,
                            keep_alive=self.keep_alive, recv_timeout=RECV_TIMEOUT_S, socket_timeout=SOCKET_TIMEOUT_S,
                            connect_retries=1, socket_pool=self.net.socket_pool(), ssl_context=self.context)
            client.limit = self.limit
            if self.limit:
                client.mqtt_msg = self.limit
            client.on_message = self._message
            self.client = client
        try:
            client._connect()  # one attempt: connect() would retry and sleep inside the log loop
            # update/accepted is followed until the shadow has accepted one update on this connection (a
            # broker may take a PUBACKed update its policy drops); with PUBACK confirmation, then let go.
            client.subscribe([(self.topic + "/rejected", 0), (self.topic + "/accepted", 0)])
        except Exception as err:  # OSError, RuntimeError, MMQTTException, MemoryError: all close the socket
            self._close()
            self._failed(_why(err, self.server, self.port), now)
            return
        self.connected = True
        self.connects += 1
        if self.connects > 1:
            self.reconnects += 1
        self.backoff.reset()
        self.since = ticks_ms()
        self.connected_wall = self.app.wall.iso() if self.app.wall.is_set() else "start + " + str(
            self.app.uptime.epoch_ms() // 1000) + " s"
        self.problem = None
        self.ping_at = None
        self.verifying = True
        self.tokens = []
        self.acks = []
        self.unsubscribe_due = False
        self.app.info("AWS IoT: connected to " + self.server + ":" + str(self.port) + " as " + self.thing
                      + "; shadow updates go to " + self.topic)

    def _failed(self, text, now):
        wait = self.backoff.failed(now)
        if text != self.problem:
            self._say(text + "; nothing sent, logging goes on; trying again in " + str(wait // 1000 + 1)
                      + " s, then less often")
            self.problem = text

    def _lost(self, text):
        self._close()
        self.last_error = text
        self.app.warn("AWS IoT: connection lost (" + text + "); reconnecting (logging goes on)")
        self.backoff.failed(ticks_ms())

    def _close(self):
        client = self.client
        self.connected = False
        if client is None:
            return
        try:
            client._close_socket()
        except Exception:  # already closed by a dropped network: only the bookkeeping is left
            client._sock = None
        client._is_connected = False
        client._subscribed_topics = []

    def _unsubscribe_accepted(self):
        """UNSUBSCRIBE from update/accepted; its UNSUBACK is read by _receive (MiniMQTT's unsubscribe()
        waits for it, and never gives up on a broker that stopped answering)."""
        client = self.client
        topic = (self.topic + "/accepted").encode()
        self.pid = self.pid % 0xFFFF + 1
        packet = bytearray(b"\xa2")
        client._encode_remaining_length(packet, 4 + len(topic))
        packet.append(self.pid >> 8)
        packet.append(self.pid & 0xFF)
        packet.append(len(topic) >> 8)
        packet.append(len(topic) & 0xFF)
        try:
            client._send_bytes(packet)
            client._send_bytes(topic)
        except Exception as err:
            self._lost(_why(err, self.server, self.port))
            return
        client._last_msg_sent_timestamp = ticks_ms()

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
            # Keep-alive: a PINGREQ at half the period; no answer by the next one means the link is dead.
            if ticks_diff(now, client._last_msg_sent_timestamp) >= self.keep_alive * 500:
                if self.ping_at is not None:
                    raise OSError(errno.ETIMEDOUT, "no PINGRESP")
                client._send_bytes(b"\xc0\x00")
                client._last_msg_sent_timestamp = now
                self.ping_at = now
        except Exception as err:
            client.peek = False
            self._lost(_why(err, self.server, self.port))
            return
        if self.acks and ticks_diff(now, self.acks[0][2]) > ACK_WAIT_MS:
            self._lost("no PUBACK from " + self.server + ":" + str(self.port) + " for update " + self.acks[0][1]
                       + " within " + str(ACK_WAIT_MS // 1000) + " s: the broker stopped answering; "
                       + str(len(self.acks)) + " update(s) not confirmed")

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
        while tokens and ticks_diff(now, tokens[0][1]) > TOKEN_WAIT_MS:
            tokens.pop(0)  # neither confirmed nor rejected in time: counted as sent only
        if self.verifying and tokens:
            if ticks_diff(now, tokens[0][1]) > VERIFY_MS:
                self.last_error = ("no answer from the Thing's shadow to update " + tokens[0][0] + " within "
                                   + str(VERIFY_MS // 1000) + " s: the broker took it, the shadow did not answer "
                                   "(is the certificate this Thing's, and does its policy allow the Thing's "
                                   "shadow topics?)")
                self.tokens = []
                self._close()
                self._failed(self.last_error, now)
            return  # one update at a time until the shadow has answered once
        if self.pending is None:
            return
        throttle = self.throttle_ms
        if throttle and not self.throttle_hit:
            throttle //= 2  # no 429/500 for the last update: the rate recovers
        if self.last_sent is not None and ticks_diff(now, self.last_sent) < self.min_ms + throttle:
            return
        if throttle != self.throttle_ms:
            self.throttle_ms = throttle if throttle >= self.min_ms else 0
            if not self.throttle_ms:
                self.app.info("AWS IoT: no longer throttled; one update every " + _secs(self.min_ms))
        self.throttle_hit = False
        if not self.rejected_since:
            self.rejected_said = 0  # the last update went through: a new rejection is named again
        self.rejected_since = False
        text = self.pending
        self.pending = None
        size = len(text)
        if size > 2000:  # a character may take up to 4 bytes: count the bytes AWS counts
            size = len(text.encode())
        if size + 13 > STATE_LIMIT:  # {"reported":...}: AWS's 8 KB counts desired + reported
            self._too_big("an observation of " + str(size) + " bytes is over AWS's 8 KB shadow state limit: not "
                      "sent (the card holds it); a shadow keeps every section it was sent, so splitting it would "
                      "not fit either: turn off device parameters to shrink it")
            return
        token = self.prefix + "-" + str(self.seq + 1)
        payload = '{"state":{"reported":' + text + '},"clientToken":"' + token + '"}'
        text = None
        if self.limit and len(payload) > self.limit:
            self._too_big("an update of " + str(len(payload)) + " bytes is " + _BUFFER + " (" + BUFFER.key + " = "
                      + str(self.limit) + "): not sent (the card holds it); set it to 0 or at least "
                      + str(len(payload)))
            return
        self.seq += 1
        self.too_big_said = False
        self.last_sent = now
        if self.verifying or self.confirm_accepted:
            if len(tokens) >= 10:  # AWS allows 10 requests in flight per connection
                tokens.pop(0)
            tokens.append((token, now))
        try:
            if self.confirm_accepted:
                self.client.publish(self.topic, payload, qos=0)
            else:
                self._publish_qos1(payload, token, now)
        except Exception as err:
            self._lost(_why(err, self.server, self.port))
            return
        self.sent += 1

    def _too_big(self, text):
        """An update not sent for its size: counted each time, said once until one goes out again."""
        self.too_big += 1
        if not self.too_big_said:
            self.too_big_said = True
            self.last_error = text
            self.app.warn("AWS IoT: " + text)

    def _publish_qos1(self, payload, token, now):
        """A QoS 1 PUBLISH without waiting: MiniMQTT's publish() would hold the loop until the PUBACK."""
        client = self.client
        topic = self.topic_bytes
        data = payload.encode()
        self.pid = self.pid % 0xFFFF + 1
        header = bytearray(b"\x32")
        client._encode_remaining_length(header, 4 + len(topic) + len(data))
        header.append(len(topic) >> 8)
        header.append(len(topic) & 0xFF)
        client._send_bytes(header)
        client._send_bytes(topic)
        client._send_bytes(bytes((self.pid >> 8, self.pid & 0xFF)))
        client._send_bytes(data)
        client._last_msg_sent_timestamp = ticks_ms()
        if len(self.acks) >= 10:
            self.acks.pop(0)
        self.acks.append((self.pid, token, now))

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
        self.app.info("AWS IoT: update " + token + " " + ("accepted, shadow version " + version
                                                         if version else "delivered (PUBACK)"))
        if self.verifying:
            self.verifying = False
            if not self.confirm_accepted:
                self.unsubscribe_due = True

    def _message(self, client, topic, message):
        self.ping_at = None
        token = _field(message, "clientToken")
        if topic.endswith("/accepted"):
            if token:
                self._confirmed(token, _field(message, "version"))
            return
        if not topic.endswith("/rejected"):
            return
        try:
            doc = json.loads(message)
            code = doc.get("code", 0)
            text = doc.get("message", "")
        except (ValueError, AttributeError):
            code, text = 0, message[:80]
        awaited = False  # not confirmed yet (awaiting update/accepted or its PUBACK)
        for i in range(len(self.tokens)):
            if self.tokens[i][0] == token:
                self.tokens.pop(i)
                awaited = True
                break
        for i in range(len(self.acks)):
            if self.acks[i][1] == token:
                self.acks.pop(i)
                awaited = True
                break
        if not awaited and not (token and token.startswith(self.prefix)):
            return  # another client's update on the same Thing
        self.rejected += 1
        self.rejected_since = True
        if not awaited and self.confirmed:
            self.confirmed -= 1  # its PUBACK only said the broker had it
        what = str(code) + " " + _CODES.get(code, "rejected") + (": " + text if text else "")
        self.last_error = "update " + (token or "?") + " rejected: " + what
        if code == 429 or code == 500:
            self.throttle_hit = True
            self.throttle_ms = self.throttle_ms * 2 if self.throttle_ms else self.min_ms
            if self.throttle_ms > THROTTLE_CAP_MS:
                self.throttle_ms = THROTTLE_CAP_MS
            what += "; slowing to one update every " + _secs(self.min_ms + self.throttle_ms)
        elif code == self.rejected_said:
            return  # the same again: counted (!aws), said once until an update is confirmed
        else:
            what += _NEXT.get(code, _DROPPED)
        self.rejected_said = code
        self.app.warn("AWS IoT: update " + (token or "?") + " rejected: " + what)

    def close(self):
        client = self.client
        if client is not None and self.connected:
            try:
                client.disconnect()
            except Exception:
                pass
        self._close()


def _secs(ms):
    return str(ms // 1000) + ("." + str(ms % 1000 // 100) if ms % 1000 >= 100 else "") + " s"


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


def _errno(err):
    args = getattr(err, "args", ())
    return args[0] if args and isinstance(args[0], int) else getattr(err, "errno", None)


def _field(message, name):
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


def _why(err, server, port):
    """An exception from connecting or talking to the broker in a user's words."""
    code = _errno(err)
    where = server + ":" + str(port)
    if code in _TLS:
        return "TLS with " + where + ": " + _TLS[code]
    if code == errno.ECONNREFUSED:
        return "connection refused by " + where + " (is the Server and Port right?)"
    if code == errno.ETIMEDOUT or code == errno.EAGAIN:
        return "no answer from " + where + " within " + str(SOCKET_TIMEOUT_S) + " s"
    if code == errno.EHOSTUNREACH:
        return where + " unreachable"
    name = type(err).__name__
    text = str(err.args[0]) if getattr(err, "args", None) else str(err)
    if name == "gaierror" or code == -2:
        return "cannot resolve " + server + " (DNS)"
    if _BUFFER in text:
        return text
    if "SUBACK Failure" in text:
        return ("the broker refused the subscription to the Thing's shadow topics: the certificate's policy does "
                "not allow them (is the certificate this Thing's?)")
    if "Unauthorized" in text or "username/password" in text:
        return "the broker refused the connection (" + text + ")"
    if "No data received" in text:
        return "no answer from " + where + " within " + str(RECV_TIMEOUT_S) + " s"
    if "Unexpected error while waiting" in text:
        return "the broker closed the connection"
    if "Out of sockets" in text:
        return "out of sockets"
    return name + ": " + (text or "?") + " (" + where + ")"
