"""The serial console driven through a real pseudo-terminal, as a person at a terminal would."""
import json

import pexpect

from hostrun import PYTHON, REPO, TIMEOUT, Board


def spawn(board, seconds=None):
    child = pexpect.spawn(board.args(seconds)[0], board.args(seconds)[1:], cwd=REPO, encoding="utf-8",
                          timeout=TIMEOUT, dimensions=(50, 200))
    child.expect_exact("quick commands: !help")
    return child


def test_quick_commands_at_a_terminal(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 60000\n")
    child = spawn(board)
    try:
        child.expect(r"\n(\S+),1,DataLogger IoT,")  # the startup observation
        child.send("!help\r")
        child.expect_exact("!log-now - take an observation now")
        child.expect_exact("!settings - every setting")
        child.send("!log-now\r")
        child.expect(r",2,DataLogger IoT,4\.100,87\.500,")  # at once, not in a minute
        child.send("!log-rate\r")
        child.expect(r"Rate Metric: \d+\.\d{3} Hz; interval 60000 ms; missed ticks 0")
        child.send("!nonsense\r")
        child.expect_exact("[W] unknown command !nonsense; try !help")
        child.send("x")  # any key but ! opens the menu; ESC leaves it
        child.expect_exact("Settings for: /DataLogger IoT\r\n")
        child.send("\x1b")
        child.expect_exact("[I] Menu closed")
        child.send("!logg\x7f-now\r")  # backspace edits the line
        child.expect(r",3,DataLogger IoT,")
        child.send("!devices\r")
        child.expect_exact("BME280 at 0x77: ok")
        child.sendintr()  # Ctrl-C, as on the board
        child.expect_exact("[I] Stopped; files closed")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    card = board.lines("sfe0001.txt")
    assert [line.split(",")[1] for line in card[1:]] == ["1", "2", "3"]  # the !log-now ones are on the card too


def test_100_hz_with_a_terminal_attached(tmp_path):
    board = Board(tmp_path, "LOGGING_TIMER_INTERVAL = 10\nSERIAL_CONSOLE_FORMAT = \"JSON\"\n")
    child = spawn(board)
    try:
        child.expect_exact('"Entry":150,', timeout=TIMEOUT)
        output = child.before + child.after  # everything the terminal showed
        child.send("!log-rate\r")
        child.expect(r"Rate Metric: (\d+)\.(\d{3}) Hz; interval 10 ms; missed ticks (\d+)")
        rate = int(child.match.group(1))
        output += child.before + child.after
        child.expect_exact('"Entry":400,', timeout=TIMEOUT)  # 4 s at 100 Hz
        output += child.before + child.after
        child.sendintr()  # Ctrl-C, as on the board
        child.expect(pexpect.EOF, timeout=TIMEOUT)
        output += child.before
    finally:
        child.close(force=True)
    # The rate over the last intervals: 100 Hz, or near it when a busy machine delays a tick (then the next
    # interval is shorter, and the rate may read a little above 100).
    assert 60 <= rate <= 110, rate
    rows = [line for line in output.splitlines() if line.startswith("{")]
    if not rows[-1].endswith("}}"):
        rows.pop()  # Ctrl-C may land in the middle of printing a line, as on a board
    for row in rows:
        try:
            json.loads(row)
        except ValueError:
            raise AssertionError("torn line: " + repr(row))
    assert "[I] Stopped; files closed" in output
    entries = [json.loads(row)["General"]["Entry"] for row in rows]
    assert entries == list(range(entries[0], entries[0] + len(entries)))  # none skipped on the console
    # Entry 400 was seen; its line may be the one Ctrl-C cut. Every entry is on the card.
    assert entries[-1] >= 399 and len(board.lines("sfe0001.txt")) >= 400
