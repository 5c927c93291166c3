"""The network's rare steps (see core/net.py): the settings read at start, a WiFi join, an NTP query
and the clock it sets. Imported by core.net.step() for each and released after it. `n` is the Net.
"""
from adafruit_ticks import ticks_add, ticks_diff, ticks_ms

from core.net import JOIN_TIMEOUT_S, NTP_TIMEOUT_S


def settings(n):
    from core.props import NTP, WIFI, WIFI_ENABLED

    get = n.app.settings.get
    n.networks = []  # (ssid, password) in order; CIRCUITPY_WIFI_* is network 1 (core/boot.py)
    n.enabled = get(WIFI_ENABLED)
    for i in range(0, len(WIFI), 2):
        ssid = get(WIFI[i])
        if ssid:
            n.networks.append((ssid, get(WIFI[i + 1])))
    first = n.app.circuitpy_wifi  # CIRCUITPY_WIFI_* beside an explicit network 1: tried first (core/boot.py)
    if first is not None and first not in n.networks:
        n.networks.insert(0, first)
    n.ntp_on = get(NTP[0])
    n.servers = [s for s in (get(NTP[1]), get(NTP[2])) if s]
    n.ntp_interval_ms = get(NTP[3]) * 1000


def split_host(text, port):
    """"name" or "name:port" -> (name, port)."""
    name, sep, tail = text.strip().rpartition(":")
    if sep and tail.isdigit() and name:
        return name, int(tail)
    return text.strip(), port


def join(n, now):
    if not n.enabled:
        _trouble(n, "WiFi: off (WiFi Network / Enabled, WIFI_ENABLED): the IoT services wait", now)
        return
    if not n.networks:
        _trouble(n, "WiFi: no network configured (WIFI_NETWORK_NAME or CIRCUITPY_WIFI_SSID): the "
                 "IoT services wait", now)
        return
    ssid, password = n.networks[n.next % len(n.networks)]
    n.next += 1
    try:
        n.radio.connect(ssid, password, timeout=JOIN_TIMEOUT_S)
    except (ConnectionError, OSError, RuntimeError, ValueError) as err:
        _trouble(n, "WiFi: cannot join \"" + ssid + "\" (" + (str(err) or type(err).__name__) + ")", now)
        return
    n.ssid = ssid


def _trouble(n, text, now):
    wait = n.join_backoff.failed(now)
    if text != n.said:
        n.said = text
        n.app.warn(text + "; trying again in " + str(wait // 1000 + 1) + " s, then less often")


def ntp(n, now):
    """One NTP query (its backoff and interval are checked by Net.poll)."""
    server = n.servers[n.ntp_server % len(n.servers)]
    name, port = split_host(server, 123)
    import sys
    try:
        import adafruit_ntp
        answer = adafruit_ntp.NTP(n.socket_pool(), server=name, port=port, socket_timeout=NTP_TIMEOUT_S)
        epoch_ms = answer.utc_ns // 1000000
    except (OSError, ArithmeticError, RuntimeError, ValueError) as err:
        n.ntp_server += 1  # the other server next time
        wait = n.ntp_backoff.failed(now)
        text = "NTP: no answer from " + server + " (" + (str(err) or type(err).__name__) + ")"
        if text != n.ntp_said:
            n.ntp_said = text
            n.app.warn(text + "; trying again in " + str(wait // 1000 + 1) + " s, then less often")
        return
    finally:
        sys.modules.pop("adafruit_ntp", None)  # used once an hour: give its heap back
    n.ntp_said = None
    n.ntp_backoff.reset()
    _set_clock(n, epoch_ms, server)
    n.sync_at = ticks_add(ticks_ms(), n.ntp_interval_ms)


def _set_clock(n, epoch_ms, server):
    import rtc
    import time
    from core.timefmt import civil_from_days

    secs = epoch_ms // 1000
    days = secs // 86400
    y, m, d = civil_from_days(days)
    rest = secs % 86400
    rtc.RTC().datetime = time.struct_time((y, m, d, rest // 3600, rest // 60 % 60, rest % 60,
                                           (days + 3) % 7, -1, -1))
    app = n.app
    first = not n.synced
    n.synced = True
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
