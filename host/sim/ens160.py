"""Simulated ScioSense ENS160 at 0x53 (0x52), datasheet v0.95 (register level).

Modelled: PART_ID 0x0160 (little-endian), OPMODE (deep sleep, idle, standard,
reset), CONFIG, COMMAND, TEMP_IN and RH_IN (the compensation: ``given`` is
(relative humidity %, temperature C) from them), DEVICE_STATUS (STATAS, the
validity bits: warm-up for the first 3 minutes of standard mode, NEWDAT), the
data registers AQI, TVOC, eCO2 and DATA_T / DATA_RH (the compensation used),
GPR_READ.  Standard mode makes a reading every second, the first one second
after the mode is set; ``taken_s`` is when the reading in the registers was
taken.  Not modelled: the gas physics, the resistances, interrupts.
"""

from . import RegisterDevice

PART_ID = 0x00
OPMODE = 0x10
CONFIG = 0x11
COMMAND = 0x12
TEMP_IN = 0x13
RH_IN = 0x15
STATUS = 0x20
AQI = 0x21
TVOC = 0x22
ECO2 = 0x24
DATA_T = 0x30
DATA_RH = 0x32
_WRITABLE = (OPMODE, CONFIG, COMMAND, TEMP_IN, TEMP_IN + 1, RH_IN, RH_IN + 1) + tuple(range(0x40, 0x48))


class ENS160(RegisterDevice):
    KEYS = ("aqi", "tvoc", "eco2")
    DEFAULTS = {"aqi": 2.0, "tvoc": 120.0, "eco2": 650.0}
    LIMITS = {"aqi": (1.0, 5.0), "tvoc": (0.0, 65000.0), "eco2": (400.0, 65000.0)}
    OUT_OF_RANGE = {"aqi": 7.0, "tvoc": 65535.0, "eco2": 65535.0}
    ADDRESSES = (0x53, 0x52)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[PART_ID] = 0x60
        self.regs[PART_ID + 1] = 0x01
        self._put_le(TEMP_IN, int((25 + 273.15) * 64))
        self._put_le(RH_IN, 50 * 512)
        self.started = None  # when standard mode was set
        self.done = 0
        self.taken_s = None

    def _put_le(self, reg, value):
        self.regs[reg] = value & 0xFF
        self.regs[reg + 1] = (value >> 8) & 0xFF

    def _le(self, reg):
        return self.regs[reg] | self.regs[reg + 1] << 8

    @property
    def given(self):
        return self._le(RH_IN) / 512.0, self._le(TEMP_IN) / 64.0 - 273.15

    def _write_reg(self, reg, value):
        if reg not in _WRITABLE:
            return
        if reg == OPMODE:
            if value == 0xF0:
                self.reset()
                return
            self.regs[OPMODE] = value
            if value == 0x02:
                self.started = self.clock()
                self.done = 0
            else:
                self.started = None
            return
        self.regs[reg] = value

    def _value_at(self, key, t):
        if self.fault == "range":
            return self.OUT_OF_RANGE[key]
        lo, hi = self.LIMITS[key]
        return min(max(self.values[key].at(t), lo), hi)

    def _before_read(self):
        status = 0
        if self.started is not None:
            now = self.clock()
            k = int(now - self.started)
            if k > self.done:  # a new reading, taken at its second
                self.done = k
                t = self.started + k
                self.regs[AQI] = int(round(self._value_at("aqi", t))) & 0x07
                self._put_le(TVOC, int(round(self._value_at("tvoc", t))))
                self._put_le(ECO2, int(round(self._value_at("eco2", t))))
                self.regs[DATA_T:DATA_T + 2] = self.regs[TEMP_IN:TEMP_IN + 2]
                self.regs[DATA_RH:DATA_RH + 2] = self.regs[RH_IN:RH_IN + 2]
                self.regs[STATUS] |= 0x02
                self.taken = t
            validity = 1 if now - self.started < 180.0 else 0
            status = 0x80 | validity << 2 | (self.regs[STATUS] & 0x03)
        self.regs[STATUS] = status

    def read(self, n):
        start = self.pointer
        data = RegisterDevice.read(self, n)
        if start <= AQI < start + n:  # the data read out: NEWDAT cleared
            self.regs[STATUS] &= 0xFD
            self.taken_s = getattr(self, "taken", None)
        return data
