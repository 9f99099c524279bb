"""Softmax with categorical cross-entropy, for C classes over a batch.

logits S (n, C), labels y (n,) integer class indices in [0, C). p = softmax(S) row by row,
L = -(1/n) sum_i log p[i, y_i], dL/dS = (p - onehot(y)) / n.

Log-sum-exp: softmax(S) = softmax(S - max_j S_j) for each row, so the largest shifted logit is
0, exp never overflows (exp(1000) is inf in float64) and log p = shifted - log(sum(exp(shifted)))
is taken without forming p first (log(0) for a tiny p would be -inf).
"""

import numpy as np


def _check(logits, y):
    S = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    if S.ndim != 2 or S.shape[0] == 0 or S.shape[1] == 0:
        raise ValueError(f"logits must be a non-empty 2-D array (n, C); got shape {S.shape}")
    n, C = S.shape
    if y.ndim == 2:
        raise ValueError(
            f"y must be integer class indices (n,) = ({n},); got a 2-D array {y.shape} "
            "(one-hot? pass y.argmax(axis=1))"
        )
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match logits {S.shape}; got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class indices; got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= C:
        raise ValueError(f"class indices must lie in [0, {C}); got min {y.min()}, max {y.max()}")
    return S, y


def log_softmax(logits):
    """log p (n, C) from logits (n, C), through the max shift (finite for logits of +-1000)."""
    S = np.asarray(logits, dtype=np.float64)
    shifted = S - S.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits):
    """p (n, C), each row summing to 1 (stable)."""
    return np.exp(log_softmax(logits))


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against the labels y, and its gradient.

    logits (n, C), y (n,) integers in [0, C). Returns (loss float, dlogits (n, C)) with
    dlogits = (p - onehot(y)) / n: the loss is a mean over the batch, so is its gradient.
    """
    S, y = _check(logits, y)
    n = S.shape[0]
    logp = log_softmax(S)
    rows = np.arange(n)
    loss = -logp[rows, y].mean()
    dlogits = np.exp(logp)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits / n
