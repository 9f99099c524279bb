"""Lesson 02 solutions (reference via course/) and misconception variants.

Seed layout for 2.1-2.4 (W (m, d), rows = neurons; course.seed_nets), batch layout for 2.5
(X (n, d), W (d, m); course.layers.dense_backward). A variant must not raise on any case (it
would be dropped), so mistakes that only break shapes (np.dot instead of np.outer, dZ @ W for
dX) are left to compare's shape messages.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.scoring.misconceptions import define
from autograder.grading.solutions import expected, variant
from course import activations, layers, seed_nets

define(
    "per_neuron_loss",
    "loss taken as sum of a_i^2 instead of (sum a_i)^2",
    """The loss squares the SUM y = a_1 + ... + a_m, so every neuron gets the same
    dL/da_i = 2y. Using 2 a_i differentiates sum(a_i^2), a different loss.""",
    "2.3",
)
define(
    "bias_mean_not_sum",
    "bias gradient averaged instead of summed",
    """Each example adds its own contribution to the gradient of the shared bias: db is the SUM
    of dZ over the rows (dZ.sum(axis=0)), not the mean. (An average belongs in the loss, and then
    it is already inside dZ.)""",
    "2.5",
)


def _f(a):
    return np.asarray(a, dtype=np.float64)


# --- l02_forward ------------------------------------------------------------------------------


@expected("l02_forward")
def _(case):
    z, a = seed_nets.layer_forward(case["x"], case["W"], case["b"])
    return {"z": z, "a": a}


def _z(case, bias=True):
    z = _f(case["W"]) @ _f(case["x"])
    return z + _f(case["b"]) if bias else z


@variant("l02_forward", "derivative_as_activation")
def _(case):
    return {"a": activations.relu_grad(_z(case))}


@variant("l02_forward", "forgot_bias")
def _(case):
    z = _z(case, bias=False)
    return {"z": z, "a": activations.relu(z)}


@variant("l02_forward", "no_activation")
def _(case):
    return {"a": _z(case)}


@variant("l02_forward", "swapped_outputs")
def _(case):
    z = _z(case)
    return {"z": activations.relu(z), "a": z}


# --- l02_backward -----------------------------------------------------------------------------


@expected("l02_backward")
def _(case):
    dW, db = seed_nets.layer_backward(case["x"], case["z"], case["a"])
    return {"dW": dW, "db": db}


def _backward(case, *, factor=2.0, mask=True, per_neuron=False, ge=False):
    a, z = _f(case["a"]), _f(case["z"])
    dL_da = factor * (a if per_neuron else np.full_like(a, a.sum()))
    relu_d = (z >= 0).astype(float) if ge else activations.relu_grad(z)
    delta = dL_da * (relu_d if mask else 1.0)
    return np.outer(delta, _f(case["x"])), delta


@variant("l02_backward", "factor_two")
def _(case):
    dW, db = _backward(case, factor=1.0)
    return {"dW": dW, "db": db}


@variant("l02_backward", "sign_error")
def _(case):
    dW, db = _backward(case, factor=-2.0)
    return {"dW": dW, "db": db}


@variant("l02_backward", "missing_activation_derivative")
def _(case):
    dW, db = _backward(case, mask=False)
    return {"dW": dW, "db": db}


@variant("l02_backward", "per_neuron_loss")
def _(case):
    dW, db = _backward(case, per_neuron=True)
    return {"dW": dW, "db": db}


@variant("l02_backward", "relu_grad_ge_zero")
def _(case):  # (z >= 0): a neuron exactly at z = 0 passes its gradient
    dW, db = _backward(case, ge=True)
    return {"dW": dW, "db": db}


@variant("l02_backward", "missing_transpose")
def _(case):  # np.outer(x, delta): the batch layout's (d, m) instead of the seed's (m, d)
    return {"dW": _backward(case)[0].T}


# --- l02_train --------------------------------------------------------------------------------


@expected("l02_train")
def _(case):
    W, b, losses = seed_nets.train_layer(case["x"], case["W"], case["b"], case["lr"], case["steps"])
    return {"W": W, "b": b, "losses": _f(losses)}


def _train(case, *, sign=1.0, factor=2.0, mask=True, per_neuron=False, after=False):
    x, W, b, lr = _f(case["x"]), _f(case["W"]).copy(), _f(case["b"]).copy(), case["lr"]
    losses = []
    for _ in range(case["steps"]):
        z = W @ x + b
        a = activations.relu(z)
        if not after:
            losses.append(a.sum() ** 2)
        dL_da = factor * (a if per_neuron else np.full_like(a, a.sum()))
        delta = dL_da * (activations.relu_grad(z) if mask else 1.0)
        W, b = W - sign * lr * np.outer(delta, x), b - sign * lr * delta
        if after:
            losses.append(activations.relu(W @ x + b).sum() ** 2)
    return {"W": W, "b": b, "losses": _f(losses)}


@variant("l02_train", "loss_after_update")
def _(case):
    return {"losses": _train(case, after=True)["losses"]}


@variant("l02_train", "sign_error")
def _(case):
    return _train(case, sign=-1.0)


@variant("l02_train", "factor_two")
def _(case):
    return _train(case, factor=1.0)


@variant("l02_train", "missing_activation_derivative")
def _(case):
    return _train(case, mask=False)


@variant("l02_train", "per_neuron_loss")
def _(case):
    return _train(case, per_neuron=True)


# --- l02_batch --------------------------------------------------------------------------------


@expected("l02_batch")
def _(case):
    _, cache = layers.dense_forward(case["X"], case["W"], np.zeros(_f(case["W"]).shape[1]))
    dX, dW, db = layers.dense_backward(case["dZ"], cache)
    return {"dX": dX, "dW": dW, "db": db}


@variant("l02_batch", "bias_not_summed")
def _(case):
    return {"db": _f(case["dZ"])}


@variant("l02_batch", "bias_wrong_axis")
def _(case):
    return {"db": _f(case["dZ"]).sum(axis=1)}


@variant("l02_batch", "bias_mean_not_sum")
def _(case):
    return {"db": _f(case["dZ"]).mean(axis=0)}


@variant("l02_batch", "missing_transpose")
def _(case):  # dZ^T X: the seed's (m, d) layout
    return {"dW": _f(case["dZ"]).T @ _f(case["X"])}


@variant("l02_batch", "sign_error")
def _(case):
    dZ, X, W = _f(case["dZ"]), _f(case["X"]), _f(case["W"])
    return {"dX": -dZ @ W.T, "dW": -X.T @ dZ, "db": -dZ.sum(axis=0)}
