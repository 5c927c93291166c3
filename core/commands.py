"""The quick commands ("!help" and friends), imported when the first one is typed.

As the original's: the guarded ones ask [y/n] first (their -forced forms do not); !json-settings reads a
settings document pasted at the console. Both read their answer through the console's claimant hook, a
few characters per loop, so logging never waits for them.
"""
import gc
import sys

from adafruit_ticks import ticks_diff, ticks_ms

ASK_MS = 30000  # a question unanswered this long is cancelled
PASTE_MS = 15000  # !json-settings gives up after this long without a character
DRAIN_MS = 1000  # the quiet that ends a section pasted without braces, or a refused paste


def run(app, name):
    name, _, arg = name.partition(" ")
    fn = COMMANDS.get(name)
    if fn is None:
        fn = app.commands.get(name)  # added by plugins: (function, help)
        fn = fn[0] if fn else None
    if fn is None:
        from core.clip import clip  # typed text may hold escape sequences and control bytes

        app.warn("unknown command !" + clip(name) + "; try !help")
        return
    app.info("!" + name + (" " + arg.strip() if arg.strip() and name == "settings" else ""))
    if name == "settings":
        fn(app, arg.strip())
    else:
        fn(app)


class _Claim:
    """Takes the console's characters until done; cancelled after `limit_ms` without one."""

    def __init__(self, app, limit_ms):
        from core.scheduler import Task

        self.app = app
        self.limit_ms = limit_ms
        self.last = ticks_ms()
        self.entry = (Task("quick command"), self)
        app.console.claimant = self
        app.pollers.append(self.entry)
        app.prepare()  # the loop calls the bound polls prepare() made

    def done(self):
        app = self.app
        if app.console.claimant is self:
            app.console.claimant = None
        app.pollers = [p for p in app.pollers if p is not self.entry]
        app.prepare()  # a new list: the loop may be in the old one

    def poll(self, now):
        if ticks_diff(ticks_ms(), self.last) > self.limit_ms:
            self.done()
            self.expired()

    def expired(self):
        pass


class Ask(_Claim):
    """"Question? [y/n]": y runs `then(app)`; n, ESC or ASK_MS without an answer cancel it."""

    def __init__(self, app, question, then):
        _Claim.__init__(self, app, ASK_MS)
        self.then = then
        app.info(question + " [y/n]")

    def claim(self, ch):
        if ch in "\r\n ":
            return True  # the Enter that ended the command (or a terminal's CR LF) is no answer
        self.done()
        if ch in "yY":
            self.then(self.app)
        else:
            self.app.info("cancelled")
        _release()
        return True

    def expired(self):
        self.app.info("no answer; cancelled")


class JsonReader(_Claim):
    """One JSON object in datalogger.json's shape, pasted at the console: it ends when the object closes
    (or PASTE_MS without a character); what is valid is applied and saved, a malformed one not at all.
    A section as the seed prints it, `"AWS IoT": {...},` without the braces around it, is taken too: it
    ends DRAIN_MS after its last character. After a refusal the rest of the paste is swallowed (until
    DRAIN_MS of quiet), so it never reaches the menu or the command line."""

    def __init__(self, app):
        from core.savedfile import MAX_FILE_BYTES

        _Claim.__init__(self, app, PASTE_MS)
        self.buf = bytearray()
        self.max = MAX_FILE_BYTES
        self.depth = 0
        self.quoted = False
        self.escaped = False
        self.bare = False  # a section without the braces around it: they are added
        self.draining = False  # refused: the paste's remaining characters are dropped
        app.info("!json-settings: paste one JSON settings object (as in datalogger.json, up to "
                 + str(MAX_FILE_BYTES) + " bytes); ESC cancels")

    def refuse(self, why):
        self.buf = bytearray()  # its heap back
        self.draining = True
        self.limit_ms = DRAIN_MS
        self.app.warn("!json-settings: " + why + "; nothing applied")

    def claim(self, ch):
        self.last = ticks_ms()
        if self.draining:
            return True
        if not self.buf:
            if ch in " \t\r\n":
                return True
            if ch == '"':
                self.bare = True
                self.buf.extend(b"{")
                self.depth = 1
                self.limit_ms = PASTE_MS
            elif ch != "{":
                self.refuse("cancelled" if ch == "\x1b" else "a settings document starts with { (or with a "
                            "section's name in quotes)")
                return True
        self.buf.extend(ch.encode())
        if len(self.buf) > self.max:
            self.refuse("longer than " + str(self.max) + " bytes")
            return True
        if self.quoted:
            if self.escaped:
                self.escaped = False
            elif ch == "\\":
                self.escaped = True
            elif ch == '"':
                self.quoted = False
        elif ch == '"':
            self.quoted = True
        elif ch == "{" or ch == "[":
            self.depth += 1
            self.limit_ms = PASTE_MS
        elif ch == "}" or ch == "]":
            self.depth -= 1
            if self.depth == 0:
                self.finish()
            elif self.depth == 1 and self.bare:
                self.limit_ms = DRAIN_MS  # a section closed: more may follow, else the paste is over
        elif ch == "\x1b":
            self.refuse("cancelled")
        return True

    def finish(self):
        self.done()
        text = bytes(self.buf)
        self.buf = bytearray()  # its heap back
        if self.bare:
            text = text.rstrip(b" \t\r\n,") + b"}"
        apply_document(self.app, text)
        _release()

    def expired(self):
        if self.draining:
            return
        if self.bare and self.depth == 1 and not self.quoted:
            self.finish()
            return
        self.app.warn("!json-settings: " + ("no document" if not self.buf else "the document did not close")
                      + " within " + str(self.limit_ms // 1000) + " s; nothing applied")


def _release():
    from core.app import USE_ONLY, release
    release(USE_ONLY)


def apply_document(app, data):
    from core import savedfile
    from core.clip import clip

    try:
        doc = savedfile.loads(data.decode("utf-8"))
    except (ValueError, UnicodeError) as err:
        app.warn("!json-settings: not valid JSON (" + clip(str(err), 60) + "); nothing applied")
        return
    if not isinstance(doc, dict):
        app.warn("!json-settings: not a JSON object; nothing applied")
        return
    for section in doc:
        if not isinstance(doc[section], dict):
            app.warn("!json-settings: \"" + clip(section) + "\" is not an object of properties; nothing applied")
            return
    count = savedfile.apply(app, doc, "!json-settings")
    app.info("!json-settings: " + str(count) + " value(s) applied")
    if count:
        savedfile.save(app)
        app.info("settings that are read at start (plugins, pins, services) take effect after !restart")


def _help(app):
    names = sorted(list(HELP) + list(app.commands))
    for name in names:
        app.info("  !" + name + " - " + (HELP.get(name) or app.commands[name][1]))


def _log_now(app):
    app.log_requested = True
    app.trigger = "Log Now"


def _log_rate(app):
    from core.props import RATE_METRIC
    if not app.settings.get(RATE_METRIC):
        app.info("Rate Metric is off (Logger page)")
        return
    scheduler = app.scheduler
    rate = scheduler.rate_mhz()
    app.info("Rate Metric: " + str(rate // 1000) + "." + str(1000 + rate % 1000)[1:] + " Hz; interval "
             + str(scheduler.interval_ms) + " ms; missed ticks " + str(scheduler.missed))


def _heap(app):
    gc.collect()
    app.info("heap free " + str(gc.mem_free()) + " bytes, used " + str(gc.mem_alloc()) + " bytes")


def _uptime(app):
    secs = app.uptime.epoch_ms() // 1000  # as of the last observation
    app.info("up " + str(secs // 86400) + " d " + str(secs // 3600 % 24) + " h " + str(secs // 60 % 60)
             + " min " + str(secs % 60) + " s; " + str(app.entry) + " observations")


def _devices(app):
    if not app.devices:
        app.info("no devices")
    for task, device in app.devices:
        state = "disabled" if task.disabled else "not answering" if getattr(device, "lost", False) else "ok"
        bad = getattr(device, "bad", 0)
        app.info("  " + device.section.name + " at " + hex(device.address) + ": " + state
                 + ("; " + str(bad) + " bad readings" if bad else ""))


def devices_scan(app):
    __import__("plugins.sensors.auto")
    try:
        sys.modules["plugins.sensors.auto"].rescan(app)
    finally:
        from core.app import release
        release(("plugins.sensors.auto",))


def _settings(app, arg=""):
    from core.clip import clip  # values come from files: escaped, and a huge one clipped

    settings = app.settings
    if arg == "json":
        from core import savedfile
        from core.console import out
        for line in savedfile.dump_json(savedfile.effective(app, "****"), settings.order()).split("\n"):
            if line:
                out.message(line)
        return
    for prop in settings.props:
        app.info("  " + prop.key + " = " + clip(settings.shown(prop, settings.get(prop)), 100) + "  ("
                 + settings.source(prop.key) + ")")
    if settings.values.get("AWS_IOT_ENABLED") is False:
        app.info("  (AWS IoT is off: MiniMQTT, the connection manager and NTP are not loaded)")


def _erase(app):
    from core import savedfile
    app.info(savedfile.clear(app))


def _clear_settings(app):
    Ask(app, "Clear the saved settings (NVM)?", _erase)


def _restart_now(app):
    app.info("Restarting")
    import supervisor
    supervisor.reload()


def _reset_now(app):
    _erase(app)
    _restart_now(app)


def _factory_now(app):
    import os

    from core import sdcard
    from core.savedfile import FILE
    try:
        os.remove(sdcard.ROOT + "/" + FILE)
        app.info(FILE + " removed from the card")
    except OSError:
        pass
    _reset_now(app)


def _save_settings(app):
    from core import savedfile
    savedfile.save(app)


def _json_settings(app):
    JsonReader(app)


def _version(app):
    from core.app import VERSION
    app.info("DataLogger IoT for CircuitPython " + VERSION + " on " + sys.implementation.name)


def _device_id(app):
    from core.app import board_id
    app.info("Device ID: " + board_id())


def _systime(app):
    from core.props import TIMESTAMP
    wall = app.wall
    app.info("System time: " + wall.iso() + (" (clock not set)" if not wall.is_set() else "") + "; Timestamp Mode: "
             + app.settings.get(TIMESTAMP))


def _sdcard(app):
    import os

    from core import sdcard
    if not sdcard.mounted():
        app.info("SD card: none mounted")
        return
    try:
        st = os.statvfs(sdcard.ROOT)
    except OSError as err:
        app.warn("SD card: " + sdcard.why(err))
        return
    total = st[0] * st[2] // 1048576
    free = st[0] * st[3] // 1048576
    app.info("SD card: " + str(total) + " MB, " + str(total - free) + " MB used, " + str(free) + " MB free")


def _wifi(app):
    net = sys.modules.get("core.net")  # loaded by a plugin that needs the network
    n = net._net if net is not None else None
    if n is None:
        app.info("WiFi: not started (no plugin needs it)")
    elif n.up:
        app.info("WiFi: joined \"" + n.ssid + "\"")
    else:
        app.info("WiFi: not connected" + ("" if n.enabled else " (WiFi Network/Enabled is off)"))


def _about(app):
    from core.app import VERSION
    from core.props import BOARD_NAME, INTERVAL
    settings = app.settings
    _version(app)
    app.info("Board Name: " + settings.get(BOARD_NAME))
    _device_id(app)
    _uptime(app)
    _systime(app)
    _sdcard(app)
    app.info("Logging every " + str(settings.get(INTERVAL)) + " ms; plugins: "
             + ", ".join(app.loaded))
    _devices(app)
    _heap(app)


def reset_counter(app):
    """The Logger's Reset Sample Counter: the next observation's Entry is 1."""
    app.sample = 1
    return "Sample counter reset: the next Entry is 1"


def _asking(question, fn):
    return lambda app: Ask(app, question, fn)


COMMANDS = {"help": _help, "log-now": _log_now, "log-rate": _log_rate, "heap": _heap, "uptime": _uptime,
            "devices": _devices, "devices scan": devices_scan, "settings": _settings, "clear-settings": _clear_settings,
            "clear-settings-forced": _erase, "version": _version, "about": _about, "device-id": _device_id,
            "systime": _systime, "sdcard": _sdcard, "wifi": _wifi, "save-settings": _save_settings,
            "json-settings": _json_settings, "restart": _asking("Restart the device?", _restart_now),
            "restart-forced": _restart_now,
            "reset-device": _asking("Erase the saved settings and restart?", _reset_now),
            "reset-device-forced": _reset_now,
            "factory-reset": _asking("Factory reset: erase the saved settings and sd/datalogger.json, and restart?",
                                     _factory_now)}
HELP = {"help": "list the quick commands", "log-now": "take an observation now",
        "log-rate": "measured log rate and missed ticks", "heap": "free and used heap",
        "uptime": "time since start", "devices": "devices found", "devices scan": "scan the I2C bus again",
        "settings": "every setting, its value and where it came from (!settings json: as datalogger.json)",
        "clear-settings": "erase the saved settings (NVM), after y/n", "clear-settings-forced": "the same, no prompt",
        "version": "firmware version", "about": "the system's about page", "device-id": "this board's ID",
        "systime": "the system time", "sdcard": "SD card size and free space", "wifi": "WiFi state",
        "save-settings": "save the settings to the NVM", "json-settings": "paste a datalogger.json settings "
        "document: applied and saved", "restart": "restart, after y/n", "restart-forced": "restart, no prompt",
        "reset-device": "erase the saved settings and restart, after y/n", "reset-device-forced": "the same, "
        "no prompt", "factory-reset": "erase the saved settings and the card's datalogger.json and restart, "
        "after y/n"}
