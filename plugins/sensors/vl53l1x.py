# ST VL53L1X time-of-flight distance, with adafruit_vl53l1x.
#
# The original's "VL53L1x" (lower-case x): its device name and parameter names (integers), and its
# default short distance mode. Identified by its model ID (0x010F..0x0110 = 0xEA 0xCC, mask
# revision 0x10 as the driver requires) read through a 16-bit register address: a write another
# chip at 0x29 could mind, so it runs only when the TSL2591's safer ID read has not decided.
# Lean read: the sensor ranges continuously; one burst read of the result block (0x0089..0x0099:
# range status, stream count, distance, signal rate) per observation, and an interrupt clear when
# it held a new result (its stream count moved). Range Status is ST's (the ULD's table: 0 = good).
from plugins.sensors.base import Device as Base, read_into, send

NAME = "VL53L1x"
ADDRESSES = (0x29,)
PARAMS = ("Distance (mm)", "Range Status", "Signal Rate")
DIGITS = (None, None, None)
REGISTER_ADDRESS_BYTES = 2  # its probe writes a 16-bit register address
RESULT = b"\x00\x89"
CLEAR = b"\x00\x86\x01"
# ST's ULD VL53L1X_GetResult(): raw range status -> status (255: not a status)
STATUS = bytes((255, 255, 255, 5, 2, 4, 1, 7, 3, 0, 255, 255, 9, 13, 255, 255, 255, 255, 10, 6, 255, 255,
                11, 12))


def _model_id(i2c, address):
    while not i2c.try_lock():
        pass
    try:
        buf = bytearray(3)
        i2c.writeto_then_readfrom(address, b"\x01\x0f", buf)
    finally:
        i2c.unlock()
    return buf[0] == 0xEA and buf[1] == 0xCC and buf[2] == 0x10


PROBES = ((80, 2, _model_id),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((0, 4000), (0, 255), (0, 524280))

    def start(self):
        from adafruit_vl53l1x import VL53L1X
        sensor = VL53L1X(self.i2c, self.address)  # checks the model ID, initialises (one ranging), 50 ms budget
        sensor.distance_mode = 1  # short, the original's default
        sensor.timing_budget = 20  # a result every 20 ms: each observation finds a fresh one
        sensor.start_ranging()
        self.sensor = sensor
        self.buf = bytearray(17)
        self.count = -1  # the stream count of the last result read

    def sample(self, values):
        i2c = getattr(self.sensor.i2c_device, "i2c")  # the driver's device's bus
        address = self.address
        buf = self.buf
        while not i2c.try_lock():
            pass
        try:
            i2c.writeto_then_readfrom(address, RESULT, buf)
        finally:
            i2c.unlock()
        raw = buf[0] & 0x1F
        if raw == 0 and buf[2] == 0 and buf[13] == 0 and buf[14] == 0:
            # A blank result block: the chip was reset (it lost its set-up and does not range).
            for i in range(3):
                self.reject(i, "the chip was reset")
            self.start()
            return
        if buf[2] == self.count:
            return  # no new ranging since the last observation: its values stand
        self.count = buf[2]
        send(i2c, address, CLEAR)  # arm the next result's interrupt
        values[0] = buf[13] << 8 | buf[14]
        values[1] = STATUS[raw] if raw < 24 else raw
        values[2] = (buf[15] << 8 | buf[16]) * 8
