from core.tomlenv import parse


def values_of(text):
    return parse(text)[0]


def problems_of(text):
    return parse(text)[2]


def test_strings_integers_and_booleans():
    values, lines, problems = parse('# comment\nA = "x"\n\nB = 42  # trailing comment\nC = true\nD=false\n')
    assert values == {"A": "x", "B": 42, "C": True, "D": False}
    assert lines == {"A": 2, "B": 4, "C": 5, "D": 6}
    assert problems == []


def test_escapes_as_circuitpython_reads_them():
    v = values_of('A = "t\\tn\\nq\\"b\\\\u\\u00e9U\\U0001F600"\nB = "#not a comment"')
    assert v["A"] == 't\tn\nq"b\\u\u00e9U\U0001F600'
    assert v["B"] == "#not a comment"


def test_integers_as_strtol_reads_them():
    v = values_of("HEX = 0x1F\nOCT = 010\nNEG = -5\nPLUS = +7\nZERO = 0")
    assert v == {"HEX": 31, "OCT": 8, "NEG": -5, "PLUS": 7, "ZERO": 0}


def test_what_circuitpython_cannot_read_is_named_with_its_line():
    text = "\n".join([
        "A = 1_000",
        "B = 0b101",
        "C = 0.5",
        "D = 'single'",
        'E = """triple"""',
        'F = "open',
        'G = "bad \\q escape"',
        "H",
        'I = "x" junk',
        "J = ",
        "K.L = 1",
    ])
    problems = problems_of(text)
    by_line = {}
    for line, key, reason in problems:
        by_line[line] = (key, reason)
    assert by_line[1][0] == "A" and "neither an integer" in by_line[1][1]
    assert by_line[2][0] == "B"
    assert by_line[3] == ("C", 'unquoted number 0.5 is not an integer; write floats as strings: "0.5"')
    assert "double-quoted" in by_line[4][1]
    assert "triple-quoted" in by_line[5][1]
    assert "unterminated" in by_line[6][1]
    assert "unknown escape \\q" in by_line[7][1]
    assert "KEY = value" in by_line[8][1]
    assert "after the value" in by_line[9][1]
    assert "missing value" in by_line[10][1]
    assert by_line[11][0] == "K.L"
    assert values_of(text) == {}


def test_tables_hide_what_follows_and_the_first_duplicate_wins():
    values, lines, problems = parse('A = 1\nA = 2\n[wifi]\nB = "x"\n')
    assert values == {"A": 1}
    assert (2, "A", "duplicate key; CircuitPython uses the first, on line 1") in problems
    assert problems[-1][0] == 4 and problems[-1][1] == "B" and "[wifi]" in problems[-1][2]


def test_windows_line_endings():
    assert values_of('A = "x"\r\nB = 2\r\n') == {"A": "x", "B": 2}
