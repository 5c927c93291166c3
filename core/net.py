"""WiFi and the NTP clock, brought up only by a plugin that needs the network (iot.aws).

One step per poll, each bounded: a join waits at most JOIN_TIMEOUT_S, an NTP query
NTP_TIMEOUT_S. Failures back off with jitter (1 s doubling to a cap), so the log loop never
waits on the network for longer than one step. A dropped network is announced once and
rejoined; the NTP answer sets the RTC and the observation's wall clock (App.wall), which
follows without running backwards.

Only the poll's checks stay resident: the settings read at start, a join and an NTP query with
its clock setting are in core/netsteps.py, imported for each and released after (core.app.release).
"""
import random

from adafruit_ticks import ticks_add, ticks_diff

JOIN_TIMEOUT_S = 3
NTP_TIMEOUT_S = 0.5
WIFI_CAP_MS = 60000
NTP_CAP_MS = 300000

_net = None


class Backoff:
    """1 s doubling to a cap, each wait drawn within +-25 % so many loggers never retry in step."""

    __slots__ = ("first", "cap", "delay", "at")

    def __init__(self, first_ms, cap_ms):
        self.first = first_ms
        self.cap = cap_ms
        self.delay = first_ms
        self.at = None  # a tick while waiting; None when a try is allowed now

    def ready(self, now):
        if self.at is None:
            return True
        if ticks_diff(now, self.at) < 0:
            return False
        self.at = None
        return True

    def failed(self, now):
        """Start the next wait; returns it in ms."""
        delay = self.delay
        wait = delay - delay // 4 + random.randint(0, delay // 2)
        self.at = ticks_add(now, wait)
        self.delay = delay * 2 if delay * 2 < self.cap else self.cap
        return wait

    def reset(self):
        self.delay = self.first
        self.at = None


def get(app):
    """The network, started on first use and polled by the app before the plugin asking."""
    global _net
    if _net is None:
        from core.scheduler import Task
        _net = Net(app)
        app.pollers.append((Task("network"), _net))
    return _net


def step(name, *args):
    """core.netsteps.<name>(*args), imported for the call and released after it."""
    from core import netsteps
    try:
        return getattr(netsteps, name)(*args)
    finally:
        from core.app import release
        release(("core.netsteps", "core.props"))


class Net:
    # Set by netsteps.settings() at start (annotations only: no code on the board).
    networks: list
    enabled: bool
    ntp_on: bool
    servers: list
    ntp_interval_ms: int

    def __init__(self, app):
        import wifi

        self.app = app
        self.radio = wifi.radio
        self.up = False
        self.ssid = ""
        self.next = 0  # the network to try next
        self.join_backoff = Backoff(1000, WIFI_CAP_MS)
        self.ntp_backoff = Backoff(1000, NTP_CAP_MS)
        self.synced = False
        self.sync_at = None
        self.ntp_server = 0
        self.said = None  # the last trouble announced, so each is said once
        self.ntp_said = None
        self.pool = None
        step("settings", self)  # networks, enabled, ntp_on, servers, ntp_interval_ms

    def socket_pool(self):
        if self.pool is None:
            import adafruit_connection_manager
            self.pool = adafruit_connection_manager.get_radio_socketpool(self.radio)
        return self.pool

    def clock_ok(self):
        """True once NTP has answered, or when the RTC was already set (it reads 2024 or later)."""
        return self.synced or self.app.wall.is_set()

    def poll(self, now):
        radio = self.radio
        if radio.connected and self.enabled:  # the board may have joined CIRCUITPY_WIFI_* before code.py
            if not self.up:
                self.up = True
                self.said = None
                self.join_backoff.reset()
                info = radio.ap_info
                self.ssid = info.ssid if info is not None else self.ssid
                self.app.info("WiFi: joined \"" + self.ssid + "\" (" + str(radio.ipv4_address) + ")")
            if (self.ntp_on and self.servers and (self.sync_at is None or ticks_diff(now, self.sync_at) >= 0)
                    and self.ntp_backoff.ready(now)):
                step("ntp", self, now)
            return
        if self.up:
            self.up = False
            self.app.warn("WiFi: lost \"" + self.ssid + "\"; rejoining (logging goes on)")
        if self.join_backoff.ready(now):
            step("join", self, now)
