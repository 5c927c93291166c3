"""The words about settings files: capped per file, escaped, clipped; a byte-order mark named.

Runs in the MicroPython VM too.
"""
from check import Said, scratch
from core import savedfile
from core.resolve import MAX_TOLD, Resolver, load_saved
from core.schema import INT, STR, Prop
from core.settings import Settings
from core.tomlenv import parse

INTERVAL = Prop("Logging Timer", "Interval", INT, 15000, "d", low=10, high=86400000)
PREFIX = Prop("Data File", "File Prefix", STR, "sfe", "d")


def resolved(toml, name="messages_test.toml"):
    said = Said()
    settings = Settings()
    res = Resolver(settings, said, scratch(name, toml))
    res.declare((INTERVAL, PREFIX))
    res.report_unknown()
    return settings, said


def test_a_file_of_garbage_gives_a_screenful_and_how_many_more():
    lines = ["junk line " + str(n) for n in range(300)]  # 300 syntax errors
    lines += ["UNKNOWN_" + str(n) + " = 1" for n in range(100)]  # then 100 unknown keys
    settings, said = resolved("\n".join(lines) + "\nLOGGING_TIMER_INTERVAL = 500\n")
    assert len(said.lines) == MAX_TOLD + 1 == 21
    assert said.lines[0].endswith("messages_test.toml line 1: expected KEY = value; ignored")
    assert said.lines[-1].endswith("messages_test.toml: 380 more problems not shown")
    assert settings.get(INTERVAL) == 500  # the good line still counts


def test_a_few_problems_are_all_said_and_no_summary():
    _, said = resolved("A B = 1\nLOGGING_TIMER_INTERVAL = 5\nMYSTERY = 2\n")
    assert len(said.lines) == 3
    assert not said.has("more problems")


def test_echoed_text_is_escaped_and_clipped():
    huge = "k" * 100000
    text = "\x1b[31mRED = 1\n[" + huge + "]\nA = 1\n"
    problems = parse(text)[2]
    assert "after the table [" + "k" * 40 + "... (100000 characters)]" in problems[1][2]
    _, said = resolved(text + "\n")
    assert said.has("line 1: \\x1b[31mRED: a key is letters")
    for line in said.lines:
        assert "\x1b" not in line and len(line) < 300, line[:80]
    _, said = resolved(huge + " = 1\n")  # a key that long, read and unknown
    assert said.has(": " + "k" * 40 + "... (100000 characters): unknown key")


def test_a_byte_order_mark_is_named_and_the_file_read_as_circuitpython_reads_it():
    # CircuitPython's reader compares a key's first byte with the mark's: line 1 is never found.
    values, lines, problems = parse("\ufeffLOGGING_TIMER_INTERVAL = 200\nDATA_FILE_FILE_PREFIX = \"log\"\n")
    assert values == {"DATA_FILE_FILE_PREFIX": "log"}
    assert len(problems) == 1 and problems[0][:2] == (1, "LOGGING_TIMER_INTERVAL")
    assert "byte-order mark" in problems[0][2] and "skips the line" in problems[0][2]
    settings, said = resolved("\ufeffLOGGING_TIMER_INTERVAL = 200\n")
    assert said.has("line 1: LOGGING_TIMER_INTERVAL: the file starts with a byte-order mark")
    assert "\ufeff" not in said.lines[0]
    # With a comment or a blank line first, nothing is lost and nothing needs saying.
    for first in ("# settings", "", "   "):
        values, _, problems = parse("\ufeff" + first + "\nLOGGING_TIMER_INTERVAL = 200\n")
        assert values == {"LOGGING_TIMER_INTERVAL": 200} and problems == [], (first, problems)


def test_datalogger_json_problems_are_capped_escaped_and_a_bom_is_no_damage():
    body = ",\n".join('    "P' + str(n) + '": ' + ("1 2" if n % 2 else "3") for n in range(60))
    text = '{\n  "Logger": {\n' + body + '\n  }\n}\n'
    folder = scratch("datalogger.json", text).rsplit("/", 1)[0]
    said = Said()
    res = Resolver(Settings(), said, scratch("messages_empty.toml", ""))
    sections, where, seeded = load_saved(bytearray(b"\xff" * 64), folder, res.saved_say, True)
    res.restore(sections, where)
    res.report_unknown()  # the 30 good properties are unknown as well: 1 + 30 + 30 problems in all
    assert seeded and len(sections["Logger"]) == 30
    assert len(said.lines) == MAX_TOLD + 1
    assert said.lines[-1] == folder + "/datalogger.json: 41 more problems not shown"
    sections, problems = savedfile.parse_json('{"A\\u001b[2J": 5, "B": {"x": 1}}', "f.json")
    assert problems == ['f.json: "A\\x1b[2J": expected an object of properties']
    sections, problems = savedfile.parse_json("\ufeff" + '{"B": {"x": 1}}', "f.json")
    assert (sections, problems) == ({"B": {"x": 1}}, [])
