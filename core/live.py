# A changed setting taking effect in the running logger: one copy, used by the menu
# (plugins/ui/menupages.py) and by the AWS IoT shadow's desired settings (plugins/iot/awsdelta.py).
# Imported for a change and released after (it is in core.app's USE_ONLY).
#
# REMOTE is the allow-list of what a cloud service may set (README, "Remote configuration"): settings
# safe to change from afar, each one that takes effect at once. Besides these keys, every device
# parameter's on/off ("<device>"/"<parameter>", declared at boot: core/boot.py) is remotely settable.
# Credentials, servers, ports, topics, certificates, WiFi, pins and the plugin list never are: a
# wrong one would cut the logger off from the very service that set it.
from adafruit_ticks import ticks_add, ticks_ms

REMOTE = ("LOGGING_TIMER_INTERVAL",  # Logging Timer/Interval
          "LOGGER_TIMESTAMP_MODE",  # Logger/Timestamp Mode
          "SERIAL_CONSOLE_FORMAT",  # Logger/Serial Console Format
          "SD_CARD_FORMAT",  # Logger/SD Card Format
          "DATA_FILE_ROTATE_PERIOD",  # Data File/Rotate Period
          "AWS_IOT_MINIMUM_UPDATE_INTERVAL")  # AWS IoT/Minimum Update Interval: the service's own rate


def device_param(app, prop):
    # True if prop is a device parameter's on/off (Devices Settings).
    if prop.kind != "bool":
        return False
    for _, device in app.devices:
        if device.section.name == prop.section:
            return True
    return False


def remote(app, prop):
    # True if a cloud service may set prop (the allow-list above).
    return prop.key in REMOTE or device_param(app, prop)


def apply(app, prop, value):
    # The running logger takes prop's new value (already in app.settings): True if it took effect at
    # once, False if it does at the next start.
    key = prop.key
    if prop.section == "Logger" and _core(key) or key == "APPLICATION_SETTINGS_BOARD_NAME":
        # General's parameters and the time column laid out again, as at boot: a new CSV header
        # (on the card, a new file), as for Devices Settings. (The output formats sit on the Logger
        # page too, as the original's, but are their plugins': asked below.)
        from core import boot
        from core.app import release
        boot._setup_observation(app)
        release(("core.boot",))
        _new_header(app)
        return True
    if device_param(app, prop):  # a device parameter switched on or off
        app.layout()
        _new_header(app)
        return True
    if key == "LOGGING_TIMER_INTERVAL":
        app.interval_ms = value
        scheduler = app.scheduler
        scheduler.interval_ms = value
        scheduler.next_tick = ticks_add(ticks_ms(), value)
        return True
    if key == "TIME_SETUP_TIME_ZONE":
        if app.tz is None:
            return True  # read when a zoned Timestamp Mode is chosen
        try:
            from core.posixtz import PosixTZ
            app.tz = PosixTZ(value)
            app._tz_key = None
            return True
        except (ValueError, IndexError):
            return False
    taken = False
    for _, plugin in app.plugins:  # a plugin's own settings: its apply(prop, value), if it has one
        if hasattr(plugin, "apply") and plugin.apply(prop, value):
            taken = True
    return taken


def _core(key):
    # True if the core declares the setting (core/props.py), not a plugin.
    from core.props import CORE_PROPERTIES  # released with this module (core.app's USE_ONLY)
    for prop in CORE_PROPERTIES:
        if prop.key == key:
            return True
    return False


def _new_header(app):
    # The columns changed: outputs that print a header (the console's CSV) print it again.
    for _, output in app.outputs:
        if hasattr(output, "header_due"):
            output.header_due = True
