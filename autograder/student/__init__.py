"""Checks for the backprop course's exercises (shipped to students; numpy only).

    from autograder.student import check, record

check(ex_id, *fns): visible test on a fixed worked example (prints a verdict, raises on failure).
record(ex_id, *fns): hidden test; runs on fresh inputs and emits the numbers for the grader.
"""

from autograder.student.check import CheckFailed, check
from autograder.student.record import record

__all__ = ["CheckFailed", "check", "record"]
