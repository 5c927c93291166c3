"""Helpers for tests that run under both pytest and the MicroPython VM (no pytest import)."""


def raises(exc_type, fn, *args):
    """Call fn(*args); return the exception's text, or fail if exc_type was not raised."""
    try:
        fn(*args)
    except exc_type as err:
        return str(err)
    raise AssertionError("expected " + exc_type.__name__)


class Clock:
    """A hand-turned millisecond clock."""

    def __init__(self, start=1000):
        self.now = start

    def __call__(self):
        return self.now


class Said:
    """Collects console messages."""

    def __init__(self):
        self.lines = []

    def __call__(self, text):
        self.lines.append(text)

    def has(self, *parts):
        for line in self.lines:
            ok = True
            for part in parts:
                if part not in line:
                    ok = False
            if ok:
                return True
        return False


def scratch(name, text):
    """Write a scratch file (a temp folder on CPython, the VM's own file system there); return its path."""
    try:
        import tempfile
        folder = tempfile.gettempdir()
    except ImportError:
        folder = ""
    path = folder + "/" + name
    with open(path, "w") as f:
        f.write(text)
    return path
