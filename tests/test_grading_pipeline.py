"""backprop-grade end to end on real nbgrader (a toy two-lesson course, 5 students).

Parallel grades == stock nbgrader's grades (its own default autograde pipeline and Execute, no
preprocessor of ours, one process), CSV shape, feedback without hidden code (with a control
showing stock nbgrader's feedback leaks it), report PNG.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path

import pytest

from autograder.grading.cli import app as cli
from autograder.grading.config import default_db_url
from autograder.grading.reporting.export import read_grades
from autograder.tolerance import assert_data_close
from tests import toy_course as toy

pytestmark = pytest.mark.slow

STUDENTS = {"alice": "full", "bob": "wrong", "carol": "stub", "dave": "snoop", "eve": "malformed"}


def _grades(course: Path) -> dict:
    g = read_grades(default_db_url(course), course_dir=course)
    out = {("total", s, lesson): v for (s, lesson), v in g.scores.items()}
    out.update({(s, lesson, c): v for (s, lesson, c), v in g.cell_scores.items()})
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The toy course graded by `backprop-grade all` (2 workers)."""
    root = tmp_path_factory.mktemp("course")
    info = toy.make_toy_course(root, STUDENTS)
    rc = cli.main(
        [
            "--no-progress",
            "--course-dir",
            str(root),
            "all",
            "--from",
            str(info["submissions"]),
            "--workers",
            "2",
        ]
    )
    assert rc == 0
    return root, info


def test_parallel_grades_equal_expected_and_stock(graded, tmp_path):
    root, info = graded
    par = _grades(root)
    for (student, lesson), score in info["expected"].items():
        assert par[("total", student, lesson)] == score, (student, lesson)

    # Reference: stock nbgrader (tests/stock_nbgrader.py), same submissions, serially.
    from autograder.grading.cli.collect import collect_from, submitted_jobs
    from tests.stock_nbgrader import stock_autograde

    ref = tmp_path / "stock"
    shutil.copytree(root / "source", ref / "source")
    collect_from(ref, info["submissions"], info["lessons"])
    jobs = submitted_jobs(ref, info["lessons"])
    stock_autograde(ref, default_db_url(ref), info["lessons"], jobs)
    stock = _grades(ref)
    assert stock, "stock nbgrader graded nothing"
    assert_data_close({k: par[k] for k in stock}, stock)  # two runs: a tolerance, not ==
    # what stock nbgrader cannot grade at all (eve's malformed JSON: its autograde fails) we
    # score 0 instead of leaving no grade; nothing else differs
    extra = {k: v for k, v in par.items() if k not in stock}
    assert {k[1] if k[0] == "total" else k[0] for k in extra} <= {"eve"}, extra
    assert set(extra.values()) <= {0.0}


def test_csv_one_row_per_student_and_a_column_per_lesson_and_exercise(graded):
    root, info = graded
    rows = list(csv.reader((root / "reports" / "grades.csv").open()))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["student", "total", "max_total"]
    assert header[3:] == [
        "toy_a",
        "toy_a/ta_square",
        "toy_a/ta_mean",
        "toy_b",
        "toy_b/tb_relu",
    ]
    assert sorted(r[0] for r in body) == sorted(STUDENTS)
    alice = next(r for r in body if r[0] == "alice")
    assert alice[1:] == ["7", "7", "5", "2", "3", "2", "2"]
    bob = next(r for r in body if r[0] == "bob")
    assert bob[1] == "0"


def _visible_text(path: Path) -> str:
    text = path.read_text()
    text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def test_feedback_never_shows_hidden_tests(graded):
    root, _ = graded
    pages = sorted((root / "feedback").glob("*/*/*.html"))
    assert len(pages) >= 8  # 4 readable students x 2 lessons
    hidden = toy.hidden_lines()
    for page in pages:
        raw = page.read_text()
        visible = _visible_text(page)
        assert toy.HIDDEN_MARK not in raw, page
        for line in hidden:
            assert line not in visible, (page, line)
    # The feedback still says what failed: bob's visible test fails with an AssertionError.
    assert "AssertionError" in _visible_text(root / "feedback" / "bob" / "toy_a" / "toy_a.html")
    # dave's hook printed the cell sources: the visible line is there, the hidden ones are not.
    dave = _visible_text(root / "feedback" / "dave" / "toy_a" / "toy_a.html")
    assert "SNOOP" in dave and "[hidden test code]" in dave


def test_feedback_math_is_mathml_and_loads_nothing(graded):
    """Math is MathML in the page (no MathJax, no CDN): it renders offline and in JupyterLab's
    script-less HTML viewer. tests/browser/test_browser_feedback_offline.py looks at it."""
    root, _ = graded
    pages = sorted((root / "feedback").glob("*/*/*.html"))
    assert pages
    for page in pages:
        raw = page.read_text()
        assert raw.count("<math ") >= 3, page  # two inline formulas and one display
        assert f'alttext="{html.escape(toy.MATH_INLINE)}"' in raw
        assert 'display="block"' in raw
        assert "&amp;#" not in raw and "&&#" not in raw, "an entity escaped twice"
        assert not re.findall(r"<script[^>]+src=", raw), "the page loads no script"
        assert "cdnjs" not in raw and "latest.js?config" not in raw
        visible = _visible_text(page)
        assert "$" + toy.MATH_INLINE not in visible and "$$" not in visible
        assert "price = '$5 and $6'" in visible  # a code span is not math


def test_stock_feedback_leaks_hidden_tests(graded, tmp_path):
    """Control: without our preprocessors nbgrader's feedback contains the hidden tests."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.apps import NbGraderAPI
    from nbgrader.preprocessors import GetGrades

    from autograder.grading.config import build_config

    root, _ = graded
    cfg = build_config(root)
    cfg.NbGraderAPI.log_level = "WARN"
    cfg.CourseDirectory.feedback_directory = "feedback_stock"
    # nbgrader's own feedback preprocessors (the course config adds ours)
    cfg.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor]
    api = NbGraderAPI(config=cfg)
    assert api.generate_feedback("toy_a", "alice")["success"]
    page = root / "feedback_stock" / "alice" / "toy_a" / "toy_a.html"
    assert toy.HIDDEN_MARK in page.read_text()


def test_report_png_markdown_html(graded):
    root, _ = graded
    rep = root / "reports"
    png = (rep / "scores.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    md = (rep / "report.md").read_text()
    assert "| toy_a | ta_square | 2 | 0.80 | 40% |" in md  # alice + dave of 5 submitters
    assert "<table>" in (rep / "report.html").read_text()


def test_unreadable_notebook_is_reported_not_fatal(graded, capsys):
    root, _ = graded
    # eve's malformed notebooks were graded 0 (preflight or nbgrader), the class was not stopped.
    g = read_grades(default_db_url(root), course_dir=root)
    assert g.scores[("eve", "toy_a")] in (0.0, None)
    assert g.scores[("alice", "toy_a")] == 5.0
