"""The shadow's desired settings (plugins/iot/awsdelta.py), run in CPython and in the MicroPython VM:
what is applied, what is refused and reported, and the document read without parsing it whole."""
import json

from adafruit_ticks import ticks_ms

from core import savedfile
from core.props import CORE_PROPERTIES, INTERVAL
from core.scheduler import Scheduler
from core.settings import SAVED, Settings
from plugins.iot import awsdelta

TOPIC = "$aws/things/T/shadow/update/delta"


class FakeApp:
    """What a delta needs of the app: settings, a scheduler, an NVM, no devices or plugins."""

    def __init__(self):
        self.settings = Settings()
        self.settings.declare(CORE_PROPERTIES)
        self.scheduler = Scheduler(ticks_ms, self.warn, 1000)
        self.interval_ms = 1000
        self.nvm = bytearray(b"\xff" * 8192)
        self.devices = []
        self.outputs = []
        self.plugins = []
        self.said = []

    def info(self, text):
        self.said.append("[I] " + text)

    def warn(self, text):
        self.said.append("[W] " + text)

    def save_settings(self):
        return savedfile.save(self)


class Link:
    """The AWSClient's part a delta uses, not connected: the report is returned, not sent."""

    def __init__(self, app):
        self.app = app
        self.client = None
        self.connected = False
        self.prefix = "abcd"
        self.topic = "$aws/things/T/shadow/update"


def test_an_allowed_interval_is_applied_saved_and_reported_as_desired():
    app = FakeApp()
    report = json.loads(awsdelta.handle(Link(app), TOPIC, '{"version":3,"state":{"Logging Timer":{"Interval":2000}}}'))
    assert report["state"] == {"reported": {"config_error": None, "Logging Timer": {"Interval": 2000}}}
    assert report["clientToken"].startswith("abcd-cfg")
    assert app.settings.get(INTERVAL) == 2000 and app.settings.source(INTERVAL.key) == SAVED
    assert app.scheduler.interval_ms == 2000
    assert b'"Interval": 2000' in savedfile.nvm_payload(app.nvm)[0]
    assert "[I] AWS IoT: desired settings applied: Logging Timer/Interval = 2000" in app.said


def test_refusals_apply_nothing_and_say_why():
    app = FakeApp()
    for message, reason in (('{"state":{"Logging Timer":{"Interval":5}}}', "out of range 10..86400000: 5"),
                            ('{"state":{"Application Settings":{"Plugins":""},"Logging Timer":{"Interval":900}}}',
                             '"Application Settings/Plugins": not settable remotely'),
                            ('{"state":{"Logging Timer":{"Interval":[1]}}}', "too deep"),
                            ('{"state":{"Logging Timer":{"Interval":1 2}}}', "not valid JSON"),
                            ('{"state":{"Logging Timer":{"Interval":NaN}}}', "not valid JSON"),
                            ('{"state":[]}', "not a JSON object"),
                            ('{"version":1}', "no state object")):
        report = json.loads(awsdelta.handle(Link(app), TOPIC, message))
        assert reason in report["state"]["reported"]["config_error"], (message, report)
        assert app.said[-1].startswith("[W] AWS IoT: desired settings refused, none applied: ")
    assert app.settings.get(INTERVAL) == INTERVAL.default and app.nvm == bytearray(b"\xff" * 8192)


def test_only_the_documents_delta_is_read():
    app = FakeApp()
    doc = ('{"state":{"desired":{"Logging Timer":{"Interval":3000}},"reported":{"x":{"delta":{"Logging Timer":'
           '{"Interval":5}}},"s":"}\\"{"},"delta":{"Logging Timer":{"Interval":3000}}},"version":9,"clientToken":"abcd-cfg0"}')
    report = json.loads(awsdelta.handle(Link(app), "$aws/things/T/shadow/get/accepted", doc))
    assert report["state"]["reported"]["Logging Timer"] == {"Interval": 3000}
    assert awsdelta.handle(Link(app), "$aws/things/T/shadow/get/accepted", '{"state":{"reported":{}}}') is None
    assert awsdelta.handle(Link(app), "$aws/things/T/shadow/get/rejected", '{"code":404}') is None


def test_what_the_shadow_already_has_of_the_outbox_is_not_sent_again():
    from core.outbox import Outbox

    def observation(entry, time):
        return '{"General":{"Time":"%s","Entry":%d},"BME280":{"Temperature":21.5}}' % (time, entry)

    def document(general):
        return '{"state":{"reported":{"General":%s,"BME280":{"Temperature":21.5}}},"clientToken":"abcd-cfg0"}' % general

    get = "$aws/things/T/shadow/get/accepted"
    app = FakeApp()
    link = Link(app)
    link.flight = []
    link.doc_due = True
    link.out_of_order = False
    link.box = box = Outbox(None, "aws", 64, 20)  # RAM: the card's Outbox has the same API
    for entry in (7, 8, 9, 10):
        box.put(entry, 0, observation(entry, "2026-12-02 10:00:%02d" % entry))
    # A later boot's Entry 8 (another time), or a General of Entry alone: not proof; nothing leaves.
    # A time since start (the same at every boot), or no time at all: not either.
    for general in ('{"Time":"2026-12-02 11:00:08","Entry":8}', '{"Entry":8}', '[1]', '{"Entry":8,',
                    '{"Time (millis)":"8000","Entry":8}', '{"Entry":8,"Board Name":"DataLogger IoT"}'):
        awsdelta.handle(link, get, document(general))
        assert box.pending == 4 and [box.next()[0] for _ in range(4)] == [7, 8, 9, 10], general
        box.rewind()
    assert link.doc_due is False
    # The shadow's newest is entry 8: 7 and 8 got there (their confirmation was lost); 9 and 10 are sent.
    awsdelta.handle(link, get, document('{"Time":"2026-12-02 10:00:08","Entry":8}'))
    assert box.pending == 2 and box.peek()[0] == 9
    assert app.said[-1] == ("[I] AWS IoT: the shadow already has the oldest 2 observation(s) of the outbox "
                            "(their confirmation was lost): not sent again")
    # Observations timed since start: the same General at every boot, so never taken as proof.
    millis = Outbox(None, "aws", 64, 20)
    link.box = millis
    millis.put(1, 0, '{"General":{"Time (millis)":"1000","Entry":1}}')
    awsdelta.handle(link, get, document('{"Time (millis)":"1000","Entry":1}'))
    assert millis.pending == 1
    # Nor a General without Entry and time (the shadow keeps an old Time after the mode went to none).
    millis.put(2, 0, '{"General":{"Board ID":"abc"}}')
    awsdelta.handle(link, get, document('{"Board ID":"abc","Time":"2026-12-02 10:00:01","Entry":1}'))
    assert millis.pending == 2
    link.box = box
    # After a throttled update (429) the shadow may hold later ones without it: nothing is skipped.
    link.out_of_order = True
    awsdelta.handle(link, get, document('{"Time":"2026-12-02 10:00:09","Entry":9}'))
    assert box.pending == 2
    link.out_of_order = False
    # Once something of the outbox is in flight on this connection, the document is too late to tell.
    link.flight = [["abcd-1", None, False, -1]]
    awsdelta.handle(link, get, document('{"Time":"2026-12-02 10:00:09","Entry":9}'))
    assert box.pending == 2
