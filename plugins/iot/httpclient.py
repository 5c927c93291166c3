# The HTTP IoT connection (imported only when "HTTP IoT"/"Enabled" is true; see plugins/iot/http.py).
#
# One POST per poll at most, each bounded: TIMEOUT_S for the TCP connect and each read (the TLS
# handshake's included), adafruit_requests' one retry on a dead kept-alive socket, and writes with a
# deadline. The connection is kept alive between POSTs when the server allows it (a TLS handshake
# costs the board about a second). A 2xx answer confirms the observation through delivered(entry),
# the one place a delivery is confirmed (where the outbox's confirm() goes). Any other answer is
# counted and said once per status: 5xx, 408 and 429 keep the observation and wait a backoff (1 s
# doubling to 60 s, with jitter) before trying it again; other statuses drop it (sending it again
# would get the same answer). A server that cannot be reached waits the same backoff; every socket
# is closed on every error path.
#
# Without an outbox, observations wait in RAM, at most QUEUE_MAX; the oldest are dropped and counted.
# With one ("Outbox Size", core/outbox.py through storeforward.py), as AWS IoT: while the last POST
# went through and the outbox is empty, observations are POSTed from RAM as above; anything else (a
# failed POST not yet followed by a 2xx, WiFi down, older ones in the outbox, RAM full) queues the
# observation in the outbox, behind what RAM held (_spill: RAM holds observations only while the
# outbox is empty, so the order is the logging order). The outbox is POSTed oldest first, one per
# poll, each observation as it was logged (its own entry and time); each leaves it only at its 2xx
# (delivered()), or at an answer that drops it (4xx: it would get the same answer again).
# The settings check, the words for rare events and !http are in httpwords.py (imported when needed).
import errno

from adafruit_ticks import ticks_diff, ticks_ms

from core.app import release
from plugins.iot.mqttlink import CARD_CHECK_MS, forget, say

try:
    from typing import Any
except ImportError:
    pass

QUEUE_MAX = 8
TIMEOUT_S = 1  # the TCP connect and each read
BODY_MAX = 1024  # a longer answer (or one of unknown length) is not read: its socket is closed
_HEADERS = {"Content-Type": "application/json"}


def status(app):
    for name, plugin in app.plugins:
        if name == "iot.http":
            plugin.call("report")


def make_session(pool, context):
    # adafruit_requests' Session, with a deadline on each write: its own retries EAGAIN without end
    # (every socket is non-blocking on the board), which would hold the log loop.
    from adafruit_requests import Session

    class BoundedSession(Session):
        @staticmethod
        def _send(socket, data):
            total = 0
            start = ticks_ms()
            while total < len(data):
                try:
                    sent = socket.send(data[total:])
                except OSError as err:
                    if err.errno != errno.EAGAIN:
                        raise
                    if ticks_diff(ticks_ms(), start) >= TIMEOUT_S * 1000:
                        raise OSError(errno.ETIMEDOUT)
                    continue
                if sent is None:
                    sent = len(data) - total
                if sent == 0:
                    raise OSError(errno.EIO)
                total += sent

    return BoundedSession(pool, context)


class HTTPService:
    # Set by httpwords.prepare() (annotations only: no code on the board).
    session: Any
    backoff: Any
    problem: Any
    waiting_for: Any
    files_checked: Any
    context: Any
    queue: list
    url: str
    server: str
    port: int
    proto: str
    secure: bool
    config_error: Any
    said: list
    failures: int
    sent: int
    confirmed: int
    failed: int
    refused: int
    dropped: int
    unreachable: int
    codes: dict
    last_error: str
    last_entry: int
    said_delivered: bool
    outbox: Any  # core/outbox.py's Outbox, or None
    drop_said: bool
    box_said: bool

    def __init__(self, app, net, props):
        self.app = app
        self.net = net
        self.props = props
        self.name = "HTTP IoT"
        self.outbox = None  # the store-and-forward outbox (core/outbox.py), when wired in
        self.call("prepare")

    def call(self, function, *args):
        # httpwords.<function>(self, *args), imported for the call and released after it.
        from plugins.iot import httpwords
        try:
            return getattr(httpwords, function)(self, *args)
        finally:
            release(("plugins.iot.httpwords",))

    _say = say

    def write(self, observation):
        queue = self.queue
        box = self.outbox
        if box is not None and (box.pending or self.failures or not self.net.up or len(queue) >= QUEUE_MAX):
            from plugins.iot.storeforward import put
            if queue:
                self._spill()  # what RAM holds goes first
            put(self, self.app.entry, observation.json())
            return
        queue.append((self.app.entry, observation.json()))
        if len(queue) > QUEUE_MAX:
            queue.pop(0)  # the newest are kept
            self.dropped += 1

    def _spill(self):
        # The observations in RAM into the outbox, oldest first (none is being POSTed: a POST is one step).
        from plugins.iot.storeforward import put
        for entry, text in self.queue:
            put(self, entry, text)
        self.queue = []

    def poll(self, now):
        box = self.outbox
        if self.config_error or not (self.queue or (box is not None and box.pending)):
            return
        if not self.net.up:
            self.waiting_for = "WiFi"
            return
        if not self.backoff.ready(now):
            return
        if self.secure:
            if not self.net.clock_ok():
                if self.waiting_for != "clock":
                    self.waiting_for = "clock"
                    self.call("no_clock")
                return
            if self.context is None:
                if self.files_checked is not None and ticks_diff(now, self.files_checked) < CARD_CHECK_MS:
                    return
                if self.call("files", now) is None:
                    return
        self.waiting_for = None
        self._post(now)

    def _post(self, now):
        box = self.outbox
        boxed = box is not None and box.pending > 0
        if boxed:
            record = box.peek()  # the oldest, with its own entry number (and time, in it)
            if record is None:
                return
            entry, text = record[0], record[2]
        else:
            entry, text = self.queue[0]
        session = self.session
        if session is None:
            session = self.session = make_session(self.net.socket_pool(), self.context)
        response = None
        try:
            response = session.post(self.url, data=text, headers=_HEADERS, timeout=TIMEOUT_S)
            text = None
            code = response.status_code
            headers = response.headers
            length = headers.get("content-length")
            if (length is not None and int(length) <= BODY_MAX
                    and headers.get("connection", "").lower() != "close" and "transfer-encoding" not in headers):
                body = response.content  # read, so the kept-alive socket is ready for the next POST
                body = None
                response.close()  # back to the connection manager, for the next POST
            else:
                self._drop()
        except Exception as err:  # OSError, RuntimeError, ValueError, MemoryError: every socket closed
            self._drop()
            self.sent += 1
            self.call("unreachable", err, now)
            return
        response = None
        self.sent += 1
        if 200 <= code < 300:
            self.delivered(entry, boxed)
            return
        if self.call("answered", code, entry, now):  # refused: sending it again would get the same answer
            if boxed:
                box.confirm()  # it leaves the outbox (the card's log holds it)
            else:
                self.queue.pop(0)

    def delivered(self, entry, boxed):
        # Observation `entry` (App.entry when it was taken) was confirmed by a 2xx answer; `boxed`: it was
        # the outbox's. The one place a delivery is confirmed: it leaves the outbox (or RAM) here.
        self.confirmed += 1
        self.last_entry = entry
        if boxed:
            self.outbox.confirm()
            from plugins.iot.storeforward import settled
            settled(self)
        else:
            self.queue.pop(0)
        if self.failures or not self.said_delivered:
            self.call("recovered", entry)

    def _drop(self):
        # Close this server's socket (kept alive or half-used), with the manager's bookkeeping.
        session = self.session
        if session is None:
            return
        session._last_response = None
        manager = session._connection_manager
        sock = manager._managed_socket_by_key.get((self.server, self.port, self.proto, None))
        if sock is None:
            return
        try:
            manager.close_socket(sock)
        except Exception:  # its close() raised (a dropped network): only the bookkeeping is left
            forget(manager, sock)

    def close(self):
        self._drop()
        if self.outbox is not None and self.queue:
            self._spill()  # what RAM holds waits in the outbox for the next start
