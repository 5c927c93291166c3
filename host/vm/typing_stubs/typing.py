"""Tiny `typing` for the VM, only for libraries that import it unconditionally off CircuitPython."""


class _Any:
    def __getitem__(self, item):
        return self

    def __call__(self, *args, **kwargs):
        return self


_ANY = _Any()
TYPE_CHECKING = False


def __getattr__(name):
    return _ANY
