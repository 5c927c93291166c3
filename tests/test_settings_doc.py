"""The settings reference in README.md and the settings.toml template are generated from the schemas
(tools/settings_doc.py, `make docs`): they must never fall behind them."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_readme_reference_and_template_match_the_schemas():
    proc = subprocess.run([sys.executable, os.path.join(REPO, "tools", "settings_doc.py"), "--check"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_property_has_its_doc_in_the_reference():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    rows = [ln for ln in readme.split("<!-- settings reference", 1)[1].split("<!-- end of settings reference")[0]
            .splitlines() if ln.startswith("| `")]
    assert len(rows) > 40
    assert all(not ln.rstrip().endswith("| None |") and not ln.rstrip().endswith("|  |") for ln in rows), rows
