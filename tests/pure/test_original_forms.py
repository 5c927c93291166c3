"""The original's stored forms and timestamp modes, with no host: pick-lists as numbers, the earlier
short names, the four date modes, and the JSON-settings document check."""
from check import raises
from core.props import CORE_PROPERTIES, TIMESTAMP
from core.coerce import coerce, stored
from core.schema import STR, Prop
from core.datefmt import COLUMNS, date_text
from core.timefmt import MODES

ROTATE = Prop("Data File", "Rotate Period", STR, "1 day", "", choices=("6 h", "12 h", "1 day", "2 days", "1 week"))
DAY = 20417  # 2025-11-25, a Tuesday
MS = (21 * 3600 + 39 * 60 + 54) * 1000 + 123


def test_pick_lists_load_from_and_store_as_the_originals_numbers():
    assert coerce(TIMESTAMP, 6) == "ISO8601 Timestamp" and stored(TIMESTAMP, "ISO8601 Timestamp") == 6
    assert coerce(TIMESTAMP, 0) == "No Timestamp" and coerce(TIMESTAMP, 9) == MODES[9]
    assert "0, 1, 2" in raises(ValueError, coerce, TIMESTAMP, 10)
    assert coerce(ROTATE, 24) == "1 day" and stored(ROTATE, "1 week") == 168  # the original keeps hours
    assert "6, 12, 24, 48, 168" in raises(ValueError, coerce, ROTATE, 2)
    assert coerce(TIMESTAMP, "iso8601 timestamp") == "ISO8601 Timestamp"  # labels, any case
    assert coerce(TIMESTAMP, "ISO8601+TZ") == "ISO8601 Timestamp with Time Zone"  # the earlier names
    assert coerce(TIMESTAMP, "epoch s") == "Seconds since Epoch"
    assert raises(ValueError, coerce, TIMESTAMP, True)  # a boolean is no mode


def test_the_time_column_is_named_by_the_mode():
    assert COLUMNS[2] == "Time (Epoch)" and COLUMNS[1] == "Time (millis)" and COLUMNS[3] == "Time ms (Epoch)"
    assert COLUMNS[6] == "Time" and COLUMNS[0] == ""


def test_the_four_date_modes():
    assert date_text(4, DAY, MS, None) == "11-25-2025 21:39:54"
    assert date_text(5, DAY, MS, None) == "25-11-2025 21:39:54"
    assert date_text(4, DAY, MS, -7 * 3600) == "11-25-2025 14:39:54"
    assert date_text(8, DAY, MS, None) == "2025-W48-2T21:39:54Z"
    assert date_text(9, DAY, MS, -7 * 3600) == "2025-W48-2T14:39:54-07:00"
    assert date_text(9, DAY, 3600000, -7 * 3600) == "2025-W48-1T18:00:00-07:00"  # local time: the day before
    assert date_text(8, 18628, 0, None) == "2020-W53-5T00:00:00Z"  # 2021-01-01 is in 2020's week 53
    assert date_text(8, 20087, 0, None) == "2025-W01-1T00:00:00Z"  # 2024-12-30 is in 2025's week 1


def test_every_core_setting_round_trips_through_its_stored_form():
    for prop in CORE_PROPERTIES:
        if prop.kind != "action":
            assert coerce(prop, stored(prop, prop.default)) == prop.default, prop.name
