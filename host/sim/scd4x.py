"""Simulated Sensirion SCD4x (SCD40/41) CO2 sensor at 0x62, datasheet v1.7 (command level).

Modelled: idle, periodic (a reading every 5 s, the first 5 s after the start) and
low-power periodic (30 s) modes, and which commands each mode takes (others are
NACKed); read_measurement (the buffer is emptied on read-out; with nothing in it
the read is NACKed, datasheet 3.5.2); get_data_ready_status (bits 15:11 reserved
zero); single shot (5 s) and single shot RH/T only (50 ms, CO2 0) on the SCD41;
stop (500 ms), serial number, sensor variant, set/get ambient pressure, altitude,
temperature offset, automatic self-calibration, persist, reinit, factory reset,
self test.  A reading's values are those at the time it was taken (``taken_s``).
The compensation it was given is kept: ``pressure_hpa`` (0: none), ``altitude_m``.
Not modelled: the CO2 physics of pressure compensation, ASC, FRC.
"""

from .sensirion import SensirionDevice, nack, words

SERIAL = (0xF896, 0x9F07, 0x3BB2)  # any 48-bit value will do
PERIODIC_CMDS = (0xEC05, 0xE4B8, 0x3F86, 0xE000)  # what the chip takes while measuring


class SCD4X(SensirionDevice):
    KEYS = ("co2", "temperature", "humidity")
    DEFAULTS = {"co2": 650.0, "temperature": 22.0, "humidity": 45.0}
    LIMITS = {"co2": (0.0, 40000.0), "temperature": (-10.0, 60.0), "humidity": (0.0, 100.0)}
    OUT_OF_RANGE = {"co2": 65000.0, "temperature": 125.0, "humidity": 100.0}  # the words' ceilings, nearly
    ADDRESSES = (0x62,)
    NAME = "SCD4x"

    def __init__(self, address=0x62, values=None, clock=None, variant=1):
        self.variant = variant  # 0: SCD40, 1: SCD41
        SensirionDevice.__init__(self, address, values, clock)

    def power_on(self):
        self.mode = "idle"
        self.period = 0.0
        self.started = 0.0
        self.done = 0  # readings taken since the start
        self.buffer = None  # the reading not yet read out (bytes)
        self.single_at = None  # a single shot's (ready at, CO2 too)
        self.taken_s = None  # when the reading last read out was taken
        self._handed = None  # ... and the one a pending reply holds
        self.pressure_hpa = 0
        self.altitude_m = 0
        self.offset = int(4.0 * 65535 / 175)
        self.asc = 1

    def delivered(self):
        if self._handed is not None:  # a reading was read out
            self.taken_s = self._handed
            self._handed = None

    def _reading(self, t, co2=True):
        c = int(round(self.value_at("co2", t))) if co2 else 0
        temp = min(max(int(round((self.value_at("temperature", t) + 45.0) * 65535.0 / 175.0)), 0), 0xFFFF)
        rh = min(max(int(round(self.value_at("humidity", t) * 65535.0 / 100.0)), 0), 0xFFFF)
        self.buffer = (words(min(c, 0xFFFF), temp, rh), t)

    def _update(self, now):
        if self.mode != "idle":
            k = int((now - self.started) // self.period)
            if k > self.done:
                self.done = k
                self._reading(self.started + k * self.period)
        elif self.single_at is not None and now >= self.single_at[0]:
            self._reading(self.single_at[0], self.single_at[1])
            self.single_at = None

    def command(self, cmd, args, now):
        self._update(now)
        if self.mode != "idle" and cmd not in PERIODIC_CMDS:
            raise nack(self.NAME, "0x%04x is not taken while measuring" % cmd)
        self._handed = None
        if cmd == 0xEC05:  # read_measurement
            if self.buffer is None:
                return 0.001, None
            (data, self._handed), self.buffer = self.buffer, None
            return 0.001, data
        if cmd == 0xE4B8:  # get_data_ready_status
            return 0.001, words(0x0006 if self.buffer is not None else 0x0000)
        if cmd == 0x3F86:  # stop_periodic_measurement
            self.mode = "idle"
            return 0.5, None
        if cmd == 0xE000:  # set (with a word) or get ambient pressure
            if args:
                self.pressure_hpa = args[0]
                return 0.001, None
            return 0.001, words(self.pressure_hpa)
        if cmd in (0x21B1, 0x21AC):  # start (low power) periodic measurement
            self.mode = "periodic"
            self.period = 5.0 if cmd == 0x21B1 else 30.0
            self.started = now
            self.done = 0
            return 0.0, None
        if cmd in (0x219D, 0x2196) and self.variant:  # single shot (SCD41)
            self.single_at = (now + (5.0 if cmd == 0x219D else 0.05), cmd == 0x219D)
            return 0.0, None
        if cmd == 0x3682:
            return 0.001, words(*SERIAL)
        if cmd == 0x202F:  # get_sensor_variant
            return 0.001, words(self.variant << 12)
        simple = {0x241D: "offset", 0x2427: "altitude_m", 0x2416: "asc"}
        if cmd in simple and args:
            setattr(self, simple[cmd], args[0])
            return 0.001, None
        getters = {0x2318: "offset", 0x2322: "altitude_m", 0x2313: "asc"}
        if cmd in getters:
            return 0.001, words(getattr(self, getters[cmd]))
        if cmd == 0x3615:  # persist_settings
            return 0.8, None
        if cmd in (0x3646, 0x3632):  # reinit, factory reset
            self.power_on()
            return 1.2 if cmd == 0x3632 else 0.03, None
        if cmd == 0x3639:  # perform_self_test: 0 is no malfunction
            return 10.0, words(0)
        return SensirionDevice.command(self, cmd, args, now)
