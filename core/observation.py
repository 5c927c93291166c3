# One observation per log tick: "General" first, then one section per device, in a fixed order.
#
# Sections own preallocated value lists that devices fill in place, so a log cycle allocates
# little more than the text it writes. The CSV and JSON texts are made once per observation and
# shared by every output. The JSON text is made by core/jsontext.py, loaded on the first JSON
# line: a logger writing CSV never loads it. (Comments, not docstrings: MicroPython keeps
# docstrings on the heap.)


class Section:
    # A named group of parameters. `digits[i]` is the float precision; None means "as is".

    __slots__ = ("name", "params", "digits", "values", "_json_keys")

    def __init__(self, name, params, digits=None):
        self.name = name
        self.params = tuple(params)
        self.digits = tuple(digits) if digits else (None,) * len(self.params)
        self.values: list = [None] * len(self.params)
        self._json_keys = None  # '"name":' for each parameter, made by core/jsontext.py

    def clear(self):
        for i in range(len(self.values)):
            self.values[i] = None


class View:
    # A section with some parameters switched off (the menu's Devices Settings): what an Observation
    # shows of it. The device still fills its own section in place; the view picks the kept values.

    def __init__(self, section, keep):
        self.section = section
        self.keep = tuple(keep)  # the indices shown
        self.name = section.name
        self.params = tuple([section.params[i] for i in self.keep])
        self.digits = tuple([section.digits[i] for i in self.keep])
        self._json_keys = None  # made by core/jsontext.py, as a section's
        self._values = [None] * len(self.keep)  # refilled at each read: no list made per log cycle

    @property
    def values(self):
        values = self.section.values
        out = self._values
        keep = self.keep
        for i in range(len(keep)):
            out[i] = values[keep[i]]
        return out


_FLOAT_FORMATS = ("%.0f", "%.1f", "%.2f", "%.3f", "%.4f", "%.5f", "%.6f")


def format_value(value, digits):
    # A value as the original writes it: floats at the parameter's precision, arrays as [a,b].
    if value is None:
        return ""
    if isinstance(value, float) or digits is not None and isinstance(value, int) and not isinstance(value, bool):
        return _FLOAT_FORMATS[2 if digits is None else digits] % value
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([format_value(v, digits) for v in value]) + "]"
    if isinstance(value, str) and ("," in value or '"' in value):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def _as_tuple(*values):
    # The values as one new tuple: in MicroPython, tuple(a_list) goes through a generic iterator
    # and a growing buffer, several times slower.
    return values


class _Slices:
    # _Slices()[a:b] is the slice object a:b (MicroPython has no slice()): kept, it copies a
    # section into the flat list without allocating one each time.

    def __getitem__(self, key):
        return key


class Observation:
    def __init__(self, sections):
        self.sections = list(sections)
        self._csv = None
        self._json = None
        # The CSV line in one %-format over a reused list: far fewer allocations per cycle.
        formats = []
        spans = []
        for section in self.sections:
            start = len(formats)
            for digits in section.digits:
                formats.append("%s" if digits is None else _FLOAT_FORMATS[digits])
            spans.append((section, _Slices()[start:len(formats)]))
        self._csv_format = ",".join(formats)
        self._width = len(formats)
        self._flat = [None] * len(formats)
        self._spans = tuple(spans)
        self._commas = len(formats) - 1 if formats else 0

    def changed(self):
        # Forget cached texts; call after the values of a new tick are in.
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
        # The line in one format, or None when a value needs the general path: empty, an array,
        # text with a comma or a quote. Checked on the whole line with C-speed scans, not value by
        # value: a number field given anything but a number fails the format, and a text field's
        # None, array or comma shows in the line (text that merely looks like one, such as
        # "None" or brackets, takes the general path, which writes it the same).
        flat = self._flat
        for section, where in self._spans:
            flat[where] = section.values
        try:
            line = self._csv_format % _as_tuple(*flat)
        except TypeError:  # an array or text where a number is declared, or a missing value
            if len(flat) != self._width:  # a section's list was replaced by one of another length
                self._flat = [None] * self._width
            return None
        if line.count(",") != self._commas or '"' in line or "[" in line or "(" in line or "None" in line:
            return None
        return line

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
            from core.jsontext import text
            self._json = text(self)
        return self._json
