# ams AS7341 spectral sensor (F1..F8, Clear, NIR), with adafruit_as7341.
#
# The original has no AS7341: named in its style, units in the names (raw ADC counts).
# Identified by its ID register (0x92, bits 7:2 = 0b001001), as Adafruit's probe does.
# Six ADCs serve the ten channels through the SMUX, so a spectrum takes two passes: F1-F4 and
# F5-F8, each with Clear and NIR. Lean read without waiting: each observation collects the pass
# the one before started (STATUS2's AVALID, then ASTATUS and the six channels in one 13-byte
# burst from 0x94: reading ASTATUS latches them), then starts the other pass: SP_EN off, the
# driver's SMUX map for it in one 20-byte burst to its RAM, the SMUX command, one look at
# ENABLE to see the command done (else SP_EN is set next cycle), SP_EN on. The driver would
# write the map a byte at a time and sleep in both waits. The observation holds the latest of
# both halves (Clear and NIR from the newer). Gain 128x and ASTEP 999 are the driver's; ATIME 17
# makes 18 x 1000 x 2.78 us = 50 ms (full scale 18000 counts). With the longest wait time (WEN,
# WTIME 255, WLONG: 11.4 s) the chip integrates once per pass and then idles, so a pass's counts
# are of the moment the observation before started it. Saturation (ASTATUS's ASAT) leaves that
# pass's channels empty; a reset (PON clear) is told and the chip set up again.
from plugins.sensors.base import Device as Base, read_into, register, send

NAME = "AS7341"
ADDRESSES = (0x39,)
PARAMS = ("F1 415nm (counts)", "F2 445nm (counts)", "F3 480nm (counts)", "F4 515nm (counts)",
          "F5 555nm (counts)", "F6 590nm (counts)", "F7 630nm (counts)", "F8 680nm (counts)",
          "Clear (counts)", "NIR (counts)")
DIGITS = (None,) * 10
ENABLE = 0x80
ID = 0x92
ASTATUS = 0x94
STATUS2 = 0xA3
AVALID = 0x40
PON = 0x01
SMUXEN = 0x10
STOP = b"\x80\x01"  # ENABLE: PON (SP_EN off while the SMUX changes)
SMUX = b"\x80\x11"  # ENABLE: PON, SMUXEN (run the SMUX command)
RUN = b"\x80\x0b"  # ENABLE: PON, SP_EN, WEN
ATIME = 17
# Where each pass's ADC0..ADC5 go in PARAMS.
SLOTS = ((0, 1, 2, 3, 8, 9), (4, 5, 6, 7, 8, 9))


def _device_id(i2c, address):
    return register(i2c, address, ID, 1)[0] >> 2 == 0x09


PROBES = ((80, 0, _device_id),)


def _smux_map(sensor, configure):
    # The driver's SMUX map for a pass (its _set_smux writes, caught instead of sent), as one
    # write: RAM address 0x00, then its 20 bytes.
    buf = bytearray(21)

    def put(register, value):
        buf[1 + register] = value

    sensor._write_register = put
    try:
        configure()
    finally:
        del sensor._write_register
    return buf


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 65535),) * 10
    LAG_S = 0.051  # the pass the previous observation started (50 ms)
    LAG = 1

    def __init__(self, i2c, address, say=None):
        Base.__init__(self, i2c, address, say)
        import time
        for _ in range(10):  # at boot only: both passes, so the first observation is whole
            time.sleep(0.03)
            self.sample(self.section.values)
            if None not in self.latest:
                break

    def start(self):
        from adafruit_as7341 import AS7341
        sensor = AS7341(self.i2c, self.address)  # checks the ID; powered on, ATIME 100, ASTEP 999, gain 128x
        sensor.atime = ATIME
        sensor._smux_command = 2  # SMUX command: write the RAM to the chain (kept for every pass)
        self.sensor = sensor
        self.bus = getattr(sensor.i2c_device, "i2c")  # the driver's device's bus
        self.maps = (_smux_map(sensor, sensor._f1f4_clear_nir), _smux_map(sensor, sensor._f5f8_clear_nir))
        send(self.bus, self.address, b"\x83\xff")  # WTIME 255
        send(self.bus, self.address, b"\xa9\x04")  # CFG0: WLONG (wait x16), register bank 0x80 and up
        self.one = bytearray(1)
        self.buf = bytearray(13)
        self.latest = [None] * 10
        self.pending = False
        self._begin(0)

    def _begin(self, which):
        bus = self.bus
        address = self.address
        send(bus, address, STOP)
        send(bus, address, self.maps[which])
        send(bus, address, SMUX)
        self.which = which
        self.pending = read_into(bus, address, ENABLE, self.one)[0] & SMUXEN != 0
        if not self.pending:
            send(bus, address, RUN)

    def sample(self, values):
        bus = self.bus
        address = self.address
        latest = self.latest
        if self.pending or not read_into(bus, address, STATUS2, self.one)[0] & AVALID:
            enable = read_into(bus, address, ENABLE, self.one)[0]
            if not enable & PON:  # powered up again: it lost its set-up
                for i in range(10):
                    latest[i] = None
                    self.reject(i, "the chip was reset")
                self.start()
                return
            if self.pending and not enable & SMUXEN:
                self.pending = False
                send(bus, address, RUN)
            for i in range(10):
                values[i] = latest[i]
            return
        buf = read_into(bus, address, ASTATUS, self.buf)
        slots = SLOTS[self.which]
        saturated = buf[0] & 0x80
        for i in range(6):
            latest[slots[i]] = None if saturated else buf[1 + 2 * i] | buf[2 + 2 * i] << 8
        self._begin(1 - self.which)
        for i in range(10):
            values[i] = latest[i]
        if saturated:
            for i in slots:
                self.reject(i, "saturated")
