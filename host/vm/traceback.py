"""VM stand-in for CircuitPython's `traceback` (print/format via sys.print_exception)."""
import sys


def print_exception(exc, value=None, tb=None, limit=None, file=None, chain=True):
    if not isinstance(exc, BaseException):  # old (etype, value, tb) form
        exc = value
    sys.print_exception(exc, file or sys.stdout)


def format_exception(exc, value=None, tb=None, limit=None, chain=True):
    import io
    buf = io.StringIO()
    print_exception(exc, value, tb, limit, buf, chain)
    return [buf.getvalue()]
