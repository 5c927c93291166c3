# What every Qwiic device plugin shares: its section, bad-reading checks, and riding out an unplug.
#
# A device plugin (plugins/sensors/<kind>.py) declares, at module level:
#   ADDRESSES  the 7-bit addresses the chip can have, its default first;
#   PROBES     ((confidence, risk, probe), ...): read-only checks, probe(i2c, address) -> True/False.
#              confidence adds up (a chip ID is worth 80, a reserved-bits or calibration check 10..20);
#              risk 0 is a register read, 1 a read some other chip could mind, 2 a command write.
#              A probe that answers False rules the device out; plugins/sensors/auto.py runs them.
#   Device     a class below Device with NAME, PARAMS, DIGITS, RANGES and start()/sample().
#
# Compensation across devices (as the original: a gas sensor is told the air's temperature and
# humidity, a CO2 sensor the air pressure). A device that measures them says which of its
# parameters holds each in GIVES, as (what, index) with what "temperature" (C), "humidity" (%RH) or
# "pressure" (Pa), and RANK (lower is preferred: BME280 0, SHT4x 1, SCD4x 2). A device that wants
# them names them in NEEDS. connect(devices), run by sensors.auto after each scan, points each
# NEEDS at the best device present; in sample(), self.given("temperature") is that device's latest
# value (None when there is none, or it failed, or is unplugged): the device keeps what it had.
#
# Timing, for the tests and for readers: LAG is how many observations a reading is collected after
# it was started (a command sent in one cycle, its result read in the next: 1); PERIOD_MS, for a
# chip that measures on its own schedule, the time between its readings (the first comes one
# period after start()); LAG_S, the time a conversion started in one cycle needs before the next can
# collect it. self.now is the observation's ticks_ms, for a device that times its chip.
# (Comments, not docstrings: MicroPython keeps docstrings on the heap.)
from adafruit_ticks import ticks_add, ticks_diff
from core.observation import Section

FIRST_RETRY_MS = 1000
MAX_RETRY_MS = 60000


_ADDRESS = bytearray(1)  # the register's address, written by every read: one buffer, no allocation per read


def read_into(i2c, address, register, buf):
    # One register read (the register's address written, then buf read) in one bus operation.
    while not i2c.try_lock():
        pass
    try:
        _ADDRESS[0] = register
        i2c.writeto_then_readfrom(address, _ADDRESS, buf)
    finally:
        i2c.unlock()
    return buf


def register(i2c, address, reg, size):
    return read_into(i2c, address, reg, bytearray(size))


def send(i2c, address, data):
    # One write transaction: a command.
    while not i2c.try_lock():
        pass
    try:
        i2c.writeto(address, data)
    finally:
        i2c.unlock()


def receive(i2c, address, buf):
    # One read transaction into buf.
    while not i2c.try_lock():
        pass
    try:
        i2c.readfrom_into(address, buf)
    finally:
        i2c.unlock()
    return buf


def _quiet(_text):
    pass


class Device:
    NAME = ""
    PARAMS: tuple = ()
    DIGITS: tuple = ()
    RANGES: tuple = ()  # (low, high) per parameter: the chip's physical range; outside it, or NaN, is a bad reading
    LAG_S = 0.0  # > 0: each observation collects the conversion the one before started, this long before
    GIVES: tuple = ()  # ((what, parameter index), ...): what this device can give others (see above)
    RANK = 9
    NEEDS: tuple = ()  # what this device is given by others, if present
    LAG = 0
    PERIOD_MS = 0

    def __init__(self, i2c, address, say=None):
        self.i2c = i2c
        self.sources = {}  # what -> (device, parameter index), set by connect()
        self.now = 0
        self.address = address
        self.say = say or _quiet
        self.section = Section(self.NAME, self.PARAMS, self.DIGITS)
        self.bad = 0  # bad readings (CRC failures, NaN, out of range), each left empty
        self.lost = False
        self.retry_at = 0
        self.backoff = 0
        self.start()

    def given(self, what):
        # The latest value of `what` from the device connect() chose, or None.
        source = self.sources.get(what)
        if source is None or source[0].lost:
            return None
        return source[0].section.values[source[1]]

    def start(self):
        # Set the chip up (after identification): at boot and when it answers again after an unplug.
        pass

    def sample(self, values):
        # Fill `values` (the section's list) from the chip; an OSError means it did not answer.
        raise NotImplementedError

    def read(self, now):
        self.now = now
        values = self.section.values
        if self.lost:
            if ticks_diff(now, self.retry_at) < 0:
                self.section.clear()
                return
            try:
                self.start()  # it may have lost power: set it up again; its first sample comes next cycle
            except (OSError, RuntimeError, ValueError) as err:  # busdevice: ValueError for no device
                self._missing(now, err)
                return
            self.lost = False
            self.section.clear()
            self.say(self.section.name + " at " + hex(self.address) + ": answering again")
            return
        try:
            self.sample(values)
        except OSError as err:
            self._missing(now, err)
            return
        ranges = self.RANGES
        for i in range(len(ranges)):
            v = values[i]
            if v is not None and not ranges[i][0] <= v <= ranges[i][1]:  # NaN fails both
                self.reject(i, "out of range")

    def reject(self, i, why):
        # A bad reading: the field is empty in this observation; counted, and told 1st, 2nd, 4th... time.
        self.section.values[i] = None
        self.bad += 1
        if self.bad & (self.bad - 1) == 0:
            self.say(self.section.name + "." + self.section.params[i] + ": bad reading (" + why + "), left empty; "
                     + str(self.bad) + " so far")

    def _missing(self, now, err):
        self.section.clear()
        if not self.lost:
            self.lost = True
            self.backoff = FIRST_RETRY_MS
            self.say(self.section.name + " at " + hex(self.address) + ": not answering (" + str(err)
                     + "); its fields are empty until it is back; retrying")
        else:
            self.backoff = self.backoff * 2 if self.backoff < MAX_RETRY_MS // 2 else MAX_RETRY_MS
        self.retry_at = ticks_add(now, self.backoff)


def connect(devices, say=None):
    # Point each device's NEEDS at the best-ranked other device that GIVES it; say who gives what.
    for device in devices:
        sources = {}
        for what in device.NEEDS:
            best = None
            for other in devices:
                if other is device:
                    continue
                for gives, index in other.GIVES:
                    if gives == what and (best is None or other.RANK < best[0].RANK):
                        best = (other, index)
            if best is not None:
                sources[what] = best
        device.sources = sources
        if say and device.NEEDS:
            told = {}
            for what in device.NEEDS:
                name = sources[what][0].section.name if what in sources else "nothing present"
                told[name] = told.get(name, "") + (" and " if name in told else "") + what
            for name in told:
                say(device.section.name + " takes " + told[name] + " from " + name)
