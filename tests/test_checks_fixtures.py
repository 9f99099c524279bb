"""Fixtures, catalogue and solutions: the pieces every lesson plugs into the framework.

Oracles: torch.autograd float64 (lesson 01 gradients), seed 004's verified figures, and the
fixture files re-derived by scripts/make_fixtures.py.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.grading import solutions
from autograder.grading.scoring import misconceptions
from autograder.student import lessons
from autograder.student.compare import GENERIC_IDS, compare
from autograder.student.spec import EXERCISES, get_exercise

REPO = Path(__file__).resolve().parents[1]
LOADED = solutions.load_all()
LOADED_EXERCISES = sorted(
    ex_id for ex_id, ex in EXERCISES.items() if lessons.LESSONS[ex.prefix] in LOADED
)


# Committed fixtures vs regenerated ones: structure, names and texts exactly; numbers within a
# documented tolerance (another CPU or BLAS may differ in the last bits; bit-for-bit would fail).
FIXTURE_RTOL, FIXTURE_ATOL = 1e-9, 1e-12


def _numbers_close(got, want, where: str, problems: list[str]) -> None:
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            problems.append(f"{where}: keys {sorted(got) if isinstance(got, dict) else got!r}")
            return
        for k in want:
            _numbers_close(got[k], want[k], f"{where}.{k}", problems)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            problems.append(f"{where}: length differs")
            return
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _numbers_close(g, w, f"{where}[{i}]", problems)
    elif isinstance(want, float) and isinstance(got, int | float) and not isinstance(got, bool):
        if not np.isclose(got, want, rtol=FIXTURE_RTOL, atol=FIXTURE_ATOL):
            problems.append(f"{where}: {got!r} != {want!r}")
    elif got != want:
        problems.append(f"{where}: {got!r} != {want!r}")


@pytest.mark.parametrize("prefix", sorted(p for p, m in lessons.LESSONS.items() if m in LOADED))
def test_fixtures_are_up_to_date(prefix):
    """The committed fixture is what scripts/make_fixtures.py would write, within tolerance."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location(
        "make_fixtures", REPO / "scripts" / "make_fixtures.py"
    )
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    committed = json.loads(
        (REPO / "autograder" / "student" / "fixtures" / f"{prefix}.json").read_text()
    )
    fresh = json.loads(mk.render(mk.fixture_for(prefix)))
    problems: list[str] = []
    _numbers_close(committed, fresh, prefix, problems)
    assert not problems, "run python scripts/make_fixtures.py:\n" + "\n".join(problems[:20])


def test_fixture_comparison_tolerates_rounding_not_errors():
    """The comparison above is not vacuous: a last-bits change passes, a real change fails."""
    problems: list[str] = []
    _numbers_close({"x": [1.0 + 1e-13, 2.0]}, {"x": [1.0, 2.0]}, "t", problems)
    assert problems == []
    _numbers_close({"x": [1.001, 2.0]}, {"x": [1.0, 2.0]}, "t", problems)
    _numbers_close({"x": [1.0]}, {"x": [1.0, 2.0]}, "u", problems)
    _numbers_close({"y": [1.0]}, {"x": [1.0]}, "v", problems)
    assert len(problems) == 3


def test_catalogue_covers_generic_ids_and_the_mistakes_list():
    # backprop-numerics.md "Mistakes students make" 1-11 and the seed errata named in the brief
    required = {
        "derivative_as_activation", "sigmoid_grad_of_activation", "wrong_output_delta",
        "missing_transpose", "column_vs_vector", "linear_weight_layout", "bias_not_summed",
        "bias_wrong_axis", "mse_mean_vs_sum", "factor_two", "sign_error", "missing_zero_grad",
        "update_outside_no_grad", "inplace_mask", "stale_weights", "integer_dtype", "float32",
        "seed002_extra_h", "seed001_dbh_scalar", "relu_grad_ge_zero",
    }  # fmt: skip
    assert required | set(GENERIC_IDS) <= set(misconceptions.CATALOGUE)
    for entry in misconceptions.CATALOGUE.values():
        assert entry.title and len(entry.explanation) > 40, entry.id


def test_define_refuses_a_conflicting_redefinition():
    entry = misconceptions.get("sign_error")
    assert misconceptions.define(entry.id, entry.title, entry.explanation, entry.section) == entry
    with pytest.raises(ValueError, match="already defined differently"):
        misconceptions.define("sign_error", "other", "text")


def test_lesson01_is_loaded_and_pending_is_explicit():
    assert "l01_single_neuron" in LOADED
    assert set(lessons.PENDING) <= set(lessons.LESSONS.values())
    if os.environ.get("CI") == "true":
        assert not lessons.PENDING, "lessons still PENDING in autograder/student/lessons"
        assert set(LOADED) == set(lessons.LESSONS.values())


@pytest.mark.parametrize("ex_id", LOADED_EXERCISES)
def test_every_exercise_has_solution_and_distinguishable_variants(ex_id):
    ex = dataclasses.replace(get_exercise(ex_id), kinds={})  # references are numpy, not tensors
    sol = solutions.get_solution(ex_id)
    assert abs(sum(ex.components.values()) - 1) < 1e-12
    cases = ex.cases_for_seed(2026)
    assert 3 <= len(cases) <= 6, "3-6 grading cases per exercise"
    expected, variants, catalogue = solutions.reference_outputs(ex, cases)

    # compare() itself: within the exercise's tolerance counts as right, 1e-3 off does not
    # (an independent check of the reference values is in the oracle tests of course/)
    def scaled(outs, f):
        return [{c: np.asarray(v, dtype=np.float64) * f for c, v in o.items()} for o in outs]

    assert compare(ex, scaled(expected, 1 + ex.rtol / 10), expected).fraction == 1.0
    far = compare(
        ex, [{c: np.asarray(v) * 1.001 + 1e-3 for c, v in o.items()} for o in expected], expected
    )
    assert far.fraction == 0.0 and not far.ok
    assert set(sol.variants) <= set(catalogue)
    for mid, outs in variants.items():
        v = compare(ex, [{**e, **o} for e, o in zip(expected, outs, strict=True)], expected)
        assert not v.ok, f"variant {mid} of {ex_id} equals the reference on the grading cases"


def test_lesson01_reference_against_torch_autograd():
    ex = get_exercise("l01_neuron_backward")
    cases = ex.cases_for_seed(11)
    expected, _, _ = solutions.reference_outputs(ex, cases)
    for case, exp in zip(cases, expected, strict=True):
        # rebuild w, b with the same z: w = 0 except the bias carries z (dw does not depend on w)
        x = torch.tensor(case["x"])
        w = torch.zeros_like(x, requires_grad=True)
        b = torch.tensor(case["z"], dtype=torch.float64, requires_grad=True)
        loss = (torch.relu(w @ x + b) - case["target"]) ** 2
        loss.backward()
        np.testing.assert_allclose(exp["dw"], w.grad.numpy(), rtol=1e-12, atol=1e-15)
        assert float(exp["db"]) == pytest.approx(b.grad.item(), rel=1e-12, abs=1e-15)


def test_lesson01_train_fixture_reproduces_seed004():
    ex = get_exercise("l01_train")
    seed_case = ex.worked_examples()[0]
    (exp,), _, _ = solutions.reference_outputs(ex, [seed_case])
    np.testing.assert_allclose(exp["w"], [-3.3990955, -0.20180899, 0.80271349], rtol=1e-7)
    assert float(exp["b"]) == pytest.approx(0.6009045, rel=1e-7)
    assert exp["losses"][0] == 36.0 and exp["losses"][-1] == pytest.approx(1.9564e-4, rel=1e-4)
