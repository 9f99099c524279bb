"""Course integrity with real nbgrader: every lesson's notebooks, checks and grader agree.

For every lesson in source/ (lessons whose notebook does not exist yet are skipped; under
CI=true at least one must exist):
  (a) the source notebook, autograded as a submission, gets full marks on every autograded cell;
  (b) the release notebook as released (stubs) gets zero on every autograded cell;
  (c) every wrong answer of tests/wrong_answers/lNN.py loses the exercise's points, keeps
      exactly the published scheme's share for the components it got right (partial credit,
      tests/grading_scheme.py), and the feedback names its misconception (batched: many wrong
      answers per submission; a wrong answer that does not behave inside its batch is re-graded
      alone before it fails);
  (d) release/ is in sync with source/ (regenerated here) and holds no solutions, hidden tests;
  (e) the release notebook with the solutions filled in runs top to bottom in under 20 s;
  (f) ... and its visible checks pass in a kernel where `import course` and
      `import autograder.grading` raise ImportError (as on a student's machine).

One temporary course directory (its own gradebook) serves the whole module; the pipeline is
the repository's nbgrader_config.py with TrustedScores right after Execute (added here if the
config does not have it yet). Every submission that (a)-(c) make is written up front and graded
in ONE parallel `backprop-grade autograde` run (the production engine: pooled, sandboxed,
forked kernels) when the module starts; the tests then read their results. A submission that
was not planned (a wrong answer re-graded alone) is graded in-process by nbgrader's API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from autograder.grading import solutions
from autograder.grading.scoring import misconceptions
from autograder.student.check import SUCCESS_LINE
from autograder.tolerance import data_close
from tests import wrong_answers
from tests.ci_guard import require
from tests.grading_scheme import expected_fraction

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SEED = 8675309
RELEASE_BUDGET_S = 20.0
LESSONS = sorted(
    p.name for p in (REPO / "source").glob("[0-9][0-9]_*") if (p / f"{p.name}.ipynb").exists()
)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# processes of the one `backprop-grade autograde` run that grades the planned submissions
GRADE_WORKERS = int(os.environ.get("BACKPROP_TEST_GRADE_WORKERS", "2"))
# settings of this module's course on top of the repository's nbgrader_config.py; the file
# makes `backprop-grade` (build_config) and build_config below grade alike
COURSE_CONFIG = f"""c = get_config()  # noqa: F821
c.Execute.timeout = 120
c.TrustedScores.grading_seed = {SEED}
"""


def test_some_lesson_exists():
    if not LESSONS:
        if os.environ.get("CI") == "true":
            pytest.fail("no source/NN_name/NN_name.ipynb exists")
        pytest.skip("no lesson notebook written yet")


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test_cell(cell) -> bool:
    m = _nbg(cell)
    return cell.cell_type == "code" and m.get("grade") and not m.get("solution")


def _is_answer_cell(cell) -> bool:
    return cell.cell_type == "code" and _nbg(cell).get("solution")


# ---------------------------------------------------------------------------------------------
# The course directory


def _nb_key(nb) -> str:
    return json.dumps(nb, sort_keys=True)


@dataclass
class Course:
    root: Path
    api: object
    config: object
    # (lesson, student) -> _nb_key of the notebook graded by the parallel run
    pregraded: dict = field(default_factory=dict)
    planned: list = field(default_factory=list)
    pregrade_error: str = ""

    def _submit(self, lesson: str, student: str, nb) -> None:
        sub = self.root / "submitted" / student / lesson
        if sub.exists():
            shutil.rmtree(sub)
        shutil.copytree(self.root / "release" / lesson, sub)
        nbformat.write(nb, sub / f"{lesson}.ipynb")
        (sub / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")

    def pregrade(self, planned: list[tuple[str, str, object]]) -> None:
        """Submit every (lesson, student, nb), grade them all in ONE parallel run."""
        if not planned:
            return
        keys = [((lesson, student), _nb_key(nb)) for lesson, student, nb in planned]
        for lesson, student, nb in planned:
            self._submit(lesson, student, nb)
        exe = Path(sys.executable).with_name("backprop-grade")
        cmd = [str(exe), "--no-progress", "--course-dir", str(self.root), "autograde"]
        cmd += ["--student", *sorted({student for _, student, _ in planned})]
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*cmd, "--workers", str(GRADE_WORKERS)],
            env={**os.environ, "BACKPROP_GRADING_SEED": str(SEED)},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        print(f"backprop-grade autograde ({len(planned)} notebooks): {proc.stdout}{proc.stderr}")
        print(f"  {time.perf_counter() - t0:.1f} s")
        self.planned += [k for k, _ in keys]
        if proc.returncode != 0:  # the tests grade in-process instead; one test fails on it
            self.pregrade_error = proc.stderr[-3000:]
            return
        for (lesson, student), key in keys:
            if (self.root / "autograded" / student / lesson / f"{lesson}.ipynb").exists():
                self.pregraded[(lesson, student)] = key

    def release_nb(self, lesson: str) -> nbformat.NotebookNode:
        return nbformat.read(self.root / "release" / lesson / f"{lesson}.ipynb", as_version=4)

    def autograde(self, lesson: str, student: str, nb) -> tuple[nbformat.NotebookNode, dict]:
        """Submit nb as `student`, autograde it; (autograded notebook, {grade_id: (score, max)})."""
        from nbgrader.api import Gradebook

        if self.pregraded.get((lesson, student)) != _nb_key(nb):  # not planned: grade it now
            self.pregraded.pop((lesson, student), None)
            self._submit(lesson, student, nb)
            t0 = time.perf_counter()
            res = self.api.autograde(lesson, student, force=True, create=True)
            print(f"autograde {lesson} {student}: {time.perf_counter() - t0:.1f} s")  # pytest -s
            assert res["success"], res.get("error") or res.get("log")
        out = nbformat.read(
            self.root / "autograded" / student / lesson / f"{lesson}.ipynb", as_version=4
        )
        scores = {}
        db_url = self.config.CourseDirectory.db_url
        with Gradebook(db_url, self.config.CourseDirectory.course_id) as gb:
            for cell in out.cells:
                if _is_test_cell(cell):
                    g = gb.find_grade(_nbg(cell)["grade_id"], lesson, lesson, student)
                    scores[g.name] = (g.auto_score, g.max_score)
        return out, scores


def _class_name(entry) -> str:
    return entry if isinstance(entry, str) else entry.__name__


def build_config(root: Path):
    from nbgrader.converters.autograde import Autograde
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.grading.scoring.trusted_scores import TrustedScores

    cfg = Config()
    cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config())
    cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.course_id = "backprop"
    cfg.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    cfg.Exchange.root = str(root / "exchange")
    cfg.Execute.kernel_name = "python3"
    cfg.Execute.timeout = 120
    cfg.TrustedScores.grading_seed = SEED
    pre = list(
        cfg.Autograde.get("autograde_preprocessors", Autograde.autograde_preprocessors.default())
    )
    if not any(_class_name(p).endswith("TrustedScores") for p in pre):
        at = next(i for i, p in enumerate(pre) if _class_name(p).endswith("Execute")) + 1
        pre.insert(at, TrustedScores)
    cfg.Autograde.autograde_preprocessors = pre
    return cfg


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    require(bool(LESSONS), "no lesson notebook written yet", hint="add source/NN_name/")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    root = tmp_path_factory.mktemp("course").resolve()
    (root / "nbgrader_config.py").write_text(COURSE_CONFIG)
    for lesson in LESSONS:
        shutil.copytree(REPO / "source" / lesson, root / "source" / lesson)
    bin_dir = str(Path(sys.executable).parent)  # alembic must be on PATH
    old_env = {k: os.environ.get(k) for k in ("PATH", "BACKPROP_GRADING_SEED")}
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.environ["BACKPROP_GRADING_SEED"] = str(SEED)  # the kernels inherit it
    cfg = build_config(root)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    for lesson in LESSONS:
        res = api.generate_assignment(lesson, force=True, create=True)
        assert res["success"], res.get("error") or res.get("log")
    course = Course(root, api, cfg)
    course.pregrade(_planned_submissions(course))
    course.pregrade(_planned_alone(course))  # a second run, of the few that (c) re-grades alone
    yield course
    for k, v in old_env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _source_nb(lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "source" / lesson / f"{lesson}.ipynb", as_version=4)


def _diagnosis(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_planned_submissions_graded_in_one_parallel_run(course):
    assert not course.pregrade_error, course.pregrade_error
    assert len(course.planned) >= 3 * len(LESSONS)
    assert sorted(course.pregraded) == sorted(course.planned)


# ---------------------------------------------------------------------------------------------
# (a) and (b)


@pytest.mark.parametrize("lesson", LESSONS)
def test_source_gets_full_marks(course, lesson):
    out, scores = course.autograde(lesson, "reference", _source_nb(lesson))
    assert scores, f"{lesson} has no autograded test cells"
    short = {gid: s for gid, s in scores.items() if s[0] != s[1]}
    details = {
        _nbg(c)["grade_id"]: _diagnosis(c) for c in out.cells if _nbg(c).get("grade_id") in short
    }
    assert not short, f"{lesson}: not full marks {short}\n{json.dumps(details, indent=1)}"
    graded = [c for c in out.cells if _is_test_cell(c) and "backprop" in c.metadata]
    assert graded, "TrustedScores did not score any cell (is it configured after Execute?)"


@pytest.mark.parametrize("lesson", LESSONS)
def test_release_stubs_get_zero(course, lesson):
    out, scores = course.autograde(lesson, "stubs", course.release_nb(lesson))
    nonzero = {gid: s for gid, s in scores.items() if s[0] != 0}
    assert not nonzero, f"{lesson}: release stubs earn points {nonzero}"
    for cell in out.cells:
        if _is_test_cell(cell) and "backprop" in cell.metadata:
            assert "0 / " in _diagnosis(cell), _diagnosis(cell)


# ---------------------------------------------------------------------------------------------
# (c) wrong answers


def _answer_cell_index(nb, ex_id: str) -> int:
    """The nearest autograded solution code cell above the test cell of ex_id."""
    test_at = next(i for i, c in enumerate(nb.cells) if _nbg(c).get("grade_id") == ex_id)
    return max(i for i in range(test_at) if _is_answer_cell(nb.cells[i]))


def _substituted(nb, items) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell_at, (_ex, _mid, source) in items.items():
        nb.cells[cell_at].source = textwrap.dedent(source).strip() + "\n"
    return nb


def _wrong_batches(source, wrong) -> tuple[list[str], list[dict[int, tuple[str, str, str]]]]:
    """(problems of the wrong-answer list, batches): the wrong answers packed into as few
    submissions as possible (one per answer cell each)."""
    test_ids = {_nbg(c)["grade_id"] for c in source.cells if _is_test_cell(c)}
    problems = [
        f"{ex}: fewer than 2 wrong answers" for ex, items in wrong.items() if len(items) < 2
    ]
    problems += [f"{ex}: no such test cell" for ex in wrong if ex not in test_ids]
    # pack the wrong answers into as few submissions as possible (one per answer cell each)
    batches: list[dict[int, tuple[str, str, str]]] = []
    for ex_id, items in wrong.items():
        if ex_id not in test_ids:
            continue
        cell_at = _answer_cell_index(source, ex_id)
        for mid, src in items:
            batch = next((b for b in batches if cell_at not in b), None)
            if batch is None:
                batch = {}
                batches.append(batch)
            batch[cell_at] = (ex_id, mid, src)
    return problems, batches


def _verdict(out, scores, ex_id, mid) -> str | None:
    cell = next(c for c in out.cells if _nbg(c).get("grade_id") == ex_id)
    score, max_score = scores[ex_id]
    named = cell.metadata.get("backprop", {}).get("misconceptions", [])
    if score >= max_score:
        return f"{ex_id}/{mid}: keeps {score}/{max_score} points"
    # the points are the published scheme's share of the components judged right
    right = cell.metadata.get("backprop", {}).get("components", {})
    want = round(max_score * expected_fraction(ex_id, right), 4)
    if abs(score - want) > 1e-3:
        return f"{ex_id}/{mid}: {score}/{max_score} points, the scheme gives {want} ({right})"
    # the metadata summary, or (if a later preprocessor cleared metadata) the title shown
    title = f"looks like: {misconceptions.get(mid).title}."
    if mid not in named and title not in _diagnosis(cell):
        return f"{ex_id}/{mid}: named {named} instead\n{_diagnosis(cell)}"
    return None


def _planned_alone(course) -> list[tuple[str, str, nbformat.NotebookNode]]:
    """The wrong answers test (c) will re-grade alone: those whose batch verdict failed."""
    planned = []
    for lesson in LESSONS:
        wrong = wrong_answers.load(f"l{lesson[:2]}")
        if wrong is None:
            continue
        solutions.load_prefix(f"l{lesson[:2]}")
        source = _source_nb(lesson)
        for n, batch in enumerate(_wrong_batches(source, wrong)[1]):
            if (lesson, f"wrong{n}") not in course.pregraded:
                continue
            out, scores = course.autograde(lesson, f"wrong{n}", _substituted(source, batch))
            for cell_at, (ex_id, mid, src) in batch.items():
                if _verdict(out, scores, ex_id, mid) is not None:
                    nb = _substituted(source, {cell_at: (ex_id, mid, src)})
                    planned.append((lesson, f"alone_{ex_id}_{mid}", nb))
    return planned


def _planned_submissions(course) -> list[tuple[str, str, nbformat.NotebookNode]]:
    """Every submission tests (a), (b) and (c) grade, as they build them."""
    planned = []
    for lesson in LESSONS:
        source = _source_nb(lesson)
        planned.append((lesson, "reference", source))
        planned.append((lesson, "stubs", course.release_nb(lesson)))
        wrong = wrong_answers.load(f"l{lesson[:2]}")
        if wrong is not None:
            _, batches = _wrong_batches(source, wrong)
            planned += [
                (lesson, f"wrong{n}", _substituted(source, b)) for n, b in enumerate(batches)
            ]
    return planned


@pytest.mark.parametrize("lesson", LESSONS)
def test_wrong_answers_lose_points_and_are_named(course, lesson):
    wrong = wrong_answers.load(f"l{lesson[:2]}")
    require(wrong is not None, f"no tests/wrong_answers/l{lesson[:2]}.py yet", hint="write it")
    solutions.load_prefix(f"l{lesson[:2]}")  # lesson-specific catalogue entries
    source = _source_nb(lesson)
    problems, batches = _wrong_batches(source, wrong)

    verdict = _verdict

    for n, batch in enumerate(batches):
        out, scores = course.autograde(lesson, f"wrong{n}", _substituted(source, batch))
        for cell_at, (ex_id, mid, src) in batch.items():
            if verdict(out, scores, ex_id, mid) is None:
                continue
            # an earlier wrong answer of the same batch may be the cause: grade it alone
            alone, alone_scores = course.autograde(
                lesson, f"alone_{ex_id}_{mid}", _substituted(source, {cell_at: (ex_id, mid, src)})
            )
            problem = verdict(alone, alone_scores, ex_id, mid)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# (d) release in sync, no solutions, no hidden tests


def _cells_signature(nb):
    return [(c.cell_type, c.source, _nbg(c)) for c in nb.cells]


@pytest.mark.parametrize("lesson", LESSONS)
def test_release_in_sync_and_clean(course, lesson):
    committed = REPO / "release" / lesson / f"{lesson}.ipynb"
    if not committed.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"release/{lesson} missing: run make release")
        pytest.skip(f"release/{lesson} not generated yet")
    rel = nbformat.read(committed, as_version=4)
    fresh = course.release_nb(lesson)
    assert data_close(_cells_signature(rel), _cells_signature(fresh)), (
        f"release/{lesson} differs from nbgrader generate_assignment output: run make release"
    )
    files = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())  # noqa: E731
    assert files(committed.parent) == files(course.root / "release" / lesson)
    text = committed.read_text(encoding="utf-8")
    for marker in MARKERS:
        assert marker not in text, f"release/{lesson} contains '{marker}'"
    assert "record(" not in text, f"release/{lesson} contains a hidden record(...) call"
    for cell in rel.cells:
        assert not cell.get("outputs"), f"release/{lesson} has outputs"
        if _is_answer_cell(cell):
            assert "raise NotImplementedError()" in cell.source
    source = _source_nb(lesson)
    shown = "\n".join(c.source for c in source.cells if not _nbg(c).get("solution"))
    for cell in source.cells:
        if not _nbg(cell).get("solution"):
            continue
        inside = cell.source.split("### BEGIN SOLUTION")[1:]
        for block in inside:
            for line in block.split("### END SOLUTION")[0].splitlines():
                line = line.strip()
                if len(line) > 20 and not line.startswith("#") and line not in shown:
                    assert line not in text, f"release/{lesson} leaks solution line {line!r}"


# ---------------------------------------------------------------------------------------------
# (e) + (f) the filled-in release notebook, fast, where course/ cannot be imported

BLOCKER = textwrap.dedent(
    """
    import sys


    class _StudentMachine:
        # course/ and the grader are not shipped to students
        def find_spec(self, name, path=None, target=None):
            if name == "course" or name.startswith(("course.", "autograder.grading")):
                raise ImportError(f"No module named {name!r} (blocked: student machine)")
            return None


    sys.meta_path.insert(0, _StudentMachine())
    """
)
PROBE = textwrap.dedent(
    """
    import sys
    for _name in ("course", "autograder.grading"):
        try:
            __import__(_name)
        except ImportError:
            print("BLOCKED", _name)
    _grader = [m for m in sys.modules if m == "course" or m.startswith("autograder.grading")]
    print("LOADED", sorted(_grader))
    """
)


def _filled_release(course, lesson):
    rel = course.release_nb(lesson)
    solutions = {
        _nbg(c)["grade_id"]: c.source for c in _source_nb(lesson).cells if _nbg(c).get("solution")
    }
    for cell in rel.cells:
        if _is_answer_cell(cell):
            cell.source = solutions[_nbg(cell)["grade_id"]]
    rel.cells.append(nbformat.v4.new_code_cell(PROBE))
    return rel


@pytest.mark.parametrize("lesson", LESSONS)
def test_filled_release_runs_fast_without_course(course, lesson, tmp_path):
    from nbclient import NotebookClient

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    work = tmp_path / "work"
    shutil.copytree(course.root / "release" / lesson, work)
    nb = _filled_release(course, lesson)
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION",)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(work)}},
    )
    t0 = time.perf_counter()
    client.execute(env=env)
    elapsed = time.perf_counter() - t0
    errors = [
        (_nbg(c).get("grade_id"), o.get("ename"), o.get("evalue"))
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{lesson}: errors with the solutions filled in: {errors}"
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "BLOCKED course" in probe and "BLOCKED autograder.grading" in probe, probe
    assert "LOADED []" in probe, probe
    for cell in nb.cells:
        if _is_test_cell(cell) and "check(" in cell.source:
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert SUCCESS_LINE in text, (lesson, _nbg(cell), text)
    assert elapsed < RELEASE_BUDGET_S, f"{lesson}: {elapsed:.1f} s (budget {RELEASE_BUDGET_S} s)"
