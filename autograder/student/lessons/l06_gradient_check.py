"""Lesson 06 (seed 003, Zaki & Meira Example 25.3): gradient checking on a tanh network.

Network with biases by augmentation: Xa = aug(X) (n, d+1), H = tanh(Xa W1) (n, m),
Yhat = aug(H) W2 (n, p) (identity output), loss E = (1/2n) sum (Yhat - Y)^2 (n = rows).
W1 (d+1, m), W2 (m+1, p); the first row of each W is the bias (aug puts the ones first).
"""

from __future__ import annotations

import numpy as np

from autograder.student.spec import Exercise, register, unpack

# (n, d, m, p): a batch of one, the book's d = p = 1, non-square layers.
NET_SHAPES = ((1, 2, 3, 1), (6, 1, 4, 1), (5, 3, 2, 2), (8, 2, 5, 3))


# ---------------------------------------------------------------------------------------------
# l06_aug


def _aug_cases(rng):
    shapes = ((1, 1), (4, 1), (3, 2), (5, 4), (3, 3))  # (3, 3): square X
    return [{"X": rng.uniform(-10, 10, size=s)} for s in shapes]


def _aug_worked():
    return [{"X": np.array([[-2.0], [0.5], [3.0]])}, {"X": np.array([[1.0, -1.0], [2.0, 0.25]])}]


def _call_aug(fns, case):
    return {"Xa": fns["aug"](case["X"])}


# ---------------------------------------------------------------------------------------------
# l06_gradients, l06_update


def _net_case(rng, n, d, m, p):
    X = rng.uniform(-3.0, 3.0, size=(n, d))
    Y = np.sin(X @ rng.normal(size=(d, p)))
    W1 = rng.normal(scale=0.7, size=(d + 1, m))
    W2 = rng.normal(scale=0.7, size=(m + 1, p))
    return {"X": X, "Y": Y, "W1": W1, "W2": W2}


def _net_cases(rng):
    return [_net_case(rng, *s) for s in NET_SHAPES]


def _update_cases(rng):
    cases = _net_cases(rng)
    for case in cases:
        case["eta"] = float(rng.uniform(0.05, 0.5))
    return cases


def _net_worked():
    """Five points of sin x on [-3, 3] (Zaki & Meira's setting, small), m = 3 tanh units."""
    X = np.array([[-2.5], [-1.0], [0.3], [1.4], [2.8]])
    W1 = np.array([[0.1, -0.4, 0.25], [0.8, -0.3, 0.5]])
    W2 = np.array([[0.05], [0.9], [-0.6], [0.3]])
    return [{"X": X, "Y": np.sin(X), "W1": W1, "W2": W2}]


def _update_worked():
    cases = _net_worked()
    cases[0]["eta"] = 0.1
    return cases


def _call_gradients(fns, case):
    dW1, dW2 = unpack(fns["gradients"](case["X"], case["Y"], case["W1"], case["W2"]), "dW1", "dW2")
    return {"dW1": dW1, "dW2": dW2}


def _call_update(fns, case):
    args = (case["X"], case["Y"], case["W1"], case["W2"], case["eta"])
    W1_new, W2_new = unpack(fns["update_pars"](*args), "W1_new", "W2_new")
    return {"W1_new": W1_new, "W2_new": W2_new}


# ---------------------------------------------------------------------------------------------
# l06_numerical: a generic scalar function of an array, built from the case's arrays


def make_function(case):
    """f(W) = sum(C * tanh(A @ W)) + sum(W**3) / 3 for a 2-D W, sum(C * tanh(A * W)) + ...
    elementwise for a 1-D W. Curved enough (f'' of order 1) that a forward difference is off
    by about h/2 * f'', far beyond the tolerance; f reads only its argument."""
    A, C = case["A"], case["C"]

    def f(W):
        W = np.asarray(W, dtype=np.float64)
        inner = A @ W if W.ndim == 2 else A * W
        return float(np.sum(C * np.tanh(inner)) + np.sum(W**3) / 3.0)

    return f


def _numerical_case(rng, shape, h):
    W = rng.normal(size=shape)
    if len(shape) == 2:
        A = rng.normal(size=(3, shape[0]))
        C = rng.normal(size=(3, shape[1]))
    else:
        A = rng.normal(size=shape)
        C = rng.normal(size=shape)
    return {"W": W, "A": A, "C": C, "h": float(h)}


def _numerical_cases(rng):
    # one weight, one row (1, 3), a square W (a transposed result keeps its shape)
    specs = (
        ((1,), 1e-5),
        ((4,), 1e-4),
        ((2, 3), 1e-3),
        ((3, 1), 1e-5),
        ((1, 3), 1e-4),
        ((3, 3), 1e-2),
    )
    return [_numerical_case(rng, shape, h) for shape, h in specs]


def _numerical_worked():
    rng = np.random.default_rng(6)
    return [_numerical_case(rng, (2, 2), 1e-2), _numerical_case(rng, (3,), 1e-5)]


def _call_numerical(fns, case):
    return {"dW": fns["numerical_gradient"](make_function(case), case["W"], case["h"])}


# ---------------------------------------------------------------------------------------------
# l06_rel_error: pairs (analytic, numerical) with a few tiny entries where the 1e-8 guard
# decides the answer (|a| + |n| << 1e-8 but a != n), and no 0/0 pairs


def _rel_case(rng, shape, scale):
    a = rng.normal(size=shape)
    n = a * (1.0 + rng.normal(scale=scale, size=shape))
    flat_a, flat_n = a.reshape(-1), n.reshape(-1)
    k = max(1, flat_a.size // 4)
    flat_a[:k] = rng.uniform(1e-22, 1e-20, size=k)  # a gradient that is "zero" up to round-off
    flat_n[:k] = -rng.uniform(1e-22, 1e-20, size=k)
    return {"a": a, "n": n}


def _rel_cases(rng):
    # (1,): one entry, "zero" up to round-off (the 1e-8 floor decides); (1, 4): one row
    specs = (
        ((3,), 1e-3),
        ((2, 4), 1e-6),
        ((5,), 1e-2),
        ((3, 3), 1e-9),
        ((1,), 1e-4),
        ((1, 4), 1e-4),
    )
    return [_rel_case(rng, shape, scale) for shape, scale in specs]


def _rel_worked():
    return [
        {"a": np.array([1.0, -2.0, 3e-11, 0.5]), "n": np.array([1.0001, -2.0, -2e-11, 0.49])},
        {"a": np.array([[2.0, 4.0], [6.0, 8.0]]), "n": np.array([[1.0, 2.0], [3.0, 4.0]])},
    ]


def _call_rel(fns, case):
    return {"rel_error": fns["rel_error"](case["a"], case["n"])}


# ---------------------------------------------------------------------------------------------

register(
    Exercise(
        id="l06_aug",
        lesson="06_gradient_check",
        section="6.1",
        title="aug(X): a leading column of ones",
        functions=("aug",),
        components={"Xa": 1.0},
        partial=False,
        make_cases=_aug_cases,
        call=_call_aug,
        worked_examples=_aug_worked,
    )
)

register(
    Exercise(
        id="l06_gradients",
        lesson="06_gradient_check",
        section="6.2",
        title="analytic gradients (dW1, dW2) of (1/2n) sum (Yhat - Y)^2",
        functions=("gradients",),
        components={"dW1": 0.5, "dW2": 0.5},
        partial=True,
        make_cases=_net_cases,
        call=_call_gradients,
        worked_examples=_net_worked,
    )
)

register(
    Exercise(
        id="l06_numerical",
        lesson="06_gradient_check",
        section="6.3",
        title="numerical gradient by central differences",
        functions=("numerical_gradient",),
        components={"dW": 1.0},
        partial=False,
        make_cases=_numerical_cases,
        call=_call_numerical,
        worked_examples=_numerical_worked,
    )
)

register(
    Exercise(
        id="l06_rel_error",
        lesson="06_gradient_check",
        section="6.3",
        title="rel_error(a, n) = max |a - n| / max(1e-8, |a| + |n|)",
        functions=("rel_error",),
        components={"rel_error": 1.0},
        partial=False,
        make_cases=_rel_cases,
        call=_call_rel,
        worked_examples=_rel_worked,
    )
)

register(
    Exercise(
        id="l06_update",
        lesson="06_gradient_check",
        section="6.4",
        title="update_pars: one gradient step, all gradients at the old weights",
        functions=("update_pars",),
        components={"W1_new": 0.5, "W2_new": 0.5},
        partial=True,
        make_cases=_update_cases,
        call=_call_update,
        worked_examples=_update_worked,
    )
)
