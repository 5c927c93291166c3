"""Simulated Sensirion SCD30 CO2 sensor at 0x61, interface description v1.0 (command level).

Modelled: continuous measurement (0x0010 with the ambient pressure, a reading
every interval, 2 s by default, the first one interval after the start), stop,
set/get measurement interval, get data ready (0x0202), read measurement (0x0300:
CO2, temperature, humidity as big-endian floats, two CRC-checked words each; the
reading is consumed; with none ready the read is NACKed, an assumption), ASC,
forced recalibration, temperature offset, altitude, firmware version (3.66),
soft reset.  Replies are read in a separate transaction after the command
(the chip wants a stop between them).  ``pressure_mbar`` is the compensation given;
``taken_s`` when the reading last read out was taken.
"""

import struct

from .sensirion import SensirionDevice, words


class SCD30(SensirionDevice):
    KEYS = ("co2", "temperature", "humidity")
    DEFAULTS = {"co2": 700.0, "temperature": 23.0, "humidity": 40.0}
    LIMITS = {"co2": (0.0, 40000.0), "temperature": (-40.0, 70.0), "humidity": (0.0, 100.0)}
    OUT_OF_RANGE = {"co2": 100000.0, "temperature": 150.0, "humidity": 150.0}
    ADDRESSES = (0x61,)
    NAME = "SCD30"

    def power_on(self):
        self.measuring = False
        self.interval = 2
        self.started = 0.0
        self.done = 0
        self.buffer = None
        self.taken_s = None
        self._handed = None
        self.pressure_mbar = 0
        self.settings = {0x5306: 0, 0x5204: 400, 0x5403: 0, 0x5102: 0}

    def _update(self, now):
        if self.measuring:
            k = int((now - self.started) // self.interval)
            if k > self.done:
                self.done = k
                t = self.started + k * self.interval
                out = b""
                for key in self.KEYS:
                    raw = struct.pack(">f", self.value_at(key, t))
                    out += words(raw[0] << 8 | raw[1], raw[2] << 8 | raw[3])
                self.buffer = (out, t)

    def delivered(self):
        if self._handed is not None:
            self.taken_s = self._handed
            self._handed = None

    def command(self, cmd, args, now):
        self._update(now)
        self._handed = None
        if cmd == 0x0010:  # trigger continuous measurement (ambient pressure, 0: none)
            self.pressure_mbar = args[0] if args else 0
            if not self.measuring:
                self.measuring = True
                self.started = now
                self.done = 0
            return 0.003, None
        if cmd == 0x0104:
            self.measuring = False
            return 0.003, None
        if cmd == 0x0202:
            return 0.003, words(1 if self.buffer is not None else 0)
        if cmd == 0x0300:
            if self.buffer is None:
                return 0.003, None
            (data, self._handed), self.buffer = self.buffer, None
            return 0.003, data
        if cmd == 0x4600:
            if args:
                self.interval = args[0]
                return 0.003, None
            return 0.003, words(self.interval)
        if cmd in self.settings:
            if args:
                self.settings[cmd] = args[0]
                return 0.003, None
            return 0.003, words(self.settings[cmd])
        if cmd == 0xD100:
            return 0.003, words(0x0342)  # 3.66
        if cmd == 0xD304:  # soft reset
            self.power_on()
            return 0.003, None
        return SensirionDevice.command(self, cmd, args, now)
