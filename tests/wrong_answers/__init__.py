"""Wrong answers per lesson, for tests/test_course_integrity.py.

Each module lNN.py defines

    WRONG: dict[str, list[tuple[str, str]]]
        exercise id -> [(misconception id, source of the student's answer cell), ...]

The source replaces the WHOLE answer cell (the nearest autograded solution code cell above the
exercise's test cell), so it defines every function of that cell. It may use functions of
earlier cells (as a student would). Each one must lose the exercise's points and the feedback
must name that misconception; give at least two per exercise.
"""

from __future__ import annotations

import importlib


def load(prefix: str) -> dict[str, list[tuple[str, str]]] | None:
    """WRONG of lesson 'l01'..., or None when the lesson has no wrong-answer module yet."""
    try:
        module = importlib.import_module(f"{__name__}.{prefix}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{prefix}":
            raise
        return None
    return module.WRONG
