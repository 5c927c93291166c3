"""Type gate: mypy over the firmware with the CircuitPython 10 stubs for an ESP32-S3.

Usage:  python tools/gate_mypy.py [ROOT] [-- MYPY_ARGS...]   (ROOT defaults to the repo root)

Run it with the project venv's python. Steps:
1. Make the venv's `board` stubs the ESP32-S3-DevKitC-1-N8 ones. circuitpython_setboard
   just copies board_definitions/<board>/__init__.pyi over board-stubs/__init__.pyi
   (both from circuitpython-stubs); we compare the two files first and run the
   command only when they differ, so this is idempotent and also sets up a fresh venv.
2. Run `python -m mypy --config-file <repo>/mypy.ini` on ROOT's code.py, boot.py,
   core/ and plugins/ (cwd = ROOT, MYPYPATH removed). See mypy.ini for why the
   CircuitPython stubs, not Blinka's board/busio, are what mypy sees.
Exit status is mypy's (non-zero on errors, reported as `file:line: error: ...`).
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOARD = "espressif_esp32s3_devkitc_1_n8"


def ensure_board(board: str = BOARD) -> None:
    wanted = Path(str(resources.files("board_definitions").joinpath(board).joinpath("__init__.pyi")))
    current = Path(str(resources.files("board-stubs").joinpath("__init__.pyi")))
    if current.is_file() and filecmp.cmp(wanted, current, shallow=False):
        return
    script = Path(sys.executable).with_name("circuitpython_setboard")
    cmd = [str(script), board] if script.is_file() else [
        sys.executable, "-c",
        "import sys; from circuitpython_setboard import set_board; sys.argv[1:] = [sys.argv.pop()]; set_board()",
        board]
    subprocess.run(cmd, check=True)
    if not filecmp.cmp(wanted, current, shallow=False):
        sys.exit(f"gate_mypy: circuitpython_setboard {board} did not update {current}")
    print(f"gate_mypy: board stubs set to {board}", file=sys.stderr)


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    root = Path(argv[0]).resolve() if argv else REPO
    targets = [n for n in ("code.py", "boot.py", "core", "plugins") if (root / n).exists()]
    if not targets:
        print(f"gate_mypy: no firmware under {root}")
        return 0
    ensure_board()
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "mypy.ini"), *extra, *targets]
    return subprocess.run(cmd, cwd=root, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
