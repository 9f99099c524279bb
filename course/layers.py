"""Layers in the cs231n style: ``x_forward(...) -> (out, cache)`` and
``x_backward(dout, cache) -> gradients``, each backward right beside its forward.

Batch layout: X (n, d) rows = examples, W (d, m), b (m,), Z = X @ W + b (n, m).
"""

import numpy as np

from .activations import get_activation, sigmoid


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


# --- the capstone's layers (lesson 07): affine with a bias, and activation layers on the cache --
# affine_* is dense_* with its input checked and named as cs231n names it; the activation layers
# each keep in their cache what their own backward needs (Z for ReLU, the output for sigmoid/tanh).


def affine_forward(X, W, b):
    """Z = X @ W + b over a batch.

    X (n, d), W (d, m), b (m,) -> Z (n, m). Returns (Z, cache) with cache = (X, W).
    """
    X, W, b = _f64(X), _f64(W), _f64(b)
    if X.ndim != 2 or W.ndim != 2 or b.ndim != 1:
        raise ValueError(
            f"affine_forward expects X (n,d), W (d,m), b (m,); got X {X.shape}, W {W.shape}, "
            f"b {b.shape}"
        )
    if X.shape[1] != W.shape[0] or b.shape[0] != W.shape[1]:
        raise ValueError(
            f"affine_forward: X {X.shape}, W {W.shape}, b {b.shape} do not chain "
            "(need X.shape[1] == W.shape[0] and b.shape == (W.shape[1],))"
        )
    return X @ W + b, (X, W)


def affine_backward(dZ, cache):
    """From dZ = dL/dZ (n, m): returns (dX (n, d) = dZ W^T, dW (d, m) = X^T dZ,
    db (m,) = dZ summed over the batch: b is added to every row, so each row sends it a share)."""
    X, W = cache
    dZ = _f64(dZ)
    if dZ.shape != (X.shape[0], W.shape[1]):
        raise ValueError(
            f"affine_backward: dZ has shape {dZ.shape}, the layer's output was "
            f"{(X.shape[0], W.shape[1])}"
        )
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def _same_shape(name, dout, kept):
    dout = _f64(dout)
    if dout.shape != kept.shape:
        raise ValueError(f"{name}: upstream gradient {dout.shape} != layer output {kept.shape}")
    return dout


def relu_forward(Z):
    """H = max(Z, 0), any shape. Returns (H, cache) with cache = Z."""
    Z = _f64(Z)
    return np.maximum(Z, 0.0), Z


def relu_backward(dH, cache):
    """dZ = dH where Z > 0, else 0 (ReLU'(0) = 0, as torch). A new array; dH is not modified."""
    Z = cache
    return _same_shape("relu_backward", dH, Z) * (Z > 0)


def sigmoid_forward(Z):
    """H = sigmoid(Z) (stable). Returns (H, cache) with cache = H: s' = H (1 - H) needs only it."""
    H = sigmoid(Z)
    return H, H


def sigmoid_backward(dH, cache):
    """dZ = dH * H (1 - H)."""
    H = cache
    return _same_shape("sigmoid_backward", dH, H) * H * (1.0 - H)


def tanh_forward(Z):
    """H = tanh(Z). Returns (H, cache) with cache = H: tanh' = 1 - H^2."""
    H = np.tanh(_f64(Z))
    return H, H


def tanh_backward(dH, cache):
    """dZ = dH * (1 - H^2)."""
    H = cache
    return _same_shape("tanh_backward", dH, H) * (1.0 - H**2)


# name -> (forward, backward) of an activation layer
ACTIVATION_LAYERS = {
    "relu": (relu_forward, relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}


def get_activation_layer(name):
    """(forward, backward) for an activation layer name, with a clear message otherwise."""
    try:
        return ACTIVATION_LAYERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATION_LAYERS)}"
        ) from None
