"""Boot: settings, saved settings, plugins and the observation's layout. Released after boot."""
import gc
import sys

from core import sdcard
from core.clip import clip
from core.observation import Section
from core.resolve import Resolver, load_saved, platform_getter
from core.timefmt import MODES


def boot(app):
    from core.app import VERSION
    from core.props import (CORE_PROPERTIES, FALLBACK_RESTORE, INTERVAL, PLUGINS, START_MESSAGES, STARTUP_DELAY,
                            WIFI, WIFI_ENABLED)

    app.info("SparkFun DataLogger IoT for CircuitPython " + VERSION)
    try:
        import microcontroller
        app.nvm = microcontroller.nvm
    except (ImportError, AttributeError):
        app.nvm = None
    getter = platform_getter()
    resolver = Resolver(app.settings, app.warn, getter=getter)
    sdcard.mount(resolver.peek)  # before saved settings: the card may hold them; outputs.sdcard reports trouble
    sections, where, seeded = load_saved(app.nvm, sdcard.ROOT if sdcard.mounted() else None, resolver.saved_say,
                                         resolver.peek(FALLBACK_RESTORE))
    chosen = startup_menu(app, _early(resolver, sections, STARTUP_DELAY))
    level = _early(resolver, sections, START_MESSAGES)
    if level != "Normal":  # Compact: only the first and the last line; Disabled: no [I] line until logging
        app.info = _quiet
    if "s" in chosen:
        sections, where, seeded = {}, "", False
    if seeded:
        app.info("Settings restored from " + sdcard.where(where))
    resolver.restore(sections, where)
    resolver.declare(CORE_PROPERTIES, "core.props")
    if "w" in chosen:
        app.settings.values[WIFI_ENABLED.key] = False
        app.settings.sources[WIFI_ENABLED.key] = "startup menu"
    _wifi_from_circuitpy(app, getter, WIFI)
    app.interval_ms = app.settings.get(INTERVAL)
    plugins = app.settings.get(PLUGINS)
    if "a" in chosen:
        plugins = ",".join([p for p in plugins.split(",") if not p.strip().startswith("sensors.")])
    released = load_plugins(app, resolver, plugins)
    # Each device parameter is a setting, on by default, as in the original's JSON file
    # ("BME280": {"Humidity": true}): Devices Settings, settings.toml (BME280_HUMIDITY = false) and
    # !json-settings switch it. A device's Props are made here, as its name may carry its address.
    from core.schema import BOOL, Prop
    for _, device in app.devices:
        section = device.section
        resolver.declare([Prop(section.name, param, BOOL, True, None) for param in section.params])
    resolver.report_unknown()
    count = 0  # the values restored: a secret written as "" (as the original writes them) is none
    secret = {}
    for prop in app.settings.props:
        if prop.secret:
            secret[prop.section + "/" + prop.name] = True
    for section in app.settings.saved:
        body = app.settings.saved[section]
        for name in body:
            if not (body[name] == "" and section + "/" + name in secret):
                count += 1
    if seeded and count:
        app.save_settings()
        app.info(where + ": " + str(count) + " value(s) restored and saved to NVM; after editing the file, "
                 "Restore from Fallback (Save Settings page) or !clear-settings and a restart read it again")
    elif seeded:
        app.warn(where + ": no value could be read; nothing saved, so the file is read again at the next start")
    elif resolver.dropped and where == "NVM settings":
        app.save_settings()
        app.info("NVM settings: " + str(resolver.dropped) + " value(s) that failed their check removed")
    _setup_observation(app)
    if level != "Normal":
        del app.info  # the class's own again
    if level != "Disabled":
        app.info("Logging every " + str(app.interval_ms) + " ms; quick commands: !help")
    app.settings.shed(CORE_PROPERTIES)  # their values stay; core/props.py gives them back on demand
    released.append("core.clip")  # loaded again if a message needs it
    return released


def _quiet(text):
    pass


def _early(resolver, sections, prop):
    """A setting needed before the settings are resolved: saved, else settings.toml, else the default."""
    raw = sections.get(prop.section, {}).get(prop.name)
    if raw is not None:
        from core.coerce import coerce
        try:
            return coerce(prop, raw)
        except ValueError:
            pass
    return resolver.peek(prop)


def startup_menu(app, delay_s):
    """The original's startup menu, for "Startup Delay" seconds: returns the keys chosen for this start
    ("a", "w", "s"; "" for a normal start). Skipped with a delay of 0 or nothing attached to the console."""
    import time

    import supervisor
    from adafruit_ticks import ticks_diff, ticks_ms

    runtime = supervisor.runtime
    if delay_s <= 0 or not runtime.serial_connected:
        return ""
    app.info("Startup menu (" + str(delay_s) + " s): n) normal start, a) no device auto-load, l) list the "
             "supported devices, w) no WiFi, s) no settings restore")
    start = ticks_ms()
    while ticks_diff(ticks_ms(), start) < delay_s * 1000:
        if not runtime.serial_bytes_available:
            time.sleep(0.01)
            continue
        try:
            key = sys.stdin.read(1).lower()
        except UnicodeError:
            continue
        if key == "l":
            from plugins.sensors.auto import KINDS  # released with the boot modules
            app.info("Supported devices: " + ", ".join([kind.upper() for kind in KINDS]))
            continue
        words = {"n": "normal start", "a": "no device auto-load", "w": "WiFi off", "s": "settings not restored"}
        if key in words:
            app.info("Startup: " + words[key] + " (this start only)")
            return "" if key == "n" else key
    return ""


def _wifi_from_circuitpy(app, getter, wifi):
    """CIRCUITPY_WIFI_SSID/PASSWORD are network 1 unless it is set explicitly; then they are tried
    before it (app.circuitpy_wifi)."""
    settings = app.settings
    ssid = getter("CIRCUITPY_WIFI_SSID") if getter else None
    if not ssid:
        return
    if settings.source(wifi[0].key) != "default":
        app.circuitpy_wifi = (str(ssid), str(getter("CIRCUITPY_WIFI_PASSWORD") or ""))
        return
    settings.values[wifi[0].key] = str(ssid)
    settings.sources[wifi[0].key] = "CIRCUITPY_WIFI_SSID"
    password = getter("CIRCUITPY_WIFI_PASSWORD")
    if password is not None:
        settings.values[wifi[1].key] = str(password)
        settings.sources[wifi[1].key] = "CIRCUITPY_WIFI_PASSWORD"


def load_plugins(app, resolver, spec):
    """Import each named plugin, so an unused one costs no memory; a broken one is named and skipped.

    Returns the modules whose work ended with setup (their devices keep what they need)."""
    from core.scheduler import Task

    released = []
    named = {}
    outputs = 0  # output plugins loaded
    wanted = 0  # output plugins named (counted before loading: a failed one is still named)
    for name in spec.split(","):
        name = name.strip()
        if not name:
            continue
        if name in named:
            app.warn("PLUGINS names " + clip(name) + " twice; loaded once")
            continue
        named[name] = True
        if name.startswith("outputs."):
            wanted += 1
        module_name = "plugins." + name
        try:
            if not _plain_name(name):
                raise ImportError("a plugin name is kind.name, e.g. sensors.auto")
            __import__(module_name)
            module = sys.modules[module_name]
            resolver.declare(getattr(module, "PROPERTIES", ()), module_name)
            plugin = module.setup(app)
        except ImportError as err:
            app.warn("plugin " + clip(name) + ": cannot load (" + clip(str(err), 100) + "); the others keep running")
            continue
        except Exception as err:  # a plugin's setup fault must not stop the logger
            app.warn("plugin " + clip(name) + ": setup failed (" + type(err).__name__ + ": " + clip(str(err), 100)
                     + "); the others keep running")
            continue
        app.info("plugin " + name + " ready")
        app.loaded.append(name)
        if name.startswith("outputs."):
            outputs += 1
        if plugin is None or isinstance(plugin, list):
            # A sensor plugin returns its devices: its own code is done.
            for device in plugin or ():
                app.devices.append((Task(device.section.name), device))
            released.append(module_name)
            continue
        app.plugins.append((name, plugin))
        if hasattr(plugin, "write"):
            app.outputs.append((Task(name), plugin))
        if hasattr(plugin, "poll"):
            app.pollers.append((Task(name), plugin))
    if not app.outputs:  # an output plugin whose format is Disabled returns None
        if not wanted:
            why = "no output plugin is loaded (PLUGINS needs outputs.serial or outputs.sdcard)"
        elif not outputs:
            why = "every output plugin named in PLUGINS failed to start"
        elif outputs < wanted:
            why = "every output plugin is Disabled or failed to start"
        else:
            why = "every output plugin is Disabled"
        app.warn(why + ": nothing will be recorded")
    gc.collect()
    return released


def _plain_name(name):
    parts = name.split(".")
    if len(parts) != 2:
        return False
    for part in parts:
        if not part:
            return False
        for ch in part:
            if not (ch.isalpha() or ch.isdigit() or ch == "_"):
                return False
    return True


def _setup_observation(app):
    from core import props as core
    from core.datefmt import COLUMNS, ZONED, date_text

    # Also run by the menu when a Logger setting changes: everything it sets is set afresh.
    settings = app.settings
    mode = settings.get(core.TIMESTAMP)
    app.time_mode = MODES.index(mode)
    app.entry_at = app.trigger_at = app.info_at = -1
    app.tz = None
    app._tz_key = None
    if app.time_mode in ZONED:
        from core.posixtz import PosixTZ
        try:
            app.tz = PosixTZ(settings.get(core.TIME_ZONE))
        except (ValueError, IndexError) as err:
            app.warn(core.TIME_ZONE.key + ": " + clip(str(err), 100) + "; using UTC")
            app.tz = PosixTZ("UTC0")
    if app.time_mode in (4, 5, 8, 9):
        app.date_text = date_text  # the module itself is released after boot
    if app.time_mode >= 2 and not app.wall.is_set():
        app.warn("the clock is not set (it reads " + app.wall.iso()[:10] + "): " + core.TIMESTAMP.key + " = \""
                 + mode + "\" writes wrong times until it is; \"" + MODES[1] + "\" needs no clock")
    # The original's General parameters, each switched by a Logger property, in its order.
    params = [COLUMNS[app.time_mode]] if app.time_mode else []
    fixed = {}
    if settings.get(core.NUMBERING):
        app.entry_at = len(params)
        params.append("Entry")
        app.increment = settings.get(core.INCREMENT)
    if settings.get(core.OUTPUT_ID):
        from core.app import board_id
        fixed[len(params)] = board_id()
        params.append("Board ID")
    if settings.get(core.OUTPUT_NAME):
        fixed[len(params)] = settings.get(core.BOARD_NAME)
        params.append("Board Name")
    if settings.get(core.SOURCE_NAME):
        app.trigger_at = len(params)
        params.append("Trigger")
    if settings.get(core.SYSTEM_INFO):
        app.info_at = len(params)
        params += ["Uptime (s)", "Heap Free"]
    app.general = Section("General", params)
    for i in fixed:
        app.general.values[i] = fixed[i]
    app.layout()
