"""SD file rotation, with a hand-turned clock over real files (a day is too long to wait for)."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOUR = 3600000


class Clock:
    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


@pytest.fixture
def sd_output(tmp_path, monkeypatch):
    """An outputs.sdcard plugin on the host stand-ins, writing to tmp_path/card."""
    monkeypatch.syspath_prepend(os.path.join(REPO, "host", "stubs"))
    for name in ("board", "busio", "sdcardio", "storage"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    from host import runtime

    card = tmp_path / "card"
    card.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "sd").mkdir()  # the mount point, as on CIRCUITPY
    monkeypatch.setattr(runtime, "SD_DIR", str(card))
    monkeypatch.chdir(root)
    from core import pins, sdcard
    from core.observation import Observation, Section
    from core.settings import Settings
    from plugins.outputs import sdcard as plugin

    said = []
    clock = Clock()

    class App:
        settings = Settings()
        # As the App's scheduler: now_ms() reads the clock, `now` is where the running call began.
        scheduler = type("S", (), {"now_ms": clock, "now": property(lambda self: clock.now)})()
        info = warn = said.append

    App.settings.declare(pins.PROPERTIES + plugin.PROPERTIES)
    section = Section("General", ("Entry",))
    observation = Observation([section])
    yield plugin.setup(App), App.scheduler.now_ms, section, observation, card, said
    sdcard.unmount()


def test_a_new_file_with_its_header_after_the_rotate_period(sd_output):
    out, clock, section, observation, card, said = sd_output
    for entry in range(1, 4):
        section.values[0] = entry
        observation.changed()
        out.write(observation)
        clock.now += 12 * HOUR  # the default period is 1 day: entry 3 comes 24 h after the file began
    assert sorted(os.listdir(card)) == ["sfe0001.txt", "sfe0002.txt"]
    assert (card / "sfe0001.txt").read_text() == "General.Entry\n1\n2\n"
    assert (card / "sfe0002.txt").read_text() == "General.Entry\n3\n"
    assert "SD card: logging to sd/sfe0002.txt" in said
    out.close()
