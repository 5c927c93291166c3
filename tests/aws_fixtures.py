"""Shared fixtures: the local AWS IoT stand-in and a real NTP server (host/aws/).

Use them from a test module with

    from aws_fixtures import aws_standin, ntp_server  # noqa: F401  (pytest fixtures)

Interface (kept stable; everything on 127.0.0.1, started once per test module, stopped by PID):

aws_standin -> host.aws.StandIn, started:
    .host, .port            the broker (Mosquitto, mutual TLS, ACL like an AWS IoT policy);
                            its server certificate is for "localhost" and 127.0.0.1
    .thing                  the Thing name, "TestThing23" (the seed's)
    .certs.ca / .certs.cert / .certs.key
                            the three PEM file paths the device needs (CA, device certificate
                            with CN = thing, device key as PKCS#1 "RSA PRIVATE KEY", as AWS gives)
    .certs.other_thing, .certs.other_cert, .certs.other_key
                            a second Thing's valid certificate (the ACL refuses it the first
                            Thing's topics: its publishes are dropped, no answer comes)
    .certs.wrong_ca, .certs.wrong_cert, .certs.wrong_key
                            a CA the broker does not trust, and a device certificate it signed
    .document(thing=None)   the current shadow document as get/accepted gives it, or None
    .accepted(thing=None)   accepted updates, oldest first: dicts with "thing", "version",
                            "clientToken", "bytes" (payload size) and "state" (as sent)
    .rejected(thing=None)   rejected requests: "thing", "op", "code", "message", "clientToken"
                            (both are written before the answer is published)
    .kill_broker()          stop Mosquitto by its PID (the port then refuses connections)
    .restart_broker()       start it again on the same port; returns once the shadow service
                            has resubscribed
    .broker.pid, .service.pid, .broker.log()
    .folder                 the stand-in's private folder (certs/, broker/, shadow/)
    copy_device_files(aws_standin.certs, card_dir) puts the three files on a card folder under
    the seed's names (AmazonRootCA1.pem, TestThing23_DevCert.crt, TestThing23_Private.key).
    fail_next(aws_standin, code, count=1, thing=None): the test control of host/aws/shadow.py
    (not AWS behaviour): the next `count` updates of the Thing are rejected with `code` (403,
    429, 500, ...) and AWS's message for it; such rejections carry "injected": True.

ntp_server -> host.aws.NtpServer, started:
    .host, .port            chronyd -x serving NTP at stratum 8 (never touches the PC's clock)
    .query()                (stratum, unix time) from one SNTP request
    .pid, .stop()

A missing mosquitto or chronyd fails the test with the command that installs it.
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.append(REPO)  # last: the repo's code.py must not shadow the stdlib's `code`

from host.aws import NtpServer, StandIn, copy_device_files  # noqa: E402
from host.aws.proc import MissingProgram  # noqa: E402
from host.aws import shadow as _shadow  # noqa: E402

__all__ = ["aws_standin", "ntp_server", "copy_device_files", "start_standin", "start_ntp", "fail_next"]


def fail_next(standin, code, count=1, thing=None):
    """Test control: the stand-in rejects the Thing's next `count` updates with `code`."""
    _shadow.fail_next(standin.state_dir, thing or standin.thing, code, count)


def start_standin(folder, thing="TestThing23"):
    """A started StandIn in `folder`; the caller stops it (fails the test if a program is missing)."""
    try:
        return StandIn(folder, thing).start()
    except MissingProgram as exc:
        pytest.fail(str(exc))


def start_ntp(folder):
    try:
        return NtpServer(folder).start()
    except MissingProgram as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def aws_standin(tmp_path_factory):
    standin = start_standin(tmp_path_factory.mktemp("aws"))
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture(scope="module")
def ntp_server(tmp_path_factory):
    server = start_ntp(tmp_path_factory.mktemp("ntp"))
    try:
        yield server
    finally:
        server.stop()
