"""The seed-000 net in torch, float64: H = relu(X Wh), Yhat = relu(H Wo), loss 0.5 * sum of
squares, no biases. Backprop by hand on tensors, and the same net with nn.Linear + autograd.

nn.Linear stores weight as (out, in), the transpose of the numpy W (in, out) used here.
"""

import numpy as np
import torch
from torch import nn

from .network import matrix_net_grads, matrix_net_step  # noqa: F401  (numpy counterparts)


def _t64(a):
    """A float64 tensor copy (torch.tensor copies; a numpy array is never shared)."""
    if isinstance(a, torch.Tensor):
        return a.detach().to(torch.float64).clone()
    return torch.tensor(np.asarray(a, dtype=np.float64))


def matrix_net_grads_torch(X, Y, Wh, Wo):
    """Backprop by hand with float64 tensors (no autograd).

    X (n, d), Y (n, p), Wh (d, h), Wo (h, p) as arrays or tensors.
    Returns (loss 0-d tensor, dWh (d, h) tensor, dWo (h, p) tensor).
    """
    X, Y, Wh, Wo = _t64(X), _t64(Y), _t64(Wh), _t64(Wo)
    Zh = X @ Wh
    H = torch.relu(Zh)
    Zo = H @ Wo
    Yhat = torch.relu(Zo)
    loss = 0.5 * torch.sum((Yhat - Y) ** 2)
    dZo = (Yhat - Y) * (Zo > 0)
    dZh = (dZo @ Wo.T) * (Zh > 0)
    return loss, X.T @ dZh, H.T @ dZo


def matrix_net_autograd(Wh, Wo):
    """(model, loss_fn): nn.Sequential(Linear(d,h,bias=False), ReLU, Linear(h,p,bias=False),
    ReLU) in float64 with weights Wh.T, Wo.T; loss_fn(Yhat, Y) = 0.5 * MSELoss(reduction="sum")."""
    Wh, Wo = _t64(Wh), _t64(Wo)
    (d, h), p = Wh.shape, Wo.shape[1]
    model = nn.Sequential(
        nn.Linear(d, h, bias=False), nn.ReLU(), nn.Linear(h, p, bias=False), nn.ReLU()
    ).to(torch.float64)
    with torch.no_grad():
        model[0].weight.copy_(Wh.T)
        model[2].weight.copy_(Wo.T)
    mse_sum = nn.MSELoss(reduction="sum")

    def loss_fn(Yhat, Y):
        return 0.5 * mse_sum(Yhat, Y)

    return model, loss_fn


def autograd_grads(X, Y, Wh, Wo):
    """(loss float, dWh, dWo) as numpy arrays in the numpy layout, from autograd."""
    model, loss_fn = matrix_net_autograd(Wh, Wo)
    loss = loss_fn(model(_t64(X)), _t64(Y))
    loss.backward()
    return loss.item(), model[0].weight.grad.numpy().T.copy(), model[2].weight.grad.numpy().T.copy()


def autograd_step(X, Y, Wh, Wo, lr):
    """One optim.SGD step on the autograd model. Returns (Wh_new, Wo_new) numpy, numpy layout."""
    model, loss_fn = matrix_net_autograd(Wh, Wo)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()  # gradients accumulate otherwise (seed 000 forgets this)
    loss_fn(model(_t64(X)), _t64(Y)).backward()
    opt.step()
    return (
        model[0].weight.detach().numpy().T.copy(),
        model[2].weight.detach().numpy().T.copy(),
    )
