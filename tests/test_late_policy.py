"""course.toml due dates, extensions and late penalty, applied by nbgrader's AssignLatePenalties.

Expected penalties are worked out by hand from the policy in COURSE_TOML (10 % per started day,
cap 30 %, zero after 5 days): the submissions are stamped 2026-01-01 12:00 UTC (harness.submit).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from autograder.grading.config import GradingError
from autograder.grading.scoring.late_policy import DAY, load_policy, set_due_dates
from tests.ci_guard import require

COURSE_TOML = """
[late]
penalty_per_day = 0.10
max_penalty = 0.30
hard_deadline_days = 5

[due]
attack01 = 2025-12-30T12:00:00Z   # the harness stamps submissions 2026-01-01 12:00 UTC: 2 days

[extensions.extended]
attack01 = 3
"""


@pytest.fixture
def policy(tmp_path):
    (tmp_path / "course.toml").write_text(COURSE_TOML)
    return load_policy(tmp_path / "course.toml")


@pytest.mark.parametrize(
    ("student", "days", "want"),
    [
        ("late", 0.5, 0.10),  # a started day counts
        ("late", 2.0, 0.20),
        ("late", 3.5, 0.30),  # 40 % capped at 30 %
        ("late", 5.5, 1.00),  # past the hard deadline: everything
        ("extended", 2.0, 0.0),  # within the 3-day extension
        ("extended", 4.5, 0.20),  # 1.5 days past the extended date
        ("extended", 8.5, 1.00),  # 5.5 days past it
    ],
)
def test_penalty_fraction(policy, student, days, want):
    assert policy.penalty_fraction(student, "attack01", days * DAY) == pytest.approx(want)


def test_no_file_no_policy(tmp_path):
    assert load_policy(tmp_path / "course.toml") is None


def test_bad_file_is_one_line(tmp_path):
    (tmp_path / "course.toml").write_text("[due]\nattack01 = 'next tuesday'\n")
    with pytest.raises(GradingError) as err:
        load_policy(tmp_path / "course.toml")
    assert "\n" not in str(err.value) and "course.toml" in str(err.value)


@pytest.mark.slow
def test_autograde_late_loses_penalty_extended_does_not(tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).parent / "attacks"))
    import harness as H
    from nbgrader.api import Gradebook

    require(os.geteuid() == 0, "the sandboxed kernel needs a root grader")
    require(shutil.which("bwrap") is not None, "bubblewrap is not installed")
    course, c = H.new_course(tmp_path_factory.mktemp("late"))
    (course / "course.toml").write_text(COURSE_TOML)
    set_due_dates(c.CourseDirectory.db_url, load_policy(course / "course.toml"), "attack")
    for student in ("ontime", "late", "extended"):
        H.submit(course, student, H.honest(course))
    # ontime: the same notebook stamped before the due date
    (course / "submitted" / "ontime" / H.ASSIGNMENT / "timestamp.txt").write_text(
        "2025-12-29 12:00:00.000000 UTC"
    )
    run = H.autograde(course, c, preflight=False)
    assert run["error"] is None
    with Gradebook(c.CourseDirectory.db_url, "attack") as gb:
        got = {}
        for s in ("ontime", "late", "extended"):
            sub = gb.find_submission(H.ASSIGNMENT, s)
            got[s] = (sub.code_score, sub.late_submission_penalty, sub.score)
    full = 4.0  # l01_relu 2 + l01_neuron_forward 2, honest answers
    assert got["ontime"] == (full, 0.0, full)
    assert got["extended"] == (full, 0.0, full)
    assert got["late"][0] == full and got["late"][1] == pytest.approx(0.2 * full)
    # nbgrader keeps the penalty apart from the score (read_grades reports the difference)
    assert got["late"][2] == full


def test_release_shows_due_date_and_sets_gradebook(tmp_path, capsys):
    """backprop-grade release with a course.toml: the due date heads the released notebook
    (an untagged-for-nbgrader markdown cell) and is the assignment's due date in the gradebook."""
    import datetime as dt

    import nbformat
    from nbgrader.api import Gradebook

    from autograder.grading.cli import app as cli
    from tests import toy_course as toy

    info = toy.make_toy_course(tmp_path, {"alice": "full"})
    lesson = info["lessons"][0]
    (tmp_path / "course.toml").write_text(
        f"[late]\npenalty_per_day = 0.1\nmax_penalty = 0.5\nhard_deadline_days = 7\n"
        f'[due]\n"{lesson}" = 2026-01-12T23:59:00Z\n'
    )
    assert cli.main(["--no-progress", "--course-dir", str(tmp_path), "release", lesson]) == 0
    nb = nbformat.read(tmp_path / "release" / lesson / f"{lesson}.ipynb", as_version=4)
    top = nb.cells[0]
    assert top.cell_type == "markdown" and "nbgrader" not in top.metadata
    assert top.source.startswith("**Due: Monday 12 January 2026, 23:59 UTC.**"), top.source
    assert "10 % per started day, at most 50 %" in top.source and "7 day(s)" in top.source
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "backprop") as gb:
        assert gb.find_assignment(lesson).duedate == dt.datetime(2026, 1, 12, 23, 59)
