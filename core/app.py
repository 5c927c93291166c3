# The logger: boot (core/boot.py, released afterwards), then the cooperative loop until Ctrl-C.
import gc
import sys
import time

from core.console import FIFO_BYTES, Console, out
from core.observation import Observation, Section
from core.scheduler import TICKS_HALF, TICKS_MAX, Scheduler
from core.settings import Settings
from core.timefmt import MODES, WallClock
from adafruit_ticks import ticks_diff, ticks_ms

VERSION = "0.1.0"
MISSED_REPORT_MS = 10000
RESTART_DELAY_S = 5
# Boot-only modules, dropped after boot so their code gives its heap back.
BOOT_ONLY = ("core.boot", "core.resolve", "core.coerce", "core.tomlenv", "core.savedfile", "core.datefmt",
             "core.props")
# Modules a rare action loads (a quick command, a settings save), dropped again once it is done.
USE_ONLY = ("core.commands", "core.savedfile", "core.clip", "core.coerce", "core.datefmt", "core.props", "core.live")


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
        self.plugins = []  # (name, object) in load order, of those that stay loaded
        self.loaded = []  # every plugin's name that loaded, in order (some are released after setup)
        self.devices = []  # (Task, device)
        self.outputs = []  # (Task, output)
        self.pollers = []  # (Task, object with poll(now))
        self._reads = self._writes = self._polls = []  # made from those three by prepare()
        self.last_ms = now_ms()
        self.wall = WallClock(int(time.time()) * 1000)  # the RTC's time, advanced by ticks
        self.uptime = WallClock(0)
        self._tz_key = None
        self._tz_offset = 0
        from core.props import INTERVAL, TIMESTAMP  # released after boot (BOOT_ONLY)
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
        # As the original, a number-like time is text: quoted in JSON ("Time (Epoch)":"1769467229")
        if mode == 1:
            return str(self.uptime.epoch_ms())
        if mode == 2:
            return str(wall.epoch_ms() // 1000)
        if mode == 3:
            return str(wall.epoch_ms())
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

    def layout(self):
        # The observation: General (if it has parameters), then each device's section less the
        # parameters switched off (Devices Settings: the "<device>"/"<parameter>" settings, boot.py).
        from core.observation import View
        from core.schema import settings_key
        values = self.settings.values
        sections: list = [self.general] if self.general.params else []
        for _, device in self.devices:
            section = device.section
            params = section.params
            keep = [i for i in range(len(params)) if values.get(settings_key(section.name, params[i])) is not False]
            sections.append(section if len(keep) == len(params) else View(section, keep))
        self.observation = Observation(sections)

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
