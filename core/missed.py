# The missed-tick report's words (App.run), loaded at the first missed tick and then kept: a
# logger that keeps its pace never loads them.


def words(scheduler, cycle, gap):
    # The missed-tick report, naming the cause: log cycles (the shorter of the last two, so one
    # slow cycle is not taken for the rule) longer than the interval, or else a stall (the longest
    # time between two observations): a plugin that blocked, or the whole board held up.
    interval = scheduler.interval_ms
    if cycle >= interval:
        why = "a log cycle takes %d ms, longer than the %d ms interval" % (cycle, interval)
    else:
        why = "a stall of %d ms between observations (a log cycle takes %d ms; the interval is %d ms)" % (
            gap, cycle, interval)
    return "missed %d log tick(s) (%d in all): %s" % (scheduler.new_missed(), scheduler.missed, why)
