"""microcontroller stand-in: nvm is an 8 KiB image kept in <drive>/nvm.bin, written through on change."""
import os

from host import runtime


class Pin:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "board." + self.name


class _NVM:
    """A bytearray-like object: reads and slice writes, each write rewrites the whole file as the board's NVS does."""

    def __init__(self, path, size):
        self._path = path
        self._data = bytearray(b"\xff" * size)
        self.writes = 0
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                stored = f.read(size)
            self._data[: len(stored)] = stored

    def __len__(self):
        return len(self._data)

    def __getitem__(self, index):
        return self._data[index]

    def __setitem__(self, index, value):
        before = len(self._data)
        self._data[index] = value
        if len(self._data) != before:
            raise ValueError("nvm size is fixed")
        self.writes += 1
        if self._path:
            tmp = self._path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(self._data)
            os.replace(tmp, self._path)


nvm = _NVM(os.path.join(runtime.DRIVE, "nvm.bin") if runtime.DRIVE else None, runtime.NVM_SIZE)


class _Processor:
    temperature = 31.5
    frequency = 240000000
    uid = bytes.fromhex("a1b2c3d4e5f6")


cpu = _Processor()


def reset():
    raise SystemExit("microcontroller.reset()")
