"""compare: per-component verdicts, diagnoses in the student's terms, misconception matching.

Oracles: hand-written expected arrays and their deliberate distortions (transpose, reshape,
dtype, sign, factor 2); no reference implementation involved.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.student.compare import compare
from autograder.student.serialize import encode
from autograder.student.spec import Exercise, Raised

RNG = np.random.default_rng(0)
A = [RNG.normal(size=(2, 3)), RNG.normal(size=(4, 5))]  # two cases, non-square
V = [RNG.normal(size=3), RNG.normal(size=1)]


def make_ex(partial=True, kinds=None):
    return Exercise(
        id="l99_toy",
        lesson="99_toy",
        section="9.9",
        functions=("f",),
        components={"dW": 0.75, "db": 0.25},
        make_cases=lambda rng: [],
        call=lambda fns, case: {},
        partial=partial,
        kinds=kinds or {},
    )


EXPECTED = [{"dW": A[i], "db": V[i]} for i in range(2)]


def run(dW, db, ex=None, variants=None, catalogue=None):
    got = [{"dW": encode(dW[i]), "db": encode(db[i])} for i in range(2)]
    return compare(ex or make_ex(), got, EXPECTED, variants, catalogue)


def test_correct_answer_gets_everything():
    v = run(A, V)
    assert v.ok and v.fraction == 1.0
    assert "\u2714 dW" in "\n".join(v.lines())


def test_within_tolerance_is_right_outside_is_wrong():
    assert run([a * (1 + 5e-7) for a in A], V).ok
    v = run([a * (1 + 1e-5) for a in A], V)
    assert not v.components["dW"].ok
    assert v.tolerance == "float64, rtol 1e-06, atol 1e-09"


def test_partial_credit_is_the_weight_of_components_right_on_every_case():
    db_wrong_on_one_case = [V[0], V[1] + 1.0]
    v = run(A, db_wrong_on_one_case)
    assert v.components["dW"].ok and not v.components["db"].ok
    assert v.fraction == pytest.approx(0.75)
    assert "case 2 of 2" in v.components["db"].message
    assert "[wrong on 1 of 2 cases]" in v.components["db"].message
    assert run(A, db_wrong_on_one_case, ex=make_ex(partial=False)).fraction == 0.0


def test_transposed_answer_is_named_missing_transpose():
    v = run([a.T for a in A], V)
    c = v.components["dW"]
    assert not c.ok and c.misconception == "missing_transpose"
    assert "expected (2, 3), got (3, 2)" in c.message and "missing transpose" in c.message


def test_column_instead_of_vector_names_the_shapes():
    v = run(A, [x.reshape(-1, 1) for x in V])
    c = v.components["db"]
    assert "expected (3,), got (3, 1)" in c.message
    assert "(n, 1) - (n,)" in c.message and "numbers are right" in c.message
    assert c.misconception == "column_vs_vector"


def test_broadcast_to_n_by_n_is_recognised():
    bad = [V[0].reshape(-1, 1) - V[0], np.zeros((1, 1))]
    c = run(A, bad).components["db"]
    assert "(3, 3)" in c.message and "broadcasts to (n, n)" in c.message


@pytest.mark.parametrize("dtype, mid", [(np.float32, "float32"), (np.int64, "integer_dtype")])
def test_wrong_dtype_is_a_dtype_problem(dtype, mid):
    ints = [np.round(a) for a in A]
    exp = [{"dW": ints[i], "db": V[i]} for i in range(2)]
    got = [{"dW": encode(ints[i].astype(dtype)), "db": encode(V[i])} for i in range(2)]
    c = compare(make_ex(), got, exp).components["dW"]
    assert not c.ok and c.misconception == mid
    assert np.dtype(dtype).name in c.message and "float64" in c.message


def test_float32_precision_loss_is_named():
    c = run([a.astype(np.float32) for a in A], V).components["dW"]
    assert not c.ok and c.misconception == "float32" and "float32" in c.message


def test_exception_is_reported_as_type_and_message_only():
    err = Raised("ValueError", "operands could not be broadcast together")
    got = [{"dW": encode(err), "db": encode(V[i])} for i in range(2)]
    c = compare(make_ex(), got, EXPECTED).components["dW"]
    assert c.message.startswith("case 1 of 2: raised ValueError: operands could not")
    assert "Traceback" not in c.message


def test_not_implemented_says_not_written_yet():
    got = [{"dW": encode(Raised("NotImplementedError", "")), "db": encode(V[i])} for i in range(2)]
    assert "not written yet" in compare(make_ex(), got, EXPECTED).components["dW"].message


def test_nan_is_reported():
    bad = [a.copy() for a in A]
    bad[0][0, 0] = np.nan
    c = run(bad, V).components["dW"]
    assert "contains NaN (1 of 6 entries)" in c.message


@pytest.mark.parametrize(
    "factor, mid", [(-1.0, "sign_error"), (2.0, "factor_two"), (0.5, "factor_two")]
)
def test_generic_sign_and_factor_two(factor, mid):
    c = run([factor * a for a in A], V).components["dW"]
    assert c.misconception == mid


def test_none_and_weird_objects():
    v = run([None, None], [(x for x in []), (x for x in [])])
    assert "returned None" in v.components["dW"].message
    assert v.components["dW"].misconception == "missing_return"
    assert "returned a generator" in v.components["db"].message
    assert v.fraction == 0.0


def test_forged_payloads_never_count():
    forged = {"kind": "ndarray", "dtype": "float64", "shape": [2, 3], "data": "all right"}
    got = [{"dW": forged, "db": encode(V[i])} for i in range(2)]
    c = compare(make_ex(), got, EXPECTED).components["dW"]
    assert not c.ok and "not valid" in c.message
    missing = compare(make_ex(), [{"db": encode(V[0])}], EXPECTED)
    assert missing.fraction == 0.0


VARIANT = {"seed_mistake": [{"dW": A[i] * 3.0} for i in range(2)]}
CATALOGUE = {"seed_mistake": {"title": "a seed's mistake", "explanation": "why.", "section": "4.2"}}


def test_variant_matching_on_every_case_names_misconception_and_section():
    c = run([3.0 * a for a in A], V, variants=VARIANT, catalogue=CATALOGUE).components["dW"]
    assert c.misconception == "seed_mistake"
    assert "looks like: a seed's mistake. why. (see \u00a74.2)" in c.message


def test_variant_matching_on_one_case_only_is_not_named():
    c = run([3.0 * A[0], 7.0 * A[1]], V, variants=VARIANT, catalogue=CATALOGUE).components["dW"]
    assert not c.ok and c.misconception is None


def test_variant_explaining_more_components_wins():
    variants = {
        "only_dW": [{"dW": -A[i]} for i in range(2)],
        "both": [{"dW": -A[i], "db": 2 * V[i]} for i in range(2)],
    }
    v = run([-a for a in A], [2 * x for x in V], variants=variants)
    assert v.components["dW"].misconception == "both"
    assert v.components["db"].misconception == "both"


def test_required_tensor_kind():
    c = run(A, V, ex=make_ex(kinds={"dW": "tensor"})).components["dW"]
    assert not c.ok and "torch tensor" in c.message


def test_a_mutated_input_costs_the_exercise_and_is_named():
    got = [{"dW": encode(A[i]), "db": encode(V[i])} for i in range(2)]
    v = compare(make_ex(), got, EXPECTED, mutated=[[], ["W"]])
    assert not v.ok and v.fraction == 0.0
    assert v.misconceptions == ["mutates_input"]
    assert "changed its input `W` in place" in v.components["dW"].message


def test_an_input_the_exercise_allows_to_change_is_no_mistake():
    ex = Exercise(**{**make_ex().__dict__, "may_change": ("W",)})
    got = [{"dW": encode(A[i]), "db": encode(V[i])} for i in range(2)]
    v = compare(ex, got, EXPECTED, mutated=[[], ["W"]])
    assert v.ok and v.fraction == 1.0 and v.notes  # still said, as a note


def test_swapped_outputs_are_named_without_a_variant():
    ex = Exercise(**{**make_ex().__dict__, "components": {"a": 0.5, "z": 0.5}})
    exp = [{"a": np.maximum(V[i], 0), "z": V[i]} for i in range(2)]
    got = [{"a": encode(V[i]), "z": encode(np.maximum(V[i], 0))} for i in range(2)]
    v = compare(ex, got, exp)
    assert not v.ok and v.misconceptions == ["swapped_outputs"]


def test_equal_components_are_not_called_swapped():
    # the student's z is wrong (zeros) and the expected a is zero too: no swap explains that
    ex = Exercise(**{**make_ex().__dict__, "components": {"a": 0.5, "z": 0.5}})
    neg = [-np.abs(V[i]) - 0.1 for i in range(2)]
    exp = [{"a": np.zeros_like(neg[i]), "z": neg[i]} for i in range(2)]
    zeros = [encode(np.zeros_like(neg[i])) for i in range(2)]
    got = [{"a": zeros[i], "z": zeros[i]} for i in range(2)]
    v = compare(ex, got, exp)
    assert v.components["a"].ok and v.components["z"].misconception is None


def test_a_variant_that_leaves_a_component_unchanged_does_not_explain_it():
    # variant "no_activation" changes only db; the student's dW is float32 (right values):
    # the diagnosis must be float32, never the unrelated variant
    variants = {"no_activation": [{"dW": A[i], "db": V[i] + 1} for i in range(2)]}
    v = run([a.astype(np.float32) for a in A], V, variants=variants)
    assert v.components["dW"].misconception == "float32"


def test_a_boolean_result_is_named():
    exp = [{"dW": A[i], "db": (V[i] > 0).astype(float)} for i in range(2)]
    got = [{"dW": encode(A[i]), "db": encode(V[i] > 0)} for i in range(2)]
    c = compare(make_ex(), got, exp).components["db"]
    assert not c.ok and c.misconception == "boolean_result" and "dtype bool" in c.message


def test_a_matmul_shape_error_is_matched_to_a_missing_transpose():
    err = Raised(
        "ValueError",
        "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
        "(n?,k),(k,m?)->(n?,m?) (size 3 is different from 2)",
    )
    v = run([err, err], V)
    assert v.components["dW"].misconception == "missing_transpose"
    torch_err = Raised("RuntimeError", "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x4)")
    assert run([torch_err, torch_err], V).components["dW"].misconception == "missing_transpose"


def test_generic_named_when_it_explains_most_wrong_cases():
    err = Raised(
        "ValueError", "The truth value of an array with more than one element is ambiguous"
    )
    got = [{"dW": encode(err), "db": encode(V[0])}, {"dW": encode(1.0), "db": encode(V[1])}]
    c = compare(make_ex(), got, EXPECTED).components["dW"]
    assert c.misconception == "python_if_on_array" and c.wrong_cases == 2
    mixed = [
        {"dW": encode(-A[0]), "db": encode(V[0])},
        {"dW": encode(2 * A[1]), "db": encode(V[1])},
    ]
    assert compare(make_ex(), mixed, EXPECTED).components["dW"].misconception is None


def test_a_real_error_is_shown_rather_than_a_float32_rounding():
    # case 1: float32 rounding only; case 2: a real error. The message must show case 2.
    dW = [A[0].astype(np.float32), A[1] + 1.0]
    c = run(dW, V).components["dW"]
    assert not c.ok and c.message.startswith("case 2 of 2: wrong values"), c.message


def test_a_mutated_input_is_said_even_when_every_component_is_wrong():
    got = [{"dW": encode(-A[i]), "db": encode(-V[i])} for i in range(2)]
    v = compare(make_ex(), got, EXPECTED, mutated=[["W"], []])
    assert not v.ok and any("`W`" in n and "in place" in n for n in v.notes)
