# Observations on the serial console, one line each, in CSV (header first) or JSON.
#
# Lines go through core.console's `out`: when nobody reads the console they are dropped and
# counted, never waited for (the SD card keeps logging).
from core.console import out
from core.schema import STR, Prop

FORMAT = Prop("Serial Console", "Format", STR, "CSV", "Observation format on the console",
              choices=("Disabled", "CSV", "JSON"))
PROPERTIES = (FORMAT,)


class SerialOutput:
    def __init__(self, json_format):
        self.json_format = json_format
        self.header_due = not json_format
        self.line = out.line

    def write(self, observation):
        if self.header_due:  # CSV, until it is printed: data lines need their header
            self.header_due = not self.line(observation.header())
        self.line(observation.json() if self.json_format else observation.csv())


def setup(app):
    choice = app.settings.get(FORMAT)
    if choice == "Disabled":
        return None
    return SerialOutput(choice == "JSON")
