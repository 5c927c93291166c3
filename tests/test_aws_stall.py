"""A link that dies quietly, and a socket whose close() fails.

A link that stalls without a reset (the access point up, the path beyond it gone): the device's
TCP send buffer fills and every write would block. On the board every socket is non-blocking, so
the TLS write raises OSError(EAGAIN); MiniMQTT's own send loop retries that forever, which would
hold the log loop until lwIP gave up (minutes). The plugin gives a blocked write SOCKET_TIMEOUT_S,
then treats the link as lost: closed, said once, reconnected with backoff.

Here a TCP proxy sits between the logger (`python -m host`) and the AWS IoT stand-in. On command it
stops reading from the device (its socket's receive buffer is small), so the device's writes back
up as they do on the board, without the connection being reset; the host's socketpool stand-in
raises EAGAIN for a send that finds no room, as lwIP does.
"""
import os
import select
import signal
import socket
import threading
import time

from aws_fixtures import aws_standin, ntp_server  # noqa: F401  (fixtures)
from test_aws_protocol import Logger, aws_toml, toml, wide_files, wide_toml

from host.aws import devicerun

INTERVAL = 100  # ms: the send buffer fills within a few seconds


class StallingProxy:
    """127.0.0.1:<port> -> the broker. `stall()`: the device's bytes are no longer read (the
    connections stay open, nothing is reset); `resume()`: read again."""

    def __init__(self, target):
        self.target = target
        self.reading = threading.Event()
        self.reading.set()
        self.stopped = False
        self.listener = socket.socket()
        # Inherited by accepted sockets: the kernel's smallest receive window, so the device's
        # own send buffer takes the backlog (as on the board, where the peer is far away).
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.links = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self):
        self.reading.clear()

    def resume(self):
        self.reading.set()

    def close(self):
        self.stopped = True
        self.reading.set()
        self.listener.close()
        for sock in list(self.links):
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stopped:
            try:
                device, _ = self.listener.accept()
            except OSError:
                return
            try:
                broker = socket.create_connection(self.target, timeout=5)
            except OSError:
                device.close()
                continue
            self.links += [device, broker]
            threading.Thread(target=self._pump, args=(device, broker), daemon=True).start()

    def _pump(self, device, broker):
        try:
            while not self.stopped:
                want = [broker] + ([device] if self.reading.is_set() else [])
                ready, _, _ = select.select(want, [], [], 0.05)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (broker if sock is device else device).sendall(data)
        except OSError:
            pass
        finally:
            for sock in (device, broker):
                try:
                    sock.close()
                except OSError:
                    pass


def tick_gap(logger, start, end):
    """The longest time in ms, from `start` to `end` (monotonic), without a log tick (a CSV line)."""
    stamps = [start] + [t for t, line in zip(list(logger.stamps), list(logger.lines))
                        if start <= t <= end and line.split(",")[0].isdigit()] + [end]
    return int(max(b - a for a, b in zip(stamps, stamps[1:])) * 1000)


def test_a_stalled_link_never_freezes_the_log_loop(aws_standin, ntp_server, tmp_path):
    ntp = "127.0.0.1:%d" % ntp_server.port
    proxy = StallingProxy((aws_standin.host, aws_standin.port))
    settings = toml(ntp, interval=INTERVAL, extra=aws_toml(aws_standin, port=proxy.port)
                    # The live path's bounded write: with the outbox on, at most 8 updates go out
                    # unconfirmed (the rest wait in it), so a stall is found by their missing PUBACKs
                    # (10 s: test_aws_firmware) before the send buffer fills.
                    + "AWS_IOT_MINIMUM_UPDATE_INTERVAL = 100\nAWS_IOT_OUTBOX_SIZE = 0\n")
    logger = Logger(tmp_path, settings, aws_standin)
    try:
        logger.wait("delivered (PUBACK)", count=3, timeout=30)
        proxy.stall()
        stalled_at = time.monotonic()
        while time.monotonic() < stalled_at + 15 and not logger.count("[W] AWS IoT: connection lost"):
            time.sleep(0.1)
        lost_after = time.monotonic() - stalled_at
        time.sleep(3)  # reconnect attempts into the stalled proxy: each bounded too
        gap = tick_gap(logger, stalled_at, time.monotonic())
        connects = logger.count("[I] AWS IoT: connected to")
        proxy.resume()
        if gap <= INTERVAL + 1250:
            logger.wait("[I] AWS IoT: connected to", count=connects + 1, timeout=30)
            logger.wait("delivered (PUBACK)", count=logger.count("delivered (PUBACK)") + 1, timeout=20)
        lost = [line for line in logger.lines if "connection lost" in line]
    finally:
        proxy.close()
        logger.stop()
    print("stall: connection lost after %.1f s, largest tick gap %d ms" % (lost_after, gap))
    # The log loop kept its ticks the whole time: at most one bounded write (1 s) in a gap.
    assert gap <= INTERVAL + 1250, (gap, lost)
    # The blocked write is named as the link's trouble, once, and the plugin reconnected by itself.
    assert lost[0].startswith("[W] AWS IoT: connection lost (no answer from localhost:%d within 1 s"
                              % proxy.port), lost


def test_accepted_confirmation_notices_a_dead_link(aws_standin, ntp_server, tmp_path):
    """Confirmation "accepted" publishes at QoS 0 every interval, so a keep-alive timed from the
    last packet sent never pinged, and an update the shadow never answered was dropped silently:
    a broker that stopped answering (stopped by its PID: TCP still takes the bytes) went unnoticed."""
    ntp = "127.0.0.1:%d" % ntp_server.port
    logger = Logger(tmp_path, toml(ntp, interval=200, extra=wide_toml(
        aws_standin, "StallAccepted", 'AWS_IOT_CONFIRMATION = "accepted"\nAWS_IOT_MINIMUM_UPDATE_INTERVAL = 200\n')),
        aws_standin)
    stopped = False
    try:
        logger.wait("accepted, shadow version", count=3, timeout=30)
        os.kill(aws_standin.broker.pid, signal.SIGSTOP)
        stopped = True
        stopped_at = time.monotonic()
        logger.wait("[W] AWS IoT: connection lost (no update/accepted from localhost:%d for update "
                    % aws_standin.port, timeout=20)
        lost_after = time.monotonic() - stopped_at
        os.kill(aws_standin.broker.pid, signal.SIGCONT)
        stopped = False
        logger.wait("[I] AWS IoT: connected to", count=2, timeout=30)
        logger.wait("accepted, shadow version", count=logger.count("accepted, shadow version") + 1, timeout=20)
        status = logger.status()
    finally:
        if stopped:
            os.kill(aws_standin.broker.pid, signal.SIGCONT)
        logger.stop()
    print("accepted: connection lost %.1f s after the broker stopped" % lost_after)
    lost = [line for line in logger.lines if "connection lost" in line]
    assert len(lost) == 1 and "within 10 s: the link or the broker stopped answering; " in lost[0], lost
    assert "update(s) not confirmed" in lost[0], lost
    assert lost_after < 10 + 3, lost_after
    assert status[2].startswith("[I] AWS IoT: reconnects 1; last error: no update/accepted from"), status
    assert logger.largest_gap() <= 200 + 1250, logger.largest_gap()


CLOSE_DRIVER = r"""

def run(seconds, until):
    end = time.monotonic() + seconds
    due = 0
    while time.monotonic() < end and not until():
        now = ticks_ms()
        if time.monotonic() >= due:
            app.log(now)
            due = time.monotonic() + 0.2
        for _, poller in app.pollers:
            poller.poll(now)
        time.sleep(0.01)

run(20, lambda: aws.confirmed >= 1)
print("CONNECTED", aws.connects, flush=True)
sock = aws.client._sock
real_close = sock.close

def failing_close():  # what a dropped network can make the board's close() do
    real_close()
    raise OSError(errno.ENOTCONN, "ENOTCONN")

sock.close = failing_close
aws._lost("the test dropped it")
run(15, lambda: aws.connects >= 2 and aws.confirmed >= 2)
print("AFTER", aws.connects, aws.confirmed, aws.last_error, flush=True)
app.close()
"""


def test_a_socket_whose_close_fails_does_not_block_reconnects(aws_standin, ntp_server, tmp_path):
    """The connection manager keeps a socket registered until its close() succeeds: every later
    connect to the same server then failed with "An existing socket is already connected"."""
    settings = toml("127.0.0.1:%d" % ntp_server.port, extra=wide_toml(aws_standin, "StallClose")) + 'PLUGINS = "iot.aws"\n'
    out = devicerun.run_in_process(tmp_path, settings, aws_standin.certs, CLOSE_DRIVER, card=wide_files(aws_standin))
    lines = out.splitlines()
    assert "CONNECTED 1" in lines, out.stdout[-3000:]
    after = [line for line in lines if line.startswith("AFTER")]
    assert after and after[0].startswith("AFTER 2 2 "), "\n".join(lines[-30:])
    assert not [line for line in lines if "already connected" in line], "\n".join(lines[-30:])
