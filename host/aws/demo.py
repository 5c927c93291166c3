"""`make run`: the logger on simulated hardware, sending its observations to the local AWS IoT stand-in.

    python -m host.aws.demo [--drive DIR] [--sd DIR] [--work DIR] [--log FILE] [--port N]

No AWS account and no Internet are needed. It starts the stand-in (Mosquitto with mutual TLS, the
shadow service, chronyd as the NTP server, all on 127.0.0.1), puts the Thing's three certificate
files on the card folder under the seed's names, points the logger's settings at the stand-in, and
runs `python -m host` in this terminal (its serial console). The stand-in's own output, with the
shadow document after each accepted update, goes to a log file (default build/standin.log:
`tail -f build/standin.log` in a second terminal). Ctrl-C stops the logger cleanly, then every
server process, by PID.

Settings: the AWS IoT and NTP values go into a marked block at the top of DRIVE/settings.toml,
rewritten on every run with this run's ports (the first of duplicate keys wins, as on the board).
Saved settings win over settings.toml, so before the logger starts:
- "AWS IoT" and "NTP Client" values saved in DRIVE/nvm.bin (seeded from a datalogger.json, or
  saved from the menu) are taken out of the saved settings, which otherwise stay as they are;
- an "AWS IoT" block in SD/datalogger.json (as `make standin` writes one) is pointed at this run's
  broker, and an "NTP Client" section there at this run's NTP server, so a first-boot seed from it
  agrees with settings.toml.
So a second `make run` works whatever the ports are, and `!clear-settings` never breaks it.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys

from . import NtpServer, StandIn, copy_device_files, device_file_names
from .__main__ import AWS_PORT, seed_block
from .proc import HOST, MissingProgram

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THING = "TestThing23"  # the seed's Thing
BEGIN = "# >>> make run: the local AWS IoT stand-in (host/aws/demo.py rewrites this block on every run)"
END = "# <<< make run"
OWNED_SECTIONS = ("AWS IoT", "NTP Client")  # the saved-settings sections this block must not be hidden by
RUN_INTERVAL = "LOGGING_TIMER_INTERVAL = 2000  # make run: every 2 s, to watch it work\n"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def port_is_free(port):
    """True when Mosquitto could listen on the port now (it sets SO_REUSEADDR: the last run's
    connections in TIME_WAIT don't hold the port, so 8883 stays this demo's port run after run)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def say(text):
    print("[make run] " + text, flush=True)


def settings_block(port, ntp_port, thing=THING):
    ca, cert, key = device_file_names(thing)
    lines = [
        BEGIN,
        "AWS_IOT_ENABLED = 1",
        'AWS_IOT_SERVER = "localhost"',
        "AWS_IOT_PORT = %d" % port,
        'AWS_IOT_CLIENT_NAME = "%s"' % thing,
        'AWS_IOT_CA_CERT_FILENAME = "%s"' % ca,
        'AWS_IOT_CLIENT_CERT_FILENAME = "%s"' % cert,
        'AWS_IOT_CLIENT_KEY_FILENAME = "%s"' % key,
        '# each confirmation names the shadow version the stand-in accepted (the default, "PUBACK", is cheaper)',
        'AWS_IOT_CONFIRMATION = "accepted"',
        'NTP_CLIENT_NTP_SERVER_ONE = "%s:%d"' % (HOST, ntp_port),
        'NTP_CLIENT_NTP_SERVER_TWO = ""',
        END,
        "",
    ]
    return "\n".join(lines)


def write_settings(drive, port, ntp_port, thing=THING):
    """DRIVE/settings.toml (the template logging every 2 s when missing) with the block at the top."""
    path = os.path.join(drive, "settings.toml")
    if not os.path.exists(path):
        shutil.copyfile(os.path.join(REPO, "settings.toml"), path)
        with open(path, "a", encoding="utf-8") as f:
            f.write(RUN_INTERVAL)
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start >= 0 and end > start:
        rest = text[:start] + text[end + len(END):].lstrip("\r\n")
    else:
        rest = text
    bom = "\ufeff" if rest.startswith("\ufeff") else ""  # a byte-order mark stays first (README: Settings)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(bom + settings_block(port, ntp_port, thing) + rest[len(bom):])
    return path


def unhide_saved(drive):
    """Take OWNED_SECTIONS out of the saved settings in DRIVE/nvm.bin; returns what was removed."""
    sys.path.append(REPO)  # core.savedfile: the firmware's own NVM format
    from core import savedfile  # pylint: disable=import-outside-toplevel

    path = os.path.join(drive, "nvm.bin")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        image = bytearray(f.read())
    payload, _reason = savedfile.nvm_payload(image)
    if payload is None:
        return []  # empty or damaged: the logger says so itself; nothing saved can hide the block
    try:
        sections = json.loads(payload.decode("utf-8"))
    except ValueError:
        return []
    if not isinstance(sections, dict):
        return []
    removed = [name for name in OWNED_SECTIONS if name in sections]
    if not removed:
        return []
    for name in removed:
        del sections[name]
    new = savedfile.nvm_image(json.dumps(sections, separators=(",", ":")).encode("utf-8"))
    image[: len(new)] = new
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(image)
    os.replace(tmp, path)
    return removed


def align_datalogger_json(sd, port, ntp_port, thing=THING):
    """Point an "AWS IoT" block / "NTP Client" section already in SD/datalogger.json at this run's servers."""
    path = os.path.join(sd, "datalogger.json")
    try:
        with open(path, encoding="utf-8-sig") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict) or not any(name in doc for name in OWNED_SECTIONS):
        return False
    if "AWS IoT" in doc:
        doc["AWS IoT"] = seed_block(thing, port)
    if isinstance(doc.get("NTP Client"), dict):
        doc["NTP Client"].update({"Enabled": True, "NTP Server One": "%s:%d" % (HOST, ntp_port),
                                  "NTP Server Two": ""})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return True


def _shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def parse_args(argv):
    build = os.path.join(REPO, "build")
    ap = argparse.ArgumentParser(prog="python -m host.aws.demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--drive", default=os.path.join(build, "drive"), help="the CIRCUITPY folder (default build/drive)")
    ap.add_argument("--sd", default=os.path.join(build, "sd"), help="the card folder (default build/sd)")
    ap.add_argument("--work", default=os.path.join(build, "aws"),
                    help="the stand-in's own folder: certificates, broker, shadow state, NTP (default build/aws)")
    ap.add_argument("--log", default=os.path.join(build, "standin.log"),
                    help="the stand-in's log, with the shadow document after each update (default build/standin.log)")
    ap.add_argument("--port", type=int, default=None,
                    help="the broker's port (default 8883 when free, else a free port; 0: a free port)")
    ap.add_argument("host_args", nargs="*", help="more arguments for python -m host, after --")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for folder in (args.drive, args.sd, args.work):
        os.makedirs(folder, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    # A stop signal before the logger runs ends the set-up (and the servers started so far).
    stop_requested = []

    def early_stop(signum, _frame):
        stop_requested.append(signum)
        raise KeyboardInterrupt

    for signum in FORWARDED:
        signal.signal(signum, early_stop)
    port = args.port if args.port is not None else (AWS_PORT if port_is_free(AWS_PORT) else 0)
    with open(args.log, "w", encoding="utf-8") as f:  # this run's log only
        f.write("[make run] the local AWS IoT stand-in's log: Mosquitto's is %s\n"
                % os.path.join(args.work, "broker", "mosquitto.log"))
    standin = StandIn(args.work, THING, port, print_document=True, service_log=os.path.abspath(args.log))
    ntp = NtpServer(os.path.join(args.work, "ntp"))
    child = None
    try:
        try:
            say("starting the local AWS IoT stand-in (no AWS account, no Internet needed) ...")
            standin.start()
            ntp.start()
        except MissingProgram as exc:
            say(str(exc))
            return 1
        except RuntimeError as exc:
            say("the stand-in did not start: %s" % exc)
            return 1
        copy_device_files(standin.certs, args.sd)
        settings = write_settings(args.drive, standin.port, ntp.port)
        removed = unhide_saved(args.drive)
        aligned = align_datalogger_json(args.sd, standin.port, ntp.port)
        say("broker  mqtts://localhost:%d (Mosquitto PID %d, mutual TLS); shadow service PID %d; "
            "NTP %s:%d (chronyd -x PID %d)" % (standin.port, standin.broker.pid, standin.service.pid,
                                             ntp.host, ntp.port, ntp.pid))
        say("card    %s: %s" % (_shown(args.sd), ", ".join(device_file_names(THING))))
        say("drive   %s: AWS_IOT_* and NTP_CLIENT_* for this run at the top" % _shown(settings))
        if removed:
            say("saved settings (%s) held %s values that would hide those: removed from the saved settings"
                % (_shown(os.path.join(args.drive, "nvm.bin")), " and ".join(removed)))
        if aligned:
            say("%s: pointed at this run's broker and NTP server" % _shown(os.path.join(args.sd, "datalogger.json")))
        say("the shadow document after each update: %s (tail -f it in a second terminal)" % _shown(args.log))
        say("the logger's serial console follows; Ctrl-C stops the logger, then the stand-in")
        cmd = [sys.executable, "-m", "host", "--drive", args.drive, "--sd", args.sd] + list(args.host_args)
        child = subprocess.Popen(cmd, cwd=REPO)  # pylint: disable=consider-using-with

        def forward(signum, _frame):
            if child.poll() is None:
                child.send_signal(signum)  # a terminal's Ctrl-C reached it too: host treats both as one stop

        for signum in FORWARDED:
            signal.signal(signum, forward)
        rc = child.wait()
    except KeyboardInterrupt:
        rc = 0 if stop_requested else 1
    finally:
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_IGN)  # the clean-up is never cut short
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        ntp.stop()
        standin.stop()
    say("stand-in stopped (Mosquitto, shadow service, chronyd)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
