"""CircuitPython's gc has mem_free() and mem_alloc(); CPython's has not, and a stand-in module can't
shadow a built-in one, so the host adds them to CPython's gc (python -m host, tools/e2e.py).

On the PC there is no fixed heap: "used" is the process's resident memory and "free" what the
machine has available, read from /proc (0 where there is no /proc).
"""
import gc


def _proc_kb(path, field):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def install():
    if not hasattr(gc, "mem_free"):
        gc.mem_alloc = lambda: _proc_kb("/proc/self/status", "VmRSS:")
        gc.mem_free = lambda: _proc_kb("/proc/meminfo", "MemAvailable:")

