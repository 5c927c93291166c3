# A network error in a user's words, for every IoT service (AWS IoT, MQTT Client, MQTT Secure Client,
# HTTP IoT). Imported when an error happens and released after it, with the service's own words module.
import errno

# mbedTLS errors (OSError(-0x...) on the board, the same numbers from the host's ssl stand-in).
TLS = {-0x2700: "the server's certificate was not verified by the CA certificate (wrong CA, or the clock)",
       -0x7780: "the server refused the TLS connection (is the client certificate one it trusts?)",
       -0x7280: "the server closed the connection during the TLS handshake (client certificate refused, or "
                "none given?)"}


def errno_of(err):
    args = getattr(err, "args", ())
    return args[0] if args and isinstance(args[0], int) else getattr(err, "errno", None)


def why(err, server, port, timeout_s, recv_s, tls=None):
    # `timeout_s`: the socket timeout (one step); `recv_s`: the longest wait for an answer.
    code = errno_of(err)
    where = server + ":" + str(port)
    tls = tls or TLS
    if code in tls:
        return "TLS with " + where + ": " + tls[code]
    if code == errno.ECONNREFUSED:
        return "connection refused by " + where + " (is the Server and Port right?)"
    if code == errno.ETIMEDOUT or code == errno.EAGAIN:
        return "no answer from " + where + " within " + str(timeout_s) + " s"
    if code == errno.EHOSTUNREACH:
        return where + " unreachable"
    name = type(err).__name__
    text = str(err.args[0]) if getattr(err, "args", None) else str(err)
    if name == "gaierror" or code == -2:
        return "cannot resolve " + server + " (DNS)"
    if " is larger than Buffer Size (" in text:
        return text
    if "Unauthorized" in text or "username/password" in text:
        return "the broker refused the connection (" + text + ")"
    if "No data received" in text:
        return "no answer from " + where + " within " + str(recv_s) + " s"
    if "Unexpected error while waiting" in text:
        return "the broker closed the connection"
    if "Out of sockets" in text:
        return "out of sockets"
    if "Repeated socket failures" in text:
        cause = getattr(err, "__cause__", None)  # adafruit_requests' OutOfRetries: say what was behind it
        return why(cause, server, port, timeout_s, recv_s, tls) if cause is not None else "the connection failed twice"
    if "Unable to read HTTP response" in text:
        return where + " closed the connection without an answer"
    return name + ": " + (text or "?") + " (" + where + ")"
