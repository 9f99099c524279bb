"""A tiny nbgrader course (two toy lessons, plain asserts) for tests of the grading tool.

Used by tests/test_grading_*.py so that the tool is tested on real nbgrader independently of
the course's lessons (which have their own tests). `make_toy_course(dir, students)` writes
source/, submissions/<student>/<lesson>/<lesson>.ipynb (solutions, wrong answers, stubs, a
malformed notebook) and returns the hidden-test lines (for the feedback leak test).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TOY_LESSONS = ("toy_a", "toy_b")
HIDDEN_MARK = "SECRET_HIDDEN_TEST_7f3a"
# Math in the intro cell (inline, display, and a code span that is not math): the feedback must
# render it without network (tests/test_grading_pipeline.py, tests/browser/).
MATH_INLINE = r"z = \mathbf w\cdot\mathbf x + b"
MATH_DISPLAY = r"\frac{\partial L}{\partial z} = 2\,(a - y)\,\mathbb 1[z > 0]"
MATH_MARKDOWN = (
    f"A neuron computes ${MATH_INLINE}$, then $a = \\max(0, z)$:\n\n$${MATH_DISPLAY}$$\n\n"
    "In code a dollar stays a dollar: `price = '$5 and $6'`."
)

# lesson -> list of (grade_id, solution source, visible test, hidden test, points)
_EXERCISES = {
    "toy_a": [
        (
            "ta_square",
            "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n",
            "assert square(3) == 9",
            f"assert square(-4) == 16  # {HIDDEN_MARK} a\nassert square(0.5) == 0.25",
            2,
        ),
        (
            "ta_mean",
            "def mean(v):\n    ### BEGIN SOLUTION\n    return float(np.mean(v))\n"
            "    ### END SOLUTION\n",
            "assert mean([1, 2, 3]) == 2.0",
            f"assert abs(mean([1.5, 2.5]) - 2.0) < 1e-12  # {HIDDEN_MARK} b",
            3,
        ),
    ],
    "toy_b": [
        (
            "tb_relu",
            "def relu(z):\n    ### BEGIN SOLUTION\n    return np.maximum(0.0, z)\n"
            "    ### END SOLUTION\n",
            "assert relu(-1.0) == 0.0",
            f"assert np.allclose(relu(np.array([-2.0, 3.0])), [0.0, 3.0])  # {HIDDEN_MARK} c",
            2,
        ),
    ],
}

# Wrong answers per exercise (a plausible misconception each).
_WRONG = {
    "ta_square": "def square(x):\n    return 2 * x\n",
    "ta_mean": "def mean(v):\n    return float(np.sum(v))\n",
    "tb_relu": "def relu(z):\n    return np.abs(z)\n",
}


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    md = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        md["points"] = points
    return {"nbgrader": md}


def source_notebook(lesson: str) -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            f"# {lesson}\n\n{MATH_MARKDOWN}", metadata=_meta(f"{lesson}_intro", locked=True)
        ),
        new_code_cell("import numpy as np", metadata=_meta(f"{lesson}_setup", locked=True)),
    ]
    for gid, sol, visible, hidden, pts in _EXERCISES[lesson]:
        cells.append(new_code_cell(sol, metadata=_meta(f"{gid}_answer", solution=True)))
        test = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
        cells.append(new_code_cell(test, metadata=_meta(gid, grade=True, locked=True, points=pts)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def hidden_lines() -> list[str]:
    out = []
    for exs in _EXERCISES.values():
        for *_, hidden, _pts in exs:
            out.extend(line.strip() for line in hidden.splitlines() if line.strip())
    return out


# A student hook that prints every cell's source after it runs, hidden tests included (it lands
# in the test cell's output: stock feedback would show it).
SNOOP = (
    "get_ipython().events.register('post_run_cell', lambda r: print('SNOOP', r.info.raw_cell))\n"
)


def _student_notebook(lesson: str, kind: str) -> nbformat.NotebookNode:
    """kind: 'full' (solution), 'wrong' (misconceptions), 'stub' (unattempted), 'snoop'."""
    nb = source_notebook(lesson)
    for cell in nb.cells:
        md = cell.metadata.get("nbgrader", {})
        if md.get("solution"):
            gid = md["grade_id"].removesuffix("_answer")
            if kind == "snoop":
                cell.source = SNOOP + cell.source.replace("    ### BEGIN SOLUTION\n", "").replace(
                    "    ### END SOLUTION\n", ""
                )
            elif kind == "wrong":
                cell.source = _WRONG[gid]
            elif kind == "stub":
                cell.source = cell.source.split("    ### BEGIN SOLUTION")[0] + (
                    "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
                )
            else:
                cell.source = cell.source.replace("    ### BEGIN SOLUTION\n", "").replace(
                    "    ### END SOLUTION\n", ""
                )
        elif md.get("grade"):
            # The release has no hidden tests: the student's copy doesn't either.
            cell.source = cell.source.split("\n### BEGIN HIDDEN TESTS")[0]
    return nb


def make_toy_course(root: Path, students: dict[str, str] | None = None) -> dict:
    """Write a toy course into root. students: name -> kind ('full'|'wrong'|'stub'|'malformed').

    Returns {"lessons", "students", "submissions": Path, "expected": {(student, lesson): score}}.
    """
    root = Path(root)
    students = students or {
        "alice": "full",
        "bob": "wrong",
        "carol": "stub",
        "dave": "full",
    }
    for lesson in TOY_LESSONS:
        d = root / "source" / lesson
        d.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(lesson), d / f"{lesson}.ipynb")
    subs = root / "incoming"
    expected = {}
    for student, kind in students.items():
        for lesson in TOY_LESSONS:
            d = subs / student / lesson
            d.mkdir(parents=True, exist_ok=True)
            path = d / f"{lesson}.ipynb"
            if kind == "malformed":
                path.write_text('{"cells": [ this is not json')
            else:
                nbformat.write(_student_notebook(lesson, kind), path)
            (d / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
            total = sum(e[4] for e in _EXERCISES[lesson])
            expected[(student, lesson)] = float(total) if kind in ("full", "snoop") else 0.0
    return {
        "lessons": list(TOY_LESSONS),
        "students": sorted(students),
        "submissions": subs,
        "expected": expected,
    }
