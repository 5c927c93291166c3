"""The host stand-ins for wifi, socketpool and ssl (host/stubs/) behave like CircuitPython's.

Needs the `cryptography` package (certificates made per run) and, for the MQTT test, the
`mosquitto` broker (Debian package mosquitto). Every connection stays on 127.0.0.1.
"""

import errno
import importlib
import os
import shutil
import signal
import socket
import ssl  # CPython's: the stand-in is loaded by the fixture below, then taken away again
import subprocess
import sys
import threading
import time
import types

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUBS = os.path.join(REPO, "host", "stubs")
STUB_MODULES = ("wifi", "socketpool", "ssl", "_cpython_ssl")
REAL_SSL = ssl

# mbedTLS error numbers the stand-in reports for failed handshakes
X509_CERT_VERIFY_FAILED = -0x2700
SSL_FATAL_ALERT = -0x7780


# --- certificates ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1/localhost, a device certificate, a stranger CA: the
    AWS IoT stand-in's set (host/aws/certs.py)."""
    from host.aws.certs import make_certs

    made = make_certs(str(tmp_path_factory.mktemp("certs")))
    paths = types.SimpleNamespace(ca=made.ca, server_cert=made.server_cert, server_key=made.server_key,
                                  device_cert=made.cert, device_key=made.key)
    with open(made.ca) as f:
        paths.ca_pem = f.read()
    with open(made.wrong_ca) as f:
        paths.other_ca_pem = f.read()
    return paths


# --- a TLS echo server that requires client certificates -------------------------------


class EchoServer:
    def __init__(self, certs):
        self.context = REAL_SSL.SSLContext(REAL_SSL.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certs.server_cert, certs.server_key)
        self.context.load_verify_locations(cafile=certs.ca)
        self.context.verify_mode = REAL_SSL.CERT_REQUIRED
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes_failed = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn):
        conn.settimeout(10)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                while True:
                    data = tls.recv(4096)
                    if not data:
                        return
                    tls.sendall(data)
        except (REAL_SSL.SSLError, OSError):
            self.handshakes_failed += 1

    def stop(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.listener.close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def echo_server(certs):
    server = EchoServer(certs)
    yield server
    server.stop()


# --- the stand-ins ----------------------------------------------------------------------


@pytest.fixture
def cp(monkeypatch):
    """wifi, socketpool and ssl from host/stubs, as code.py sees them; CPython's ssl after."""
    saved = {name: sys.modules.get(name) for name in STUB_MODULES}
    for name in STUB_MODULES:
        sys.modules.pop(name, None)
    # Reuse the CPython ssl already loaded instead of a second copy of its classes.
    sys.modules["_cpython_ssl"] = REAL_SSL
    if REPO not in sys.path:  # last, so its code.py never shadows the stdlib's `code`
        monkeypatch.setattr(sys, "path", sys.path + [REPO])
    monkeypatch.syspath_prepend(STUBS)  # first on sys.path, like the host runner does
    import host  # pylint: disable=import-outside-toplevel

    runtime = types.ModuleType("host.runtime")
    runtime.WIFI_NETWORKS = {"TestNet": "testpass123", "OtherNet": "otherpass99"}
    monkeypatch.setitem(sys.modules, "host.runtime", runtime)
    monkeypatch.setattr(host, "runtime", runtime, raising=False)
    mods = None
    try:
        mods = types.SimpleNamespace(
            wifi=importlib.import_module("wifi"),
            socketpool=importlib.import_module("socketpool"),
            ssl=importlib.import_module("ssl"),
            runtime=runtime,
        )
        assert mods.ssl is not REAL_SSL
        assert os.path.dirname(mods.ssl.__file__) == STUBS
        yield mods
    finally:
        if mods is not None:
            mods.socketpool.host_reset()
        for name in STUB_MODULES:
            if saved[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved[name]
        assert sys.modules["ssl"] is REAL_SSL


@pytest.fixture
def net(cp):
    """Connected to the simulated network, with a SocketPool."""
    cp.wifi.radio.connect("TestNet", "testpass123")
    cp.pool = cp.socketpool.SocketPool(cp.wifi.radio)
    return cp


def _device_context(cp, certs, *, client_cert=True):
    ctx = cp.ssl.create_default_context()
    ctx.load_verify_locations(cadata=certs.ca_pem)
    if client_cert:
        ctx.load_cert_chain(certs.device_cert, certs.device_key)
    return ctx


def _recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        count = sock.recv_into(view[got:], n - got)
        assert count, "connection closed early"
        got += count
    return bytes(buf)


# --- ssl ----------------------------------------------------------------------------------


def test_tls_with_cadata_and_client_cert_echoes(net, certs, echo_server):
    ctx = _device_context(net, certs)
    assert isinstance(ctx, net.ssl.CircuitPythonSSLContext)
    sock = ctx.wrap_socket(net.pool.socket(net.pool.AF_INET, net.pool.SOCK_STREAM),
                           server_hostname="localhost")
    assert net.socketpool.host_open_sockets() == 2  # a TLS socket costs 2 of the 8
    sock.settimeout(5)
    sock.connect(("localhost", echo_server.port))
    assert sock.send(b"hello, board") == 12
    assert _recv_exact(sock, 12) == b"hello, board"
    assert not hasattr(sock, "recv")  # like the board: recv_into only

    sock.settimeout(0.2)
    with pytest.raises(OSError) as err:
        sock.recv_into(bytearray(4))
    assert err.value.errno == errno.ETIMEDOUT
    assert not isinstance(err.value, TimeoutError)  # the board raises plain OSError

    sock.close()
    assert net.socketpool.host_open_sockets() == 0
    with pytest.raises(OSError) as err:
        sock.send(b"x")
    assert err.value.errno == errno.EBADF


def test_tls_by_ip_address_and_with_the_minimqtt_calls(net, certs, echo_server):
    ctx = _device_context(net, certs)
    info = net.pool.getaddrinfo("127.0.0.1", echo_server.port, 0, net.pool.SOCK_STREAM)[0]
    assert info[:2] == (net.pool.AF_INET, net.pool.SOCK_STREAM)
    assert info[4] == ("127.0.0.1", echo_server.port)
    sock = ctx.wrap_socket(net.pool.socket(info[0], info[1]), server_hostname="127.0.0.1")
    sock.settimeout(5)
    sock.connect(("127.0.0.1", echo_server.port))
    sock.send(memoryview(b"\x10\x00abc")[2:])
    assert _recv_exact(sock, 3) == b"abc"
    sock.close()


def test_tls_without_client_cert_fails(net, certs, echo_server):
    ctx = _device_context(net, certs, client_cert=False)
    sock = ctx.wrap_socket(net.pool.socket(), server_hostname="localhost")
    sock.settimeout(5)
    with pytest.raises(OSError) as err:
        sock.connect(("localhost", echo_server.port))
    assert err.value.errno == SSL_FATAL_ALERT
    with pytest.raises(OSError) as err:
        sock.send(b"x")
    assert err.value.errno == errno.EBADF
    sock.close()
    assert net.socketpool.host_open_sockets() == 0


def test_cadata_replaces_the_bundle(net, certs, echo_server):
    # The built-in bundle does not know the test CA.
    ctx = net.ssl.create_default_context()
    ctx.load_cert_chain(certs.device_cert, certs.device_key)
    sock = ctx.wrap_socket(net.pool.socket(), server_hostname="localhost")
    sock.settimeout(5)
    with pytest.raises(OSError) as err:
        sock.connect(("localhost", echo_server.port))
    assert err.value.errno == X509_CERT_VERIFY_FAILED
    sock.close()
    # A second cadata replaces the first: only the stranger CA is left.
    ctx = _device_context(net, certs)
    ctx.load_verify_locations(cadata=certs.other_ca_pem)
    sock = ctx.wrap_socket(net.pool.socket(), server_hostname="localhost")
    sock.settimeout(5)
    with pytest.raises(OSError) as err:
        sock.connect(("localhost", echo_server.port))
    assert err.value.errno == X509_CERT_VERIFY_FAILED
    sock.close()
    assert net.socketpool.host_open_sockets() == 0


def test_server_name_is_checked(net, certs, echo_server):
    ctx = _device_context(net, certs)
    assert ctx.check_hostname is False
    sock = ctx.wrap_socket(net.pool.socket(), server_hostname="not-the-server.example")
    sock.settimeout(5)
    with pytest.raises(OSError) as err:
        sock.connect(("127.0.0.1", echo_server.port))
    assert err.value.errno == X509_CERT_VERIFY_FAILED
    sock.close()


def test_verify_locations_accepts_cadata_only(cp, certs):
    ctx = cp.ssl.create_default_context()
    with pytest.raises(NotImplementedError):
        ctx.load_verify_locations(cafile=certs.ca)
    with pytest.raises(NotImplementedError):
        ctx.load_verify_locations(capath=os.path.dirname(certs.ca))
    with pytest.raises(TypeError):
        ctx.load_verify_locations(cadata=certs.ca_pem.encode())


def test_bad_pem_is_reported_when_wrapping(net, certs, tmp_path):
    ctx = net.ssl.create_default_context()
    ctx.load_verify_locations(cadata="-----BEGIN CERTIFICATE-----\nnot base64\n")
    with pytest.raises(ValueError, match="invalid cert"):
        ctx.wrap_socket(net.pool.socket(), server_hostname="localhost")
    bad_key = tmp_path / "bad_key.pem"
    bad_key.write_text("not a key")
    ctx = _device_context(net, certs, client_cert=False)
    ctx.load_cert_chain(certs.device_cert, str(bad_key))
    with pytest.raises(ValueError, match="invalid key"):
        ctx.wrap_socket(net.pool.socket(), server_hostname="localhost")
    with pytest.raises(RuntimeError, match="Invalid socket for TLS"):
        ctx.wrap_socket(net.pool.socket(net.pool.AF_INET, net.pool.SOCK_DGRAM))


def test_stdlib_and_host_code_get_cpython_contexts(cp):
    import asyncio.sslproto  # pylint: disable=import-outside-toplevel

    real = cp.ssl._create_default_https_context()  # what http.client uses
    assert isinstance(real, REAL_SSL.SSLContext)
    real = asyncio.sslproto._create_transport_context(False, "localhost")
    assert isinstance(real, REAL_SSL.SSLContext)
    board_ctx = cp.ssl.create_default_context(cafile=None, cadata=None)
    assert isinstance(board_ctx, cp.ssl.CircuitPythonSSLContext)
    host_ctx = cp.ssl.create_default_context(cp.ssl.Purpose.SERVER_AUTH)
    assert isinstance(host_ctx, REAL_SSL.SSLContext)
    assert cp.ssl.SSLContext is REAL_SSL.SSLContext
    assert cp.ssl.PROTOCOL_TLS_CLIENT == REAL_SSL.PROTOCOL_TLS_CLIENT


def test_stub_loads_cpython_ssl_from_its_file_in_a_fresh_process(certs, echo_server):
    """As under the host runner: nothing imported CPython's ssl before the stand-in."""
    script = "\n".join(
        [
            "import sys",
            "sys.path.insert(0, %r)" % STUBS,
            "import ssl",
            "assert ssl.__file__.startswith(%r), ssl.__file__" % STUBS,
            "real = sys.modules['_cpython_ssl']",
            "assert real.__file__ != ssl.__file__",
            "import http.client, urllib.request, asyncio, smtplib",
            "assert isinstance(ssl._create_default_https_context(), real.SSLContext)",
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
            "assert ctx.verify_mode == ssl.CERT_REQUIRED",
            "import wifi, socketpool",
            "wifi.radio.connect('SimNet', 'simpass')",
            "pool = socketpool.SocketPool(wifi.radio)",
            "ctx = ssl.create_default_context()",
            "assert type(ctx).__name__ == 'CircuitPythonSSLContext'",
            "ctx.load_verify_locations(cadata=%r)" % certs.ca_pem,
            "ctx.load_cert_chain(%r, %r)" % (certs.device_cert, certs.device_key),
            "s = ctx.wrap_socket(pool.socket(), server_hostname='localhost')",
            "s.settimeout(5)",
            "s.connect(('localhost', %d))" % echo_server.port,
            "s.send(b'ping')",
            "buf = bytearray(4)",
            "n = 0",
            "while n < 4: n += s.recv_into(memoryview(buf)[n:])",
            "s.close()",
            "print(bytes(buf).decode(), socketpool.host_open_sockets())",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=STUBS,  # no repo on sys.path: host.runtime is absent, the default network is used
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ping 0"


# --- socketpool ---------------------------------------------------------------------------


def test_ninth_socket_is_out_of_sockets_and_close_frees_slots(net):
    pool = net.pool
    socks = [pool.socket(pool.AF_INET, pool.SOCK_STREAM) for _ in range(7)]
    socks.append(pool.socket(pool.AF_INET, pool.SOCK_DGRAM))
    with pytest.raises(RuntimeError, match="Out of sockets"):
        pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    socks.pop().close()
    socks.append(pool.socket())
    with pytest.raises(RuntimeError, match="Out of sockets"):
        pool.socket()
    # Another pool shares the same 8 sockets, as on the board.
    with pytest.raises(RuntimeError, match="Out of sockets"):
        net.socketpool.SocketPool(net.wifi.radio).socket()
    socks[0].close()
    socks[0].close()  # closing twice is harmless
    # A TLS socket needs a second slot: with all 8 in use wrapping fails; with 7 it fits.
    ctx = net.ssl.create_default_context()
    spare = pool.socket()
    with pytest.raises(RuntimeError, match="Out of sockets"):
        ctx.wrap_socket(spare, server_hostname="localhost")
    socks[1].close()
    tls = ctx.wrap_socket(spare, server_hostname="localhost")
    assert net.socketpool.host_open_sockets() == 8
    spare.close()  # closing the wrapped socket frees both slots
    assert net.socketpool.host_open_sockets() == 6
    tls.close()
    for sock in socks:
        sock.close()
    assert net.socketpool.host_open_sockets() == 0


def test_plain_socket_errors_are_the_boards(net):
    pool = net.pool
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    sock = pool.socket()
    with pytest.raises(BrokenPipeError):
        sock.send(b"not connected")
    sock.settimeout(2)
    sock.connect(("127.0.0.1", port))
    peer, _ = listener.accept()
    sock.settimeout(0)
    with pytest.raises(OSError) as err:
        sock.recv_into(bytearray(8))
    assert err.value.errno == errno.EAGAIN and type(err.value).__name__ == "OSError"
    with pytest.raises(ValueError):
        sock.recv_into(bytearray(2), 3)
    peer.sendall(b"abcdef")
    sock.settimeout(2)
    buf = bytearray(8)
    assert sock.recv_into(buf, 4) == 4 and buf[:4] == b"abcd"
    assert sock.send(b"xyz") == 3
    assert peer.recv(3) == b"xyz"
    peer.close()
    assert sock.recv_into(buf) == 2  # "ef", then end of stream
    assert sock.recv_into(buf) == 0
    sock.close()
    with pytest.raises(OSError) as err:
        sock.recv_into(buf)
    assert err.value.errno == errno.EBADF
    closed_port = port
    listener.close()
    refused = pool.socket()
    refused.settimeout(2)
    with pytest.raises(OSError) as err:
        refused.connect(("127.0.0.1", closed_port))
    assert err.value.errno == errno.ECONNREFUSED
    assert not isinstance(err.value, ConnectionRefusedError)
    refused.close()
    with pytest.raises(pool.gaierror):
        pool.getaddrinfo("no-such-host.invalid", 80)


def test_socketpool_needs_the_network(cp):
    pool = cp.socketpool.SocketPool(cp.wifi.radio)
    assert not cp.wifi.radio.connected
    with pytest.raises(pool.gaierror):
        pool.getaddrinfo("localhost", 1883)
    sock = pool.socket()
    with pytest.raises(OSError) as err:
        sock.connect(("127.0.0.1", 1883))
    assert err.value.errno == errno.EHOSTUNREACH
    sock.close()


# --- wifi ---------------------------------------------------------------------------------


def test_wifi_connect_and_wrong_password(cp):
    radio = cp.wifi.radio
    with pytest.raises(ConnectionError):
        radio.connect("TestNet", "wrong-password")
    assert not radio.connected and radio.ipv4_address is None
    with pytest.raises(ConnectionError):
        radio.connect("NoSuchNet", "whatever123")
    radio.connect("TestNet", "testpass123", channel=6, timeout=5)
    assert radio.connected
    assert str(radio.ipv4_address) == "127.0.0.1"
    assert radio.ap_info.ssid == "TestNet"
    assert isinstance(radio.mac_address, bytes) and len(radio.mac_address) == 6
    assert radio.enabled
    radio.hostname = "datalogger-1"
    assert radio.hostname == "datalogger-1"
    with pytest.raises(ValueError):
        radio.hostname = "bad_name"
    nets = list(radio.start_scanning_networks())
    radio.stop_scanning_networks()
    assert {n.ssid for n in nets} == {"TestNet", "OtherNet"}
    assert all(isinstance(n.rssi, int) and isinstance(n.channel, int) for n in nets)
    pool = cp.socketpool.SocketPool(radio)
    pool.socket()
    radio.enabled = False  # the board closes every socket
    assert not radio.connected and cp.socketpool.host_open_sockets() == 0
    with pytest.raises(RuntimeError):
        radio.connect("TestNet", "testpass123")
    radio.enabled = True


def test_wifi_default_network(cp):
    del cp.runtime.WIFI_NETWORKS
    with pytest.raises(ConnectionError):
        cp.wifi.radio.connect("SimNet", "wrongpass")
    cp.wifi.radio.connect("SimNet", "simpass")
    assert cp.wifi.radio.connected


# --- adafruit_minimqtt on a Mosquitto broker -----------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mosquitto(certs, tmp_path_factory):
    exe = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)),
        None,
    )
    if exe is None:
        pytest.fail("mosquitto is missing: apt-get install -y mosquitto")
    folder = tmp_path_factory.mktemp("mosquitto")
    port = _free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        "\n".join(
            [
                "per_listener_settings false",
                "persistence false",
                "log_dest stdout",
                "user root",  # keep root so the key files in pytest's private tmp are readable
                "allow_anonymous false",
                "listener %d 127.0.0.1" % port,
                "cafile " + certs.ca,
                "certfile " + certs.server_cert,
                "keyfile " + certs.server_key,
                "require_certificate true",
                "use_identity_as_username true",
                "",
            ]
        )
    )
    log = open(folder / "mosquitto.log", "wb")  # pylint: disable=consider-using-with
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [exe, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )

    def stop():
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log.close()

    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            stop()
            pytest.fail("mosquitto exited: " + (folder / "mosquitto.log").read_text())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                stop()
                pytest.fail("mosquitto did not listen: " + (folder / "mosquitto.log").read_text())
            time.sleep(0.05)
    yield port
    stop()


def test_minimqtt_over_stand_ins_with_client_cert(net, certs, mosquitto):
    import adafruit_minimqtt.adafruit_minimqtt as MQTT  # pylint: disable=import-outside-toplevel

    received = []
    client = MQTT.MQTT(
        broker="localhost",
        port=mosquitto,
        is_ssl=True,
        ssl_context=_device_context(net, certs),
        socket_pool=net.pool,
        client_id="device-1",
        keep_alive=60,
        recv_timeout=5,
        socket_timeout=1,
        connect_retries=1,
    )
    client.on_message = lambda _client, topic, msg: received.append((topic, msg))
    client.connect()
    try:
        assert net.socketpool.host_open_sockets() == 2
        client.subscribe("datalogger/test", qos=1)
        client.publish("datalogger/test", "reading 21.5", qos=1)
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            client.loop(1)
        assert received == [("datalogger/test", "reading 21.5")]
    finally:
        client.disconnect()
    assert net.socketpool.host_open_sockets() == 0


def test_minimqtt_without_client_cert_fails_and_frees_sockets(net, certs, mosquitto):
    import adafruit_minimqtt.adafruit_minimqtt as MQTT  # pylint: disable=import-outside-toplevel

    client = MQTT.MQTT(
        broker="localhost",
        port=mosquitto,
        is_ssl=True,
        ssl_context=_device_context(net, certs, client_cert=False),
        socket_pool=net.pool,
        client_id="device-1",
        recv_timeout=5,
        socket_timeout=1,
        connect_retries=1,
    )
    with pytest.raises(MQTT.MMQTTException):
        client.connect()
    assert net.socketpool.host_open_sockets() == 0


def test_connection_manager_picks_the_stand_ins_for_wifi_radio(net):
    import adafruit_connection_manager as acm  # pylint: disable=import-outside-toplevel

    pool = acm.get_radio_socketpool(net.wifi.radio)
    try:
        assert isinstance(pool, net.socketpool.SocketPool)
        ctx = acm.get_radio_ssl_context(net.wifi.radio)
        assert isinstance(ctx, net.ssl.CircuitPythonSSLContext)
        refused_port = _free_port()
        manager = acm.get_connection_manager(pool)
        with pytest.raises(OSError):
            manager.get_socket("127.0.0.1", refused_port, "http:", timeout=2)
        assert net.socketpool.host_open_sockets() == 0  # it closed the failed socket
    finally:
        acm.connection_manager_close_all(pool, release_references=True)
