"""check(ex_id, *fns): the visible test of an exercise, on the fixed worked example."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.student.compare import compare
from autograder.student.run import bind, run_cases
from autograder.student.serialize import decode_case
from autograder.student.spec import get_exercise

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class CheckFailed(AssertionError):
    """A failed visible check. IPython shows only the message (no traceback wall)."""

    def _render_traceback_(self) -> list[str]:  # IPython hook
        return [f"\x1b[31mCheckFailed\x1b[0m: {self}"]


@lru_cache(maxsize=16)
def load_fixture(prefix: str) -> dict[str, Any]:
    """The fixture file of a lesson ('l01' -> fixtures/l01.json)."""
    path = FIXTURES / f"{prefix}.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _autograding() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def check(ex_id: str, *fns: Any) -> None:
    """Run the student functions on the lesson's worked example and print a verdict.

    Raises CheckFailed (an AssertionError) when something is wrong, except while nbgrader
    autogrades (NBGRADER_EXECUTION=autograde): points come from record() alone.
    """
    __tracebackhide__ = True
    try:
        ex = get_exercise(ex_id)
        fixture = load_fixture(ex.prefix)
        entry = fixture["exercises"][ex_id]
    except (KeyError, OSError, ValueError) as err:
        return _fail(f"{ex_id}: no worked example available ({err}); ask your instructor")
    try:
        bound = bind(ex, fns)
    except TypeError as err:
        return _fail(str(err))
    cases = [decode_case(c) for c in entry["cases"]]
    got, mutated, printed = run_cases(ex, bound, cases)
    verdict = compare(
        ex,
        got,
        entry["expected"],
        dict(entry.get("variants", [])),
        entry.get("misconceptions", {}),
        mutated,
    )
    n = len(cases)
    head = f"{ex_id} (\u00a7{ex.section}): worked example, {n} case{'s' * (n != 1)}; "
    head += verdict.tolerance
    lines = [head, *verdict.lines()]
    if printed:
        lines.append(f"  note: your functions printed {printed} characters (not shown here)")
    wrong = [c.name for c in verdict.components.values() if not c.ok]
    if not wrong:
        # What the hidden test does differently, said where the student looks (otter #138, #383).
        lines.append(SUCCESS_LINE)
        print("\n".join(lines))
        return None
    print("\n".join(lines))
    return _fail(f"{ex_id}: {len(wrong)} of {len(verdict.components)} wrong ({', '.join(wrong)})")


SUCCESS_LINE = (
    "All right: the worked example is right; grading will run your function on fresh inputs."
)


def _fail(message: str) -> None:
    __tracebackhide__ = True
    if _autograding():
        print(message)
        return None
    raise CheckFailed(message) from None
