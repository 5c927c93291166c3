"""Simulated MAX17048 fuel gauge (Analog Devices datasheet 19-6171, register map).

Registers are 16-bit big-endian, byte addressed (0x02 = VCELL MSB, 0x03 = LSB),
which is how adafruit_max1704x reads whole words and single bytes alike.
VCELL, SOC and CRATE are recomputed from the simulated values at the start of
each read transaction, so a two-byte read never tears.
"""

from . import RegisterDevice

VCELL = 0x02  # 78.125 uV / LSB
SOC = 0x04  # 1/256 % / LSB
MODE = 0x06
VERSION = 0x08
HIBRT = 0x0A
CONFIG = 0x0C
VALRT = 0x14
CRATE = 0x16  # signed, 0.208 %/hr / LSB
VRESET = 0x18  # VRESET (MSB) / ID (LSB)
STATUS = 0x1A
CMD = 0xFE

CHIP_VERSION = 0x0012  # the driver accepts 0x001X
CHIP_ID = 0x5A  # lot-specific on a real chip; any value will do
POR_COMMAND = 0x5400

# STATUS (MSB) alert bits and the CONFIG (LSB) alert flag.
_RI, _VH, _VL, _HD = 0x01, 0x02, 0x04, 0x10
_ALRT = 0x20

# Registers the host may write; everything else is read-only and ignored.
_WRITABLE = (MODE, MODE + 1, HIBRT, HIBRT + 1, CONFIG, CONFIG + 1, VALRT, VALRT + 1,
             VRESET, STATUS, STATUS + 1, CMD, CMD + 1)


class MAX17048(RegisterDevice):
    KEYS = ("voltage", "soc", "charge_rate")
    DEFAULTS = {"voltage": 3.9, "soc": 80.0, "charge_rate": 0.0}
    # What the registers can represent.
    LIMITS = {"voltage": (0.0, 5.11), "soc": (0.0, 255.99), "charge_rate": (-6815.0, 6815.0)}
    ADDRESSES = (0x36,)

    def reset(self):
        """Power-on reset: datasheet defaults, RI set so the host knows."""
        self.regs[:] = bytes(256)
        self._put16(VERSION, CHIP_VERSION)
        self._put16(HIBRT, 0x8030)
        self._put16(CONFIG, 0x971C)
        self._put16(VALRT, 0x00FF)
        self.regs[VRESET] = 0x96  # 3.0 V reset threshold, comparator enabled
        self.regs[VRESET + 1] = CHIP_ID
        self.regs[STATUS] = _RI
        self._put16(CMD, 0xFFFF)

    def write(self, data):
        RegisterDevice.write(self, data)
        if len(data) >= 3 and data[0] == CMD and (data[1] << 8 | data[2]) == POR_COMMAND:
            # The chip resets before ACKing: the host sees a NACK (the
            # driver counts on this OSError to know the reset happened).
            self.reset()
            raise OSError(5, "MAX17048 NACK (reset)")

    def _write_reg(self, reg, value):
        if reg in _WRITABLE:
            self.regs[reg] = value

    def _before_read(self):
        volts = self.value("voltage")
        soc = self.value("soc")
        rate = self.value("charge_rate")
        self._put16(VCELL, min(int(round(volts / 78.125e-6)), 0xFFFF))
        self._put16(SOC, min(int(round(soc * 256)), 0xFFFF))
        self._put16(CRATE, int(round(rate / 0.208)))
        self._update_alerts(volts, soc, rate)

    def _update_alerts(self, volts, soc, rate):
        """Latch VH/VL/HD like the chip does; the host clears them by writing 0."""
        status = self.regs[STATUS]
        if volts > self.regs[VALRT + 1] * 0.02:
            status |= _VH
        if volts < self.regs[VALRT] * 0.02:
            status |= _VL
        if soc < 32 - (self.regs[CONFIG + 1] & 0x1F):  # ATHD: alert below (32-ATHD) %
            status |= _HD
        self.regs[STATUS] = status
        if status & (_VH | _VL | _HD):
            self.regs[CONFIG + 1] |= _ALRT
        # HibStat (MODE bit 12): forced by HIBRT 0xFFFF / 0x0000, else by CRATE.
        hib = self.regs[HIBRT] << 8 | self.regs[HIBRT + 1]
        hibernating = hib == 0xFFFF or (hib != 0 and abs(rate) < self.regs[HIBRT] * 0.208)
        if hibernating:
            self.regs[MODE] |= 0x10
        else:
            self.regs[MODE] &= ~0x10 & 0xFF
