"""Small data sets generated on the spot (no download)."""

import numpy as np


def spiral(n_per_class=100, n_classes=3, noise=0.2, rng=0):
    """Interleaved spiral arms in the plane, one per class (cs231n's toy data set).

    Class k: radius r from 0 to 1, angle t from 4k to 4(k+1) plus N(0, noise^2), point
    (r sin t, r cos t). Returns X (n, 2) float64 and y (n,) int64 with n = n_per_class *
    n_classes, class by class. rng: a numpy Generator or a seed. Not linearly separable: a
    linear classifier gets about half of the 3-class set right.
    """
    for name, v in (("n_per_class", n_per_class), ("n_classes", n_classes)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    rng = np.random.default_rng(rng)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for k in range(n_classes):
        rows = slice(n_per_class * k, n_per_class * (k + 1))
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + noise * rng.standard_normal(
            n_per_class
        )
        X[rows] = np.column_stack([r * np.sin(t), r * np.cos(t)])
        y[rows] = k
    return X, y
