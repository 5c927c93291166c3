# Observations on the serial console, one line each, in CSV (header first) or JSON.
#
# Lines go through core.console's `out`: when nobody reads the console they are dropped and
# counted, never waited for (the SD card keeps logging).
from core.console import out
from core.schema import STR, Prop

# On the original's Logger page, and in its datalogger.json under "Logger" (0 Disabled, 1 CSV, 2 JSON).
FORMAT = Prop("Logger", "Serial Console Format", STR, "CSV", "Observation format on the console",
              choices=("Disabled", "CSV", "JSON"), key="SERIAL_CONSOLE_FORMAT")
PROPERTIES = (FORMAT,)


class SerialOutput:
    def __init__(self, json_format):
        self.json_format = json_format
        self.header_due = True
        self.line = out.line

    def write(self, observation):
        if self.header_due:  # until it is printed: data lines need their header (as the original, the
            # format is named first: "Content-Type: text/csv" or "Content-Type: application/json")
            self.header_due = not (self.line("Content-Type: application/json") if self.json_format else
                                   self.line("Content-Type: text/csv") and self.line(observation.header()))
        self.line(observation.json() if self.json_format else observation.csv())


    def apply(self, prop, value):
        # A setting changed in the menu: True if it took effect at once.
        if prop is FORMAT and value != "Disabled":
            self.json_format = value == "JSON"
            self.header_due = True  # the new format is named first
            return True
        return False


def setup(app):
    choice = app.settings.get(FORMAT)
    if choice == "Disabled":
        return None
    return SerialOutput(choice == "JSON")
