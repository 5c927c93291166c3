"""One observation per log tick: "General" first, then one section per device, in a fixed order.

Sections own preallocated value lists that devices fill in place, so a log cycle allocates
little more than the text it writes. The CSV and JSON texts are made once per observation and
shared by every output.
"""
import json


class Section:
    """A named group of parameters. `digits[i]` is the float precision; None means "as is"."""

    __slots__ = ("name", "params", "digits", "values", "_json_keys")

    def __init__(self, name, params, digits=None):
        self.name = name
        self.params = tuple(params)
        self.digits = tuple(digits) if digits else (None,) * len(self.params)
        self.values: list = [None] * len(self.params)
        self._json_keys = tuple(json.dumps(p) + ":" for p in self.params)

    def clear(self):
        for i in range(len(self.values)):
            self.values[i] = None


_FLOAT_FORMATS = ("%.0f", "%.1f", "%.2f", "%.3f", "%.4f", "%.5f", "%.6f")


def format_value(value, digits):
    """A value as the original writes it: floats at the parameter's precision, arrays as [a,b]."""
    if value is None:
        return ""
    if isinstance(value, float) or digits is not None and isinstance(value, int) and not isinstance(value, bool):
        return _FLOAT_FORMATS[2 if digits is None else digits] % value
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([format_value(v, digits) for v in value]) + "]"
    if isinstance(value, str) and ("," in value or '"' in value):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def _json_value(value, digits):
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value != value:
        return "null"  # NaN has no JSON spelling
    return format_value(value, digits)


class Observation:
    def __init__(self, sections):
        self.sections = list(sections)
        self._csv = None
        self._json = None
        # The CSV line in one %-format over a reused list: far fewer allocations per cycle.
        formats = []
        for section in self.sections:
            for digits in section.digits:
                formats.append("%s" if digits is None else _FLOAT_FORMATS[digits])
        self._csv_format = ",".join(formats)
        self._flat = [None] * len(formats)

    def changed(self):
        """Forget cached texts; call after the values of a new tick are in."""
        self._csv = None
        self._json = None

    def header(self):
        names = []
        for section in self.sections:
            for param in section.params:
                names.append(section.name + "." + param)
        return ",".join(names)

    def csv(self):
        if self._csv is None:
            self._csv = self._csv_fast() or self._csv_slow()
        return self._csv

    def _csv_fast(self):
        """The line in one format, or None when a value needs the general path (empty, array, quoted)."""
        flat = self._flat
        i = 0
        for section in self.sections:
            for value in section.values:
                if value is None or isinstance(value, (list, tuple)):
                    return None
                if isinstance(value, str) and ("," in value or '"' in value):
                    return None
                flat[i] = value
                i += 1
        return self._csv_format % tuple(flat)

    def _csv_slow(self):
        parts = []
        for section in self.sections:
            values = section.values
            digits = section.digits
            for i in range(len(values)):
                parts.append(format_value(values[i], digits[i]))
        return ",".join(parts)

    def json(self):
        if self._json is None:
            parts = ["{"]
            for section in self.sections:
                if len(parts) > 1:
                    parts.append(",")
                parts.append(json.dumps(section.name))
                parts.append(":{")
                values = section.values
                keys = section._json_keys
                for i in range(len(values)):
                    if i:
                        parts.append(",")
                    parts.append(keys[i])
                    parts.append(_json_value(values[i], section.digits[i]))
                parts.append("}")
            parts.append("}")
            self._json = "".join(parts)
        return self._json
