import json

from core.observation import Observation, Section, format_value


def sample():
    general = Section("General", ("Time", "Entry", "Board Name"))
    bme = Section("BME280", ("Humidity", "TemperatureC"), (2, 2))
    gauge = Section("MAX17048", ("Voltage (V)", "State Of Charge (%)"), (2, 1))
    general.values[0] = "2026-11-25T21:39:54.000Z"
    general.values[1] = 7
    general.values[2] = "DataLogger IoT"
    bme.values[0] = 45.126
    bme.values[1] = 21.5
    gauge.values[0] = 4.3
    gauge.values[1] = 91.24
    return Observation([general, bme, gauge]), bme


def test_csv_header_and_line_keep_the_declared_order():
    obs, _ = sample()
    assert obs.header() == ("General.Time,General.Entry,General.Board Name,BME280.Humidity,"
                            "BME280.TemperatureC,MAX17048.Voltage (V),MAX17048.State Of Charge (%)")
    assert obs.csv() == "2026-11-25T21:39:54.000Z,7,DataLogger IoT,45.13,21.50,4.30,91.2"


def test_json_is_the_originals_shape_in_a_stable_order():
    obs, _ = sample()
    text = obs.json()
    assert text == ('{"General":{"Time":"2026-11-25T21:39:54.000Z","Entry":7,"Board Name":"DataLogger IoT"},'
                    '"BME280":{"Humidity":45.13,"TemperatureC":21.50},'
                    '"MAX17048":{"Voltage (V)":4.30,"State Of Charge (%)":91.2}}')
    assert json.loads(text)["MAX17048"]["Voltage (V)"] == 4.3


def test_a_failed_device_leaves_empty_fields_not_shifted_columns():
    obs, bme = sample()
    bme.clear()
    obs.changed()
    assert obs.csv() == "2026-11-25T21:39:54.000Z,7,DataLogger IoT,,,4.30,91.2"
    assert json.loads(obs.json())["BME280"] == {"Humidity": None, "TemperatureC": None}


def test_texts_are_cached_until_the_values_change():
    obs, bme = sample()
    first = obs.csv()
    bme.values[0] = 50.0
    assert obs.csv() is first
    obs.changed()
    assert "50.00" in obs.csv()


def test_values_are_written_as_the_original_writes_them():
    assert format_value([1.0, 2.5], 1) == "[1.0,2.5]"
    assert format_value(True, None) == "True"
    assert format_value('say "hi", twice', None) == '"say ""hi"", twice"'
    assert format_value(0.125, 0) == "0"
    assert format_value(None, 2) == ""
    nan = float("nan")
    obs = Observation([Section("S", ("v",))])
    obs.sections[0].values[0] = nan
    assert json.loads(obs.json()) == {"S": {"v": None}}


def test_the_fast_and_general_csv_paths_write_the_same_line():
    obs, bme = sample()
    fast = obs._csv_fast()
    assert fast == obs._csv_slow() == "2026-11-25T21:39:54.000Z,7,DataLogger IoT,45.13,21.50,4.30,91.2"
    bme.values[0] = 40  # an int where a float is declared is written at the declared precision
    obs.changed()
    assert obs._csv_fast() == obs._csv_slow()
    obs.sections[0].values[2] = "Lab, bench 2"
    obs.changed()
    assert obs._csv_fast() is None and obs.csv().endswith(',"Lab, bench 2",40.00,21.50,4.30,91.2')


def test_the_fast_csv_path_hands_over_whatever_the_format_would_get_wrong():
    # A text field ("%s" in the format) holding an array, an empty value, a quote or a comma, and
    # a number field holding text, None or an array: each line equals the general path's.
    general = Section("General", ("Time", "Note"))
    gauge = Section("G", ("V",), (2,))
    obs = Observation([general, gauge])
    cases = [(["t", [1.5]], 4.3), (["t", ()], 4.3), (["t", (1, 2)], 4.3), (["t", None], 4.3),
             (["t", 'a "b"'], 4.3), (["t", "a,b"], 4.3), (["t", "[x] (y)"], 4.3), (["t", 7], "text"),
             (["t", 7], None), (["t", 7], [1.0, 2.0]), (["t", 7], 4.3), (["t", ""], 4)]
    for texts, number in cases:
        general.values[:] = texts
        gauge.values[0] = number
        obs.changed()
        assert obs.csv() == obs._csv_slow(), (texts, number, obs.csv())
    assert obs.csv() == "t,,4.00"
    gauge.values[0] = 4.3
    obs.changed()
    assert obs._csv_fast() == "t,,4.30"  # the usual case takes the fast path
