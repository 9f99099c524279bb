"""Minibatch stochastic gradient descent on the softmax cross-entropy of an MLP.

One epoch: a fresh random order of the n examples (``rng.permutation(n)``), cut into
consecutive batches of ``batch_size`` (the last one smaller when batch_size does not divide n),
one step per batch on that batch's mean loss. Every example is used exactly once per epoch;
without the shuffle every epoch would see the same batches in the same order.
"""

import numpy as np
from tqdm.auto import tqdm

from .mlp import mlp_backward, mlp_forward, n_layers
from .network import gd_step
from .softmax import softmax_cross_entropy


def minibatches(n, batch_size, rng):
    """The index arrays of one epoch: rng.permutation(n) cut into slices of batch_size."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size}")
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def sgd_epoch(params, X, y, lr, batch_size, rng, activation="relu", residual=False):
    """One epoch of minibatch SGD. Returns (params, losses): new arrays (the inputs are not
    modified) and the loss of each batch, measured just before its own step.

    X (n, d), y (n,) integer labels; rng a numpy Generator (advanced, so the next epoch gets a
    new order) or a seed.
    """
    n_layers(params)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"sgd_epoch expects X (n, d) and y (n,); got X {X.shape}, y {y.shape}")
    rng = np.random.default_rng(rng)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    losses = []
    for rows in minibatches(X.shape[0], batch_size, rng):
        scores, caches = mlp_forward(X[rows], params, activation, residual)
        loss, dscores = softmax_cross_entropy(scores, y[rows])
        losses.append(loss)
        params = gd_step(params, mlp_backward(dscores, caches), lr)
    return params, losses


def train_mlp(
    params, X, y, *, lr, epochs, batch_size, rng, activation="relu", residual=False, progress=True
):
    """``epochs`` calls of sgd_epoch with one Generator. Returns (params, history), history[e]
    the mean of epoch e's batch losses. progress=False hides the tqdm bar."""
    rng = np.random.default_rng(rng)
    history = []
    for _ in tqdm(range(epochs), desc="train_mlp", disable=not progress):
        params, losses = sgd_epoch(params, X, y, lr, batch_size, rng, activation, residual)
        history.append(float(np.mean(losses)))
    return params, history
