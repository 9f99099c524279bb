"""Category 5 (shortcuts): calling the reference package, torch autograd where gradients are to
be computed by hand, hard-coding the visible tests' answers. End to end through nbgrader."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

pytestmark = pytest.mark.slow

IMPORT_COURSE = """
try:
    from course.activations import relu, relu_grad as relu_derivative
except ImportError:
    def relu(z):
        return z

    def relu_derivative(z):
        return z
"""

AUTOGRAD_FORWARD = """
import torch

def neuron_forward(x, w, b):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    z = torch.dot(torch.tensor(w, dtype=torch.float64), xt) + b
    z.backward()  # a gradient nobody asked for: the exercise forbids autograd here
    z = float(z.detach())
    return z, max(z, 0.0)
"""


def _hardcoded_source() -> str:
    """relu/relu_derivative that know only the visible worked examples' answers."""
    from autograder.student.spec import get_exercise

    ex = get_exercise("l01_relu")
    rows = []
    for case in ex.worked_examples():
        z = np.asarray(case["z"], dtype=float)
        r = np.maximum(z, 0.0)
        d = (z > 0).astype(float)
        rows.append((z.tolist(), r.tolist(), d.tolist()))
    return f"""
_SEEN = {rows!r}

def _lookup(z, k):
    a = np.asarray(z, dtype=float)
    for zin, r, d in _SEEN:
        if np.shape(zin) == a.shape and np.array_equal(np.asarray(zin), a):
            return np.asarray((r, d)[k], dtype=float)
    return np.zeros_like(a)

def relu(z):
    return _lookup(z, 0)

def relu_derivative(z):
    return _lookup(z, 1)
"""


# right values, but the exercise says "No Python loops"
LOOP_RELU = """
import numpy as np

def relu(z):
    z = np.asarray(z, dtype=float)
    return np.array([v if v > 0 else 0.0 for v in z.ravel()]).reshape(z.shape)

def relu_derivative(z):
    z = np.asarray(z, dtype=float)
    out = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        out[i] = 1.0 if z[i] > 0 else 0.0
    return out
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course, c = H.new_course(tmp_path_factory.mktemp("shortcuts"))
    c.CanonicalizeSubmission.forbid_autograd = ["l01_neuron_forward"]
    H.submit(course, "honest", H.honest(course))
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", IMPORT_COURSE)
    H.submit(course, "import_course", nb)
    nb = H.honest(course)
    H.answer(nb, "l01_neuron_forward_answer", AUTOGRAD_FORWARD)
    H.submit(course, "autograd", nb)
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", LOOP_RELU)
    H.submit(course, "loop_relu", nb)
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", _hardcoded_source())
    H.submit(course, "hardcoded", nb)
    run = H.autograde(course, c)
    return course, c, run, H.scores(course, c)


def test_honest_full_marks(graded):
    course, c, run, scores = graded
    assert run["error"] is None
    assert scores["honest"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    assert H.codes_of(course, "honest") == set()


def test_reference_import_fails_in_sandbox_and_is_flagged(graded):
    course, c, run, scores = graded
    assert scores["import_course"] == {"l01_relu": 0.0, "l01_neuron_forward": 2.0}
    assert "forbidden_import" in H.codes_of(course, "import_course")


def test_autograd_in_by_hand_exercise_scores_zero(graded):
    course, c, run, scores = graded
    # the numbers are right, but the exercise forbids autograd: 0 for it, relu unaffected
    assert scores["autograd"] == {"l01_relu": 2.0, "l01_neuron_forward": 0.0}
    assert "forbidden_autograd" in H.codes_of(course, "autograd")
    # the cell's machine-readable summary (read by feedback and the class report) agrees
    nb = nbformat.read(
        course / "autograded" / "autograd" / H.ASSIGNMENT / f"{H.ASSIGNMENT}.ipynb", as_version=4
    )
    summary = {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["backprop"]
        for c in nb.cells
        if "backprop" in c.metadata
    }
    assert summary["l01_neuron_forward"]["score"] == 0.0
    assert not any(summary["l01_neuron_forward"]["components"].values())
    assert summary["l01_relu"]["score"] == 2.0


def test_hardcoded_visible_answers_pass_check_but_score_zero(graded, capsys, monkeypatch):
    course, c, run, scores = graded
    # the shortcut is real: the visible check passes with the hard-coded functions ...
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    from autograder.student import check

    ns = {"np": np}
    exec(_hardcoded_source(), ns)  # noqa: S102 - the attack's own code
    check("l01_relu", ns["relu"], ns["relu_derivative"])  # raises if it fails
    # ... and the fresh grading cases defeat it
    assert scores["hardcoded"] == {"l01_relu": 0.0, "l01_neuron_forward": 2.0}


def test_loops_where_the_exercise_forbids_them_score_zero(graded):
    course, c, run, scores = graded
    assert scores["loop_relu"] == {"l01_relu": 0.0, "l01_neuron_forward": 2.0}
    flags = H.flags_of(course, "loop_relu")
    assert "forbidden_loop" in {f["code"] for f in flags}
    assert any("list comprehension" in f["reason"] for f in flags)
