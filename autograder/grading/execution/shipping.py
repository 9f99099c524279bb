"""What a Dask task carries and returns, so that workers need no shared filesystem.

Client side: `course_bundle` packs what a worker cannot find locally (the course's own
nbgrader_config.py and course.toml, the lessons' source/ trees, and the assignment, notebook and
cell definitions `generate_assignment` wrote into the gradebook); `pack_submission` reads one
submission into bytes; `store` writes a worker's answer into the real course folder and gradebook.

Worker side: `prepare_worker` builds a private scratch course (its own SQLite gradebook) from the
bundle and starts the grader on it (`workers._worker_init`); `grade_submission` writes a
submission into the scratch course, grades it with `workers._worker_run` and reads back the graded
files and the gradebook rows.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.execution import workers as W

# Gradebook definitions copied to the scratch gradebook: model columns minus keys.
_SKIP_COLUMNS = {"id", "assignment_id", "notebook_id", "course_id", "type"}
_CELL_KINDS = ("grade_cell", "solution_cell", "task_cell", "source_cell")


@dataclass(frozen=True)
class Submission:
    """A task: one (lesson, student) with the submission's files (relative path -> bytes)."""

    job: W.Job
    files: dict[str, bytes]
    extension: dt.timedelta | None = None  # granted in the real gradebook: lateness needs it


@dataclass
class Graded:
    """A task's answer: the JobResult, the graded files and the gradebook rows of the scratch."""

    result: W.JobResult
    autograded: dict[str, bytes] = field(default_factory=dict)
    integrity: dict[str, bytes] = field(default_factory=dict)
    timestamp: dt.datetime | None = None
    grades: list[tuple[str, str, float | None, bool]] = field(default_factory=list)
    comments: list[tuple[str, str, str | None]] = field(default_factory=list)


# ----------------------------------------------------------------------------- client side
def _read_tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _columns(row) -> dict:
    # Mapper attributes, not __table__: a GradeCell's name lives in the base_cell table.
    from sqlalchemy import inspect

    attrs = inspect(row).mapper.column_attrs
    return {a.key: getattr(row, a.key) for a in attrs if a.key not in _SKIP_COLUMNS}


def _lesson_definitions(gb, lesson: str) -> dict:
    a = gb.find_assignment(lesson)
    notebooks = []
    for nb in a.notebooks:
        cells = {kind: [_columns(c) for c in getattr(nb, kind + "s")] for kind in _CELL_KINDS}
        notebooks.append({"notebook": _columns(nb), **cells})
    return {"assignment": _columns(a), "notebooks": notebooks}


def course_bundle(course_dir: Path, db_url: str, lessons: list[str]) -> dict:
    """Everything a worker needs from the course, once per worker."""
    from nbgrader.api import Gradebook

    from autograder.grading.config import COURSE_ID, course_config_file
    from autograder.grading.scoring.late_policy import COURSE_FILE

    files: dict[str, bytes] = {}
    local = course_config_file(course_dir)
    if local is not None:
        files["nbgrader_config.py"] = local.read_bytes()
    if (course_dir / COURSE_FILE).is_file():
        files[COURSE_FILE] = (course_dir / COURSE_FILE).read_bytes()
    for lesson in lessons:
        tree = _read_tree(course_dir / "source" / lesson)
        files.update({f"source/{lesson}/{rel}": data for rel, data in tree.items()})
    with Gradebook(db_url, COURSE_ID) as gb:
        defs = [_lesson_definitions(gb, lesson) for lesson in lessons]
    return {"files": files, "definitions": defs}


def extensions(db_url: str, lessons: list[str]) -> dict[W.Job, dt.timedelta]:
    """Extensions already granted in the gradebook (nbgrader's own, e.g. from the formgrader)."""
    from nbgrader.api import Gradebook, SubmittedAssignment

    from autograder.grading.config import COURSE_ID

    with Gradebook(db_url, COURSE_ID) as gb:
        rows = gb.db.query(SubmittedAssignment).filter(SubmittedAssignment.extension.isnot(None))
        return {
            W.Job(s.assignment.name, s.student.id): s.extension
            for s in rows
            if s.assignment.name in lessons
        }


def pack_submission(course_dir: Path, job: W.Job, extension=None) -> Submission:
    files = _read_tree(course_dir / "submitted" / job.student / job.lesson)
    return Submission(job, files, extension)


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    """Notebooks last, each by rename: `autograde --resume` takes a notebook as the mark of a
    finished submission, so it must only appear complete and after the grades."""
    for rel in sorted(files, key=lambda r: (r.endswith(".ipynb"), r)):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(files[rel])
        os.replace(tmp, path)


def _store_grades(gb, g: Graded, graded_nbs: set[str]) -> None:
    job = g.result
    kw = {"timestamp": g.timestamp} if g.timestamp else {}  # autograde keeps an old one too
    gb.update_or_create_submission(job.lesson, job.student, **kw)
    for nb, cell, auto, needs in g.grades:
        grade = gb.find_grade(cell, nb, job.lesson, job.student)
        grade.auto_score = auto
        # SaveAutoGrades also asks for review when a grader already gave a manual score, which
        # only the real gradebook knows (a missing notebook is never reviewed).
        grade.needs_manual_grade = needs or (nb in graded_nbs and grade.manual_score is not None)
    for nb, cell, text in g.comments:
        gb.find_comment(cell, nb, job.lesson, job.student).auto_comment = text
    gb.db.commit()


def _late_penalties(cfg, db_url: str, job: W.JobResult, graded_nbs: set[str]) -> None:
    """nbgrader's AssignLatePenalties against the real gradebook: the penalty depends on the
    notebook's score with any manual grades and on the due date and extension stored there."""
    import nbformat
    from nbgrader.preprocessors import AssignLatePenalties

    for nb in sorted(graded_nbs):
        pre = AssignLatePenalties(config=cfg)
        info = {"notebook": nb, "assignment": job.lesson, "student": job.student}
        pre.preprocess(nbformat.v4.new_notebook(), {"nbgrader": {**info, "db_url": db_url}})


def store(course_dir: Path, db_url: str, cfg, g: Graded) -> None:
    """Write one graded submission as a worker-side autograde would have: gradebook rows, then
    the integrity fragments, then autograded/ (replacing the previous run's, like force=True)."""
    from nbgrader.api import Gradebook

    from autograder.grading.config import COURSE_ID
    from autograder.grading.integrity.flags import INTEGRITY_DIR

    job = g.result
    graded_nbs = {Path(r).stem for r in g.autograded if "/" not in r and r.endswith(".ipynb")}
    with Gradebook(db_url, COURSE_ID) as gb:
        _store_grades(gb, g, graded_nbs)
    _late_penalties(cfg, db_url, job, graded_nbs)
    _write_tree(course_dir / INTEGRITY_DIR / job.lesson / job.student, g.integrity)
    out = course_dir / "autograded" / job.student / job.lesson
    shutil.rmtree(out, ignore_errors=True)
    if g.autograded:
        _write_tree(out, g.autograded)


# ----------------------------------------------------------------------------- worker side
def _scratch_gradebook(db_url: str, definitions: list[dict]) -> None:
    from nbgrader.api import Gradebook

    from autograder.grading.config import COURSE_ID

    with Gradebook(db_url, COURSE_ID) as gb:
        for lesson in definitions:
            a = dict(lesson["assignment"])
            name = a.pop("name")
            gb.update_or_create_assignment(name, **a)
            for nb in lesson["notebooks"]:
                n = dict(nb["notebook"])
                nb_name = n.pop("name")
                gb.update_or_create_notebook(nb_name, name, **n)
                for kind in _CELL_KINDS:
                    create = getattr(gb, f"update_or_create_{kind}")
                    for cell in nb[kind]:
                        c = dict(cell)
                        create(c.pop("name"), nb_name, name, **c)


def prepare_worker(bundle: dict, use_pool: bool, preloads: dict, first: str) -> None:
    """Build this worker process's scratch course and start the grader on it (once)."""
    from autograder.grading.config import default_db_url

    try:
        root = Path(tempfile.mkdtemp(prefix="bpgrade-course-"))
        _write_tree(root, bundle["files"])
        db_url = default_db_url(root)
        W.ensure_venv_on_path()
        _scratch_gradebook(db_url, bundle["definitions"])
    except Exception as exc:  # reported with every job of this worker, in one line
        W._STATE["init_error"] = f"worker start-up failed: {type(exc).__name__}: {exc}"
        return
    W._STATE.update(scratch=str(root), scratch_db=db_url)
    W._worker_init(str(root), db_url, use_pool, True, preloads, first, True)


def _reset(root: Path, db_url: str, sub: Submission) -> None:
    """Forget any earlier grading of this submission on this worker (a rerun, a retry)."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.grading.config import COURSE_ID
    from autograder.grading.integrity.flags import INTEGRITY_DIR

    job = sub.job
    for folder in ("submitted", "autograded"):
        shutil.rmtree(root / folder / job.student / job.lesson, ignore_errors=True)
    shutil.rmtree(root / INTEGRITY_DIR / job.lesson / job.student, ignore_errors=True)
    with Gradebook(db_url, COURSE_ID) as gb:
        try:
            gb.remove_submission(job.lesson, job.student)
        except MissingEntry:
            pass
        if sub.extension is not None:
            gb.update_or_create_student(job.student)
            gb.update_or_create_submission(job.lesson, job.student, extension=sub.extension)


def _rows(db_url: str, job: W.Job) -> tuple:
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.grading.config import COURSE_ID

    with Gradebook(db_url, COURSE_ID) as gb:
        try:
            sub = gb.find_submission(job.lesson, job.student)
        except MissingEntry:  # autograde failed before it made the submission
            return None, [], []
        grades, comments = [], []
        for nb in sub.notebooks:
            grades += [(nb.name, g.name, g.auto_score, g.needs_manual_grade) for g in nb.grades]
            comments += [(nb.name, c.name, c.auto_comment) for c in nb.comments]
        return sub.timestamp, grades, comments


def grade_submission(sub: Submission) -> Graded:
    from autograder.grading.integrity.flags import INTEGRITY_DIR

    if "init_error" in W._STATE:
        return Graded(
            W.JobResult(sub.job.lesson, sub.job.student, False, 0.0, error=W._STATE["init_error"])
        )
    root, db_url, job = Path(W._STATE["scratch"]), W._STATE["scratch_db"], sub.job
    _reset(root, db_url, sub)
    _write_tree(root / "submitted" / job.student / job.lesson, sub.files)
    result = W._worker_run(job)
    timestamp, grades, comments = _rows(db_url, job)
    out = root / "autograded" / job.student / job.lesson
    frags = root / INTEGRITY_DIR / job.lesson / job.student
    return Graded(
        result,
        _read_tree(out) if out.is_dir() else {},
        _read_tree(frags) if frags.is_dir() else {},
        timestamp,
        grades,
        comments,
    )
