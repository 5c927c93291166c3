# The serial menu's pages, generated from the declared properties (core/schema.py): no code per plugin.
# Imported when the menu opens and released when it closes (core/console.py). Keys and editing as
# the original's (README, "Menu"):
# - digits select: a choice that could take another digit waits DIGIT_WAIT_MS for it, Enter selects at once;
# - x/b go back, and at the top exit, saving if anything changed; ESC goes back, and at the top exits
#   discarding this session's changes; "Menu Timeout" seconds without a key act as ESC;
# - a text is prefilled with the value: backspace, Ctrl-U (clear), Enter (accept), ESC (keep the old);
#   what is accepted loses surrounding spaces; a secret is neither echoed nor shown;
# - booleans take 1/0, numbers are checked against their range (and asked again), choices are a
#   numbered pick-list, actions ask [Y/n]. Escape sequences (arrow keys) are swallowed whole.
# The logger keeps running: data lines are held (counted, not printed) while the menu is open.
# (Comments, not docstrings: MicroPython keeps docstrings on the heap.)
import sys

from adafruit_ticks import ticks_diff, ticks_ms

from core.console import out
from core.schema import ACTION, BOOL, FLOAT, INT
from core.settings import SAVED

DIGIT_WAIT_MS = 1500
ESC_WAIT_MS = 150  # an ESC not followed by "[" or "O" this soon is the ESC key itself
MAX_DIGITS = 3
MAX_TEXT = 1024  # characters a typed value may have (a longer one is refused whole)
MAX_SEQ = 16  # characters an escape sequence may have
TIMEOUT_KEY = "APPLICATION_SETTINGS_MENU_TIMEOUT"
TIMEOUT_S = 60  # when no Menu Timeout is declared
BOARD = "DataLogger IoT"  # the original's path root, whatever the Board Name setting says
IOT = "IoT Services"
DEVICES = "Devices"  # sensors.auto's section
# The Settings page: group headings and their sections, as the original lays them out. Sections no
# table names are IoT services if IOT_SECTIONS names them, else listed under Advanced.
GROUPS = (("General", ("Application Settings", "Time Setup", "Save Settings")),
          ("Network", ("WiFi Network", "NTP Client")),
          ("Logging", ("Logger", "Logging Timer", "Data File", "Serial Console", "SD Card")),
          ("Services", (IOT,)),
          ("Advanced", ("Board Pins",)))
IOT_SECTIONS = ("MQTT Client", "MQTT Secure Client", "AWS IoT", "HTTP IoT", "Azure IoT", "ThingSpeak",
                "Arduino IoT Cloud", "Machinechat")
ABOUT = {"Application Settings": "General settings of the application", "Time Setup": "Time zone and clock",
         "Save Settings": "Save, restore and clear the saved settings", "WiFi Network": "WiFi networks",
         "NTP Client": "Network time", "Logger": "What each observation holds", "Logging Timer": "Log interval",
         "Data File": "Log files on the SD card", "Serial Console": "Observations on the console",
         "SD Card": "Observations on the SD card", IOT: "Send observations to IoT services",
         "Board Pins": "Pins (a restart applies them)"}


class Menu:
    def __init__(self, app, console):
        self.app = app
        self.console = console
        # Every property and action, fetched once: after boot the core's are rebuilt from core/props.py
        # on each ask (core/settings.py), and the pages ask on every key.
        self.props = app.settings.props
        self.actions = app.settings.actions
        self.stack: list = [("main", None, "")]
        self.mode = "page"  # or "text", "bool", "confirm"
        self.target: tuple = ()  # what the text/bool/confirm prompt is for
        self.buf = ""
        self.over = False  # the typed text or number ran past its limit: refused whole
        self.digits = ""
        self.digit_at = 0
        self.esc = 0  # 1: ESC seen, 2: inside an escape sequence
        self.esc_at = 0
        self.seq = 0
        self.undo = {}  # {key: (value, source)} before this session changed it
        self.restart = []  # names of changes that take effect after a restart
        self.changed = False
        self.last = ticks_ms()
        self.at_prompt = False
        self.eat = False
        self.mute = False
        self.doc_section = None  # the section whose docs doc_map holds (see docs())
        self.doc_map: dict = {}
        out.held = 0
        self.show()

    # --- keys and time ---
    def key(self, ch):
        self.last = ticks_ms()
        if self.eat:  # an Enter typed after a number that selected at once: already done
            self.eat = False
            if ch == "\r" or ch == "\n":
                return
        if self.esc == 2:  # inside an escape sequence: swallowed to its final byte
            self.seq += 1
            if "@" <= ch <= "~" or self.seq > MAX_SEQ:
                self.esc = 0
            return
        if self.esc == 1:
            self.esc = 0
            if ch == "[" or ch == "O":
                self.esc = 2
                self.seq = 0
                return
            self.escape()
            if self.console.menu is not self:
                return
        if ch == "\x1b":
            self.esc = 1
            self.esc_at = self.last
            return
        if self.mode == "page":
            self.page_key(ch)
        elif self.mode == "text":
            self.text_key(ch)
        elif self.mode == "bool":
            self.bool_key(ch)
        else:
            self.confirm_key(ch)

    def tick(self, now=None):
        if now is None:
            now = ticks_ms()
        if self.esc == 1 and ticks_diff(now, self.esc_at) >= ESC_WAIT_MS:
            self.esc = 0
            self.escape()
            return
        if self.mute and ticks_diff(now, self.last) >= DIGIT_WAIT_MS:
            self.mute = False
        if self.digits and ticks_diff(now, self.digit_at) >= DIGIT_WAIT_MS:
            self.choose()
            return
        timeout = self.app.settings.values.get(TIMEOUT_KEY, TIMEOUT_S)
        if ticks_diff(now, self.last) >= timeout * 1000:
            self.last = now
            self.say("[I] menu timeout (" + str(timeout) + " s without a key): as ESC")
            self.escape()

    def escape(self):
        self.digits = ""
        if self.mode == "confirm" and self.target[0] == "leave":
            self.say("")
            self.finish()
        elif self.mode != "page":
            if self.mode == "text" or self.mode == "bool":
                self.say("")
            self.say("[I] unchanged")
            self.mode = "page"
            self.show()
        elif len(self.stack) > 1:
            self.stack.pop()
            self.show()
        else:
            self.close(False)

    def page_key(self, ch):
        if self.mute:  # after a wrong number: the rest of a pasted or held-down run of digits is dropped
            if "0" <= ch <= "9":
                return
            self.mute = False
            if ch == "\r" or ch == "\n":
                return
        if "0" <= ch <= "9":
            if len(self.digits) >= MAX_DIGITS:
                self.over = True
            else:
                self.digits += ch
            self.digit_at = self.last
            if not self.over and int(self.digits) * 10 > self.count():
                self.choose()  # no longer number is an option: at once
                self.eat = True
            return
        if ch == "\r" or ch == "\n":
            if self.digits or self.over:
                self.choose()
            return
        self.digits = ""
        self.over = False
        if ch in "xXbB":
            self.echo(ch)
            if len(self.stack) > 1:
                self.stack.pop()
                self.show()
            else:
                self.close(True)
        elif ch in "rR" and self.restart:
            self.ask(("restart", None), "Save the settings and restart now")

    def choose(self):
        digits = self.digits
        over = self.over
        self.echo(digits + ("..." if over else ""))
        self.digits = ""
        self.over = False
        items = self.items()
        number = int(digits) if digits and not over else 0
        if not 1 <= number <= len(items):
            self.mute = True
            self.say("[W] no option " + (digits + "..." if over else digits) + ": choose 1 to "
                     + str(len(items)) + ", x to exit, b to go back")
            self.prompt()
            return
        self.select(items[number - 1])

    def count(self):
        return len(self.items())

    # --- pages ---
    def items(self):
        # [(label, about, value text or None, target)] of the page on top
        kind, arg, path = self.stack[-1]
        app = self.app
        settings = app.settings
        out_: list = []
        if kind == "main":
            out_.append(("Settings", "System settings and operations", None, ("page", ("settings", None, "/Settings"))))
            out_.append(("Devices Settings", "Settings for connected devices", None,
                         ("page", ("devices", None, "/Devices Settings"))))
        elif kind == "settings":
            for _, sections in self.groups():
                for section in sections:
                    target = ("page", ("iot" if section == IOT else "section", section, path + "/" + section))
                    out_.append((section, ABOUT.get(section, ""), None, target))
        elif kind == "iot":
            for section in self.sections():
                if section in IOT_SECTIONS:
                    out_.append((section, "", None, ("page", ("section", section, path + "/" + section))))
        elif kind == "section":
            self.section_items(arg, out_)
        elif kind == "pick":
            for choice in arg.choices:
                out_.append((choice, "", None, ("choice", arg, choice)))
        elif kind == "devices":
            index = 0
            for _, device in app.devices:
                name = device.section.name
                out_.append((name, "Output parameters", None, ("page", ("device", index, path + "/" + name))))
                index += 1
            self.section_items(DEVICES, out_)  # sensors.auto's: Device List, Exclude, Scan Devices
        elif kind == "device":
            for prop in self.params(arg):
                on = settings.values[prop.key]
                out_.append((prop.name, "Output this parameter", "on" if on else "off", ("param", prop)))
            out_.append(("Enable All", "Output every parameter", None, ("all", arg, True)))
            out_.append(("Disable All", "Output no parameter", None, ("all", arg, False)))
        return out_

    def section_items(self, section, out_):
        docs = self.docs(section)
        for prop in self.props:
            if prop.section == section:
                out_.append((prop.name, docs.get(prop.key, ""), self.value_text(prop), ("prop", prop)))
        for prop in self.actions:
            if prop.section == section:
                out_.append((prop.name, docs.get(prop.key, ""), None, ("action", prop)))

    def docs(self, section):
        # {key: doc} of a section's settings and actions. A Prop keeps no doc (core/schema.py): they are
        # read from the modules that declare them (core.propdocs, released with the menu); the last
        # section's are kept, as items() is asked on every key.
        if self.doc_section == section:
            return self.doc_map
        from core import pins, propdocs
        settings = self.app.settings
        modules: list = []
        for where, listing in ((0, self.props), (1, self.actions)):
            for i in range(len(listing)):
                prop = listing[i]
                if prop.section != section:
                    continue
                module = None
                for origin in settings.origins:  # the last module whose lines start at or before i
                    if origin[where] <= i:
                        module = origin[2]
                if module == "core.props" and prop in pins.PROPERTIES:  # core.props lists core.pins' own
                    module = "core.pins"
                if module is not None and module not in modules:
                    modules.append(module)
        self.doc_map = {}
        self.doc_section = section
        for module in modules:
            try:
                self.doc_map.update(propdocs.docs(module))
            except Exception:  # no heap for it, say: the page is shown without them
                pass
        return self.doc_map

    def params(self, index):
        # The on/off settings of device `index`'s parameters (declared at boot: core/boot.py).
        name = self.app.devices[index][1].section.name
        return [prop for prop in self.props if prop.section == name]

    def sections(self):
        # Every section with a setting or an action, in declaration order.
        seen: list = []
        devices = [device.section.name for _, device in self.app.devices]  # their own page
        for props in (self.props, self.actions):
            for prop in props:
                if prop.section not in seen and prop.section not in devices:
                    seen.append(prop.section)
        return seen

    def groups(self):
        present = self.sections()
        out_: list = []
        named = [IOT, DEVICES]  # DEVICES: on the Devices Settings page
        for heading, sections in GROUPS:
            shown = []
            for section in sections:
                named.append(section)
                if section in present or section == IOT and self.has_iot(present):
                    shown.append(section)
            if heading == "Advanced":
                for section in present:
                    if section not in named and section not in IOT_SECTIONS:
                        shown.append(section)
            if shown:
                out_.append((heading, shown))
        return out_

    def has_iot(self, present):
        for section in present:
            if section in IOT_SECTIONS:
                return True
        return False

    def value_text(self, prop):
        value = self.app.settings.values[prop.key]
        if prop.secret:
            text = "**** (set)" if value else "**** (not set)"
        elif prop.kind == BOOL:
            text = "true" if value else "false"
        else:
            text = str(value)
            if len(text) > 60:
                text = text[:57] + "..."
            text = _printable(text)
        if prop.name in self.restart_names(prop.section):
            text += " (after a restart)"
        return text

    def restart_names(self, section):
        return [name for s, name in self.restart if s == section]

    def show(self):
        kind, arg, path = self.stack[-1]
        self.mode = "page"
        self.say("")
        if kind == "pick":
            self.say("Settings for: /" + BOARD + path + " - choose one")
        else:
            self.say("Settings for: /" + BOARD + path)
        self.say("")
        number = 0
        items = self.items()
        heads = {}
        if kind == "settings":
            for heading, sections in self.groups():
                heads[sections[0]] = heading
        for label, about, value, _ in items:
            number += 1
            if label in heads:
                self.say(heads[label])
            line = ("%4d) " % number) + label
            if about:
                line += " - " + about
            if value is not None:
                line += " : " + value
            elif kind == "pick" and self.app.settings.values[arg.key] == label:
                line += " : (current)"
            self.say(line)
        if not items:
            self.say("   (nothing here)")
        self.say("")
        if self.restart:
            self.say("   r) Restart now - " + str(len(self.restart)) + " change(s) take effect after a restart")
        self.say("   x) Exit" if len(self.stack) == 1 else "   b) Back (or x)")
        self.say("   ESC) " + ("Exit without saving" if len(self.stack) == 1 else "Back"))
        self.prompt()

    def prompt(self):
        self.ask_line("Select option: ")

    def ask_line(self, text):
        out.prompt(text)
        self.at_prompt = True

    def say(self, text):
        if self.at_prompt:  # the prompt's line ends first
            self.at_prompt = False
            out.message("")
        out.message(text)

    def echo(self, text):
        # The key that answered "Select option: ", on the prompt's line.
        if self.at_prompt:
            self.at_prompt = False
            out.message(_printable(text))

    # --- choosing and editing ---
    def select(self, item):
        label, _, _, target = item
        what = target[0]
        if what == "page":
            self.stack.append(target[1])
            self.show()
        elif what == "prop":
            self.edit(target[1])
        elif what == "action":
            about = item[1]
            self.ask(target, label + " - " + about if about else label)
        elif what == "choice":
            self.stack.pop()
            self.set(target[1], target[2])
            self.show()
        elif what == "param":
            self.target = target
            self.mode = "bool"
            self.say("")
            out.prompt(label + " (1 = on, 0 = off; ESC keeps it): ")
        elif what == "all":
            for prop in self.params(target[1]):
                self.set(prop, target[2], quiet=True)
            self.said_params(target[1])
            self.show()

    def edit(self, prop):
        self.target = ("prop", prop)
        self.say("")
        if prop.choices:
            self.stack.append(("pick", prop, self.stack[-1][2] + "/" + prop.name))
            self.show()
            return
        if prop.kind == BOOL:
            self.mode = "bool"
            out.prompt(prop.name + " (1 = true, 0 = false; ESC keeps it): ")
            return
        self.mode = "text"
        self.over = False
        hint = "Enter accepts, ESC keeps the old value, Ctrl-U clears"
        if prop.kind == INT or prop.kind == FLOAT:
            if prop.low is not None and prop.high is not None:
                hint = str(prop.low) + " to " + str(prop.high) + "; " + hint
        if prop.secret:
            self.buf = ""
            self.say(prop.name + ": not shown as you type; Enter with nothing keeps the old value; ESC keeps it")
            out.prompt(prop.name + ": ")
            return
        self.buf = str(self.app.settings.values[prop.key])
        if len(self.buf) > MAX_TEXT:
            self.buf = ""
        self.say(prop.name + " (" + hint + ")")
        out.prompt(prop.name + ": " + _printable(self.buf))

    def text_key(self, ch):
        prop = self.target[1]
        if ch == "\r" or ch == "\n":
            self.say("")
            self.accept(prop)
        elif ch == "\x08" or ch == "\x7f":
            if self.buf:
                self.buf = self.buf[:-1]
                if not prop.secret:
                    out.prompt("\b \b")
        elif ch == "\x15":  # Ctrl-U
            if not prop.secret and self.buf:
                self.say("")
                out.prompt(prop.name + ": ")
            self.buf = ""
            self.over = False
        elif ch >= " " and ch != "\x7f" and not "\x80" <= ch <= "\x9f":
            if len(self.buf) >= MAX_TEXT:
                self.over = True
                return
            self.buf += ch
            if not prop.secret:
                out.prompt(ch)

    def accept(self, prop):
        text = self.buf.strip()
        self.buf = ""
        if self.over:
            self.over = False
            self.say("[W] longer than " + str(MAX_TEXT) + " characters: " + prop.name + " unchanged")
            self.show()
            return
        if prop.secret and not text:
            self.say("[I] " + prop.name + " unchanged")
            self.show()
            return
        value = text
        if prop.kind == INT or prop.kind == FLOAT:
            try:
                value = int(text) if prop.kind == INT else float(text)
            except ValueError:
                return self.retry(prop, "not a " + ("whole " if prop.kind == INT else "") + "number")
            if prop.low is not None and value < prop.low or prop.high is not None and value > prop.high:
                return self.retry(prop, "out of range (" + str(prop.low) + " to " + str(prop.high) + ")")
        if prop.key == "PLUGINS":
            missing = _missing_plugin(value)
            if missing:  # saved, it would leave the board without, say, its menu at the next start
                return self.retry(prop, "no plugin " + _printable(missing) + " on this board")
        self.set(prop, value)
        self.show()

    def retry(self, prop, why):
        self.say("[W] " + prop.name + ": " + why + "; try again, or ESC keeps " + str(self.app.settings.values[prop.key]))
        self.edit(prop)

    def bool_key(self, ch):
        if ch == "1" or ch == "0":
            self.say(ch)
            target = self.target
            if target[0] == "prop":
                self.set(target[1], ch == "1")
            else:
                self.set(target[1], ch == "1", quiet=True)
                self.said_params(self.stack[-1][1])
            self.show()
        elif ch == "\r" or ch == "\n":
            self.escape()

    def ask(self, target, question):
        self.target = target
        self.mode = "confirm"
        self.say("")
        out.prompt(question + "? [Y/n]: ")

    def confirm_key(self, ch):
        if ch in "nN":
            self.say("n")
            self.escape()
            return
        if ch not in "yY\r\n":
            return
        self.say("Y")
        self.mode = "page"
        target = self.target
        if target[0] == "restart" or target[0] == "leave":
            self.restart_now()
        else:
            self.run(target[1])
            self.show()

    def run(self, action):
        runner = action.default
        loaded = None
        try:
            if isinstance(runner, str):
                name, _, fn = runner.partition(":")
                if name not in sys.modules:
                    loaded = name
                __import__(name)
                runner = getattr(sys.modules[name], fn)
            said = runner(self.app)
            self.props = self.app.settings.props  # an action may declare some (a device found by a scan)
            if said:
                self.say("[I] " + str(said))
        except Exception as err:  # an action's fault: said, and the menu stays open
            self.say("[W] " + action.name + " failed (" + type(err).__name__ + ": " + str(err) + ")")
        finally:
            if loaded:
                from core.app import release
                release((loaded,))

    # --- changing settings ---
    def set(self, prop, value, quiet=False):
        # quiet: a device parameter, told by said_params()
        settings = self.app.settings
        key = prop.key
        old = settings.values[key]
        if value == old and type(value) is type(old):
            if not quiet:
                self.say("[I] " + prop.name + " unchanged")
            return
        if key not in self.undo:
            self.undo[key] = (old, settings.source(key))
        settings.values[key] = value
        settings.sources[key] = SAVED
        self.changed = True
        shown = "****" if prop.secret else _printable(str(value))
        taken = self.apply(prop, value)
        if quiet:
            return
        if taken:
            self.say("[I] " + prop.section + "/" + prop.name + " = " + shown)
        else:
            if (prop.section, prop.name) not in self.restart:
                self.restart.append((prop.section, prop.name))
            self.say("[I] " + prop.section + "/" + prop.name + " = " + shown + ": takes effect after a restart")

    def apply(self, prop, value):
        # True when the running logger took the new value at once (core/live.py, shared with the
        # shadow's desired settings; released with the menu).
        if prop.key == TIMEOUT_KEY:
            return True
        from core import live
        return live.apply(self.app, prop, value)

    def said_params(self, index):
        props = self.params(index)
        shown = 0
        for prop in props:
            if self.app.settings.values[prop.key]:
                shown += 1
        self.say("[I] " + self.app.devices[index][1].section.name + ": " + str(shown) + " of " + str(len(props))
                 + " parameter(s) output; the CSV header is rewritten (a new file on the card)")

    # --- leaving ---
    def close(self, save):
        # save: True (x at the top), False (ESC or timeout: this session's changes are undone), None (done)
        if save is False and self.undo:
            settings = self.app.settings
            for key in self.undo:
                value, source = self.undo[key]
                settings.values[key] = value
                settings.sources[key] = source
                for prop in self.props:
                    if prop.key == key:
                        self.apply(prop, value)
            self.say("[I] Menu closed without saving: changes discarded")
        elif save and self.changed:
            self.say("[I] Saving System Settings")
            self.app.save_settings()
            if self.restart:
                self.ask(("leave", None), str(len(self.restart)) + " change(s) take effect after a restart. "
                         "Restart now")
                return
        self.finish()

    def restart_now(self):
        if self.changed:
            self.say("[I] Saving System Settings")
            self.app.save_settings()
        self.finish()
        self.app.info("Restarting")
        import supervisor  # main() closes the files on the way out
        supervisor.reload()

    def finish(self):
        if self.at_prompt:
            self.say("")
        held = out.held or 0
        out.held = None
        for _, output in self.app.outputs:
            if hasattr(output, "header_due"):  # the console's format (and CSV header) again, above the lines
                output.header_due = True
        text = "Menu closed"
        if held:
            text += "; " + str(held) + " data line(s) held while it was open"
            for name, _ in self.app.plugins:
                if name == "outputs.sdcard":
                    text += " (they are on the SD card)"
        self.app.info(text)
        self.console.menu_closed()


def _missing_plugin(spec):
    # The first name in a Plugins list that does not import as plugins.<kind>.<name>, or None. Each is
    # imported to be sure (a .py or a .mpy), and released again unless it was loaded already.
    from core.app import release
    for name in spec.split(","):
        name = name.strip()
        if not name:
            continue
        module = "plugins." + name
        loaded = module in sys.modules
        try:
            __import__(module)
        except Exception:  # ImportError, or a name no module can have
            return name
        finally:
            if not loaded:
                release((module,))
    return None


def _printable(text):
    # What the page shows of a value: control characters as "?", so a value never drives the terminal.
    for ch in text:
        if ch < " " or "\x7f" <= ch <= "\x9f":
            return "".join(["?" if c < " " or "\x7f" <= c <= "\x9f" else c for c in text])
    return text
