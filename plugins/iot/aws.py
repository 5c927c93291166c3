"""AWS IoT: each observation to the Thing's classic shadow as {"state":{"reported":...}}.

Set up exactly as the original's "AWS IoT" section (the same property names, so its JSON block
in datalogger.json loads unchanged). The network libraries (MiniMQTT, the connection manager,
NTP) are imported only when Enabled is true. The log loop never waits on the network for more
than one bounded step: one connect attempt per poll (no MiniMQTT retry loop), the plugin's own
backoff with jitter, short socket timeouts, and incoming messages read without blocking.
"""
from core.schema import BOOL, INT, STR, Prop

S = "AWS IoT"
ENABLED = Prop(S, "Enabled", BOOL, False, "Send each observation to the Thing's shadow")
PORT = Prop(S, "Port", INT, 8883, "MQTT over TLS port (AWS IoT: 8883)", low=1, high=65535)
SERVER = Prop(S, "Server", STR, "", "The Thing's endpoint, e.g. xxxx-ats.iot.us-east-1.amazonaws.com")
TOPIC = Prop(S, "MQTT Topic", STR, "", "Shadow update topic; empty: $aws/things/<Client Name>/shadow/update")
CLIENT = Prop(S, "Client Name", STR, "", "The AWS IoT Thing name (also the MQTT client ID)")
BUFFER = Prop(S, "Buffer Size", INT, 0, "Largest MQTT message sent or received, bytes; 0: MiniMQTT's default",
              low=0, high=131072)
USERNAME = Prop(S, "Username", STR, "", "MQTT username (not used by AWS IoT with certificates)")
PASSWORD = Prop(S, "Password", STR, "", "MQTT password", secret=True)
CA = Prop(S, "CA Certificate", STR, "", "CA certificate PEM, inline (else the file, else the built-in bundle)",
          secret=True)
CERT = Prop(S, "Client Certificate", STR, "", "Device certificate PEM, inline (written to the card)", secret=True)
KEY = Prop(S, "Client Key", STR, "", "Device private key PEM, inline (written to the card)", secret=True)
CA_FILE = Prop(S, "CA Cert Filename", STR, "", "CA certificate file on the SD card, e.g. AmazonRootCA1.pem")
CERT_FILE = Prop(S, "Client Cert Filename", STR, "", "Device certificate file on the SD card")
KEY_FILE = Prop(S, "Client Key Filename", STR, "", "Device private key file on the SD card")
MIN_INTERVAL = Prop(S, "Minimum Update Interval", INT, 1000,
                    "Shortest time between shadow updates, ms (the latest observation wins)", low=100, high=86400000)
KEEP_ALIVE = Prop(S, "Keep Alive", INT, 60, "MQTT keep-alive, s", low=30, high=1200)
CONFIRM = Prop(S, "Confirmation", STR, "PUBACK",
               "What counts as delivered: the broker's PUBACK (QoS 1) or the shadow's update/accepted",
               choices=("PUBACK", "accepted"))
OUTBOX = Prop(S, "Outbox Size", INT, 64,
              "Observations kept on the SD card while the shadow cannot be reached, KB (the oldest "
              "dropped when full); 0: none are kept, the latest is sent at reconnect", low=0, high=4096)
OUTBOX_RAM = Prop(S, "Outbox Entries Without Card", INT, 20,
                  "Without an SD card, the newest observations kept in RAM while offline (lost at a restart)",
                  low=1, high=200)
REPLAY = Prop(S, "Replay Interval", INT, 75,
              "Shortest time between updates sent from the outbox, ms (AWS allows about 20 per second per Thing)",
              low=50, high=60000)
# awsprepare.py and awsconnect.py unpack this tuple in this order.
PROPERTIES = (ENABLED, PORT, SERVER, TOPIC, CLIENT, BUFFER, USERNAME, PASSWORD, CA, CERT, KEY, CA_FILE, CERT_FILE,
              KEY_FILE, MIN_INTERVAL, KEEP_ALIVE, CONFIRM, OUTBOX, OUTBOX_RAM, REPLAY)


def setup(app):
    if not app.settings.get(ENABLED):
        return None  # nothing imported: a logger without IoT pays no heap for it
    from core.app import release
    from core.net import get
    from plugins.iot.awsclient import AWSClient, status
    release(("plugins.iot.aws",))  # this module: its Props live on in the settings, its docs and code go
    app.commands["aws"] = (status, "AWS IoT connection: state, updates, last error")
    return AWSClient(app, get(app))
