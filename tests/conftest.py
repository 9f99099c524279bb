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


# The longest modules first. Under pytest-xdist (`make test`: -n 2 --dist loadscope) a module runs
# whole on one worker, in collection order; started last, a long module leaves the other worker
# idle at the end. The order of tests inside a module is kept (the sort is stable).
LONG_MODULES = (
    "test_course_integrity.py",
    "browser/test_browser_course_loop.py",
    "test_grading_pipeline.py",
    "test_grading_zygote_sandbox.py",
    "test_integrity_badinput.py",
    "test_grading_postgres.py",
    "test_integrity_interference.py",
    "test_integrity_sandbox.py",
    "browser/test_browser_feedback_offline.py",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        path = Path(str(item.fspath)).as_posix()
        return next((i for i, m in enumerate(LONG_MODULES) if path.endswith(m)), len(LONG_MODULES))

    items.sort(key=rank)
