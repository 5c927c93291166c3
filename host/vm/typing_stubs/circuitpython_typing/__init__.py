"""Tiny `circuitpython_typing` for the VM: every name is a placeholder."""


def __getattr__(name):
    return object
