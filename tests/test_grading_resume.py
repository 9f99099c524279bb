"""`autograde --resume` after an interrupted run grades only what is missing, and the grades
equal those of an uninterrupted run (the toy course's expected totals, from its exercise
points, not from the grader)."""

from __future__ import annotations

import pytest

from autograder.grading.cli import app as cli
from autograder.grading.config import default_db_url
from autograder.grading.reporting.export import read_grades
from tests import toy_course as toy

pytestmark = pytest.mark.slow

STUDENTS = {"alice": "full", "bob": "wrong", "carol": "stub", "dave": "full"}


def test_resume_grades_only_the_unfinished_submissions(tmp_path, capsys):
    root = tmp_path / "course"
    info = toy.make_toy_course(root, STUDENTS)
    base = ["--no-progress", "--course-dir", str(root)]
    assert cli.main([*base, "release"]) == 0
    assert cli.main([*base, "collect", "--from", str(info["submissions"])]) == 0
    assert cli.main([*base, "autograde", "--workers", "2"]) == 0
    # an interrupted run: two submissions never reached the end of their autograde
    lost = sorted(info["expected"])[:2]
    for student, lesson in lost:
        for nb in (root / "autograded" / student / lesson).glob("*.ipynb"):
            nb.unlink()
    capsys.readouterr()
    assert cli.main([*base, "autograde", "--workers", "2", "--resume"]) == 0
    assert f"autograded {len(lost)}/{len(lost)} submission(s)" in capsys.readouterr().out
    g = read_grades(default_db_url(root), course_dir=root)
    for key, score in info["expected"].items():
        assert g.scores[key] == score, key
    assert len(g.scores) == len(info["expected"])  # none counted twice
    # nothing left: a second resume grades nothing
    assert cli.main([*base, "autograde", "--resume"]) == 0
    assert "autograded 0/0 submission(s)" in capsys.readouterr().out
