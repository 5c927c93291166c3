"""The tick numbers core.scheduler keeps for ticks_diff inlined in a log cycle (core/app.py,
plugins/outputs/sdcard.py) are adafruit_ticks' own: a wrong one would misdate every observation
after the clock wraps (every 2**29 ms, about 6.2 days). Runs in CPython and in the VM."""
import adafruit_ticks
from adafruit_ticks import ticks_add, ticks_diff
from core.scheduler import TICKS_HALF, TICKS_MAX


def test_the_inlined_numbers_are_adafruit_ticks_own():
    # adafruit_ticks' names are const() and private: in MicroPython they are not module names.
    for mine, name in ((TICKS_MAX, "_TICKS_MAX"), (TICKS_HALF, "_TICKS_HALFPERIOD")):
        theirs = getattr(adafruit_ticks, name, None)
        assert theirs is None or theirs == mine, (name, theirs, mine)
    assert ticks_add(TICKS_MAX, 1) == 0 and ticks_add(0, -1) == TICKS_MAX  # the period is TICKS_MAX + 1
    assert TICKS_HALF * 2 == TICKS_MAX + 1


def test_the_inlined_ticks_diff_agrees_across_the_wrap():
    for later in (0, 1, 5, TICKS_HALF - 1, TICKS_HALF, TICKS_MAX - 3, TICKS_MAX):
        for step in (0, 1, 999, 86400000, TICKS_HALF - 1, -1, -86400000, -TICKS_HALF):
            earlier = ticks_add(later, -step) if -TICKS_HALF < step < TICKS_HALF else (later - step) & TICKS_MAX
            inlined = ((later - earlier + TICKS_HALF) & TICKS_MAX) - TICKS_HALF
            assert inlined == ticks_diff(later, earlier), (later, earlier, inlined)
