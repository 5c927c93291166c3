import os
import sys

# The repo root goes last: its code.py must not shadow the standard library's `code` module.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.append(REPO)
