"""AWS IoT, what link trouble says: an error in a user's words, a failed attempt, a dead link, a full
outbox. Imported by plugins/iot/awsclient.py when one happens and released after it, so these
messages take no heap while all goes well (what an update's trouble and !aws say, while the link
and its TLS memory are up, is the smaller awsnotes.py). `c` is the AWSClient.
"""
from plugins.iot.awsclient import ACK_WAIT_MS, RECV_TIMEOUT_S, SOCKET_TIMEOUT_S, VERIFY_MS

# mbedTLS and socket errors in a user's words.
_TLS = {-0x2700: "the server's certificate was not verified by the CA certificate (wrong CA, or the clock)",
        -0x7780: "the server refused the TLS connection (is the device certificate and key this Thing's, "
                 "and active?)",
        -0x7280: "the server closed the connection during the TLS handshake (device certificate refused?)"}


def failed(c, text, now):
    """A connect attempt failed: said once per kind of trouble, and the backoff waits."""
    wait = c.backoff.failed(now)
    if text != c.problem:
        c._say(text + "; nothing sent, logging goes on; trying again in " + str(wait // 1000 + 1)
               + " s, then less often")
        c.problem = text


def no_clock(c):
    c._say("waiting for the clock: it reads " + c.app.wall.iso()[:10] + " and no NTP answer has come"
           + ("" if c.net.ntp_on else " (NTP Client is off)")
           + "; a TLS handshake now would fail on the certificate dates", warn=False)


def no_puback(c):
    return ("no PUBACK from " + c.server + ":" + str(c.port) + " for update " + c.acks[0][1] + " within "
            + str(ACK_WAIT_MS // 1000) + " s: the broker stopped answering; " + str(len(c.acks))
            + " update(s) not confirmed")


def no_answer(c, what, waited):
    """The link is dead: no PINGRESP, or no update/accepted (or rejected) for the oldest update."""
    text = "no " + what + " from " + c.server + ":" + str(c.port)
    if what != "PINGRESP":
        text += " for update " + c.tokens[0][0]
    text += " within " + str(waited // 1000) + " s: the link or the broker stopped answering"
    if c.tokens and what != "PINGRESP":
        text += "; " + str(len(c.tokens)) + " update(s) not confirmed"
    return text


def no_shadow_answer(c, now):
    c.last_error = ("no answer from the Thing's shadow to update " + c.tokens[0][0] + " within "
                    + str(VERIFY_MS // 1000) + " s: the broker took it, the shadow did not answer (is the "
                    "certificate this Thing's, and does its policy allow the Thing's shadow topics?)")
    c.tokens = []
    c._close()
    failed(c, c.last_error, now)


def outbox_full(c):
    c.app.warn("AWS IoT: outbox full: the oldest observations waiting are dropped (" + str(c.box.dropped)
               + " so far; the card's log holds them); the shadow is told in \"outbox_dropped\"")


def errno_of(err):
    args = getattr(err, "args", ())
    return args[0] if args and isinstance(args[0], int) else getattr(err, "errno", None)


def why(err, server, port):
    """An exception from connecting or talking to the broker in a user's words (plugins/iot/networds.py,
    with AWS's words for the TLS refusals and a refused subscription)."""
    from plugins.iot import networds
    try:
        text = str(err.args[0]) if getattr(err, "args", None) else str(err)
        if "SUBACK Failure" in text:
            return ("the broker refused the subscription to the Thing's shadow topics: the certificate's policy "
                    "does not allow them (is the certificate this Thing's?)")
        return networds.why(err, server, port, SOCKET_TIMEOUT_S, RECV_TIMEOUT_S, _TLS)
    finally:
        from core.app import release
        release(("plugins.iot.networds",))
