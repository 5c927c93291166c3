# The SD card: mounted at /sd, so firmware paths are "sd/<file>" relative to the root folder.
#
# The card is on SPI, read by the built-in sdcardio, on the pins named in "Board Pins".
ROOT = "sd"

_state: dict = {"vfs": None, "card": None}


def mount(get):
    # Mount the card if it is not mounted. Returns None on success or the reason it failed.
    #
    # `get` reads a property (see core.pins.pin).
    if _state["vfs"] is not None:
        return None
    card = None
    try:
        import sdcardio
        import storage
        from core import pins
        card = sdcardio.SDCard(pins.spi(get), pins.pin(get, pins.SD_CS))
        vfs = storage.VfsFat(card)
        storage.mount(vfs, "/" + ROOT)
    except (OSError, ValueError, RuntimeError, AttributeError, TypeError) as err:
        if card is not None:
            card.deinit()  # else it keeps the CS pin and every retry fails with "in use"
        from core.clip import clip  # a pin name in the reason is a setting

        reason = clip(why(err), 100)
        if "issing" in reason:  # CircuitPython 9+ mounts only on an existing folder
            reason += " (create an empty folder named " + ROOT + " on CIRCUITPY)"
        return reason
    _state["card"] = card
    _state["vfs"] = vfs
    return None


def unmount():
    # Forget the card after an error, so the next mount() starts afresh.
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


def why(err):
    # The reason in an error, without CPython's "[Errno N]" prefix: "no SD card".
    args = err.args
    if len(args) > 1 and isinstance(args[1], str):
        return args[1]
    return str(err) or type(err).__name__


def mounted():
    return _state["vfs"] is not None


def where(path):
    # A card path as a message names it ("sd/sfe0001.txt"): clipped and escaped (the prefix is a
    # setting), and on the PC followed by the file in the --sd folder, which the host's storage
    # stand-in alone can tell (the board's storage module has no host_path).
    from core.clip import clip

    shown = clip(path, 60)
    try:
        import storage
        host_path = getattr(storage, "host_path", None)
        real = host_path(path) if host_path is not None else None
        return shown if real is None else shown + " (on this PC: " + clip(real, 200) + ")"
    except ImportError:
        return shown
    finally:
        from core.app import release
        release(("core.clip",))  # a message's helper: loaded again when one needs it
