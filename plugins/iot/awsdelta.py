# AWS IoT, settings desired from the cloud (README, "Remote configuration"). plugins/iot/awsclient.py
# imports this for a message on get/accepted (the shadow document, asked for at each connect),
# update/delta, or an answer to what this module reported, and releases it after: its code and
# messages cost heap only while one is handled. `c` is the AWSClient.
#
# A desired {"<Section>": {"<Property>": value}} is checked as settings.toml's values are (core/coerce.py)
# against the allow-list (core/live.py REMOTE, and device parameters' on/off). All or nothing: one
# refused setting and none of that delta is applied; the reasons go to the console and to the
# reported "config_error". Otherwise each value takes effect at once (core/live.py, as the menu's),
# is saved (app.save_settings) and is reported back as the delta gave it, so the delta clears.
# Nothing here raises: a delta never stops the logger, and it costs one small parse and one publish.
import json

from core.app import USE_ONLY, release
from plugins.iot.awsclient import IN_FLIGHT, field

MAX_STATE = 2048  # bytes of desired state one delta may carry (a few dozen settings)
MAX_SETTINGS = 32
MAX_ERROR = 300  # characters of config_error


def handle(c, topic, message):
    # One message; returns the report published (JSON text), or None. Never raises.
    try:
        return _handle(c, topic, message)
    except Exception as err:  # MemoryError, say: the logger goes on; the delta stays in the shadow
        c.app.warn("AWS IoT: desired settings not handled (" + type(err).__name__ + "); nothing applied")
        return None
    finally:
        release(USE_ONLY)  # core.coerce, core.live, core.savedfile... loaded for it


def _handle(c, topic, message):
    if not isinstance(message, str):
        message = str(message, "utf-8")  # raises UnicodeError: handled as any fault
    if "/get/" in topic:
        c.get_misses = 0  # the answer to this logger's get came through
        c.doc_due = False
        if not topic.endswith("/accepted"):
            return None  # get/rejected: 404, no shadow yet, so nothing desired
        state = _member(message, "state")
        reported = _member(state, "reported") if state is not None else None
        general = _member(reported, "General") if reported is not None else None
        if general is not None:
            try:
                _delivered(c, general)
            except MemoryError:
                pass  # sent again instead: never lost
        delta = _member(state, "delta") if state is not None else None
        if delta is None:
            return None  # nothing desired that differs from what is reported
    elif topic.endswith("/delta"):
        delta = _member(message, "state")
        if delta is None:
            return _refuse(c, ["the delta has no state object"])
    else:  # update/accepted or update/rejected of a report of ours
        if topic.endswith("/rejected"):
            from core.clip import clip
            c.app.warn("AWS IoT: the report of the desired settings (" + field(message, "clientToken")
                       + ") was rejected: " + clip(message, 120))
        return None
    return _settle(c, delta)


def _delivered(c, general):
    # Exactly once, as far as the shadow can tell: an update whose confirmation was lost with the link
    # (or with a power cut before the outbox recorded it) may have reached the shadow. The document
    # asked for at connect shows the newest it took; if that is among the oldest waiting in the
    # outbox (its General section the same: Entry and the wall-clock time, so never a later boot's
    # Entry), it and those before it (sent before it, on the same connection) leave the outbox unsent.
    box = c.box
    if box is None or not box.pending or c.flight or c.out_of_order:
        return  # (out of order: after a 429 the shadow may have a later one without an earlier)
    from core.savedfile import loads
    try:
        have = loads(general)
    except ValueError:
        return
    if not isinstance(have, dict):
        return
    box.rewind()
    seen = match = 0
    while seen < IN_FLIGHT + 2:  # at most IN_FLIGHT were in flight, and one more a cut may leave
        record = box.next()
        if record is None:
            break
        seen += 1
        text = _member(record[2], "General")
        try:
            mine = loads(text) if text is not None else None
        except ValueError:
            mine = None
        # The entry's Entry and a wall-clock time (not ms since start, the same at every boot), and
        # every other General value the same.
        if (isinstance(mine, dict) and "Entry" in mine and ("Time" in mine or "Time (Epoch)" in mine
                                                            or "Time ms (Epoch)" in mine)
                and all(have.get(k) == mine[k] for k in mine)):
            match = seen
    box.rewind()
    for _ in range(match):
        box.confirm()
    if match:
        c.app.info("AWS IoT: the shadow already has the oldest " + str(match) + " observation(s) of the outbox "
                   "(their confirmation was lost): not sent again")


def _settle(c, text):
    # The delta's state `text`: refused whole with the reasons, or applied, saved and reported.
    from core.clip import clip
    from core.coerce import coerce
    from core.savedfile import loads

    if len(text) > MAX_STATE:
        return _refuse(c, ["too big: " + str(len(text)) + " bytes of desired settings, at most " + str(MAX_STATE)])
    depth = _value(text, 0)[1]
    if depth > 2:
        return _refuse(c, ["too deep: nested " + str(depth) + " levels; a desired setting is "
                           "{\"Section\": {\"Property\": value}}"])
    try:
        doc = loads(text)  # strict, the same on the board as on the PC
    except ValueError as err:
        return _refuse(c, ["not valid JSON (" + clip(str(err), 60) + ")"])
    if not isinstance(doc, dict):
        return _refuse(c, ["not a JSON object of sections"])
    from core import live
    app = c.app
    props = app.settings.props
    errors = []
    changes = []  # (prop, value, raw)
    count = 0
    for section in sorted(doc):
        body = doc[section]
        if not isinstance(body, dict):
            errors.append("\"" + clip(section) + "\": expected an object of properties")
            continue
        for name in sorted(body):
            count += 1
            where = "\"" + clip(section) + "/" + clip(name) + "\": "
            prop = None
            for p in props:
                if p.section == section and p.name == name:
                    prop = p
                    break
            if prop is None:
                errors.append(where + "unknown setting")
            elif not live.remote(app, prop):
                errors.append(where + "not settable remotely (see the README's allow-list)")
            else:
                try:
                    changes.append((prop, coerce(prop, body[name]), body[name]))
                except ValueError as err:
                    errors.append(where + str(err))
    props = None
    if count > MAX_SETTINGS:
        errors = ["too many settings: " + str(count) + ", at most " + str(MAX_SETTINGS) + " per delta"]
    if not errors and not changes:
        return None  # nothing desired (an emptied section, say)
    if errors:
        return _refuse(c, errors)
    return _apply(c, live, changes)


def _apply(c, live, changes):
    from core.settings import SAVED

    app = c.app
    settings = app.settings
    reported: dict = {"config_error": None}  # null: a refusal reported earlier is cleared
    cleared: dict = {}
    said = []
    later = []
    save = False
    for prop, value, raw in changes:
        key = prop.key
        old = settings.values[key]
        shown = prop.section + "/" + prop.name + " = " + json.dumps(value)
        said.append(shown)
        if value != old or type(value) is not type(old) or settings.source(key) != SAVED:
            settings.values[key] = value
            settings.sources[key] = SAVED
            save = True
            if not live.apply(app, prop, value):
                later.append(shown)
        reported.setdefault(prop.section, {})[prop.name] = raw  # as desired, so the delta clears
        if value is True and live.device_param(app, prop):
            # A parameter switched on reports its reading in the same place: its desired on/off is
            # cleared instead (null), so no delta stays behind.
            cleared.setdefault(prop.section, {})[prop.name] = None
    app.info("AWS IoT: desired settings applied: " + ", ".join(said))
    if later:
        app.info("AWS IoT: " + ", ".join(later) + ": takes effect after a restart")
    if save:
        app.save_settings()
    state = {"reported": reported}
    if cleared:
        state["desired"] = cleared
    return _report(c, state)


def _refuse(c, errors):
    from core.clip import clip
    text = clip("; ".join(errors), MAX_ERROR)
    c.app.warn("AWS IoT: desired settings refused, none applied: " + text)
    return _report(c, {"reported": {"config_error": text}})


def _report(c, state):
    # {"state": state} to the shadow, one QoS 0 publish; not sent while not connected (the document's
    # delta is read again at the next connect).
    c.cfg_seq = getattr(c, "cfg_seq", 0) + 1
    payload = json.dumps({"state": state, "clientToken": c.prefix + "-cfg" + str(c.cfg_seq)})
    box = getattr(c, "box", None)
    if box is not None and box.pending:
        # Observations taken before this change are still to be replayed, and they would report again
        # what it changed (a parameter switched off): it is reported again after them (again()).
        c.cfg_again = payload
    return _publish(c, payload)


def again(c):
    # The outbox has drained: the settings report made while it waited, once more (awsclient._settle;
    # kept for the next confirmation if it could not go now).
    if c.client is not None and c.connected:
        try:
            c.client.publish(c.topic, c.cfg_again, qos=0)
            c.cfg_again = None
        except Exception:
            pass  # the link: noticed by the next poll


def _publish(c, payload):
    client = c.client
    if client is None or not c.connected:
        return payload
    try:
        client.publish(c.topic, payload, qos=0)
    except Exception as err:  # the link: noticed by the next poll; the delta is read again at reconnect
        c.app.warn("AWS IoT: the desired settings' report was not sent (" + type(err).__name__
                   + "); it is sent again after the next connect")
    return payload


# A bounded look into JSON text without parsing it all: a shadow document may hold kilobytes of
# reported readings and their metadata, of which only state.delta is wanted.
def _string_end(text, at):
    # The index after the string opening at text[at] ('"'), or -1.
    i = at + 1
    while True:
        i = text.find('"', i)
        if i < 0:
            return -1
        back = i - 1
        while text[back] == "\\":
            back -= 1
        if (i - back) % 2:  # an even number of backslashes before it: the closing quote
            return i + 1
        i += 1


def _value(text, at):
    # (end, depth) of the JSON value at text[at]: the index after it (-1 if it does not end) and how
    # deeply its objects and arrays nest.
    n = len(text)
    depth = top = 0
    i = at
    while i < n:
        ch = text[i]
        if ch == '"':
            i = _string_end(text, i)
            if i < 0:
                return -1, top
            if depth == 0:
                return i, top
            continue
        if ch == "{" or ch == "[":
            depth += 1
            if depth > top:
                top = depth
        elif ch == "}" or ch == "]":
            depth -= 1
            if depth <= 0:
                return (i + 1 if depth == 0 else i), top
        elif ch == "," and depth == 0:
            return i, top
        i += 1
    return (n if depth == 0 else -1), top


def _space(text, i):
    n = len(text)
    while i < n and text[i] in " \t\r\n":
        i += 1
    return i


def _member(text, key):
    # The text of the top-level member `key` of the JSON object `text`, or None.
    n = len(text)
    i = _space(text, 0)
    if i >= n or text[i] != "{":
        return None
    i += 1
    while True:
        i = _space(text, i)
        if i < n and text[i] == ",":
            i = _space(text, i + 1)
        if i >= n or text[i] != '"':
            return None
        end = _string_end(text, i)
        if end < 0:
            return None
        name = text[i + 1:end - 1]
        i = _space(text, end)
        if i >= n or text[i] != ":":
            return None
        i = _space(text, i + 1)
        stop = _value(text, i)[0]
        if stop < 0 or stop == i:
            return None
        if name == key:
            return text[i:stop]
        i = stop
