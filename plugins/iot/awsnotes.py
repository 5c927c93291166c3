"""AWS IoT, what is said while connected: a rejected update, an update too big, the end of a
throttle, the status report (!aws). Imported by plugins/iot/awsclient.py when one happens and
released after it; kept apart from awswords.py (link trouble) so that what loads on top of an open
TLS connection is small. `c` is the AWSClient.
"""
from adafruit_ticks import ticks_diff, ticks_ms

from plugins.iot.awsclient import PROPERTIES, THROTTLE_CAP_MS

_CODES = {400: "bad request", 401: "unauthorized", 403: "forbidden by the Thing's policy", 404: "not found",
          409: "version conflict", 413: "payload too large", 429: "throttled: too many requests",
          500: "AWS internal error"}
# What each rejection means for the update and what happens next (AWS's Device Shadow error codes).
_DROPPED = "; that update is dropped, not retried (the card holds it)"
_NEXT = {400: _DROPPED + ": the shadow cannot take it as it is",
         401: _DROPPED + ": is the certificate active and attached to the Thing?",
         403: _DROPPED + ": does the certificate's policy allow iot:UpdateThingShadow on this Thing?",
         409: "; updates carry no version, so the next one goes as usual",
         413: _DROPPED + ": with it the shadow's state (reported, plus any desired set from the cloud) would be "
                        "over AWS's 8 KB"}
_BUFFER = " is larger than Buffer Size ("
BUFFER = PROPERTIES[5]


def too_big(c, why, size):
    """An update not sent for its size (why: over_state or over_buffer): counted each time, said once
    until one goes out again."""
    c.too_big += 1
    if not c.too_big_said:
        c.too_big_said = True
        c.last_error = (over_state if why == "over_state" else over_buffer)(None, size, c.limit)
        c.app.warn("AWS IoT: " + c.last_error)


def report(c):
    app = c.app
    if c.connected:
        secs = ticks_diff(ticks_ms(), c.since) // 1000
        state = ("connected to " + c.server + ":" + str(c.port) + " since " + c.connected_wall
                 + " (" + str(secs) + " s)")
    else:
        state = "not connected (" + (c.waiting_for or "connecting") + ")"
    app.info("AWS IoT: " + state)
    app.info("AWS IoT: updates sent " + str(c.sent) + ", confirmed " + str(c.confirmed) + " ("
             + ("update/accepted" if c.confirm_accepted else "PUBACK") + "), rejected " + str(c.rejected)
             + ", replaced by a newer one " + str(c.skipped) + ", too big " + str(c.too_big))
    app.info("AWS IoT: reconnects " + str(c.reconnects) + "; last error: " + (c.last_error or "none"))
    box = c.box
    if box is not None:
        app.info("AWS IoT: outbox (" + ("SD card" if box.folder else "RAM") + "): " + str(box.pending)
                 + " waiting, " + str(len(c.flight)) + " sent and not confirmed, dropped when full " + str(box.dropped))


def unthrottled(c):
    c.app.info("AWS IoT: no longer throttled; one update every " + _secs(c.min_ms))


def over_state(what, size, limit):
    return ("an observation of " + str(size) + " bytes is over AWS's 8 KB shadow state limit: not sent (the "
            "card holds it); a shadow keeps every section it was sent, so splitting it would not fit either: "
            "turn off device parameters to shrink it")


def over_buffer(what, size, limit):
    """A message from the broker (`what` "broker"), or an update (None), over Buffer Size."""
    text = ("a " + str(size) + "-byte message from the broker" if what else "an update of " + str(size) + " bytes")
    text += _BUFFER + BUFFER.key + " = " + str(limit) + "): "
    return text + ("" if what else "not sent (the card holds it); ") + "set it to 0 or at least " + str(size)


def rejected(c, token, message):
    """update/rejected for `token`: counted, named once per kind, and 429/500 slow the updates."""
    import json
    try:
        doc = json.loads(message)
        code = doc.get("code", 0)
        text = doc.get("message", "")
    except (ValueError, AttributeError):
        code, text = 0, message[:80]
    awaited = False  # not confirmed yet (awaiting update/accepted or its PUBACK)
    for i in range(len(c.tokens)):
        if c.tokens[i][0] == token:
            c.tokens.pop(i)
            awaited = True
            break
    for i in range(len(c.acks)):
        if c.acks[i][1] == token:
            c.acks.pop(i)
            awaited = True
            break
    if not awaited and not (token and token.startswith(c.prefix)):
        return  # another client's update on the same Thing
    c.rejected += 1
    c.rejected_since = True
    if not awaited and c.confirmed:
        c.confirmed -= 1  # its PUBACK only said the broker had it
    what = str(code) + " " + _CODES.get(code, "rejected") + (": " + text if text else "")
    c.last_error = "update " + (token or "?") + " rejected: " + what
    if code == 429 or code == 500:
        c.throttle_hit = True
        c.throttle_ms = c.throttle_ms * 2 if c.throttle_ms else c.min_ms
        if c.throttle_ms > THROTTLE_CAP_MS:
            c.throttle_ms = THROTTLE_CAP_MS
        what += "; slowing to one update every " + _secs(c.min_ms + c.throttle_ms)
    elif code == c.rejected_said:
        return  # the same again: counted (!aws), said once until an update is confirmed
    else:
        what += _NEXT.get(code, _DROPPED)
    c.rejected_said = code
    c.app.warn("AWS IoT: update " + (token or "?") + " rejected: " + what)


def _secs(ms):
    return str(ms // 1000) + ("." + str(ms % 1000 // 100) if ms % 1000 >= 100 else "") + " s"
