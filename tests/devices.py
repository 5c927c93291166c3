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
    stemma      adafruit-stemma-detect's chip module name for it (its verdict must agree); None where it
                has no probe for the chip (then none of its probes may claim the simulated chip); a tuple
                where its probes cannot tell the chip from others and each says POSSIBLE (LPS22HB, LPS35HW)
"""

from collections import namedtuple

Row = namedtuple("Row", "kind sim name params digits addresses rivals values expect tolerance min_reads faults "
                        "stemma")


def _f(c):
    return c * 9.0 / 5.0 + 32.0


def _alt(hpa):
    return 44330.0 * (1.0 - (hpa * 100.0 / 101325.0) ** 0.1903)


VEML7700_LUX = 0.0042 * 8 * 16  # lux per count at gain 1/8, 100 ms (the driver's set-up)


def _tsl2591(v):
    # (full spectrum, infrared) counts at gain 25x, 100 ms (the driver's set-up), as the simulator makes them
    full = round(v["lux"] * 100.0 * 25.0 / 408.0 / (1.0 - 1.64 * v["ratio"]))
    return full, round(full * v["ratio"])


ROWS = (
    Row("max17048", "MAX17048", "MAX17048", ("Voltage (V)", "State Of Charge (%)", "Change Rate (%/hr)"),
        (3, 3, 3), (0x36,), (), {"voltage": 3.85, "soc": 61.5, "charge_rate": -2.08},
        {"Voltage (V)": lambda v: v["voltage"], "State Of Charge (%)": lambda v: v["soc"],
         "Change Rate (%/hr)": lambda v: v["charge_rate"]},
        {"Voltage (V)": 78.125e-6, "State Of Charge (%)": 1 / 256.0, "Change Rate (%/hr)": 0.208},
        2, ("nack",), "max1704x"),
    Row("bme280", "BME280", "BME280",
        ("Humidity", "TemperatureF", "TemperatureC", "Pressure", "AltitudeM", "AltitudeF"), (3,) * 6,
        (0x77, 0x76), ("BMP3XX",), {"temperature": 23.25, "humidity": 41.5, "pressure": 987.6},
        {"Humidity": lambda v: v["humidity"], "TemperatureF": lambda v: _f(v["temperature"]),
         "TemperatureC": lambda v: v["temperature"], "Pressure": lambda v: v["pressure"] * 100.0,
         "AltitudeM": lambda v: _alt(v["pressure"]), "AltitudeF": lambda v: _alt(v["pressure"]) * 3.28084},
        {"Humidity": 0.01, "TemperatureF": 0.02, "TemperatureC": 0.01, "Pressure": 2.0, "AltitudeM": 0.2,
         "AltitudeF": 0.6},
        1, ("nack", "range", "reset", "stuck"), "bme280"),
    Row("bmp3xx", "BMP3XX", "BMP384", ("Temperature (C)", "Pressure (Pa)"), (3, 3), (0x77, 0x76), ("BME280",),
        {"temperature": 18.75, "pressure": 1002.5},
        {"Temperature (C)": lambda v: v["temperature"], "Pressure (Pa)": lambda v: v["pressure"] * 100.0},
        {"Temperature (C)": 0.005, "Pressure (Pa)": 0.1},
        1, ("nack", "range", "reset"), "bmp3xx"),
    Row("sht4x", "SHT4X", "SHT4x", ("Humidity (%RH)", "Temperature (C)", "Temperature (F)"), (3, 3, 3),
        (0x44, 0x45, 0x46), (), {"temperature": 26.5, "humidity": 63.25},
        {"Humidity (%RH)": lambda v: v["humidity"], "Temperature (C)": lambda v: v["temperature"],
         "Temperature (F)": lambda v: _f(v["temperature"])},
        {"Humidity (%RH)": 0.002, "Temperature (C)": 0.003, "Temperature (F)": 0.005},
        2, ("nack", "crc", "range"), "sht4x"),
    Row("veml7700", "VEML7700", "VEML7700", ("Ambient Light Level", "White Level", "Lux"), (None, None, 3),
        (0x10,), ("VEML6075",), {"lux": 312.5, "white": 401.0},
        {"Ambient Light Level": lambda v: round(v["lux"] / VEML7700_LUX), "White Level": lambda v: round(
            v["white"] / VEML7700_LUX), "Lux": lambda v: v["lux"]},
        {"Ambient Light Level": 1, "White Level": 1, "Lux": VEML7700_LUX / 2 + 1e-6},
        2, ("nack", "range", "reset"), "veml7700"),
    Row("veml6075", "VEML6075", "VEML6075", ("UVA Level", "UVB Level", "UV Index"), (3, 3, 3), (0x10,),
        ("VEML7700",), {"uva": 812.0, "uvb": 455.0},
        {"UVA Level": lambda v: v["uva"], "UVB Level": lambda v: v["uvb"],
         "UV Index": lambda v: (v["uva"] * 0.001461 + v["uvb"] * 0.002591) / 2},
        {"UVA Level": 0.5, "UVB Level": 0.5, "UV Index": 0.002},
        4, ("nack", "range", "reset"), "veml6075"),
    Row("tsl2591", "TSL2591", "TSL2591", ("Visible (counts)", "Infrared (counts)", "Full Spectrum (counts)", "Lux"),
        (None, None, None, 3), (0x29,), ("VL53L1X",), {"lux": 487.5, "ratio": 0.25},
        {"Visible (counts)": lambda v: _tsl2591(v)[0] - _tsl2591(v)[1], "Infrared (counts)": lambda v: _tsl2591(v)[1],
         "Full Spectrum (counts)": lambda v: _tsl2591(v)[0], "Lux": lambda v: v["lux"]},
        {"Visible (counts)": 2, "Infrared (counts)": 1, "Full Spectrum (counts)": 1, "Lux": 0.5},
        1, ("nack", "range", "reset"), "tsl2591"),
    Row("vl53l1x", "VL53L1X", "VL53L1x", ("Distance (mm)", "Range Status", "Signal Rate"), (None, None, None),
        (0x29,), ("TSL2591",), {"distance": 853.0, "signal_rate": 9600.0},
        {"Distance (mm)": lambda v: v["distance"], "Range Status": lambda v: 0,
         "Signal Rate": lambda v: v["signal_rate"]},
        {"Distance (mm)": 1, "Range Status": 0, "Signal Rate": 4},
        2, ("nack", "range", "reset"), "vl53l1x"),
    Row("ism330", "ISM330", "ISM330",
        ("Accel X (milli-g)", "Accel Y (milli-g)", "Accel Z (milli-g)", "Gyro X (milli-dps)", "Gyro Y (milli-dps)",
         "Gyro Z (milli-dps)", "Temperature (C)"), (3,) * 7, (0x6B, 0x6A), (),
        {"accel_x": 12.5, "accel_y": -250.0, "accel_z": 980.0, "gyro_x": 1500.0, "gyro_y": -3200.0,
         "gyro_z": 250.0, "temperature": 27.5},
        {"Accel X (milli-g)": lambda v: v["accel_x"], "Accel Y (milli-g)": lambda v: v["accel_y"],
         "Accel Z (milli-g)": lambda v: v["accel_z"], "Gyro X (milli-dps)": lambda v: v["gyro_x"],
         "Gyro Y (milli-dps)": lambda v: v["gyro_y"], "Gyro Z (milli-dps)": lambda v: v["gyro_z"],
         "Temperature (C)": lambda v: v["temperature"]},
        {"Accel X (milli-g)": 0.122, "Accel Y (milli-g)": 0.122, "Accel Z (milli-g)": 0.122,
         "Gyro X (milli-dps)": 17.5, "Gyro Y (milli-dps)": 17.5, "Gyro Z (milli-dps)": 17.5,
         "Temperature (C)": 1 / 256.0},
        1, ("nack", "range", "reset"), "lsm6ds"),
    Row("lis3dh", "LIS3DH", "LIS3DH", ("Accel X (milli-g)", "Accel Y (milli-g)", "Accel Z (milli-g)"), (3, 3, 3),
        (0x18, 0x19), (), {"accel_x": -125.0, "accel_y": 333.0, "accel_z": 975.5},
        {"Accel X (milli-g)": lambda v: v["accel_x"], "Accel Y (milli-g)": lambda v: v["accel_y"],
         "Accel Z (milli-g)": lambda v: v["accel_z"]},
        {"Accel X (milli-g)": 0.98, "Accel Y (milli-g)": 0.98, "Accel Z (milli-g)": 0.98},
        1, ("nack", "reset"), "lis3dh"),
    Row("lis2mdl", "LIS2MDL", "LIS2MDL", ("X Field (Gauss)", "Y Field (Gauss)", "Z Field (Gauss)"), (5, 5, 5),
        (0x1E,), (), {"x": 0.215, "y": -0.0625, "z": 0.4405},
        {"X Field (Gauss)": lambda v: v["x"], "Y Field (Gauss)": lambda v: v["y"], "Z Field (Gauss)": lambda v: v["z"]},
        {"X Field (Gauss)": 0.0015, "Y Field (Gauss)": 0.0015, "Z Field (Gauss)": 0.0015},
        1, ("nack", "reset"), "lis2mdl"),
    Row("nau7802", "NAU7802", "NAU7802", ("Weight",), (3,), (0x2A,), (), {"input_uv": 1234.5},
        {"Weight": lambda v: _nau7802_code(v["input_uv"])}, {"Weight": 1.0},
        1, ("nack", "reset"), None),  # stemma: adafruit-stemma-detect has no NAU7802 probe
    Row("bme68x", "BME680", "BME68x", ("Humidity", "TemperatureC", "Pressure", "Gas Resistance", "Sensor Status"),
        (3, 3, 3, 3, None), (0x77, 0x76), ("BME280", "BMP3XX"),
        {"temperature": 24.5, "humidity": 37.5, "pressure": 995.5, "gas": 85000.0},
        {"Humidity": lambda v: v["humidity"], "TemperatureC": lambda v: v["temperature"],
         "Pressure": lambda v: v["pressure"] * 100.0, "Gas Resistance": lambda v: v["gas"],
         "Sensor Status": lambda v: 0xB0},
        {"Humidity": 0.01, "TemperatureC": 0.01, "Pressure": 2.0, "Gas Resistance": 200.0, "Sensor Status": 0},
        2, ("nack", "range", "reset", "stuck"), "bme680"),
    Row("bme68x", "BME688", "BME68x", ("Humidity", "TemperatureC", "Pressure", "Gas Resistance", "Sensor Status"),
        (3, 3, 3, 3, None), (0x77, 0x76), ("BME280", "BMP3XX"),
        {"temperature": 24.5, "humidity": 37.5, "pressure": 995.5, "gas": 85000.0},
        {"Humidity": lambda v: v["humidity"], "TemperatureC": lambda v: v["temperature"],
         "Pressure": lambda v: v["pressure"] * 100.0, "Gas Resistance": lambda v: v["gas"],
         "Sensor Status": lambda v: 0xB0},
        {"Humidity": 0.01, "TemperatureC": 0.01, "Pressure": 2.0, "Gas Resistance": 200.0, "Sensor Status": 0},
        2, ("nack", "range", "reset", "stuck"), "bme680"),
    Row("shtc3", "SHTC3", "SHTC3", ("Humidity (%RH)", "Temperature (C)", "Temperature (F)"), (3, 3, 3),
        (0x70,), (), {"temperature": 27.25, "humidity": 55.75},
        {"Humidity (%RH)": lambda v: v["humidity"], "Temperature (C)": lambda v: v["temperature"],
         "Temperature (F)": lambda v: _f(v["temperature"])},
        {"Humidity (%RH)": 0.012, "Temperature (C)": 0.012, "Temperature (F)": 0.022},
        2, ("nack", "crc", "range"), "shtc3"),
    Row("tmp117", "TMP117", "TMP117", ("Temperature (C)",), (3,), (0x48, 0x49, 0x4A, 0x4B), (),
        {"temperature": 36.6}, {"Temperature (C)": lambda v: v["temperature"]}, {"Temperature (C)": 0.0078125},
        1, ("nack", "range", "reset"), "tmp117"),
    Row("mcp9600", "MCP9600", "MCP9600", ("Thermocouple temperature", "Ambient temperature", "Temperature delta"),
        (3, 3, 3), tuple(range(0x60, 0x68)), (), {"temperature": 412.3, "ambient": 23.4},
        {"Thermocouple temperature": lambda v: v["temperature"], "Ambient temperature": lambda v: v["ambient"],
         "Temperature delta": lambda v: v["temperature"] - v["ambient"]},
        {"Thermocouple temperature": 0.0625, "Ambient temperature": 0.0625, "Temperature delta": 0.0625},
        3, ("nack", "range"), "mcp9600"),
    Row("scd4x", "SCD4X", "SCD40", ("CO2 (PPM)", "Temperature (C)", "Humidity (%RH)"), (None, 3, 3), (0x62,), (),
        {"co2": 1234.0, "temperature": 24.5, "humidity": 38.5},
        {"CO2 (PPM)": lambda v: v["co2"], "Temperature (C)": lambda v: v["temperature"],
         "Humidity (%RH)": lambda v: v["humidity"]},
        {"CO2 (PPM)": 0.5, "Temperature (C)": 0.003, "Humidity (%RH)": 0.002},
        2, ("nack", "crc", "range"), "scd4x"),
    Row("sgp40", "SGP40", "SGP40", ("VOC Index",), (None,), (0x59,), (), {"sraw": 31000.0},
        {"VOC Index": lambda v: 0},  # the algorithm's first 45 samples are 0 (see test_sgp40_* for the rest)
        {"VOC Index": 0.5},
        2, ("nack", "crc"), "sgp40"),
    Row("ens160", "ENS160", "ENS160", ("AQI", "TVOC", "ETOH", "eCO2", "Temp Comp", "Humidity Comp"),
        (None, None, None, None, 3, 3), (0x53, 0x52), (), {"aqi": 3.0, "tvoc": 245.0, "eco2": 812.0},
        {"AQI": lambda v: v["aqi"], "TVOC": lambda v: v["tvoc"], "ETOH": lambda v: v["tvoc"],
         "eCO2": lambda v: v["eco2"], "Temp Comp": lambda v: 25.0, "Humidity Comp": lambda v: 50.0},
        {"AQI": 0.5, "TVOC": 0.5, "ETOH": 0.5, "eCO2": 0.5, "Temp Comp": 0.016, "Humidity Comp": 0.002},
        1, ("nack", "range"), "ens160"),
    Row("scd30", "SCD30", "SCD30", ("CO2 (PPM)", "Temperature (C)", "Humidity (%RH)"), (None, 3, 3), (0x61,), (),
        {"co2": 987.0, "temperature": 21.75, "humidity": 52.5},
        {"CO2 (PPM)": lambda v: v["co2"], "Temperature (C)": lambda v: v["temperature"],
         "Humidity (%RH)": lambda v: v["humidity"]},
        {"CO2 (PPM)": 0.5, "Temperature (C)": 1e-4, "Humidity (%RH)": 1e-4},
        2, ("nack", "crc", "range"), "scd30"),
    Row("lps22", "LPS22HB", "LPS22HB", ("Temperature (C)", "Pressure (hPa)"), (3, 3), (0x5D, 0x5C), (),
        {"temperature": 19.37, "pressure": 1008.4},
        {"Temperature (C)": lambda v: v["temperature"], "Pressure (hPa)": lambda v: v["pressure"]},
        {"Temperature (C)": 0.01, "Pressure (hPa)": 1 / 4096.0},
        1, ("nack", "range", "reset"), ("lps2x", "lps35hw")),  # stemma: the same WHO_AM_I
    Row("lps22", "LPS22HH", "LPS22HH", ("Temperature (C)", "Pressure (hPa)"), (3, 3), (0x5D, 0x5C), (),
        {"temperature": -7.25, "pressure": 871.3},
        {"Temperature (C)": lambda v: v["temperature"], "Pressure (hPa)": lambda v: v["pressure"]},
        {"Temperature (C)": 0.01, "Pressure (hPa)": 1 / 4096.0},
        1, ("nack", "range", "reset"), None),  # stemma: no probe claims WHO_AM_I 0xB3
    Row("as7341", "AS7341", "AS7341", ("F1 415nm (counts)", "F2 445nm (counts)", "F3 480nm (counts)",
        "F4 515nm (counts)", "F5 555nm (counts)", "F6 590nm (counts)", "F7 630nm (counts)", "F8 680nm (counts)",
        "Clear (counts)", "NIR (counts)"), (None,) * 10, (0x39,), (),
        {"f1": 0.25, "f2": 0.6, "f3": 0.75, "f4": 0.9, "f5": 1.1, "f6": 1.25, "f7": 1.05, "f8": 0.5, "clear": 2.0,
         "nir": 0.4},
        {"F1 415nm (counts)": lambda v: _as7341(v["f1"]),
         "F2 445nm (counts)": lambda v: _as7341(v["f2"]),
         "F3 480nm (counts)": lambda v: _as7341(v["f3"]),
         "F4 515nm (counts)": lambda v: _as7341(v["f4"]),
         "F5 555nm (counts)": lambda v: _as7341(v["f5"]),
         "F6 590nm (counts)": lambda v: _as7341(v["f6"]),
         "F7 630nm (counts)": lambda v: _as7341(v["f7"]),
         "F8 680nm (counts)": lambda v: _as7341(v["f8"]),
         "Clear (counts)": lambda v: _as7341(v["clear"]),
         "NIR (counts)": lambda v: _as7341(v["nir"])},
        {"F1 415nm (counts)": 1, "F2 445nm (counts)": 1, "F3 480nm (counts)": 1, "F4 515nm (counts)": 1,
         "F5 555nm (counts)": 1, "F6 590nm (counts)": 1, "F7 630nm (counts)": 1, "F8 680nm (counts)": 1,
         "Clear (counts)": 1, "NIR (counts)": 1},
        5, ("nack", "range", "reset"), "as7341"),  # min 5: STATUS2, the 13-byte burst, SMUX RAM, SMUXEN, SP_EN
)


def _nau7802_code(microvolts):
    return microvolts * 1e-6 * 128 / 3.0 * (1 << 23)  # gain 128, LDO 3.0 V: Weight is ADC counts


def _as7341(basic):
    # counts from basic counts at gain 128x and 18 x 1000 x 2.78 us (the plugin's set-up), as the simulator makes them
    return round(basic * 128.0 * 18 * 1000 * 2.78e-3)
