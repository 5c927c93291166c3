"""Mosquitto as AWS IoT's MQTT endpoint: mutual TLS on 127.0.0.1, an ACL like an IoT policy.

- `require_certificate true` and `use_identity_as_username true`: a client needs a device
  certificate signed by the stand-in's CA, and its CN (the Thing name) becomes its user name;
- the ACL lets a device publish only to its own `$aws/things/<CN>/shadow/{update,get,delete}`
  and receive only that shadow's response topics, as a policy scoped to the Thing does; a
  publish it forbids is dropped silently (MQTT 3.1.1), and a forbidden subscription gets no
  messages; the shadow service (its own certificate) may use every Thing's shadow topics.
"""

import os
import subprocess

from . import proc as _proc
from .certs import SERVICE_NAME

DEVICE_WRITES = ("update", "get", "delete")
DEVICE_READS = (
    "update/accepted",
    "update/rejected",
    "update/delta",
    "update/documents",
    "get/accepted",
    "get/rejected",
    "delete/accepted",
    "delete/rejected",
)


def acl_text():
    lines = ["# Like an AWS IoT policy scoped to the Thing: %u is the certificate's CN."]
    for op in DEVICE_WRITES:
        lines.append("pattern write $aws/things/%u/shadow/" + op)
    for op in DEVICE_READS:
        lines.append("pattern read $aws/things/%u/shadow/" + op)
    # ACL lines must start with the literal "$aws/": "#" does not match "$" topics.
    lines += ["", "user " + SERVICE_NAME, "topic readwrite $aws/things/+/shadow/#", ""]
    return "\n".join(lines)


class Broker(_proc.Server):
    """Mosquitto on 127.0.0.1:`port` (a free one if 0); start() waits until it listens."""

    def __init__(self, certs, folder, port=0):
        self.certs = certs
        self.folder = str(folder)
        self.host = _proc.HOST
        self.port = port or _proc.free_port()
        self.log_path = os.path.join(self.folder, "mosquitto.log")

    def _write_config(self):
        os.makedirs(self.folder, exist_ok=True)
        acl = os.path.join(self.folder, "acl")
        with open(acl, "w", encoding="utf-8") as f:
            f.write(acl_text())
        conf = os.path.join(self.folder, "mosquitto.conf")
        lines = [
            "per_listener_settings false",
            "persistence false",
            "log_dest stdout",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "allow_anonymous false",
            "acl_file " + acl,
            "listener %d %s" % (self.port, self.host),
            "cafile " + self.certs.ca,
            "certfile " + self.certs.server_cert,
            "keyfile " + self.certs.server_key,
            "require_certificate true",
            "use_identity_as_username true",
            "",
        ]
        if os.getuid() == 0:
            # Keep root, so key files in a private temporary folder stay readable.
            lines.insert(0, "user root")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return conf

    def start(self, timeout=15):
        exe = _proc.find_program("mosquitto", "mosquitto")
        conf = self._write_config()
        self._log = open(self.log_path, "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [exe, "-c", conf],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it
        )
        return self._wait_started(_proc.tcp_listening(self.port), timeout, "mosquitto")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")
