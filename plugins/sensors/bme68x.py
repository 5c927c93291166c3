# Bosch BME680 / BME688 humidity, temperature, pressure and gas resistance, with adafruit_bme680.
#
# The original's "BME68x": its device name, parameter names and 3 decimals, and its heater
# profile (300 C for 100 ms). Pressure in Pa, gas resistance in ohms; Sensor Status is Bosch's
# status byte (new data 0x80, gas valid 0x20, heater stable 0x10).
# The gas measurement needs the chip's forced mode (its heater runs once per measurement, about
# 130 ms in all): each observation collects the measurement the one before started (one burst
# read of meas_status_0 and the data registers, 0x1D..0x2D) and starts the next (one write of
# ctrl_meas), where the driver would write five registers, read one and poll, sleeping.
# The driver's own calibration and compensation make the numbers; a log interval shorter than a
# measurement repeats the last one.
from plugins.sensors.base import Device as Base, read_into, register, send

NAME = "BME68x"
ADDRESSES = (0x77, 0x76)
PARAMS = ("Humidity", "TemperatureC", "Pressure", "Gas Resistance", "Sensor Status")
DIGITS = (3, 3, 3, 3, None)
HEATER_C = 300
HEATER_MS = 100
MEASURE_S = 0.15  # the longest measurement: TPH oversampling, the heater and margin
STATUS = 0x1D
CTRL_MEAS = 0x74


def _chip_id(i2c, address):
    return register(i2c, address, 0xD0, 1)[0] == 0x61  # BME280 0x60, BMP3xx's is at 0x00


def _variant(i2c, address):
    return register(i2c, address, 0xF0, 1)[0] in (0x00, 0x01)  # BME680, BME688


def _calibrated(i2c, address):
    cal = register(i2c, address, 0x89, 25)
    return cal != bytes(25) and cal != b"\xff" * 25


PROBES = ((80, 0, _chip_id), (10, 0, _variant), (10, 0, _calibrated))

_shim_class = None


def _shim(sensor):
    # The driver's class with its bus-reading step left out: its properties then compute from the
    # raw values sample() puts in (a subclass made once, the driver left as it is).
    global _shim_class
    if _shim_class is None:
        from adafruit_bme680 import Adafruit_BME680

        class _Sample(Adafruit_BME680):
            def __init__(self):  # no bus, no set-up: only the maths
                pass

            def _perform_reading(self):
                pass

        _shim_class = _Sample
    shim = _shim_class()
    shim._temp_calibration = sensor._temp_calibration
    shim._pressure_calibration = sensor._pressure_calibration
    shim._humidity_calibration = sensor._humidity_calibration
    shim._chip_variant = sensor._chip_variant
    shim._sw_err = sensor._sw_err
    return shim


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0.0, 100.0), (-40.0, 85.0), (30000.0, 110000.0), (0.0, 1.0e9), (0, 255))
    LAG_S = MEASURE_S  # a reading is the measurement the previous observation started
    LAG = 1

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        time.sleep(MEASURE_S)  # at boot only: the first observation finds its measurement ready

    def start(self):
        from adafruit_bme680 import Adafruit_BME680_I2C
        sensor = Adafruit_BME680_I2C(self.i2c, self.address)  # resets, checks the chip ID, reads the calibration
        self.sensor = sensor
        self.shim = _shim(sensor)
        self.buf = bytearray(17)
        self.force = bytes((CTRL_MEAS, (sensor._temp_oversample << 5) | (sensor._pressure_oversample << 2) | 1))
        self.at = 15 if sensor._chip_variant == 0x01 else 13  # gas_r: 0x2C..0x2D (BME688), 0x2A..0x2B
        self._setup()

    def _setup(self):
        sensor = self.sensor
        sensor.set_gas_heater(HEATER_C, HEATER_MS)  # res_heat_0, gas_wait_0, heater on, run_gas
        sensor._write(0x75, bytes((sensor._filter << 2,)))  # config: the driver's IIR filter
        sensor._write(0x72, bytes((sensor._humidity_oversample,)))  # ctrl_hum (applies at the ctrl_meas write)
        send(getattr(sensor._i2c, "i2c"), self.address, self.force)  # the first measurement

    def sample(self, values):
        i2c = getattr(self.sensor._i2c, "i2c")  # the driver's device's bus
        buf = read_into(i2c, self.address, STATUS, self.buf)
        status = buf[0]
        if not status & 0x80:
            if status & 0x60:
                return  # still measuring (a log interval shorter than a measurement): the last values stand
            # Neither measuring nor done: the chip was reset and sleeps with its set-up lost.
            for i in range(len(values)):
                self.reject(i, "the chip was reset")
            self._setup()
            return
        send(i2c, self.address, self.force)  # the next observation's measurement
        shim = self.shim
        shim._adc_pres = ((buf[2] << 16) | (buf[3] << 8) | buf[4]) / 16.0
        shim._adc_temp = adc_temp = ((buf[5] << 16) | (buf[6] << 8) | buf[7]) / 16.0
        shim._adc_hum = (buf[8] << 8) | buf[9]
        at = self.at
        gas = buf[at + 1]
        shim._adc_gas = (buf[at] << 2) | (gas >> 6)
        shim._gas_range = gas & 0x0F
        # t_fine, as the driver's _perform_reading computes it (the rest is its properties' maths)
        t = shim._temp_calibration
        var1 = (adc_temp / 8) - (t[0] * 2)
        var2 = (var1 * t[1]) / 2048
        var3 = ((var1 / 2) * (var1 / 2)) / 4096
        var3 = (var3 * t[2] * 16) / 16384
        shim._t_fine = int(var2 + var3)
        values[0] = shim.humidity
        values[1] = shim.temperature
        values[2] = shim.pressure * 100.0
        values[4] = (status & 0x80) | (gas & 0x30)
        if gas & 0x30 == 0x30:
            values[3] = float(shim.gas)
        else:
            self.reject(3, "gas not measured or heater not stable")
