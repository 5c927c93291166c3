"""VM stand-in for CircuitPython's `storage`: mount() makes the mount point a plain VM directory."""
import uos

_mounts = {}


class VfsFat:
    def __init__(self, block_device):
        self.block_device = block_device
        self.label = "CIRCUITPY"
        self.readonly = False


def mount(filesystem, mount_path, *, readonly=False):
    if mount_path in _mounts:
        raise OSError(1)  # EPERM, as on the board
    try:
        uos.mkdir(mount_path)
    except OSError:
        pass
    filesystem.readonly = readonly
    _mounts[mount_path] = filesystem


def umount(mount):
    for path, fs in list(_mounts.items()):
        if mount == path or mount is fs:
            del _mounts[path]
            return
    raise OSError(22)  # EINVAL


def getmount(mount_path):
    return _mounts[mount_path]


def remount(mount_path, readonly=False, *, disable_concurrent_write_protection=False):
    pass


def disable_usb_drive():
    pass


def enable_usb_drive():
    pass


def erase_filesystem(extended=None):
    pass
