import os
import sys
import textwrap
from pathlib import Path

import pytest

# The repo root goes last: its code.py must not shadow the standard library's `code` module.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.append(REPO)


@pytest.fixture
def tree(tmp_path):
    """A firmware tree in tmp_path for the gates' tests; call it with {relative path: source} to add files."""
    (tmp_path / "requirements.txt").write_text((Path(REPO) / "requirements.txt").read_text())
    for init in ("core/__init__.py", "plugins/__init__.py", "plugins/sensors/__init__.py"):
        (tmp_path / init).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / init).write_text("")

    def add(files):
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return tmp_path

    return add
