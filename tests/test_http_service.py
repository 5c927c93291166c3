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


def Logger(tmp_path, url, certs):
    settings = ('LOGGING_TIMER_INTERVAL = %d\nLOGGER_TIMESTAMP_MODE = "ms since start"\nNTP_CLIENT_ENABLED = 0\n'
                'HTTP_IOT_ENABLED = 1\nHTTP_IOT_URL = "%s"\nHTTP_IOT_CA_CERT_FILENAME = "test-ca.pem"\n'
                % (INTERVAL, url))
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
    logger = Logger(tmp_path / "logger", "https://localhost:%d/" % port, certs)
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
