"""A network of any depth from the modular layers: L affine layers, an activation after each
but the last, the last one's output being the scores (logits).

params {"W1", "b1", ..., "WL", "bL"} with W_l (m_{l-1}, m_l), b_l (m_l,), m_0 = d, m_L = C.
    H_0 = X;  Z_l = H_{l-1} W_l + b_l;  H_l = f(Z_l) (l < L);  scores = Z_L.
With residual=True, a hidden layer whose input and output widths agree adds its input:
H_l = f(Z_l) + H_{l-1}. H_{l-1} then feeds two consumers (the affine layer and the sum), so
its gradient is the sum of what both send back: the fan-out rule, ``+=`` and not ``=``.

The forward pass keeps one cache per layer in a list (overwriting one variable instead would
leave the backward pass with the last layer's inputs only).
"""

import re

import numpy as np

from .layers import affine_backward, affine_forward, get_activation_layer


def n_layers(params):
    """L, the number of affine layers, checking that params is W1, b1, ..., WL, bL exactly."""
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict {{'W1', 'b1', ...}}; got {type(params).__name__}")
    layers = sorted(int(m.group(1)) for k in params if (m := re.fullmatch(r"W(\d+)", k)))
    L = len(layers)
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or layers != list(range(1, L + 1)) or set(params) != expected:
        raise ValueError(
            f"params must hold W1, b1, ..., WL, bL and nothing else; got {sorted(params)}"
        )
    return L


def mlp_forward(X, params, activation="relu", residual=False):
    """scores (n, C) for X (n, d). Returns (scores, caches), caches a list of L entries
    (affine cache, activation cache or None for the last layer, whether a skip was added)."""
    L = n_layers(params)
    act_forward, _ = get_activation_layer(activation)
    H = np.asarray(X, dtype=np.float64)
    caches = []
    for l in range(1, L + 1):
        Z, affine_cache = affine_forward(H, params[f"W{l}"], params[f"b{l}"])
        if l == L:
            caches.append((affine_cache, None, False))
            return Z, caches
        H_next, act_cache = act_forward(Z)
        skip = residual and H_next.shape == H.shape
        if skip:
            H_next = H_next + H
        caches.append((affine_cache, (activation, act_cache), skip))
        H = H_next


def mlp_backward(dscores, caches):
    """From dscores = dL/dscores (n, C): returns {"dW1", "db1", ..., "dWL", "dbL"}."""
    grads = {}
    dH = np.asarray(dscores, dtype=np.float64)
    for l in range(len(caches), 0, -1):
        affine_cache, act, skip = caches[l - 1]
        if act is None:
            dZ = dH
        else:
            name, act_cache = act
            dZ = get_activation_layer(name)[1](dH, act_cache)
        dX, grads[f"dW{l}"], grads[f"db{l}"] = affine_backward(dZ, affine_cache)
        if skip:
            dX += dH  # fan-out: H_{l-1} also went straight into H_l (dX is a fresh array)
        dH = dX
    return dict(sorted(grads.items(), key=lambda kv: (int(kv[0][2:]), kv[0][1])))


def mlp_predict(X, params, activation="relu", residual=False):
    """Predicted class (n,) ints: the index of the largest score of each row."""
    scores, _ = mlp_forward(X, params, activation, residual)
    return scores.argmax(axis=1)


def layer_grad_norms(grads):
    """[||dW1||, ..., ||dWL||] (Frobenius norms, floats), first layer first: the
    vanishing-gradient picture (a sigmoid stack with small weights shrinks them layer by layer
    towards the input)."""
    L = sum(1 for k in grads if re.fullmatch(r"dW\d+", k))
    missing = [f"dW{l}" for l in range(1, L + 1) if f"dW{l}" not in grads]
    if L == 0 or missing:
        raise ValueError(f"grads must hold dW1, ..., dWL; got {sorted(grads)}")
    return [float(np.linalg.norm(grads[f"dW{l}"])) for l in range(1, L + 1)]
