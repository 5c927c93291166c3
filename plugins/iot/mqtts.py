# MQTT Secure Client: each observation's JSON published to "MQTT Topic" on an MQTT broker over TLS.
#
# The original's "MQTT Secure Client" section: MQTT Client's properties, port 8883, and the CA
# certificate and an optional client certificate and key, as files on the SD card, as AWS IoT takes
# them (no inline PEM settings: three more PEMs would not fit the 8 KB of saved settings beside AWS's). Off by default; its libraries are imported only when
# Enabled is true, and this module is released after setup (the connection: plugins/iot/mqttclient.py).
from core.schema import BOOL, INT, STR, Prop

S = "MQTT Secure Client"
ENABLED = Prop(S, "Enabled", BOOL, False, "Publish each observation to an MQTT broker over TLS")
PORT = Prop(S, "Port", INT, 8883, "Broker port (MQTT over TLS: 8883)", low=1, high=65535)
SERVER = Prop(S, "Server", STR, "", "Broker host name, as its certificate names it")
TOPIC = Prop(S, "MQTT Topic", STR, "", "Topic each observation is published to, e.g. /sparkfun/datalogger1")
CLIENT = Prop(S, "Client Name", STR, "", "MQTT client ID; empty: one is made up at each start")
BUFFER = Prop(S, "Buffer Size", INT, 0, "Largest MQTT message sent or received, bytes; 0: any size",
              low=0, high=131072)
USERNAME = Prop(S, "Username", STR, "", "Broker user name, if it needs one")
PASSWORD = Prop(S, "Password", STR, "", "Broker password", secret=True)
CA_FILE = Prop(S, "CA Cert Filename", STR, "", "CA certificate file on the SD card (empty: the built-in bundle)")
CERT_FILE = Prop(S, "Client Cert Filename", STR, "", "Client certificate file on the SD card, if the broker "
                 "asks for one")
KEY_FILE = Prop(S, "Client Key Filename", STR, "", "Client private key file on the SD card")
OUTBOX = Prop(S, "Outbox Size", INT, 64,
              "Observations kept on the SD card while the broker cannot be reached, KB (the oldest "
              "dropped when full); 0: only the newest 8 wait, in RAM", low=0, high=4096)
OUTBOX_RAM = Prop(S, "Outbox Entries Without Card", INT, 20,
                  "Without an SD card, the newest observations kept in RAM while offline (lost at a restart)",
                  low=1, high=200)
# plugins/iot/mqttconnect.py unpacks this tuple in this order (the outbox's two last, as in mqtt.py).
PROPERTIES = (ENABLED, PORT, SERVER, TOPIC, CLIENT, BUFFER, USERNAME, PASSWORD, CA_FILE, CERT_FILE, KEY_FILE,
              OUTBOX, OUTBOX_RAM)


def setup(app):
    if not app.settings.get(ENABLED):
        return None  # nothing imported: a logger without MQTT pays no heap for it
    from core.app import release
    from core.net import get
    from plugins.iot.mqttclient import MQTTService, status_mqtts
    release(("plugins.iot.mqtts",))
    app.commands["mqtts"] = (status_mqtts, "MQTT Secure Client: connection, observations sent and delivered, "
                             "last error")
    return MQTTService(app, get(app), PROPERTIES, "mqtts")
