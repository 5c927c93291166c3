# ScioSense ENS160 air quality (AQI, TVOC, eCO2), with adafruit_ens160.
#
# The original's "ENS160": its device name, parameter names and decimals (the gas values are
# integers; its ETOH is the chip's ethanol reading, which the datasheet places in the TVOC register,
# 0x22; Temp Comp and Humidity Comp are the compensation the chip used, DATA_T and DATA_RH).
# Standard mode: a reading every second, so a log cycle never waits. Lean read: one burst of the
# registers 0x20..0x33 (status, AQI, TVOC, eCO2 and the compensation used) per observation, where
# the driver's properties would read each register alone. Compensation as the original: the
# temperature and humidity of a BME280, SHT4x or SCD4x, when one is present, written (one
# transaction) whenever they change (without one, the driver's 25 C and 50 %RH stay).
from plugins.sensors.base import Device as Base, read_into, register, send

NAME = "ENS160"
ADDRESSES = (0x53, 0x52)
PARAMS = ("AQI", "TVOC", "ETOH", "eCO2", "Temp Comp", "Humidity Comp")
DIGITS = (None, None, None, None, 3, 3)
DATA = 0x20
TEMP_IN = 0x13
STANDARD = 0x02


def _part_id(i2c, address):
    part = register(i2c, address, 0x00, 2)  # PART_ID, little-endian: 0x0160 (0x0161: an ENS161)
    return part[1] == 0x01 and part[0] in (0x60, 0x61)


PROBES = ((80, 0, _part_id),)


class Device(Base):
    NAME = NAME
    PARAMS = PARAMS
    DIGITS = DIGITS
    RANGES = ((1, 5), (0, 65000), (0, 65000), (400, 65000), (-45.0, 130.0), (0.0, 100.0))
    NEEDS = ("temperature", "humidity")
    PERIOD_MS = 1000

    def start(self):
        from adafruit_ens160 import ENS160
        sensor = ENS160(self.i2c, self.address)  # checks the part ID; standard mode; 25 C, 50 %RH
        if sensor.part_id == 0x0161 and self.section.name == NAME:
            self.section.name = "ENS161"
        self.sensor = sensor
        self.bus = getattr(sensor.i2c_device, "i2c")  # the driver's device's bus
        self.buf = bytearray(20)
        self.command = bytearray(5)
        self.command[0] = TEMP_IN
        self.written = (int((25 + 273.15) * 64.0 + 0.5), int(50 * 512 + 0.5))

    def sample(self, values):
        buf = read_into(self.bus, self.address, DATA, self.buf)
        if buf[0] & 0x0C == 0x0C:  # validity: invalid output
            for i in range(len(values)):
                self.reject(i, "invalid output")
            self._compensate()
            return
        values[0] = buf[1] & 0x07
        values[1] = values[2] = buf[2] | buf[3] << 8
        values[3] = buf[4] | buf[5] << 8
        # The driver's conversions (temperature_compensation, humidity_compensation)
        values[4] = (buf[16] | buf[17] << 8) / 64.0 - 273.15
        values[5] = (buf[18] | buf[19] << 8) / 512.0
        self._compensate()

    def _compensate(self):
        celsius = self.given("temperature")
        humidity = self.given("humidity")
        if celsius is None or humidity is None:
            return
        # The driver's maths (ENS160.temperature_compensation and humidity_compensation setters)
        t = int((celsius + 273.15) * 64.0 + 0.5)
        rh = int(humidity * 512 + 0.5)
        written = self.written
        if t == written[0] and rh == written[1] or not (0 <= t <= 0xFFFF and 0 <= rh <= 0xFFFF):
            return
        command = self.command
        command[1] = t & 0xFF
        command[2] = t >> 8
        command[3] = rh & 0xFF
        command[4] = rh >> 8
        send(self.bus, self.address, command)  # TEMP_IN and RH_IN in one write
        self.written = (t, rh)
