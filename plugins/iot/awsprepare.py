"""AWS IoT at the start: the AWSClient's state, the settings checked, the outbox opened.

Imported by plugins/iot/awsclient.py once, when AWS IoT starts, and released after: none of it is
needed again (a connect attempt is awsconnect.py's), so it takes no heap during a TLS handshake.
"""
from random import randint

from core.net import Backoff
from plugins.iot.awsclient import CAP_MS, PROPERTIES

(_, PORT, SERVER, TOPIC, CLIENT, BUFFER, _, _, _, _, _, _, _, _,
 MIN_INTERVAL, KEEP_ALIVE, CONFIRM, OUTBOX, OUTBOX_RAM, REPLAY) = PROPERTIES  # plugins/iot/aws.py's order


def prepare(c):
    """The AWSClient's state and settings (at boot); what in the settings stops AWS IoT is said."""
    c.client = None
    c.connected = False
    c.backoff = Backoff(1000, CAP_MS)
    c.problem = None  # the last trouble announced, so each is said once
    c.waiting_for = None  # "settings", "files", "clock", "WiFi"
    c.files_checked = None
    c.since = 0  # tick of the last connect
    c.connected_wall = ""
    c.pending = None  # the latest observation JSON not yet sent
    c.last_sent = None
    c.throttle_ms = 0
    c.sent = 0
    c.confirmed = 0
    c.rejected = 0
    c.skipped = 0
    c.too_big = 0
    c.too_big_said = False
    c.reconnects = 0
    c.connects = 0
    c.last_error = ""
    c.tokens = []  # [(token, tick sent)] awaiting update/accepted (first update, or "accepted" mode)
    c.acks = []  # [(packet id, token, tick sent)] awaiting a PUBACK
    c.pid = 0
    c.rejected_said = 0  # the code of the last rejection named; repeats are only counted
    c.rejected_since = False  # a rejection came since the last update was sent
    c.throttle_hit = False  # a 429/500 came since the last update was sent
    c.seq = 0
    c.prefix = "%04x" % randint(0, 0xFFFF)
    c.ping_at = None
    c.context = None
    c.verifying = True
    c.unsubscribe_due = False
    c.get_misses = 0  # connects whose shadow document (get, for the desired settings) did not come
    c.doc_due = False  # the document asked for at this connect has not come yet (awsdelta.py)
    c.cfg_again = None  # a settings report to send again once the outbox has drained (awsdelta.py)
    c.out_of_order = False  # a throttled update is sent again after later ones: until the outbox drains
    get = c.app.settings.get
    c.min_ms = get(MIN_INTERVAL)
    c.confirm_accepted = get(CONFIRM) == "accepted"
    c.server = get(SERVER).strip()
    c.port = get(PORT)
    c.thing = get(CLIENT).strip()
    c.topic = get(TOPIC).strip() or "$aws/things/" + c.thing + "/shadow/update"
    c.topic_bytes = c.topic.encode()
    c.keep_alive = get(KEEP_ALIVE)
    c.limit = get(BUFFER)
    c.config_error = error = _config_error(c)
    if error:
        c._say(error + "; AWS IoT waits until the settings change (logging goes on)")
    _outbox(c, get)


def _outbox(c, get):
    """The outbox (core/outbox.py): on the card if there is one, else a RAM ring."""
    c.box = None
    c.flight = []  # [[token, live JSON or None (the outbox's), confirmed, outbox_dropped sent or -1]]
    c.queued = 0  # observations that came for the outbox
    c.drops_told = 0  # the drop count a confirmed update carried
    c.drop_said = False
    c.replay_ms = get(REPLAY)
    size = get(OUTBOX)
    if not size or c.config_error:
        return
    from core.app import release
    from plugins.iot.storeforward import open_box  # the siblings' too (AWS IoT queues with its own _queue)
    c.box = open_box(c, "aws", size, get(OUTBOX_RAM))
    release(("plugins.iot.storeforward",))


def _config_error(c):
    if not c.server:
        return "Server (AWS_IOT_SERVER) is empty: set it to the Thing's endpoint (Device Shadow URL host)"
    if not c.thing:
        return "Client Name (AWS_IOT_CLIENT_NAME) is empty: set it to the Thing's name"
    if c.port == 1883:
        return ("Port (AWS_IOT_PORT) is 1883, MQTT without TLS: AWS IoT needs 8883 (TLS with the device "
                "certificate); nothing is sent")
    prefix = "$aws/things/" + c.thing + "/shadow/"
    if not (c.topic.startswith(prefix) and c.topic.endswith("/update")):
        return ("MQTT Topic (AWS_IOT_MQTT_TOPIC) \"" + c.topic + "\" is not this Thing's shadow update "
                "topic $aws/things/" + c.thing + "/shadow/update")
    return None
