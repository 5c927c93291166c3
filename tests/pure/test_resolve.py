from check import Said, scratch
from core.resolve import Resolver, load_saved
from core.schema import BOOL, INT, STR, Prop
from core.settings import Settings

INTERVAL = Prop("Logging Timer", "Interval", INT, 15000, "d", low=10, high=86400000)
PREFIX = Prop("Data File", "File Prefix", STR, "sfe", "d")
PASSWORD = Prop("WiFi Network", "Password", STR, "", "d", secret=True)
RESTORE = Prop("Save Settings", "Fallback Restore", BOOL, True, "d")


def resolver(toml, saved=None, getter=None):
    said = Said()
    settings = Settings()
    res = Resolver(settings, said, scratch("resolve_test.toml", toml), getter)
    if saved is not None:
        res.restore(saved, "NVM settings")
    res.declare((INTERVAL, PREFIX, PASSWORD))
    return settings, said, res


def test_defaults_then_settings_toml_then_saved_settings_each_with_its_source():
    settings, said, _ = resolver('LOGGING_TIMER_INTERVAL = 500\nDATA_FILE_FILE_PREFIX = "log"\n',
                                 {"Logging Timer": {"Interval": 250}})
    assert settings.get(INTERVAL) == 250 and settings.source(INTERVAL.key) == "saved settings"
    assert settings.get(PREFIX) == "log" and settings.source(PREFIX.key).endswith("resolve_test.toml line 2")
    assert settings.get(PASSWORD) == "" and settings.source(PASSWORD.key) == "default"
    assert said.has("line 1: LOGGING_TIMER_INTERVAL = 500 is hidden by the saved value 250")
    # Saving keeps what was saved, not the defaults or settings.toml's values.
    assert settings.saved_sections() == {"Logging Timer": {"Interval": 250}}


def test_a_saved_empty_secret_does_not_overwrite_and_secrets_are_masked():
    settings, said, _ = resolver('WIFI_NETWORK_PASSWORD = "hunter22"\n',
                                 {"WiFi Network": {"Password": ""}})
    assert settings.get(PASSWORD) == "hunter22"
    settings, said, _ = resolver('WIFI_NETWORK_PASSWORD = "hunter22"\n', {"WiFi Network": {"Password": "other"}})
    assert settings.get(PASSWORD) == "other"
    assert said.has("WIFI_NETWORK_PASSWORD = **** is hidden by the saved value ****")
    for line in said.lines:
        assert "hunter22" not in line and "other" not in line


def test_bad_values_fall_back_to_the_default_and_say_why():
    settings, said, res = resolver("LOGGING_TIMER_INTERVAL = 3\nMYSTERY = 1\n[t]\nX = 1\n",
                                   {"Logging Timer": {"Interval": "soon"}, "Old": {"Thing": 1}})
    assert settings.get(INTERVAL) == 15000
    assert said.has("line 1: LOGGING_TIMER_INTERVAL: out of range 10..86400000: 3; using 15000")
    assert said.has('NVM settings: "Logging Timer"/"Interval": expected an integer, got "soon"; ignored')
    assert said.has("line 4: X: after the table [t]")
    res.report_unknown()
    assert said.has("line 2: MYSTERY: unknown key (no loaded plugin declares it); ignored")
    assert said.has('NVM settings: "Old"/"Thing": unknown property (no loaded plugin declares it); kept, unused')
    # A value that failed its check is left out of the next save (it would warn on every start); an
    # unknown property is kept for the plugin that will declare it.
    assert settings.saved_sections() == {"Old": {"Thing": 1}, "Logging Timer": {}}
    assert settings.order()[-1] == ("Old", ["Thing"])


def test_the_boards_reader_decides_the_value():
    seen = []

    def getter(key):  # CircuitPython 10.2+ returns strings
        seen.append(key)
        return "700" if key == "LOGGING_TIMER_INTERVAL" else None

    settings, _, _ = resolver("LOGGING_TIMER_INTERVAL = 500\n", getter=getter)
    assert settings.get(INTERVAL) == 700 and seen == ["LOGGING_TIMER_INTERVAL"]


def test_peek_reads_settings_toml_before_saved_settings_are_known():
    _, _, res = resolver("SAVE_SETTINGS_FALLBACK_RESTORE = 0\n")
    assert res.peek(RESTORE) is False
    _, _, res = resolver("SAVE_SETTINGS_FALLBACK_RESTORE = 7\n")
    assert res.peek(RESTORE) is True  # a bad value means the default


def test_saved_settings_come_from_the_nvm_or_once_from_the_card():
    from core import savedfile
    blob = savedfile.nvm_image(b'{"Logging Timer": {"Interval": 99}}')
    nvm = bytearray(b"\xff" * 256)
    nvm[0:len(blob)] = blob
    said = Said()
    assert load_saved(nvm, None, said, True) == ({"Logging Timer": {"Interval": 99}}, "NVM settings", False)
    folder = scratch("datalogger.json", '{"Data File": {"File Prefix": "x"}}').rsplit("/", 1)[0]
    empty = bytearray(b"\xff" * 256)
    sections, where, seeded = load_saved(empty, folder, said, True)
    assert sections == {"Data File": {"File Prefix": "x"}} and seeded and where.endswith("datalogger.json")
    assert load_saved(empty, folder, said, False) == ({}, "", False)  # Fallback Restore off
