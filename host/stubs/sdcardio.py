"""sdcardio stand-in: a card is present when the host's --sd folder exists."""
import os

from host import runtime


class SDCard:
    def __init__(self, spi, cs, baudrate=8000000):
        if not runtime.SD_DIR or not os.path.isdir(runtime.SD_DIR):
            raise OSError(19, "no SD card")
        self.folder = runtime.SD_DIR

    def deinit(self):
        pass
