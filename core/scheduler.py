# A small cooperative scheduler counting integer milliseconds.
#
# It runs the log timer, gives each plugin a bounded slice, isolates a plugin that raises (retry
# with backoff, disable after repeated failures) and counts missed ticks instead of hiding them.
# Times are adafruit_ticks values (supervisor.ticks_ms on the board): small integers that wrap
# every 2**29 ms and never allocate, compared only through ticks_diff. The clock is passed in,
# so the same code runs on the board, on the host and in the test VM.
# (Comments, not docstrings: MicroPython keeps docstrings on the heap.)
from adafruit_ticks import ticks_add, ticks_diff
from micropython import const

RATE_WINDOW = 12  # the original's "Rate Metric" is the mean of the last 12 log intervals
MAX_FAILURES = 5
FIRST_BACKOFF_MS = 1000
PROBE_MS = 300000  # a disabled task is tried once every 5 min: a sensor plugged back in resumes
# const(): the compiler puts the number in place of the name in this module (no lookup per use).
SLICE_MS = const(50)
# adafruit_ticks' period - 1 and half of it, for ticks_diff inlined where a log cycle needs it
# (here, core/app.py, plugins/outputs/sdcard.py; tests/pure/test_ticks_numbers.py checks them
# against adafruit_ticks, whose own are private). A call's duration is (end - start) & TICKS_MAX:
# ticks_diff without its sign handling (the clock never runs back).
TICKS_MAX = const(0x1FFFFFFF)
TICKS_HALF = const(0x10000000)


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
        # True when a log tick is due; skipped ticks are counted in `missed`.
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
        # Measured log rate in milli-hertz (integer), over the last RATE_WINDOW intervals.
        count = min(self.ticks - 1, RATE_WINDOW)
        if count <= 0:
            return 0
        total = 0
        for i in range(count):
            total += self._intervals[i]
        return (count * 1000000) // total if total else 0

    def new_missed(self):
        # Missed ticks since the last call, so the console can report each one once.
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
        # One call through call_each (see there), reading the clock first unless given `start`.
        # True if fn ran and returned.
        self.call_each(((task, fn, None),), arg, self.now_ms() if start is None else start)
        return not task.failures

    def call_each(self, calls, arg, start):
        # Run fn(arg) for each (task, fn, skipped) of `calls` in turn: time its slice, isolate
        # what it raises, skip a task backing off. The first starts at `start` (the clock just
        # read), each next one where the last ended: one clock read per call. While fn runs,
        # `now` is where its call began. `skipped` (None or a function) is called when fn did
        # not run or raised. Returns the clock at the end. A log cycle's calls are bound once
        # (App.prepare), so a cycle looks nothing up and allocates nothing here.
        now_ms = self.now_ms
        for task, fn, skipped in calls:
            self.now = start
            failures = task.failures
            if failures and not self.runnable(task, start):
                if skipped is not None:
                    skipped()
                continue
            try:
                fn(arg)
            except Exception as err:  # a plugin's fault must not stop the logger; KeyboardInterrupt passes
                self.failed(task, err)
                start = self.now
                if skipped is not None:
                    skipped()
                continue
            end = now_ms()
            if (end - start) & TICKS_MAX > SLICE_MS or failures:
                self.ran(task, (end - start) & TICKS_MAX, failures)
            start = end
        self.now = start
        return start

    def ran(self, task, took, failures):
        # After a call that overran its slice, or that worked after failures.
        if took > SLICE_MS:
            task.overruns += 1
            if task.overruns & (task.overruns - 1) == 0:  # 1st, 2nd, 4th, 8th...: heard, not flooding
                self.say("%s: took %d ms, more than its %d ms slice (%d times)" % (
                    task.name, took, SLICE_MS, task.overruns))
        if failures:
            self.say("%s: working again after %d failure(s)" % (task.name, failures))
            task.failures = 0
            task.disabled = False

    def failed(self, task, err):
        now = self.now_ms()
        self.now = now
        task.failures += 1
        if task.failures >= MAX_FAILURES:
            task.retry_at = ticks_add(now, PROBE_MS)
            if not task.disabled:
                task.disabled = True
                self.say("%s: disabled after %d failures in a row (%s: %s); trying it again every %d min" % (
                    task.name, task.failures, type(err).__name__, err, PROBE_MS // 60000))
            return
        backoff = FIRST_BACKOFF_MS << (task.failures - 1)
        task.retry_at = ticks_add(now, backoff)
        self.say("%s: failed (%s: %s); retrying in %d s" % (task.name, type(err).__name__, err, backoff // 1000))
