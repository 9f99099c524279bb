"""Test harness for the grading-integrity tests: a temp course with the attack assignment,
graded through nbgrader's own Autograde converter with our preprocessors (traitlets Config).

The attack assignment (tests/attacks/assignment/source/attack01/attack01.ipynb) uses two real
exercises of lesson 01 (l01_relu, 2 points, partial; l01_neuron_forward, 2 points).
Scores come from H2's TrustedScores (autograder/grading/trusted.py), as in production.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import nbformat
from traitlets.config import Config

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ASSIGNMENT = "attack01"
SOURCE_NB = HERE / "assignment" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
SEED = "424242"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

RELU_OK = """def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    return (np.asarray(z, dtype=float) > 0).astype(float)
"""
FORWARD_OK = """def neuron_forward(x, w, b):
    z = float(np.dot(w, x) + b)
    return z, float(max(z, 0.0))
"""


def make_config(course: Path, **execute) -> Config:
    """The repository's own nbgrader_config.py (the pipeline we ship: removing a defence there
    makes these tests fail) + this test course's settings and shorter limits."""
    from autograder.grading.config import REPO_CONFIG, _load_pyfile

    c = Config()
    c.merge(_load_pyfile(REPO_CONFIG))
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.db_url = f"sqlite:///{course}/gradebook.db"
    c.CourseDirectory.course_id = "attack"
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.SandboxedExecute.kernel_name = "python3"
    c.SandboxedExecute.timeout = 20
    c.SandboxedExecute.notebook_timeout = 60.0
    c.SandboxedExecute.grading_seed = SEED
    for k, v in execute.items():
        setattr(c.SandboxedExecute, k, v)
    return c


def new_course(
    tmp: Path, assignment: str = ASSIGNMENT, source: Path | None = None, **execute
) -> tuple[Path, Config]:
    """A course dir with the assignment generated (release + gradebook). ``source``: the folder
    of the source notebook (default: the attack assignment)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    os.environ["PATH"] = f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"
    os.environ["BACKPROP_GRADING_SEED"] = SEED
    course = tmp / "course"
    (course / "source").mkdir(parents=True)
    shutil.copytree(source or SOURCE_NB.parent, course / "source" / assignment)
    c = make_config(course, **execute)
    api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
    res = api.generate_assignment(assignment, force=True)
    assert res["success"], res["log"]
    return course, c


def release_nb(course: Path, assignment: str = ASSIGNMENT) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def answer(nb, grade_id: str, source: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def honest(course: Path):
    nb = release_nb(course)
    answer(nb, "l01_relu_answer", RELU_OK)
    answer(nb, "l01_neuron_forward_answer", FORWARD_OK)
    return nb


def submit(
    course: Path, student: str, nb=None, files: dict | None = None, assignment: str = ASSIGNMENT
) -> Path:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if nb is not None:
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    for name, content in (files or {}).items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return folder


def autograde(
    course: Path, c: Config, preflight: bool = True, assignment: str = ASSIGNMENT
) -> dict:
    """Pre-flight every submission, then ONE nbgrader Autograde run over the whole class.
    Returns {"preflight": {student: flags}, "error": exception or None}."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from autograder.grading.integrity import preflight as run_preflight

    pre = {}
    if preflight:
        for sub in sorted((course / "submitted").iterdir()):
            _, flags = run_preflight(
                sub / assignment,
                [assignment],
                release_dir=course / "release" / assignment,
                course_dir=course,
            )
            pre[sub.name] = flags
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = assignment
    coursedir.student_id = "*"
    conv = Autograde(coursedir=coursedir, config=c)
    error = None
    cwd = os.getcwd()
    try:
        conv.start()
    except Exception as exc:  # noqa: BLE001 - the test asserts on it
        error = exc
    finally:
        os.chdir(cwd)
    return {"preflight": pre, "error": error}


def scores(course: Path, c: Config, assignment: str = ASSIGNMENT) -> dict[str, dict[str, float]]:
    """{student: {grade_id: score}} from the gradebook (missing cells -> 0). A student in the
    gradebook without a graded notebook is absent; any other gradebook error is raised (a
    broad except here once dropped students silently)."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict[str, float]] = {}
    with Gradebook(c.CourseDirectory.db_url, "attack") as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission_notebook(assignment, assignment, student.id)
            except MissingEntry:
                continue
            out[student.id] = {g.name: float(g.score or 0.0) for g in sub.grades}
    return out


def flags_of(course: Path, student: str, assignment: str = ASSIGNMENT) -> list[dict]:
    folder = course / "integrity" / assignment / student
    flags = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        flags += json.loads(f.read_text())["flags"]
    return flags


def codes_of(course: Path, student: str, assignment: str = ASSIGNMENT) -> set[str]:
    return {f["code"] for f in flags_of(course, student, assignment)}


def tree_hash(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under root (symlinks by target), for before/after comparisons."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in exclude]
        for n in filenames:
            p = Path(dirpath) / n
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
