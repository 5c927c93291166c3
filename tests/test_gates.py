"""The CircuitPython fidelity gates (tools/gate_mpycross.py, gate_imports.py, gate_mypy.py, gate_api.py).

Each gate must pass on the real tree and on a small good sample tree, and must fail,
naming file and line, on a bad sample tree. The gates run as subprocesses with this
interpreter (the project venv), exactly as they run standalone.
"""

import importlib.util
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GATES = ("gate_mpycross", "gate_imports", "gate_mypy", "gate_api")


def run_gate(name, root=None, *extra, env=None):
    cmd = [sys.executable, str(REPO / "tools" / f"{name}.py")] + ([str(root)] if root else []) + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)


def load_gate(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GOOD = {
    "code.py": """
        import time
        import board
        import busio
        from adafruit_bus_device.i2c_device import I2CDevice
        from core import sample
        from core.sample import Reader
        try:
            from typing import Optional
            from circuitpython_typing import ReadableBuffer
        except ImportError:
            pass

        i2c = busio.I2C(board.IO9, board.IO8)
        print(Reader(i2c).read(), sample.VERSION, time.monotonic_ns(), board.NEOPIXEL)
        """,
    "core/util.py": """
        def clamp(n: int, hi: int = 100) -> int:
            return min(n, hi)
        """,
    "core/sample.py": """
        import gc
        import struct
        import busio
        from micropython import const
        from . import util
        from .util import clamp

        VERSION = "1"
        _ADDR = const(0x40)


        class Reader:
            def __init__(self, i2c: busio.I2C):
                self.i2c = i2c
                self.buf = bytearray(2)

            def read(self):
                from adafruit_bme280.basic import Adafruit_BME280_I2C  # lazy, from requirements.txt
                while not self.i2c.try_lock():
                    pass
                try:
                    self.i2c.writeto(_ADDR, b"\\x00")
                    self.i2c.readfrom_into(_ADDR, self.buf)
                finally:
                    self.i2c.unlock()
                if (n := struct.unpack(">H", self.buf)[0]) > 100:
                    n = clamp(n) + util.clamp(1)
                gc.collect()
                return f"n={n!r:>6} free={gc.mem_free()} {{literal}}" + repr(Adafruit_BME280_I2C)
        """,
    "plugins/sensors/demo.py": """
        from ..base import NAME
        from core.util import clamp

        def setup(app):
            return clamp(len(NAME))
        """,
    "plugins/base.py": """
        NAME = "demo"
        """,
}


@pytest.mark.parametrize("gate", GATES)
def test_real_tree(gate):
    proc = run_gate(gate)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("gate", GATES)
def test_good_sample_tree(gate, tree):
    root = tree(GOOD)
    # host/ stand-ins must never be what mypy sees, even if someone exports MYPYPATH
    tree({"host/__init__.py": "", "host/board.py": "I2C = None\n", "host/busio.py": "I2C = None\n"})
    env = dict(os.environ, MYPYPATH=str(root / "host"))
    proc = run_gate(gate, root, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not list(root.rglob("*.mpy")), "mpy-cross output must not land in the tree"


def test_mpycross_rejects_grammar(tree):
    root = tree({
        "core/m_match.py": "x = 1\nmatch x:\n    case 1:\n        pass\n",
        "core/m_posonly.py": "x = 1\n\ndef f(a, /, b):\n    pass\n",
        "core/m_dictunpack.py": "d = {}\ne = {**d}\n",
        "core/m_exceptstar.py": "try:\n    pass\nexcept* ValueError:\n    pass\n",
        "plugins/m_starlist.py": "a = [1]\nb = [*a, *a]\n",
        "code.py": "x = 1\nprint(f'{x = }')\n",
    })
    proc = run_gate("gate_mpycross", root)
    assert proc.returncode != 0
    for where in ("core/m_match.py:2:", "core/m_posonly.py:3:", "core/m_dictunpack.py:2:",
                  "core/m_exceptstar.py:3:", "plugins/m_starlist.py:2:", "code.py:2:"):
        assert where in proc.stdout, proc.stdout
    assert "core/__init__.py" not in proc.stdout


BAD_IMPORTS = """
    from dataclasses import dataclass
    import requests_mock
    import typing
    try:
        from typing import Optional
        import circuitpython_typing
    except ImportError:
        pass
    x = 1
    s = f"{x=} {x!r} {{x=}} {x==1} {x!=2}"
    def f(a, /, b):
        match a:
            case 1:
                return {**{}}
    u = "ab".removeprefix("a")
    import time as tm
    tm.monotonic()
    try:
        import adafruit_display_text
    except ModuleNotFoundError:
        pass
    from .missing import y
    import os.path
    import adafruit_bme280.basic
    if (n := 3):
        import asyncio
    try:
        pass
    except* ValueError:
        pass
"""
EXPECTED_IMPORT_LINES = {
    1: "dataclasses", 2: "requests_mock", 3: "typing", 10: "f-string '='", 11: "positional-only",
    12: "match", 14: "{**d}", 15: ".removeprefix(", 17: "time.monotonic()", 19: "adafruit_display_text",
    20: "ModuleNotFoundError", 22: ".missing", 23: "os.path", 26: "asyncio", 27: "except*",
}


def test_imports_flags_violations(tree):
    root = tree({"core/bad.py": BAD_IMPORTS})
    proc = run_gate("gate_imports", root)
    assert proc.returncode != 0
    flagged = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"core/bad\.py:(\d+): (.*)", line)
        assert m, line
        flagged.setdefault(int(m.group(1)), []).append(m.group(2))
    assert set(flagged) == set(EXPECTED_IMPORT_LINES), proc.stdout
    for n, what in EXPECTED_IMPORT_LINES.items():
        assert any(text.startswith(what) for text in flagged[n]), (n, flagged[n])
    assert len(flagged[10]) == 1  # {{x=}}, x==1 and x!=2 are not debug fields
    assert "not in requirements.txt" in flagged[19][0]


def test_imports_allow_list_is_the_esp32s3_board():
    """BUILTINS must be exactly the public modules circuitpython-stubs lists for the board, plus gc, micropython."""
    gate = load_gate("gate_imports")
    board = load_gate("gate_mypy").BOARD
    doc = resources.files("board_definitions").joinpath(board).joinpath("__init__.pyi").read_text()
    listed = re.search(r"Included modules: (.*)", doc).group(1).split(", ")
    tops = {m.split(" ")[0].split(".")[0] for m in listed}
    assert gate.BUILTINS == {m for m in tops if not m.startswith("_")} | {"gc", "micropython"}
    assert not gate.BUILTINS & (gate.TYPING_ONLY | gate.CPYTHON_ONLY | set(gate.SPECIAL))
    site = Path(str(resources.files("board-stubs").joinpath("__init__.pyi"))).parent.parent
    subs = {".".join((p.parent.parts[0][: -len("-stubs")],) + p.parent.parts[1:])
            for m in gate.BUILTINS for p in (site / f"{m}-stubs").rglob("__init__.pyi")
            for p in [p.relative_to(site)] if len(p.parts) > 2}
    assert gate.BUILTIN_SUBMODULES == subs


def test_imports_maps_requirements_to_modules():
    tops, dotted, problems = load_gate("gate_imports").requirement_modules(REPO)
    assert not problems
    assert tops["adafruit_bme280"] == "adafruit-circuitpython-bme280"
    assert tops["adafruit_bus_device"] == "adafruit-circuitpython-busdevice"
    assert "adafruit_bme280.basic" in dotted and "adafruit_register.i2c_struct" in dotted


def test_mypy_catches_circuitpython_misuse(tree):
    root = tree({"core/bad.py": """
        import board
        import busio
        import gc


        def send():  # unannotated: still checked (check_untyped_defs)
            i2c = busio.I2C(board.IO9, board.IO8)
            i2c.writeto(0x40, "hello")


        scl = board.SCL
        gc.get_objects()
        """})
    proc = run_gate("gate_mypy", root)
    assert proc.returncode != 0
    out = proc.stdout
    assert re.search(r'core/bad\.py:8: error: Argument 2 to "writeto" of "I2C" has incompatible type "str"', out), out
    assert re.search(r'core/bad\.py:11: error: Module has no attribute "SCL"', out), out  # not on the DevKitC-1
    assert re.search(r'core/bad\.py:12: error: Module has no attribute "get_objects"', out), out  # CircuitPython gc


def test_mypy_uses_circuitpython_stubs_not_blinka(tree):
    root = tree({"code.py": "import board\nimport busio\nimport microcontroller\n"})
    proc = run_gate("gate_mypy", root, "--", "-v")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for mod in ("board", "busio", "microcontroller"):
        assert re.search(rf"{mod}-stubs/__init__\.pyi \({mod}\)", proc.stderr), mod
    assert "adafruit_blinka" not in proc.stderr and "site-packages/board.py" not in proc.stderr
    definition = resources.files("board_definitions").joinpath("espressif_esp32s3_devkitc_1_n8").joinpath("__init__.pyi")
    assert resources.files("board-stubs").joinpath("__init__.pyi").read_text() == definition.read_text()
