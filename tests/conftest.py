"""Shared pytest setup (keep minimal).

The repo root goes first on sys.path so that `course` and `autograder` import from the checkout
even when the editable install predates their __init__.py (it then maps them as namespace
packages, whose __init__ never runs).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
