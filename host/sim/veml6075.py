"""Simulated Vishay VEML6075 UVA/UVB sensor at 0x10 (datasheet doc 84304; app note 84339).

16-bit little-endian command-code registers, as the VEML7700 (see veml7700.WordDevice).
Modelled: UV_CONF (0x00; power-on value 0x0001: shut down; integration time and
high dynamic scale the counts: 100 ms normal dynamic is x1), UVA (0x07), dark
(0x08), UVB (0x09), UVCOMP1 (0x0A, visible) and UVCOMP2 (0x0B, infrared), the ID
(0x0C = 0x0026).  The simulated "uva" and "uvb" are the compensated counts the app
note's formula gives (UVA = raw - 2.22 UVCOMP1 - 1.33 UVCOMP2, UVB with 2.95 and
1.74), "visible" and "infrared" the two compensation channels.  Counts read 0
until a first integration has passed after power-on and saturate at 0xFFFF.
"""

from .veml7700 import WordDevice

CONF = 0x00
UVA = 0x07
DARK = 0x08
UVB = 0x09
COMP1 = 0x0A
COMP2 = 0x0B
ID = 0x0C
TIMES_MS = (50, 100, 200, 400, 800, 800, 800, 800)


class VEML6075(WordDevice):
    KEYS = ("uva", "uvb", "visible", "infrared")
    DEFAULTS = {"uva": 400.0, "uvb": 300.0, "visible": 50.0, "infrared": 30.0}
    LIMITS = {"uva": (0.0, 20000.0), "uvb": (0.0, 20000.0), "visible": (0.0, 10000.0), "infrared": (0.0, 10000.0)}
    # The compensation channels saturated by a chip gone wrong: UVA and UVB far below zero.
    OUT_OF_RANGE = {"uva": -200000.0, "uvb": -200000.0, "visible": 65535.0, "infrared": 65535.0}
    ADDRESSES = (0x10,)
    WRITABLE = (CONF,)

    def reset(self):
        WordDevice.reset(self)
        self.words[CONF] = 0x0001
        self.words[ID] = 0x0026
        self.on_at = None

    def _write_word(self, code, value):
        value &= 0x007F
        if not value & 1 and self.word(CONF) & 1:
            self.on_at = self.clock()
        elif value & 1:
            self.on_at = None
        self.words[code] = value

    def word(self, code):
        if UVA <= code <= COMP2:
            conf = self.words[CONF]
            ms = TIMES_MS[conf >> 4 & 7]
            if self.on_at is None or self.clock() - self.on_at < ms / 1000.0:
                return 0
            scale = ms / 100.0 / (2.0 if conf & 0x08 else 1.0)
            vis, ir = self.value("visible"), self.value("infrared")
            if code == UVA:
                v = self.value("uva") + 2.22 * vis + 1.33 * ir
            elif code == UVB:
                v = self.value("uvb") + 2.95 * vis + 1.74 * ir
            elif code == COMP1:
                v = vis
            elif code == COMP2:
                v = ir
            else:
                v = 0.0  # dark
            return min(max(int(round(v * scale)), 0), 0xFFFF)
        return self.words.get(code, 0)
