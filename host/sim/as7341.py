"""Simulated ams AS7341 11-channel spectral sensor at 0x39 (datasheet ams DS000504).

Six 16-bit ADCs serve the photodiodes through the SMUX: a 20-byte RAM at 0x00..0x13
holds, per byte, two nibbles (low, high), each the ADC (1..6, 0 = none) that one photodiode
feeds; the pairs below are the ones the Adafruit driver's SMUX_IN names give.  An SMUX
command (CFG6 0xAF bits 4:3 = 2, "write", then SMUXEN in ENABLE) copies the RAM into the
chain; SMUXEN clears when it is done (here at once).  Each filter is two photodiodes (L, R),
each half of its signal; Clear is CL + CR; NIR one.

Modelled: ENABLE (0x80: PON, SP_EN, WEN, SMUXEN), ATIME (0x81), WTIME (0x83), the IDs
(AUXID 0x90, REVID 0x91, ID 0x92 = 0x24: bits 7:2 0b001001), ASTATUS (0x94: ASAT_STATUS bit
7, AGAIN_STATUS 3:0), the six channels (0x95..0xA0, little-endian), STATUS2 (0xA3: AVALID
bit 6, ASAT_DIGITAL bit 4), CFG0 (0xA9: WLONG bit 2, REG_BANK bit 4), CFG1 (0xAA: AGAIN),
CFG6 (0xAF), ASTEP (0xCA..0xCB) and CONFIG/LED (0x70, 0x74) as plain storage.

A measurement starts when SP_EN is set: it integrates (ATIME+1)(ASTEP+1) x 2.78 us, then
AVALID is set and the channels hold its counts; with WEN the next integration starts a wait
time ((WTIME+1) x 2.78 ms, x16 with WLONG) after the start of the one before, without WEN at
once.  An integration's counts are the light at its start: each simulated value is a
channel's "basic counts" (counts / (gain x integration time in ms), as ams defines them),
times the gain (0.5x..512x) and the integration time, capped at the ADC full scale
min(65535, (ATIME+1)(ASTEP+1)); a capped channel sets the saturation bits.
"""

from . import RegisterDevice

SMUX_RAM = 0x14  # 20 bytes
CONFIG = 0x70
LED = 0x74
ENABLE = 0x80
ATIME = 0x81
WTIME = 0x83
AUXID = 0x90
REVID = 0x91
ID = 0x92
ASTATUS = 0x94
CH0 = 0x95
STATUS2 = 0xA3
CFG0 = 0xA9
CFG1 = 0xAA
CFG6 = 0xAF
ASTEP = 0xCA
PON, SP_EN, WEN, SMUXEN = 0x01, 0x02, 0x08, 0x10
WLONG = 0x04
AVALID = 0x40
ASAT_DIGITAL = 0x10
STEP_S = 2.78e-6

# The photodiode at each (RAM byte, nibble): 0 low, 1 high (the driver's SMUX_IN names, "low_high").
PAIRS = (
    (None, "f3"), ("f1", None), (None, None), (None, "f8"), ("f6", None), ("f2", "f4"), (None, "f5"),
    ("f7", None), (None, "clear"), (None, "f5"), ("f7", None), (None, None), (None, "f2"), ("f4", None),
    ("f8", "f6"), (None, "f3"), ("f1", None), (None, "clear"), (None, None), ("nir", None),
)
HALVES = {"nir": 1.0}  # the others: two photodiodes, half each


class AS7341(RegisterDevice):
    KEYS = ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "clear", "nir")
    # Basic counts of a white LED lamp (F1 415 nm ... F8 680 nm, Clear, NIR).
    DEFAULTS = {"f1": 0.15, "f2": 0.55, "f3": 0.7, "f4": 0.85, "f5": 1.05, "f6": 1.2, "f7": 1.1, "f8": 0.45,
                "clear": 2.2, "nir": 0.35}
    LIMITS = {"f1": (0.0, 1e4), "f2": (0.0, 1e4), "f3": (0.0, 1e4), "f4": (0.0, 1e4), "f5": (0.0, 1e4),
              "f6": (0.0, 1e4), "f7": (0.0, 1e4), "f8": (0.0, 1e4), "clear": (0.0, 1e4), "nir": (0.0, 1e4)}
    OUT_OF_RANGE = {"f1": 5e4, "f2": 5e4, "f3": 5e4, "f4": 5e4, "f5": 5e4, "f6": 5e4, "f7": 5e4, "f8": 5e4,
                    "clear": 5e4, "nir": 5e4}  # every channel saturates
    ADDRESSES = (0x39,)

    def reset(self):
        self.regs[:] = bytes(256)
        self.regs[ID] = 0x24
        self.regs[ASTEP] = 0xE7  # ASTEP 999
        self.regs[ASTEP + 1] = 0x03
        self.regs[CFG1] = 0x09  # 256x
        self.chain = bytearray(SMUX_RAM)  # what the ADCs see (the ROM default leaves them unconnected here)
        self.started = None  # clock of SP_EN's rising edge

    def _write_reg(self, reg, value):
        if reg < SMUX_RAM:
            self.regs[reg] = value
        elif reg == ENABLE:
            old = self.regs[ENABLE]
            if old & SP_EN and not value & SP_EN:
                self._measure()  # the channels keep the last completed integration
                self.started = None
            if value & SMUXEN and value & PON:
                if self.regs[CFG6] >> 3 & 3 == 2:  # write: RAM -> chain
                    self.chain[:] = self.regs[0:SMUX_RAM]
                elif self.regs[CFG6] >> 3 & 3 == 1:  # read: chain -> RAM
                    self.regs[0:SMUX_RAM] = self.chain
                value &= ~SMUXEN  # done
            if value & SP_EN and value & PON and not (old & SP_EN and old & PON):
                self.started = self.clock()
                self.regs[STATUS2] = 0
            if not value & PON:
                self.started = None
            self.regs[ENABLE] = value & 0x5B
        elif reg in (CONFIG, LED, ATIME, WTIME, CFG0, CFG1, CFG6, ASTEP, ASTEP + 1) or 0x84 <= reg <= 0x87:
            self.regs[reg] = value

    def integration_s(self):
        return (self.regs[ATIME] + 1) * (self.regs[ASTEP] + 1 + (self.regs[ASTEP + 1] << 8)) * STEP_S

    def _light(self, key, t):
        if self.fault == "range":
            return self.OUT_OF_RANGE[key]
        lo, hi = self.LIMITS[key]
        return min(max(self.values[key].at(t), lo), hi)

    def _measure(self):
        # The channels and status of the last integration completed by now, if any.
        if self.started is None:
            return
        tint = self.integration_s()
        elapsed = self.clock() - self.started
        if elapsed < tint:
            return
        period = tint
        if self.regs[ENABLE] & WEN:
            wait = (self.regs[WTIME] + 1) * 2.78e-3 * (16 if self.regs[CFG0] & WLONG else 1)
            period = max(tint, wait)
        n = int((elapsed - tint) // period)
        t = self.started + n * period
        again = self.regs[CFG1] & 0x1F
        gain = 0.5 if again == 0 else float(1 << (min(again, 10) - 1))
        steps = (self.regs[ATIME] + 1) * (self.regs[ASTEP] + 1 + (self.regs[ASTEP + 1] << 8))
        full = min(65535, steps)
        adc = [0.0] * 6
        for i in range(SMUX_RAM):
            byte = self.chain[i]
            for nibble in (0, 1):
                name = PAIRS[i][nibble]
                out = byte >> (4 * nibble) & 0x0F
                if name is not None and 1 <= out <= 6:
                    adc[out - 1] += self._light(name, t) * HALVES.get(name, 0.5)
        saturated = False
        for i in range(6):
            count = int(round(adc[i] * gain * tint * 1000.0))
            if count >= full:
                count = full
                saturated = True
            self.regs[CH0 + 2 * i] = count & 0xFF
            self.regs[CH0 + 2 * i + 1] = count >> 8
        self.regs[ASTATUS] = (0x80 if saturated else 0) | (again & 0x0F)
        self.regs[STATUS2] = AVALID | (ASAT_DIGITAL if saturated else 0)

    def _before_read(self):
        self._measure()
