"""Category 6 (bad input): malformed, mis-encoded, renamed or missing notebooks, bad timestamps,
stray files, empty submissions. preflight() repairs what it can; the run always finishes, the
affected notebook scores 0 when nothing usable is left, and everything is flagged."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

from autograder.grading.integrity import build_report, preflight  # noqa: E402

NB = f"{H.ASSIGNMENT}.ipynb"
FULL = {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
ZERO = {"l01_relu": 0.0, "l01_neuron_forward": 0.0}


def _honest_text(course) -> str:
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", "# relu, écrite à la main\n" + H.RELU_OK)
    return nbformat.writes(nb)


def _build(course):
    """{student: (scores expected, flag code expected)}; writes the submissions."""
    expect = {}
    H.submit(course, "honest", H.honest(course))
    expect["honest"] = (FULL, None)

    d = H.submit(course, "malformed_json")
    (d / NB).write_text('{"cells": [{"cell_type": "code", "source": "def relu(')
    expect["malformed_json"] = (ZERO, "malformed_notebook")

    d = H.submit(course, "utf16")
    (d / NB).write_bytes(_honest_text(course).encode("utf-16"))
    expect["utf16"] = (FULL, "reencoded_notebook")

    d = H.submit(course, "latin1")
    (d / NB).write_bytes(_honest_text(course).encode("latin-1"))
    expect["latin1"] = (FULL, "reencoded_notebook")

    d = H.submit(course, "renamed")
    nbformat.write(H.honest(course), d / "attack01 (1).ipynb")
    expect["renamed"] = (FULL, "renamed_notebook")

    H.submit(course, "empty")  # a timestamp and nothing else
    expect["empty"] = (ZERO, "empty_submission")

    d = H.submit(course, "bad_timestamp", H.honest(course))
    (d / "timestamp.txt").write_text("last tuesday-ish, UTC+banana")
    expect["bad_timestamp"] = (FULL, "bad_timestamp")

    d = H.submit(course, "binary_timestamp", H.honest(course))
    (d / "timestamp.txt").write_bytes(b"\xff\xfe\x00\x80garbage")
    expect["binary_timestamp"] = (FULL, "bad_timestamp")

    d = H.submit(
        course,
        "stray",
        H.honest(course),
        files={
            "numpy.py": "raise SystemExit('shadowed numpy')\n",
            "autograder/__init__.py": "",
            "autograder/student/__init__.py": "def check(*a): pass\ndef record(*a): pass\n",
            "notes/readme.txt": "my notes",
        },
    )
    os.symlink(course / "gradebook.db", d / "data.db")
    os.symlink("/etc/passwd", d / "notes" / "passwd")
    os.mkfifo(d / "pipe")
    expect["stray"] = (FULL, "symlink_removed")

    d = H.submit(course, "schema_invalid")
    data = json.loads(nbformat.writes(H.honest(course)))
    for cell in data["cells"]:
        cell.pop("outputs", None)  # invalid v4: code cells need outputs
        cell["bogus"] = 1
    (d / NB).write_text(json.dumps(data))
    expect["schema_invalid"] = (FULL, "malformed_notebook")
    return expect


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course, c = H.new_course(tmp_path_factory.mktemp("badinput"))
    expect = _build(course)
    run = H.autograde(course, c)
    return course, c, run, H.scores(course, c), expect


@pytest.mark.slow
def test_run_finishes(graded):
    course, c, run, scores, expect = graded
    assert run["error"] is None
    assert set(scores) == set(expect)


@pytest.mark.slow
@pytest.mark.parametrize(
    "student",
    [
        "honest",
        "malformed_json",
        "utf16",
        "latin1",
        "renamed",
        "empty",
        "bad_timestamp",
        "binary_timestamp",
        "stray",
        "schema_invalid",
    ],
)
def test_each_bad_input(graded, student):
    course, c, run, scores, expect = graded
    want_scores, want_code = expect[student]
    assert scores[student] == want_scores
    codes = H.codes_of(course, student)
    if want_code is None:
        assert codes == set()
    else:
        assert want_code in codes


@pytest.mark.slow
def test_stray_files_never_reach_the_grading(graded):
    course, *_ = graded
    out = course / "autograded" / "stray" / H.ASSIGNMENT
    assert not (out / "data.db").exists()
    assert not (out / "numpy.py").exists() and not (out / "autograder").exists()
    codes = H.codes_of(course, "stray")
    assert {"symlink_removed", "shadowing_file_removed", "stray_file"} <= codes
    data = build_report(course)
    assert "stray" in data[H.ASSIGNMENT]


@pytest.mark.slow
def test_stock_nbgrader_crashes_on_a_bad_timestamp(tmp_path):
    """Why preflight exists: without it the bad timestamp fails that student's grading."""
    course, c = H.new_course(tmp_path)
    d = H.submit(course, "bad_timestamp", H.honest(course))
    (d / "timestamp.txt").write_text("last tuesday-ish, UTC+banana")
    run = H.autograde(course, c, preflight=False)
    assert run["error"] is not None
    assert (
        "bad_timestamp" not in H.scores(course, c) or H.scores(course, c)["bad_timestamp"] != FULL
    )


# --- preflight units (no kernel) ------------------------------------------------------------
def _sub(tmp_path) -> Path:
    d = tmp_path / "submitted" / "s1" / "a1"
    d.mkdir(parents=True)
    return d


def _valid_nb_text() -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 'é'")])
    return nbformat.writes(nb)


def test_preflight_clean_submission_untouched(tmp_path):
    d = _sub(tmp_path)
    (d / "a1.ipynb").write_text(_valid_nb_text())
    (d / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    before = H.tree_hash(d)
    assert preflight(d, ["a1"]) == (False, [])
    assert H.tree_hash(d) == before


@pytest.mark.parametrize(
    "content",
    [b"yesterday", b"2026-13-45 99:99:99 UTC", b"\xff\xfe\x00", b"0001-01-01 00:00:00 UTC"],
)
def test_preflight_moves_bad_timestamps_aside(tmp_path, content):
    from nbgrader.coursedir import CourseDirectory

    d = _sub(tmp_path)
    (d / "a1.ipynb").write_text(_valid_nb_text())
    (d / "timestamp.txt").write_bytes(content)
    fixed, flags = preflight(d, ["a1"])
    assert fixed and [f["code"] for f in flags] == ["bad_timestamp"]
    assert not (d / "timestamp.txt").exists()
    assert CourseDirectory().get_existing_timestamp(str(d)) is None  # nbgrader now copes


def test_preflight_unknown_timezone_is_kept_when_nbgrader_parses_it(tmp_path):
    d = _sub(tmp_path)
    (d / "a1.ipynb").write_text(_valid_nb_text())
    (d / "timestamp.txt").write_text("2026-01-01 12:00:00 Mars/Olympus")  # read as UTC
    assert preflight(d, ["a1"])[0] is False


def test_preflight_missing_dir_is_an_empty_submission(tmp_path):
    fixed, flags = preflight(tmp_path / "nope", ["a1"])
    assert not fixed and flags[0]["code"] == "empty_submission"


def test_preflight_writes_a_fragment_for_the_report(tmp_path):
    d = _sub(tmp_path)
    (d / "timestamp.txt").write_text("garbage")
    (d / "a1.ipynb").write_text("not json")
    preflight(d, ["a1"], course_dir=tmp_path)
    frag = tmp_path / "integrity" / "a1" / "s1" / "_preflight.json"
    codes = {f["code"] for f in json.loads(frag.read_text())["flags"]}
    assert codes == {"bad_timestamp", "malformed_notebook"}
    assert (d / "a1.ipynb.broken").exists()
    assert not (tmp_path / "integrity" / "report.md").exists()
    build_report(tmp_path)
    assert "malformed_notebook" in (tmp_path / "integrity" / "report.md").read_text()
