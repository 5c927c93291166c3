# HTTP IoT, what runs only now and then: the state and the settings check (at boot), the CA
# certificate file, what a failure or a refusing answer says, the status report (!http). Imported by
# HTTPService.call() (plugins/iot/httpclient.py) and released after each call. `c` is the HTTPService.
from core.app import release
from core.net import Backoff
from plugins.iot.httpclient import TIMEOUT_S
from plugins.iot.mqttlink import CAP_MS

RETRY = (408, 429)  # and every 5xx: the observation is kept and tried again after the backoff
_REASONS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found", 405: "method not allowed",
            408: "request timeout", 413: "payload too large", 415: "unsupported media type",
            429: "too many requests", 500: "internal server error", 502: "bad gateway",
            503: "service unavailable", 504: "gateway timeout"}


def prepare(c):
    c.session = None
    c.backoff = Backoff(1000, CAP_MS)
    c.problem = None
    c.waiting_for = None
    c.files_checked = None
    c.context = None
    c.queue = []  # [(entry, observation JSON)] not delivered yet, oldest first
    c.said = []  # the statuses (or "unreachable") said since the last delivery
    c.failures = 0  # failed POSTs since the last delivery
    c.sent = 0
    c.confirmed = 0
    c.failed = 0  # answers kept for a retry (5xx, 408, 429)
    c.refused = 0  # answers that dropped their observation (4xx, 3xx...)
    c.dropped = 0
    c.unreachable = 0
    c.codes = {}  # status -> count, of every answer that was not 2xx
    c.last_error = ""
    c.last_entry = 0
    c.said_delivered = False
    url = c.app.settings.get(c.props[1]).strip()
    c.url = url
    c.config_error = error = _parse(c, url)
    if error:
        c.waiting_for = "settings"
        c._say(error + "; HTTP IoT waits until the settings change (logging goes on)")
    size = c.app.settings.get(c.props[3])  # Outbox Size (KB)
    if size and not error:
        from plugins.iot.storeforward import open_box  # kept while the service runs (its put())
        c.outbox = open_box(c, "http", size, c.app.settings.get(c.props[4]))


def _parse(c, url):
    key = c.props[1].key
    if not url:
        return "URL (" + key + ") is empty: set it to the address to POST to, e.g. http://myserver:8090/"
    proto, sep, rest = url.partition("//")
    if not sep or proto not in ("http:", "https:"):
        return "URL (" + key + ") \"" + url + "\" does not start with http:// or https://"
    c.proto = proto
    c.secure = proto == "https:"
    host = rest.split("/", 1)[0]
    c.port = 443 if c.secure else 80
    if ":" in host:
        host, _, port = host.partition(":")
        try:
            c.port = int(port)
        except ValueError:
            return "URL (" + key + ") \"" + url + "\": the port is not a number"
    if not host:
        return "URL (" + key + ") \"" + url + "\" names no server"
    c.server = host
    return None


def files(c, now):
    from plugins.iot.tlsfiles import context
    try:
        return context(c, now, (None, None, None, c.props[2], None, None), None, None)
    finally:
        release(("plugins.iot.tlsfiles",))


def unreachable(c, err, now):
    # The POST got no answer (refused, timed out, TLS failed...): the observation is kept.
    from plugins.iot import networds
    try:
        text = networds.why(err, c.server, c.port, TIMEOUT_S, TIMEOUT_S)
    finally:
        release(("plugins.iot.networds",))
    c.unreachable += 1
    _failed(c, "unreachable", text + "; the observation is kept", now)


def answered(c, code, entry, now):
    # A status other than 2xx: counted, said once per status until a delivery. True if observation
    # `entry` is to be dropped (the caller removes it), False if it is kept for a retry.
    c.codes[code] = c.codes.get(code, 0) + 1
    what = "answered " + str(code) + " " + _REASONS.get(code, "") + " to observation " + str(entry)
    if code >= 500 or code in RETRY:
        c.failed += 1
        _failed(c, code, what + "; it is kept", now)
        return False
    c.refused += 1
    c.failures += 1
    c.last_error = c.server + " " + what + "; it is dropped (the card holds it): sending it again would get " \
        "the same answer"
    if code not in c.said:
        c.said.append(code)
        c.app.warn("HTTP IoT: " + c.last_error + "; logging goes on")
    return True


def _failed(c, reason, text, now):
    c.failures += 1
    wait = c.backoff.failed(now)
    c.last_error = (c.server + " " + text) if reason != "unreachable" else text
    if reason not in c.said:
        c.said.append(reason)
        c.app.warn("HTTP IoT: " + c.last_error + "; logging goes on; trying again in " + str(wait // 1000 + 1)
                   + " s, then less often")


def recovered(c, entry):
    if c.failures:
        c.app.info("HTTP IoT: observation " + str(entry) + " delivered to " + c.url + " after " + str(c.failures)
                   + " failed POST(s)")
    else:
        c.app.info("HTTP IoT: observation " + str(entry) + " delivered to " + c.url + " (2xx); the next ones are "
                   "counted (!http)")
    c.said_delivered = True
    c.failures = 0
    c.said = []
    c.problem = None
    c.backoff.reset()


def no_clock(c):
    c._say("waiting for the clock: it reads " + c.app.wall.iso()[:10] + " and no NTP answer has come"
           + ("" if c.net.ntp_on else " (NTP Client is off)")
           + "; a TLS handshake now would fail on the certificate dates", warn=False)


def report(c):
    app = c.app
    app.info("HTTP IoT: " + (c.url or "no URL") + ("; waiting for " + c.waiting_for if c.waiting_for else ""))
    codes = ", ".join([str(k) + ": " + str(v) for k, v in sorted(c.codes.items())]) or "none"
    app.info("HTTP IoT: POSTs " + str(c.sent) + ", delivered " + str(c.confirmed) + " (2xx), kept for a retry "
             + str(c.failed) + ", refused " + str(c.refused) + ", no answer " + str(c.unreachable) + ", waiting "
             + str(len(c.queue)) + ", dropped " + str(c.dropped) + "; other answers: " + codes)
    if c.outbox is not None:
        from plugins.iot.storeforward import describe
        app.info("HTTP IoT: " + describe(c.outbox))
    app.info("HTTP IoT: last error: " + (c.last_error or "none"))
