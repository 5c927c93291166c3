"""HTTP IoT, run as a user runs it (`python -m host`) against a real local HTTP server: Python's
http.server behind TLS with a certificate from the test CA (host/aws/certs.py), started as a
subprocess and stopped by its PID. The server writes each POST it gets to a file and answers the
status held in another file, so a test can make it fail (5xx) and recover."""
import json
import subprocess
import sys
import time

import pytest
from hostrun import STEADY_BUS

from host.aws import devicerun, make_certs
from host.aws.proc import free_port, stop, tcp_listening, wait_until

INTERVAL = 500
SERVER = r"""
import http.server, json, ssl, sys
port, cert, key, received, status = sys.argv[1:6]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept alive between POSTs, as most servers do
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        code = int(open(status).read().strip() or 200)
        if code < 300:
            with open(received, "a") as f:
                f.write(json.dumps({"type": self.headers["Content-Type"], "path": self.path,
                                    "body": body.decode()}) + "\n")
        answer = b"ok\n"
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(port)), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


class Server:
    def __init__(self, folder, certs, port=None):
        self.port = port or free_port()
        self.received = folder / "received.jsonl"
        self.status = folder / "status"
        self.received.write_text("")
        self.status.write_text("200")
        self.args = [sys.executable, "-c", SERVER, str(self.port), certs.server_cert, certs.server_key,
                     str(self.received), str(self.status)]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL)  # pylint: disable=consider-using-with
        wait_until(tcp_listening(self.port), self.proc, 15, "https server")
        return self

    def stop(self):
        stop(self.proc)

    def posts(self):
        return [json.loads(line) for line in self.received.read_text().splitlines()]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(str(tmp_path_factory.mktemp("http") / "certs"))


def Logger(tmp_path, url, certs, interval=INTERVAL, extra=""):
    settings = ('LOGGING_TIMER_INTERVAL = %d\nLOGGER_TIMESTAMP_MODE = "ms since start"\nNTP_CLIENT_ENABLED = 0\n'
                'HTTP_IOT_ENABLED = 1\nHTTP_IOT_URL = "%s"\nHTTP_IOT_CA_CERT_FILENAME = "test-ca.pem"\n'
                % (interval, url)) + extra
    logger = devicerun.Logger(tmp_path, settings, STEADY_BUS)
    (logger.sd / "test-ca.pem").write_text(open(certs.ca).read())
    return logger


def wait_for(check, timeout=20):
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def test_observations_arrive_as_json_and_a_5xx_is_counted_said_once_and_retried(certs, tmp_path):
    server = Server(tmp_path, certs).start()
    logger = Logger(tmp_path / "logger", "https://localhost:%d/datalogger" % server.port, certs)
    try:
        logger.wait("[I] HTTP IoT: observation 1 delivered to https://localhost:%d/datalogger (2xx)" % server.port)
        wait_for(lambda: len(server.posts()) >= 3)
        server.status.write_text("503")
        logger.wait("[W] HTTP IoT: localhost answered 503 service unavailable to observation ")
        time.sleep(3)  # failed POSTs, spaced by the backoff
        server.status.write_text("200")
        logger.wait("failed POST(s)", timeout=30)  # delivered again, the kept one first
        logger.type("!http\n")
        logger.wait("other answers: 503: ")
    finally:
        logger.stop()
        server.stop()
    posts = server.posts()
    console = {line.split(",")[0] for line in logger.lines if line.split(",")[0].isdigit()}
    for post in posts:
        assert post["type"] == "application/json" and post["path"] == "/datalogger"
        doc = json.loads(post["body"])
        assert set(doc) == {"General", "MAX17048", "BME280"} and doc["BME280"]["TemperatureC"] == 21.502
        assert str(doc["General"]["Time (millis)"]) in console
    entries = [json.loads(p["body"])["General"]["Entry"] for p in posts]
    assert entries == sorted(entries) and len(set(entries)) == len(entries), entries  # in order, none twice
    text = logger.console()
    assert text.count("[W] HTTP IoT: localhost answered 503") == 1  # said once; the rest counted
    assert len(logger.times()) >= 10 and logger.card_lines() >= 10  # logging went on
    assert logger.largest_gap() <= INTERVAL + 1400, logger.largest_gap()


def test_a_dead_server_never_stalls_the_loop_and_is_retried(certs, tmp_path):
    port = free_port()
    # Outbox Size 0: what RAM alone keeps (the default outbox keeps all: the next test)
    logger = Logger(tmp_path / "logger", "https://localhost:%d/" % port, certs, extra="HTTP_IOT_OUTBOX_SIZE = 0\n")
    server = Server(tmp_path, certs, port)
    try:
        logger.wait("[W] HTTP IoT: connection refused by localhost:%d" % port)
        time.sleep(3)
        assert logger.count("[W] HTTP IoT: ") == 1  # said once, retried quietly
        down = len(logger.times())  # observations taken while the server was down
        server.start()
        logger.wait("delivered to https://localhost:%d/ after " % port, timeout=30)
        wait_for(lambda: len(server.posts()) >= 2)
    finally:
        logger.stop()
        server.stop()
    assert len(logger.times()) >= 6  # logging went on meanwhile
    entries = [json.loads(p["body"])["General"]["Entry"] for p in server.posts()]
    lines = logger.lines
    at = next(i for i, line in enumerate(lines) if "delivered to https" in line)
    taken = len([line for line in lines[:at] if line.split(",")[0].isdigit()])  # when the first one went
    assert entries == list(range(entries[0], entries[0] + len(entries))), entries
    # what was taken while it was down was kept (the newest 8, in RAM) and sent, in order
    assert max(1, taken - 8) <= entries[0] <= max(1, taken - 6), (down, taken, entries)
    assert logger.largest_gap() <= INTERVAL + 1400, logger.largest_gap()


def logged(logger):
    """General.Entry of the newest observation on the console."""
    return int([line for line in logger.lines if line.split(",")[0].isdigit()][-1].split(",")[1])


def card_entries(logger):
    """General.Entry of every observation in the card's log files (one boot)."""
    out = []
    for path in sorted(logger.sd.glob("sfe*.txt")):
        lines = path.read_text().splitlines()
        column = lines[0].split(",").index("General.Entry")
        out += [int(line.split(",")[column]) for line in lines[1:] if line[:1].isdigit()]
    return out


def test_with_an_outbox_every_entry_arrives_once_in_order_across_5xx_and_a_dead_server(certs, tmp_path):
    # The outbox on (its default), 300 ms interval: the server answers 503 for 3 s, then is stopped by its PID for 3 s and
    # started again on its port. Every entry logged is POSTed, from the first to the last, each
    # delivered once (a 2xx is the confirmation: the 503s were not), in order; the card has them all.
    server = Server(tmp_path, certs).start()
    logger = Logger(tmp_path / "logger", "https://localhost:%d/datalogger" % server.port, certs, interval=300)
    entries = lambda: [json.loads(p["body"])["General"]["Entry"] for p in server.posts()]  # noqa: E731
    try:
        logger.wait("[I] HTTP IoT: observation 1 delivered to https://localhost:%d/datalogger (2xx)" % server.port)
        wait_for(lambda: len(server.posts()) >= 3)
        server.status.write_text("503")
        logger.wait("[W] HTTP IoT: localhost answered 503 service unavailable to observation ")
        time.sleep(3)
        server.status.write_text("200")
        logger.wait("failed POST(s)", timeout=30)  # the kept one first, then the outbox
        wait_for(lambda: entries()[-1] >= logged(logger))
        server.stop()
        logger.wait("[W] HTTP IoT: connection refused by localhost:%d" % server.port)
        time.sleep(3)
        assert list(logger.sd.glob("http-outbox.*"))
        server.start()
        logger.wait("failed POST(s)", count=2, timeout=30)
        last = logged(logger) + 2
        wait_for(lambda: entries()[-1] >= last)
        logger.type("!http\n")
        logger.wait("HTTP IoT: outbox (SD card): ")
    finally:
        logger.stop()
        server.stop()
    got = entries()
    # A 2xx lost with a server stopped between answering and the answer reaching the logger would
    # send that one again, next to itself (at least once, as MQTT): at most once per outage.
    sent = [e for i, e in enumerate(got) if i == 0 or e != got[i - 1]]
    assert len(got) - len(sent) <= 1, got
    assert sent == list(range(1, len(sent) + 1)), got
    assert len(sent) >= last
    on_card = card_entries(logger)
    assert on_card[:len(sent)] == sent  # the card's log has every one
    text = logger.console()
    assert text.count("[W] HTTP IoT: localhost answered 503") == 1 and "outbox full" not in text
    assert logger.largest_gap() <= 300 + 1400, logger.largest_gap()
