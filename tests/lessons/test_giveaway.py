"""No instructor cell gives an exercise's solution away (tests/lessons/giveaway.py).

The detector must pass on every lesson, fail on a copy of lesson 05 as it was before the rewrite
(tests/data/lesson05_giveaways.ipynb: its demos held the seed's backward pass, a torch backward
and the nn.Linear model of exercise 5.5), catch a renamed copy of a solution, and accept a demo
that only calls the student's function.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.lessons import giveaway

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "source").glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.parent.name)
def test_no_instructor_cell_gives_a_solution_away(path):
    found = giveaway.find(path)
    assert not found, "instructor cells that contain an exercise's solution: " + "; ".join(
        f"{g.cell} holds {g.share:.0%} of {g.solution}" for g in found
    )


def test_detector_fails_on_the_old_lesson_05():
    old = REPO / "tests/data/lesson05_giveaways.ipynb"
    found = {(g.solution, g.cell) for g in giveaway.find(old)}
    assert ("l05_numpy_answer", "l05_train_plot") in found  # the seed's step: our backward pass
    assert ("l05_torch_by_hand_answer", "l05_seed_torch_copy") in found
    assert ("l05_autograd_answer", "l05_autograd_match") in found  # make_model


def _notebook(tmp_path, demo: str) -> Path:
    sol = nbformat.v4.new_code_cell(
        "def backward(X, dZ, W):\n    ### BEGIN SOLUTION\n    dW = X.T @ dZ\n"
        "    db = dZ.sum(axis=0)\n    dX = dZ @ W.T\n    return dX, dW, db\n    ### END SOLUTION"
    )
    sol.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "ex_answer"}
    cell = nbformat.v4.new_code_cell(demo)
    cell.metadata["nbgrader"] = {"solution": False, "grade": False, "grade_id": "demo"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[sol, cell]), str(path))
    return path


def test_a_renamed_copy_is_caught(tmp_path):
    demo = "G = dZ_batch.sum(axis=0)\nA = Xb.T @ dZ_batch\nB = dZ_batch @ Wb.T\nprint(A, B, G)"
    assert [g.cell for g in giveaway.find(_notebook(tmp_path, demo))] == ["demo"]


def test_calling_the_students_function_is_not_a_give_away(tmp_path):
    demo = "dX, dW, db = backward(X0, dZ0, W0)\nprint(dW.shape, db.sum())"
    assert giveaway.find(_notebook(tmp_path, demo)) == []
