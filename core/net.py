"""WiFi and the NTP clock, brought up only by a plugin that needs the network (iot.aws).

One step per poll, each bounded: a join waits at most JOIN_TIMEOUT_S, an NTP query
NTP_TIMEOUT_S. Failures back off with jitter (1 s doubling to a cap), so the log loop never
waits on the network for longer than one step. A dropped network is announced once and
rejoined; the NTP answer sets the RTC and the observation's wall clock (App.wall), which
follows without running backwards.
"""
import random

from adafruit_ticks import ticks_add, ticks_diff, ticks_ms

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


def split_host(text, port):
    """"name" or "name:port" -> (name, port)."""
    name, sep, tail = text.strip().rpartition(":")
    if sep and tail.isdigit() and name:
        return name, int(tail)
    return text.strip(), port


class Net:
    def __init__(self, app):
        import wifi
        from core.app import NTP, WIFI, WIFI_ENABLED

        self.app = app
        self.radio = wifi.radio
        get = app.settings.get
        self.networks = []  # (ssid, password) in order; CIRCUITPY_WIFI_* is network 1 (core/boot.py)
        self.enabled = get(WIFI_ENABLED)
        for i in range(0, len(WIFI), 2):
            ssid = get(WIFI[i])
            if ssid:
                self.networks.append((ssid, get(WIFI[i + 1])))
        self.ntp_on = get(NTP[0])
        self.servers = [s for s in (get(NTP[1]), get(NTP[2])) if s]
        self.ntp_interval_ms = get(NTP[3]) * 1000
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
        if radio.connected:
            if not self.up:
                self.up = True
                self.said = None
                self.join_backoff.reset()
                info = radio.ap_info
                self.ssid = info.ssid if info is not None else self.ssid
                self.app.info("WiFi: joined \"" + self.ssid + "\" (" + str(radio.ipv4_address) + ")")
            self._ntp(now)
            return
        if self.up:
            self.up = False
            self.app.warn("WiFi: lost \"" + self.ssid + "\"; rejoining (logging goes on)")
        if self.join_backoff.ready(now):
            self._join(now)

    def _join(self, now):
        if not self.enabled:
            self._trouble("WiFi: off (WiFi Network / Enabled, WIFI_ENABLED): the IoT services wait", now)
            return
        if not self.networks:
            self._trouble("WiFi: no network configured (WIFI_NETWORK_NAME or CIRCUITPY_WIFI_SSID): the "
                          "IoT services wait", now)
            return
        ssid, password = self.networks[self.next % len(self.networks)]
        self.next += 1
        try:
            self.radio.connect(ssid, password, timeout=JOIN_TIMEOUT_S)
        except (ConnectionError, OSError, RuntimeError, ValueError) as err:
            self._trouble("WiFi: cannot join \"" + ssid + "\" (" + (str(err) or type(err).__name__) + ")", now)
            return
        self.ssid = ssid

    def _trouble(self, text, now):
        wait = self.join_backoff.failed(now)
        if text != self.said:
            self.said = text
            self.app.warn(text + "; trying again in " + str(wait // 1000 + 1) + " s, then less often")

    def _ntp(self, now):
        if not self.ntp_on or not self.servers:
            return
        if self.sync_at is not None and ticks_diff(now, self.sync_at) < 0:
            return
        if not self.ntp_backoff.ready(now):
            return
        server = self.servers[self.ntp_server % len(self.servers)]
        name, port = split_host(server, 123)
        import sys
        try:
            import adafruit_ntp
            ntp = adafruit_ntp.NTP(self.socket_pool(), server=name, port=port, socket_timeout=NTP_TIMEOUT_S)
            epoch_ms = ntp.utc_ns // 1000000
        except (OSError, ArithmeticError, RuntimeError, ValueError) as err:
            self.ntp_server += 1  # the other server next time
            wait = self.ntp_backoff.failed(now)
            text = "NTP: no answer from " + server + " (" + (str(err) or type(err).__name__) + ")"
            if text != self.ntp_said:
                self.ntp_said = text
                self.app.warn(text + "; trying again in " + str(wait // 1000 + 1) + " s, then less often")
            return
        finally:
            sys.modules.pop("adafruit_ntp", None)  # used once an hour: give its heap back
        self.ntp_said = None
        self.ntp_backoff.reset()
        self._set_clock(epoch_ms, server)
        self.sync_at = ticks_add(ticks_ms(), self.ntp_interval_ms)

    def _set_clock(self, epoch_ms, server):
        import rtc
        import time
        from core.timefmt import civil_from_days

        secs = epoch_ms // 1000
        days = secs // 86400
        y, m, d = civil_from_days(days)
        rest = secs % 86400
        rtc.RTC().datetime = time.struct_time((y, m, d, rest // 3600, rest // 60 % 60, rest % 60,
                                               (days + 3) % 7, -1, -1))
        app = self.app
        first = not self.synced
        self.synced = True
        # App.wall holds the time of the last observation: move it to what NTP says it was then.
        step = app.wall.correct(epoch_ms - ticks_diff(ticks_ms(), app.last_ms))
        if first or step > 1000 or step < -1000:
            from core.timefmt import WallClock
            text = "NTP: clock set from " + server + ": " + WallClock(epoch_ms).iso()
            if step < 0:
                text += (" (it was " + str(-step // 1000) + " s ahead: the log clock catches up at half speed,"
                         " never running backwards)")
            elif step > 1000:
                text += " (+" + str(step // 1000) + " s)"
            app.info(text)
