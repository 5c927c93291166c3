"""What a message echoes from a file or the keyboard: one line, escaped, clipped (core/clip.py).

Runs in the MicroPython VM too: the same text must come out on the board as on the PC.
"""
from core.clip import clip


def test_escape_sequences_and_control_bytes_are_shown_not_sent():
    assert clip("\x1b[2Jwiped") == "\\x1b[2Jwiped"  # a terminal would clear the screen
    assert clip("a\rb\nc\td") == "a\\rb\\nc\\td"  # a \r would overwrite the start of the message
    assert clip("\x00\x07\x08\x7f") == "\\x00\\x07\\x08\\x7f"
    assert clip("\x9b2J") == "\\x9b2J"  # the one-byte CSI some terminals obey


def test_invisible_characters_are_named():
    assert clip("\ufeffKEY") == "\\ufeffKEY"  # a byte-order mark
    assert clip("A\u200bB\u202eC") == "A\\u200bB\\u202eC"  # zero width space, right-to-left override


def test_ordinary_text_is_left_alone():
    for text in ("LOGGING_TIMER_INTERVAL", "Température 21.5 °C", "a \\ b \"q\"", "", "日本"):
        assert clip(text) == text


def test_long_text_is_clipped_with_its_length():
    assert clip("a" * 40) == "a" * 40
    assert clip("a" * 41) == "a" * 40 + "... (41 characters)"
    assert clip("b" * 1000000) == "b" * 40 + "... (1000000 characters)"
    assert clip("x" * 20 + "\x1b" * 30, 25) == "x" * 20 + "\\x1b" * 5 + "... (50 characters)"
