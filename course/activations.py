"""Activation functions and their derivatives (elementwise, float64).

Every ``f(Z)`` returns an array of the same shape as ``Z``; every ``f_grad(Z)`` is the
derivative df/dZ evaluated at the *pre-activation* ``Z`` (same shape), except
``sigmoid_grad_from_output(A)``, which takes the activation ``A = sigmoid(Z)``.
"""

import numpy as np


def _f64(Z):
    return np.asarray(Z, dtype=np.float64)


def relu(Z):
    """max(Z, 0)."""
    return np.maximum(_f64(Z), 0.0)


def relu_grad(Z):
    """1 where Z > 0, else 0. At Z == 0 the derivative is taken to be 0 (as torch, micrograd and
    Zaki & Meira do; a central difference at exactly 0 would give 0.5)."""
    return (_f64(Z) > 0).astype(np.float64)


def sigmoid(Z):
    """1 / (1 + exp(-Z)), stable for large |Z|: exp is only taken of -|Z| <= 0, so it never
    overflows, and each branch is a quotient of positive numbers (no cancellation)."""
    Z = _f64(Z)
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(Z):
    """sigmoid'(Z) = s(Z) (1 - s(Z)), from the pre-activation Z."""
    S = sigmoid(Z)
    return S * (1.0 - S)


def sigmoid_grad_from_output(A):
    """sigmoid' from the activation A = sigmoid(Z): A (1 - A). Do not pass Z here."""
    A = _f64(A)
    return A * (1.0 - A)


def tanh(Z):
    return np.tanh(_f64(Z))


def tanh_grad(Z):
    """1 - tanh(Z)^2, from the pre-activation Z."""
    return 1.0 - np.tanh(_f64(Z)) ** 2


def identity(Z):
    """Z itself (a float64 copy, so callers never share memory with their input)."""
    return np.array(Z, dtype=np.float64)


def identity_grad(Z):
    return np.ones_like(_f64(Z))


# name -> (f, df/dZ); df takes the pre-activation.
ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "identity": (identity, identity_grad),
}


def get_activation(name):
    """(f, df) for an activation name, with a clear message for an unknown name."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        ) from None
