# MQTT Client: each observation's JSON published to "MQTT Topic" on an MQTT broker, without TLS.
#
# The original's "MQTT Client" section, with its property names and defaults (its JSON block in
# datalogger.json loads unchanged). Off by default; the network libraries (MiniMQTT, the connection
# manager) are imported only when Enabled is true, and this module is released after setup: the
# connection is plugins/iot/mqttclient.py (shared with MQTT Secure Client, on the MQTT steps AWS IoT
# uses too: plugins/iot/mqttlink.py). Delivery is QoS 1: an observation counts as delivered when the
# broker's PUBACK for it came.
from core.schema import BOOL, INT, STR, Prop

S = "MQTT Client"
ENABLED = Prop(S, "Enabled", BOOL, False, "Publish each observation to an MQTT broker (no TLS)")
PORT = Prop(S, "Port", INT, 1883, "Broker port (MQTT: 1883)", low=1, high=65535)
SERVER = Prop(S, "Server", STR, "", "Broker host name or address, e.g. my-mqttserver.com")
TOPIC = Prop(S, "MQTT Topic", STR, "", "Topic each observation is published to, e.g. /sparkfun/datalogger1")
CLIENT = Prop(S, "Client Name", STR, "", "MQTT client ID; empty: one is made up at each start")
BUFFER = Prop(S, "Buffer Size", INT, 0, "Largest MQTT message sent or received, bytes; 0: any size",
              low=0, high=131072)
USERNAME = Prop(S, "Username", STR, "", "Broker user name, if it needs one")
PASSWORD = Prop(S, "Password", STR, "", "Broker password", secret=True)
OUTBOX = Prop(S, "Outbox Size", INT, 64,
              "Observations kept on the SD card while the broker cannot be reached, KB (the oldest "
              "dropped when full); 0: only the newest 8 wait, in RAM", low=0, high=4096)
OUTBOX_RAM = Prop(S, "Outbox Entries Without Card", INT, 20,
                  "Without an SD card, the newest observations kept in RAM while offline (lost at a restart)",
                  low=1, high=200)
# plugins/iot/mqttconnect.py unpacks this tuple in this order (the outbox's two last, as in mqtts.py).
PROPERTIES = (ENABLED, PORT, SERVER, TOPIC, CLIENT, BUFFER, USERNAME, PASSWORD, OUTBOX, OUTBOX_RAM)


def setup(app):
    if not app.settings.get(ENABLED):
        return None  # nothing imported: a logger without MQTT pays no heap for it
    from core.app import release
    from core.net import get
    from plugins.iot.mqttclient import MQTTService, status_mqtt
    release(("plugins.iot.mqtt",))  # this module: its Props live on in the settings
    app.commands["mqtt"] = (status_mqtt, "MQTT Client: connection, observations sent and delivered, last error")
    return MQTTService(app, get(app), PROPERTIES, "mqtt")
