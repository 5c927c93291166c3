# The JSON text of an observation (Observation.json), loaded on the first JSON line: a logger
# writing CSV never loads it. Stays loaded while JSON is written.
import json

from core.observation import format_value


def text(observation):
    parts = ["{"]
    for section in observation.sections:
        if len(parts) > 1:
            parts.append(",")
        parts.append(json.dumps(section.name))
        parts.append(":{")
        values = section.values
        digits = section.digits
        keys = section._json_keys
        if keys is None:  # once per section
            keys = section._json_keys = tuple(json.dumps(p) + ":" for p in section.params)
        for i in range(len(values)):
            if i:
                parts.append(",")
            parts.append(keys[i])
            parts.append(_value(values[i], digits[i]))
        parts.append("}")
    parts.append("}")
    return "".join(parts)


def _value(value, digits):
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
