"""Running only what grading needs (execution/needed_cells.py) gives the scores of running every
cell: the whole example class plus one student per catalogued wrong answer, every lesson, graded
twice through the real nbgrader pipeline (prune on, the default, and off)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from autograder.grading.cli import app as cli
from autograder.grading.config import default_db_url
from autograder.grading.execution.needed_cells import needed_cells
from autograder.grading.reporting.export import read_grades
from autograder.tolerance import data_close

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _make_class(out: Path) -> None:
    sys.path.insert(0, str(REPO / "examples"))
    import make_examples as mk

    profiles = dict(mk.PROFILES)
    most = max(len(v) for lesson in mk.LESSONS for v in mk.load_wrong(lesson).values())
    # wrong:k for every k the examples do not already hold: each wrong answer is graded
    profiles.update({f"wrong{k}": f"wrong:{k}" for k in range(2, most)})
    saved = mk.PROFILES
    mk.PROFILES = profiles
    try:
        mk.make_examples(out)
    finally:
        mk.PROFILES = saved


def _grade(root: Path, submissions: Path, prune: bool) -> dict:
    (root / "source").mkdir(parents=True)
    for lesson in sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir()):
        shutil.copytree(REPO / "source" / lesson, root / "source" / lesson)
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.SandboxedExecute.prune_unneeded_cells = {prune}\n"
    )
    argv = ["--no-progress", "--course-dir", str(root), "all", "--from", str(submissions)]
    assert cli.main([*argv, "--workers", "2"]) == 0
    g = read_grades(default_db_url(root), course_dir=root)
    out = {("total", s, lesson): v for (s, lesson), v in g.scores.items()}
    out.update({(s, lesson, c): v for (s, lesson, c), v in g.cell_scores.items()})
    return out


def test_pruned_scores_equal_full_execution(tmp_path):
    subs = tmp_path / "submissions"
    _make_class(subs)
    pruned = _grade(tmp_path / "pruned", subs, True)
    full = _grade(tmp_path / "full", subs, False)
    assert len(full) > 700 and set(pruned) == set(full)
    diff = {k: (pruned[k], full[k]) for k in full if not data_close(pruned[k], full[k])}
    assert not diff
    # and pruning did skip cells: every lesson's graded notebook has skipped demo cells
    skipped = {}
    for nb in (tmp_path / "pruned" / "autograded" / "ada").glob("*/*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        skipped[nb.parent.name] = sum(
            1 for c in cells if c.get("metadata", {}).get("backprop_grader", {}).get("not_run")
        )
    assert skipped and all(n > 0 for n in skipped.values()), skipped


def _cell(source: str, origin: str | None = "instructor") -> dict:
    md = {"backprop_grader": {"origin": origin}} if origin else {}
    return {"cell_type": "code", "source": source, "metadata": md}


def test_needed_cells_keeps_what_the_graded_cells_use():
    cells = [
        _cell("import numpy as np"),  # imports always run
        _cell("x_seed = np.array([1.0, 2.0])"),  # used by the student's answer: kept
        _cell("plt_data = [1, 2, 3]\nprint(plt_data)"),  # a demo nobody uses: skipped
        _cell("def helper(v):\n    return v * lr"),  # used by the test cell: kept, and lr too
        _cell("lr = 0.1"),  # defined AFTER helper but before the test: kept
        _cell("def f(v):\n    return v + x_seed", origin=None),  # the student's answer
        _cell("np.random.seed(3)"),  # moves the global random state: kept
        _cell("check('ex', f, helper)", origin=None),  # the test cell
        _cell("print(f(np.ones(2)), np.zeros(3))"),  # a demo: skipped (calls on np change no np)
        _cell("x_seed[0] = 5.0"),  # changes x_seed, which f reads: kept (order is not analysed)
    ]
    assert needed_cells(cells) == {0, 1, 3, 4, 5, 6, 7, 9}


def test_a_student_cell_is_always_run_and_what_it_uses_too():
    cells = [
        _cell("big = list(range(10))"),
        _cell("total = sum(big)", origin=None),  # a student's extra cell
        _cell("%time total"),  # magics: opaque, kept
    ]
    assert needed_cells(cells) == {0, 1, 2}


def test_methods_change_their_receiver_and_seeding_is_global():
    cells = [
        _cell("import numpy as np\nimport torch"),
        _cell("W = np.zeros(3)"),
        _cell("W.sort()"),  # changes W: kept, W is used below
        _cell("rng = np.random.default_rng(0)\nnoise = rng.normal(size=3)"),  # own generator
        _cell("torch.manual_seed(0)\nlayer = torch.nn.Linear(3, 2)"),  # global random state: kept
        _cell("def g():\n    return W.sum()", origin=None),
    ]
    assert needed_cells(cells) == {0, 1, 2, 4, 5}
