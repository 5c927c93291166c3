"""VM stand-in for CircuitPython's `wifi` (never connected)."""


class Radio:
    enabled = True
    connected = False
    ipv4_address = None
    hostname = "mpvm"
    mac_address = b"\x02\x00\x00\x00\x00\x01"

    def connect(self, ssid, password=None, *, channel=0, bssid=None, timeout=None):
        raise ConnectionError("No network with that ssid")

    def ping(self, ip, *, timeout=0.5):
        return None


radio = Radio()
