# HTTP IoT: each observation POSTed as application/json to "URL" (http:// or https://).
#
# The original's "HTTP IoT" section, with its property names. Off by default; adafruit_requests and
# the connection manager are imported only when Enabled is true, and this module is released after
# setup (the connection: plugins/iot/httpclient.py). A 2xx answer is the confirmation of delivery.
from core.schema import BOOL, INT, STR, Prop

S = "HTTP IoT"
ENABLED = Prop(S, "Enabled", BOOL, False, "POST each observation as JSON to an HTTP server")
URL = Prop(S, "URL", STR, "", "Where to POST, e.g. http://mysparkfunexample.com:8091/data or https://...")
CA_FILE = Prop(S, "CA Cert Filename", STR, "", "CA certificate file on the SD card for https (empty: the "
               "built-in bundle)")
OUTBOX = Prop(S, "Outbox Size", INT, 64,
              "Observations kept on the SD card while the server cannot be reached or answers 5xx, KB (the "
              "oldest dropped when full); 0: only the newest 8 wait, in RAM", low=0, high=4096)
OUTBOX_RAM = Prop(S, "Outbox Entries Without Card", INT, 20,
                  "Without an SD card, the newest observations kept in RAM while offline (lost at a restart)",
                  low=1, high=200)
# plugins/iot/httpwords.py unpacks this tuple in this order.
PROPERTIES = (ENABLED, URL, CA_FILE, OUTBOX, OUTBOX_RAM)


def setup(app):
    if not app.settings.get(ENABLED):
        return None
    from core.app import release
    from core.net import get
    from plugins.iot.httpclient import HTTPService, status
    release(("plugins.iot.http",))
    app.commands["http"] = (status, "HTTP IoT: observations posted and delivered, answers, last error")
    return HTTPService(app, get(app), PROPERTIES)
