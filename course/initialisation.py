"""Initial parameters of an L-layer network: params {"W1", "b1", ..., "WL", "bL"}.

sizes = [d, m1, ..., C] gives W_l (sizes[l-1], sizes[l]) and b_l (sizes[l],); biases start at 0.
Schemes for the weights (fan_in = sizes[l-1], fan_out = sizes[l]):
- "zero":   W = 0. Every unit of a layer then computes the same thing and gets the same
            gradient, so they stay equal for ever (symmetry is never broken).
- "small":  W ~ N(0, scale^2), scale 0.01 (cs231n's weight_scale): breaks the symmetry, but
            the signal shrinks by about scale * sqrt(fan_in) per layer.
- "xavier": W ~ N(0, 2 / (fan_in + fan_out)) (Glorot & Bengio 2010): keeps the variance of
            the activations and of the gradients about constant through tanh-like layers.
- "he":     W ~ N(0, 2 / fan_in) (He et al. 2015): the factor 2 makes up for ReLU zeroing half
            of its inputs.
"""

import numpy as np

SCHEMES = ("zero", "small", "xavier", "he")


def weight_std(scheme, fan_in, fan_out, scale=0.01):
    """Standard deviation of the weights of one layer under a scheme."""
    if scheme == "zero":
        return 0.0
    if scheme == "small":
        return float(scale)
    if scheme == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    raise ValueError(f"unknown init scheme {scheme!r}; choose one of {list(SCHEMES)}")


def init_params(sizes, scheme, rng, scale=0.01):
    """{"W1": (sizes[0], sizes[1]), "b1": (sizes[1],), ...} for len(sizes) - 1 layers.

    rng: a numpy Generator or a seed. The weights are drawn layer by layer, W1 first, as
    std * rng.standard_normal((fan_in, fan_out)) ("zero" draws nothing).
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must be a list [d, m1, ..., C] of at least 2 ints; got {sizes!r}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
               for s in sizes):  # fmt: skip
        raise ValueError(f"sizes must be positive ints; got {list(sizes)!r}")
    weight_std(scheme, 1, 1, scale)  # fail early on an unknown scheme
    rng = np.random.default_rng(rng)
    params = {}
    for l in range(1, len(sizes)):
        fan_in, fan_out = int(sizes[l - 1]), int(sizes[l])
        std = weight_std(scheme, fan_in, fan_out, scale)
        if scheme == "zero":
            params[f"W{l}"] = np.zeros((fan_in, fan_out))
        else:
            params[f"W{l}"] = std * rng.standard_normal((fan_in, fan_out))
        params[f"b{l}"] = np.zeros(fan_out)
    return params
