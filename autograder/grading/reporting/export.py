"""Grades out of nbgrader's gradebook: one table, and a CSV with one row per student.

CSV columns: `student`, `total`, `max_total`, then for each lesson `<lesson>` (its score after
any late penalty, empty when nothing was submitted) followed by one `<lesson>/<exercise>` column
per graded cell (autograded tests and manually graded answers, in notebook order).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.config import COURSE_ID, LESSONS


@dataclass
class Grades:
    lessons: list[str]
    students: list[str]
    exercises: dict[str, list[str]]  # lesson -> grade ids, notebook order
    max_points: dict[tuple[str, str], float]  # (lesson, grade_id) -> points
    lesson_max: dict[str, float]
    scores: dict[tuple[str, str], float | None] = field(default_factory=dict)  # (student, lesson)
    cell_scores: dict[tuple[str, str, str], float | None] = field(default_factory=dict)
    needs_manual: dict[tuple[str, str], bool] = field(default_factory=dict)
    # (student, lesson) -> points taken off for lateness (already out of `scores`)
    late_penalty: dict[tuple[str, str], float] = field(default_factory=dict)

    def total(self, student: str) -> float:
        return sum(self.scores.get((student, lesson)) or 0.0 for lesson in self.lessons)

    @property
    def max_total(self) -> float:
        return sum(self.lesson_max.values())


def _lesson_order(names):
    order = {n: i for i, n in enumerate(LESSONS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def _source_order(course_dir: Path | None, lesson: str) -> dict[str, int]:
    """grade_id -> position in the lesson's source notebook(s) (the DB keeps no order)."""
    import json

    order: dict[str, int] = {}
    if course_dir is None:
        return order
    for path in sorted((Path(course_dir) / "source" / lesson).glob("*.ipynb")):
        try:
            cells = json.loads(path.read_text()).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid and gid not in order:
                order[gid] = len(order)
    return order


def read_grades(
    db_url: str, lessons: list[str] | None = None, course_dir: Path | None = None
) -> Grades:
    """Everything the export/report needs, read once from the gradebook (SQLite or PostgreSQL)."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.grading.config import normalize_db_url

    db_url = normalize_db_url(db_url)
    with Gradebook(db_url, COURSE_ID) as gb:
        names = _lesson_order([a.name for a in gb.assignments])
        if lessons:
            names = [n for n in names if n in lessons]
        exercises: dict[str, list[str]] = {}
        max_points: dict[tuple[str, str], float] = {}
        lesson_max: dict[str, float] = {}
        for name in names:
            a = gb.find_assignment(name)
            ids = []
            for nb in a.notebooks:
                for gc in nb.grade_cells:
                    ids.append(gc.name)
                    max_points[(name, gc.name)] = float(gc.max_score)
            order = _source_order(course_dir, name)
            exercises[name] = sorted(ids, key=lambda n: (order.get(n, 10**6), n))
            lesson_max[name] = float(a.max_score)
        students = sorted(s.id for s in gb.students)
        g = Grades(names, students, exercises, max_points, lesson_max)
        for s in students:
            for name in names:
                try:
                    sub = gb.find_submission(name, s)
                except MissingEntry:
                    g.scores[(s, name)] = None
                    continue
                # nbgrader keeps the late penalty apart from the score: the grade is the
                # difference (as in nbgrader's own CSV export).
                penalty = float(sub.late_submission_penalty or 0.0)
                g.scores[(s, name)] = float(sub.score) - penalty
                if penalty:
                    g.late_penalty[(s, name)] = penalty
                g.needs_manual[(s, name)] = bool(sub.needs_manual_grade)
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        g.cell_scores[(s, name, grade.name)] = (
                            None if grade.score is None else float(grade.score)
                        )
    return g


def write_csv(g: Grades, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["student", "total", "max_total"]
    for lesson in g.lessons:
        header.append(lesson)
        header += [f"{lesson}/{ex}" for ex in g.exercises[lesson]]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for s in g.students:
            row = [s, _fmt(g.total(s)), _fmt(g.max_total)]
            for lesson in g.lessons:
                sc = g.scores.get((s, lesson))
                row.append("" if sc is None else _fmt(sc))
                for ex in g.exercises[lesson]:
                    v = g.cell_scores.get((s, lesson, ex))
                    row.append("" if v is None else _fmt(v))
            w.writerow(row)
    return path


def _fmt(x: float) -> str:
    return f"{x:g}"
