"""Random keys and pauses into the menu, in-process over the host stand-ins: it never raises, never
blocks (each key returns at once), always shows a page, and ESC always gets out."""
import os
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostrun import REPO

KEYS = list("0123456789xXbBrRyYnN\r\n\x1b[AO\x7f\x08\x15 ~.-") + ["\x1b[A", "\x1b[B", "\x1bOC", "\x00", "\xff", "é"]
STEPS = (0, 50, 200, 1600, 61000)  # ms between keys: at once, an ESC's wait, the digit wait, the timeout


@pytest.fixture
def menu_app(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(REPO, "host", "stubs"))
    monkeypatch.delitem(sys.modules, "supervisor", raising=False)
    monkeypatch.chdir(tmp_path)
    os.mkdir("sd")
    from adafruit_ticks import ticks_ms

    from core.app import App
    from core.props import CORE_PROPERTIES
    from core.observation import Observation, Section
    from core.scheduler import Scheduler, Task
    from plugins.iot import aws
    from plugins.outputs import serial as serial_out
    from plugins.ui import menu

    class Device:
        def __init__(self, name, params):
            self.section = Section(name, params)
            self.address = 0x77

    app = App()
    app.settings.declare(list(CORE_PROPERTIES) + list(aws.PROPERTIES) + list(serial_out.PROPERTIES))
    app.scheduler = Scheduler(ticks_ms, app.warn, 1000)
    app.nvm = bytearray(8192)
    app.devices = [(Task("BME280"), Device("BME280", ("Humidity", "TemperatureC"))),
                   (Task("MAX17048"), Device("MAX17048", ("Voltage (V)",)))]
    app.general = Section("General", ("Entry",))
    app.observation = Observation([app.general] + [d.section for _, d in app.devices])
    menu.setup(app)
    yield app, app.console
    sys.modules.pop("supervisor", None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(STEPS)), max_size=80))
def test_random_keys_never_break_the_menu(menu_app, capsys, keys):
    import supervisor
    from adafruit_ticks import ticks_add, ticks_ms

    from core.console import out

    app, console = menu_app
    offset = 0
    try:
        for text, step in keys:
            for ch in text:
                began = time.monotonic()
                app.console.feed(ch)
                assert time.monotonic() - began < 1.0  # never waits
            offset += step
            menu = console.menu
            if menu is not None:
                menu.tick(ticks_add(ticks_ms(), offset))  # a fault would raise here, not be caught
            menu = console.menu
            if menu is not None:
                assert menu.stack and menu.mode in ("page", "text", "bool", "confirm")
        for _ in range(12):  # ESC, and its wait, until the menu is closed
            if console.menu is None:
                break
            app.console.feed("\x1b")
            offset += 200
            if console.menu is not None:
                console.menu.tick(ticks_add(ticks_ms(), offset))
    except supervisor.Reload:  # "r" and Y: a restart was asked for, as on the board
        console.menu = None
    said = capsys.readouterr().out
    assert console.menu is None
    assert out.held is None  # console lines flow again
    assert "menu closed by" not in said  # no fault inside the menu
    assert "Traceback" not in said
