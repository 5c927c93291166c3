# Qwiic auto-detect: scan the I2C bus at boot (and on "!devices scan"), identify each device by
# read-only probes before touching it, and load a driver only for what is identified.
#
# Each device plugin in KINDS declares its ADDRESSES and PROBES (see plugins/sensors/base.py).
# At an address, every candidate's probes run from the least risky up; a probe answering False
# rules its device out. Once one candidate has DECIDED points and more than any other, riskier
# probes are not run. The highest score wins; a tie is reported and neither is loaded. Nothing
# is written to a device (beyond a register's address) before it is identified.
import sys

from core import pins
from core.schema import STR, Action, Prop

KINDS = (
    "max17048",
    "bme280",
    "bmp3xx",
    "sht4x",
    "veml7700",
    "veml6075",
    "tsl2591",
    "vl53l1x",
    "ism330",
    "lis3dh",
    "lis2mdl",
    "nau7802",
    "bme68x",
    "shtc3",
    "tmp117",
    "mcp9600",
    "scd4x",
    "sgp40",
    "ens160",
    "scd30",
    "lps22",
    "as7341",
)
# Where each kind can be (its plugin's ADDRESSES, tests/test_devices.py keeps them equal): a scan
# imports only the plugins that can sit at an address that answered. Every module imported leaves
# its names interned for good (MicroPython never frees them), so importing all 22 to read their
# ADDRESSES cost heap for the whole run.
WHERE = {
    "max17048": (0x36,),
    "bme280": (0x77, 0x76),
    "bmp3xx": (0x77, 0x76),
    "sht4x": (0x44, 0x45, 0x46),
    "veml7700": (0x10,),
    "veml6075": (0x10,),
    "tsl2591": (0x29,),
    "vl53l1x": (0x29,),
    "ism330": (0x6B, 0x6A),
    "lis3dh": (0x18, 0x19),
    "lis2mdl": (0x1E,),
    "nau7802": (0x2A,),
    "bme68x": (0x77, 0x76),
    "shtc3": (0x70,),
    "tmp117": (0x48, 0x49, 0x4A, 0x4B),
    "mcp9600": (0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67),
    "scd4x": (0x62,),
    "sgp40": (0x59,),
    "ens160": (0x53, 0x52),
    "scd30": (0x61,),
    "lps22": (0x5D, 0x5C),
    "as7341": (0x39,),
}
DECIDED = 80  # a chip ID or a CRC-checked serial number
LEAST = 50  # below this, nothing is identified

SECTION = "Devices"
DEVICE_LIST = Prop(SECTION, "Device List", STR, "",
                   "Devices to load instead of scanning, as kind@address, e.g. \"bme280@0x77, sht4x@0x44\"")
EXCLUDE = Prop(SECTION, "Exclude", STR, "", "Devices (kind or kind@address) or addresses never loaded, "
               "e.g. \"bmp3xx, 0x44\"")
SCAN = Action(SECTION, "Scan Devices", "Scan the I2C bus again (as !devices scan)", "core.commands:devices_scan")
PROPERTIES = (DEVICE_LIST, EXCLUDE, SCAN)


def setup(app):
    return find(app, pins.i2c(app.settings.get))  # the devices: this module's work is done, so boot releases it


def find(app, i2c):
    get = app.settings.get
    excluded = _parse(EXCLUDE.key, get(EXCLUDE), app, True)
    wanted = _parse(DEVICE_LIST.key, get(DEVICE_LIST), app, False)
    found = []
    loaded = []  # the kinds of the devices found: the other plugin modules are released
    if wanted:
        for kind, address in wanted:
            _load(app, i2c, address, (kind,), excluded, found, loaded)
    else:
        try:
            present = pins.scan(i2c)
        except OSError as err:  # a stuck bus (SDA held low) times out
            app.warn("I2C scan failed (" + str(err) + "): no devices loaded")
            present = []
        for address in present:
            _load(app, i2c, address, KINDS, excluded, found, loaded)
    from core.app import release
    release(["plugins.sensors." + kind for kind in KINDS if kind not in loaded])  # candidates' probes
    from core.props import DEVICE_NAMES
    _name_duplicates(found, app.settings.get(DEVICE_NAMES))
    for device in found:
        app.info("found " + device.section.name + " at " + hex(device.address))
    from plugins.sensors.base import connect
    connect(found, app.info)  # compensation across devices: who gives whom temperature, humidity, pressure
    return found


def _parse(key, text, app, bare):
    # "kind@0x77, 0x44, kind" -> [(kind or None, address or None)]; a bad entry is named and skipped.
    out = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        kind, _, where = item.partition("@")
        if not where and kind.startswith("0x"):
            kind, where = "", kind
        address = None
        try:
            if where:
                address = int(where, 16) if where.startswith("0x") else int(where)
        except ValueError:
            address = -1
        if kind and kind not in KINDS or address == -1 or (not bare and (not kind or address is None)):
            app.warn(key + ": \"" + item + "\" is not " + ("kind, address or kind@address" if bare else
                     "kind@address") + " (kinds: " + ", ".join(KINDS) + "); skipped")
            continue
        out.append((kind or None, address))
    return out


def _excluded(excluded, kind, address):
    for k, a in excluded:
        if (k is None or k == kind) and (a is None or a == address):
            return True
    return False


def _module(kind):
    name = "plugins.sensors." + kind
    __import__(name)
    return sys.modules[name]


def identify(i2c, address, kinds):
    # (winner kind or None, {kind: score}, tie: the kinds tied at the top, or ()). Read-only.
    scores = {}
    probes = []
    for kind in kinds:
        if address not in WHERE.get(kind, ()):
            continue
        module = _module(kind)
        if address in module.ADDRESSES:
            scores[kind] = 0
            for confidence, risk, probe in module.PROBES:
                probes.append((risk, -confidence, kind, probe))
    probes.sort(key=lambda p: (p[0], p[1], p[2]))
    risk = None
    for level, negative, kind, probe in probes:
        if level != risk:
            risk = level
            if _decided(scores):
                break  # riskier probes run only when nothing safer decided
        if kind not in scores:
            continue
        try:
            ok = probe(i2c, address)
        except (OSError, RuntimeError, ValueError):
            ok = False
        if ok:
            scores[kind] -= negative
        else:
            del scores[kind]  # evidence against: ruled out
    best = max(scores.values()) if scores else 0
    top = [kind for kind in scores if scores[kind] == best]
    if best < LEAST:
        return None, scores, ()
    if len(top) > 1:
        top.sort()
        return None, scores, tuple(top)
    return top[0], scores, ()


def _decided(scores):
    best = 0
    second = 0
    for score in scores.values():
        if score > best:
            best, second = score, best
        elif score > second:
            second = score
    return best >= DECIDED and best > second


def _load(app, i2c, address, kinds, excluded, found, loaded):
    kinds = [k for k in kinds if not _excluded(excluded, k, address)]
    if not kinds:
        return
    try:
        kind, scores, tie = identify(i2c, address, kinds)
    except ImportError as err:
        app.warn("at " + hex(address) + ": " + str(err) + "; skipped")
        return
    if tie:
        app.warn("at " + hex(address) + ": " + " and ".join(tie) + " match equally well (" + str(scores[tie[0]])
                 + " points); neither is loaded")
        return
    if kind is None:
        if len(kinds) == 1:
            app.warn(kinds[0] + " at " + hex(address) + ": not identified; skipped")
        return
    try:
        found.append(_module(kind).Device(i2c, address, app.warn))
        loaded.append(kind)
    except (ImportError, OSError, RuntimeError, ValueError) as err:
        app.warn(kind + " at " + hex(address) + ": " + type(err).__name__ + ": " + str(err) + "; skipped")


def _name_duplicates(devices, every=False):
    # Same-type devices get the original's suffix: "BME280 [x77]" (every device with Device Names on).
    counts = {}
    for device in devices:
        counts[device.section.name] = counts.get(device.section.name, 0) + 1
    for device in devices:
        if every or counts[device.section.name] > 1:
            device.section.name = device.section.name + " [x" + ("%02x" % device.address) + "]"


def _declare_params(settings, devices):
    # A new device's parameters are settings, as those of the devices found at boot (core/boot.py),
    # with a saved on/off applied.
    from core.schema import BOOL, Prop, settings_key
    from core.settings import SAVED
    for _, device in devices:
        section = device.section
        new = [Prop(section.name, p, BOOL, True, None) for p in section.params
               if settings_key(section.name, p) not in settings.values]
        settings.declare(new)
        saved = settings.saved.get(section.name, {})
        for prop in new:
            if saved.get(prop.name) in (True, False):
                settings.values[prop.key] = saved[prop.name]
                settings.sources[prop.key] = SAVED


def rescan(app):
    # "!devices scan": find the devices again; keep the ones already running that are found again.
    from core.scheduler import Task

    old = {}
    for task, device in app.devices:
        old[(type(device), device.address)] = (task, device)
    found = find(app, pins.i2c(app.settings.get))
    devices = []
    for device in found:
        kept = old.pop((type(device), device.address), None)
        devices.append(kept or (Task(device.section.name), device))
    changed = len(old) > 0 or len(devices) != len(app.devices) or [d for _, d in devices] != [d for _, d in app.devices]
    for key in old:
        app.info("gone: " + old[key][1].section.name + " at " + hex(key[1]))
    app.devices = devices
    from plugins.sensors.base import connect
    connect([d for _, d in devices])  # the devices kept are the ones running: point them at each other
    if changed:
        _declare_params(app.settings, devices)
        app.layout()  # the card starts a new file when the columns change
        for _, output in app.outputs:
            if hasattr(output, "header_due"):
                output.header_due = True  # the console's format and header again
        app.prepare()
    app.info("devices: " + str(len(devices)) + (" (changed)" if changed else " (unchanged)"))
