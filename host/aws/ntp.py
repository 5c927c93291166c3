"""A real NTP server on loopback: Debian's chronyd, unprivileged towards the clock (-x).

`chronyd -x -d -f CONF`: -x never touches the PC's clock, -d stays in the foreground. CONF
serves on 127.0.0.1:<free port> at stratum 8 with no upstream (`local stratum 8`), with its
drift and PID files in a private folder and no command sockets (`cmdport 0`,
`bindcmdaddress /`), so several can run beside each other and beside a system chronyd.
start() waits until an SNTP request is answered; stop() ends it by its PID.
"""

import os
import pwd
import socket
import struct
import subprocess
import time

from . import proc as _proc

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


def sntp_query(host, port, timeout=1.0):
    """One SNTP (v3 client) request: returns (stratum, server transmit time as Unix seconds)."""
    packet = bytearray(48)
    packet[0] = 0x1B  # LI 0, version 3, mode 3 (client)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (host, port))
        data, _ = s.recvfrom(512)
    if len(data) < 48:
        raise OSError("short NTP answer: %d bytes" % len(data))
    stratum = data[1]
    seconds, fraction = struct.unpack("!II", data[40:48])
    return stratum, seconds - NTP_EPOCH_OFFSET + fraction / 2**32


class NtpServer(_proc.Server):
    """chronyd serving NTP on 127.0.0.1:`port` (a free UDP port if 0)."""

    def __init__(self, folder, port=0, stratum=8):
        self.folder = str(folder)
        self.host = _proc.HOST
        self.port = port or _proc.free_port(socket.SOCK_DGRAM)
        self.stratum = stratum
        self.log_path = os.path.join(self.folder, "chronyd.log")

    def _write_config(self):
        os.makedirs(self.folder, exist_ok=True)
        conf = os.path.join(self.folder, "chrony.conf")
        lines = [
            "port %d" % self.port,
            "bindaddress " + self.host,
            "allow " + self.host,
            "local stratum %d" % self.stratum,
            "driftfile " + os.path.join(self.folder, "drift"),
            "pidfile " + os.path.join(self.folder, "chronyd.pid"),
            "cmdport 0",
            "bindcmdaddress /",
            "",
        ]
        with open(conf, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return conf

    def _answers(self):
        try:
            sntp_query(self.host, self.port, timeout=0.2)
            return True
        except OSError:
            return False

    def start(self, timeout=15):
        exe = _proc.find_program("chronyd", "chrony")
        conf = self._write_config()
        user = pwd.getpwuid(os.getuid()).pw_name  # stay who we are: no privilege drop needed
        self._log = open(self.log_path, "ab")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [exe, "-x", "-u", user, "-d", "-f", conf],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self._wait_started(self._answers, timeout, "chronyd")

    def query(self, timeout=1.0):
        return sntp_query(self.host, self.port, timeout)


def wait_gone(pid, timeout=5):
    deadline = time.monotonic() + timeout
    while _proc.pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
