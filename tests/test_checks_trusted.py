"""TrustedScores on hand-built executed notebooks, with record bundles from real student code.

Scores are read back with nbgrader's own determine_grade, as SaveAutoGrades does.
"""

from __future__ import annotations

import copy

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from autograder.grading.scoring.trusted_scores import TrustedScores
from autograder.student.record import MIME, make_bundle
from autograder.student.spec import get_exercise
from tests.test_checks_check_record import (
    neuron_backward,
    neuron_forward,
    relu,
    relu_derivative,
    train_neuron,
)

SEED = 4242


def test_cell(grade_id, points, outputs):
    cell = new_code_cell(f'check("{grade_id}")')
    cell.metadata["nbgrader"] = {
        "grade": True,
        "locked": True,
        "solution": False,
        "grade_id": grade_id,
        "points": points,
        "schema_version": 3,
    }
    cell.outputs = outputs
    cell.execution_count = 7
    return cell


test_cell.__test__ = False  # a helper, not a pytest test


def bundle_output(bundle):
    return new_output("display_data", data={MIME: bundle, "text/plain": "<record>"})


def recorded(ex_id, points, *fns):
    """A test cell as the kernel leaves it after record(ex_id, *fns)."""
    return test_cell(ex_id, points, [bundle_output(make_bundle(ex_id, *fns, seed=SEED))])


def grade(cells, seed=SEED):
    nb = new_notebook(cells=cells)
    nb, resources = TrustedScores(grading_seed=seed).preprocess(nb, {})
    nbformat.validate(nb)
    return nb, resources


def score(cell):
    return determine_grade(cell)[0]


def text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_correct_student_gets_full_points():
    cells = [
        test_cell(
            "l01_relu",
            2,
            [bundle_output(make_bundle("l01_relu", relu, relu_derivative, seed=SEED))],
        ),
        test_cell(
            "l01_neuron_forward",
            2,
            [bundle_output(make_bundle("l01_neuron_forward", neuron_forward, seed=SEED))],
        ),
        test_cell(
            "l01_neuron_backward",
            3,
            [bundle_output(make_bundle("l01_neuron_backward", neuron_backward, seed=SEED))],
        ),
        test_cell(
            "l01_train", 3, [bundle_output(make_bundle("l01_train", train_neuron, seed=SEED))]
        ),
    ]
    nb, resources = grade(cells)
    assert [score(c) for c in nb.cells] == [2.0, 2.0, 3.0, 3.0]
    summary = resources["backprop"]["cells"]
    assert summary["l01_train"]["score"] == 3.0 and summary["l01_train"]["misconceptions"] == []
    n = len(get_exercise("l01_train").cases_for_seed(SEED))
    assert f"3 / 3 points, graded on {n} fresh random cases" in text(nb.cells[3])
    assert nb.cells[0].metadata["backprop"]["components"] == {"relu": True, "relu_derivative": True}


def test_partial_credit_and_named_misconception():
    ge = lambda z: (np.asarray(z) >= 0).astype(float)  # noqa: E731
    cell = recorded("l01_relu", 2, relu, ge)
    nb, resources = grade([cell])
    assert score(nb.cells[0]) == 1.0
    assert resources["backprop"]["cells"]["l01_relu"]["misconceptions"] == ["relu_grad_ge_zero"]
    assert "ReLU'(0) taken as 1" in text(nb.cells[0])


def test_all_or_nothing_exercise_with_one_wrong_component_gets_zero():
    def fwd(x, w, b):
        z, a = neuron_forward(x, w, b)
        return z + 1.0, a

    cell = test_cell(
        "l01_neuron_forward", 2, [bundle_output(make_bundle("l01_neuron_forward", fwd, seed=SEED))]
    )
    nb, _ = grade([cell])
    assert score(nb.cells[0]) == 0.0
    assert "all or nothing" in text(nb.cells[0])


def test_kernel_errors_and_stderr_in_the_cell_do_not_count():
    bundle = make_bundle("l01_relu", relu, relu_derivative, seed=SEED)
    outputs = [
        new_output("stream", name="stderr", text="UserWarning: something\n"),
        bundle_output(bundle),
        new_output("error", ename="AssertionError", evalue="x", traceback=["..."]),
        new_output("execute_result", data={"text/plain": "0"}, execution_count=1),
    ]
    nb, _ = grade([test_cell("l01_relu", 2, outputs)])
    assert score(nb.cells[0]) == 2.0
    assert [o.output_type for o in nb.cells[0].outputs] == ["stream", "execute_result"]


def test_missing_record_gets_zero_with_a_reason():
    nb, _ = grade([test_cell("l01_relu", 2, [])])
    assert score(nb.cells[0]) == 0.0
    assert "no result was recorded for l01_relu" in text(nb.cells[0])


def test_record_for_another_exercise_does_not_count():
    bundle = make_bundle("l01_neuron_forward", neuron_forward, seed=SEED)
    nb, _ = grade([test_cell("l01_relu", 2, [bundle_output(bundle)])])
    assert score(nb.cells[0]) == 0.0 and "only for other exercises" in text(nb.cells[0])


def test_last_bundle_wins():
    good = make_bundle("l01_relu", relu, relu_derivative, seed=SEED)
    bad = make_bundle("l01_relu", relu, relu, seed=SEED)
    nb, _ = grade([test_cell("l01_relu", 2, [bundle_output(good), bundle_output(bad)])])
    assert score(nb.cells[0]) == 1.0
    nb, _ = grade([test_cell("l01_relu", 2, [bundle_output(bad), bundle_output(good)])])
    assert score(nb.cells[0]) == 2.0


def _forged(mutate):
    bundle = make_bundle("l01_relu", relu, relu_derivative, seed=SEED)
    forged = copy.deepcopy(bundle)
    mutate(forged)
    return forged


N_RELU_CASES = len(get_exercise("l01_relu").make_cases(np.random.default_rng(0)))


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda b: b.update(seed=SEED + 1), "another grading seed"),
        (lambda b: b.update(seed="4242"), "another grading seed"),
        (lambda b: b.update(cases=b["cases"][:2]), f"does not have {N_RELU_CASES} cases"),
        (lambda b: b.update(cases="all right"), f"does not have {N_RELU_CASES} cases"),
        (lambda b: b.update(format=99), "unknown format"),
        (lambda b: b.update(error="TypeError: x"), "could not be run"),
        (lambda b: b["cases"].__setitem__(0, 1.0), "malformed"),
    ],
)
def test_forged_bundle_envelopes_get_zero(mutate, reason):
    nb, _ = grade([test_cell("l01_relu", 2, [bundle_output(_forged(mutate))])])
    assert score(nb.cells[0]) == 0.0
    assert reason in text(nb.cells[0])


def test_forged_payloads_lose_their_components():
    def garbage(b):
        for case in b["cases"]:
            case["relu"] = {"kind": "ndarray", "dtype": "float64", "shape": [10**7], "data": []}

    nb, _ = grade([test_cell("l01_relu", 2, [bundle_output(_forged(garbage))])])
    assert score(nb.cells[0]) == 1.0  # relu_derivative was right
    assert "not valid" in text(nb.cells[0])


def test_bundle_of_other_student_numbers_from_stale_seed_gets_zero():
    stale = make_bundle("l01_train", train_neuron, seed=0)
    nb, _ = grade([test_cell("l01_train", 3, [bundle_output(stale)])])
    assert score(nb.cells[0]) == 0.0


def test_bundle_stored_as_json_text_is_parsed():
    import json

    bundle = make_bundle("l01_relu", relu, relu_derivative, seed=SEED)
    out = new_output("display_data", data={MIME: json.dumps(bundle)})
    nb, _ = grade([test_cell("l01_relu", 2, [out])])
    assert score(nb.cells[0]) == 2.0


def test_non_exercise_cells_are_left_to_nbgrader():
    other = test_cell("my_own_test", 1, [new_output("stream", name="stdout", text="hi\n")])
    answer = new_code_cell("x = 1")
    answer.metadata["nbgrader"] = {
        "grade": True,
        "solution": True,
        "grade_id": "l01_relu_answer",
        "points": 1,
        "locked": False,
        "schema_version": 3,
    }
    nb, resources = grade([other, answer])
    assert nb.cells[0].outputs[0]["text"] == "hi\n" and "backprop" not in nb.cells[0].metadata
    assert resources["backprop"]["cells"] == {}


def test_seed_comes_from_the_environment_by_default(monkeypatch):
    monkeypatch.setenv("BACKPROP_GRADING_SEED", "31")
    assert TrustedScores().grading_seed == 31
    monkeypatch.setenv("BACKPROP_GRADING_SEED", "not a number")
    assert TrustedScores().grading_seed == 0


@pytest.mark.parametrize("section", ["TrustedScores", "SandboxedExecute"])
def test_kernel_and_scorer_agree_on_the_configured_seed(monkeypatch, section):
    """One seed setting, on either class, reaches both the kernel's env and TrustedScores."""
    from traitlets.config import Config

    from autograder.grading.execution.sandboxed_execute import SandboxedExecute

    monkeypatch.setenv("BACKPROP_GRADING_SEED", "1")
    cfg = Config()
    cfg[section].grading_seed = 99 if section == "TrustedScores" else "99"
    assert TrustedScores(config=cfg).grading_seed == 99
    assert SandboxedExecute(config=cfg).seed() == "99"


def test_an_error_in_the_test_cell_itself_is_reported_as_such():
    err = new_output(
        "error", ename="TypeError", evalue="'list' object is not callable", traceback=[]
    )
    nb, _ = grade([test_cell("l01_relu", 2, [err]), test_cell("l01_neuron_forward", 2, [])])
    own, lost = text(nb.cells[0]), text(nb.cells[1])
    assert score(nb.cells[0]) == 0.0
    assert "the test cell itself stopped with TypeError: 'list' object is not callable" in own
    assert "earlier cell" not in own
    assert "earlier cell" in lost  # no output at all: the cell did not run to its end
