"""Category 1 (tampering with the notebook), end to end: one nbgrader Autograde run over a class
of tampering students plus an honest one, with the real sandbox; scores from the gradebook.

Wrong answers stay wrong whatever is done to the test cells, right answers stay right, the run
never aborts (stock nbgrader aborts the whole class on a duplicate grade_id or an edited
schema_version: shown at the end), and every tampering is in the integrity report.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

pytestmark = pytest.mark.slow

RELU_WRONG = "def relu(z):\n    return z\n\n\ndef relu_derivative(z):\n    return z * 0 + 1.0\n"


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _wrong(course):
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", RELU_WRONG)
    return nb


def _build(course):
    subs = {"honest": H.honest(course)}

    nb = _wrong(course)
    _cell(nb, "l01_relu").source = 'print("All tests passed!")\n2.0'
    subs["edit_test"] = nb

    nb = _wrong(course)
    nb.cells.remove(_cell(nb, "l01_relu"))
    subs["delete_test"] = nb

    nb = _wrong(course)  # duplicate grade ids: stock nbgrader aborts the whole run
    dup = copy.deepcopy(_cell(nb, "l01_relu"))
    dup.source = "2.0"
    nb.cells.insert(0, dup)
    subs["duplicate_ids"] = nb

    nb = _wrong(course)  # edited schema version: stock nbgrader aborts the whole run
    _cell(nb, "l01_relu").metadata.nbgrader.schema_version = 1
    _cell(nb, "l01_relu").metadata.nbgrader.points = 200
    subs["schema_points"] = nb

    nb = _wrong(course)
    t = _cell(nb, "l01_relu")
    t.cell_type = "markdown"
    t.pop("outputs")
    t.pop("execution_count")
    subs["markdownify"] = nb

    nb = H.honest(course)  # right answers, cells shuffled: source order restored, full marks
    nb.cells = nb.cells[::-1]
    subs["reorder_right"] = nb

    nb = _wrong(course)  # stock nbclient skips cells tagged "skip-execution": no output = full
    for gid in ("l01_relu", "l01_neuron_forward"):
        _cell(nb, gid).metadata.tags = ["skip-execution", "raises-exception"]
    subs["skip_tags"] = nb

    nb = _wrong(course)  # forged extra graded cell + harmless plain extra cells
    fake = nbformat.v4.new_code_cell("100.0")
    fake.metadata.nbgrader = {
        "grade": True,
        "grade_id": "bonus",
        "points": 100,
        "locked": True,
        "solution": False,
        "schema_version": 3,
    }
    nb.cells.append(fake)
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("my notes"))
    nb.cells.insert(3, nbformat.v4.new_code_cell("helper = 41 + 1"))
    subs["extra_cells"] = nb
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course, c = H.new_course(tmp_path_factory.mktemp("tamper"))
    for student, nb in _build(course).items():
        H.submit(course, student, nb)
    run = H.autograde(course, c)
    return course, c, run, H.scores(course, c)


def test_run_finishes_and_honest_student_has_full_marks(graded):
    course, c, run, scores = graded
    assert run["error"] is None
    assert scores["honest"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    assert not {f["code"] for f in H.flags_of(course, "honest")}


@pytest.mark.parametrize(
    "student, code",
    [
        ("edit_test", "edited_cell"),
        ("delete_test", "missing_cell"),
        ("duplicate_ids", "duplicate_cell"),
        ("schema_points", "metadata_edited"),
        ("markdownify", "cell_type_changed"),
        ("skip_tags", "tags_edited"),
        ("extra_cells", "unknown_graded_cell"),
    ],
)
def test_tampering_gains_nothing_and_is_flagged(graded, student, code):
    course, c, run, scores = graded
    # relu is wrong: 0 of 2, whatever was done to its test cell; neuron_forward is right: 2
    assert scores[student] == {"l01_relu": 0.0, "l01_neuron_forward": 2.0}
    assert code in H.codes_of(course, student)


def test_reordered_right_answers_keep_full_marks(graded):
    course, c, run, scores = graded
    assert scores["reorder_right"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    assert "reordered" in H.codes_of(course, "reorder_right")


def test_max_score_comes_from_the_source(graded):
    from nbgrader.api import Gradebook

    course, c, run, scores = graded
    with Gradebook(c.CourseDirectory.db_url, "attack") as gb:
        for student in ("schema_points", "extra_cells", "honest"):
            sub = gb.find_submission_notebook(H.ASSIGNMENT, H.ASSIGNMENT, student)
            assert sub.max_score == 4.0


def test_integrity_report_written(graded):
    from autograder.grading.integrity import build_report

    course, *_ = graded
    data = build_report(course)
    md = (course / "integrity" / "report.md").read_text()
    assert "duplicate_ids" in data[H.ASSIGNMENT]
    assert "`duplicate_cell`" in md and "### edit_test" in md
    assert "### honest" not in md


def test_stock_sanitizers_abort_the_class_on_duplicate_ids(tmp_path):
    """The defence matters: without CanonicalizeSubmission the same class aborts."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    course, c = H.new_course(tmp_path)
    c.Autograde.sanitize_preprocessors = [
        ClearOutput,
        DeduplicateIds,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ]
    subs = _build(course)
    H.submit(course, "duplicate_ids", subs["duplicate_ids"])
    H.submit(course, "zz_honest", subs["honest"])
    run = H.autograde(course, c)
    assert run["error"] is not None
    assert "zz_honest" not in H.scores(course, c) or H.scores(course, c)["zz_honest"] != {
        "l01_relu": 2.0,
        "l01_neuron_forward": 2.0,
    }
