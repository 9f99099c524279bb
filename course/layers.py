"""Layers in the cs231n style: ``x_forward(...) -> (out, cache)`` and
``x_backward(dout, cache) -> gradients``, each backward right beside its forward.

Batch layout: X (n, d) rows = examples, W (d, m), b (m,), Z = X @ W + b (n, m).
"""

import numpy as np

from .activations import get_activation


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def activation_forward(Z, name):
    """A = f(Z) elementwise. Returns (A, cache); A has the shape of Z."""
    f, _ = get_activation(name)
    Z = _f64(Z)
    return f(Z), (Z, name)


def activation_backward(dA, cache):
    """dZ = dA * f'(Z) (same shape as Z). Builds a new array; dA is not modified."""
    Z, name = cache
    _, df = get_activation(name)
    return _f64(dA) * df(Z)


def neuron_forward(x, w, b, activation="relu"):
    """One neuron: z = w . x + b, a = f(z).

    x, w: (d,); b: scalar. Returns (a, cache) with a a float.
    """
    x, w = _f64(x), _f64(w)
    if x.ndim != 1 or x.shape != w.shape:
        raise ValueError(f"x and w must both be (d,); got x {x.shape}, w {w.shape}")
    z = float(w @ x + float(b))
    a, act_cache = activation_forward(z, activation)
    return float(a), (x, w, act_cache)


def neuron_backward(da, cache):
    """From da = dL/da: returns (dx (d,), dw (d,), db float)."""
    x, w, act_cache = cache
    dz = float(activation_backward(da, act_cache))
    return dz * w, dz * x, dz


def dense_forward(X, W, b):
    """Affine layer Z = X @ W + b.

    X (n, d), W (d, m), b (m,) -> Z (n, m). Returns (Z, cache).
    """
    X, W, b = _f64(X), _f64(W), _f64(b)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError(
            f"dense_forward expects X (n,d), W (d,m), b (m,); got X {X.shape}, W {W.shape}, "
            f"b {b.shape}"
        )
    return X @ W + b, (X, W)


def dense_backward(dZ, cache):
    """From dZ (n, m): returns dX (n, d) = dZ W^T, dW (d, m) = X^T dZ, db (m,) = sum of dZ over
    the batch (axis 0)."""
    X, W = cache
    dZ = _f64(dZ)
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)
