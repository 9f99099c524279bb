"""The seeds' own small networks, in the seeds' own layouts (column vectors, W with rows =
neurons), for the lessons that follow a seed closely. The batch-layout versions are in layers.py
and network.py.
"""

import numpy as np

from .activations import relu, relu_grad, sigmoid
from .layers import neuron_backward, neuron_forward
from .losses import bce_with_logits


def _f64(a):
    return np.asarray(a, dtype=np.float64)


# --- seed 004, part 1: one ReLU neuron, loss (a - target)^2 ---------------------------------


def train_neuron(x, w, b, target, lr, steps):
    """Gradient descent on (relu(w.x + b) - target)^2. x, w (d,), b scalar.

    Returns (w (d,), b float, losses) with losses[t] the loss before step t.
    """
    w, b = _f64(w).copy(), float(b)
    losses = []
    for _ in range(steps):
        a, cache = neuron_forward(x, w, b, "relu")
        losses.append((a - target) ** 2)
        _, dw, db = neuron_backward(2.0 * (a - target), cache)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


# --- seed 004, part 2: a dense ReLU layer, W (m, d) rows = neurons, loss (sum a)^2 ------------


def layer_forward(x, W, b):
    """z = W x + b, a = relu(z). x (d,), W (m, d), b (m,) -> (z (m,), a (m,))."""
    z = _f64(W) @ _f64(x) + _f64(b)
    return z, relu(z)


def layer_backward(x, z, a):
    """Gradient of (sum a)^2: returns (dW (m, d) = outer(dz, x), db (m,) = dz)."""
    dz = 2.0 * np.sum(a) * relu_grad(z)
    return np.outer(dz, _f64(x)), dz


def train_layer(x, W, b, lr, steps):
    """Gradient descent on (sum relu(W x + b))^2. Returns (W, b, losses), losses before each
    step (seed 004 prints losses[0], losses[20], ...)."""
    W, b = _f64(W).copy(), _f64(b).copy()
    losses = []
    for _ in range(steps):
        z, a = layer_forward(x, W, b)
        losses.append(float(np.sum(a) ** 2))
        dW, db = layer_backward(x, z, a)
        W, b = W - lr * dW, b - lr * db
    return W, b, losses


# --- seed 002: 4-3-1 sigmoid net, X (4,1) column, W1 (4,3), W2 (3,1), E = (Y - Yhat)^2 --------


def sigmoid_net_forward(X, W1, W2):
    """Zh = W1^T X (3,1), H = s(Zh), Zo = H^T W2 (1,1), Yhat = s(Zo). Returns (Zh, H, Zo, Yhat).

    (Seed 002 writes Z, O and Y_cap for Zh, Zo and Yhat.)
    """
    Zh = _f64(W1).T @ _f64(X)
    H = sigmoid(Zh)
    Zo = H.T @ _f64(W2)
    return Zh, H, Zo, sigmoid(Zo)


def sigmoid_net_backward(X, Y, W1, W2):
    """Gradients of E = sum((Y - Yhat)^2): returns (dW1 (4,3), dW2 (3,1)).

    dZo = -2 (Y - Yhat) Yhat (1 - Yhat); dW2 = H dZo; dZh = (W2 dZo) * H (1 - H); dW1 = X dZh^T.
    (Seed 002 builds dW1 from dE/dW2, which already contains H: an extra factor H_j per column.)
    """
    _, H, _, Yhat = sigmoid_net_forward(X, W1, W2)
    dZo = -2.0 * (_f64(Y) - Yhat) * Yhat * (1.0 - Yhat)
    dZh = (_f64(W2) @ dZo) * H * (1.0 - H)
    return _f64(X) @ dZh.T, H @ dZo


def sigmoid_net_step(X, Y, W1, W2, lr):
    """One gradient step (both gradients at the old weights). Returns (W1_new, W2_new)."""
    dW1, dW2 = sigmoid_net_backward(X, Y, W1, W2)
    return _f64(W1) - lr * dW1, _f64(W2) - lr * dW2


# --- seed 001: 2-2-1 net, ReLU hidden, sigmoid output, binary cross-entropy -------------------
# Column layout: x (2,1), Wh (2,2), bh (2,1), Wo (1,2), bo (1,1).


def net221_forward(x, Wh, bh, Wo, bo):
    """zh = Wh x + bh, h = relu(zh), zo = Wo h + bo, yhat = s(zo). Returns (zh, h, zo, yhat)
    with shapes (2,1), (2,1), (1,1), (1,1)."""
    zh = _f64(Wh) @ _f64(x) + _f64(bh)
    h = relu(zh)
    zo = _f64(Wo) @ h + _f64(bo)
    return zh, h, zo, sigmoid(zo)


def net221_loss(x, y, Wh, bh, Wo, bo):
    """Binary cross-entropy computed from the logit zo (float)."""
    return bce_with_logits(net221_forward(x, Wh, bh, Wo, bo)[2], np.reshape(_f64(y), (1, 1)))[0]


def net221_backward(x, y, Wh, bh, Wo, bo):
    """Gradients of the BCE: returns (dWh (2,2), dbh (2,1), dWo (1,2), dbo (1,1)).

    dzo = yhat - y (sigmoid + cross-entropy); dWo = dzo h^T; dh = Wo^T dzo (a matrix product,
    not elementwise); dzh = dh * relu'(zh) (0 at zh == 0); dWh = dzh x^T; dbh = dzh.
    """
    zh, h, zo, _ = net221_forward(x, Wh, bh, Wo, bo)
    _, dzo = bce_with_logits(zo, np.reshape(_f64(y), (1, 1)))
    dzh = (_f64(Wo).T @ dzo) * relu_grad(zh)
    return dzh @ _f64(x).T, dzh, dzo @ h.T, dzo
