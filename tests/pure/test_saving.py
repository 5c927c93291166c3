"""Saving as the user meets it, with no host: the NVM rewritten only on change, an image too large
refused with both sizes, a document applied value by value, secrets kept off the card."""
from core import savedfile
from core.props import CORE_PROPERTIES, TIMESTAMP, WIFI
from core.settings import SAVED, Settings


class FakeApp:
    """What savedfile needs of the app: settings, an NVM and the console's two voices."""

    def __init__(self, nvm_size=8192):
        self.settings = Settings()
        self.settings.declare(CORE_PROPERTIES)
        self.nvm = bytearray(b"\xff" * nvm_size)
        self.said = []

    def info(self, text):
        self.said.append("[I] " + text)

    def warn(self, text):
        self.said.append("[W] " + text)


def test_the_nvm_is_rewritten_only_when_something_changed():
    app = FakeApp()
    assert savedfile.apply(app, {"Logger": {"Timestamp Mode": 2, "Numbering Increment": 5}}, "test") == 2
    assert savedfile.save(app).startswith("Settings saved to NVM (")
    payload, _ = savedfile.nvm_payload(app.nvm)
    assert b'"Timestamp Mode": 2' in payload  # stored as the original's number
    assert savedfile.save(app) == "Settings unchanged; NVM not rewritten"


def test_an_image_that_does_not_fit_is_refused_with_both_sizes():
    app = FakeApp(nvm_size=64)
    savedfile.apply(app, {"Logger": {"Timestamp Mode": "Date Time"}, "Time Setup": {"Time Zone": "x" * 100}}, "t")
    assert savedfile.save(app) is None
    assert app.said[-1].startswith("[W] settings need ") and " bytes; the NVM has 64: not saved" in app.said[-1]
    assert app.said[-1].endswith("(the longest value: Time Setup/Time Zone, 100 characters)")  # what to shorten
    assert app.nvm == bytearray(b"\xff" * 64)  # nothing half-written


def test_a_document_is_applied_value_by_value_and_bad_ones_are_named():
    app = FakeApp()
    count = savedfile.apply(app, {"Logging Timer": {"Interval": 5, "Nope": 1},
                                  "Logger": {"Timestamp Mode": "ISO8601 Timestamp - Week Date"},
                                  "WiFi Network": {"Password": ""}}, "!json-settings")
    assert count == 1 and app.settings.get(TIMESTAMP) == "ISO8601 Timestamp - Week Date"
    assert app.settings.source(TIMESTAMP.key) == SAVED
    assert '[W] !json-settings: "Logging Timer"/"Interval": out of range 10..86400000: 5; not applied' in app.said
    assert '[W] !json-settings: "Logging Timer"/"Nope": unknown property; ignored' in app.said
    assert app.settings.source(WIFI[1].key) == "default"  # a secret written as "" is no value


def test_secrets_are_blank_masked_or_written_as_asked():
    app = FakeApp()
    app.settings.values[WIFI[1].key] = "hunter2"
    assert savedfile.effective(app, False)["WiFi Network"]["Password"] == ""
    assert savedfile.effective(app, "****")["WiFi Network"]["Password"] == "****"
    assert savedfile.effective(app, True)["WiFi Network"]["Password"] == "hunter2"
    assert savedfile.effective(app, "****")["WiFi Network"]["Network 2 Password"] == ""  # unset stays unset
    assert savedfile.effective(app, False)["Logger"]["Timestamp Mode"] == 6
