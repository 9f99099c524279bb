"""course.seed_nets (the seeds' own layouts) against torch.autograd float64 and central
differences, on 20 random cases each (the seed figures themselves are in test_course_seeds.py)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import seed_nets
from tests.oracles import err, num_grad

SEEDS = range(20)
TORCH_TOL = 1e-12
CD_TOL = 1e-7
MARGIN = 0.05


def tt(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_net221(seed):
    rng = np.random.default_rng(seed)
    while True:
        P = {
            "Wh": rng.standard_normal((2, 2)),
            "bh": rng.standard_normal((2, 1)),
            "Wo": rng.standard_normal((1, 2)),
            "bo": rng.standard_normal((1, 1)),
        }
        x = rng.standard_normal((2, 1))
        if np.min(np.abs(P["Wh"] @ x + P["bh"])) > MARGIN:
            break
    y = float(rng.integers(0, 2)) if seed % 2 else float(rng.uniform())
    zh, uh, zo, yhat = seed_nets.net221_forward(x, **P)
    grads = seed_nets.net221_backward(x, y, **P)
    T = {k: tt(v, True) for k, v in P.items()}
    zo_t = T["Wo"] @ torch.relu(T["Wh"] @ tt(x) + T["bh"]) + T["bo"]
    loss_t = F.binary_cross_entropy_with_logits(zo_t, tt([[y]]), reduction="sum")
    loss_t.backward()
    assert err(zo, zo_t.detach().numpy()) < TORCH_TOL
    assert err(yhat, torch.sigmoid(zo_t).detach().numpy()) < TORCH_TOL
    assert err(seed_nets.net221_loss(x, y, **P), loss_t.item()) < TORCH_TOL
    for got, k in zip(grads, ["Wh", "bh", "Wo", "bo"], strict=True):
        assert err(got, T[k].grad.numpy()) < TORCH_TOL, k
        numeric = num_grad(lambda v, k=k: seed_nets.net221_loss(x, y, **{**P, k: v}), P[k])
        assert err(got, numeric) < CD_TOL, k


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_net(seed):
    rng = np.random.default_rng(seed)
    X, W1, W2 = rng.uniform(0, 1, (4, 1)), rng.standard_normal((4, 3)), rng.standard_normal((3, 1))
    Y = rng.uniform(0, 1, (1, 1))
    _, _, _, Yhat = seed_nets.sigmoid_net_forward(X, W1, W2)
    dW1, dW2 = seed_nets.sigmoid_net_backward(X, Y, W1, W2)
    W1t, W2t = tt(W1, True), tt(W2, True)
    Yhat_t = torch.sigmoid(torch.sigmoid(W1t.T @ tt(X)).T @ W2t)
    ((tt(Y) - Yhat_t) ** 2).sum().backward()
    assert err(Yhat, Yhat_t.detach().numpy()) < TORCH_TOL
    assert err(dW1, W1t.grad.numpy()) < TORCH_TOL
    assert err(dW2, W2t.grad.numpy()) < TORCH_TOL

    def E(W1, W2):
        return np.sum((Y - seed_nets.sigmoid_net_forward(X, W1, W2)[3]) ** 2)

    assert err(dW1, num_grad(lambda v: E(v, W2), W1)) < CD_TOL
    assert err(dW2, num_grad(lambda v: E(W1, v), W2)) < CD_TOL
    W1_new, W2_new = seed_nets.sigmoid_net_step(X, Y, W1, W2, 0.1)
    assert err(W1_new, W1 - 0.1 * W1t.grad.numpy()) < TORCH_TOL
    assert err(W2_new, W2 - 0.1 * W2t.grad.numpy()) < TORCH_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_layer(seed):
    """W (m, d) rows = neurons, loss (sum relu(W x + b))^2; m != d."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 5))
    m = d + 1 + seed % 2
    while True:
        x, W, b = rng.standard_normal(d), rng.standard_normal((m, d)), rng.standard_normal(m)
        if np.min(np.abs(W @ x + b)) > MARGIN and np.sum(np.maximum(W @ x + b, 0)) > 0:
            break
    z, a = seed_nets.layer_forward(x, W, b)
    dW, db = seed_nets.layer_backward(x, z, a)
    Wt, bt = tt(W, True), tt(b, True)
    (torch.relu(Wt @ tt(x) + bt).sum() ** 2).backward()
    assert err(dW, Wt.grad.numpy()) < TORCH_TOL
    assert err(db, bt.grad.numpy()) < TORCH_TOL

    def L(W, b):
        return np.sum(np.maximum(W @ x + b, 0)) ** 2

    assert err(dW, num_grad(lambda v: L(v, b), W)) < CD_TOL
    assert err(db, num_grad(lambda v: L(W, v), b)) < CD_TOL

    # train_layer: 3 steps against a torch SGD loop
    W3, b3, losses = seed_nets.train_layer(x, W, b, 0.01, 3)
    Wt, bt = tt(W, True), tt(b, True)
    opt = torch.optim.SGD([Wt, bt], lr=0.01)
    expected = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.relu(Wt @ tt(x) + bt).sum() ** 2
        loss.backward()
        opt.step()
        expected.append(loss.item())
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    assert err(W3, Wt.detach().numpy()) < TORCH_TOL
    assert err(b3, bt.detach().numpy()) < TORCH_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_train_neuron(seed):
    """Loss (relu(w.x + b) - target)^2; 3 steps against a torch SGD loop, first gradient
    against central differences."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 5))
    while True:
        x, w, b = rng.standard_normal(d), rng.standard_normal(d), float(rng.standard_normal())
        if w @ x + b > MARGIN:
            break
    target = float(rng.standard_normal())
    lr = 0.01
    w1, b1, _ = seed_nets.train_neuron(x, w, b, target, lr, 1)

    def L(v):
        return (max(v[:d] @ x + v[d], 0.0) - target) ** 2

    g = num_grad(L, np.append(w, b))
    assert err(np.append(w1, b1), np.append(w, b) - lr * g) < CD_TOL

    w3, b3, losses = seed_nets.train_neuron(x, w, b, target, lr, 3)
    wt, bt = tt(w, True), tt(b, True)
    opt = torch.optim.SGD([wt, bt], lr=lr)
    expected = []
    for _ in range(3):
        opt.zero_grad()
        loss = (torch.relu(wt @ tt(x) + bt) - target) ** 2
        loss.backward()
        opt.step()
        expected.append(loss.item())
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    assert err(w3, wt.detach().numpy()) < TORCH_TOL
    assert abs(b3 - bt.item()) <= TORCH_TOL * (abs(b3) + 1)
    assert isinstance(b3, float)
