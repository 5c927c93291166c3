from check import Clock, Said
from core.scheduler import MAX_FAILURES, Scheduler, Task


def test_one_log_at_startup_then_on_the_interval():
    clock = Clock(5000)
    sched = Scheduler(clock, Said(), 100)
    assert sched.due(5000)
    assert not sched.due(5000)
    assert not sched.due(5099)
    assert sched.due(5100)
    assert sched.wait_ms(5150) == 50
    assert sched.missed == 0


def test_missed_ticks_are_counted_not_hidden():
    sched = Scheduler(Clock(0), Said(), 10)
    assert sched.due(0)
    assert sched.due(55)  # ticks at 10..50 could not be kept: 10, 20, 30, 40 and 50 is now late
    assert sched.missed == 4
    assert sched.new_missed() == 4
    assert sched.new_missed() == 0
    assert not sched.due(59)
    assert sched.due(60)  # back on the grid, no drift


def test_rate_metric_is_the_mean_of_the_last_12_intervals():
    sched = Scheduler(Clock(0), Said(), 100)
    assert sched.rate_mhz() == 0
    assert sched.due(0) and sched.due(100) and sched.due(250)  # 100 ms, then 150 ms
    assert sched.rate_mhz() == 8000  # 2 intervals in 250 ms
    sched = Scheduler(Clock(0), Said(), 100)
    now = 0
    for _ in range(20):
        assert sched.due(now)
        now += 100
    assert sched.rate_mhz() == 10000  # 10 Hz in milli-hertz
    now -= 100  # the last tick was at now - 100
    for _ in range(12):
        now += 200
        assert sched.due(now)  # each tick is now 200 ms apart: every other tick is missed
    assert sched.rate_mhz() == 5000
    assert sched.missed == 12  # one between each pair


def test_a_failing_plugin_is_retried_with_backoff_then_disabled():
    clock = Clock(0)
    said = Said()
    sched = Scheduler(clock, said, 100)
    task = Task("outputs.flaky")

    def boom(_arg):
        raise OSError(5, "EIO")

    assert not sched.call(task, boom, None)
    assert said.has("outputs.flaky: failed (OSError", "retrying in 1 s")
    assert not sched.runnable(task, 999)
    calls = []
    assert not sched.call(task, calls.append, 1)  # still backing off: not called
    assert calls == []
    waits = [1000]
    for n in range(2, MAX_FAILURES + 1):
        clock.now += waits[-1]
        assert not sched.call(task, boom, None)
        waits.append(waits[-1] * 2)
    assert task.disabled
    assert said.has("outputs.flaky: disabled after 5 failures in a row", "trying it again every 5 min")
    assert said.has("retrying in 8 s")
    clock.now += 299999
    assert not sched.call(task, calls.append, 1)
    assert calls == []
    clock.now += 1
    assert not sched.call(task, boom, None)  # the probe fails: quietly, and again in 5 min
    assert len([line for line in said.lines if "disabled" in line]) == 1
    clock.now += 300000
    assert sched.call(task, calls.append, 1)  # plugged back in
    assert calls == [1] and not task.disabled and task.failures == 0
    assert said.has("outputs.flaky: working again after 6 failure(s)")


def test_a_plugin_that_recovers_is_announced_and_forgiven():
    clock = Clock(0)
    said = Said()
    sched = Scheduler(clock, said, 100)
    task = Task("sensors.x")
    state = {"fail": True}

    def flaky(_arg):
        if state["fail"]:
            raise RuntimeError("glitch")

    sched.call(task, flaky, None)
    state["fail"] = False
    clock.now += 1000
    assert sched.call(task, flaky, None)
    assert task.failures == 0
    assert said.has("sensors.x: working again after 1 failure(s)")


def test_a_slow_plugin_is_reported_without_flooding():
    clock = Clock(0)
    said = Said()
    sched = Scheduler(clock, said, 100)
    task = Task("iot.slow")

    def slow(_arg):
        clock.now += 200

    for _ in range(8):
        assert sched.call(task, slow, None)
    assert task.overruns == 8
    reports = [line for line in said.lines if "slice" in line]
    assert len(reports) == 4  # 1st, 2nd, 4th, 8th
    assert "took 200 ms, more than its 50 ms slice" in reports[0]


def test_keyboard_interrupt_is_not_swallowed():
    sched = Scheduler(Clock(0), Said(), 100)

    def stop(_arg):
        raise KeyboardInterrupt

    try:
        sched.call(Task("x"), stop, None)
    except KeyboardInterrupt:
        return
    raise AssertionError("KeyboardInterrupt must reach the main loop")


def test_the_tick_clock_wrapping_every_2_29_ms_changes_nothing():
    wrap = 1 << 29
    clock = Clock(wrap - 250)
    sched = Scheduler(clock, Said(), 100)
    seen = 0
    for step in range(0, 1000, 10):
        clock.now = (wrap - 250 + step) % wrap
        if sched.due(clock.now):
            seen += 1
    assert seen == 10 and sched.missed == 0
    assert sched.rate_mhz() == 10000


def test_a_backoff_never_outlives_the_tick_wrap():
    clock = Clock(0)
    sched = Scheduler(clock, Said(), 100)
    task = Task("x")

    def boom(_arg):
        raise OSError(5, "EIO")

    sched.call(task, boom, None)
    clock.now = 1000
    assert sched.call(task, lambda arg: None, None)
    clock.now = (1000 + (1 << 28) + 5) % (1 << 29)  # three days on, the old retry tick would look "ahead"
    assert sched.call(task, lambda arg: None, None)
