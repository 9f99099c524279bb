"""The real lesson 01 (source/01_single_neuron) through the whole grading pipeline with the
sandbox: an honest student (the source's own solutions) gets full marks, the bundled hostile
example (examples/hostile/mallory) gets 0 and is reported, the run finishes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

from tests.ci_guard import require  # noqa: E402

pytestmark = pytest.mark.slow
LESSON = "01_single_neuron"
SOURCE = H.REPO / "source" / LESSON
HOSTILE = H.REPO / "examples" / "hostile" / "mallory" / LESSON / f"{LESSON}.ipynb"
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION.*\n?", re.M)


def _solutions_filled(course):
    src = nbformat.read(SOURCE / f"{LESSON}.ipynb", as_version=4)
    nb = H.release_nb(course, LESSON)
    for s in src.cells:
        md = s.metadata.get("nbgrader", {})
        if md.get("solution") and s.cell_type == "code":
            H.answer(nb, md["grade_id"], _MARKER.sub("", s.source))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require(
        (SOURCE / f"{LESSON}.ipynb").exists() and HOSTILE.exists(),
        "lesson 01 source or the hostile example is missing",
        hint="both are committed: is the checkout complete?",
    )
    course, c = H.new_course(
        tmp_path_factory.mktemp("lesson01"), assignment=LESSON, source=SOURCE, timeout=60
    )
    H.submit(course, "honest", _solutions_filled(course), assignment=LESSON)
    H.submit(course, "mallory", nbformat.read(HOSTILE, as_version=4), assignment=LESSON)
    run = H.autograde(course, c, assignment=LESSON)
    return course, c, run, H.scores(course, c, LESSON)


def _written() -> set[str]:
    """The manually graded written answers of the lesson (markdown grade cells)."""
    nb = nbformat.read(SOURCE / f"{LESSON}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    }


def test_honest_full_marks_on_every_exercise(graded):
    course, c, run, scores = graded
    assert run["error"] is None
    auto = {
        k: v for k, v in scores["honest"].items() if k.startswith("l01_") and k not in _written()
    }
    assert auto == {
        "l01_relu": 2.0,
        "l01_neuron_forward": 2.0,
        "l01_neuron_backward": 3.0,
        "l01_train": 3.0,
    }


def test_hostile_example_scores_zero_and_is_reported(graded):
    course, c, run, scores = graded
    auto = {k: v for k, v in scores["mallory"].items() if k not in _written()}
    assert set(auto) == {"l01_relu", "l01_neuron_forward", "l01_neuron_backward", "l01_train"}
    assert sum(auto.values()) == 0.0
    codes = H.codes_of(course, "mallory", LESSON)
    assert {
        "duplicate_cell",
        "edited_cell",
        "metadata_edited",
        "tags_edited",
        "unknown_graded_cell",
        "forbidden_import",
        "forbidden_autograd",
        "suspicious",
    } <= codes
    assert not (H.REPO / "pwned.txt").exists()
