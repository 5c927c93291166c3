# The logger: boot (core/boot.py, released afterwards), then the cooperative loop until Ctrl-C.
import gc
import sys
import time

from core import pins
from core.console import FIFO_BYTES, Console, out
from core.observation import Observation, Section
from core.scheduler import TICKS_HALF, TICKS_MAX, Scheduler
from core.schema import BOOL, INT, STR, Action, Prop
from core.settings import Settings
from core.timefmt import MODES, WallClock
from adafruit_ticks import ticks_diff, ticks_ms

VERSION = "0.1.0"
MISSED_REPORT_MS = 10000
RESTART_DELAY_S = 5
DEFAULT_PLUGINS = "sensors.auto, outputs.serial, outputs.sdcard, iot.aws, ui.menu"
# Boot-only modules, dropped after boot so their code gives its heap back.
BOOT_ONLY = ("core.boot", "core.resolve", "core.coerce", "core.tomlenv", "core.savedfile", "core.datefmt")
# Modules a rare action loads (a quick command, a settings save), dropped again once it is done.
USE_ONLY = ("core.commands", "core.savedfile", "core.clip", "core.coerce", "core.datefmt")

PLUGINS = Prop("Application Settings", "Plugins", STR, DEFAULT_PLUGINS,
               "Plugins to load, comma-separated (kind.name)", key="PLUGINS")
INTERVAL = Prop("Logging Timer", "Interval", INT, 15000, "Log interval in ms", low=10, high=86400000)
# The original's Logger page (its default mode is No Timestamp, Sample Numbering and Output Name off: ours
# are ISO8601, on and on, as the README says; a logger's lines are of little use without time and order).
TIMESTAMP = Prop("Logger", "Timestamp Mode", STR, "ISO8601 Timestamp", "Format of General.Time", choices=MODES)
NUMBERING = Prop("Logger", "Sample Numbering", BOOL, True, "Add the sample number (General.Entry)")
INCREMENT = Prop("Logger", "Numbering Increment", INT, 1, "Step of the sample number", low=1, high=10000)
OUTPUT_ID = Prop("Logger", "Output ID", BOOL, False, "Add the board ID (General.Board ID)")
OUTPUT_NAME = Prop("Logger", "Output Name", BOOL, True, "Add the board name (General.Board Name)")
RATE_METRIC = Prop("Logger", "Rate Metric", BOOL, True, "Measure the log rate (!log-rate)")
SOURCE_NAME = Prop("Logger", "Output Source Name", BOOL, False, "Add what triggered the log (General.Trigger)")
SYSTEM_INFO = Prop("Logger", "System Info", BOOL, False, "Add uptime and free heap to each observation")
RESET_COUNTER = Action("Logger", "Reset Sample Counter", "Start the sample number again at 1",
                       "core.commands:reset_counter")
# The original's Application Settings page.
LED_ENABLED = Prop("Application Settings", "LED Enabled", BOOL, True, "Use the status LED")
MENU_TIMEOUT = Prop("Application Settings", "Menu Timeout", INT, 60, "Seconds without a key before the menu "
                    "goes back (as ESC)", low=10, high=3600)
COLOR_OUTPUT = Prop("Application Settings", "Color Output", BOOL, True, "Use colour in the menu")
BOARD_NAME = Prop("Application Settings", "Board Name", STR, "DataLogger IoT", "Name of this board")
START_MESSAGES = Prop("Application Settings", "Start Messages", STR, "Normal", "Messages at startup",
                      choices=("Normal", "Compact", "Disabled"))
STARTUP_DELAY = Prop("Application Settings", "Startup Delay", INT, 0, "Seconds the startup menu waits for a key "
                     "(0: no startup menu)", low=0, high=60)
DEVICE_NAMES = Prop("Application Settings", "Device Names", BOOL, False, "Name devices with their address "
                    "(BME280 [x77])")
VERBOSE = Prop("Application Settings", "Verbose Messages", BOOL, False, "More messages on the console")
TIME_ZONE = Prop("Time Setup", "Time Zone", STR, "MST7MDT,M3.2.0,M11.1.0", "POSIX TZ string for ISO8601+TZ")
FALLBACK_RESTORE = Prop("Save Settings", "Fallback Restore", BOOL, True,
                        "Seed saved settings from sd/datalogger.json when the NVM has none")
FALLBACK_SAVE = Prop("Save Settings", "Fallback Save", BOOL, False,
                     "Also write sd/datalogger.json on every save")
FALLBACK_SECRETS = Prop("Save Settings", "Secrets in Fallback", BOOL, False, "Write passwords and keys into "
                        "sd/datalogger.json (anyone holding the card can read them)")
SAVE_ACTIONS = (Action("Save Settings", "Save to Persistent", "Save the settings to the NVM",
                       "core.savedfile:save_persistent"),
                Action("Save Settings", "Save to Fallback", "Write every setting to sd/datalogger.json",
                       "core.savedfile:save_fallback"),
                Action("Save Settings", "Restore from Fallback", "Read sd/datalogger.json and save it",
                       "core.savedfile:restore_fallback"),
                Action("Save Settings", "Clear saved settings", "Erase the NVM settings (the next start "
                       "reads sd/datalogger.json if Fallback Restore is on)", "core.savedfile:clear"))
# The original's "WiFi Network" section: Enabled, then up to 4 networks tried in order. Its keys are
# spelt shorter than section + property would give (WIFI_NETWORK_NETWORK_NAME).
WIFI_ENABLED = Prop("WiFi Network", "Enabled", BOOL, True, "Join a WiFi network when a service needs one",
                    key="WIFI_ENABLED")
WIFI = [Prop("WiFi Network", "Network Name", STR, "", "SSID of the WiFi network", key="WIFI_NETWORK_NAME"),
        Prop("WiFi Network", "Password", STR, "", "Password of the WiFi network", secret=True, key="WIFI_PASSWORD")]
for _n in ("2", "3", "4"):
    WIFI.append(Prop("WiFi Network", "Network " + _n + " Name", STR, "", "Alternative network " + _n + " SSID",
                     key="WIFI_NETWORK_" + _n + "_NAME"))
    WIFI.append(Prop("WiFi Network", "Network " + _n + " Password", STR, "", "Alternative network " + _n
                     + " password", secret=True, key="WIFI_NETWORK_" + _n + "_PASSWORD"))
# The original's NTP Client section; used once an IoT plugin brings up the network (core/net.py).
NTP = (Prop("NTP Client", "Enabled", BOOL, True, "Set the clock from NTP once joined"),
       Prop("NTP Client", "NTP Server One", STR, "pool.ntp.org", "Primary NTP server (name[:port])"),
       Prop("NTP Client", "NTP Server Two", STR, "time.nist.gov", "Secondary NTP server (name[:port])"),
       Prop("NTP Client", "Update Interval", INT, 3600, "Seconds between clock updates", low=60, high=86400))
CORE_PROPERTIES = ([PLUGINS, LED_ENABLED, MENU_TIMEOUT, COLOR_OUTPUT, BOARD_NAME, START_MESSAGES, STARTUP_DELAY,
                    DEVICE_NAMES, VERBOSE, INTERVAL, TIMESTAMP, NUMBERING, INCREMENT, OUTPUT_ID, OUTPUT_NAME,
                    RATE_METRIC, SOURCE_NAME, SYSTEM_INFO, RESET_COUNTER, TIME_ZONE, FALLBACK_RESTORE, FALLBACK_SAVE,
                    FALLBACK_SECRETS] + list(SAVE_ACTIONS) + [WIFI_ENABLED] + WIFI + list(NTP)
                   + list(pins.PROPERTIES))


# The tick clock: integer ms that never allocate (monotonic() is a 32-bit float on the board
# and loses ms after hours; monotonic_ns() is a long int that allocates on every read).
now_ms = ticks_ms


def board_id():
    # The chip's unique ID in hex, as the original's Board ID.
    try:
        import microcontroller
        return "".join(["%02X" % b for b in microcontroller.cpu.uid])
    except (ImportError, AttributeError):
        return ""


def _no_date(mode, day, ms, offset_s):
    return ""


def release(names):
    # Forget modules so their code can be collected (they must hold nothing still in use).
    for name in names:
        sys.modules.pop(name, None)
        package, _, leaf = name.rpartition(".")
        parent = sys.modules.get(package)
        if parent is not None and leaf in parent.__dict__:
            delattr(parent, leaf)
    gc.collect()


class App:
    def __init__(self):
        self.entry = 0  # observations taken
        self.sample = 1  # the next General.Entry (Sample Numbering; Reset Sample Counter sets it to 1)
        self.increment = 1
        self.entry_at = -1  # where Entry, Trigger and the system info sit in General's values (-1: absent)
        self.trigger_at = -1
        self.info_at = -1
        self.trigger = "Logging Timer"
        self.log_requested = False
        self.settings = Settings()
        self.commands = {}  # quick commands added by plugins: name -> (function(app), help)
        self.plugins = []  # (name, object) in load order
        self.devices = []  # (Task, device)
        self.outputs = []  # (Task, output)
        self.pollers = []  # (Task, object with poll(now))
        self._reads = self._writes = self._polls = []  # made from those three by prepare()
        self.last_ms = now_ms()
        self.wall = WallClock(int(time.time()) * 1000)  # the RTC's time, advanced by ticks
        self.uptime = WallClock(0)
        self._tz_key = None
        self._tz_offset = 0
        self.interval_ms = INTERVAL.default
        self.time_mode = MODES.index(TIMESTAMP.default)
        self.tz = None
        self.date_text = _no_date  # core.datefmt.date_text for modes 4, 5, 8 and 9, set at boot
        self.nvm = None
        self.circuitpy_wifi = None  # (ssid, password) tried before WiFi network 1 (core/boot.py)
        self.console = Console(self)
        self.general = Section("General", ())  # laid out at boot
        self.observation = Observation([])

    # Messages start with "[", so data lines and messages are easy to tell apart.
    # Through core.console's `out`: a console nobody reads never holds up logging.
    def info(self, text):
        out.line("[I] " + text, FIFO_BYTES)

    def warn(self, text):
        out.line("[W] " + text, FIFO_BYTES)

    def boot(self):
        from core import boot
        released = boot.boot(self)
        release(BOOT_ONLY + tuple(released))
        self.scheduler = Scheduler(now_ms, self.warn, self.interval_ms)
        self.prepare()

    def timestamp(self):
        mode = self.time_mode
        wall = self.wall
        if mode == 1:
            return self.uptime.epoch_ms()
        if mode == 2:
            return wall.epoch_ms() // 1000
        if mode == 3:
            return wall.epoch_ms()
        offset = None
        if self.tz is not None:
            key = wall.day * 1440 + wall.ms // 60000  # the zone's offset is looked up once a minute
            if key != self._tz_key:
                self._tz_key = key
                self._tz_offset = self.tz.utc_offset(wall.epoch_ms() // 1000)
            offset = self._tz_offset
        if mode == 6 or mode == 7:
            return wall.iso(offset)
        return self.date_text(mode, wall.day, wall.ms, offset)  # core.datefmt's, set at boot

    def prepare(self):
        # The calls of a log cycle and of the loop, bound once: a bound method looked up each
        # cycle is made anew each time. Called by boot() and run(); again after changing
        # devices, outputs or pollers.
        self._reads = [(task, device.read, device.section.clear) for task, device in self.devices]
        self._writes = [(task, output.write, None) for task, output in self.outputs]
        self._polls = [(task, plugin.poll, None) for task, plugin in self.pollers]

    def log(self, now):
        # Take one observation and hand it to every output.
        entry = self.entry + 1
        self.entry = entry
        # ticks_diff(now, self.last_ms), inlined with the scheduler's numbers: logs are at most a
        # day apart, well inside its range
        step = ((now - self.last_ms + TICKS_HALF) & TICKS_MAX) - TICKS_HALF
        self.last_ms = now
        wall = self.wall
        wall.advance(step)
        self.uptime.advance(step)
        values = self.general.values
        mode = self.time_mode
        if mode:
            values[0] = wall.iso() if mode == 6 else self.timestamp()
        if self.entry_at >= 0:
            values[self.entry_at] = self.sample
            self.sample += self.increment
        if self.trigger_at >= 0:
            values[self.trigger_at] = self.trigger
            self.trigger = "Logging Timer"
        if self.info_at >= 0:
            values[self.info_at] = self.uptime.epoch_ms() // 1000
            values[self.info_at + 1] = gc.mem_free()
        scheduler = self.scheduler
        # Each call starts where the last one ended: one clock read per call.
        start = scheduler.call_each(self._reads, now, now)
        self.observation.changed()
        scheduler.call_each(self._writes, self.observation, start)

    def run(self):
        self.prepare()
        scheduler = self.scheduler
        console = self.console
        said_at = 0  # the log count at the last missed-tick report: counts, unlike ticks, never wrap
        report_every = MISSED_REPORT_MS // self.interval_ms + 1
        last = now_ms()  # when the last observation was taken
        gap = 0  # the longest time between two observations since the last missed-tick report
        took = 0  # how long the last pass of the loop that took an observation lasted
        while True:
            now = now_ms()
            logged = scheduler.due(now) or self.log_requested
            if logged:
                self.log_requested = False
                self.log(now)
                step = ticks_diff(now, last)
                last = now
                if step > gap:
                    gap = step
            console.poll()
            if self._polls:
                scheduler.call_each(self._polls, now, now_ms())
            end = now_ms()
            if logged:
                cycle = ticks_diff(end, now)
                # Missed ticks are told at once, then at most every MISSED_REPORT_MS: heard, not flooding.
                if scheduler.missed != scheduler.reported_missed and (
                        scheduler.reported_missed == 0 or scheduler.ticks - said_at >= report_every):
                    said_at = scheduler.ticks
                    from core.missed import words  # loaded at the first missed tick, then kept
                    self.warn(words(scheduler, cycle if cycle < took else took, gap))
                    gap = 0
                took = cycle
            wait = scheduler.wait_ms(end)
            if wait > 0:
                time.sleep((wait if wait < 10 else 10) / 1000)

    def close(self):
        for name, plugin in self.plugins:
            if hasattr(plugin, "close"):
                try:
                    plugin.close()
                except Exception as err:  # closing the rest matters more
                    self.warn("plugin %s: close failed (%s)" % (name, err))

    def save_settings(self):
        from core import savedfile  # released after boot; loaded again when a save is asked for
        try:
            return savedfile.save(self)
        finally:
            release(USE_ONLY)  # a save is rare: its ~6 KB of code is not kept


def main():
    app = App()
    crash = None
    try:
        app.boot()
        app.run()
    except KeyboardInterrupt:  # Ctrl-C on the board; --seconds on the host
        pass
    except Exception as err:  # a fault in the core itself (a plugin's is isolated): never stay down
        crash = err
    finally:
        app.close()
    if crash is None:
        app.info("Stopped; files closed")
        return
    import traceback
    traceback.print_exception(crash)
    app.warn("stopped by %s: %s; files closed; restarting in %d s" % (type(crash).__name__, crash, RESTART_DELAY_S))
    time.sleep(RESTART_DELAY_S)  # a fault at boot must not become a tight restart loop
    import supervisor
    supervisor.reload()
