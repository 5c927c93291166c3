"""Simulated Nuvoton NAU7802 24-bit load-cell ADC at 0x2A.

Register level (datasheet rev 1.7): PU_CTRL (RR resets every register; PUD, PUA, CS; PUR
follows PUD; CR set while conversions run), CTRL1 (gain, LDO voltage), CTRL2 (rate, channel,
calibration start, which completes at once), the calibration registers, ADCO_B2..B0 (the
signed 24-bit result, big-endian), ADC/OTP, PGA, POWER and REV_ID (revision code 0xF in its
low nibble).  The address increments on multi-byte reads.  The simulated value is the
differential input in microvolts; the ADC code is input * gain / VLDO * 2^23, clamped to 24
bits, refreshed at each read that reaches the outputs while PUD, PUA and CS are set.  After a
reset the outputs read 0.  Not modelled: conversion time, noise, the calibration arithmetic,
channel 2.
"""

from . import RegisterDevice

PU_CTRL = 0x00
CTRL1 = 0x01
CTRL2 = 0x02
ADCO = 0x12
REV_ID = 0x1F
VLDO = {0: 4.5, 1: 4.2, 2: 3.9, 3: 3.6, 4: 3.3, 5: 3.0, 6: 2.7, 7: 2.4}  # CTRL1 VLDO[5:3]


def code(microvolts, gain=128, vldo=3.0):
    """The ADC code for an input, as the chip converts it."""
    c = int(round(microvolts * 1e-6 * gain / vldo * (1 << 23)))
    return -(1 << 23) if c < -(1 << 23) else (1 << 23) - 1 if c > (1 << 23) - 1 else c


class NAU7802(RegisterDevice):
    KEYS = ("input_uv",)
    DEFAULTS = {"input_uv": 1500.0}
    LIMITS = {"input_uv": (-50000.0, 50000.0)}
    OUT_OF_RANGE = {"input_uv": 50000.0}
    ADDRESSES = (0x2A,)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[REV_ID] = 0x0F
        self.regs[0x15] = 0x30  # ADC: REG_CHPS default

    def _write_reg(self, reg, value):
        if reg == PU_CTRL:
            if value & 0x01:
                self.reset()
                self.regs[PU_CTRL] = 0x01
                return
            value &= 0xD7  # PUR and CR are the chip's
            if value & 0x02:
                value |= 0x08  # powered up: ready
            self.regs[PU_CTRL] = value
        elif reg == CTRL2:
            self.regs[reg] = value & ~0x0C & 0xFF  # CALS done at once, CAL_ERR clear
        elif reg in (CTRL1, 0x11, 0x15, 0x16, 0x1B, 0x1C) or 0x03 <= reg <= 0x10:
            self.regs[reg] = value

    def _before_read(self):
        pu = self.regs[PU_CTRL]
        running = pu & 0x16 == 0x16  # PUD, PUA, CS
        if running:
            self.regs[PU_CTRL] = pu | 0x20  # CR
        if self.pointer > ADCO + 2 or not running:
            return
        ctrl1 = self.regs[CTRL1]
        c = code(self.value("input_uv"), 1 << (ctrl1 & 7), VLDO[(ctrl1 >> 3) & 7]) & 0xFFFFFF
        self.regs[ADCO] = c >> 16
        self.regs[ADCO + 1] = (c >> 8) & 0xFF
        self.regs[ADCO + 2] = c & 0xFF
