"""Simulated Sensirion SGP40 VOC sensor at 0x59, datasheet v1.2 (command level).

Modelled: measure_raw_signal (0x260F with the humidity and temperature words for
compensation, each CRC-checked; 30 ms; replies the raw signal SRAW), serial
number (first word 0x0000), feature set (0x3220), self test (320 ms, 0xD400),
heater off, the driver's soft reset (0x0006).  The compensation it was last given
is kept: ``given`` = (relative humidity %, temperature C), from the ticks.
``sraw`` is the raw signal itself (ticks; clean air is about 30000).
Not modelled: the gas physics (SRAW does not depend on the compensation).
"""

from .sensirion import SensirionDevice, words

SERIAL = (0x0000, 0x0A1B, 0x2C3D)


class SGP40(SensirionDevice):
    KEYS = ("sraw",)
    DEFAULTS = {"sraw": 30000.0}
    LIMITS = {"sraw": (0.0, 65535.0)}
    OUT_OF_RANGE = {"sraw": 65535.0}
    ADDRESSES = (0x59,)
    NAME = "SGP40"

    def power_on(self):
        self.given = None

    def command(self, cmd, args, now):
        if cmd == 0x260F and len(args) == 2:  # measure_raw_signal (humidity, temperature)
            self.given = (args[0] * 100.0 / 65535.0, args[1] * 175.0 / 65535.0 - 45.0)
            return 0.03, words(int(round(self.value("sraw"))))
        if cmd == 0x3682:
            return 0.001, words(*SERIAL)
        if cmd == 0x202F:
            return 0.001, words(0x3220)
        if cmd == 0x280E:  # execute_self_test: 0xD400 all tests passed
            return 0.32, words(0xD400)
        if cmd == 0x3615:  # turn_heater_off
            return 0.001, None
        if cmd == 0x0006:  # soft reset (the general call's command, sent to the chip's address)
            self.power_on()
            return 0.001, None
        return SensirionDevice.command(self, cmd, args, now)
