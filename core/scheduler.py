"""A small cooperative scheduler counting integer milliseconds.

It runs the log timer, gives each plugin a bounded slice, isolates a plugin that raises (retry
with backoff, disable after repeated failures) and counts missed ticks instead of hiding them.
Times are adafruit_ticks values (supervisor.ticks_ms on the board): small integers that wrap
every 2**29 ms and never allocate, compared only through ticks_diff. The clock is passed in,
so the same code runs on the board, on the host and in the test VM.
"""
from adafruit_ticks import ticks_add, ticks_diff
from micropython import const

RATE_WINDOW = 12  # the original's "Rate Metric" is the mean of the last 12 log intervals
MAX_FAILURES = 5
FIRST_BACKOFF_MS = 1000
PROBE_MS = 300000  # a disabled task is tried once every 5 min: a sensor plugged back in resumes
# const(): the compiler puts the number in place of the name in this module (no lookup per use).
SLICE_MS = const(50)
TICKS_MAX = const(0x1FFFFFFF)  # adafruit_ticks' period - 1, for ticks_diff inlined in call()


class Task:
    __slots__ = ("name", "failures", "retry_at", "disabled", "overruns")

    def __init__(self, name):
        self.name = name
        self.failures = 0
        self.retry_at = None  # a tick while backing off; None otherwise (ticks wrap: never keep an old one)
        self.disabled = False
        self.overruns = 0


class Scheduler:
    def __init__(self, now_ms, say, interval_ms):
        self.now_ms = now_ms
        self.say = say
        self.interval_ms = interval_ms
        self.next_tick = now_ms()  # one log is taken at startup
        self.missed = 0
        self.reported_missed = 0
        self.ticks = 0
        self._intervals = [0] * RATE_WINDOW
        self._last_tick = None
        self.now = self.next_tick  # the clock where the running call began, then where it ended

    def due(self, now):
        """True when a log tick is due; skipped ticks are counted in `missed`."""
        late = ticks_diff(now, self.next_tick)
        if late < 0:
            return False
        skipped = late // self.interval_ms
        self.missed += skipped
        self.next_tick = ticks_add(self.next_tick, (skipped + 1) * self.interval_ms)
        if self._last_tick is not None:
            self._intervals[(self.ticks - 1) % RATE_WINDOW] = ticks_diff(now, self._last_tick)
        self._last_tick = now
        self.ticks += 1
        return True

    def wait_ms(self, now):
        wait = ticks_diff(self.next_tick, now)
        return wait if wait > 0 else 0

    def rate_mhz(self):
        """Measured log rate in milli-hertz (integer), over the last RATE_WINDOW intervals."""
        count = min(self.ticks - 1, RATE_WINDOW)
        if count <= 0:
            return 0
        total = 0
        for i in range(count):
            total += self._intervals[i]
        return (count * 1000000) // total if total else 0

    def new_missed(self):
        """Missed ticks since the last call, so the console can report each one once."""
        fresh = self.missed - self.reported_missed
        self.reported_missed = self.missed
        return fresh

    def runnable(self, task, now):
        if task.retry_at is not None:
            if ticks_diff(now, task.retry_at) < 0:
                return False
            task.retry_at = None
        return True

    def call(self, task, fn, arg, start=None):
        """Run fn(arg) for a task: time its slice and isolate what it raises. True if it ran and returned.

        `start` is the clock if the caller has just read it: a burst of calls passes the `now` the
        previous call left, so each call reads the clock once (at its end). While fn runs, `now`
        is `start`."""
        if start is None:
            start = self.now_ms()
        self.now = start  # for fn: the clock without a read of its own
        failures = task.failures  # a task backing off (retry_at set) has failures too
        if failures and task.retry_at is not None and not self.runnable(task, start):
            return False
        try:
            fn(arg)
        except Exception as err:  # a plugin's fault must not stop the logger; KeyboardInterrupt passes
            self.failed(task, err)
            return False
        end = self.now_ms()
        self.now = end
        took = (end - start) & TICKS_MAX  # ticks_diff(end, start), inlined: the clock never runs back
        if took > SLICE_MS:
            task.overruns += 1
            if task.overruns & (task.overruns - 1) == 0:  # 1st, 2nd, 4th, 8th...: heard, not flooding
                self.say(task.name + ": took " + str(took) + " ms, more than its " + str(SLICE_MS)
                         + " ms slice (" + str(task.overruns) + " times)")
        if failures:
            self.say(task.name + ": working again after " + str(failures) + " failure(s)")
            task.failures = 0
            task.disabled = False
        return True

    def failed(self, task, err):
        now = self.now_ms()
        self.now = now
        task.failures += 1
        reason = type(err).__name__ + ": " + str(err)
        if task.failures >= MAX_FAILURES:
            task.retry_at = ticks_add(now, PROBE_MS)
            if not task.disabled:
                task.disabled = True
                self.say(task.name + ": disabled after " + str(task.failures) + " failures in a row (" + reason
                         + "); trying it again every " + str(PROBE_MS // 60000) + " min")
            return
        backoff = FIRST_BACKOFF_MS << (task.failures - 1)
        task.retry_at = ticks_add(now, backoff)
        self.say(task.name + ": failed (" + reason + "); retrying in " + str(backoff // 1000) + " s")
