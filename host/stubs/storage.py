"""storage stand-in: mounting the card makes <root>/sd point at the card's folder.

The host runner runs code.py with the current directory as the board's root "/", so the
firmware's "sd/..." paths land in the card folder.
"""
import os


class VfsFat:
    def __init__(self, block_device):
        self.folder = block_device.folder


def mount(vfs, mount_path, *, readonly=False):
    link = mount_path.lstrip("/")
    if os.path.islink(link):
        os.remove(link)
    elif os.path.exists(link):
        raise OSError(1, "mount point in use")
    os.symlink(os.path.abspath(vfs.folder), link)


def umount(mount):
    link = mount.lstrip("/") if isinstance(mount, str) else "sd"
    if os.path.islink(link):
        os.remove(link)
    else:
        raise OSError(22, "not mounted")


def remount(mount_path, readonly=False, *, disable_concurrent_write_protection=False):
    raise RuntimeError("Cannot remount '/' when visible via USB.")
