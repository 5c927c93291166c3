"""Simulated Bosch BME280 (datasheet BST-BME280-DS002) at 0x77 or 0x76.

Raw ADC values are found by inverting the driver's floating-point
compensation with a binary search (each formula is monotonic in its raw
value), so the unmodified adafruit_bme280 driver reads back the simulated
temperature, humidity and pressure to within the chip's resolution.

Modelled: chip id, soft reset, trimming registers, ctrl_hum latched by a
ctrl_meas write, sleep/forced/normal modes, the measuring bit for the
datasheet's typical conversion time, skipped channels (0x80000) and the
resolution each oversampling setting gives.  Not modelled: the IIR filter.
"""

import struct

from . import RegisterDevice

CHIP_ID = 0xD0
RESET = 0xE0
CTRL_HUM = 0xF2
STATUS = 0xF3
CTRL_MEAS = 0xF4
CONFIG = 0xF5
PRESS = 0xF7
TEMP = 0xFA
HUM = 0xFD

# Trimming values: T and P are the example in Bosch's BMP280 datasheet
# (section 3.12, same formulas as the BME280); H comes from a real BME280's
# dump (dig_H4 = 331 and dig_H5 = 0 as that chip had them).
DIG_T = (27504, 26435, -1000)
DIG_P = (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
DIG_H = (75, 357, 0, 331, 0, 30)

_OSR = (0, 1, 2, 4, 8, 16, 16, 16)  # oversampling factor per osrs_x field


def calibration_bytes():
    """(0x88..0xA1, 0xE1..0xE7) exactly as the chip stores them."""
    low = struct.pack("<HhhHhhhhhhhh", *(DIG_T + DIG_P)) + b"\x00" + bytes([DIG_H[0]])
    h4, h5 = DIG_H[3], DIG_H[4]
    high = struct.pack("<hB", DIG_H[1], DIG_H[2]) + bytes(
        [(h4 >> 4) & 0xFF, (h4 & 0x0F) | ((h5 & 0x0F) << 4), (h5 >> 4) & 0xFF, DIG_H[5] & 0xFF])
    return low, high


# -- The driver's compensation (adafruit_bme280.basic, Bosch's double-precision
#    formulas), written the same way so the inversion matches it exactly.

def t_fine(adc_t):
    t1, t2, t3 = DIG_T
    var1 = (adc_t / 16384.0 - t1 / 1024.0) * t2
    var2 = (adc_t / 131072.0 - t1 / 8192.0) * (adc_t / 131072.0 - t1 / 8192.0) * t3
    return int(var1 + var2)


def temperature(adc_t):
    return t_fine(adc_t) / 5120.0


def pressure(adc_p, tf):
    p = DIG_P
    var1 = float(tf) / 2.0 - 64000.0
    var2 = var1 * var1 * p[5] / 32768.0
    var2 += var1 * p[4] * 2.0
    var2 = var2 / 4.0 + p[3] * 65536.0
    var3 = p[2] * var1 * var1 / 524288.0
    var1 = (var3 + p[1] * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * p[0]
    res = 1048576.0 - adc_p
    res = ((res - var2 / 4096.0) * 6250.0) / var1
    var1 = p[8] * res * res / 2147483648.0
    var2 = res * p[7] / 32768.0
    res += (var1 + var2 + p[6]) / 16.0
    return res / 100.0  # hPa


def humidity(adc_h, tf):
    h = DIG_H
    var1 = float(tf) - 76800.0
    var2 = h[3] * 64.0 + (h[4] / 16384.0) * var1
    var3 = adc_h - var2
    var4 = h[1] / 65536.0
    var5 = 1.0 + (h[2] / 67108864.0) * var1
    var6 = 1.0 + (h[5] / 67108864.0) * var1 * var5
    var6 = var3 * var4 * (var5 * var6)
    return var6 * (1.0 - h[0] * var6 / 524288.0)  # unclamped, so still monotonic


def invert(f, target, bits, step, increasing=True):
    """The raw value k*step (k < 2**bits/step) whose f() is closest to target."""
    lo, hi = 0, ((1 << bits) - 1) // step
    while lo < hi:  # first k with f(k*step) >= target (or <= if decreasing)
        mid = (lo + hi) // 2
        v = f(mid * step)
        if (v < target) if increasing else (v > target):
            lo = mid + 1
        else:
            hi = mid
    best = lo
    if lo > 0 and abs(f((lo - 1) * step) - target) <= abs(f(lo * step) - target):
        best = lo - 1
    return best * step


def _step(osrs):
    """Raw step: with the IIR filter off, osrs 1..5 (x1..x16) gives 16..20 bits."""
    return 1 << (5 - min(osrs, 5))


class BME280(RegisterDevice):
    KEYS = ("temperature", "humidity", "pressure")
    DEFAULTS = {"temperature": 21.5, "humidity": 45.0, "pressure": 1013.25}
    LIMITS = {"temperature": (-40.0, 85.0), "humidity": (0.0, 100.0), "pressure": (300.0, 1100.0)}
    ADDRESSES = (0x77, 0x76)
    OUT_OF_RANGE = {"temperature": 150.0, "humidity": 100.0, "pressure": 1100.0}

    def __init__(self, address=0x77, values=None, clock=None, instant=False):
        self.instant = instant  # True: conversions take no simulated time
        self._pending = None  # (ready_at_s, raw bytes) of a forced conversion
        RegisterDevice.__init__(self, address, values, clock)

    def reset(self):
        self.regs[:] = bytes(256)
        low, high = calibration_bytes()
        self.regs[0x88:0x88 + len(low)] = low
        self.regs[0xE1:0xE1 + len(high)] = high
        self.regs[CHIP_ID] = 0x60
        self.regs[PRESS:PRESS + 8] = b"\x80\x00\x00\x80\x00\x00\x80\x00"  # reset values
        self._osrs_h = 0
        self._pending = None

    def write(self, data):
        # BME280 I2C writes are (register, value) pairs, no auto-increment.
        if len(data) == 0:
            return
        self.pointer = data[0]
        for i in range(0, len(data) - 1, 2):
            self._write_reg(data[i], data[i + 1])

    def _write_reg(self, reg, value):
        if reg == RESET:
            if value == 0xB6:
                self.reset()
        elif reg == CTRL_HUM:
            self.regs[CTRL_HUM] = value & 0x07
        elif reg == CONFIG:
            self.regs[CONFIG] = value & 0xFD
        elif reg == CTRL_MEAS:
            self.regs[CTRL_MEAS] = value
            self._osrs_h = self.regs[CTRL_HUM]  # ctrl_hum applies after ctrl_meas
            if value & 0x03 in (1, 2):  # forced mode: one conversion, then sleep
                self.regs[CTRL_MEAS] = value & 0xFC
                self._pending = (self.clock() + self._conversion_s(), self._sample())

    def _conversion_s(self):
        """Typical measurement time, datasheet section 9.1."""
        if self.instant:
            return 0.0
        ctrl = self.regs[CTRL_MEAS]
        t, p, h = _OSR[ctrl >> 5], _OSR[(ctrl >> 2) & 7], _OSR[self._osrs_h & 7]
        ms = 1.0 + 2.0 * t + (2.0 * p + 0.5 if p else 0) + (2.0 * h + 0.5 if h else 0)
        return ms / 1000.0

    def _sample(self):
        """Raw data registers 0xF7..0xFE for the values right now."""
        ctrl = self.regs[CTRL_MEAS]
        osrs_t, osrs_p, osrs_h = ctrl >> 5, (ctrl >> 2) & 7, self._osrs_h & 7
        if not osrs_t:  # no temperature means no t_fine: everything is skipped
            return b"\x80\x00\x00\x80\x00\x00\x80\x00"
        adc_t = invert(temperature, self.value("temperature"), 20, _step(osrs_t))
        tf = t_fine(adc_t)
        adc_p = 0x80000
        if osrs_p:
            adc_p = invert(lambda r: pressure(r, tf), self.value("pressure"), 20,
                           _step(osrs_p), increasing=False)
        adc_h = 0x8000
        if osrs_h:
            adc_h = invert(lambda r: humidity(r, tf), self.value("humidity"), 16, 1)
        return bytes([adc_p >> 12, (adc_p >> 4) & 0xFF, (adc_p & 0x0F) << 4,
                      adc_t >> 12, (adc_t >> 4) & 0xFF, (adc_t & 0x0F) << 4,
                      adc_h >> 8, adc_h & 0xFF])

    def _before_read(self):
        now = self.clock()
        measuring = False
        if self._pending is not None:
            if now >= self._pending[0]:
                self.regs[PRESS:PRESS + 8] = self._pending[1]
                self._pending = None
            else:
                measuring = True
        elif self.regs[CTRL_MEAS] & 0x03 == 0x03:  # normal mode: always fresh
            self.regs[PRESS:PRESS + 8] = self._sample()
        self.regs[STATUS] = 0x08 if measuring else 0x00
