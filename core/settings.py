# Effective settings: every declared property's value and where it came from.
#
# Resolving them (defaults < settings.toml < saved settings) is boot work, in core/resolve.py,
# which is released after boot to give its heap back.

DEFAULT = "default"
SAVED = "saved settings"


class Settings:
    def __init__(self):
        self.values = {}
        self.sources = {}  # key -> where a value came from; a key absent is at its default (a smaller dict)
        self._props = []  # declaration order, which the menu and the files keep (see props)
        self.saved = {}  # {section: {name: raw}} as restored, including undeclared ones
        self._actions = []  # Action()s (core/schema.py), declaration order: menu entries, not settings
        self._shed = None  # (Props, Actions) of core/props.py dropped after boot: see shed()
        # [(props before, actions before, module)]: where each declaring module's lines start, so the
        # menu can read their docs (core.propdocs; a Prop keeps none)
        self.origins = []

    @property
    def props(self):
        # Every declared property, in order.
        return self._with_core(self._props, False)

    @property
    def actions(self):
        return self._with_core(self._actions, True)

    def _with_core(self, declared, actions):
        # After boot the core's Props (or Actions) come from core/props.py, imported again for the
        # caller (quick commands, a save, the menu), who releases it when done.
        if self._shed is None:
            return declared
        from core.props import CORE_PROPERTIES
        return [prop for prop in CORE_PROPERTIES if (prop.kind == "action") == actions] + declared

    def shed(self, core):
        # Drop the core's Props and Actions (`core`, declared first): about 100 bytes each that a
        # running logger never reads (it reads values by key). Their values stay.
        props = len([prop for prop in core if prop.kind != "action"])
        self._shed = (props, len(core) - props)
        self._props = self._props[props:]
        self._actions = self._actions[len(core) - props:]

    def declare(self, props, origin=None):
        # Add properties at their defaults; `origin`: the module that declares them.
        if origin is not None:
            shed = self._shed or (0, 0)
            self.origins.append((shed[0] + len(self._props), shed[1] + len(self._actions), origin))
        for prop in props:
            if prop.kind == "action":
                self._actions.append(prop)
                continue
            self._props.append(prop)
            self.values[prop.key] = prop.default
            self.sources.pop(prop.key, None)

    def get(self, prop):
        return self.values[prop.key]

    def source(self, key):
        return self.sources.get(key, DEFAULT)

    def shown(self, prop, value):
        if prop.secret and value:
            return "****"
        if isinstance(value, str):
            return "\"" + value + "\""
        return str(value)

    def saved_sections(self):
        # {section: {name: value}} of the saved settings only: what was restored or saved, with
        # current values, including what no loaded plugin declares (so saving never drops, say, an
        # unloaded plugin's AWS IoT block). Defaults and settings.toml values are not saved: an
        # edit to settings.toml must keep working.
        out = {}
        for section in self.saved:
            out[section] = dict(self.saved[section])
        for prop in self.props:
            if self.sources.get(prop.key) == SAVED:
                out.setdefault(prop.section, {})[prop.name] = self.values[prop.key]
        return out

    def order(self):
        # [(section, [names])] in declaration order, then undeclared saved ones sorted:
        # dicts on the board don't keep order.
        out = []
        index = {}
        pairs = [(prop.section, prop.name) for prop in self.props]
        for section in sorted(self.saved):
            for name in sorted(self.saved[section]):
                pairs.append((section, name))
        for section, name in pairs:
            if section not in index:
                index[section] = len(out)
                out.append((section, []))
            names = out[index[section]][1]
            if name not in names:
                names.append(name)
        return out
