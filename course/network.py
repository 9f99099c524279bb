"""Two-layer networks, gradient-descent steps and training loops.

Layout (Zaki & Meira, cs231n): X (n, d) rows = examples, W1 (d, m), W2 (m, p), outputs (n, p).
Two ways to hold the biases:
- explicit: params = {"W1", "b1", "W2", "b2"}; Z1 = X W1 + b1, Yhat = f2(f1(Z1) W2 + b2);
- augmented (seed 003): a column of ones in front of X and of H; W1 (d+1, m), W2 (m+1, p), whose
  first rows are the biases.
"""

import numpy as np
from tqdm.auto import tqdm

from .activations import get_activation
from .layers import activation_backward, activation_forward, dense_backward, dense_forward
from .losses import get_loss, half_sse


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def aug(X):
    """(n, d) -> (n, d+1): a leading column of ones, so the first row of W acts as a bias."""
    X = _f64(X)
    if X.ndim != 2:
        raise ValueError(f"aug expects a 2-D array (n, d); got shape {X.shape}")
    return np.hstack([np.ones((X.shape[0], 1)), X])


def two_layer_forward(X, params, hidden="relu", output="identity"):
    """Yhat = f2(f1(X W1 + b1) W2 + b2).

    X (n, d); params W1 (d, m), b1 (m,), W2 (m, p), b2 (p,). Returns (Yhat (n, p), cache).
    """
    Z1, c1 = dense_forward(X, params["W1"], params["b1"])
    H, ch = activation_forward(Z1, hidden)
    Z2, c2 = dense_forward(H, params["W2"], params["b2"])
    Yhat, co = activation_forward(Z2, output)
    return Yhat, (c1, ch, c2, co)


def two_layer_backward(dYhat, cache):
    """From dYhat = dL/dYhat (n, p): returns {"dW1", "db1", "dW2", "db2"} (shapes of the params)."""
    c1, ch, c2, co = cache
    dZ2 = activation_backward(dYhat, co)
    dH, dW2, db2 = dense_backward(dZ2, c2)
    dZ1 = activation_backward(dH, ch)
    _, dW1, db1 = dense_backward(dZ1, c1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def aug_forward(X, W1, W2, hidden="tanh", output="identity"):
    """Yhat = f2(aug(f1(aug(X) W1)) W2) (bias by augmentation).

    X (n, d), W1 (d+1, m), W2 (m+1, p). Returns (Yhat (n, p), cache).
    """
    Xa, W1, W2 = aug(X), _f64(W1), _f64(W2)
    if W1.shape[0] != Xa.shape[1] or W2.shape[0] != W1.shape[1] + 1:
        raise ValueError(
            f"aug_forward expects W1 (d+1,m), W2 (m+1,p) for X (n,d); got X {np.shape(X)}, "
            f"W1 {W1.shape}, W2 {W2.shape}"
        )
    H, ch = activation_forward(Xa @ W1, hidden)
    Ha = aug(H)
    Yhat, co = activation_forward(Ha @ W2, output)
    return Yhat, (Xa, W2, ch, Ha, co)


def aug_backward(dYhat, cache):
    """From dYhat (n, p): returns (dW1 (d+1, m), dW2 (m+1, p)). The hidden layer's gradient flows
    back through W2[1:] only: the first row of W2 multiplies the constant column of ones."""
    Xa, W2, ch, Ha, co = cache
    dZ2 = activation_backward(dYhat, co)
    dW2 = Ha.T @ dZ2
    dZ1 = activation_backward(dZ2 @ W2[1:].T, ch)
    return Xa.T @ dZ1, dW2


def gd_step(params, grads, lr):
    """One gradient-descent step: {name: params[name] - lr * grads["d" + name]}.

    All gradients must already be computed at the old parameters (updating W2 first and then
    backpropagating through the new W2 is a different, wrong step). Returns a new dict of new
    arrays; the inputs are untouched.
    """
    missing = [k for k in params if "d" + k not in grads]
    if missing:
        raise ValueError(f"no gradient for {missing}; grads has {sorted(grads)}")
    return {k: _f64(v) - lr * _f64(grads["d" + k]) for k, v in params.items()}


def _loss_and_grads(X, Y, params, loss_fn, hidden, output, augmented):
    if augmented:
        Yhat, cache = aug_forward(X, params["W1"], params["W2"], hidden, output)
        loss, dYhat = loss_fn(Yhat, Y)
        dW1, dW2 = aug_backward(dYhat, cache)
        return loss, {"dW1": dW1, "dW2": dW2}
    Yhat, cache = two_layer_forward(X, params, hidden, output)
    loss, dYhat = loss_fn(Yhat, Y)
    return loss, two_layer_backward(dYhat, cache)


def train(
    X,
    Y,
    params,
    *,
    lr,
    epochs,
    loss="half_mse",
    hidden,
    output,
    augmented=False,
    progress=True,
):
    """Full-batch gradient descent for ``epochs`` steps.

    X (n, d), Y (n, p); params {"W1", "b1", "W2", "b2"} or, with augmented=True, {"W1", "W2"}
    (W1 (d+1, m), W2 (m+1, p)); loss a name from losses.LOSSES. Returns (params, history) where
    history[t] is the loss at the parameters *before* step t (len(history) == epochs).
    progress=False hides the tqdm bar.
    """
    loss_fn = get_loss(loss)
    get_activation(hidden), get_activation(output)  # fail early on a bad name
    params = {k: _f64(v).copy() for k, v in params.items()}
    history = []
    for _ in tqdm(range(epochs), desc="train", disable=not progress):
        value, grads = _loss_and_grads(X, Y, params, loss_fn, hidden, output, augmented)
        history.append(value)
        params = gd_step(params, grads, lr)
    return params, history


def train_sgd(
    X,
    Y,
    params,
    *,
    lr,
    epochs,
    rng,
    loss="half_sse",
    hidden="tanh",
    output="identity",
    augmented=True,
    progress=True,
):
    """Per-point stochastic gradient descent, as in Zaki & Meira Example 25.3: each epoch visits
    the n points in a fresh random order (from ``rng``, a numpy Generator or a seed) and takes
    one step per point on that point's loss (half_sse by default: 0.5 ||o_i - y_i||^2).

    Returns (params, history); history[e] is the sum of the per-point losses met during epoch e
    (each measured just before its own step).
    """
    rng = np.random.default_rng(rng)
    loss_fn = get_loss(loss)
    X, Y = _f64(X), _f64(Y)
    params = {k: _f64(v).copy() for k, v in params.items()}
    history = []
    for _ in tqdm(range(epochs), desc="train_sgd", disable=not progress):
        total = 0.0
        for i in rng.permutation(X.shape[0]):
            value, grads = _loss_and_grads(
                X[i : i + 1], Y[i : i + 1], params, loss_fn, hidden, output, augmented
            )
            total += value
            params = gd_step(params, grads, lr)
        history.append(total)
    return params, history


def matrix_net_grads(X, Y, Wh, Wo):
    """Seed-000 net in numpy: H = relu(X Wh), Yhat = relu(H Wo), loss = half_sse, no biases.

    X (n, d), Y (n, p), Wh (d, h), Wo (h, p). Returns (loss, dWh (d, h), dWo (h, p)).
    """
    X, Wh, Wo = _f64(X), _f64(Wh), _f64(Wo)
    Zh = X @ Wh
    H = np.maximum(Zh, 0.0)  # the activation is relu, not relu' (seed 000's mistake)
    Zo = H @ Wo
    loss, dYhat = half_sse(np.maximum(Zo, 0.0), Y)
    dZo = dYhat * (Zo > 0)
    dZh = (dZo @ Wo.T) * (Zh > 0)
    return loss, X.T @ dZh, H.T @ dZo


def matrix_net_step(X, Y, Wh, Wo, lr):
    """One gradient step on the seed-000 net, both gradients taken before either update.
    Returns (Wh_new, Wo_new)."""
    _, dWh, dWo = matrix_net_grads(X, Y, Wh, Wo)
    return _f64(Wh) - lr * dWh, _f64(Wo) - lr * dWo
