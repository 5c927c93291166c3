# Effective settings: every declared property's value and where it came from.
#
# Resolving them (defaults < settings.toml < saved settings) is boot work, in core/resolve.py,
# which is released after boot to give its heap back.

DEFAULT = "default"
SAVED = "saved settings"


class Settings:
    def __init__(self):
        self.values = {}
        self.sources = {}
        self.props = []  # declaration order, which the menu and the files keep
        self.saved = {}  # {section: {name: raw}} as restored, including undeclared ones
        self.actions = []  # Action()s (core/schema.py), declaration order: menu entries, not settings
        # [(props before, actions before, module)]: where each declaring module's lines start, so the
        # menu can read their docs (core.propdocs; a Prop keeps none)
        self.origins = []

    def declare(self, props, origin=None):
        # Add properties at their defaults; `origin`: the module that declares them.
        if origin is not None:
            self.origins.append((len(self.props), len(self.actions), origin))
        for prop in props:
            if prop.kind == "action":
                self.actions.append(prop)
                continue
            self.props.append(prop)
            self.values[prop.key] = prop.default
            self.sources[prop.key] = DEFAULT

    def get(self, prop):
        return self.values[prop.key]

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
            if self.sources[prop.key] == SAVED:
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
