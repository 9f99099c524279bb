"""Partial credit, per component, for every exercise: the published grading scheme.

SCHEME (tests/grading_scheme.py) is the grading contract written out by hand from the lessons'
call conventions ("[partial credit]" in autograder/student/lessons/lNN_*.py and the notebooks'
point tables), not read from the code under test: an exercise made all-or-nothing, a weight
changed or a component dropped makes these tests fail. Each exercise is scored by TrustedScores
(as in grading) from a record bundle in which exactly one component is wrong on every case:
partial exercises must keep the other components' points, all-or-nothing ones must give 0. Real
student answers (tests/wrong_answers) with known right components are checked too, run through
record().
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from autograder.grading import solutions
from autograder.grading.scoring.trusted_scores import TrustedScores
from autograder.student.contract import RECORD_FORMAT, RECORD_MIME
from autograder.student.record import make_bundle
from autograder.student.serialize import encode
from autograder.student.spec import EXERCISES, get_exercise
from tests.grading_scheme import SCHEME

SEED = 31337
POINTS = 6.0  # divisible by 2, 3 and 4: the expected points are exact
LOADED = solutions.load_all()
for _ex_id in SCHEME:
    get_exercise(_ex_id)  # registers the lesson's exercises


def test_scheme_covers_every_exercise():
    assert set(SCHEME) == set(EXERCISES)


def _cell(ex_id: str, bundle: dict):
    cell = new_code_cell(f'check("{ex_id}")')
    cell.metadata["nbgrader"] = {
        "grade": True, "locked": True, "solution": False, "grade_id": ex_id,
        "points": POINTS, "schema_version": 3,
    }  # fmt: skip
    cell.outputs = [new_output("display_data", data={RECORD_MIME: bundle})]
    return cell


def _score(ex_id: str, bundle: dict) -> tuple[float, dict]:
    nb, res = TrustedScores(grading_seed=SEED).preprocess(
        new_notebook(cells=[_cell(ex_id, bundle)]), {}
    )
    return determine_grade(nb.cells[0])[0], res["backprop"]["cells"][ex_id]


def _as_returned(ex, comp: str, value):
    """The reference value as a student's function returns it (tensors where required)."""
    if ex.kinds.get(comp) == "tensor":
        import torch

        return torch.as_tensor(np.asarray(value, dtype=np.float64))
    return value


def _broken(value):
    return np.asarray(value, dtype=np.float64) * 1.5 + 0.25


def _bundle(ex_id: str, wrong: set[str]) -> dict:
    """What record() emits for a student whose components ``wrong`` are wrong on every case."""
    ex = get_exercise(ex_id)
    cases = ex.cases_for_seed(SEED)
    expected, _, _ = solutions.reference_outputs(ex, cases)
    outs = [
        {
            comp: encode(_as_returned(ex, comp, _broken(v) if comp in wrong else v))
            for comp, v in exp.items()
        }
        for exp in expected
    ]
    return {
        "format": RECORD_FORMAT,
        "exercise": ex_id,
        "seed": SEED,
        "cases": outs,
        "mutated": [[] for _ in cases],
    }


@pytest.mark.parametrize("ex_id", sorted(SCHEME))
def test_right_answer_full_points(ex_id):
    points, summary = _score(ex_id, _bundle(ex_id, set()))
    assert points == POINTS, summary
    assert all(summary["components"].values()), summary


@pytest.mark.parametrize(
    ("ex_id", "comp"), [(ex_id, comp) for ex_id, (_, w) in sorted(SCHEME.items()) for comp in w]
)
def test_one_wrong_component_costs_its_weight_or_everything(ex_id, comp):
    partial, weights = SCHEME[ex_id]
    points, summary = _score(ex_id, _bundle(ex_id, {comp}))
    assert summary["components"] == {c: c != comp for c in weights}, summary
    want = POINTS * (1.0 - weights[comp]) if partial else 0.0
    assert points == pytest.approx(want, abs=1e-3), (ex_id, comp, summary)


@pytest.mark.parametrize("ex_id", sorted(SCHEME))
def test_all_components_wrong_scores_zero(ex_id):
    points, summary = _score(ex_id, _bundle(ex_id, set(SCHEME[ex_id][1])))
    assert points == 0.0, summary


# Real student answers (tests/wrong_answers), whose right components follow from the code.
REAL = [
    # dZ instead of dZ.sum(axis=0) for db: dX and dW right -> 2/3
    ("l02_batch", "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ\n", 2 / 3),
    # bias summed over the wrong axis: 2/3 again
    (
        "l02_batch",
        "def dense_backward(dZ, X, W):\n    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=1)\n",
        2 / 3,
    ),
    # dW transposed: dX and db right
    (
        "l02_batch",
        "def dense_backward(dZ, X, W):\n    return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)\n",
        2 / 3,
    ),
    # everything wrong: 0
    ("l02_batch", "def dense_backward(dZ, X, W):\n    return dZ, dZ, dZ\n", 0.0),
    # relu right, relu_derivative with >= (1 at 0 is taught as 0 here): half
    (
        "l01_relu",
        "def relu(z):\n    return np.maximum(0.0, np.asarray(z, dtype=float))\n"
        "def relu_derivative(z):\n    return np.ones_like(np.asarray(z, dtype=float))\n",
        0.5,
    ),
]


@pytest.mark.parametrize(("ex_id", "source", "fraction"), REAL)
def test_real_wrong_answers_earn_their_share(ex_id, source, fraction):
    ns = {"np": np}
    exec(textwrap.dedent(source), ns)  # noqa: S102 - our own test source
    ex = get_exercise(ex_id)
    fns = [ns[name] for name in ex.functions]
    points, summary = _score(ex_id, make_bundle(ex_id, *fns, seed=SEED))
    assert points == pytest.approx(POINTS * fraction, abs=1e-3), summary
