"""Simulated Bosch BME680 (variant 0x00) or BME688 (variant 0x01) at 0x77 or 0x76.

Register level (datasheet BST-BME680-DS001 / BST-BME688-DS000): chip ID 0x61 at 0xD0,
variant at 0xF0, the calibration blocks at 0x89..0xA1 and 0xE1..0xEE plus res_heat_range
(0x02), res_heat_val (0x00) and range_sw_err (0x04), soft reset, ctrl_gas_0/1, ctrl_hum,
ctrl_meas, config, res_heat_0 and gas_wait_0.  Writes are (register, value) pairs.

Forced mode only, as the chip: a ctrl_meas write with mode 01 starts one TPH measurement
and, when run_gas is set and the heater is on, a gas measurement after the heater's
gas_wait_0 time; meas_status_0 (0x1D) shows measuring / gas_measuring until it is done,
then new_data with the data registers filled and the chip back to sleep.  The duration is
Bosch's (BME68x API bme68x_get_meas_dur) plus the heater time.  The values are latched
when the measurement starts.  Raw values are found by inverting the driver's compensation
(adafruit_bme680, written the same way here, including its decoding of par_h1/par_h2), so
the unmodified driver reads back the simulated values.  After a reset the data registers
hold 0x80000 / 0x8000 and new_data is 0.  Not modelled: the IIR filter, heater physics
(the gas resistance is the simulated value, heat_stab is set when the heater is on).
"""

import struct

from . import RegisterDevice
from .bme280 import invert

CHIP_ID = 0xD0
VARIANT = 0xF0
RESET = 0xE0
STATUS = 0x1D
CTRL_GAS_0 = 0x70
CTRL_GAS_1 = 0x71
CTRL_HUM = 0x72
CTRL_MEAS = 0x74
CONFIG = 0x75
RES_HEAT_0 = 0x5A
GAS_WAIT_0 = 0x64
WRITABLE = (CTRL_GAS_0, CTRL_GAS_1, CTRL_HUM, CTRL_MEAS, CONFIG, 0x73) + tuple(range(0x50, 0x6E))

# Calibration of a made-up part (typical magnitudes, compensation monotonic over the range).
PAR = {"t1": 26051, "t2": 26206, "t3": 3,
       "p1": 36456, "p2": -10424, "p3": 88, "p4": 7148, "p5": -146, "p6": 30, "p7": 45, "p8": -3113,
       "p9": -2392, "p10": 30,
       "e1": 0x3F, "e2": 0xA3, "e3": 0x30, "h3": 0, "h4": 45, "h5": 20, "h6": 120, "h7": -100,
       "gh1": -30, "gh2": -9120, "gh3": 18}
HEAT_RANGE = 1  # 0x02 bits 5:4
HEAT_VAL = 0x2A  # 0x00
SW_ERR = 3  # 0x04 bits 7:4
_OS = (0, 1, 2, 4, 8, 16, 16, 16)

_LT1 = (2147483647.0, 2147483647.0, 2147483647.0, 2147483647.0, 2147483647.0, 2126008810.0,
        2147483647.0, 2130303777.0, 2147483647.0, 2147483647.0, 2143188679.0, 2136746228.0,
        2147483647.0, 2126008810.0, 2147483647.0, 2147483647.0)
_LT2 = (4096000000.0, 2048000000.0, 1024000000.0, 512000000.0, 255744255.0, 127110228.0, 64000000.0,
        32258064.0, 16016016.0, 8000000.0, 4000000.0, 2000000.0, 1000000.0, 500000.0, 250000.0,
        125000.0)


def calibration_bytes():
    """(0x89..0xA1, 0xE1..0xEE) as the chip stores them."""
    c = PAR
    low = bytes(1) + struct.pack("<hbBHhbBhhbbHhhBB", c["t2"], c["t3"], 0, c["p1"], c["p2"], c["p3"], 0, c["p4"],
                                 c["p5"], c["p7"], c["p6"], 0, c["p8"], c["p9"], c["p10"], 0)
    high = bytes([c["e1"], c["e2"], c["e3"]]) + struct.pack("<bbbBbHhbb", c["h3"], c["h4"], c["h5"], c["h6"],
                                                            c["h7"], c["t1"], c["gh2"], c["gh1"], c["gh3"])
    return low, high


def _coefficients():
    # The driver's decoding (adafruit_bme680._read_calibration).
    low, high = calibration_bytes()
    coeff = list(struct.unpack("<hbBHhbBhhbbHhhBBBHbbbBbHhbb", bytes((low + high)[1:39])))
    coeff = [float(i) for i in coeff]
    t = [coeff[x] for x in [23, 0, 1]]
    p = [coeff[x] for x in [3, 4, 5, 7, 8, 10, 9, 12, 13, 14]]
    h = [coeff[x] for x in [17, 16, 18, 19, 20, 21, 22]]
    h[1] *= 16
    h[1] += h[0] % 16
    h[0] /= 16
    return t, p, h


_T, _P, _H = _coefficients()


def t_fine(adc_temp):
    var1 = (adc_temp / 8) - (_T[0] * 2)
    var2 = (var1 * _T[1]) / 2048
    var3 = ((var1 / 2) * (var1 / 2)) / 4096
    var3 = (var3 * _T[2] * 16) / 16384
    return int(var2 + var3)


def temperature(adc_temp):
    return (((t_fine(adc_temp) * 5) + 128) / 256) / 100


def pressure(adc_pres, tf):
    p = _P
    var1 = (tf / 2) - 64000
    var2 = ((var1 / 4) * (var1 / 4)) / 2048
    var2 = (var2 * p[5]) / 4
    var2 = var2 + (var1 * p[4] * 2)
    var2 = (var2 / 4) + (p[3] * 65536)
    var1 = ((((var1 / 4) * (var1 / 4)) / 8192) * (p[2] * 32) / 8) + ((p[1] * var1) / 2)
    var1 = var1 / 262144
    var1 = ((32768 + var1) * p[0]) / 32768
    calc = 1048576 - adc_pres
    calc = (calc - (var2 / 4096)) * 3125
    calc = (calc / var1) * 2
    var1 = (p[8] * (((calc / 8) * (calc / 8)) / 8192)) / 4096
    var2 = ((calc / 4) * p[7]) / 8192
    var3 = (((calc / 256) ** 3) * p[9]) / 131072
    calc += (var1 + var2 + var3 + (p[6] * 128)) / 16
    return calc / 100  # hPa


def humidity(adc_hum, tf):
    h = _H
    ts = ((tf * 5) + 128) / 256
    var1 = (adc_hum - (h[0] * 16)) - ((ts * h[2]) / 200)
    var2 = (h[1] * (((ts * h[3]) / 100) + (((ts * ((ts * h[4]) / 100)) / 64) / 100) + 16384)) / 1024
    var3 = var1 * var2
    var4 = h[5] * 128
    var4 = (var4 + ((ts * h[6]) / 100)) / 16
    var5 = ((var3 / 16384) * (var3 / 16384)) / 1024
    var6 = (var4 * var5) / 2
    return (((var3 + var6) / 1024) * 1000) / 4096 / 1000  # unclamped


def gas_low(adc_gas, rng):
    """BME680 (variant 0) gas resistance in ohms, as the driver computes it."""
    var1 = ((1340 + (5 * SW_ERR)) * _LT1[rng]) / 65536
    var2 = ((adc_gas * 32768) - 16777216) + var1
    var3 = (_LT2[rng] * var1) / 512
    return (var3 + (var2 / 2)) / var2


def gas_high(adc_gas, rng):
    """BME688 (variant 1) gas resistance in ohms, as the driver computes it."""
    return (10000 * (262144 >> rng)) / (4096 + (adc_gas - 512) * 3) * 100


def gas_raw(ohms, variant):
    """(adc_gas, gas_range) giving the resistance closest to ``ohms``, the chip's auto-ranging."""
    f = gas_high if variant else gas_low
    best = None
    for rng in range(16):
        adc = invert(lambda r: f(r, rng), ohms, 10, 1, increasing=False)
        err = abs(f(adc, rng) - ohms) / ohms
        if adc < 64 or adc > 1000:  # beyond the range's well-conditioned middle: only if no other will do
            err += 1.0
        if best is None or err < best[0]:
            best = (err, adc, rng)
    return best[1], best[2]


class BME680(RegisterDevice):
    KEYS = ("temperature", "humidity", "pressure", "gas")
    DEFAULTS = {"temperature": 22.0, "humidity": 40.0, "pressure": 1010.0, "gas": 50000.0}
    LIMITS = {"temperature": (-40.0, 85.0), "humidity": (0.0, 100.0), "pressure": (300.0, 1100.0),
              "gas": (1000.0, 10000000.0)}
    OUT_OF_RANGE = {"temperature": 150.0, "humidity": 100.0, "pressure": 1100.0, "gas": 50000.0}
    ADDRESSES = (0x77, 0x76)

    def __init__(self, address=0x77, values=None, clock=None, variant=0):
        self.variant = variant
        RegisterDevice.__init__(self, address, values, clock)

    def reset(self):
        self.regs[:] = bytes(256)
        low, high = calibration_bytes()
        self.regs[0x89:0x89 + len(low)] = low
        self.regs[0xE1:0xE1 + len(high)] = high
        self.regs[0x00] = HEAT_VAL
        self.regs[0x02] = HEAT_RANGE << 4
        self.regs[0x04] = SW_ERR << 4
        self.regs[CHIP_ID] = 0x61
        self.regs[VARIANT] = self.variant
        self.regs[0x1F:0x27] = b"\x80\x00\x00\x80\x00\x00\x80\x00"
        self._pending = None  # (ready at s, data block 0x1F..0x2D)

    def write(self, data):
        if len(data) == 0:
            return
        self.pointer = data[0]
        for i in range(0, len(data) - 1, 2):
            self._write_reg(data[i], data[i + 1])

    def _write_reg(self, reg, value):
        if reg == RESET:
            if value == 0xB6:
                self.reset()
        elif reg == CTRL_MEAS:
            self.regs[CTRL_MEAS] = value
            if value & 0x03 == 0x01:
                self.regs[STATUS] &= 0x7F  # new_data cleared: a new measurement runs
                self._pending = (self.clock() + self._duration_s(), self._sample())
        elif reg in WRITABLE:
            self.regs[reg] = value

    def _gas_on(self):
        run = 0x20 if self.variant else 0x10
        return self.regs[CTRL_GAS_1] & run and not self.regs[CTRL_GAS_0] & 0x08

    def _duration_s(self):
        ctrl = self.regs[CTRL_MEAS]
        cycles = _OS[ctrl >> 5] + _OS[(ctrl >> 2) & 7] + _OS[self.regs[CTRL_HUM] & 7]
        us = cycles * 1963 + 477 * 4 + 477 * 5 + 500
        if self._gas_on():
            wait = self.regs[GAS_WAIT_0]
            us += (wait & 0x3F) * (1 << (2 * (wait >> 6))) * 1000
        return us / 1e6

    def _sample(self):
        """The data block 0x1F..0x2D for the values right now."""
        ctrl = self.regs[CTRL_MEAS]
        out = bytearray(15)
        out[0:8] = b"\x80\x00\x00\x80\x00\x00\x80\x00"
        if ctrl >> 5:
            adc_t = invert(temperature, self.value("temperature"), 20, 1)
            tf = t_fine(adc_t)
            out[3:6] = bytes([adc_t >> 12, (adc_t >> 4) & 0xFF, (adc_t & 0x0F) << 4])
            if (ctrl >> 2) & 7:
                adc_p = invert(lambda r: pressure(r, tf), self.value("pressure"), 20, 1, increasing=False)
                out[0:3] = bytes([adc_p >> 12, (adc_p >> 4) & 0xFF, (adc_p & 0x0F) << 4])
            if self.regs[CTRL_HUM] & 7:
                adc_h = invert(lambda r: humidity(r, tf), self.value("humidity"), 16, 1)
                out[6:8] = bytes([adc_h >> 8, adc_h & 0xFF])
        at = 13 if self.variant else 11  # gas_r at 0x2C (BME688) or 0x2A (BME680)
        if self._gas_on():
            adc_g, rng = gas_raw(self.value("gas"), self.variant)
            out[at] = adc_g >> 2
            out[at + 1] = ((adc_g & 3) << 6) | 0x30 | rng  # gas_valid_r, heat_stab_r
        return bytes(out)

    def _before_read(self):
        pending = self._pending
        if pending is not None:
            if self.clock() >= pending[0]:
                self.regs[0x1F:0x1F + 15] = pending[1]
                self.regs[STATUS] = 0x80  # new_data_0
                self.regs[CTRL_MEAS] &= 0xFC  # back to sleep
                self._pending = None
            else:
                self.regs[STATUS] = 0x20 | (0x40 if self._gas_on() else 0)


class BME688(BME680):
    """The BME688: variant 0x01, its gas data at 0x2C..0x2D and its own gas formula."""

    def __init__(self, address=0x77, values=None, clock=None, variant=1):
        BME680.__init__(self, address, values, clock, variant)
