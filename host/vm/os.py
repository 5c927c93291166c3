"""VM shadow of `os` with CircuitPython's extras (reaches the VM's built-in as `uos`).

getenv() reads root-level keys of /settings.toml the way CircuitPython 10.0/10.1 does:
a double-quoted string gives str, a C-style integer gives int, anything else raises ValueError.
"""
from uos import *  # noqa: F401,F403

import uos as _uos


def getenv(key, default=None):
    try:
        f = open("/settings.toml")
    except OSError:
        return default
    with f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                return default  # keys after a table header are not readable
            if "=" not in line or line.startswith("#"):
                continue
            k, v = line.split("=", 1)
            if k.strip() != key:
                continue
            v = v.strip()
            if v.startswith('"'):
                end = v.find('"', 1)
                while end > 0 and v[end - 1] == "\\":
                    end = v.find('"', end + 1)
                if end < 0:
                    raise ValueError(key)
                s = v[1:end]
                for a, b in (('\\"', '"'), ("\\n", "\n"), ("\\t", "\t"), ("\\\\", "\\")):
                    s = s.replace(a, b)
                return s
            v = v.split("#", 1)[0].strip()
            try:
                return int(v, 16) if v[:2] in ("0x", "0X") else int(v, 8 if v[:1] == "0" and len(v) > 1 else 10)
            except ValueError:
                raise ValueError(key)
    return default


def sync():
    pass


def uname():
    return ("esp32", "esp32", "10.0.0", "10.0.0 on mpvm", "mpvm with ESP32S3")


def urandom(n):
    import random
    return bytes(random.getrandbits(8) for _ in range(n))
