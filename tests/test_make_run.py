"""`make run` as a newcomer sees it: the launcher the Makefile runs (python -m host.aws.demo) starts the
local AWS IoT stand-in, the logger joins, sets its clock from the stand-in's chronyd, connects over mutual
TLS and prints one line per accepted shadow update, while the stand-in's log shows the shadow document.
Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops everything; a second run with
another broker port still works although the first one's settings were saved."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

from hostrun import REPO

PYTHON = sys.executable
STALE_BLOCK = {"AWS IoT": {"Enabled": True, "Port": 1, "Server": "localhost", "Client Name": "TestThing23",
                           "CA Cert Filename": "AmazonRootCA1.pem",
                           "Client Cert Filename": "TestThing23_DevCert.crt",
                           "Client Key Filename": "TestThing23_Private.key"}}


def _processes_using(path):
    """PIDs of live processes whose command line mentions `path` (the run's folders)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if path in cmdline and state != "Z":
            found.append((int(pid), cmdline))
    return found


def make_run(tmp_path, accepted=2, timeout=60):
    """The launcher with this test's folders, stopped by a terminal's Ctrl-C after `accepted` updates."""
    cmd = [PYTHON, "-m", "host.aws.demo", "--drive", str(tmp_path / "drive"), "--sd", str(tmp_path / "sd"),
           "--work", str(tmp_path / "aws"), "--log", str(tmp_path / "standin.log"), "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    threading.Thread(target=lambda: [lines.append(line.rstrip("\n")) for line in proc.stdout], daemon=True).start()
    end = time.monotonic() + timeout
    try:
        while sum("accepted, shadow version" in line for line in list(lines)) < accepted:
            assert proc.poll() is None, "\n".join(lines)
            assert time.monotonic() < end, "no accepted updates:\n" + "\n".join(lines)
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the launcher and the logger both get it
        rc = proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(0.2)
    return rc, lines


def check_run(tmp_path, rc, lines):
    text = "\n".join(lines)
    assert rc == 0, text
    assert "Traceback" not in text, text
    assert '[I] WiFi: joined "SimNet"' in text
    ntp_port = re.search(r"NTP 127\.0\.0\.1:(\d+) \(chronyd", text).group(1)
    assert "[I] NTP: clock set from 127.0.0.1:%s" % ntp_port in text  # the stand-in's chronyd, not the Internet
    port = re.search(r"broker  mqtts://localhost:(\d+)", text).group(1)
    assert "[I] AWS IoT: connected to localhost:%s as TestThing23" % port in text
    versions = [int(v) for v in re.findall(r"\[I\] AWS IoT: update \S+ accepted, shadow version (\d+)", text)]
    assert len(versions) >= 2 and versions == sorted(versions), text
    assert "[I] Stopped; files closed" in text
    assert lines[-1] == "[make run] stand-in stopped (Mosquitto, shadow service, chronyd)", text
    assert "-----BEGIN" not in text and "PRIVATE KEY" not in text
    # The stand-in's log: one line per accepted update and the shadow document with the observation.
    log = (tmp_path / "standin.log").read_text()
    for version in versions:
        assert "[aws] TestThing23 update accepted: version %d, " % version in log, log[-2000:]
    assert "[aws] TestThing23 shadow document:" in log
    document = json.loads(log[log.rindex("shadow document:\n") + len("shadow document:\n"):].split("\n}\n")[0] + "\n}")
    reported = document["state"]["reported"]
    assert set(reported) == {"General", "MAX17048", "BME280"} and document["version"] >= versions[0]
    assert reported["General"]["Board Name"] == "DataLogger IoT"
    assert _processes_using(str(tmp_path)) == []  # no broker, shadow service, chronyd or logger left
    return int(port)


def test_make_run_shows_accepted_updates_and_a_second_run_still_works(tmp_path):
    (tmp_path / "drive").mkdir()
    (tmp_path / "sd").mkdir()
    (tmp_path / "drive" / "settings.toml").write_text("LOGGING_TIMER_INTERVAL = 1000\n")
    # An "AWS IoT" block left on the card by an earlier `make standin`, pointing at a port long gone.
    (tmp_path / "sd" / "datalogger.json").write_text(json.dumps(STALE_BLOCK))
    rc, lines = make_run(tmp_path)
    first_port = check_run(tmp_path, rc, lines)
    assert "datalogger.json: pointed at this run's broker" in "\n".join(lines)
    nvm = (tmp_path / "drive" / "nvm.bin").read_bytes()
    assert b'"AWS IoT"' in nvm  # the first boot saved the card's block, with the first run's port
    # The second run: another broker port, the saved settings still name the first one's.
    rc, lines = make_run(tmp_path)
    second_port = check_run(tmp_path, rc, lines)
    assert second_port != first_port
    assert "held AWS IoT values that would hide those: removed from the saved settings" in "\n".join(lines)
    toml = (tmp_path / "drive" / "settings.toml").read_text()
    assert toml.count("# >>> make run") == 1 and "AWS_IOT_PORT = %d\n" % second_port in toml
    assert toml.startswith("# >>> make run") and "LOGGING_TIMER_INTERVAL = 1000" in toml
