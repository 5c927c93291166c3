"""Host stand-in for CircuitPython's ``wifi`` (ESP32-S3, CircuitPython 10).

The simulated access points are ``host.runtime.WIFI_NETWORKS`` (a dict ssid -> password),
read at each connect/scan, or by default one network "SimNet" with password "simpass".
Once connected, the station's address is 127.0.0.1: sockets go to the host's loopback.

Deviations: ``connect`` returns at once (``channel`` and ``timeout`` are ignored); a
password of 1-7 characters is accepted (the board raises ValueError for it, so the default
"simpass" would not pass there); no access-point mode, ``ping``, DHCP or static-address
calls.
"""

import ipaddress as _ipaddress

_DEFAULT_NETWORKS = {"SimNet": "simpass"}


def _networks():
    try:
        from host import runtime  # pylint: disable=import-outside-toplevel
    except ModuleNotFoundError as exc:
        if exc.name not in ("host", "host.runtime"):
            raise
        return dict(_DEFAULT_NETWORKS)
    return dict(getattr(runtime, "WIFI_NETWORKS", _DEFAULT_NETWORKS))


def _as_bytes(value, name):
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError("%s must be str or a buffer" % name) from None


def _hostname_valid(name):
    if not 1 <= len(name) <= 253:
        return False
    for part in name.split("."):
        if not part or len(part) > 63 or part[0] == "-":
            return False
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in part):
            return False
    return True


class AuthMode:
    """Authentication modes a network offers."""

    OPEN = "OPEN"
    WEP = "WEP"
    WPA = "WPA"
    WPA2 = "WPA2"
    WPA3 = "WPA3"
    PSK = "PSK"
    ENTERPRISE = "ENTERPRISE"


class Network:
    """A wifi network found by a scan, or the one connected to (``radio.ap_info``)."""

    def __init__(self, ssid, index, password):
        self.ssid = ssid
        self.bssid = bytes((0x02, 0x51, 0x4D, 0, 0, index + 1))
        self.rssi = -40 - 7 * index
        self.channel = (1, 6, 11)[index % 3]
        self.country = "US"
        self.authmode = [AuthMode.WPA2, AuthMode.PSK] if password else [AuthMode.OPEN]

    def __repr__(self):
        return "<Network %r rssi=%d channel=%d>" % (self.ssid, self.rssi, self.channel)


class Radio:
    """The sole radio, ``wifi.radio``."""

    def __init__(self):
        self._enabled = True
        self._ap = None
        self._scanning = False
        self.mac_address = bytes((0x7C, 0xDF, 0xA1, 0x51, 0x4D, 0x01))
        self.mac_address_ap = bytes((0x7C, 0xDF, 0xA1, 0x51, 0x4D, 0x02))
        self._hostname = "cpy-host-" + self.mac_address.hex()
        self.tx_power = 20.0

    @property
    def enabled(self):
        return self._enabled

    @enabled.setter
    def enabled(self, value):
        self._enabled = bool(value)
        if not self._enabled:
            self._ap = None
            self._scanning = False
            import sys  # pylint: disable=import-outside-toplevel

            pool = sys.modules.get("socketpool")
            if pool is not None and hasattr(pool, "host_reset"):
                pool.host_reset()  # the board closes every socket

    @property
    def hostname(self):
        return self._hostname

    @hostname.setter
    def hostname(self, value):
        name = _as_bytes(value, "hostname").decode("ascii", "replace")
        if not 1 <= len(name) <= 253:
            raise ValueError("hostname length must be 1-253")
        if not _hostname_valid(name):
            raise ValueError("invalid hostname")
        self._hostname = name

    def connect(self, ssid, password=b"", *, channel=0, bssid=None, timeout=None):
        """Join a simulated network: ConnectionError on a wrong password or unknown ssid."""
        ssid_b = _as_bytes(ssid, "ssid")
        if not 1 <= len(ssid_b) <= 32:
            raise ValueError("ssid length must be 1-32")
        pw_b = b"" if password is None else _as_bytes(password, "password")
        if len(pw_b) > 64:
            raise ValueError("password length must be 8-64")
        if len(pw_b) == 64 and not all(chr(c) in "0123456789abcdefABCDEF" for c in pw_b):
            raise ValueError("Invalid hex password")
        if bssid is not None and len(_as_bytes(bssid, "bssid")) != 6:
            raise ValueError("Invalid BSSID")
        if not self._enabled:
            raise RuntimeError("Wifi is not enabled")
        networks = _networks()
        name = ssid_b.decode("utf-8", "replace")
        if name not in networks:
            self._ap = None
            raise ConnectionError("No network with that ssid")
        expected = networks[name] or ""
        if isinstance(expected, str):
            expected = expected.encode("utf-8")
        if pw_b != bytes(expected):
            self._ap = None
            raise ConnectionError("Authentication failure")
        self._ap = Network(name, list(networks).index(name), expected)

    def stop_station(self):
        """Leave the network."""
        self._ap = None

    def start_station(self):
        """Start station mode (it always is here)."""

    @property
    def connected(self):
        return self._ap is not None

    @property
    def ap_info(self):
        return self._ap

    @property
    def ipv4_address(self):
        return _ipaddress.IPv4Address("127.0.0.1") if self._ap else None

    @property
    def ipv4_gateway(self):
        return _ipaddress.IPv4Address("127.0.0.1") if self._ap else None

    @property
    def ipv4_subnet(self):
        return _ipaddress.IPv4Address("255.0.0.0") if self._ap else None

    @property
    def ipv4_dns(self):
        return _ipaddress.IPv4Address("127.0.0.1" if self._ap else "0.0.0.0")

    @property
    def addresses(self):
        return ("127.0.0.1",) if self._ap else ()

    def start_scanning_networks(self, *, start_channel=1, stop_channel=165):
        """Return the simulated networks seen on the given channels."""
        for value, name in ((start_channel, "start_channel"), (stop_channel, "stop_channel")):
            if not 1 <= value <= 165:
                raise ValueError("%s must be 1-165" % name)
        if self._scanning:
            raise RuntimeError("Already scanning for wifi networks")
        if not self._enabled:
            raise RuntimeError("Wifi is not enabled")
        low, high = sorted((start_channel, stop_channel))
        self._scanning = True
        found = [Network(name, i, pw) for i, (name, pw) in enumerate(_networks().items())]
        return iter([net for net in found if low <= net.channel <= high])

    def stop_scanning_networks(self):
        self._scanning = False


radio = Radio()
