"""Canvas and Moodle import files, checked against the layouts their documentation gives.

Canvas (community guide "How do I import grades in the Gradebook?"): first row
``Student,ID,SIS User ID,SIS Login ID,Section,<assignments>``, second row ``Points Possible``
with the identity columns empty, then one row per student. Moodle (docs "Grade import", CSV):
one header row with the identifier column and one column per grade item, one row per user.
The expected rows below are written out by hand from those layouts.
"""

from __future__ import annotations

import csv

import pytest

from autograder.grading.cli import app as cli
from autograder.grading.config import GradingError
from autograder.grading.reporting import lms_export as L
from autograder.grading.reporting.export import Grades

LESSONS = ["01_single_neuron", "02_dense_layer"]


def _grades() -> Grades:
    g = Grades(
        lessons=LESSONS,
        students=["ada", "ben", "zoe"],
        exercises={x: [] for x in LESSONS},
        max_points={},
        lesson_max={"01_single_neuron": 12.0, "02_dense_layer": 10.0},
    )
    g.scores = {
        ("ada", "01_single_neuron"): 12.0,
        ("ada", "02_dense_layer"): 7.5,
        ("ben", "01_single_neuron"): 3.0,
        ("ben", "02_dense_layer"): None,  # not submitted
        ("zoe", "01_single_neuron"): 9.0,
        ("zoe", "02_dense_layer"): 10.0,
    }
    return g


ROSTER = """student,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber
ada,"Lovelace, Ada",101,S0001,ada@uni.example,Sec A,ada@uni.example,0001
ben,Ben Bit,102,S0002,ben@uni.example,Sec B,ben@uni.example,
cleo,Cleo Late,103,S0003,cleo@uni.example,Sec A,cleo@uni.example,0003
"""


@pytest.fixture
def roster(tmp_path):
    p = tmp_path / "roster.csv"
    p.write_text(ROSTER)
    return L.read_roster(p)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_canvas_layout(tmp_path, roster):
    res = L.write_canvas(_grades(), roster, tmp_path / "canvas.csv")
    assert _rows(res.path) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *LESSONS],
        ["Points Possible", "", "", "", "", "12", "10"],
        ["Lovelace, Ada", "101", "S0001", "ada@uni.example", "Sec A", "12", "7.5"],
        ["Ben Bit", "102", "S0002", "ben@uni.example", "Sec B", "3", ""],
    ]
    # zoe is graded but not in the roster: reported and kept, never dropped silently
    assert res.unmatched == ["zoe"] and res.ungraded == ["cleo"]
    assert _rows(res.unmatched_path) == [["student", *LESSONS], ["zoe", "9", "10"]]


@pytest.mark.parametrize(
    ("key", "header", "rows", "unmatched"),
    [
        ("email", "Email address", [["ada@uni.example", "12", "7.5"], ["ben@uni.example", "3", ""]],
         ["zoe"]),
        ("idnumber", "ID number", [["0001", "12", "7.5"]], ["zoe", "ben"]),  # ben: no idnumber
    ],
)  # fmt: skip
def test_moodle_layout(tmp_path, roster, key, header, rows, unmatched):
    res = L.write_moodle(_grades(), roster, tmp_path / "moodle.csv", key)
    assert _rows(res.path) == [[header, *LESSONS], *rows]
    assert res.unmatched == unmatched and res.rows == len(rows)


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("name,email\nAda,a@x\n", "no 'student' column"),
        ("student,email\nada,a@x\nada,b@x\n", "listed twice"),
        ("student,email\n,a@x\n", "line 2 has no student id"),
    ],
)
def test_bad_roster_is_one_line(tmp_path, text, msg):
    p = tmp_path / "r.csv"
    p.write_text(text)
    with pytest.raises(GradingError, match=msg) as err:
        L.read_roster(p)
    assert "\n" not in str(err.value)


def test_cli_lms_format_needs_roster(tmp_path, capsys):
    from tests import toy_course as toy

    toy.make_toy_course(tmp_path, {"alice": "full"})
    rc = cli.main(["--no-progress", "--course-dir", str(tmp_path), "export", "--format", "canvas"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "needs --roster" in err[0], err
