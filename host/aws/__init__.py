"""The local AWS IoT stand-in (PC side only, never firmware): see README, "The local AWS IoT stand-in".

- certs: a per-run CA, server and device certificates (host.aws.certs);
- Broker: Mosquitto with mutual TLS and an ACL like an AWS IoT policy (host.aws.broker);
- ShadowService: the classic-shadow service over MQTT, built on moto (host.aws.shadow);
- NtpServer: chronyd on a loopback port (host.aws.ntp).

StandIn puts the first three together; `python -m host.aws` runs it from a terminal.
"""

import os

from .broker import Broker
from .certs import CertSet, copy_device_files, device_file_names, make_certs
from .ntp import NtpServer, sntp_query
from .shadow import ShadowService, read_accepted, read_document, read_rejected

__all__ = [
    "Broker",
    "CertSet",
    "NtpServer",
    "ShadowService",
    "StandIn",
    "copy_device_files",
    "device_file_names",
    "make_certs",
    "read_accepted",
    "read_document",
    "read_rejected",
    "sntp_query",
]


class StandIn:
    """Certificates, broker and shadow service in `folder`; start() / stop(), or `with`.

    port 0 picks a free loopback port. With `service_log` None the shadow service prints to
    this process's stdout (one line per accepted update); otherwise to that file.
    """

    def __init__(self, folder, thing="TestThing23", port=0, *, print_document=False, service_log="default"):
        self.folder = str(folder)
        self.thing = thing
        self._port = port
        self.print_document = print_document
        self.service_log = (
            os.path.join(self.folder, "shadow-service.log") if service_log == "default" else service_log
        )
        self.certs = None
        self.broker = None
        self.service = None

    @property
    def host(self):
        return self.broker.host

    @property
    def port(self):
        return self.broker.port

    @property
    def state_dir(self):
        return os.path.join(self.folder, "shadow")

    def start(self):
        self.certs = make_certs(os.path.join(self.folder, "certs"), self.thing)
        self.broker = Broker(self.certs, os.path.join(self.folder, "broker"), self._port)
        try:
            self.broker.start()
            self.service = ShadowService(
                self.certs,
                self.broker.host,
                self.broker.port,
                self.state_dir,
                print_document=self.print_document,
                log_path=self.service_log,
            )
            self.service.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.service:
            self.service.stop()
        if self.broker:
            self.broker.stop()

    def kill_broker(self):
        """Stop the broker (by its PID); the shadow service keeps trying to reconnect."""
        self.broker.stop()

    def restart_broker(self):
        """Start the broker again on the same port; returns once the shadow service is back."""
        self.service.forget_ready()
        self.broker.stop()
        self.broker.start()
        self.service.wait_ready()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def document(self, thing=None):
        return read_document(self.state_dir, thing or self.thing)

    def accepted(self, thing=None):
        return read_accepted(self.state_dir, thing or self.thing)

    def rejected(self, thing=None):
        return read_rejected(self.state_dir, thing or self.thing)
