"""VM only: a socket that answers as an AWS IoT broker and shadow would, for the heap bench.

The VM has no network. With `socketpool.peer = vmbroker.BrokerSocket`, the socketpool stand-in hands
out these sockets and the ssl stand-in "wraps" them as they are (no TLS: its ~36 KB on the board are
not in the VM's heap). The socket answers MQTT 3.1.1 as Mosquitto + the shadow service do:
CONNACK, SUBACK, UNSUBACK, PINGRESP, a PUBACK for each QoS 1 PUBLISH, and for a shadow update an
update/accepted message (the reported state, a version and the clientToken) when the device has
subscribed to it. Answers are queued and read back without blocking; nothing to read is EAGAIN.
"""


class BrokerSocket:
    vm_tls = True  # the ssl stand-in returns it unwrapped
    publishes = 0  # PUBLISH packets received, all sockets
    pubacks = 0

    def __init__(self, *args):
        self.inbox = bytearray()
        self.partial = bytearray()
        self.subs = []
        self.version = 0
        self.reported = "{}"
        self.closed = False

    def settimeout(self, value):
        pass

    def setsockopt(self, *args):
        pass

    def connect(self, address):
        if self.closed:
            raise OSError(9)

    def close(self):
        self.closed = True

    def send(self, data):
        if self.closed:
            raise OSError(9)
        self.partial.extend(data)
        self._parse()
        return len(data)

    def recv_into(self, buffer, nbytes=0):
        if self.closed:
            raise OSError(9)
        inbox = self.inbox
        if not inbox:
            raise OSError(11)  # EAGAIN: a read with no data waiting
        n = nbytes or len(buffer)
        if n > len(inbox):
            n = len(inbox)
        buffer[0:n] = inbox[0:n]
        self.inbox = inbox[n:]
        return n

    def _parse(self):
        data = self.partial
        while len(data) >= 2:
            size = 0
            mult = 1
            i = 1
            while True:
                if i >= len(data):
                    return
                b = data[i]
                size += (b & 0x7F) * mult
                mult *= 128
                i += 1
                if not b & 0x80:
                    break
            if len(data) < i + size:
                return
            self._packet(data[0], bytes(data[i:i + size]))
            data = data[i + size:]
            self.partial = data

    def _packet(self, head, body):
        kind = head & 0xF0
        if kind == 0x10:  # CONNECT
            self.inbox.extend(b"\x20\x02\x00\x00")
        elif kind == 0x80:  # SUBSCRIBE: packet id, then (topic, qos)*
            i = 2
            granted = bytearray()
            while i < len(body):
                n = (body[i] << 8) | body[i + 1]
                self.subs.append(str(body[i + 2:i + 2 + n], "utf-8"))
                granted.append(body[i + 2 + n] & 3)
                i += 3 + n
            self.inbox.extend(bytes((0x90, 2 + len(granted))) + body[0:2] + granted)
        elif kind == 0xA0:  # UNSUBSCRIBE
            i = 2
            while i < len(body):
                n = (body[i] << 8) | body[i + 1]
                topic = str(body[i + 2:i + 2 + n], "utf-8")
                if topic in self.subs:
                    self.subs.remove(topic)
                i += 2 + n
            self.inbox.extend(b"\xb0\x02" + body[0:2])
        elif kind == 0xC0:  # PINGREQ
            self.inbox.extend(b"\xd0\x00")
        elif kind == 0x30:  # PUBLISH
            BrokerSocket.publishes += 1
            qos = (head >> 1) & 3
            n = (body[0] << 8) | body[1]
            topic = str(body[2:2 + n], "utf-8")
            at = 2 + n
            if qos:
                BrokerSocket.pubacks += 1
                self.inbox.extend(b"\x40\x02" + body[at:at + 2])
                at += 2
            text = str(body[at:], "utf-8")
            token = text.rfind(',"clientToken"')
            if topic.endswith("/update"):
                self._accepted(topic + "/accepted", text, token)
            elif topic.endswith("/get"):
                self._document(topic, text)

    def _accepted(self, topic, text, token):
        """update/accepted as the shadow answers: the state sent, a version and the clientToken."""
        self.version += 1
        state = text[9:token] if text.startswith('{"state":') and token > 0 else "{}"
        self.reported = state
        if topic in self.subs:
            self._publish(topic, '{"state":' + state + ',"metadata":{},"version":' + str(self.version)
                          + ',"timestamp":1764633600' + (text[token:] if token > 0 else "}"))

    def _document(self, topic, text):
        """The answer to a get: the shadow document (the last state reported), or 404 before any."""
        token = '"clientToken":' + text[text.find(":") + 1:-1]
        if self.version:
            self._publish(topic + "/accepted", '{"state":' + self.reported + ',"metadata":{},"version":'
                          + str(self.version) + ',"timestamp":1764633600,' + token + "}")
        else:
            self._publish(topic + "/rejected", '{"code":404,"message":"No shadow exists",' + token + "}")

    def _publish(self, topic, answer):
        answer = answer.encode()
        t = topic.encode()
        rest = 2 + len(t) + len(answer)
        head = bytearray(b"\x30")
        while True:
            b = rest & 0x7F
            rest >>= 7
            head.append(b | 0x80 if rest else b)
            if not rest:
                break
        self.inbox.extend(head + bytes((len(t) >> 8, len(t) & 0xFF)) + t + answer)
