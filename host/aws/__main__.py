"""Run the local AWS IoT stand-in in a terminal, for `make run` and for a look by hand.

    python -m host.aws [--dir DIR] [--thing NAME] [--port N] [--ntp] [--print-document]
    python -m host.aws --show            # print the current shadow document and exit

Starts Mosquitto (mutual TLS, an ACL like an AWS IoT policy) on 127.0.0.1 and the shadow
service, makes this run's certificates, and writes into DIR (the card folder, default
build/sd) the Thing's three certificate files under the seed's names and a datalogger.json
whose "AWS IoT" block is the seed's, pointed at the stand-in (other sections are kept).
Prints one line per accepted shadow update; Ctrl-C or SIGTERM stops everything.
"""

import argparse
import json
import os
import signal
import sys
import threading

from . import NtpServer, StandIn, copy_device_files, device_file_names, read_document
from .proc import HOST, MissingProgram, port_is_free

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWS_PORT = 8883


def seed_block(thing, port, server="localhost"):
    """The seed's "AWS IoT" block (same keys, same order), pointed at the stand-in."""
    ca, cert, key = device_file_names(thing)
    return {
        "Enabled": True,
        "Port": port,
        "Server": server,
        "MQTT Topic": "$aws/things/%s/shadow/update" % thing,
        "Client Name": thing,
        "Buffer Size": 0,
        "Username": "",
        "Password": "",
        "CA Certificate": "",
        "Client Certificate": "",
        "Client Key": "",
        "CA Cert Filename": ca,
        "Client Cert Filename": cert,
        "Client Key Filename": key,
    }


def write_datalogger_json(folder, block):
    """Put `block` as "AWS IoT" into folder/datalogger.json, keeping the file's other sections."""
    path = os.path.join(folder, "datalogger.json")
    settings = {}
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                settings = json.load(f)
            if not isinstance(settings, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            os.replace(path, path + ".bak")
            print("[aws] %s was not valid JSON (%s): kept as %s.bak" % (path, exc, path))
            settings = {}
    settings["AWS IoT"] = block
    with open(path, "w", encoding="utf-8") as f:
        json.dump(settings, f, indent=2)
        f.write("\n")
    return path


def _shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m host.aws", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.path.join(REPO, "build", "sd"),
                    help="card folder for the certificate files and datalogger.json (default build/sd)")
    ap.add_argument("--thing", default="TestThing23", help="the Thing name (default: the seed's)")
    ap.add_argument("--port", type=int, default=0,
                    help="broker port (default 8883 when free, else a free port)")
    ap.add_argument("--work", default=os.path.join(REPO, "build", "aws"),
                    help="the stand-in's own folder: certificates, broker config, shadow state")
    ap.add_argument("--ntp", action="store_true", help="also run an NTP server (chronyd -x)")
    ap.add_argument("--print-document", action="store_true",
                    help="print the whole shadow document after each accepted update")
    ap.add_argument("--show", action="store_true",
                    help="print the current shadow document of the running stand-in and exit")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state_dir = os.path.join(args.work, "shadow")
    if args.show:
        doc = read_document(state_dir, args.thing)
        if doc is None:
            print("no shadow document for %s in %s" % (args.thing, state_dir))
            return 1
        print(json.dumps(doc, indent=2))
        return 0

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    port = args.port or (AWS_PORT if port_is_free(AWS_PORT) else 0)
    standin = StandIn(args.work, args.thing, port, print_document=args.print_document, service_log=None)
    ntp = None
    try:
        standin.start()
        if args.ntp:
            ntp = NtpServer(os.path.join(args.work, "ntp")).start()
        files = copy_device_files(standin.certs, args.dir)
        settings = write_datalogger_json(args.dir, seed_block(args.thing, standin.port))
        print("[aws] AWS IoT stand-in for Thing %s (no AWS account involved):" % args.thing)
        print("[aws]   broker    mqtts://localhost:%d  (Mosquitto PID %d, mutual TLS, %s only)"
              % (standin.port, standin.broker.pid, HOST))
        print("[aws]   shadow    service PID %d; document: python -m host.aws --show"
              % standin.service.pid)
        if ntp:
            print("[aws]   ntp       %s:%d  (chronyd -x PID %d, stratum 8)" % (ntp.host, ntp.port, ntp.pid))
        print("[aws]   card      %s: %s" % (_shown(args.dir), ", ".join(os.path.basename(p) for p in files + [settings])))
        print("[aws]   (saved settings win over datalogger.json: after a change, !clear-settings)")
        print("[aws] Ctrl-C stops it.")
        sys.stdout.flush()
        while not stop.wait(0.5):
            if standin.broker.proc.poll() is not None or standin.service.proc.poll() is not None:
                print("[aws] a stand-in process ended unexpectedly; see %s" % standin.broker.log_path)
                return 1
    except (MissingProgram, RuntimeError) as exc:
        print("[aws] %s" % exc)
        return 1
    finally:
        if ntp:
            ntp.stop()
        standin.stop()
    print("[aws] stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
