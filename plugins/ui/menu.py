# The serial menu, as the original's: with this plugin loaded, any key but "!" opens it, and the
# logger keeps running while it is open. The console (core/console.py) opens the pages,
# plugins/ui/menupages.py, hands them every key and the time while they are open, and releases
# them when they close, so a closed menu costs no heap; this module only switches the menu on and
# is released after setup.


def setup(app):
    app.console.menu_pages = "plugins.ui.menupages"
