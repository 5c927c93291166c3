# The core's declared properties (core/schema.py): Application Settings, Logger, Logging Timer, Time
# Setup, Save Settings, WiFi Network and NTP Client, as the original names them.
#
# A module of data only, imported by boot and by what reads or changes settings (quick commands, a
# save, the menu, a network step) and released after: MicroPython keeps every string constant of a
# module (the descriptions here) as long as the module is loaded, so they cost no heap meanwhile.
# The Props themselves stay in app.settings.props; runtime code reads a value by its key.
from core import pins
from core.schema import BOOL, INT, STR, Action, Prop
from core.timefmt import MODES

DEFAULT_PLUGINS = "sensors.auto, outputs.serial, outputs.sdcard, iot.mqtt, iot.mqtts, iot.aws, iot.http, ui.menu"
PLUGINS = Prop("Application Settings", "Plugins", STR, DEFAULT_PLUGINS,
               "Plugins to load, comma-separated (kind.name)", key="PLUGINS")
INTERVAL = Prop("Logging Timer", "Interval", INT, 15000, "Log interval in ms", low=10, high=86400000)
# The original's Logger page (its default mode is No Timestamp, Sample Numbering and Output Name off: ours
# are ISO8601, on and on, as the README says; a logger's lines are of little use without time and order).
TIMESTAMP = Prop("Logger", "Timestamp Mode", STR, "ISO8601 Timestamp", "Format of General.Time", choices=MODES)
NUMBERING = Prop("Logger", "Sample Numbering", BOOL, True, "Add the sample number (General.Entry)")
INCREMENT = Prop("Logger", "Numbering Increment", INT, 1, "Step of the sample number", low=1, high=10000)
OUTPUT_ID = Prop("Logger", "Output ID", BOOL, False, "Add the board ID (General.Board ID)")
OUTPUT_NAME = Prop("Logger", "Output Name", BOOL, True, "Add the board name (General.Board Name)")
RATE_METRIC = Prop("Logger", "Rate Metric", BOOL, True, "Measure the log rate (!log-rate)")
SOURCE_NAME = Prop("Logger", "Output Source Name", BOOL, False, "Add what triggered the log (General.Trigger)")
SYSTEM_INFO = Prop("Logger", "System Info", BOOL, False, "Add uptime and free heap to each observation")
RESET_COUNTER = Action("Logger", "Reset Sample Counter", "Start the sample number again at 1",
                       "core.commands:reset_counter")
# The original's Application Settings page.
LED_ENABLED = Prop("Application Settings", "LED Enabled", BOOL, True, "Use the status LED")
MENU_TIMEOUT = Prop("Application Settings", "Menu Timeout", INT, 60, "Seconds without a key before the menu "
                    "goes back (as ESC)", low=10, high=3600)
COLOR_OUTPUT = Prop("Application Settings", "Color Output", BOOL, True, "Use colour in the menu")
BOARD_NAME = Prop("Application Settings", "Board Name", STR, "DataLogger IoT", "Name of this board")
START_MESSAGES = Prop("Application Settings", "Start Messages", STR, "Normal", "Messages at startup",
                      choices=("Normal", "Compact", "Disabled"))
STARTUP_DELAY = Prop("Application Settings", "Startup Delay", INT, 0, "Seconds the startup menu waits for a key "
                     "(0: no startup menu)", low=0, high=60)
DEVICE_NAMES = Prop("Application Settings", "Device Names", BOOL, False, "Name devices with their address "
                    "(BME280 [x77])")
VERBOSE = Prop("Application Settings", "Verbose Messages", BOOL, False, "More messages on the console")
TIME_ZONE = Prop("Time Setup", "Time Zone", STR, "MST7MDT,M3.2.0,M11.1.0", "POSIX TZ string for ISO8601+TZ")
FALLBACK_RESTORE = Prop("Save Settings", "Fallback Restore", BOOL, True,
                        "Seed saved settings from sd/datalogger.json when the NVM has none")
FALLBACK_SAVE = Prop("Save Settings", "Fallback Save", BOOL, False,
                     "Also write sd/datalogger.json on every save")
FALLBACK_SECRETS = Prop("Save Settings", "Secrets in Fallback", BOOL, False, "Write passwords and keys into "
                        "sd/datalogger.json (anyone holding the card can read them)")
SAVE_ACTIONS = (Action("Save Settings", "Save to Persistent", "Save the settings to the NVM",
                       "core.savedfile:save_persistent"),
                Action("Save Settings", "Save to Fallback", "Write every setting to sd/datalogger.json",
                       "core.savedfile:save_fallback"),
                Action("Save Settings", "Restore from Fallback", "Read sd/datalogger.json and save it",
                       "core.savedfile:restore_fallback"),
                Action("Save Settings", "Clear saved settings", "Erase the NVM settings (the next start "
                       "reads sd/datalogger.json if Fallback Restore is on)", "core.savedfile:clear"))
# The original's "WiFi Network" section: Enabled, then up to 4 networks tried in order. Its keys are
# spelt shorter than section + property would give (WIFI_NETWORK_NETWORK_NAME).
WIFI_ENABLED = Prop("WiFi Network", "Enabled", BOOL, True, "Join a WiFi network when a service needs one",
                    key="WIFI_ENABLED")
WIFI = [Prop("WiFi Network", "Network Name", STR, "", "SSID of the WiFi network", key="WIFI_NETWORK_NAME"),
        Prop("WiFi Network", "Password", STR, "", "Password of the WiFi network", secret=True, key="WIFI_PASSWORD")]
for _n in ("2", "3", "4"):
    WIFI.append(Prop("WiFi Network", "Network " + _n + " Name", STR, "", "Alternative network " + _n + " SSID",
                     key="WIFI_NETWORK_" + _n + "_NAME"))
    WIFI.append(Prop("WiFi Network", "Network " + _n + " Password", STR, "", "Alternative network " + _n
                     + " password", secret=True, key="WIFI_NETWORK_" + _n + "_PASSWORD"))
# The original's NTP Client section; used once an IoT plugin brings up the network (core/net.py).
NTP = (Prop("NTP Client", "Enabled", BOOL, True, "Set the clock from NTP once joined"),
       Prop("NTP Client", "NTP Server One", STR, "pool.ntp.org", "Primary NTP server (name[:port])"),
       Prop("NTP Client", "NTP Server Two", STR, "time.nist.gov", "Secondary NTP server (name[:port])"),
       Prop("NTP Client", "Update Interval", INT, 3600, "Seconds between clock updates", low=60, high=86400))
CORE_PROPERTIES = ([PLUGINS, LED_ENABLED, MENU_TIMEOUT, COLOR_OUTPUT, BOARD_NAME, START_MESSAGES, STARTUP_DELAY,
                    DEVICE_NAMES, VERBOSE, INTERVAL, TIMESTAMP, NUMBERING, INCREMENT, OUTPUT_ID, OUTPUT_NAME,
                    RATE_METRIC, SOURCE_NAME, SYSTEM_INFO, RESET_COUNTER, TIME_ZONE, FALLBACK_RESTORE, FALLBACK_SAVE,
                    FALLBACK_SECRETS] + list(SAVE_ACTIONS) + [WIFI_ENABLED] + WIFI + list(NTP)
                   + list(pins.PROPERTIES))
