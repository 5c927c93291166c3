"""Simulated Bosch BMP384/BMP388 (chip ID 0x50) or BMP390 (0x60) at 0x77 or 0x76.

Register level (datasheet BST-BMP388-DS001 / BMP390-DS002): chip ID, error and
status registers, the 21 bytes of NVM calibration at 0x31, PWR_CTRL, OSR, ODR,
CONFIG, the soft-reset command.  Raw 24-bit pressure and temperature are found by
inverting the driver's compensation (datasheet section 9), so the unmodified
adafruit_bmp3xx driver reads back the simulated values.  Sleep, forced (one
conversion, then sleep) and normal mode; the data-ready bits; after a reset the
data registers hold 0x800000 until a conversion.  Not modelled: IIR, FIFO.
"""

import struct

from . import RegisterDevice
from .bme280 import invert

CHIP_ID = 0x00
ERR = 0x02
STATUS = 0x03
DATA = 0x04
PWR_CTRL = 0x1B
OSR = 0x1C
ODR = 0x1D
CONFIG = 0x1F
CAL = 0x31
CMD = 0x7E

# NVM calibration words (table 22's layout), chosen so that the compensation is monotonic
# and spans the chip's range: a made-up part, not a real one's dump.
NVM = (27658, 19305, -7, -2291, -2600, 35, 0, 25100, 29800, 3, -6, 16000, 3, -19)
_FMT = "<HHbhhbbHHbbhbb"


def calib():
    """The driver's float coefficients (adafruit_bmp3xx._read_coefficients)."""
    c = NVM
    t = (c[0] / 2 ** -8.0, c[1] / 2 ** 30.0, c[2] / 2 ** 48.0)
    p = ((c[3] - 2 ** 14.0) / 2 ** 20.0, (c[4] - 2 ** 14.0) / 2 ** 29.0, c[5] / 2 ** 32.0,
         c[6] / 2 ** 37.0, c[7] / 2 ** -3.0, c[8] / 2 ** 6.0, c[9] / 2 ** 8.0, c[10] / 2 ** 15.0,
         c[11] / 2 ** 48.0, c[12] / 2 ** 48.0, c[13] / 2 ** 65.0)
    return t, p


_T, _P = calib()


def temperature(adc_t):
    t1, t2, t3 = _T
    pd1 = adc_t - t1
    return pd1 * t2 + (pd1 * pd1) * t3


def pressure(adc_p, t):
    p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11 = _P
    po1 = p5 + p6 * t + p7 * t ** 2.0 + p8 * t ** 3.0
    po2 = adc_p * (p1 + p2 * t + p3 * t ** 2.0 + p4 * t ** 3.0)
    return po1 + po2 + adc_p ** 2.0 * (p9 + p10 * t) + p11 * adc_p ** 3.0  # Pa


class BMP3XX(RegisterDevice):
    KEYS = ("temperature", "pressure")
    DEFAULTS = {"temperature": 21.0, "pressure": 1013.25}
    LIMITS = {"temperature": (-40.0, 85.0), "pressure": (300.0, 1250.0)}
    OUT_OF_RANGE = {"temperature": 150.0, "pressure": 1250.0}
    ADDRESSES = (0x77, 0x76)

    def __init__(self, address=0x77, values=None, clock=None, chip_id=0x50):
        self.chip_id = chip_id
        RegisterDevice.__init__(self, address, values, clock)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[CHIP_ID] = self.chip_id
        self.regs[0x01] = 0x01  # REV_ID
        self.regs[STATUS] = 0x10  # cmd_rdy
        self.regs[DATA:DATA + 6] = b"\x00\x00\x80\x00\x00\x80"
        cal = struct.pack(_FMT, *NVM)
        self.regs[CAL:CAL + len(cal)] = cal
        self.regs[OSR] = 0x02
        self._forced = False

    def _write_reg(self, reg, value):
        if reg == CMD:
            if value == 0xB6:
                self.reset()
        elif reg == PWR_CTRL:
            self.regs[PWR_CTRL] = value & 0x33
            if (value >> 4) & 3 in (1, 2):  # forced: one conversion (taken as done at once)
                self._convert()
                self.regs[PWR_CTRL] &= 0x03
        elif reg in (OSR, ODR, CONFIG, 0x19, 0x1A, 0x15, 0x16, 0x17, 0x18):
            self.regs[reg] = value

    def _convert(self):
        ctrl = self.regs[PWR_CTRL]
        t = self.value("temperature")
        adc_t = invert(temperature, t, 24, 1)
        tc = temperature(adc_t)
        adc_p = 0x800000
        if ctrl & 1:
            adc_p = invert(lambda r: pressure(r, tc), self.value("pressure") * 100.0, 24, 1, increasing=False)
        if not ctrl & 2:
            adc_t = 0x800000
        self.regs[DATA:DATA + 6] = bytes([adc_p & 0xFF, (adc_p >> 8) & 0xFF, adc_p >> 16,
                                         adc_t & 0xFF, (adc_t >> 8) & 0xFF, adc_t >> 16])
        self.regs[STATUS] = 0x70  # cmd_rdy, drdy_press, drdy_temp

    def _before_read(self):
        if (self.regs[PWR_CTRL] >> 4) & 3 == 3 and STATUS <= self.pointer <= DATA + 5:
            self._convert()  # normal mode: a fresh conversion is always ready
