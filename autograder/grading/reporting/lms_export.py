"""Grades in the files an LMS imports: the Canvas gradebook CSV and the Moodle grade import CSV.

A roster CSV maps nbgrader student ids to the LMS's ids; one row per student, header row with
``student`` (the nbgrader id, required) and any of ``name``, ``canvas_id``, ``sis_user_id``,
``sis_login_id``, ``section``, ``email``, ``idnumber``.

Canvas (Grades > Import): header ``Student,ID,SIS User ID,SIS Login ID,Section,<lesson>...``,
then the ``Points Possible`` row (the five identity columns empty), then a row per student. Canvas
matches rows on ID, SIS User ID or SIS Login ID; a lesson column without a Canvas id in
parentheses creates that assignment on import.

Moodle (Grades > Import > CSV file): a header row with the identifier column (``Email address``
or ``ID number``, mapped to the user field of the same name on import) and one column per lesson.

A gradebook student missing from the roster cannot be matched by the LMS: they are not silently
dropped but reported (``Export.unmatched``) and written with their grades to
``<output stem>-unmatched.csv`` next to the export; roster students without any grade are
reported too (``Export.ungraded``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.config import GradingError
from autograder.grading.reporting.export import Grades, _fmt

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number"}
ROSTER_FIELDS = (
    "student",
    "name",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
    "email",
    "idnumber",
)


@dataclass
class Export:
    path: Path
    rows: int
    unmatched: list[str] = field(default_factory=list)  # graded, not in the roster
    ungraded: list[str] = field(default_factory=list)  # in the roster, no grade
    unmatched_path: Path | None = None


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """nbgrader id -> roster row (all ROSTER_FIELDS, "" when absent). Bad files: GradingError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise GradingError(f"roster {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "student" not in header:
        raise GradingError(f"roster {path}: no 'student' column (the nbgrader student id)")
    roster: dict[str, dict[str, str]] = {}
    for lineno, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        sid = row.get("student", "")
        if not sid:
            raise GradingError(f"roster {path}: line {lineno} has no student id")
        if sid in roster:
            raise GradingError(f"roster {path}: student {sid!r} listed twice (line {lineno})")
        roster[sid] = {f: row.get(f, "") for f in ROSTER_FIELDS}
    return roster


def _score(g: Grades, student: str, lesson: str) -> str:
    sc = g.scores.get((student, lesson))
    return "" if sc is None else _fmt(sc)


def _split(g: Grades, roster: dict[str, dict[str, str]]) -> tuple[list[str], list[str], list[str]]:
    graded = [s for s in g.students if any(g.scores.get((s, x)) is not None for x in g.lessons)]
    matched = [s for s in g.students if s in roster]
    unmatched = [s for s in g.students if s not in roster]
    ungraded = [s for s in roster if s not in graded]
    return matched, unmatched, ungraded


def _write_unmatched(g: Grades, students: list[str], out: Path) -> Path | None:
    if not students:
        return None
    path = out.with_name(f"{out.stem}-unmatched.csv")
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", *g.lessons])
        for s in students:
            w.writerow([s, *(_score(g, s, x) for x in g.lessons)])
    return path


def write_canvas(g: Grades, roster: dict[str, dict[str, str]], path: Path) -> Export:
    """The Canvas gradebook import CSV: a column per lesson, the Points Possible row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    matched, unmatched, ungraded = _split(g, roster)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*CANVAS_IDENTITY, *g.lessons])
        w.writerow([CANVAS_POINTS_ROW, "", "", "", "", *(_fmt(g.lesson_max[x]) for x in g.lessons)])
        for s in matched:
            r = roster[s]
            identity = [
                r["name"] or s,
                r["canvas_id"],
                r["sis_user_id"],
                r["sis_login_id"],
                r["section"],
            ]
            w.writerow([*identity, *(_score(g, s, x) for x in g.lessons)])
    return Export(path, len(matched), unmatched, ungraded, _write_unmatched(g, unmatched, path))


def write_moodle(
    g: Grades, roster: dict[str, dict[str, str]], path: Path, key: str = "email"
) -> Export:
    """The Moodle grade import CSV keyed by email address or ID number."""
    if key not in MOODLE_KEYS:
        raise GradingError(f"moodle key {key!r}: use one of {', '.join(MOODLE_KEYS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    matched, unmatched, ungraded = _split(g, roster)
    # A roster row without the key cannot be matched either: reported, not written blank.
    no_key = [s for s in matched if not roster[s][key]]
    matched = [s for s in matched if roster[s][key]]
    unmatched = [*unmatched, *no_key]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([MOODLE_KEYS[key], *g.lessons])
        for s in matched:
            w.writerow([roster[s][key], *(_score(g, s, x) for x in g.lessons)])
    return Export(path, len(matched), unmatched, ungraded, _write_unmatched(g, unmatched, path))
