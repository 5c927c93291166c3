"""The quick commands ("!help" and friends), imported when the first one is typed."""
import gc
import sys


def run(app, name):
    fn = COMMANDS.get(name)
    if fn is None:
        fn = app.commands.get(name)  # added by plugins: (function, help)
        fn = fn[0] if fn else None
    if fn is None:
        from core.clip import clip  # typed text may hold escape sequences and control bytes

        app.warn("unknown command !" + clip(name) + "; try !help")
        return
    app.info("!" + name)
    fn(app)


def _help(app):
    names = sorted(list(HELP) + list(app.commands))
    for name in names:
        app.info("  !" + name + " - " + (HELP.get(name) or app.commands[name][1]))


def _log_now(app):
    app.log_requested = True


def _log_rate(app):
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


def _devices_scan(app):
    __import__("plugins.sensors.auto")
    try:
        sys.modules["plugins.sensors.auto"].rescan(app)
    finally:
        from core.app import release
        release(("plugins.sensors.auto",))


def _settings(app):
    from core.clip import clip  # values come from files: escaped, and a huge one clipped

    settings = app.settings
    for prop in settings.props:
        app.info("  " + prop.key + " = " + clip(settings.shown(prop, settings.get(prop)), 100) + "  ("
                 + settings.sources[prop.key] + ")")
    if settings.values.get("AWS_IOT_ENABLED") is False:
        app.info("  (AWS IoT is off: MiniMQTT, the connection manager and NTP are not loaded)")


def _clear_settings(app):
    if app.nvm is None:
        app.warn("no NVM on this board")
        return
    from core import savedfile
    image = savedfile.nvm_image(b"{}")  # "no saved settings", not "empty": the card is not read again
    app.nvm[0:len(app.nvm)] = image + b"\xff" * (len(app.nvm) - len(image))  # one write; no old secret left
    app.info("Saved settings cleared: settings.toml and the defaults apply from the next start")


def _version(app):
    from core.app import VERSION
    app.info("DataLogger IoT for CircuitPython " + VERSION + " on " + sys.implementation.name)


COMMANDS = {"help": _help, "log-now": _log_now, "log-rate": _log_rate, "heap": _heap, "uptime": _uptime,
            "devices": _devices, "devices scan": _devices_scan, "settings": _settings,
            "clear-settings": _clear_settings, "version": _version}
HELP = {"help": "list the quick commands", "log-now": "take an observation now",
        "log-rate": "measured log rate and missed ticks", "heap": "free and used heap",
        "uptime": "time since start", "devices": "devices found",
        "devices scan": "scan the I2C bus again",
        "settings": "every setting, its value and where it came from",
        "clear-settings": "forget the saved settings (NVM)", "version": "firmware version"}
