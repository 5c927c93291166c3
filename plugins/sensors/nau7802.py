# Nuvoton NAU7802 24-bit load-cell ADC (SparkFun Qwiic Scale), with cedargrove_nau7802 (the
# driver Adafruit's NAU7802 guide uses; Adafruit's bundle has none of its own).
#
# The original's "NAU7802" and its one parameter, "Weight" (3 decimals): (reading - Zero Offset)
# / Calibration Factor, with the original's defaults 0 and 1 (ADC counts until calibrated:
# set ZERO_OFFSET / CALIBRATION_FACTOR on the device). The driver's set-up: LDO 3.0 V, gain 128,
# 10 samples/s (the original runs 320 and averages 16; one 10 SPS conversion is as quiet without
# waiting), chopper clock off, PGA output cap on; it starts the conversion cycle (CS).
# Lean read: the ADC runs continuously; one 3-byte burst of ADCO_B2..B0 (0x12..0x14) per
# observation, where the driver reads each byte alone. The 24-bit code is sign-extended here:
# the driver's read() divides the code shifted left by 8 by 128, twice the code (the original,
# SparkFun's library, and the datasheet give the code itself).
from plugins.sensors.base import Device as Base, read_into, register

NAME = "NAU7802"
ADDRESSES = (0x2A,)
PARAMS = ("Weight",)
DIGITS = (3,)


def _revision(i2c, address):
    return register(i2c, address, 0x1F, 1)[0] & 0x0F == 0x0F  # REV_ID's revision code


def _pga_reserved(i2c, address):
    return register(i2c, address, 0x1B, 1)[0] & 0x06 == 0  # the original's check: PGA bits 1, 2 read 0


PROBES = ((70, 0, _revision), (10, 0, _pga_reserved))


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    ZERO_OFFSET = 0  # ADC counts read with the scale empty
    CALIBRATION_FACTOR = 1.0  # ADC counts per unit of weight

    def start(self):
        from cedargrove_nau7802 import NAU7802
        self.sensor = NAU7802(self.i2c, self.address)  # resets, powers up (waits 1.6 s: at boot only)
        self.sensor._pu_cycle_start = True  # CS: the driver's enable() sets a name no register has
        self.buf = bytearray(3)
        self.waking = False
        lo = (-8388608 - self.ZERO_OFFSET) / self.CALIBRATION_FACTOR
        hi = (8388607 - self.ZERO_OFFSET) / self.CALIBRATION_FACTOR
        self.RANGES = ((lo, hi) if lo < hi else (hi, lo),)

    def _configure(self):
        # The driver's set-up again after a reset, without its power-up waits: the chip's first
        # conversion comes about 0.5 s later, its fields empty until then.
        from cedargrove_nau7802 import ConversionRate, Gain, LDOVoltage
        sensor = self.sensor
        sensor._pu_digital = True
        sensor._pu_analog = True
        sensor._c1_vldo_volts = LDOVoltage.LDO_3V0
        sensor._pu_ldo_source = True
        sensor._c1_gains = Gain.GAIN_X128
        sensor._c2_conv_rate = ConversionRate.RATE_10SPS
        sensor._adc_chop_clock = 0x3
        sensor._pga_ldo_mode = False  # low-ESR capacitors
        sensor._pc_cap_enable = True
        sensor._pu_cycle_start = True

    def sample(self, values):
        buf = read_into(getattr(self.sensor.i2c_device, "i2c"), self.address, 0x12, self.buf)
        if buf[0] == 0 and buf[1] == 0 and buf[2] == 0:
            # A running ADC at gain 128 never reads exactly 0 (noise): reset, or not converting yet.
            values[0] = None
            if not self.waking:
                self.waking = True
                self.reject(0, "the chip was reset")
                self._configure()
            return
        self.waking = False
        counts = buf[0] << 16 | buf[1] << 8 | buf[2]
        if counts & 0x800000:
            counts -= 0x1000000
        values[0] = (counts - self.ZERO_OFFSET) / self.CALIBRATION_FACTOR
