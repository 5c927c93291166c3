from core.coerce import coerce
from core.schema import BOOL, FLOAT, INT, STR, Prop, settings_key
from check import raises


def test_keys_follow_the_original_names():
    assert settings_key("Logging Timer", "Interval") == "LOGGING_TIMER_INTERVAL"
    assert settings_key("AWS IoT", "Client Name") == "AWS_IOT_CLIENT_NAME"
    assert settings_key("MQTT Secure Client", "CA Cert Filename") == "MQTT_SECURE_CLIENT_CA_CERT_FILENAME"
    assert settings_key("Data File", "Rotate Period (h)") == "DATA_FILE_ROTATE_PERIOD_H"
    assert settings_key("", "Plugins") == "PLUGINS"


def test_booleans_are_0_1_or_true_false():
    prop = Prop("S", "B", BOOL, False, "d")
    for raw in (1, "1", True, "true", "TRUE", " true "):
        assert coerce(prop, raw) is True
    for raw in (0, "0", False, "false"):
        assert coerce(prop, raw) is False
    assert "0/1" in raises(ValueError, coerce, prop, "yes")
    assert "0/1" in raises(ValueError, coerce, prop, 2)


def test_integers_and_ranges():
    prop = Prop("Logging Timer", "Interval", INT, 15000, "d", low=10, high=86400000)
    assert coerce(prop, 10) == 10
    assert coerce(prop, "2500") == 2500  # CircuitPython 10.2's os.getenv returns strings
    assert "out of range 10..86400000" in raises(ValueError, coerce, prop, 9)
    assert "integer" in raises(ValueError, coerce, prop, "fast")
    assert "integer" in raises(ValueError, coerce, prop, True)


def test_floats_come_as_strings():
    prop = Prop("S", "F", FLOAT, 0.0, "d", low=0.0, high=1.0)
    assert coerce(prop, "0.5") == 0.5
    assert "out of range" in raises(ValueError, coerce, prop, "1.5")
    assert "number" in raises(ValueError, coerce, prop, "half")


def test_strings_lose_a_pasted_carriage_return():
    prop = Prop("AWS IoT", "Client Name", STR, "", "d")
    assert coerce(prop, "TestThing23\r") == "TestThing23"
    assert "quoted string" in raises(ValueError, coerce, prop, 5)


def test_choices_match_without_case_and_keep_the_declared_spelling():
    prop = Prop("SD Card", "Format", STR, "CSV", "d", choices=("Disabled", "CSV", "JSON"))
    assert coerce(prop, "json") == "JSON"
    text = raises(ValueError, coerce, prop, "XML")
    assert "Disabled, CSV, JSON" in text and "XML" in text


def test_a_secret_value_is_never_shown_in_a_message():
    password = Prop("WiFi Network", "Password", STR, "", "d", secret=True)
    said = raises(ValueError, coerce, password, 12345678)  # written without quotes: a number
    assert "12345678" not in said and "****" in said
    port = Prop("AWS IoT", "Port", INT, 8883, "d", low=1, high=65535)
    assert "99999" in raises(ValueError, coerce, port, 99999)  # an ordinary value is shown


def test_a_value_in_a_message_has_its_control_characters_escaped():
    fmt = Prop("SD Card", "Format", STR, "CSV", "d", choices=("CSV", "JSON"))
    said = raises(ValueError, coerce, fmt, "X\x1b[2J\x9b")
    assert "\x1b" not in said and "\x9b" not in said and "\\x1b" in said
