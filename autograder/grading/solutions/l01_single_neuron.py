"""Lesson 01 solutions (reference via course/) and misconception variants. The model file."""

from __future__ import annotations

import numpy as np

from autograder.grading.scoring.misconceptions import define
from autograder.grading.solutions import expected, variant
from course import activations, layers, seed_nets

# --- l01_relu ---------------------------------------------------------------------------------


@expected("l01_relu")
def _(case):
    return {
        "relu": activations.relu(case["z"]),
        "relu_derivative": activations.relu_grad(case["z"]),
    }


@variant("l01_relu", "relu_grad_ge_zero")
def _(case):
    return {"relu_derivative": (np.asarray(case["z"]) >= 0).astype(float)}


@variant("l01_relu", "derivative_as_activation")
def _(case):  # relu returns the step function (and its "derivative" the identity's 1)
    return {"relu": activations.relu_grad(case["z"])}


define(
    "activation_as_derivative",
    "the activation returned as its own derivative",
    """relu_derivative returned ReLU(z) itself. The derivative of ReLU is a step: 1 where z > 0 and
    0 elsewhere; it says how much the output moves per unit of input, not the output's value.""",
    "1.2",
)


@variant("l01_relu", "activation_as_derivative")
def _(case):
    return {"relu_derivative": activations.relu(case["z"])}


@variant("l01_relu", "swapped_outputs")
def _(case):
    return {
        "relu": activations.relu_grad(case["z"]),
        "relu_derivative": activations.relu(case["z"]),
    }


# --- l01_neuron_forward -----------------------------------------------------------------------


def _forward(x, w, b):
    a, _ = layers.neuron_forward(x, w, b, "relu")
    return float(np.dot(w, x) + b), a


@expected("l01_neuron_forward")
def _(case):
    z, a = _forward(case["x"], case["w"], case["b"])
    return {"z": z, "a": a}


@variant("l01_neuron_forward", "forgot_bias")
def _(case):
    z = float(np.dot(case["w"], case["x"]))
    return {"a": max(z, 0.0), "z": z}


@variant("l01_neuron_forward", "derivative_as_activation")
def _(case):
    z, _ = _forward(case["x"], case["w"], case["b"])
    return {"a": float(activations.relu_grad(z))}


@variant("l01_neuron_forward", "no_activation")
def _(case):
    z, _ = _forward(case["x"], case["w"], case["b"])
    return {"a": z}


# --- l01_neuron_backward ----------------------------------------------------------------------


def _delta(case, factor=2.0, use_relu=True, ge=False):
    relu_d = float(activations.relu_grad(case["z"])) if use_relu else 1.0
    relu_d = float(case["z"] >= 0) if ge else relu_d
    return factor * (case["a"] - case["target"]) * relu_d


@expected("l01_neuron_backward")
def _(case):
    # via the reference layer: cache = (x, w, activation cache); w is not needed for dw, db
    x = np.asarray(case["x"], dtype=float)
    cache = (x, np.zeros_like(x), (np.float64(case["z"]), "relu"))
    _, dw, db = layers.neuron_backward(2.0 * (case["a"] - case["target"]), cache)
    return {"dw": dw, "db": db}


@variant("l01_neuron_backward", "factor_two")
def _(case):
    d = _delta(case, factor=1.0)
    return {"dw": d * np.asarray(case["x"]), "db": d}


@variant("l01_neuron_backward", "sign_error")
def _(case):
    d = _delta(case, factor=-2.0)
    return {"dw": d * np.asarray(case["x"]), "db": d}


@variant("l01_neuron_backward", "missing_activation_derivative")
def _(case):
    d = _delta(case, use_relu=False)
    return {"dw": d * np.asarray(case["x"]), "db": d}


@variant("l01_neuron_backward", "relu_grad_ge_zero")
def _(case):  # (z >= 0): at z == 0 the gradient passes
    d = _delta(case, ge=True)
    return {"dw": d * np.asarray(case["x"]), "db": d}


@variant("l01_neuron_backward", "input_vs_weight")
def _(case):  # db = delta * x: the "input" of the bias taken as x
    d = _delta(case)
    return {"db": d * np.asarray(case["x"])}


# --- l01_train --------------------------------------------------------------------------------


@expected("l01_train")
def _(case):
    w, b, losses = seed_nets.train_neuron(
        case["x"], case["w"], case["b"], case["target"], case["lr"], case["steps"]
    )
    return {"w": w, "b": b, "losses": np.asarray(losses, dtype=float)}


def _train_variant(case, *, sign=1.0, factor=2.0, after=False, relu_d=True):
    x = np.asarray(case["x"], dtype=float)
    w, b, t, lr = np.array(case["w"], dtype=float), float(case["b"]), case["target"], case["lr"]
    losses = []
    for _ in range(case["steps"]):
        z = float(w @ x + b)
        a = max(z, 0.0)
        if not after:
            losses.append((a - t) ** 2)
        delta = factor * (a - t) * (1.0 if z > 0 or not relu_d else 0.0)
        w, b = w - sign * lr * delta * x, b - sign * lr * delta
        if after:
            z = float(w @ x + b)
            losses.append((max(z, 0.0) - t) ** 2)
    return {"w": w, "b": b, "losses": np.asarray(losses)}


@variant("l01_train", "missing_activation_derivative")
def _(case):  # keeps updating a dead neuron
    return _train_variant(case, relu_d=False)


@variant("l01_train", "loss_after_update")
def _(case):
    return {"losses": _train_variant(case, after=True)["losses"]}


@variant("l01_train", "sign_error")
def _(case):
    return _train_variant(case, sign=-1.0)


@variant("l01_train", "factor_two")
def _(case):
    return _train_variant(case, factor=1.0)


@variant("l01_train", "off_by_one_steps")
def _(case):
    return _train_variant({**case, "steps": case["steps"] + 1})
