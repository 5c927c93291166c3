"""Host stand-in for CircuitPython's ``socketpool`` (ESP32-S3, CircuitPython 10).

Backed by CPython sockets, with CircuitPython's API and error behaviour:

* ``SocketPool(radio)``: ``socket(family=AF_INET, type=SOCK_STREAM, proto=IPPROTO_IP)``,
  ``getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)``, ``SocketPool.gaierror``
  and the class constants of CircuitPython's SocketPool.
* ``Socket``: ``connect, send, sendall, recv_into, sendto, recvfrom_into, bind, listen,
  accept, settimeout, setblocking, setsockopt, close, type`` and the context manager.
  Like on the board there is no ``recv``, ``makefile`` or ``fileno``.
* Errors are ``OSError(errno, name)`` as on the board, never CPython's subclasses
  (TimeoutError, ConnectionRefusedError...), though CPython numbers: a timeout is
  ``OSError(ETIMEDOUT)`` (never ``TimeoutError``/``socket.timeout``), a non-blocking
  read without data ``OSError(EAGAIN)``, use after close ``OSError(EBADF)``, ``send`` on a
  socket that never connected ``BrokenPipeError``. ``send`` never blocks (lwIP sockets are
  non-blocking on the board): it sends what fits or raises ``OSError(EAGAIN)``.
* A TCP socket's send buffer is lwIP's (``TCP_SND_BUF``, 5744 bytes; Linux doubles it): with a
  peer that stops reading, ``send`` raises ``OSError(EAGAIN)`` after a few KB, as on the board.
* The ESP32-S3 has 8 sockets in all. The 9th open socket raises
  ``RuntimeError("Out of sockets")``. A TLS socket (see the ``ssl`` stand-in) counts as 2.
  The limit is shared by every SocketPool in the process, like the lwIP socket table is on
  the board. A socket keeps its slot until ``close()``: the host never reclaims a socket
  that was dropped without closing (the board may, at some later garbage collection), so
  leaks show up deterministically.
* With ``wifi.radio`` not connected, ``getaddrinfo`` raises ``gaierror`` and ``connect``
  raises ``OSError(EHOSTUNREACH)``.

Host-only helpers (not on the board): ``MAX_SOCKETS``, ``host_open_sockets()`` (slots in
use) and ``host_reset()`` (closes every socket; for test fixtures).

Deviations: constant values and errno numbers are the host's (so ``errno.ETIMEDOUT``
comparisons work); getaddrinfo resolves through the host (IPv4 unless AF_INET6 is asked).
"""

import errno as _errno
import socket as _socket
import threading as _threading

MAX_SOCKETS = 8
TCP_SND_BUF = 5744  # ESP-IDF's default CONFIG_LWIP_TCP_SND_BUF_DEFAULT (4 x 1436-byte segments)

_lock = _threading.Lock()
_open = {}  # Socket -> number of slots it holds (1, or 2 once wrapped for TLS)


def host_open_sockets():
    """Host only: number of socket slots in use (a TLS socket counts 2)."""
    with _lock:
        return sum(_open.values())


def host_reset():
    """Host only: close every open socket (for test fixtures)."""
    with _lock:
        socks = list(_open)
    for sock in socks:
        sock.close()


def _claim(sock, slots=1):
    with _lock:
        if sum(_open.values()) + slots > MAX_SOCKETS:
            raise RuntimeError("Out of sockets")
        _open[sock] = _open.get(sock, 0) + slots


def _release(sock):
    with _lock:
        _open.pop(sock, None)


class _BoardOSError(OSError):
    """OSError as the board raises it.

    ``OSError(errno.ETIMEDOUT, ...)`` would become a TimeoutError in CPython (likewise
    BlockingIOError, ConnectionRefusedError...), subclasses that the board never raises;
    a subclass of OSError is not remapped, so code that catches them fails here as there.
    """


_BoardOSError.__name__ = _BoardOSError.__qualname__ = "OSError"
_BoardOSError.__module__ = "builtins"


def _oserror(code):
    return _BoardOSError(code, _errno.errorcode.get(code, str(code)))


def _translate(exc):
    """A CPython socket exception as CircuitPython would raise it: plain OSError."""
    if isinstance(exc, _BoardOSError):
        return exc
    if isinstance(exc, _socket.timeout):  # TimeoutError: errno is None
        return _oserror(_errno.ETIMEDOUT)
    if isinstance(exc, BlockingIOError):
        return _oserror(_errno.EAGAIN)
    code = exc.errno if exc.errno is not None else _errno.EIO
    return _oserror(code)


class Socket:
    """A socket from ``SocketPool.socket()``; cannot be created directly on the board."""

    def __init__(self, pool, family, type, proto, _real=None):
        self._pool = pool
        self._type = type
        self._family = family
        self._timeout = None  # block forever, like the board's default
        self._connected = _real is not None
        self._ssl = None  # set by the ssl stand-in when wrapped
        _claim(self)
        try:
            if _real is None:
                _real = _socket.socket(family, type, proto)
                if type == _socket.SOCK_STREAM:
                    # lwIP's send buffer, not Linux's (which grows to megabytes): a peer that
                    # stops reading makes send() raise EAGAIN after a few KB, as on the board.
                    _real.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF, TCP_SND_BUF)
            _real.settimeout(None)
        except BaseException:
            _release(self)
            raise
        self._sock = _real

    def __repr__(self):
        return "<Socket %s>" % ("closed" if self._sock is None else self._sock.fileno())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def type(self):
        return self._type

    def _live(self):
        if self._sock is None:
            raise _oserror(_errno.EBADF)
        return self._sock

    def _resolve(self, address):
        host, port = address
        if port < 0:
            raise ValueError("port must be >= 0")
        info = self._pool.getaddrinfo(host, port, self._family, self._type)
        return info[0][4]

    def close(self):
        if self._ssl is not None:
            ssl_sock, self._ssl = self._ssl, None
            ssl_sock.close()  # closes this socket too
            return
        sock, self._sock = self._sock, None
        self._connected = False
        if sock is not None:
            try:
                sock.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
            _release(self)

    def settimeout(self, value):
        self._timeout = None if value is None else float(value)
        if self._sock is not None:
            self._sock.settimeout(self._timeout)

    def setblocking(self, flag):
        self.settimeout(None if flag else 0)

    def setsockopt(self, level, optname, value):
        try:
            self._live().setsockopt(level, optname, value)
        except OSError as exc:
            raise _translate(exc) from None

    def connect(self, address):
        sock = self._live()
        self._pool._require_network(connect=True)
        addr = self._resolve(address)
        try:
            if self._timeout == 0:
                # The board starts the connection and reports ETIMEDOUT at once.
                code = sock.connect_ex(addr)
                if code not in (0, _errno.EISCONN):
                    if code in (_errno.EINPROGRESS, _errno.EALREADY, _errno.EAGAIN):
                        code = _errno.ETIMEDOUT
                    raise _oserror(code)
            else:
                sock.connect(addr)
        except OSError as exc:
            raise _translate(exc) from None
        self._connected = True

    def send(self, data):
        sock = self._live()
        if not self._connected:
            raise BrokenPipeError(_errno.EPIPE, "EPIPE")
        try:
            if not self._timeout:
                return sock.send(data, getattr(_socket, "MSG_DONTWAIT", 0))
            # With a timeout CPython first waits up to it for room; lwIP's send never waits.
            sock.settimeout(0)
            try:
                return sock.send(data)
            finally:
                sock.settimeout(self._timeout)
        except _socket.timeout:
            raise _oserror(_errno.EAGAIN) from None
        except OSError as exc:
            if exc.errno in (_errno.ECONNRESET, _errno.ENOTCONN, _errno.EPIPE):
                self._connected = False
            raise _translate(exc) from None

    def sendall(self, data):
        view = memoryview(data)
        while view:
            try:
                sent = self.send(view)
            except OSError as exc:
                if exc.errno == _errno.EAGAIN:
                    continue
                raise
            view = view[sent:]

    def recv_into(self, buffer, bufsize=0):
        sock = self._live()
        size = len(buffer)
        if bufsize > size:
            raise ValueError("buffer too small for requested bytes")
        if 0 < bufsize < size:
            size = bufsize
        if size == 0:
            return 0
        try:
            received = sock.recv_into(memoryview(buffer).cast("B")[:size], size)
        except OSError as exc:
            if exc.errno in (_errno.ECONNRESET, _errno.ENOTCONN):
                self._connected = False
            raise _translate(exc) from None
        if received == 0 and self._timeout == 0:
            # Non-blocking read of a closed connection: the board says ENOTCONN.
            self._connected = False
            raise _oserror(_errno.ENOTCONN)
        return received

    def sendto(self, data, address):
        sock = self._live()
        self._pool._require_network(connect=True)
        try:
            return sock.sendto(data, self._resolve(address))
        except OSError as exc:
            raise _translate(exc) from None

    def recvfrom_into(self, buffer):
        sock = self._live()
        try:
            return sock.recvfrom_into(buffer)
        except OSError as exc:
            raise _translate(exc) from None

    def bind(self, address):
        sock = self._live()
        host, port = address
        if port < 0:
            raise ValueError("port must be >= 0")
        if host == "<broadcast>":
            host = "255.255.255.255"
        elif host:
            host = self._resolve((host, port))[0]
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise _translate(exc) from None

    def listen(self, backlog):
        try:
            self._live().listen(backlog)
        except OSError as exc:
            raise _translate(exc) from None

    def accept(self):
        sock = self._live()
        try:
            real, peer = sock.accept()
        except OSError as exc:
            raise _translate(exc) from None
        try:
            return Socket(self._pool, self._family, self._type, 0, _real=real), peer[:2]
        except RuntimeError:
            real.close()
            raise


class SocketPool:
    """Sockets for a network interface, such as ``wifi.radio``."""

    class gaierror(OSError):
        """Errors raised by getaddrinfo."""

    AF_INET = int(_socket.AF_INET)
    AF_INET6 = int(_socket.AF_INET6)
    SOCK_STREAM = int(_socket.SOCK_STREAM)
    SOCK_DGRAM = int(_socket.SOCK_DGRAM)
    SOCK_RAW = int(_socket.SOCK_RAW)
    EAI_NONAME = -2
    SOL_SOCKET = int(_socket.SOL_SOCKET)
    SO_REUSEADDR = int(_socket.SO_REUSEADDR)
    TCP_NODELAY = int(_socket.TCP_NODELAY)
    IPPROTO_IP = int(_socket.IPPROTO_IP)
    IPPROTO_ICMP = int(_socket.IPPROTO_ICMP)
    IPPROTO_TCP = int(_socket.IPPROTO_TCP)
    IPPROTO_UDP = int(_socket.IPPROTO_UDP)
    IPPROTO_IPV6 = int(_socket.IPPROTO_IPV6)
    IPPROTO_RAW = int(_socket.IPPROTO_RAW)
    IP_MULTICAST_TTL = int(_socket.IP_MULTICAST_TTL)

    def __init__(self, radio):
        self._radio = radio

    def _require_network(self, connect=False):
        if getattr(self._radio, "connected", True):
            return
        if connect:
            raise _oserror(_errno.EHOSTUNREACH)
        raise self.gaierror(self.EAI_NONAME, "Name or service not known")

    def socket(self, family=AF_INET, type=SOCK_STREAM, proto=IPPROTO_IP):
        if family not in (self.AF_INET, self.AF_INET6):
            raise NotImplementedError("Unsupported socket type")
        return Socket(self, family, type, proto)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if not isinstance(host, str):
            raise TypeError("host must be str")
        self._require_network()
        try:
            infos = _socket.getaddrinfo(
                host, port, family or self.AF_INET, type or self.SOCK_STREAM, proto, flags
            )
        except (OSError, UnicodeError):
            raise self.gaierror(self.EAI_NONAME, "Name or service not known") from None
        if not infos:
            raise self.gaierror(self.EAI_NONAME, "Name or service not known")
        return [(int(fam), int(typ), pro, "", addr[:2]) for fam, typ, pro, _, addr in infos[:1]]
