from check import raises
from core.posixtz import PosixTZ
from core.posixtz import days_from_civil
from core.timefmt import civil_from_days, iso8601


def test_civil_dates_round_trip():
    assert days_from_civil(1970, 1, 1) == 0
    assert days_from_civil(2000, 3, 1) == 11017
    assert civil_from_days(20417) == (2025, 11, 25)
    for days in (-1, 0, 59, 60, 365, 11016, 11017, 18321, 2 ** 20):
        y, m, d = civil_from_days(days)
        assert days_from_civil(y, m, d) == days


def test_iso8601_in_utc_and_with_an_offset():
    ms = 1764106794123  # 2025-11-25T21:39:54.123Z
    assert iso8601(ms) == "2025-11-25T21:39:54.123Z"
    assert iso8601(ms, -7 * 3600) == "2025-11-25T14:39:54.123-07:00"
    assert iso8601(ms, 5 * 3600 + 1800) == "2025-11-26T03:09:54.123+05:30"
    assert iso8601(0) == "1970-01-01T00:00:00.000Z"
    assert iso8601(4102444800000 - 1) == "2099-12-31T23:59:59.999Z"


def test_posix_time_zone_with_us_rules():
    tz = PosixTZ("MST7MDT,M3.2.0,M11.1.0")
    assert tz.utc_offset(1764106794) == -7 * 3600  # November: standard time
    assert tz.utc_offset(1751328000) == -6 * 3600  # July: daylight time
    start = 1741510800  # 2025-03-09 02:00 MST = 09:00 UTC
    assert tz.utc_offset(start - 1) == -7 * 3600
    assert tz.utc_offset(start) == -6 * 3600
    end = 1762070400  # 2025-11-02 02:00 MDT = 08:00 UTC
    assert tz.utc_offset(end - 1) == -6 * 3600
    assert tz.utc_offset(end) == -7 * 3600


def test_southern_hemisphere_and_fixed_zones():
    sydney = PosixTZ("AEST-10AEDT,M10.1.0,M4.1.0/3")
    assert sydney.utc_offset(1751328000) == 10 * 3600  # July: winter
    assert sydney.utc_offset(1767225600) == 11 * 3600  # January: summer
    assert PosixTZ("IST-5:30").utc_offset(0) == 5 * 3600 + 1800
    assert PosixTZ("<+0330>-3:30").utc_offset(0) == 3 * 3600 + 1800
    assert PosixTZ("UTC0").utc_offset(123) == 0


def test_bad_time_zones_say_why():
    assert "3+ letters" in raises(ValueError, PosixTZ, "M7")
    assert "hour offset" in raises(ValueError, PosixTZ, "MST")
    assert "Mm.w.d" in raises(ValueError, PosixTZ, "MST7MDT,J60,J300")


def test_the_wall_clock_keeps_small_integers_across_days_and_years():
    from core.timefmt import DAY_MS, WallClock
    wall = WallClock(1767225599000)  # 2025-12-31T23:59:59.000Z
    assert wall.iso() == "2025-12-31T23:59:59.000Z"
    wall.advance(1500)
    assert wall.iso() == "2026-01-01T00:00:00.500Z"
    assert wall.ms == 500 and wall.epoch_ms() == 1767225600500
    assert wall.iso(-7 * 3600) == "2025-12-31T17:00:00.500-07:00"
    assert wall.iso(0) == "2026-01-01T00:00:00.500+00:00"
    for _ in range(400):
        wall.advance(DAY_MS // 4)
        assert 0 <= wall.ms < DAY_MS
    assert wall.iso() == "2026-04-11T00:00:00.500Z"
    assert iso8601(wall.epoch_ms()) == wall.iso()


def test_an_unset_clock_is_recognised():
    from core.timefmt import WallClock
    assert not WallClock(946684800000).is_set()  # 2000-01-01, where the board's RTC starts
    assert not WallClock(0).is_set()
    assert WallClock(1764106794123).is_set()
