"""Smoke tests for the in-VM runner. Plain Python that runs under pytest and MicroPython alike.

Rules for tests/pure modules: no pytest import, no fixtures, no CPython-only stdlib; every
top-level test_* function takes no arguments and fails by raising (assert is fine).
"""


def test_arithmetic_and_strings():
    assert 2 ** 40 == 1099511627776  # big ints work on both
    assert "{:.2f}".format(1.005 * 100) in ("100.50", "100.49")
    assert ",".join(["a", "b"]) == "a,b"


def test_exception_is_raised():
    try:
        {}["missing"]
    except KeyError:
        return
    raise AssertionError("KeyError expected")
