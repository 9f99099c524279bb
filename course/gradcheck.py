"""Numerical gradients by central differences, (f(x+h) - f(x-h)) / 2h, in float64
(in float32 the same check on tanh' is off by about 1e-3 at h = 1e-5). After cs231n's
gradient_check.py. Keep |pre-activations| well above h near a ReLU kink.
"""

import numpy as np


def _plus_minus(x, i, h, evaluate):
    """(evaluate() with x[i] + h, evaluate() with x[i] - h); x[i] is restored afterwards."""
    old = x[i]
    try:
        x[i] = old + h
        plus = evaluate()
        x[i] = old - h
        minus = evaluate()
    finally:
        x[i] = old
    return plus, minus


def numerical_gradient(f, x, h=1e-5):
    """Gradient of the scalar function f at x, one element at a time.

    f: array -> scalar. x: any shape. Returns an array of x's shape. f is called with a float64
    working copy of x, perturbed in one element and restored after each element; the caller's
    x is never modified.
    """
    x = np.array(x, dtype=np.float64)  # working copy
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        f_plus, f_minus = _plus_minus(x, i, h, lambda: float(f(x)))
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(f, x, dout, h=1e-5):
    """Gradient of sum(f(x) * dout) with respect to x, for an array-valued f: what a layer's
    backward(dout) should return, without forming the Jacobian. Returns an array of x's shape."""
    x = np.array(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        # a copy each time: f may return a view of x
        f_plus, f_minus = _plus_minus(x, i, h, lambda: np.array(f(x), dtype=np.float64))
        grad[i] = np.sum((f_plus - f_minus) * dout) / (2 * h)
    return grad


def numerical_derivative_elementwise(f, x, h=1e-5):
    """f'(x) for an elementwise f, all elements at once: (f(x+h) - f(x-h)) / 2h."""
    x = np.asarray(x, dtype=np.float64)
    return (np.asarray(f(x + h), dtype=np.float64) - np.asarray(f(x - h), dtype=np.float64)) / (
        2 * h
    )


def rel_error(a, n):
    """max over elements of |a - n| / max(1e-8, |a| + |n|) (cs231n's assignments; their lecture
    notes use max(|a|, |n|) instead). Guide: > 1e-2 wrong, < 1e-7 good, 1e-4 only with kinks."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {n.shape}")
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))


def grad_check_sampled(f, params, grads, n_samples, rng, h=1e-5):
    """Check analytic gradients at a few random coordinates instead of all of them (cs231n's
    grad_check_sparse, over a dict of parameters): a full sweep of a big network costs two
    forward passes per parameter.

    f: params dict -> scalar loss. params {name: array}; grads {"d" + name: array of the same
    shape}. From each parameter array, n_samples coordinates (all of them if it has fewer) are
    drawn without replacement with rng (a numpy Generator or a seed), and the central difference
    (f(p+h) - f(p-h)) / 2h there is compared with the analytic value. Returns the largest
    relative error |a - n| / max(1e-8, |a| + |n|) over the checked coordinates (as rel_error).
    f gets float64 working copies; the caller's arrays are never modified.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples}")
    missing = [k for k in params if "d" + k not in grads]
    if missing:
        raise ValueError(f"no gradient for {missing}; grads has {sorted(grads)}")
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    for k, v in work.items():
        if np.shape(grads["d" + k]) != v.shape:
            raise ValueError(f"grads['d{k}'] has shape {np.shape(grads['d' + k])}, {k} {v.shape}")
    rng = np.random.default_rng(rng)
    worst = 0.0
    for k in sorted(work):
        x, analytic = work[k], np.asarray(grads["d" + k], dtype=np.float64)
        for flat in rng.choice(x.size, size=min(n_samples, x.size), replace=False):
            i = np.unravel_index(flat, x.shape)
            f_plus, f_minus = _plus_minus(x, i, h, lambda: float(f(work)))
            a, n = analytic[i], (f_plus - f_minus) / (2 * h)
            worst = max(worst, abs(a - n) / max(1e-8, abs(a) + abs(n)))
    return float(worst)
