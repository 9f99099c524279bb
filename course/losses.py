"""Losses. Each returns ``(loss, dYhat)``: the loss as a Python float and its gradient with
respect to the prediction (same shape as the prediction). ``Yhat`` and ``Y`` must have the same
shape: an (n,1) - (n,) difference would broadcast silently to (n,n).
"""

import numpy as np

from .activations import sigmoid


def _pair(Yhat, Y):
    Yhat = np.asarray(Yhat, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if Yhat.shape != Y.shape:
        raise ValueError(
            f"prediction shape {Yhat.shape} != target shape {Y.shape}; "
            "reshape one of them (broadcasting would compare every pair)"
        )
    return Yhat, Y


def half_sse(Yhat, Y):
    """0.5 * sum((Yhat - Y)^2); gradient Yhat - Y (seed 000)."""
    Yhat, Y = _pair(Yhat, Y)
    D = Yhat - Y
    return float(0.5 * np.sum(D**2)), D


def sse(Yhat, Y):
    """sum((Yhat - Y)^2); gradient 2 (Yhat - Y) (seeds 002, 004)."""
    Yhat, Y = _pair(Yhat, Y)
    D = Yhat - Y
    return float(np.sum(D**2)), 2.0 * D


def mse(Yhat, Y):
    """mean over *all* elements of (Yhat - Y)^2, like torch's nn.MSELoss() default."""
    Yhat, Y = _pair(Yhat, Y)
    D = Yhat - Y
    return float(np.mean(D**2)), 2.0 * D / D.size


def half_mse(Yhat, Y):
    """(1/2n) sum((Yhat - Y)^2) with n = number of rows (seed 003, Zaki & Meira)."""
    Yhat, Y = _pair(Yhat, Y)
    D = Yhat - Y
    n = D.shape[0] if D.ndim else 1
    return float(0.5 * np.sum(D**2) / n), D / n


def bce_with_logits(Z, Y):
    """Binary cross-entropy summed over elements, from the logit Z (Yhat = sigmoid(Z)).

    loss = sum( Y log(1 + e^-Z) + (1 - Y) log(1 + e^Z) ), written with np.logaddexp(0, .),
    which never forms 1 - Yhat: for Z = 12.5, Y = 1 the loss 3.7266e-06 keeps all its digits,
    where -log(sigmoid(Z)) in float32 loses about 1% of them (seed 001).

    Returns (loss, dZ) with dZ = sigmoid(Z) - Y, computed as (1-Y) s(Z) - Y s(-Z) (the same
    number, without cancellation when Y is 0 or 1).
    """
    Z, Y = _pair(Z, Y)
    loss = np.sum(Y * np.logaddexp(0.0, -Z) + (1.0 - Y) * np.logaddexp(0.0, Z))
    dZ = (1.0 - Y) * sigmoid(Z) - Y * sigmoid(-Z)
    return float(loss), dZ


def seed001_cross_entropy(Yhat, Y):
    """-sum(Y log Yhat), the loss seed 001 prints. Contrast only: it drops the (1-Y) log(1-Yhat)
    term that its own backward pass differentiates, and it goes through Yhat, so 1 - Yhat
    cancels. Returns the loss value only (float)."""
    Yhat, Y = _pair(Yhat, Y)
    return float(-np.sum(Y * np.log(Yhat)))


LOSSES = {
    "half_sse": half_sse,
    "sse": sse,
    "mse": mse,
    "half_mse": half_mse,
}


def get_loss(name):
    """Loss function for a name (regression losses above), with a clear message otherwise."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}") from None
