"""Lesson 03 (seed 002) reference outputs and misconception variants (grader side).

Expected values come from course/ (activations, seed_nets); each variant is what a student with
that misconception returns (see tests/wrong_answers/l03.py for the code that produces them).
"""

from __future__ import annotations

import numpy as np

from autograder.grading.scoring.misconceptions import define
from autograder.grading.solutions import expected, variant
from course import activations, seed_nets

define(
    "sigmoid_exp_sign",
    "sign of the exponent in the sigmoid",
    """sigmoid(z) = 1 / (1 + exp(-z)), with a MINUS: 1 / (1 + exp(z)) is sigmoid(-z), which
    decreases with z (your values are 1 - the right ones).""",
)


def _f(a):
    return np.asarray(a, dtype=np.float64)


def _forward(case):
    return seed_nets.sigmoid_net_forward(case["X"], case["W1"], case["W2"])


def _grads(X, Y, W1, W2, *, act_grad=None, factor=2.0, extra_h=False):
    """Backward pass of seed 002's net with knobs for the misconceptions.

    act_grad(A): the derivative the student applies to an ACTIVATION A (right: A (1 - A)).
    factor: dE/dYhat = factor * (Yhat - Y) (right: 2). extra_h: seed 002's dW1 built from
    dW2 (which already contains H).
    """
    X, Y, W1, W2 = _f(X), _f(Y), _f(W1), _f(W2)
    act_grad = act_grad or activations.sigmoid_grad_from_output
    Zh, H, Zo, Yhat = seed_nets.sigmoid_net_forward(X, W1, W2)
    dZo = factor * (Yhat - Y) * act_grad(Yhat)
    dW2 = H @ dZo
    if extra_h:
        dZh = dW2 * W2 * act_grad(H)  # the seed's dE_dW2 * dO_dH * dH_dZ
    else:
        dZh = (W2 @ dZo) * act_grad(H)
    return X @ dZh.T, dW2


def _s_of_activation(A):
    """s(A)(1 - s(A)): the pre-activation formula applied to an activation (s(s(z)) terms)."""
    return activations.sigmoid_grad(A)


# --- l03_sigmoid ----------------------------------------------------------------------------------


@expected("l03_sigmoid")
def _(case):
    return {
        "sigmoid": activations.sigmoid(_f(case["z"])),
        "sigmoid_grad_from_output": activations.sigmoid_grad_from_output(_f(case["a"])),
    }


@variant("l03_sigmoid", "sigmoid_grad_of_activation")
def _(case):
    return {"sigmoid_grad_from_output": activations.sigmoid_grad(_f(case["a"]))}


define(
    "sigmoid_overflow",
    "sigmoid that overflows for large z",
    """exp(z) / (1 + exp(z)) is inf / inf = NaN once z > 709 (exp overflows in float64). Take exp
    only of a non-positive number: 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for
    z < 0 (np.where), or e = exp(-|z|) in both branches.""",
    section="3.2",
)


@variant("l03_sigmoid", "sigmoid_overflow")
def _(case):
    z = _f(case["z"])
    with np.errstate(all="ignore"):
        return {"sigmoid": np.exp(z) / (1.0 + np.exp(z))}


@variant("l03_sigmoid", "sigmoid_exp_sign")
def _(case):
    return {"sigmoid": activations.sigmoid(-_f(case["z"]))}


# --- l03_forward ----------------------------------------------------------------------------------


@expected("l03_forward")
def _(case):
    Zh, H, Zo, Yhat = _forward(case)
    return {"Zh": Zh, "H": H, "Zo": Zo, "Yhat": Yhat}


@variant("l03_forward", "no_activation")
def _(case):
    """Yhat = Zo: the output sigmoid left out."""
    Zh, H, Zo, _ = _forward(case)
    return {"Zh": Zh, "H": H, "Zo": Zo, "Yhat": Zo}


@variant("l03_forward", "derivative_as_activation")
def _(case):
    """H = s'(Zh) and Yhat = s'(Zo): the derivative used as the activation."""
    Zh = _f(case["W1"]).T @ _f(case["X"])
    H = activations.sigmoid_grad(Zh)
    Zo = H.T @ _f(case["W2"])
    return {"Zh": Zh, "H": H, "Zo": Zo, "Yhat": activations.sigmoid_grad(Zo)}


# --- l03_backward ---------------------------------------------------------------------------------


@expected("l03_backward")
def _(case):
    dW1, dW2 = seed_nets.sigmoid_net_backward(case["X"], case["Y"], case["W1"], case["W2"])
    return {"dW1": dW1, "dW2": dW2}


@variant("l03_backward", "seed002_extra_h")
def _(case):
    dW1, dW2 = _grads(case["X"], case["Y"], case["W1"], case["W2"], extra_h=True)
    return {"dW1": dW1, "dW2": dW2}


@variant("l03_backward", "sigmoid_grad_of_activation")
def _(case):
    dW1, dW2 = _grads(case["X"], case["Y"], case["W1"], case["W2"], act_grad=_s_of_activation)
    return {"dW1": dW1, "dW2": dW2}


@variant("l03_backward", "factor_two")
def _(case):
    dW1, dW2 = _grads(case["X"], case["Y"], case["W1"], case["W2"], factor=1.0)
    return {"dW1": dW1, "dW2": dW2}


@variant("l03_backward", "sign_error")
def _(case):
    dW1, dW2 = _grads(case["X"], case["Y"], case["W1"], case["W2"], factor=-2.0)
    return {"dW1": dW1, "dW2": dW2}


# --- l03_step -------------------------------------------------------------------------------------


@expected("l03_step")
def _(case):
    W1_new, W2_new = seed_nets.sigmoid_net_step(
        case["X"], case["Y"], case["W1"], case["W2"], case["lr"]
    )
    return {"W1_new": W1_new, "W2_new": W2_new}


@variant("l03_step", "stale_weights")
def _(case):
    """W2 updated first, then dW1 back-propagated through the NEW W2."""
    X, Y, W1, W2, lr = _f(case["X"]), _f(case["Y"]), _f(case["W1"]), _f(case["W2"]), case["lr"]
    _, H, _, Yhat = seed_nets.sigmoid_net_forward(X, W1, W2)
    dZo = 2.0 * (Yhat - Y) * Yhat * (1.0 - Yhat)
    W2_new = W2 - lr * (H @ dZo)
    dZh = (W2_new @ dZo) * H * (1.0 - H)  # the forward values are the old ones, W2 is not
    return {"W1_new": W1 - lr * (X @ dZh.T), "W2_new": W2_new}


@variant("l03_step", "sign_error")
def _(case):
    W1, W2, lr = _f(case["W1"]), _f(case["W2"]), case["lr"]
    dW1, dW2 = _grads(case["X"], case["Y"], W1, W2)
    return {"W1_new": W1 + lr * dW1, "W2_new": W2 + lr * dW2}


@variant("l03_step", "seed002_extra_h")
def _(case):
    W1, W2, lr = _f(case["W1"]), _f(case["W2"]), case["lr"]
    dW1, dW2 = _grads(case["X"], case["Y"], W1, W2, extra_h=True)
    return {"W1_new": W1 - lr * dW1, "W2_new": W2 - lr * dW2}
