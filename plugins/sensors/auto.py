"""Qwiic auto-detect: scan the I2C bus once at boot and load a driver only for what answers.

The catalogue maps an address to the device modules that may live there, best first; each
module's probe() confirms the chip (e.g. a chip ID), as the original's isConnected() does.
"""
import sys

from core import pins

CATALOGUE = (
    (0x36, "max17048"),
    (0x77, "bme280"),
    (0x76, "bme280"),
)


def setup(app):
    i2c = pins.i2c(app.settings.get)
    present = pins.scan(i2c)
    found = []
    for address, kind in CATALOGUE:
        if address not in present:
            continue
        name = "plugins.sensors." + kind
        try:
            __import__(name)
            module = sys.modules[name]
            if not module.probe(i2c, address):
                continue
            found.append(module.Device(i2c, address))
        except (ImportError, OSError, RuntimeError, ValueError) as err:
            app.warn(kind + " at " + hex(address) + ": " + type(err).__name__ + ": " + str(err) + "; skipped")
    from core.props import DEVICE_NAMES
    _name_duplicates(found, app.settings.get(DEVICE_NAMES))
    for device in found:
        app.info("found " + device.section.name + " at " + hex(device.address))
    return found  # the devices: this module's work is done, so boot releases it


def _name_duplicates(devices, every=False):
    """Same-type devices get the original's suffix: "BME280 [x77]" (every device with Device Names on)."""
    counts = {}
    for device in devices:
        counts[device.section.name] = counts.get(device.section.name, 0) + 1
    for device in devices:
        if every or counts[device.section.name] > 1:
            device.section.name = device.section.name + " [x" + ("%02x" % device.address) + "]"
