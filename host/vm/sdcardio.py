"""VM stand-in for CircuitPython's `sdcardio` (a card that is always present; no block I/O)."""


class SDCard:
    def __init__(self, spi, cs, baudrate=8000000):
        self._spi = spi
        self._cs = cs

    def count(self):
        return 2 * 1024 * 1024  # 1 GiB in 512-byte blocks

    def readblocks(self, start_block, buf):
        raise OSError(5)  # EIO: no real FAT in the VM; storage.mount() uses a VM directory

    def writeblocks(self, start_block, buf):
        raise OSError(5)

    def sync(self):
        pass

    def deinit(self):
        pass
