"""storage stand-in: mounting the card makes <root>/sd point at the card's folder.

The host runner runs code.py with the current directory as the board's root "/", holding an
empty sd folder as CIRCUITPY must (CircuitPython 9+ mounts only on an existing folder), so the
firmware's "sd/..." paths land in the card folder.

host_path() is the PC's alone (the board's storage module has no such name): the firmware's
messages use it, through getattr, to name the file in the --sd folder next to its board path.
"""
import os

from host import runtime

_folders = {}  # mount point ("sd") -> the card's folder on this PC, kept after umount for messages


def host_path(path):
    """The file on this PC that the board path `path` ("sd/sfe0001.txt") is, or None: when the
    runner asks for it (python -m host sets runtime.NAME_HOST_FILES), for a path on a card."""
    if not getattr(runtime, "NAME_HOST_FILES", False):
        return None
    path = path.lstrip("/")
    for point in _folders:
        if path == point or path.startswith(point + "/"):
            return _folders[point] + path[len(point):]
    return None


class VfsFat:
    def __init__(self, block_device):
        self.folder = block_device.folder


def mount(vfs, mount_path, *, readonly=False):
    point = mount_path.lstrip("/")
    if os.path.islink(point):
        raise OSError(1, "mount point in use")
    if not os.path.isdir(point):
        raise RuntimeError("Mount point directory missing")
    os.rmdir(point)  # the empty folder; an occupied one raises, as mounting over files would
    os.symlink(os.path.abspath(vfs.folder), point)
    _folders[point] = os.path.abspath(vfs.folder)


def umount(mount):
    point = mount.lstrip("/") if isinstance(mount, str) else "sd"
    if not os.path.islink(point):
        raise OSError(22, "not mounted")
    os.remove(point)
    os.mkdir(point)


def remount(mount_path, readonly=False, *, disable_concurrent_write_protection=False):
    raise RuntimeError("Cannot remount '/' when visible via USB.")
