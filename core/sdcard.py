"""The SD card: mounted at /sd, so firmware paths are "sd/<file>" relative to the root folder.

The DataLogger IoT's card sits on SPI; boards that name SD_CS use sdcardio (built in).
"""
ROOT = "sd"

_state = {"vfs": None, "card": None}


def mount():
    """Mount the card if it is not mounted. Returns None on success or the reason it failed."""
    if _state["vfs"] is not None:
        return None
    try:
        import board
        import sdcardio
        import storage
        card = sdcardio.SDCard(board.SPI(), board.SD_CS)
        vfs = storage.VfsFat(card)
        storage.mount(vfs, "/" + ROOT)
    except (OSError, ValueError, RuntimeError, AttributeError) as err:
        return str(err) or type(err).__name__
    _state["card"] = card
    _state["vfs"] = vfs
    return None


def unmount():
    """Forget the card after an error, so the next mount() starts afresh."""
    if _state["vfs"] is None:
        return
    try:
        import storage
        storage.umount("/" + ROOT)
    except (OSError, ValueError):
        pass
    try:
        _state["card"].deinit()
    except (OSError, AttributeError):
        pass
    _state["vfs"] = None
    _state["card"] = None


def mounted():
    return _state["vfs"] is not None
