# What every MQTT service shares (AWS IoT, MQTT Client, MQTT Secure Client): resident while one is
# enabled, imported by plugins/iot/awsclient.py and plugins/iot/mqttclient.py, never by a schema module.
#
# - make_client_class(): MiniMQTT's client with bounded steps: a non-blocking first read (polling for
#   messages never waits) and a write with a deadline (a full socket is a dead link after
#   SOCKET_TIMEOUT_S, not minutes of lwIP retries);
# - packet(): a whole PUBLISH in one buffer (one write, one TLS record), QoS 1 with a packet id or QoS 0;
# - receive(): PUBACKs, PINGRESPs and the keep-alive, read without waiting; each PUBACK is handed to
#   the service's _puback(pid), which confirms that delivery (the outbox's confirmation);
# - drop(): the socket closed on every path, the connection manager's bookkeeping included (the
#   known "Out of sockets" / "An existing socket is already connected").
# A service object `c` has: client, keep_alive, ping_at, server, port, _lost(text, err), _puback(pid).
import errno

from adafruit_ticks import ticks_diff, ticks_ms

try:
    from typing import Any
except ImportError:
    pass

SOCKET_TIMEOUT_S = 1  # TCP connect and each TLS/MQTT read while connecting
RECV_TIMEOUT_S = 2  # the longest wait for one broker answer while connecting (CONNACK, SUBACK)
ACK_WAIT_MS = 10000  # a PUBACK not come by then: the broker stopped answering, the link is dead
CAP_MS = 60000  # the longest wait between connect attempts
CARD_CHECK_MS = 5000  # how often missing certificate files are looked for again
BUFFER_WORDS = " is larger than Buffer Size ("


def say(c, text, warn=True):
    # A service's problem or news, "<its name>: text", said once until it changes (the services'
    # _say: AWS IoT, MQTT Client, MQTT Secure Client, HTTP IoT); a warning is also its last error.
    if text == c.problem:
        return
    c.problem = text
    if warn:
        c.last_error = text
        c.app.warn(c.name + ": " + text)
    else:
        c.app.info(c.name + ": " + text)


def make_client_class():
    # MiniMQTT's client with a non-blocking first read, so polling for messages never waits.
    from adafruit_minimqtt.adafruit_minimqtt import MQTT

    class Client(MQTT):
        peek = False
        limit = 0  # Buffer Size (0: none of ours)
        limit_key = ""  # its settings key, for the message
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
            # MiniMQTT's, with a deadline: a write that finds no room (OSError EAGAIN: every socket
            # is non-blocking on the board) is retried for SOCKET_TIMEOUT_S, then the link counts as
            # stalled. MiniMQTT's retries without end, holding the loop until lwIP gives up (minutes).
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
                raise MMQTTException("a " + str(size) + "-byte message from the broker" + BUFFER_WORDS
                                     + self.limit_key + " = " + str(self.limit) + "): set it to 0 or at least "
                                     + str(size))
            return size

    return Client


def drop(client):
    # Close the client's socket, whatever state it is in; MiniMQTT then counts as disconnected.
    try:
        client._close_socket()
    except Exception:  # the socket's close() raised (a dropped network): only the bookkeeping is left
        sock = client._sock
        client._sock = None
        # The connection manager forgets a socket only after its close() succeeded: without
        # this, every later connect would fail with "An existing socket is already connected".
        # (free_socket would hand this dead socket back to the next connect instead.)
        forget(client._connection_manager, sock)
    client._is_connected = False
    client._subscribed_topics = []


def forget(manager, sock):
    # The connection manager's bookkeeping for a socket whose close() failed (or that was closed
    # behind its back): without it, the next connect to the same host and port is refused.
    key = manager._key_by_managed_socket.pop(sock, None)
    if key is not None:
        manager._managed_socket_by_key.pop(key, None)
    manager._available_sockets.discard(sock)


def packet(client, topic, pid, parts):
    # The whole MQTT PUBLISH in one buffer: QoS 1 with packet id `pid`, or QoS 0 if pid is 0. The
    # payload is the bytes of `parts` one after the other (no joined copy is made first).
    n = len(topic)
    size = 0
    for part in parts:
        size += len(part)
    rest = 2 + n + (2 if pid else 0) + size
    header = bytearray(b"\x32" if pid else b"\x30")
    client._encode_remaining_length(header, rest)
    at = len(header)
    out = bytearray(at + rest)
    out[0:at] = header
    out[at] = n >> 8
    out[at + 1] = n & 0xFF
    at += 2
    out[at:at + n] = topic
    at += n
    if pid:
        out[at] = pid >> 8
        out[at + 1] = pid & 0xFF
        at += 2
    for part in parts:
        out[at:at + len(part)] = part
        at += len(part)
    return out


def send(c, data):
    # One bounded write (make_client_class); False (and the link closed, said) if it failed.
    client = c.client
    try:
        client._send_bytes(data)
    except Exception as err:
        c._lost("", err)
        return False
    client._last_msg_sent_timestamp = ticks_ms()
    return True


def receive(c, now):
    # What the broker sent since the last poll, without waiting: at most a few packets. PUBLISHes go
    # to the client's on_message (MiniMQTT), PUBACKs to c._puback(pid). Then the keep-alive: a
    # PINGREQ once nothing was received (or sent) for half the period; no answer within another half
    # means the link is dead. Timed from what was received: updates sent every second would
    # otherwise put the ping off for ever. False if the link was lost (closed and said).
    client = c.client
    try:
        for _ in range(4):
            client.peek = True
            op = client._wait_for_msg()
            if op is None:
                break
            if op == 0xD0:  # PINGRESP
                c.ping_at = None
            elif op == 0x40 or op == 0xB0:  # PUBACK or UNSUBACK: length 2 and a packet id
                rest = client._sock_exact_recv(3)
                c.ping_at = None
                if op == 0x40:
                    c._puback((rest[1] << 8) | rest[2])
        client.peek = False
        half = c.keep_alive * 500
        if c.ping_at is not None:
            if ticks_diff(now, c.ping_at) >= half:
                c._lost("no PINGRESP from " + c.server + ":" + str(c.port) + " within " + str(half // 1000)
                        + " s: the link or the broker stopped answering")
                return False
        elif (ticks_diff(now, client.heard) >= half
              or ticks_diff(now, client._last_msg_sent_timestamp) >= half):
            client._send_bytes(b"\xc0\x00")
            client._last_msg_sent_timestamp = now
            c.ping_at = now
    except Exception as err:
        client.peek = False
        c._lost("", err)
        return False
    return c.client is not None and c.connected
