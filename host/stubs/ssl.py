"""Host stand-in for CircuitPython's ``ssl`` (CircuitPython 10, mbedTLS), shadowing CPython's.

CPython's own ``ssl`` is loaded from its file under the name ``_cpython_ssl`` and every name
of it is re-exported here, so standard-library and host-side code in the same process
(http.client, asyncio, paho-mqtt...) keeps working. A harness that imported CPython's ssl
before this stand-in may put that module object in ``sys.modules["_cpython_ssl"]`` first:
it is then reused instead of loading a second copy of its classes.

``create_default_context()`` called with no arguments from firmware code (anything but the
standard library and the module-name prefixes in ``HOST_CALLERS``) returns a
``CircuitPythonSSLContext`` with the board's semantics:

* it starts with the built-in CA bundle (here: the host's default CA store);
* ``load_verify_locations(cafile=None, capath=None, cadata=None)``: ``cafile``/``capath``
  raise NotImplementedError; ``cadata`` must be a str of PEM and REPLACES the bundle
  (``cadata=""`` leaves no CA at all and turns verification off, as on the board);
  ``set_default_verify_paths()`` goes back to the bundle;
* ``load_cert_chain(certfile, keyfile=None)`` reads the files at once (paths only; without
  ``keyfile`` the key is read from ``certfile``);
* ``wrap_socket(sock, *, server_side=False, server_hostname=None)`` takes a
  ``socketpool`` socket of type SOCK_STREAM (else RuntimeError("Invalid socket for TLS")),
  claims a second socket slot from the pool (a TLS connection costs 2 of the 8), and returns
  a ``CircuitPythonSSLSocket``. Malformed PEM raises ValueError("invalid cert") or
  ValueError("invalid key") here, as the board does when it parses them;
* ``check_hostname`` is a plain attribute (False at first) with no effect, as on the board:
  the peer's name is checked whenever ``server_hostname`` is given and verification is on.

``CircuitPythonSSLSocket`` has the board's API (``connect, send, recv_into, settimeout,
setblocking, setsockopt, bind, listen, close`` and the context manager; no ``recv``) and
runs TLS over the wrapped socket's own ``send``/``recv_into`` like mbedTLS does, so that
socket's timeouts and errors come through unchanged: ``OSError(ETIMEDOUT)`` on a read
timeout, ``OSError(EAGAIN)`` when non-blocking. ``connect`` does the handshake. A failed
handshake raises ``OSError`` with an mbedTLS error number: -9984 (X509 - Certificate
verification failed), -30592 (SSL - A fatal alert message was received from our peer) or
-29312 (SSL - The connection indicated an EOF); the host's OpenSSL reason is appended to
the message. Closing either the TLS socket or the socket it wraps frees both slots.

Deviations: ``ssl.SSLContext`` and the other re-exported names are CPython's (on the board
``ssl.SSLContext()`` is the board context); TLS is capped at 1.2 (the ESP-IDF mbedTLS default
build has no 1.3), so a rejected client certificate fails in ``connect``; mbedTLS numbers are
approximations chosen from OpenSSL's exception type; server-side TLS (``server_side=True``,
``accept``) is not emulated; the board may leave the wrapped socket open after a failed
handshake until a garbage collection, while here ``close()`` always frees it.
"""

import errno as _errno
import importlib.util as _ilu
import os as _os
import sys as _sys
import sysconfig as _sysconfig
import tempfile as _tempfile
import time as _time


def _load_cpython_ssl():
    module = _sys.modules.get("_cpython_ssl")
    if module is not None:
        return module
    dirs = [_sysconfig.get_paths().get("stdlib"), _os.path.dirname(_os.__file__)]
    path = next(
        p for p in (_os.path.join(d, "ssl.py") for d in dirs if d) if _os.path.isfile(p)
    )
    spec = _ilu.spec_from_file_location("_cpython_ssl", path)
    module = _ilu.module_from_spec(spec)
    _sys.modules["_cpython_ssl"] = module  # ssl.py's enum conversion looks itself up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del _sys.modules["_cpython_ssl"]
        raise
    return module


_real = _load_cpython_ssl()
globals().update(
    {k: v for k, v in vars(_real).items() if not (k.startswith("__") and k.endswith("__"))}
)


def __getattr__(name):
    return getattr(_real, name)


import socketpool as _socketpool  # noqa: E402  (the host stand-in, for slots and errors)

# Callers from these module-name prefixes get CPython's context from create_default_context().
HOST_CALLERS = ("paho.", "httpx.", "aiohttp.", "urllib3.", "requests.", "botocore.", "moto.")

_STDLIB_DIRS = tuple(
    {
        _os.path.realpath(d)
        for d in (
            _sysconfig.get_paths().get("stdlib"),
            _sysconfig.get_paths().get("platstdlib"),
            _os.path.dirname(_os.__file__),
        )
        if d
    }
)


def _host_caller(depth=2):
    try:
        frame = _sys._getframe(depth)  # pylint: disable=protected-access
    except ValueError:
        return False
    if (frame.f_globals.get("__name__") or "").startswith(HOST_CALLERS):
        return True
    filename = frame.f_code.co_filename
    if filename.startswith("<frozen"):
        return True
    filename = _os.path.realpath(filename)
    if "site-packages" in filename or "dist-packages" in filename:
        return False
    return filename.startswith(tuple(d + _os.sep for d in _STDLIB_DIRS))


def create_default_context(purpose=None, *, cafile=None, capath=None, cadata=None):
    """The board's default context for firmware; CPython's for host code.

    CircuitPython's takes no arguments, so a call with any is host code too.
    """
    if (
        purpose is not None
        or cafile is not None
        or capath is not None
        or cadata is not None
        or _host_caller()
    ):
        return _real.create_default_context(
            _real.Purpose.SERVER_AUTH if purpose is None else purpose,
            cafile=cafile,
            capath=capath,
            cadata=cadata,
        )
    return CircuitPythonSSLContext()


# mbedTLS error numbers the board reports for failed handshakes.
_X509_CERT_VERIFY_FAILED = (
    -0x2700,
    "X509 - Certificate verification failed, e.g. CRL, CA or signature check failed",
)
_SSL_FATAL_ALERT = (-0x7780, "SSL - A fatal alert message was received from our peer")
_SSL_CONN_EOF = (-0x7280, "SSL - The connection indicated an EOF")


def _mbedtls_error(exc):
    if isinstance(exc, _real.SSLCertVerificationError):
        code, text = _X509_CERT_VERIFY_FAILED
        detail = exc.verify_message or exc.reason
    elif isinstance(exc, (_real.SSLEOFError, _real.SSLZeroReturnError)):
        code, text = _SSL_CONN_EOF
        detail = exc.reason
    else:
        code, text = _SSL_FATAL_ALERT
        detail = exc.reason or str(exc)
    return OSError(code, "%s [host OpenSSL: %s]" % (text, detail))


class CircuitPythonSSLContext:
    """``ssl.SSLContext`` of the board; made by ``create_default_context()``."""

    def __init__(self):
        self._cadata = None  # None: the built-in bundle
        self._cert = None
        self._key = None
        self._real_contexts = {}
        self.check_hostname = False

    def __setattr__(self, name, value):
        if name == "check_hostname":
            value = bool(value)
        object.__setattr__(self, name, value)

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        if cafile is not None:
            raise NotImplementedError("cafile")
        if capath is not None:
            raise NotImplementedError("capath")
        if not isinstance(cadata, str):
            raise TypeError("can't convert '%s' object to str implicitly" % type(cadata).__name__)
        self._cadata = cadata
        self._real_contexts.clear()

    def set_default_verify_paths(self):
        self._cadata = None
        self._real_contexts.clear()

    def load_cert_chain(self, certfile, keyfile=None):
        with open(certfile, "rb") as f:
            cert = f.read()
        if keyfile is None:
            key = cert
        else:
            with open(keyfile, "rb") as f:
                key = f.read()
        self._cert, self._key = cert, key
        self._real_contexts.clear()

    def _real_context(self, verify_name):
        ctx = self._real_contexts.get(verify_name)
        if ctx is not None:
            return ctx
        ctx = _real.SSLContext(_real.PROTOCOL_TLS_CLIENT)
        ctx.maximum_version = _real.TLSVersion.TLSv1_2
        if self._cadata == "":
            ctx.check_hostname = False
            ctx.verify_mode = _real.CERT_NONE
        else:
            if self._cadata is None:
                ctx.load_default_certs()
            else:
                try:
                    ctx.load_verify_locations(cadata=self._cadata)
                except (_real.SSLError, ValueError):
                    raise ValueError("invalid cert") from None
            ctx.check_hostname = verify_name
        if self._cert is not None:
            try:
                _real.SSLContext(_real.PROTOCOL_TLS_CLIENT).load_verify_locations(
                    cadata=self._cert.decode("ascii")
                )
            except (_real.SSLError, ValueError, UnicodeError):
                raise ValueError("invalid cert") from None
            with _tempfile.TemporaryDirectory() as tmp:
                certfile = _os.path.join(tmp, "cert.pem")
                keyfile = _os.path.join(tmp, "key.pem")
                for path, data in ((certfile, self._cert), (keyfile, self._key)):
                    with open(path, "wb") as f:
                        f.write(data)
                try:
                    ctx.load_cert_chain(certfile, keyfile)
                except _real.SSLError:
                    raise ValueError("invalid key") from None
        self._real_contexts[verify_name] = ctx
        return ctx

    def wrap_socket(self, sock, *, server_side=False, server_hostname=None):
        if server_hostname is not None and not isinstance(server_hostname, str):
            raise TypeError("server_hostname must be str")
        if server_side and server_hostname is not None:
            raise ValueError("Server side context cannot have hostname")
        if sock.type != _socketpool.SocketPool.SOCK_STREAM:
            raise RuntimeError("Invalid socket for TLS")
        if server_side:
            raise NotImplementedError("server_side TLS is not emulated on the host")
        real_ctx = self._real_context(server_hostname is not None)
        pooled = isinstance(sock, _socketpool.Socket) and sock._sock is not None
        if pooled:
            _socketpool._claim(sock, 1)  # pylint: disable=protected-access
        ssl_sock = CircuitPythonSSLSocket(sock, real_ctx, server_hostname)
        if pooled:
            sock._ssl = ssl_sock  # pylint: disable=protected-access
        return ssl_sock


class CircuitPythonSSLSocket:
    """``ssl.SSLSocket`` of the board: TLS over a socketpool socket."""

    def __init__(self, sock, real_ctx, server_hostname):
        self._sock = sock
        self._in = _real.MemoryBIO()
        self._out = _real.MemoryBIO()
        self._tls = real_ctx.wrap_bio(self._in, self._out, server_hostname=server_hostname)
        self._closed = False
        self._failed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._closed or self._failed:
            raise _socketpool._oserror(_errno.EBADF)  # pylint: disable=protected-access

    def _flush(self):
        view = memoryview(self._out.read())
        deadline = None
        while view:
            try:
                sent = self._sock.send(view)
            except OSError as exc:
                if exc.errno != _errno.EAGAIN:
                    raise
                # mbedTLS keeps unsent records and retries; wait for room.
                if deadline is None:
                    timeout = getattr(self._sock, "_timeout", None)
                    deadline = _time.monotonic() + (10.0 if not timeout else max(timeout, 1.0))
                elif _time.monotonic() > deadline:
                    raise
                _time.sleep(0.001)
                continue
            view = view[sent:]

    def _fill(self):
        buf = bytearray(17 * 1024)
        received = self._sock.recv_into(buf)
        if received == 0:
            self._in.write_eof()
        else:
            self._in.write(memoryview(buf)[:received])

    def connect(self, address):
        self._check_open()
        self._sock.connect(address)
        try:
            while True:
                try:
                    self._tls.do_handshake()
                    break
                except _real.SSLWantReadError:
                    self._flush()
                    try:
                        self._fill()
                    except OSError as exc:
                        if exc.errno != _errno.EAGAIN:
                            raise
                        _time.sleep(0.001)  # non-blocking: the board retries every 1 ms
            self._flush()
        except _real.SSLError as exc:
            self._failed = True
            raise _mbedtls_error(exc) from None
        except OSError:
            self._failed = True
            raise

    def recv_into(self, buffer, bufsize=0):
        self._check_open()
        size = len(buffer)
        if bufsize > size:
            raise ValueError("buffer too small for requested bytes")
        if 0 < bufsize < size:
            size = bufsize
        if size == 0:
            return 0
        view = memoryview(buffer).cast("B")[:size]
        while True:
            try:
                received = self._tls.read(size, view)
            except _real.SSLWantReadError:
                self._fill()  # OSError(ETIMEDOUT), OSError(EAGAIN)... come through
                continue
            except _real.SSLZeroReturnError:
                return 0  # close_notify: end of stream
            except _real.SSLError as exc:
                raise _mbedtls_error(exc) from None
            if self._out.pending:
                self._flush()
            return received

    def send(self, data):
        self._check_open()
        if not len(data):
            return 0
        try:
            sent = self._tls.write(data)
        except _real.SSLError as exc:
            raise _mbedtls_error(exc) from None
        self._flush()
        return sent

    def settimeout(self, value):
        self._sock.settimeout(value)

    def setblocking(self, flag):
        self._sock.settimeout(None if flag else 0)

    def setsockopt(self, level, optname, value):
        self._sock.setsockopt(level, optname, value)

    def bind(self, address):
        self._sock.bind(address)

    def listen(self, backlog):
        self._sock.listen(backlog)

    def accept(self):
        raise NotImplementedError("server_side TLS is not emulated on the host")

    def close(self):
        if self._closed:
            return
        self._closed = True
        if getattr(self._sock, "_ssl", None) is self:
            self._sock._ssl = None  # pylint: disable=protected-access
        try:
            self._sock.close()
        except Exception:  # pylint: disable=broad-except
            pass  # the board swallows errors of the underlying close
