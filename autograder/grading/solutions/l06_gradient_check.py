"""Lesson 06 solutions (seed 003, Zaki & Meira Example 25.3; reference via course/) and
misconception variants.

Network: Xa = aug(X), Z1 = Xa W1, H = tanh(Z1), Yhat = aug(H) W2, E = 1/(2n) sum (Yhat - Y)^2.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.scoring.misconceptions import define
from autograder.grading.solutions import expected, variant
from autograder.student.lessons.l06_gradient_check import make_function
from course import gradcheck, losses, network

define(
    "aug_ones_last",
    "column of ones appended at the end",
    """aug puts the column of ones FIRST, so that row 0 of every weight matrix is the bias (and
    the backward pass skips W2[0], not W2[-1]). np.hstack([np.ones((n, 1)), X]), in that
    order.""",
    section="6.1",
)
define(
    "aug_zeros",
    "column of zeros instead of ones",
    """The extra input must be the constant 1: the weight it multiplies then acts as a bias.
    A column of zeros switches the bias off. Use np.ones((n, 1)).""",
    section="6.1",
)
define(
    "loss_sum_vs_mean",
    "1/n of the mean left out",
    """Example 25.3's loss is a mean, E = 1/(2n) sum (Yhat - Y)^2, so dZ2 = (Yhat - Y) / n.
    Without the 1/n the gradient is n times too large (n = number of rows of X).""",
    section="6.2",
)
define(
    "tanh_grad_of_activation",
    "tanh' applied to the activation",
    """tanh'(Z1) = 1 - tanh(Z1)^2 = 1 - H^2 with H = tanh(Z1) already computed. Writing
    1 - tanh(H)^2 applies tanh twice. Use 1 - H**2 (or df1 of the PRE-activation).""",
    section="6.2",
)
define(
    "numerical_ignores_h",
    "step h ignored",
    """numerical_gradient must use the h it is given (the checks pass several values), not a
    fixed 1e-5.""",
    section="6.3",
)
define(
    "rel_error_no_guard",
    "relative error without the 1e-8 guard",
    """The denominator is max(1e-8, |a| + |n|). Without the guard two gradients that are zero up
    to round-off (1e-20 and -1e-20) count as a 100% error, and 0/0 gives NaN.""",
    section="6.3",
)
define(
    "rel_error_max_denominator",
    "relative error divided by max(|a|, |n|)",
    """This exercise uses the SUM |a| + |n| in the denominator (cs231n's assignments); the lecture
    notes' max(|a|, |n|) gives values up to twice as large. Use max(1e-8, |a| + |n|).""",
    section="6.3",
)
define(
    "rel_error_norms",
    "relative error of norms instead of elementwise",
    """rel_error is elementwise, then the maximum: max_i |a_i - n_i| / max(1e-8, |a_i| + |n_i|),
    not ||a - n|| / (||a|| + ||n||) (which hides a wrong small entry among large ones).""",
    section="6.3",
)


def _grads(X, Y, W1, W2, *, scale=1.0, bias_row="first", tanh_twice=False):
    """Backward pass of the augmented tanh net with switchable mistakes -> (dW1, dW2)."""
    Xa = network.aug(X)
    H = np.tanh(Xa @ W1)
    Ha = network.aug(H)
    Yhat = Ha @ W2
    dZ2 = scale * (Yhat - Y) / len(X)
    rows = W2[1:] if bias_row == "first" else W2[:-1]
    dH_dZ1 = 1.0 - np.tanh(H) ** 2 if tanh_twice else 1.0 - H**2
    dZ1 = (dZ2 @ rows.T) * dH_dZ1
    return Xa.T @ dZ1, Ha.T @ dZ2


def _net(case, **kw):
    return _grads(case["X"], case["Y"], case["W1"], case["W2"], **kw)


def _reference_grads(case):
    Yhat, cache = network.aug_forward(case["X"], case["W1"], case["W2"], "tanh", "identity")
    _, dYhat = losses.half_mse(Yhat, case["Y"])
    return network.aug_backward(dYhat, cache)


# --- l06_aug -----------------------------------------------------------------------------------


@expected("l06_aug")
def _(case):
    return {"Xa": network.aug(case["X"])}


@variant("l06_aug", "aug_ones_last")
def _(case):
    X = np.asarray(case["X"], dtype=float)
    return {"Xa": np.hstack([X, np.ones((len(X), 1))])}


@variant("l06_aug", "aug_zeros")
def _(case):
    X = np.asarray(case["X"], dtype=float)
    return {"Xa": np.hstack([np.zeros((len(X), 1)), X])}


# --- l06_gradients -----------------------------------------------------------------------------


@expected("l06_gradients")
def _(case):
    dW1, dW2 = _reference_grads(case)
    return {"dW1": dW1, "dW2": dW2}


@variant("l06_gradients", "factor_two", section="6.3")
def _(case):  # the gradient of mean((Yhat - Y)^2), the seed's numerical-gradient loss
    dW1, dW2 = _net(case, scale=2.0)
    return {"dW1": dW1, "dW2": dW2}


@variant("l06_gradients", "loss_sum_vs_mean")
def _(case):
    dW1, dW2 = _net(case, scale=float(len(case["X"])))
    return {"dW1": dW1, "dW2": dW2}


@variant("l06_gradients", "bias_row_backprop", section="6.2")
def _(case):  # W2[:-1]: the bias row kept, the last hidden unit's row dropped (dW2 is right)
    return {"dW1": _net(case, bias_row="last")[0]}


@variant("l06_gradients", "tanh_grad_of_activation")
def _(case):  # dW2 is right
    return {"dW1": _net(case, tanh_twice=True)[0]}


# --- l06_numerical -----------------------------------------------------------------------------


def _difference(case, *, kind="central", h=None):
    f = make_function(case)
    h = case["h"] if h is None else h
    W = np.array(case["W"], dtype=float)
    grad = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        old = W[i]
        W[i] = old + h
        f_plus = f(W)
        W[i] = old - h
        f_minus = f(W)
        W[i] = old
        f_zero = f(W)
        if kind == "forward":
            grad[i] = (f_plus - f_zero) / h
        elif kind == "central_no_half":
            grad[i] = (f_plus - f_minus) / h
        else:
            grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@expected("l06_numerical")
def _(case):
    return {"dW": gradcheck.numerical_gradient(make_function(case), case["W"], case["h"])}


@variant("l06_numerical", "one_sided_difference")
def _(case):
    return {"dW": _difference(case, kind="forward")}


@variant("l06_numerical", "factor_two", section="6.3")
def _(case):  # (f(x+h) - f(x-h)) / h
    return {"dW": _difference(case, kind="central_no_half")}


@variant("l06_numerical", "numerical_ignores_h")
def _(case):
    return {"dW": _difference(case, h=1e-5)}


# --- l06_rel_error -----------------------------------------------------------------------------


def _pair(case):
    return np.asarray(case["a"], dtype=float), np.asarray(case["n"], dtype=float)


@expected("l06_rel_error")
def _(case):
    return {"rel_error": gradcheck.rel_error(case["a"], case["n"])}


@variant("l06_rel_error", "rel_error_no_guard")
def _(case):
    a, n = _pair(case)
    return {"rel_error": float(np.max(np.abs(a - n) / (np.abs(a) + np.abs(n))))}


@variant("l06_rel_error", "rel_error_max_denominator")
def _(case):
    a, n = _pair(case)
    den = np.maximum(1e-8, np.maximum(np.abs(a), np.abs(n)))
    return {"rel_error": float(np.max(np.abs(a - n) / den))}


@variant("l06_rel_error", "rel_error_norms")
def _(case):
    a, n = _pair(case)
    den = max(1e-8, float(np.linalg.norm(a) + np.linalg.norm(n)))
    return {"rel_error": float(np.linalg.norm(a - n)) / den}


# --- l06_update --------------------------------------------------------------------------------


@expected("l06_update")
def _(case):
    dW1, dW2 = _reference_grads(case)
    new = network.gd_step(
        {"W1": case["W1"], "W2": case["W2"]}, {"dW1": dW1, "dW2": dW2}, case["eta"]
    )
    return {"W1_new": new["W1"], "W2_new": new["W2"]}


@variant("l06_update", "stale_weights", section="6.4")
def _(case):  # seed 003: W2 updated first, then dZ1 through the new W2
    X, Y, W1, W2, eta = (case[k] for k in ("X", "Y", "W1", "W2", "eta"))
    Xa = network.aug(X)
    H = np.tanh(Xa @ W1)
    Ha = network.aug(H)
    dZ2 = (Ha @ W2 - Y) / len(X)
    W2_new = W2 - eta * (Ha.T @ dZ2)
    dZ1 = (dZ2 @ W2_new[1:].T) * (1.0 - H**2)
    return {"W1_new": W1 - eta * (Xa.T @ dZ1)}  # W2_new is right


def _step(case, **kw):
    dW1, dW2 = _net(case, **kw)
    return {"W1_new": case["W1"] - case["eta"] * dW1, "W2_new": case["W2"] - case["eta"] * dW2}


@variant("l06_update", "factor_two", section="6.3")
def _(case):
    return _step(case, scale=2.0)


@variant("l06_update", "bias_row_backprop", section="6.2")
def _(case):  # W2_new is right
    return {"W1_new": _step(case, bias_row="last")["W1_new"]}


@variant("l06_update", "sign_error", section="6.4")
def _(case):
    dW1, dW2 = _net(case)
    return {"W1_new": case["W1"] + case["eta"] * dW1, "W2_new": case["W2"] + case["eta"] * dW2}
