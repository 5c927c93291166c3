"""Observations on the serial console, one line each, in CSV (header first) or JSON."""
from core.schema import STR, Prop

FORMAT = Prop("Serial Console", "Format", STR, "CSV", "Observation format on the console",
              choices=("Disabled", "CSV", "JSON"))
PROPERTIES = (FORMAT,)


class SerialOutput:
    def __init__(self, json_format):
        self.json_format = json_format
        self.header_due = not json_format

    def write(self, observation):
        if self.json_format:
            print(observation.json())
            return
        if self.header_due:
            self.header_due = False
            print(observation.header())
        print(observation.csv())


def setup(app):
    choice = app.settings.get(FORMAT)
    if choice == "Disabled":
        return None
    return SerialOutput(choice == "JSON")
