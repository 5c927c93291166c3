"""SimBus: simulated I2C devices by 7-bit address, loaded from a JSON bus file.

Bus file (host only)::

    {"devices": [
      {"type": "BME280", "address": "0x77",
       "values": {"temperature": 21.5, "humidity": 45.0, "pressure": 1013.25}},
      {"type": "MAX17048", "address": "0x36",
       "values": {"voltage": 4.1, "soc": {"from": 80, "to": 90, "period_s": 600},
                  "charge_rate": -1.04}}]}

``address`` is optional (the chip's default); a value is a number (constant)
or ``{"from": a, "to": b, "period_s": p}``, a triangle wave over the time since
the bus was loaded; ``"profile"`` in that object picks another wave: "sine",
"ramp" (a sawtooth) or "noise" (a new value every ``period_s``, with an integer
``"seed"``: the same seed gives the same run).  BME280 also takes ``"instant": true`` (no conversion
time).  ``"unplugged": [[from_s, to_s], ...]`` makes a device stop answering
during those windows of simulated time (``to_s`` null: for good), like a loose
Qwiic cable.  ``"faults": [{"kind": k, "from_s": a, "to_s": b}, ...]`` sets a
fault in a window (``to_s`` null or left out: for good): "nack" (the device
NACKs every transfer), "crc" (Sensirion CRC bytes arrive corrupted), "stuck"
(the device holds SDA low: every transfer on the bus times out), "range" (the
chip reports values it cannot physically measure), "reset" (the chip resets at
``from_s`` and loses its configuration).  A top-level ``"turnaround_us"``
charges each transaction that long (the host sleeps), as the board's does.

The bus counts, per device, transactions, register reads (a write followed by
a read of the same device counts once, as a register read does) and bytes.
Mistakes raise BusFileError naming the file, the device index and key.
"""

import json
import time

from . import FAULTS, Signal
from .bme280 import BME280
from .bme680 import BME680, BME688
from .bmp3xx import BMP3XX
from .max17048 import MAX17048
from .mcp9600 import MCP9600
from .sht4x import SHT4X
from .veml7700 import VEML7700
from .veml6075 import VEML6075
from .tsl2591 import TSL2591
from .vl53l1x import VL53L1X
from .ism330 import ISM330
from .lis3dh import LIS3DH
from .lis2mdl import LIS2MDL
from .nau7802 import NAU7802
from .shtc3 import SHTC3
from .tmp117 import TMP117
from .scd4x import SCD4X
from .sgp40 import SGP40
from .ens160 import ENS160
from .scd30 import SCD30
from .lps22 import LPS22HB, LPS22HH
from .as7341 import AS7341

TYPES = {"BME280": BME280, "BMP3XX": BMP3XX, "MAX17048": MAX17048, "SHT4X": SHT4X,
         "VEML7700": VEML7700, "VEML6075": VEML6075, "TSL2591": TSL2591, "VL53L1X": VL53L1X,
         "ISM330": ISM330,
         "LIS3DH": LIS3DH,
         "LIS2MDL": LIS2MDL,
         "NAU7802": NAU7802, "BME680": BME680, "BME688": BME688, "SHTC3": SHTC3,
         "TMP117": TMP117, "MCP9600": MCP9600, "SCD4X": SCD4X, "SGP40": SGP40, "ENS160": ENS160,
         "SCD30": SCD30, "LPS22HB": LPS22HB, "LPS22HH": LPS22HH,
         "AS7341": AS7341}  # type: dict
PROFILES = ("triangle", "sine", "ramp", "noise")

# The board's cost of one I2C transaction beyond its bits on the wire. CircuitPython's espressif
# busio adds and removes an ESP-IDF device handle around every operation (see
# ../shared/reference/circuitpython-platform.md); Espressif's i2c_master driver needs about 100 us
# between two synchronous transfers on an ESP32-S3 (espressif/esp-idf issue #14511). 100 us it is.
TURNAROUND_US = 100
_ETIMEDOUT = 116  # what busio raises when SDA is held low
_EIO = 5  # a NACK after the address
try:
    from os.path import abspath, dirname, join

    DEFAULT_BUS = join(dirname(abspath(__file__)), "default_bus.json")
except ImportError:  # MicroPython has no os.path
    DEFAULT_BUS = __file__.rsplit("/", 1)[0] + "/default_bus.json"

_ENODEV = 19  # what CircuitPython's espressif port raises for an address NACK


class BusFileError(ValueError):
    pass


try:
    _monotonic_ns = time.monotonic_ns
except AttributeError:  # MicroPython
    _monotonic_ns = time.time_ns


class SimBus:
    """Devices keyed by 7-bit address, sharing one simulated clock."""

    def __init__(self, clock_ns=None, source="<memory>"):
        self._clock_ns = clock_ns or _monotonic_ns
        self._t0 = self._clock_ns()
        self.devices = {}
        self.source = source
        self.turnaround_us = 0  # > 0: each transaction sleeps this long (the board's cost)
        self.counts = {}  # address -> [transactions, register reads, bytes]
        self._last = None  # (address, was a write) of the last transaction

    def now_s(self):
        """Seconds since the bus was created: the time the waves run on."""
        return (self._clock_ns() - self._t0) / 1e9

    def add(self, device):
        if device.address in self.devices:
            raise ValueError("address 0x%02x already in use" % device.address)
        device.clock = self.now_s
        self.devices[device.address] = device
        return device

    def remove(self, address):
        """Unplug a device (later transactions to it raise OSError)."""
        return self.devices.pop(address, None)

    def get(self, address):
        return self.devices.get(address)

    def addresses(self):
        """What a scan finds: the addresses that ACK (a stuck bus times out instead)."""
        now = self.now_s()
        for dev in self.devices.values():
            _apply_faults(dev, now)
            if dev.fault == "stuck" and not _unplugged(dev, now):
                raise OSError(_ETIMEDOUT, "I2C bus stuck: SDA held low")
        return sorted(a for a in self.devices if not _unplugged(self.devices[a], now))

    def plug(self, device):
        """Plug a device (back) in: it answers from the next transaction on."""
        self.devices.pop(device.address, None)
        return self.add(device)

    def set_fault(self, address, kind):
        """Give the device at ``address`` a fault now (None clears it); "reset" resets it."""
        if kind is not None and kind not in FAULTS:
            raise ValueError("fault must be one of %s, got %r" % (", ".join(FAULTS), kind))
        dev = self.devices[address]
        if kind == "reset":
            dev.reset()
            kind = None
        dev.fault = kind

    def reset_counts(self):
        self.counts = {}
        self._last = None

    def count(self, address):
        """{"transactions", "reads", "bytes"} of the device at ``address`` since reset_counts()."""
        c = self.counts.get(address, [0, 0, 0])
        return {"transactions": c[0], "reads": c[1], "bytes": c[2]}

    def _count(self, address, nbytes, write):
        c = self.counts.get(address)
        if c is None:
            c = self.counts[address] = [0, 0, 0]
        c[0] += 1
        c[2] += nbytes
        if write or self._last != (address, True):
            c[1] += 1  # a read right after a write to the same device completes its register read
        self._last = (address, write)
        if self.turnaround_us:
            time.sleep(self.turnaround_us / 1e6)

    def _device(self, address):
        now = self.now_s()
        for dev in self.devices.values():
            _apply_faults(dev, now)
            if dev.fault == "stuck" and not _unplugged(dev, now):
                raise OSError(_ETIMEDOUT, "I2C bus stuck: SDA held low")
        dev = self.devices.get(address)
        if dev is None or _unplugged(dev, now):
            raise OSError(_ENODEV, "No I2C device at address: 0x%x" % address)
        if dev.fault == "nack":
            raise OSError(_EIO, "I2C device 0x%x NACKed" % address)
        return dev

    def write(self, address, data):
        """One write transaction (``b""`` is an address-only probe)."""
        self._count(address, len(data), True)
        self._device(address).write(bytes(data))

    def read(self, address, n):
        """One read transaction of ``n`` bytes."""
        self._count(address, n, False)
        dev = self._device(address)
        data = dev.read(n)
        if dev.fault == "crc" and dev.CRC:
            data = bytearray(data)
            for i in range(2, len(data), 3):  # every word's CRC byte
                data[i] ^= 0x5A
            data = bytes(data)
        return data

    def __repr__(self):
        return "<SimBus %s %r>" % (self.source, self.devices)


def _apply_faults(dev, now):
    """Set or clear the device's fault from its bus-file windows (a "reset" fires once)."""
    windows = getattr(dev, "faults", ())
    if not windows:
        return
    fault = None
    for w in windows:
        kind, start, end = w[0], w[1], w[2]
        if start <= now and (end is None or now < end):
            if kind == "reset":
                if not w[3]:
                    w[3] = True
                    dev.reset()
            else:
                fault = kind
    dev.fault = fault


def _unplugged(dev, now):
    for start, end in getattr(dev, "unplugged", ()):
        if start <= now and (end is None or now < end):
            return True
    return False


def _windows(v, err):
    if not isinstance(v, list):
        raise err("unplugged", "must be a list of [from_s, to_s] pairs, got " + _shown(v))
    out = []
    for w in v:
        if (not isinstance(w, list) or len(w) != 2 or not _is_number(w[0])
                or not (w[1] is None or _is_number(w[1]))):
            raise err("unplugged", "each window is [from_s, to_s] with to_s a number or null, got " + _shown(w))
        if w[1] is not None and w[1] <= w[0]:
            raise err("unplugged", "window %s ends before it starts" % _shown(w))
        out.append((w[0], w[1]))
    return out


def _is_number(v):
    """A finite JSON number (true/false are no numbers, nor NaN, Infinity or 1e999)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        f = float(v)
    except OverflowError:  # an integer too big for a float
        return False
    return f - f == 0  # nan and inf give nan


def _shown(v):
    """A value from the file as a message shows it: its repr, clipped."""
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _signal(v, err, key, limits):
    """A Signal from a bus-file value, range-checked against the chip."""
    if _is_number(v):
        points = [v]
    elif isinstance(v, dict):
        kind = v.get("profile", "triangle")
        if kind not in PROFILES:
            raise err(key + ".profile", "must be one of %s, got %s" % (", ".join(PROFILES), _shown(kind)))
        need = ["from", "period_s", "to"] + (["profile"] if "profile" in v else [])
        allowed = sorted(need + (["seed"] if kind == "noise" else []))
        if not all(k in v for k in need) or any(k not in allowed for k in v):
            raise err(key, 'needs "from", "to" and "period_s" (with "profile": %s, also %s), got %s'
                      % (kind, ", ".join('"%s"' % k for k in allowed if k not in need) or "nothing else", _shown(v)))
        for k in ("from", "to", "period_s"):
            if not _is_number(v[k]):
                raise err(key + "." + k, "must be a number, got " + _shown(v[k]))
        if v["period_s"] <= 0:
            raise err(key + ".period_s", "must be > 0, got " + _shown(v["period_s"]))
        seed = v.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise err(key + ".seed", "must be an integer, got " + _shown(seed))
        points = [v["from"], v["to"]]
    else:
        raise err(key, 'must be a number or {"from": a, "to": b, "period_s": p}, got ' + _shown(v))
    for p in points:
        if not limits[0] <= p <= limits[1]:
            raise err(key, "%s is outside %r..%r" % (_shown(p), limits[0], limits[1]))
    if len(points) == 1:
        return Signal(v)
    return Signal(v["from"], v["to"], v["period_s"], v.get("profile", "triangle"), v.get("seed", 0))


def _address(v, cls, err):
    if v is None:
        return cls.ADDRESSES[0]
    try:
        a = int(v, 0) if isinstance(v, str) else v
    except ValueError:
        a = None
    if not isinstance(a, int) or isinstance(a, bool) or a not in cls.ADDRESSES:
        raise err("address", "must be one of %s, got %s"
                  % (", ".join('"0x%02x"' % x for x in cls.ADDRESSES), _shown(v)))
    return a


def _device(spec, index, source, bus):
    def err(key, msg):
        return BusFileError("bus file %s: devices[%d]: key %r: %s" % (source, index, key, msg))

    if not isinstance(spec, dict):
        raise BusFileError("bus file %s: devices[%d]: must be an object, got %s" % (source, index, _shown(spec)))
    kind = spec.get("type")
    cls = TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise err("type", "must be one of %s, got %s" % (", ".join(sorted(TYPES)), _shown(kind)))
    allowed = ("type", "address", "values", "unplugged", "faults") + (("instant",) if cls is BME280 else ())
    for k in spec:
        if k not in allowed:
            raise err(k, "unknown key (allowed: %s)" % ", ".join(allowed))
    address = _address(spec.get("address"), cls, err)
    if address in bus.devices:
        raise err("address", "0x%02x is already used by another device" % address)
    values = spec.get("values", {})
    if not isinstance(values, dict):
        raise err("values", "must be an object, got " + _shown(values))
    signals = {}
    for k in values:
        if k not in cls.KEYS:
            raise err("values." + k, "unknown value (allowed: %s)" % ", ".join(cls.KEYS))
        signals[k] = _signal(values[k], err, "values." + k, cls.LIMITS[k])
    if cls is BME280:
        instant = spec.get("instant", False)
        if not isinstance(instant, bool):
            raise err("instant", "must be true or false, got " + _shown(instant))
        device = cls(address, signals, instant=instant)
    else:
        device = cls(address, signals)
    device.unplugged = _windows(spec.get("unplugged", []), err)
    device.faults = _faults(spec.get("faults", []), err, cls)
    return device


def _faults(v, err, cls):
    if not isinstance(v, list):
        raise err("faults", 'must be a list of {"kind", "from_s", "to_s"}, got ' + _shown(v))
    out = []
    for i, f in enumerate(v):
        key = "faults[%d]" % i
        if not isinstance(f, dict) or "kind" not in f or any(k not in ("kind", "from_s", "to_s") for k in f):
            raise err(key, 'must be {"kind": k, "from_s": a, "to_s": b}, got ' + _shown(f))
        kind = f["kind"]
        if kind not in FAULTS:
            raise err(key + ".kind", "must be one of %s, got %s" % (", ".join(FAULTS), _shown(kind)))
        if kind == "crc" and not cls.CRC:
            raise err(key + ".kind", "crc: this chip sends no CRC")
        start, end = f.get("from_s", 0), f.get("to_s")
        if not _is_number(start) or not (end is None or _is_number(end)) or end is not None and end <= start:
            raise err(key, "from_s must be a number and to_s null or a later number, got " + _shown(f))
        out.append([kind, start, end, False])
    return out


def parse_bus(doc, source="<memory>", clock_ns=None):
    """A SimBus from an already-decoded bus-file document."""
    bus = SimBus(clock_ns, source)
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        raise BusFileError('bus file %s: key "devices": must be a list of devices' % source)
    for k in doc:
        if k not in ("devices", "turnaround_us"):
            raise BusFileError("bus file %s: key %r: unknown key" % (source, k))
    for k in doc:
        if k == "turnaround_us":
            t = doc[k]
            if not _is_number(t) or t < 0:
                raise BusFileError('bus file %s: key "turnaround_us": must be a number >= 0, got %s' % (source, _shown(t)))
            bus.turnaround_us = t
    for i, spec in enumerate(doc["devices"]):
        bus.add(_device(spec, i, source, bus))
    return bus


def load_bus(path=None, clock_ns=None):
    """Load a bus file; ``None`` means the built-in default bus."""
    source = DEFAULT_BUS if path is None else path
    try:
        with open(source) as f:
            doc = json.load(f)
    except OSError as e:
        raise BusFileError("bus file %s: cannot be read: %s" % (source, e))
    except UnicodeError:
        raise BusFileError("bus file %s: is not UTF-8 text" % source)
    except (ValueError, RuntimeError) as e:  # RuntimeError: nested too deeply
        raise BusFileError("bus file %s: is not valid JSON: %s" % (source, e))
    return parse_bus(doc, source, clock_ns)
