"""nbgrader's own Validator (what the Validate button runs) on release notebooks, both ways:
the solutions filled in pass on every test cell; one wrong answer fails on exactly its cell.

Validation sets NBGRADER_EXECUTION=validate: check() must keep raising on a wrong answer there
(only autograde silences it) and must never raise on a right one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LESSON = "02_dense_layer"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _filled(wrong: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The committed release notebook with the source's solutions (or ``wrong`` sources)."""
    src = nbformat.read(REPO / "source" / LESSON / f"{LESSON}.ipynb", as_version=4)
    solutions = {
        _nbg(c)["grade_id"]: MARKER.sub("", c.source) for c in src.cells if _nbg(c).get("solution")
    }
    nb = nbformat.read(REPO / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id")
        if _nbg(cell).get("solution"):  # code answers and written (markdown) answers
            cell.source = (wrong or {}).get(gid, solutions[gid])
    return nb


def _validate(nb, tmp_path: Path) -> dict:
    from nbgrader.validator import Validator
    from traitlets.config import Config

    work = tmp_path / LESSON
    shutil.copytree(REPO / "release" / LESSON, work)
    path = work / f"{LESSON}.ipynb"
    nbformat.write(nb, path)
    c = Config()
    c.Execute.kernel_name = "python3"
    c.Execute.timeout = 120
    return Validator(config=c).validate(str(path))


def _test_ids(nb) -> list[str]:
    return [
        _nbg(c)["grade_id"]
        for c in nb.cells
        if _nbg(c).get("grade") and not _nbg(c).get("solution")
    ]


def test_right_answers_pass_validation(tmp_path):
    nb = _filled()
    assert _test_ids(nb), "no test cells"
    res = _validate(nb, tmp_path)
    assert res == {}, res.get("failed", res)


def test_one_wrong_answer_fails_its_cell_only(tmp_path):
    src = nbformat.read(REPO / "source" / LESSON / f"{LESSON}.ipynb", as_version=4)
    answer_of_batch = None
    cells = src.cells
    test_at = next(i for i, c in enumerate(cells) if _nbg(c).get("grade_id") == "l02_batch")
    answer_of_batch = next(
        _nbg(cells[i])["grade_id"]
        for i in range(test_at - 1, -1, -1)
        if _nbg(cells[i]).get("solution")
    )
    wrong = "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ\n"  # db not summed
    res = _validate(_filled({answer_of_batch: wrong}), tmp_path)
    failed = res.get("failed", [])
    assert len(failed) == 1, res
    assert 'check("l02_batch"' in failed[0]["source"], failed[0]["source"]
    assert "CheckFailed" in failed[0]["raw_error"] and "db" in failed[0]["raw_error"]
