"""The simulated I2C bus, read through the UNMODIFIED Adafruit drivers.

host/stubs goes first on sys.path only inside the ``hw`` fixture, and the
``board`` / ``busio`` modules it imports are dropped again afterwards.
"""

import json
import math
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUBS = os.path.join(REPO, "host", "stubs")
STUB_MODULES = ("board", "busio")

BME_VALUES = {"temperature": 21.5, "humidity": 45.0, "pressure": 1013.25}
GAUGE_VALUES = {"voltage": 4.1, "soc": 87.5, "charge_rate": -1.04}


def bus_doc(bme=None, gauge=None, bme_address="0x77"):
    return {"devices": [
        {"type": "BME280", "address": bme_address, "values": bme or BME_VALUES},
        {"type": "MAX17048", "address": "0x36", "values": gauge or GAUGE_VALUES},
    ]}


def write_bus(tmp_path, doc, name="bus.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return str(path)


@pytest.fixture
def sim(monkeypatch):
    """host.sim.bus and host.runtime, importable from the repo root."""
    monkeypatch.syspath_prepend(REPO)
    import host.runtime
    import host.sim.bus

    monkeypatch.setattr(host.runtime, "bus", None)
    monkeypatch.setattr(host.runtime, "BUS_FILE", None)
    return host.sim.bus


@pytest.fixture
def hw(sim, monkeypatch):
    """(board, busio, use_bus): our stand-ins; use_bus(path) selects a bus file."""
    for name in STUB_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(STUBS)
    import board
    import busio

    import host.runtime

    assert busio.__file__.startswith(STUBS) and board.__file__.startswith(STUBS)

    def use_bus(path):
        host.runtime.bus = sim.load_bus(path)
        return host.runtime.bus

    yield board, busio, use_bus
    for name in STUB_MODULES:
        sys.modules.pop(name, None)


def new_i2c(busio, board):
    return busio.I2C(board.SCL, board.SDA)


# -- The drivers read what the bus file says ---------------------------------

@pytest.mark.parametrize("values,address", [
    (BME_VALUES, "0x77"),
    ({"temperature": -10.25, "humidity": 5.0, "pressure": 850.0}, "0x76"),
    ({"temperature": 40.0, "humidity": 95.5, "pressure": 1085.3}, "0x77"),
    ({"temperature": 0.0, "humidity": 0.0, "pressure": 300.0}, "0x77"),
    ({"temperature": 84.9, "humidity": 100.0, "pressure": 1100.0}, "0x76"),
])
def test_bme280_driver_reads_the_bus_file(hw, tmp_path, values, address):
    board, busio, use_bus = hw
    from adafruit_bme280.basic import Adafruit_BME280_I2C

    use_bus(write_bus(tmp_path, bus_doc(bme=values, bme_address=address)))
    sensor = Adafruit_BME280_I2C(new_i2c(busio, board), address=int(address, 16))
    assert sensor.temperature == pytest.approx(values["temperature"], abs=0.01)
    assert sensor.humidity == pytest.approx(values["humidity"], abs=0.05)
    assert sensor.relative_humidity == pytest.approx(values["humidity"], abs=0.05)
    assert sensor.pressure == pytest.approx(values["pressure"], abs=0.01)
    sensor.sea_level_pressure = 1020.0
    expected = 44330 * (1.0 - math.pow(values["pressure"] / 1020.0, 0.1903))
    assert sensor.altitude == pytest.approx(expected, abs=0.1)


def test_max17048_driver_reads_the_bus_file(hw, tmp_path):
    board, busio, use_bus = hw
    from adafruit_max1704x import MAX17048

    use_bus(write_bus(tmp_path, bus_doc()))
    gauge = MAX17048(new_i2c(busio, board))
    assert gauge.cell_voltage == pytest.approx(4.1, abs=78.125e-6 / 2 + 1e-9)
    assert gauge.cell_percent == pytest.approx(87.5, abs=1 / 512)
    assert gauge.charge_rate == pytest.approx(-1.04, abs=0.104)
    assert gauge.chip_version & 0xFFF0 == 0x0010
    assert gauge.reset_alert is False  # the driver's reset cleared RI
    assert gauge.reset_voltage == pytest.approx(3.0)
    assert gauge.active_alert is False and gauge.alert_reason == 0
    gauge.voltage_alert_max = 4.0  # 4.1 V is above it: VH latches, ALRT is set
    assert gauge.voltage_alert_max == pytest.approx(4.0)
    assert gauge.cell_voltage > 4.0
    assert gauge.voltage_high_alert and gauge.active_alert
    gauge.hibernate()
    assert gauge.hibernating
    gauge.wake()
    assert not gauge.hibernating


@pytest.mark.parametrize("volts,soc,rate", [(3.0, 0.0, 0.0), (4.35, 100.0, 12.48), (3.7, 42.3, -30.0)])
def test_max17048_register_scaling(hw, tmp_path, volts, soc, rate):
    board, busio, use_bus = hw
    from adafruit_max1704x import MAX17048

    use_bus(write_bus(tmp_path, bus_doc(gauge={"voltage": volts, "soc": soc, "charge_rate": rate})))
    gauge = MAX17048(new_i2c(busio, board))
    assert gauge.cell_voltage == pytest.approx(volts, abs=40e-6)
    assert gauge.cell_percent == pytest.approx(soc, abs=1 / 512)
    assert gauge.charge_rate == pytest.approx(rate, abs=0.104)


# -- busio.I2C behaves like CircuitPython's ----------------------------------

def test_scan_lists_exactly_the_configured_addresses(hw, tmp_path):
    board, busio, use_bus = hw
    use_bus(write_bus(tmp_path, bus_doc(bme_address="0x76")))
    i2c = new_i2c(busio, board)
    assert i2c.try_lock()
    assert i2c.scan() == [0x36, 0x76]
    assert i2c.probe(0x76) and not i2c.probe(0x77)
    i2c.unlock()


def test_missing_address_raises_enodev(hw, tmp_path):
    board, busio, use_bus = hw
    use_bus(write_bus(tmp_path, bus_doc()))
    i2c = new_i2c(busio, board)
    assert i2c.try_lock()
    for call in (lambda: i2c.writeto(0x40, b"\x00"),
                 lambda: i2c.readfrom_into(0x40, bytearray(1)),
                 lambda: i2c.writeto_then_readfrom(0x40, b"\xd0", bytearray(1))):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == 19
    i2c.unlock()
    from adafruit_bme280.basic import Adafruit_BME280_I2C

    with pytest.raises(ValueError, match="No I2C device"):  # I2CDevice's probe
        Adafruit_BME280_I2C(i2c, address=0x76)


def test_lock_deinit_and_buffer_slices(hw, tmp_path):
    board, busio, use_bus = hw
    use_bus(write_bus(tmp_path, bus_doc()))
    with new_i2c(busio, board) as i2c:
        with pytest.raises(RuntimeError, match="requires lock"):
            i2c.scan()
        assert i2c.try_lock() and not i2c.try_lock()
        buf = bytearray(b"\xaa\xd0\xaa\xaa")  # register 0xD0 in the middle of the buffer
        i2c.writeto_then_readfrom(0x77, buf, buf, out_start=1, out_end=2, in_start=2, in_end=3)
        assert buf == bytearray(b"\xaa\xd0\x60\xaa")
        i2c.writeto(0x77, b"\x00\xd0\x00", start=1, end=2)
        out = bytearray(3)
        i2c.readfrom_into(0x77, out, start=1)
        assert out == bytearray(b"\x00\x60\x00")
        with pytest.raises(ValueError):
            i2c.readfrom_into(0x77, bytearray(0))
        i2c.unlock()
    with pytest.raises(ValueError, match="deinitialized"):
        i2c.try_lock()


def test_board_singletons(hw, tmp_path):
    board, busio, use_bus = hw
    use_bus(write_bus(tmp_path, bus_doc()))
    assert board.board_id == "sparkfun_datalogger_iot_esp32s3"
    i2c = board.I2C()
    assert i2c is board.I2C() is board.STEMMA_I2C()
    i2c.deinit()
    assert board.I2C() is not i2c
    spi = board.SPI()
    assert spi is board.SPI()
    assert spi.try_lock()
    spi.configure(baudrate=4000000)
    spi.unlock()
    assert board.SDA is board.IO8 and board.SCL is not board.SDA
    assert repr(board.SD_CS).startswith("board.IO")


def test_runtime_loads_bus_file_lazily(hw, tmp_path):
    board, busio, _ = hw
    import host.runtime

    host.runtime.BUS_FILE = write_bus(tmp_path, {"devices": [{"type": "MAX17048"}]})
    i2c = new_i2c(busio, board)
    assert i2c.try_lock() and i2c.scan() == [0x36]


def test_default_bus_is_alive_and_in_range(hw):
    board, busio, use_bus = hw
    from adafruit_bme280.basic import Adafruit_BME280_I2C
    from adafruit_max1704x import MAX17048

    use_bus(None)
    i2c = new_i2c(busio, board)
    assert i2c.try_lock() and i2c.scan() == [0x36, 0x77]
    i2c.unlock()
    bme, gauge = Adafruit_BME280_I2C(i2c), MAX17048(i2c)
    assert 19.99 <= bme.temperature <= 24.01
    assert 39.9 <= bme.humidity <= 50.1
    assert 1011.9 <= bme.pressure <= 1014.6
    assert 3.9 <= gauge.cell_voltage <= 4.2 and 79.9 <= gauge.cell_percent <= 95.1


# -- Simulators and bus file, without busio ----------------------------------

def test_triangle_wave_follows_simulated_time(sim):
    now = [0]
    bus = sim.parse_bus({"devices": [{"type": "MAX17048", "values": {
        "soc": {"from": 10, "to": 30, "period_s": 100}}}]}, clock_ns=lambda: now[0])
    dev = bus.get(0x36)
    for t, soc in ((0, 10), (25, 20), (50, 30), (75, 20), (100, 10), (125, 20)):
        now[0] = t * 10**9
        assert dev.value("soc") == pytest.approx(soc)


def test_bme280_measuring_bit_lasts_the_conversion_time(sim):
    from host.sim import bme280

    now = [0.0]
    dev = bme280.BME280(0x77, {"temperature": 30.0}, clock=lambda: now[0])
    dev.write(bytes([bme280.CTRL_HUM, 0x01, bme280.CTRL_MEAS, 0x35]))  # x1, x16, x1, forced
    dev.write(bytes([bme280.STATUS]))
    assert dev.read(1) == b"\x08"
    dev.write(bytes([bme280.TEMP]))
    assert dev.read(3) == b"\x80\x00\x00"  # nothing converted yet
    now[0] = 0.05
    dev.write(bytes([bme280.STATUS]))
    assert dev.read(1) == b"\x00"
    dev.write(bytes([bme280.TEMP]))
    raw = dev.read(3)
    assert bme280.temperature((raw[0] << 12 | raw[1] << 4 | raw[2] >> 4)) == pytest.approx(30, abs=0.01)
    dev.write(bytes([bme280.CTRL_MEAS]))
    assert dev.read(1)[0] & 0x03 == 0  # back to sleep mode


def test_bme280_compensation_matches_the_datasheet_example(sim):
    from host.sim import bme280

    # BMP280 datasheet section 3.12: adc_T 519888 -> 25.08 degC, adc_P 415148 -> 100653.27 Pa.
    assert bme280.temperature(519888) == pytest.approx(25.08, abs=0.01)
    assert bme280.pressure(415148, bme280.t_fine(519888)) == pytest.approx(1006.5327, abs=0.001)


@pytest.mark.parametrize("doc,key", [
    ({"devices": [{"type": "BMP999"}]}, "'type'"),
    ({"devices": [{"type": "BME280", "address": "0x40"}]}, "'address'"),
    ({"devices": [{"type": "MAX17048"}, {"type": "BME280", "values": {"temp": 1}}]}, "'values.temp'"),
    ({"devices": [{"type": "MAX17048"}, {"type": "MAX17048", "values": {"soc": 1}}]}, "'address'"),
    ({"devices": [{"type": "BME280", "values": {"humidity": 120}}]}, "'values.humidity'"),
    ({"devices": [{"type": "BME280", "values": {"pressure": {"from": 1000, "to": 1010}}}]},
     "'values.pressure'"),
    ({"devices": [{"type": "BME280", "values": {"pressure": {"from": 1000, "to": 1010,
                                                              "period_s": 0}}}]},
     "'values.pressure.period_s'"),
    ({"devices": [{"type": "BME280", "values": {"temperature": "hot"}}]}, "'values.temperature'"),
    ({"devices": [{"type": "BME280", "colour": "blue"}]}, "'colour'"),
])
def test_bad_bus_file_names_file_device_and_key(sim, tmp_path, doc, key):
    path = write_bus(tmp_path, doc, "broken.json")
    with pytest.raises(sim.BusFileError) as info:
        sim.load_bus(path)
    message = str(info.value)
    index = len(doc["devices"]) - 1
    assert path in message and ("devices[%d]" % index) in message and key in message


@pytest.mark.parametrize("text", ['{"devices": [', '{"bus": []}', "[]"])
def test_unusable_bus_file_names_the_file(sim, tmp_path, text):
    path = write_bus(tmp_path, text, "odd.json")
    with pytest.raises(sim.BusFileError, match="odd.json"):
        sim.load_bus(path)
    with pytest.raises(sim.BusFileError, match="nothere.json"):
        sim.load_bus(str(tmp_path / "nothere.json"))
