"""Independent numerical oracles shared by the course/ tests: a whole-array relative error and
central differences in float64, written here without course/ so a bug there cannot hide."""

import numpy as np

H = 1e-5


def err(a, b):
    """max|a-b| / max(|a|+|b|) over the whole array (one denominator, so an element whose true
    value is ~0 does not turn round-off into a large ratio). Shapes must match exactly."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    scale = np.max(np.abs(a) + np.abs(b))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


def num_grad(f, x, h=H):
    """Central differences of the scalar f at x (float64), one element at a time, on copies."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (float(f(xp)) - float(f(xm))) / (2 * h)
    return g
