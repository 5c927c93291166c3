"""The conformance table: one row per Qwiic device; tests/test_devices.py runs every row.

Adding a device = one plugin (plugins/sensors/<kind>.py, named in auto.KINDS), one simulator
(host/sim/<kind>.py, in host/sim/bus.py's TYPES) and one row here.

A row:
    kind        the plugin module (plugins/sensors/<kind>.py)
    sim         the simulator's bus-file type (host/sim/bus.py TYPES)
    name        the device name in the header (the original's, exactly)
    params      its parameters, in order (the original's names)
    digits      decimals per parameter
    addresses   where it can be, its default first
    rivals      other rows' sims that can sit at its addresses (collisions)
    values      simulated values for the read-back test (a constant profile)
    expect      {parameter: function(values) -> the value it must read}
    tolerance   {parameter: the chip's resolution (or the compensation's) in that unit}
    min_reads   the datasheet's minimum register reads (a write of the register's address and its
                read count once) for one observation; the plugin may use at most 1.5 times that
    faults      the simulator faults the row is tested with
    stemma      adafruit-stemma-detect's chip module name for it (its verdict must agree)
    onoff       TODO: per-parameter on/off, once the menu branch's schema has it
"""

from collections import namedtuple

Row = namedtuple("Row", "kind sim name params digits addresses rivals values expect tolerance min_reads faults "
                        "stemma onoff")


def _f(c):
    return c * 9.0 / 5.0 + 32.0


def _alt(hpa):
    return 44330.0 * (1.0 - (hpa * 100.0 / 101325.0) ** 0.1903)


ROWS = (
    Row("max17048", "MAX17048", "MAX17048", ("Voltage (V)", "State Of Charge (%)", "Change Rate (%/hr)"),
        (3, 3, 3), (0x36,), (), {"voltage": 3.85, "soc": 61.5, "charge_rate": -2.08},
        {"Voltage (V)": lambda v: v["voltage"], "State Of Charge (%)": lambda v: v["soc"],
         "Change Rate (%/hr)": lambda v: v["charge_rate"]},
        {"Voltage (V)": 78.125e-6, "State Of Charge (%)": 1 / 256.0, "Change Rate (%/hr)": 0.208},
        2, ("nack",), "max1704x", "TODO"),
    Row("bme280", "BME280", "BME280",
        ("Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF"), (3,) * 6,
        (0x77, 0x76), ("BMP3XX",), {"temperature": 23.25, "humidity": 41.5, "pressure": 987.6},
        {"Humidity": lambda v: v["humidity"], "TemperatureF": lambda v: _f(v["temperature"]),
         "TemperatureC": lambda v: v["temperature"], "Pressure": lambda v: v["pressure"] * 100.0,
         "AltitudeM": lambda v: _alt(v["pressure"]), "AltitudeF": lambda v: _alt(v["pressure"]) * 3.28084},
        {"Humidity": 0.01, "TemperatureF": 0.02, "TemperatureC": 0.01, "Pressure": 2.0, "AltitudeM": 0.2,
         "AltitudeF": 0.6},
        1, ("nack", "range", "reset", "stuck"), "bme280", "TODO"),
    Row("bmp3xx", "BMP3XX", "BMP384", ("Temperature (C)", "Pressure (Pa)"), (3, 3), (0x77, 0x76), ("BME280",),
        {"temperature": 18.75, "pressure": 1002.5},
        {"Temperature (C)": lambda v: v["temperature"], "Pressure (Pa)": lambda v: v["pressure"] * 100.0},
        {"Temperature (C)": 0.005, "Pressure (Pa)": 0.1},
        1, ("nack", "range", "reset"), "bmp3xx", "TODO"),
    Row("sht4x", "SHT4X", "SHT4x", ("Humidity (%RH)", "Temperature (C)", "Temperature (F)"), (3, 3, 3),
        (0x44, 0x45, 0x46), (), {"temperature": 26.5, "humidity": 63.25},
        {"Humidity (%RH)": lambda v: v["humidity"], "Temperature (C)": lambda v: v["temperature"],
         "Temperature (F)": lambda v: _f(v["temperature"])},
        {"Humidity (%RH)": 0.002, "Temperature (C)": 0.003, "Temperature (F)": 0.005},
        2, ("nack", "crc", "range"), "sht4x", "TODO"),
    Row("scd4x", "SCD4X", "SCD40", ("CO2 (PPM)", "Temperature (C)", "Humidity (%RH)"), (None, 3, 3), (0x62,), (),
        {"co2": 1234.0, "temperature": 24.5, "humidity": 38.5},
        {"CO2 (PPM)": lambda v: v["co2"], "Temperature (C)": lambda v: v["temperature"],
         "Humidity (%RH)": lambda v: v["humidity"]},
        {"CO2 (PPM)": 0.5, "Temperature (C)": 0.003, "Humidity (%RH)": 0.002},
        2, ("nack", "crc", "range"), "scd4x", "TODO"),
    Row("sgp40", "SGP40", "SGP40", ("VOC Index",), (None,), (0x59,), (), {"sraw": 31000.0},
        {"VOC Index": lambda v: 0},  # the algorithm's first 45 samples are 0 (see test_sgp40_* for the rest)
        {"VOC Index": 0.5},
        2, ("nack", "crc"), "sgp40", "TODO"),
    Row("ens160", "ENS160", "ENS160", ("AQI", "TVOC", "ETOH", "eCO2", "Temp Comp", "Humidity Comp"),
        (None, None, None, None, 3, 3), (0x53, 0x52), (), {"aqi": 3.0, "tvoc": 245.0, "eco2": 812.0},
        {"AQI": lambda v: v["aqi"], "TVOC": lambda v: v["tvoc"], "ETOH": lambda v: v["tvoc"],
         "eCO2": lambda v: v["eco2"], "Temp Comp": lambda v: 25.0, "Humidity Comp": lambda v: 50.0},
        {"AQI": 0.5, "TVOC": 0.5, "ETOH": 0.5, "eCO2": 0.5, "Temp Comp": 0.016, "Humidity Comp": 0.002},
        1, ("nack", "range"), "ens160", "TODO"),
    Row("scd30", "SCD30", "SCD30", ("CO2 (PPM)", "Temperature (C)", "Humidity (%RH)"), (None, 3, 3), (0x61,), (),
        {"co2": 987.0, "temperature": 21.75, "humidity": 52.5},
        {"CO2 (PPM)": lambda v: v["co2"], "Temperature (C)": lambda v: v["temperature"],
         "Humidity (%RH)": lambda v: v["humidity"]},
        {"CO2 (PPM)": 0.5, "Temperature (C)": 1e-4, "Humidity (%RH)": 1e-4},
        2, ("nack", "crc", "range"), "scd30", "TODO"),
)
