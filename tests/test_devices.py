"""The conformance suite: every row of tests/devices.py, through the unmodified Adafruit drivers
over host/sim's register-level simulators: detection (alone, beside its rivals, ties), names,
values read back, lean reads, faults, and Adafruit's own probes (adafruit-stemma-detect) agreeing
with ours on every simulated device."""

import json
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUBS = os.path.join(REPO, "host", "stubs")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from devices import ROWS  # noqa: E402

BY_KIND = {row.kind: row for row in ROWS}
BY_SIM = {row.sim: row for row in ROWS}
IDS = [row.kind for row in ROWS]


class Clock:
    def __init__(self):
        self.ns = 0

    def __call__(self):
        return self.ns

    def advance(self, s):
        self.ns += int(s * 1e9)


class App:
    """What plugins/sensors/auto.py uses of the App: settings.get, info, warn (messages kept)."""

    def __init__(self, **settings):
        self.said = []
        self.values = settings
        app = self

        from core.settings import Settings as Declared

        class Settings(Declared):  # the real one (a rescan declares new devices' parameters), values as given
            def get(self, prop):
                return app.values.get(prop.key, prop.default)

        self.settings = Settings()

    def info(self, text):
        self.said.append("[I] " + text)

    def warn(self, text):
        self.said.append("[W] " + text)


@pytest.fixture
def qwiic(monkeypatch):
    """make(devices) -> (bus, i2c, clock): a SimBus on a controlled clock behind our busio stand-in."""
    monkeypatch.syspath_prepend(REPO)
    for name in ("board", "busio"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(STUBS)
    import busio

    import host.runtime
    from host.sim.bus import TYPES, SimBus
    from plugins.sensors import auto

    import time

    clock = Clock()
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", clock.advance)  # the drivers' and probes' waits pass on the bus's clock
    for name, module in list(sys.modules.items()):  # and those of drivers that did "from time import sleep"
        wait = getattr(module, "sleep", None) if name.startswith("adafruit_") else None
        if wait is real_sleep or isinstance(getattr(wait, "__self__", None), Clock):
            monkeypatch.setattr(module, "sleep", clock.advance)

    def make(*devices):
        clock.ns = 0
        bus = SimBus(clock)
        for sim, address, values in devices:
            kwargs = {"chip_id": 0x60} if sim == "BMP390" else {}
            cls = TYPES["BMP3XX" if sim == "BMP390" else sim]
            bus.add(cls(cls.ADDRESSES[0] if address is None else address, dict(values or {}), **kwargs))
        monkeypatch.setattr(host.runtime, "bus", bus)
        monkeypatch.setattr(auto.pins, "_buses", {})
        return bus, busio.I2C(None, None), clock

    yield make
    for name in ("board", "busio"):
        sys.modules.pop(name, None)


def find(i2c, **settings):
    from plugins.sensors import auto

    app = App(**settings)
    return auto.find(app, i2c), app


def values_of(device):
    return dict(zip(device.section.params, device.section.values))


def settle(device, clock):
    """Read until the device has its first reading: its chip's first period passed (PERIOD_MS),
    then LAG + 1 observations (a command sent in one, its result read in the next)."""
    clock.advance(0.02 + device.PERIOD_MS / 1000.0)
    for i in range(device.LAG + 1):
        if i:
            clock.advance(max(0.05, device.LAG_S))  # the command's execution time (the SGP40's is 30 ms)
        device.read(clock.ns // 1000000)


# -- Detection --------------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_found_alone_at_each_address_with_the_originals_names(qwiic, row):
    for address in row.addresses:
        bus, i2c, _ = qwiic((row.sim, address, None))
        found, app = find(i2c)
        assert [(d.section.name, d.address) for d in found] == [(row.name, address)], app.said
        assert found[0].section.params == row.params and found[0].section.digits == row.digits
        assert "[I] found %s at %s" % (row.name, hex(address)) in app.said


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_identification_writes_nothing_but_register_addresses_and_its_own_probe_commands(qwiic, row):
    from plugins.sensors import auto

    bus, i2c, _ = qwiic((row.sim, row.addresses[0], None))
    writes = []
    real = bus.write
    bus.write = lambda address, data: (writes.append(bytes(data)), real(address, data))[1]
    kind, scores, tie = auto.identify(i2c, row.addresses[0], auto.KINDS)
    assert kind == row.kind and not tie, scores
    width = getattr(auto._module(row.kind), "REGISTER_ADDRESS_BYTES", 1)  # the VL53L1X's are 16-bit
    commands = getattr(auto._module(row.kind), "COMMANDS", ())  # a plugin's declared multi-byte probe commands
    from host.sim.bus import TYPES
    longest = max(width, 2 if TYPES[row.sim].CRC else 1)  # Sensirion's commands are two bytes
    assert all(len(w) <= longest or w in commands for w in writes), writes  # a register's address or a probe command


@pytest.mark.parametrize("row", [r for r in ROWS if r.rivals], ids=[r.kind for r in ROWS if r.rivals])
def test_rivals_at_the_same_address_are_told_apart(qwiic, row):
    for rival in row.rivals:
        other = BY_SIM[rival]
        # the rival alone at this row's address is the rival, not this device
        bus, i2c, _ = qwiic((rival, row.addresses[0], None))
        found, app = find(i2c)
        assert [d.section.name for d in found] == [other.name], app.said
        if len(row.addresses) < 2 or row.addresses[1] not in other.addresses:
            continue  # one address only (VEML7700 and VEML6075 at 0x10): they never share a bus
        # both on the bus, one at each of their shared addresses: each is itself
        bus, i2c, _ = qwiic((row.sim, row.addresses[0], None), (rival, row.addresses[1], None))
        found, app = find(i2c)
        assert sorted((d.address, d.section.name) for d in found) == sorted(
            [(row.addresses[0], row.name), (row.addresses[1], other.name)]), app.said


def test_a_bmp390_is_named_so_and_reads_like_a_bmp384(qwiic):
    bus, i2c, _ = qwiic(("BMP390", 0x77, {"temperature": 30.0, "pressure": 950.0}))
    found, app = find(i2c)
    assert [d.section.name for d in found] == ["BMP390"], app.said
    found[0].read(0)
    assert found[0].section.values[0] == pytest.approx(30.0, abs=0.005)


def test_a_tie_is_reported_and_neither_is_loaded(qwiic):
    # A chip that answers both the BME280's and the BMP3xx's probes equally well.
    from host.sim import RegisterDevice

    class Chimera(RegisterDevice):
        ADDRESSES = (0x77,)

        def reset(self):
            self.regs[0xD0] = 0x60  # BME280 chip ID
            self.regs[0x00] = 0x60  # BMP390 chip ID
            self.regs[0x31:0x31 + 21] = b"\x11" * 21
            self.regs[0x88:0x88 + 24] = b"\x22" * 24

    bus, i2c, _ = qwiic()
    bus.add(Chimera(0x77))
    found, app = find(i2c)
    assert found == []
    assert "[W] at 0x77: bme280 and bmp3xx match equally well (100 points); neither is loaded" in app.said


def test_two_of_a_kind_keep_the_originals_address_suffix(qwiic):
    bus, i2c, _ = qwiic(("BME280", 0x77, None), ("BME280", 0x76, None))
    found, app = find(i2c)
    assert sorted(d.section.name for d in found) == ["BME280 [x76]", "BME280 [x77]"]


def test_a_device_list_replaces_the_scan_and_exclusions_skip(qwiic):
    bus, i2c, _ = qwiic(("BME280", 0x77, None), ("SHT4X", 0x44, None), ("MAX17048", 0x36, None))
    found, app = find(i2c, DEVICES_DEVICE_LIST="sht4x@0x44, bme280@0x76")
    assert [d.section.name for d in found] == ["SHT4x"]
    assert "[W] bme280 at 0x76: not identified; skipped" in app.said
    found, app = find(i2c, DEVICES_EXCLUDE="0x77, max17048")
    assert [d.section.name for d in found] == ["SHT4x"]
    found, app = find(i2c, DEVICES_EXCLUDE="bme280@0x77, nonsense")
    assert sorted(d.section.name for d in found) == ["MAX17048", "SHT4x"]
    assert any("DEVICES_EXCLUDE: \"nonsense\" is not kind, address or kind@address" in s for s in app.said)


# -- Readings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_values_read_back_within_the_chips_resolution(qwiic, row):
    bus, i2c, clock = qwiic((row.sim, row.addresses[0], row.values))
    (device,), app = find(i2c)
    settle(device, clock)
    got = values_of(device)
    for param in row.params:
        assert got[param] == pytest.approx(row.expect[param](row.values), abs=row.tolerance[param]), param


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_a_sine_profile_is_followed_observation_by_observation(qwiic, row):
    from host.sim import Signal

    key = sorted(row.values)[0]
    lo, hi = sorted((row.values[key], row.values[key] * 1.02 + 0.5))
    bus, i2c, clock = qwiic((row.sim, row.addresses[0], row.values))
    bus.get(row.addresses[0]).set(key, Signal(lo, hi, 10.0, "sine"))
    (device,), app = find(i2c)
    sim = bus.get(row.addresses[0])
    following = [p for p in row.params if row.expect[p]({**row.values, key: 1.0}) != row.expect[p]({**row.values, key: 2.0})]
    if not following:  # an algorithm's output (the SGP40's VOC Index) follows the history: a valid value each time
        for step in range(1, 6):
            clock.advance(1.7)
            device.read(step * 1700)
            assert step <= device.LAG or None not in device.section.values, (step, values_of(device))
        return
    param = following[0]
    compared = 0
    for step in range(1, 6):
        clock.advance(1.7)
        device.read(step * 1700)
        now = clock.ns / 1e9
        if hasattr(sim, "taken_s"):  # a chip measuring on its own schedule says when the reading read out was taken
            if sim.taken_s is None:
                continue
            now = sim.taken_s
        elif step <= device.LAG:  # the reading was started by an earlier observation
            continue
        else:
            now -= 1.7 * device.LAG
        compared += 1
        want = row.expect[param]({**row.values, key: Signal(lo, hi, 10.0, "sine").at(now)})
        assert values_of(device)[param] == pytest.approx(want, abs=row.tolerance[param] * 2), (step, param)
    assert compared >= 2


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_one_observation_takes_at_most_1_5_times_the_datasheets_register_reads(qwiic, row):
    bus, i2c, clock = qwiic((row.sim, row.addresses[0], row.values))
    (device,), app = find(i2c)
    settle(device, clock)  # warm: the first observation is like any other
    clock.advance(max(0.02, device.LAG_S))
    bus.reset_counts()
    device.read(clock.ns // 1000000)
    reads = bus.count(row.addresses[0])["reads"]
    assert reads <= row.min_reads * 1.5, (reads, row.min_reads)


# -- Faults -----------------------------------------------------------------------------------

def _empty(device):
    return all(v is None for v in device.section.values)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_faults_leave_fields_empty_counted_and_told(qwiic, row):
    for fault in row.faults:
        if fault == "stuck":
            continue
        bus, i2c, clock = qwiic((row.sim, row.addresses[0], row.values), ("MAX17048" if row.sim != "MAX17048"
                                                                          else "SHT4X", None, None))
        found, app = find(i2c)
        device = [d for d in found if d.address == row.addresses[0]][0]
        other = [d for d in found if d is not device][0]
        settle(device, clock)
        bus.set_fault(row.addresses[0], fault)
        for _ in range(device.LAG + 1 if fault in ("crc", "range") else 1):  # a command's result is read a cycle later
            clock.advance(max(0.05 + device.PERIOD_MS / 1000.0, device.LAG_S))  # a chip on its own schedule: its next reading
            t = clock.ns // 1000000
            device.read(t)
            other.read(t)
        assert _empty(device) if fault != "range" else any(v is None for v in device.section.values), fault
        assert all(v is not None for v in other.section.values), fault  # the others unaffected
        if fault == "nack":
            assert sum("not answering" in s for s in app.said) == 1
            device.read(t + 20)  # backing off: not tried again yet, still reported once
            assert sum("not answering" in s for s in app.said) == 1 and _empty(device)
        elif fault == "reset":
            assert any("bad reading (the chip was reset)" in s for s in app.said) or row.kind == "max17048", app.said
        else:
            assert device.bad >= 1 and any("bad reading" in s for s in app.said), (fault, app.said)
        bus.set_fault(row.addresses[0], None)
        for _ in range(4 + device.PERIOD_MS // 1000):  # back on a later retry (and the chip's next reading)
            clock.advance(2.0)
            device.read(clock.ns // 1000000)
        assert all(v is not None for v in device.section.values), (fault, values_of(device), app.said)


def test_unplugged_mid_run_is_told_once_retried_with_backoff_and_back(qwiic):
    bus, i2c, clock = qwiic(("BME280", 0x77, None), ("SHT4X", 0x44, None))
    found, app = find(i2c)
    bme = [d for d in found if d.address == 0x77][0]
    sht = [d for d in found if d.address == 0x44][0]
    gone = bus.remove(0x77)
    tried = []
    real = bus.write
    bus.write = lambda address, data: (tried.append(address), real(address, data))[1]
    for t in range(0, 8000, 250):
        clock.advance(0.25)
        bme.read(t)
        sht.read(t)
        assert _empty(bme) and not any(v is None for v in sht.section.values)
    assert sum("BME280 at 0x77: not answering" in s for s in app.said) == 1
    assert 3 <= tried.count(0x77) <= 5  # tried at 0, 1, 3, 7 s: backing off, not every cycle
    bus.plug(gone)
    for t in range(8000, 24000, 250):
        clock.advance(0.25)
        bme.read(t)
    assert "[W] BME280 at 0x77: answering again" in app.said
    assert values_of(bme)["TemperatureC"] == pytest.approx(21.5, abs=0.01)


def test_a_stuck_bus_fails_the_scan_cleanly(qwiic):
    bus, i2c, _ = qwiic(("BME280", 0x77, None), ("MAX17048", 0x36, None))
    bus.set_fault(0x77, "stuck")
    with pytest.raises(OSError):
        bus.read(0x36, 1)
    found, app = find(i2c, DEVICES_DEVICE_LIST="max17048@0x36")
    assert found == [] and "[W] max17048 at 0x36: not identified; skipped" in app.said
    found, app = find(i2c)
    assert found == [] and "[W] I2C scan failed ([Errno 116] I2C bus stuck: SDA held low): no devices loaded" in app.said


def test_bad_readings_are_empty_in_csv_and_null_in_json(qwiic):
    import json

    from core.observation import Observation

    bus, i2c, clock = qwiic(("SHT4X", 0x44, None))
    (device,), app = find(i2c)
    bus.set_fault(0x44, "crc")
    clock.advance(0.02)
    device.read(0)
    obs = Observation([device.section])
    assert obs.csv() == ",,"
    assert json.loads(obs.json()) == {"SHT4x": {p: None for p in device.section.params}}
    assert device.bad == 3 and "[W] SHT4x.Humidity (%RH): bad reading (CRC error), left empty; 1 so far" in app.said


# -- Adafruit's own probes agree --------------------------------------------------------------

def test_adafruit_stemma_detect_agrees_on_every_simulated_device(qwiic):
    import stemma_detect
    from stemma_detect import Confidence

    chips = stemma_detect.discover_chips()
    known = {chip.name: chip.addresses for chip in chips}
    best = {chip.name: chip.probe_confidence for chip in chips}  # some probes can only say POSSIBLE (VEML7700)
    for row in ROWS:
        # a tuple: Adafruit's probes cannot tell these chips apart, each says POSSIBLE (LPS22HB and LPS35HW)
        names = row.stemma if isinstance(row.stemma, tuple) else (row.stemma,) * (row.stemma is not None)
        level = Confidence.POSSIBLE if isinstance(row.stemma, tuple) else best.get(row.stemma)
        for address in row.addresses:
            if names and address not in known[names[0]]:
                continue  # Adafruit's probe does not look there (the SHT4x's 0x45, 0x46)
            bus, i2c, _ = qwiic((row.sim, address, None))
            theirs = [d for d in stemma_detect.scan(i2c, chips) if d.address == address and
                      d.confidence in (Confidence.MATCH, level)]
            if isinstance(row.stemma, tuple):  # its strongest signatures only (a BH1750 guess at 0x5C is weaker)
                theirs = [d for d in theirs if d.score == max(e.score for e in theirs)]
            found, app = find(i2c)
            assert sorted(d.family for d in theirs) == sorted(names), (row.kind, hex(address), theirs)
            assert [d.section.name for d in found] == [row.name]


def test_devices_scan_finds_a_new_device_and_drops_a_gone_one(qwiic):
    from core.observation import Section
    from core.scheduler import Task
    from host.sim.sht4x import SHT4X
    from plugins.sensors import auto

    bus, i2c, clock = qwiic(("BME280", 0x77, None))
    app = App()
    found = auto.find(app, i2c)
    app.devices = [(Task(d.section.name), d) for d in found]
    app.general = Section("General", ("Entry",))

    class Serial:
        json_format = False
        header_due = False

    app.outputs = [(Task("outputs.serial"), Serial())]
    app.prepare = lambda: app.said.append("prepared")
    from core.app import App as Logger
    app.layout = lambda: Logger.layout(app)  # the observation laid out as the logger does
    bus.add(SHT4X(0x44))
    auto.rescan(app)
    assert [d.section.name for _, d in app.devices] == ["SHT4x", "BME280"]
    assert app.observation.header() == ("General.Entry,SHT4x.Humidity (%RH),SHT4x.Temperature (C),"
                                        "SHT4x.Temperature (F),BME280.Humidity,BME280.TemperatureF,"
                                        "BME280.TemperatureC,BME280.Pressure,BME280.AltitudeM,BME280.AltitudeF")
    assert app.outputs[0][1].header_due and "prepared" in app.said  # the serial output prints the new header
    assert app.devices[1][1] is found[0]  # the running BME280 is kept
    bus.remove(0x77)
    auto.rescan(app)
    assert [d.section.name for _, d in app.devices] == ["SHT4x"] and "[I] gone: BME280 at 0x77" in app.said
    auto.rescan(app)
    assert app.said[-1] == "[I] devices: 1 (unchanged)"


def test_the_bus_file_takes_profiles_faults_and_turnaround_and_names_mistakes(qwiic):
    from host.sim.bus import BusFileError, parse_bus

    now = [0]
    doc = {"turnaround_us": 0, "devices": [
        {"type": "SHT4X", "values": {"temperature": {"profile": "noise", "from": 10, "to": 30, "period_s": 1,
                                                     "seed": 7},
                                     "humidity": {"profile": "ramp", "from": 0, "to": 100, "period_s": 10}},
         "faults": [{"kind": "nack", "from_s": 5, "to_s": 6}]},
        {"type": "BME280", "faults": [{"kind": "reset", "from_s": 2}]}]}
    bus = parse_bus(doc, "t.json", clock_ns=lambda: now[0])
    sht = bus.get(0x44)
    seen = []
    for t in (0.5, 1.5, 2.5):
        now[0] = int(t * 1e9)
        seen.append(sht.value("temperature"))
    assert len(set(seen)) == 3 and all(10 <= v <= 30 for v in seen)
    again = [0]
    twin = parse_bus(doc, "t.json", clock_ns=lambda: again[0]).get(0x44)
    for t, v in zip((0.5, 1.5, 2.5), seen):
        again[0] = int(t * 1e9)
        assert twin.value("temperature") == v  # the same seed, the same run
    assert sht.value("humidity") == pytest.approx(25.0)  # the ramp at 2.5 s of 10
    now[0] = int(5.5e9)
    with pytest.raises(OSError):
        bus.write(0x44, b"\xfd")
    now[0] = int(6.5e9)
    bus.write(0x44, b"\xfd")
    for bad, words in (({"kind": "crc"}, "crc: this chip sends no CRC"),
                       ({"kind": "melt"}, "must be one of nack, crc, stuck, range, reset"),
                       ({"kind": "nack", "from_s": 3, "to_s": 1}, "to_s null or a later number")):
        with pytest.raises(BusFileError) as info:
            parse_bus({"devices": [{"type": "BME280", "faults": [bad]}]}, "t.json")
        assert "bus file t.json: devices[0]: key 'faults[0" in str(info.value) and words in str(info.value)
    with pytest.raises(BusFileError, match="'values.temperature.profile': must be one of triangle, sine"):
        parse_bus({"devices": [{"type": "BME280", "values": {"temperature": {
            "profile": "square", "from": 1, "to": 2, "period_s": 1}}}]}, "t.json")


# -- Compensation across devices (plugins/sensors/base.py: GIVES, NEEDS, connect) ------------------

def _run(devices, clock, seconds, step=1.0):
    for _ in range(int(seconds / step)):
        clock.advance(step)
        for device in devices:
            device.read(clock.ns // 1000000)


def test_compensation_from_the_best_device_present_reaches_the_chips(qwiic):
    bus, i2c, clock = qwiic(("BME280", 0x77, {"temperature": 28.5, "humidity": 61.0, "pressure": 950.0}),
                            ("SGP40", None, None), ("SCD4X", None, {"temperature": 20.0, "humidity": 30.0}),
                            ("SHT4X", None, {"temperature": 10.0, "humidity": 20.0}), ("ENS160", None, None))
    found, app = find(i2c)
    assert "[I] SGP40 takes temperature and humidity from BME280" in app.said, app.said
    assert "[I] ENS160 takes temperature and humidity from BME280" in app.said
    assert "[I] SCD40 takes pressure from BME280" in app.said
    _run(found, clock, 12.0)
    rh, celsius = bus.get(0x59).given
    assert rh == pytest.approx(61.0, abs=0.002) and celsius == pytest.approx(28.5, abs=0.003)
    rh, celsius = bus.get(0x53).given
    assert rh == pytest.approx(61.0, abs=0.002) and celsius == pytest.approx(28.5, abs=0.016)
    ens = [d for d in found if d.address == 0x53][0]
    assert values_of(ens)["Temp Comp"] == pytest.approx(28.5, abs=0.016)  # the chip says what it used
    assert bus.get(0x62).pressure_hpa == 950
    # without the BME280: humidity and temperature from the SHT4x, pressure from a BMP3xx
    bus, i2c, clock = qwiic(("BMP3XX", 0x77, {"pressure": 1002.4}), ("SGP40", None, None),
                            ("SCD4X", None, {"temperature": 20.0, "humidity": 30.0}),
                            ("SHT4X", None, {"temperature": 10.0, "humidity": 20.0}))
    found, app = find(i2c)
    assert "[I] SGP40 takes temperature and humidity from SHT4x" in app.said, app.said
    assert "[I] SCD40 takes pressure from BMP384" in app.said
    _run(found, clock, 12.0)
    assert bus.get(0x59).given == (pytest.approx(20.0, abs=0.002), pytest.approx(10.0, abs=0.003))
    assert bus.get(0x62).pressure_hpa == 1002
    # only the SCD4x measures the air: its temperature and humidity, once it has a reading
    bus, i2c, clock = qwiic(("SGP40", None, None), ("SCD4X", None, {"temperature": 20.0, "humidity": 30.0}))
    found, app = find(i2c)
    assert "[I] SGP40 takes temperature and humidity from SCD40" in app.said
    assert "[I] SCD40 takes pressure from nothing present" in app.said
    _run(found, clock, 2.0)
    assert bus.get(0x59).given == (pytest.approx(50.0, abs=0.002), pytest.approx(25.0, abs=0.003))  # the default
    _run(found, clock, 10.0)
    assert bus.get(0x59).given == (pytest.approx(30.0, abs=0.002), pytest.approx(20.0, abs=0.003))
    assert bus.get(0x62).pressure_hpa == 0  # never set: the chip's default (no compensation)


def test_sgp40_voc_index_is_the_drivers_algorithm_over_the_raw_signal(qwiic):
    from adafruit_sgp40.voc_algorithm import VOCAlgorithm

    from host.sim import Signal

    bus, i2c, clock = qwiic(("SGP40", None, {"sraw": 30000.0}))
    (device,), app = find(i2c)
    sim = bus.get(0x59)
    sim.set("sraw", Signal(26000, 36000, 7.0, "noise", 3))
    ours = VOCAlgorithm()
    ours.vocalgorithm_init()
    raw = None
    seen = []
    for _ in range(60):
        clock.advance(1.0)
        device.read(clock.ns // 1000000)
        if raw is not None:
            assert device.section.values[0] == ours.vocalgorithm_process(raw)
            seen.append(device.section.values[0])
        raw = int(round(sim.value("sraw")))  # what the measurement this observation started will read
    assert seen[0] == 0 and seen[-1] > 0  # 45 samples of blackout, then the index


# -- Parameters on and off ------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_each_parameter_is_a_setting_that_takes_it_out_of_the_lines(qwiic, row):
    # Each parameter is a setting ("<device>"/"<parameter>", on by default: Devices Settings, settings.toml,
    # datalogger.json); switched off, it leaves the header, the CSV and the JSON, and the columns agree.
    from core.app import App as Logger
    from core.schema import settings_key
    from core.scheduler import Task
    from plugins.sensors.auto import _declare_params

    bus, i2c, clock = qwiic((row.sim, row.addresses[0], row.values))
    (device,), _ = find(i2c)
    app = Logger()
    app.devices = [(Task(device.section.name), device)]
    _declare_params(app.settings, app.devices)
    name = device.section.name
    keys = [settings_key(name, p) for p in row.params]
    assert [app.settings.values[k] for k in keys] == [True] * len(keys)
    app.settings.values[keys[0]] = False
    app.layout()
    settle(device, clock)
    obs = app.observation
    obs.changed()
    header = [h for h in obs.header().split(",") if h]
    assert header == [name + "." + p for p in row.params[1:]]
    if header:
        assert len(obs.csv().split(",")) == len(header)
    assert list(json.loads(obs.json())[name]) == list(row.params[1:])


def test_the_scan_table_names_each_plugins_addresses():
    # sensors.auto's WHERE lets a scan import only the plugins that can be at an address that answered.
    import importlib

    from plugins.sensors import auto

    assert set(auto.WHERE) == set(auto.KINDS)
    for kind in auto.KINDS:
        assert auto.WHERE[kind] == importlib.import_module("plugins.sensors." + kind).ADDRESSES, kind
