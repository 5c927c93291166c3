# The serial menu, as the original's: any key but "!" opens it. This part stays loaded (a few
# hundred bytes); the pages (plugins/ui/menupages.py) are imported when the menu opens and released
# when it closes, so a closed menu costs no heap. The logger keeps running while it is open.
# (Comments, not docstrings: MicroPython keeps docstrings on the heap.)


class MenuPlugin:
    def __init__(self, app):
        self.app = app
        self.menu = None  # the open menu (menupages.Menu), or None
        app.console.menu = self  # asked for each key (core/console.py)

    def claim(self, ch):
        # A console character: the menu's while it is open; any printable key but "!" opens it.
        if self.menu is None:
            if ch == "!" or ch < " ":  # a command; or a line end or control byte (a paste's CR LF, noise)
                return False
            try:
                from plugins.ui import menupages
                self.menu = menupages.Menu(self.app, self)
            except Exception as err:  # no heap for it, say: the logger goes on
                self.failed(err)
            return True  # the key that opens the menu only opens it
        try:
            self.menu.key(ch)
        except Exception as err:  # a fault in the menu must not stop the logger
            self.failed(err)
        return True

    def poll(self, now):
        if self.menu is not None:
            try:
                self.menu.tick(now)
            except Exception as err:
                self.failed(err)

    def failed(self, err):
        from core.console import out
        out.held = None
        self.app.warn("menu closed by " + type(err).__name__ + ": " + str(err))
        self.closed()

    def closed(self):
        # Called by the menu as it closes: its code gives its heap back.
        self.menu = None
        from core.app import USE_ONLY, release
        release(("plugins.ui.menupages", "core.propdocs") + USE_ONLY)  # propdocs: the pages' docs; a save's code


def setup(app):
    return MenuPlugin(app)
