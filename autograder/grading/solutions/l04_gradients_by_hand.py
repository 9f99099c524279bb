"""Lesson 04 (seed 001) reference outputs and misconception variants (grader side).

Expected values come from course/ (losses.bce_with_logits, seed_nets.net221_*); each variant is
what a student with that misconception returns (tests/wrong_answers/l04.py has the code).
"""

from __future__ import annotations

import numpy as np

from autograder.grading.solutions import expected, variant
from course import activations, losses, seed_nets


def _f(a):
    return np.asarray(a, dtype=np.float64)


def _args(case):
    return case["x"], case["Wh"], case["bh"], case["Wo"], case["bo"]


# --- l04_bce --------------------------------------------------------------------------------------


@expected("l04_bce")
def _(case):
    return {"loss": losses.bce_with_logits(case["z"], case["y"])[0]}


@variant("l04_bce", "float32")
def _(case):
    """-[y log s(z) + (1 - y) log(1 - s(z))] computed in float32 (seed 001's tensors)."""
    z, y = np.asarray(case["z"], np.float32), np.asarray(case["y"], np.float32)
    with np.errstate(all="ignore"):
        s = np.float32(1) / (np.float32(1) + np.exp(-z))
        loss = -np.sum(y * np.log(s) + (np.float32(1) - y) * np.log(np.float32(1) - s))
    return {"loss": float(loss)}


@variant("l04_bce", "bce_from_probability")
def _(case):
    """The same formula through the probability, in float64: log(1 - s(z)) = log(0) for big z."""
    z, y = _f(case["z"]), _f(case["y"])
    with np.errstate(all="ignore"):
        s = 1.0 / (1.0 + np.exp(-z))
        loss = -np.sum(y * np.log(s) + (1.0 - y) * np.log(1.0 - s))
    return {"loss": float(loss)}


@variant("l04_bce", "bce_missing_term")
def _(case):
    """Seed 001's printed loss -sum(y log yhat) (computed stably): no (1 - y) term."""
    z, y = _f(case["z"]), _f(case["y"])
    return {"loss": float(np.sum(y * np.logaddexp(0.0, -z)))}


# --- l04_forward ----------------------------------------------------------------------------------


@expected("l04_forward")
def _(case):
    zh, h, zo, yhat = seed_nets.net221_forward(*_args(case))
    return {"zh": zh, "h": h, "zo": zo, "yhat": yhat}


@variant("l04_forward", "derivative_as_activation")
def _(case):
    """h = relu'(zh) (0/1) instead of relu(zh): seed 000's mistake."""
    x, Wh, bh, Wo, bo = (_f(a) for a in _args(case))
    zh = Wh @ x + bh
    h = activations.relu_grad(zh)
    zo = Wo @ h + bo
    return {"zh": zh, "h": h, "zo": zo, "yhat": activations.sigmoid(zo)}


@variant("l04_forward", "forgot_bias")
def _(case):
    x, Wh, _, Wo, _ = (_f(a) for a in _args(case))
    zh = Wh @ x
    h = activations.relu(zh)
    zo = Wo @ h
    return {"zh": zh, "h": h, "zo": zo, "yhat": activations.sigmoid(zo)}


@variant("l04_forward", "no_activation")
def _(case):
    """yhat = zo: the output sigmoid left out."""
    zh, h, zo, _ = seed_nets.net221_forward(*_args(case))
    return {"zh": zh, "h": h, "zo": zo, "yhat": zo}


# --- l04_backward ---------------------------------------------------------------------------------


def _backward(case, *, delta="bce", relu_ge=False, seed_wh=False, seed_bh=False):
    """net221 backward with knobs for the misconceptions.

    delta: "bce" (yhat - y), "double" ((yhat - y) s'(zo): the sigmoid's derivative applied on
    top of the cross-entropy delta), "missing_term" (derivative of -y log yhat: -y (1 - yhat)).
    relu_ge: relu'(0) = 1. seed_wh: seed 001's elementwise Wo product (d == m only).
    seed_bh: dbh as one scalar (seed 001).
    """
    x, Wh, bh, Wo, bo = (_f(a) for a in _args(case))
    y = _f(case["y"])
    zh, h, zo, yhat = seed_nets.net221_forward(x, Wh, bh, Wo, bo)
    dzo = losses.bce_with_logits(zo, y)[1]
    if delta == "double":
        dzo = dzo * activations.sigmoid_grad(zo)
    elif delta == "missing_term":
        dzo = -y * activations.sigmoid(-zo)  # -y (1 - yhat)
    dact = (zh >= 0).astype(float) if relu_ge else activations.relu_grad(zh)
    dzh = (Wo.T @ dzo) * dact
    dWh = dzh @ x.T
    if seed_wh:
        if x.shape[0] != zh.shape[0]:
            raise ValueError("the seed's product only broadcasts when d == m")
        dWh = dzo * Wo * dact * x  # (1,m) * (m,1) -> (m,m), then rows scaled by x
    dbh = float(dzo.item() * (Wo @ dact).item()) if seed_bh else dzh
    return {"dWh": dWh, "dbh": dbh, "dWo": dzo @ h.T, "dbo": dzo}


@expected("l04_backward")
def _(case):
    dWh, dbh, dWo, dbo = seed_nets.net221_backward(
        case["x"], case["y"], case["Wh"], case["bh"], case["Wo"], case["bo"]
    )
    return {"dWh": dWh, "dbh": dbh, "dWo": dWo, "dbo": dbo}


@variant("l04_backward", "seed001_elementwise_wo")
def _(case):
    return {"dWh": _backward(case, seed_wh=True)["dWh"]}


@variant("l04_backward", "seed001_dbh_scalar")
def _(case):
    return {"dbh": _backward(case, seed_bh=True)["dbh"]}


@variant("l04_backward", "wrong_output_delta")
def _(case):
    return _backward(case, delta="double")


@variant("l04_backward", "bce_missing_term")
def _(case):
    return _backward(case, delta="missing_term")


@variant("l04_backward", "relu_grad_ge_zero")
def _(case):
    out = _backward(case, relu_ge=True)
    return {"dWh": out["dWh"], "dbh": out["dbh"]}
