"""The logger: boot (settings, plugins), then the cooperative loop until Ctrl-C."""
import gc
import sys
import time

from core import pins, sdcard
from core.console import Console
from core.observation import Observation, Section
from core.scheduler import Scheduler, Task
from core.schema import BOOL, INT, STR, Prop
from core.settings import Settings, load_saved, platform_getter
from core.timefmt import MODES, PosixTZ, iso8601

VERSION = "0.1.0"
BOARD_NAME = "DataLogger IoT"
DEFAULT_PLUGINS = "sensors.auto, outputs.serial, outputs.sdcard"

PLUGINS = Prop("Application Settings", "Plugins", STR, DEFAULT_PLUGINS,
               "Plugins to load, comma-separated (kind.name)", key="PLUGINS")
INTERVAL = Prop("Logging Timer", "Interval", INT, 15000, "Log interval in ms", low=10, high=86400000)
TIMESTAMP = Prop("Logger", "Timestamp Mode", STR, "ISO8601", "Format of General.Time", choices=MODES)
TIME_ZONE = Prop("Time Setup", "Time Zone", STR, "MST7MDT,M3.2.0,M11.1.0", "POSIX TZ string for ISO8601+TZ")
FALLBACK_RESTORE = Prop("Save Settings", "Fallback Restore", BOOL, True,
                        "Seed saved settings from sd/datalogger.json when the NVM has none")
WIFI = []
for _n in range(1, 5):
    _section = "WiFi Network" if _n == 1 else "WiFi Network " + str(_n)
    WIFI.append(Prop(_section, "SSID", STR, "", "Network name " + str(_n)))
    WIFI.append(Prop(_section, "Password", STR, "", "Network password " + str(_n), secret=True))
CORE_PROPERTIES = [PLUGINS, INTERVAL, TIMESTAMP, TIME_ZONE, FALLBACK_RESTORE] + WIFI + list(pins.PROPERTIES)


def now_ms():
    # Integer ms: time.monotonic() is a 32-bit float on the board and loses ms after hours.
    return time.monotonic_ns() // 1000000


class App:
    def __init__(self):
        self.entry = 0
        self.log_requested = False
        self.plugins = []  # (name, object) in load order
        self.devices = []  # (Task, device)
        self.outputs = []  # (Task, output)
        self.pollers = []  # (Task, object with poll(now))
        self.started_ms = now_ms()
        self.epoch_base_ms = int(time.time()) * 1000 - self.started_ms
        self.nvm = None

    # -- messages: every line starts with "[", so data lines and messages are easy to tell apart
    def info(self, text):
        print("[I] " + text)

    def warn(self, text):
        print("[W] " + text)

    def boot(self):
        self.info("SparkFun DataLogger IoT for CircuitPython " + VERSION)
        try:
            import microcontroller
            self.nvm = microcontroller.nvm
        except (ImportError, AttributeError):
            self.nvm = None
        settings = Settings(self.warn, getter=platform_getter())
        self.settings = settings
        sdcard.mount(settings.peek)  # before saved settings: the card may hold them; outputs.sdcard reports trouble
        fallback = settings.peek(FALLBACK_RESTORE)
        sections, where, seeded = load_saved(self.nvm, sdcard.ROOT if sdcard.mounted() else None,
                                             self.warn, fallback)
        settings.restore(sections, where)
        settings.declare(CORE_PROPERTIES)
        self._wifi_from_circuitpy()
        self.console = Console(self)
        self._add_commands()
        self.load_plugins(settings.get(PLUGINS))
        settings.report_unknown()
        if seeded:
            self.save_settings()
        self._setup_observation()
        self.scheduler = Scheduler(now_ms, self.warn, settings.get(INTERVAL))
        self.info("Logging every " + str(settings.get(INTERVAL)) + " ms; quick commands: !help")

    def _wifi_from_circuitpy(self):
        """CIRCUITPY_WIFI_SSID/PASSWORD are the first network unless WiFi 1 is set explicitly."""
        settings = self.settings
        if settings.sources[WIFI[0].key] != "default":
            return
        getter = platform_getter()
        ssid = getter("CIRCUITPY_WIFI_SSID") if getter else None
        if ssid:
            settings.values[WIFI[0].key] = str(ssid)
            settings.sources[WIFI[0].key] = "CIRCUITPY_WIFI_SSID"
            password = getter("CIRCUITPY_WIFI_PASSWORD")
            if password is not None:
                settings.values[WIFI[1].key] = str(password)
                settings.sources[WIFI[1].key] = "CIRCUITPY_WIFI_PASSWORD"

    def load_plugins(self, spec):
        """Import each named plugin, so an unused one costs no memory; a broken one is named and skipped."""
        for name in spec.split(","):
            name = name.strip()
            if not name:
                continue
            module_name = "plugins." + name
            try:
                if not _plain_name(name):
                    raise ImportError("a plugin name is kind.name, e.g. sensors.auto")
                __import__(module_name)
                module = sys.modules[module_name]
                self.settings.declare(getattr(module, "PROPERTIES", ()))
                plugin = module.setup(self)
            except ImportError as err:
                self.warn("plugin " + name + ": cannot load (" + str(err) + "); the others keep running")
                continue
            except Exception as err:  # a plugin's setup fault must not stop the logger
                self.warn("plugin " + name + ": setup failed (" + type(err).__name__ + ": " + str(err)
                          + "); the others keep running")
                continue
            if plugin is None:
                continue
            self.plugins.append((name, plugin))
            for device in getattr(plugin, "devices", ()):
                self.devices.append((Task(device.section.name), device))
            if hasattr(plugin, "write"):
                self.outputs.append((Task(name), plugin))
            if hasattr(plugin, "poll"):
                self.pollers.append((Task(name), plugin))
            self.info("plugin " + name + " ready")
        gc.collect()

    def _setup_observation(self):
        mode = self.settings.get(TIMESTAMP)
        self.time_mode = MODES.index(mode)
        self.tz = PosixTZ("UTC0")
        if mode == "ISO8601+TZ":
            try:
                self.tz = PosixTZ(self.settings.get(TIME_ZONE))
            except (ValueError, IndexError) as err:
                self.warn(TIME_ZONE.key + ": " + str(err) + "; using UTC")
        params = ["Entry", "Board Name"] if mode == "none" else ["Time", "Entry", "Board Name"]
        self.general = Section("General", params)
        self.general.values[-1] = BOARD_NAME
        self.observation = Observation([self.general] + [d.section for _, d in self.devices])

    def timestamp(self, now):
        mode = self.time_mode
        if mode == 1:
            return now - self.started_ms
        epoch_ms = self.epoch_base_ms + now
        if mode == 2:
            return epoch_ms // 1000
        if mode == 3:
            return epoch_ms
        if mode == 4:
            return iso8601(epoch_ms)
        return iso8601(epoch_ms, self.tz.utc_offset(epoch_ms // 1000))

    def log(self, now):
        """Take one observation and hand it to every output."""
        self.entry += 1
        values = self.general.values
        if self.time_mode:
            values[0] = self.timestamp(now)
            values[1] = self.entry
        else:
            values[0] = self.entry
        scheduler = self.scheduler
        for task, device in self.devices:
            if not scheduler.call(task, device.read, now):
                device.section.clear()
        observation = self.observation
        observation.changed()
        for task, output in self.outputs:
            scheduler.call(task, output.write, observation)

    def run(self):
        scheduler = self.scheduler
        console = self.console
        while True:
            now = now_ms()
            if scheduler.due(now) or self.log_requested:
                self.log_requested = False
                self.log(now)
                missed = scheduler.new_missed()
                if missed:
                    self.warn("missed " + str(missed) + " log tick(s) (" + str(scheduler.missed)
                              + " in all): the interval is shorter than a log cycle")
            console.poll()
            for task, plugin in self.pollers:
                scheduler.call(task, plugin.poll, now)
            wait = scheduler.wait_ms(now_ms())
            if wait > 0:
                time.sleep((wait if wait < 10 else 10) / 1000)

    def close(self):
        for name, plugin in self.plugins:
            if hasattr(plugin, "close"):
                try:
                    plugin.close()
                except Exception as err:  # closing the rest matters more
                    self.warn("plugin " + name + ": close failed (" + str(err) + ")")

    def save_settings(self):
        """Write the saved settings to the NVM image (8 KiB, rewritten whole: only on change)."""
        if self.nvm is None:
            self.warn("no NVM on this board; settings not saved")
            return False
        from core import savedfile
        payload = savedfile.dump_json(self.settings.to_sections(), self.settings.order()).encode("utf-8")
        image = savedfile.nvm_image(payload)
        if len(image) > len(self.nvm):
            self.warn("settings need " + str(len(image)) + " bytes; the NVM has " + str(len(self.nvm)))
            return False
        self.nvm[0:len(image)] = image
        self.info("Settings saved to NVM (" + str(len(image)) + " bytes)")
        return True

    def _add_commands(self):
        add = self.console.add
        add("help", _cmd_help, "list the quick commands")
        add("log-now", _cmd_log_now, "take an observation now")
        add("log-rate", _cmd_log_rate, "measured log rate and missed ticks")
        add("heap", _cmd_heap, "free and used heap")
        add("uptime", _cmd_uptime, "time since start")
        add("devices", _cmd_devices, "devices found")
        add("settings", _cmd_settings, "every setting, its value and where it came from")
        add("clear-settings", _cmd_clear_settings, "forget the saved settings (NVM)")
        add("version", _cmd_version, "firmware version")


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


def _cmd_help(app):
    for name in sorted(app.console.commands):
        app.info("  !" + name + " - " + app.console.commands[name][1])


def _cmd_log_now(app):
    app.log_requested = True


def _cmd_log_rate(app):
    rate = app.scheduler.rate_mhz()
    app.info("Rate Metric: " + str(rate // 1000) + "." + str(1000 + rate % 1000)[1:] + " Hz; interval "
             + str(app.scheduler.interval_ms) + " ms; missed ticks " + str(app.scheduler.missed))


def _cmd_heap(app):
    gc.collect()
    app.info("heap free " + str(gc.mem_free()) + " bytes, used " + str(gc.mem_alloc()) + " bytes")


def _cmd_uptime(app):
    secs = (now_ms() - app.started_ms) // 1000
    app.info("up " + str(secs // 86400) + " d " + str(secs // 3600 % 24) + " h " + str(secs // 60 % 60)
             + " min " + str(secs % 60) + " s; " + str(app.entry) + " observations")


def _cmd_devices(app):
    if not app.devices:
        app.info("no devices")
    for task, device in app.devices:
        state = "disabled" if task.disabled else "ok"
        app.info("  " + device.section.name + " at " + hex(device.address) + ": " + state)


def _cmd_settings(app):
    settings = app.settings
    for prop in settings.props:
        app.info("  " + prop.key + " = " + settings.shown(prop, settings.get(prop)) + "  (" + settings.sources[prop.key] + ")")


def _cmd_clear_settings(app):
    if app.nvm is not None:
        app.nvm[0:4] = b"\xff\xff\xff\xff"
    app.info("Saved settings cleared; settings.toml and defaults apply after a restart")


def _cmd_version(app):
    app.info("DataLogger IoT for CircuitPython " + VERSION + " on " + sys.implementation.name)


def main():
    app = App()
    try:
        app.boot()
        app.run()
    except KeyboardInterrupt:  # Ctrl-C on the board; --seconds on the host
        pass
    finally:
        app.close()
    app.info("Stopped; files closed")
