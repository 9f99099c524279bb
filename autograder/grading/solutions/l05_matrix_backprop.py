"""Lesson 05 solutions (seed 000; reference via course/) and misconception variants.

Network: H = relu(X Wh), Yhat = relu(H Wo), E = 1/2 sum (Yhat - Y)^2, no biases.
Not matchable by numbers, hence no variant: a missing Wo.T in the hidden delta (raises unless
h == p), missing zero_grad (each call builds a fresh model). The transposed nn.Linear layout
is named by compare's generic "missing_transpose".
"""

from __future__ import annotations

import numpy as np

from autograder.grading.scoring.misconceptions import define
from autograder.grading.solutions import expected, variant
from course import network, torch_nets

define(
    "linear_bias",
    "nn.Linear with its default bias",
    """nn.Linear(d, h) has bias=True by default, with randomly initialised biases; seed 000's
    network has no biases, so every pre-activation is shifted and the gradients change. Build
    the layers with nn.Linear(d, h, bias=False).""",
    section="5.5",
)


def _relu(Z):
    return np.maximum(Z, 0.0)


def _step01(Z):
    return (Z > 0).astype(float)


def _grads(X, Y, Wh, Wo, *, act=_relu, out_grad=True, scale=1.0, ge=False):
    """The seed-000 backward pass with switchable mistakes (ge: ReLU'(0) = 1). -> (dWh, dWo)."""
    step = (lambda Z: (Z >= 0).astype(float)) if ge else _step01
    Zh = X @ Wh
    H = act(Zh)
    Zo = H @ Wo
    Yhat = act(Zo)
    dZo = scale * (Yhat - Y) * (step(Zo) if out_grad else 1.0)
    dZh = (dZo @ Wo.T) * step(Zh)
    return X.T @ dZh, H.T @ dZo


def _mean_scale(case):
    """MSELoss() averages over all n*p entries and has no 1/2: gradient x 2/(n p)."""
    return 2.0 / np.asarray(case["Y"]).size


def _grad_case(case, **kw):
    return _grads(case["X"], case["Y"], case["Wh"], case["Wo"], **kw)


# --- l05_numpy ---------------------------------------------------------------------------------


@expected("l05_numpy")
def _(case):
    _, dWh, dWo = network.matrix_net_grads(case["X"], case["Y"], case["Wh"], case["Wo"])
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_numpy", "derivative_as_activation", section="5.2")
def _(case):  # seed 000: relu_prime in the forward pass
    dWh, dWo = _grad_case(case, act=_step01)
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_numpy", "missing_activation_derivative", section="5.2")
def _(case):  # dZo = Yhat - Y, without relu'(Zo)
    dWh, dWo = _grad_case(case, out_grad=False)
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_numpy", "mse_mean_vs_sum", section="5.1")
def _(case):
    dWh, dWo = _grad_case(case, scale=_mean_scale(case))
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_numpy", "relu_grad_ge_zero")
@variant("l05_torch_by_hand", "relu_grad_ge_zero")
def _(case):  # relu_prime as (Z >= 0): a hidden unit exactly at 0 passes its gradient
    dWh, dWo = _grad_case(case, ge=True)
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_step", "relu_grad_ge_zero")
def _(case):
    dWh, dWo = _grad_case(case, ge=True)
    return {"Wh_new": case["Wh"] - case["lr"] * dWh, "Wo_new": case["Wo"] - case["lr"] * dWo}


# --- l05_step ----------------------------------------------------------------------------------


@expected("l05_step")
def _(case):
    Wh_new, Wo_new = network.matrix_net_step(
        case["X"], case["Y"], case["Wh"], case["Wo"], case["lr"]
    )
    return {"Wh_new": Wh_new, "Wo_new": Wo_new}


@variant("l05_step", "stale_weights", section="5.3")
def _(case):  # Wo updated first, then dZh computed through the new Wo
    X, Y, Wh, Wo, lr = (case[k] for k in ("X", "Y", "Wh", "Wo", "lr"))
    Zh = X @ Wh
    H = _relu(Zh)
    Zo = H @ Wo
    dZo = (_relu(Zo) - Y) * _step01(Zo)
    Wo_new = Wo - lr * (H.T @ dZo)
    dZh = (dZo @ Wo_new.T) * _step01(Zh)
    return {"Wh_new": Wh - lr * (X.T @ dZh)}  # Wo_new is right


@variant("l05_step", "sign_error", section="5.3")
def _(case):
    dWh, dWo = _grad_case(case)
    return {"Wh_new": case["Wh"] + case["lr"] * dWh, "Wo_new": case["Wo"] + case["lr"] * dWo}


@variant("l05_step", "derivative_as_activation", section="5.2")
def _(case):
    dWh, dWo = _grad_case(case, act=_step01)
    return {"Wh_new": case["Wh"] - case["lr"] * dWh, "Wo_new": case["Wo"] - case["lr"] * dWo}


# --- l05_torch_by_hand -------------------------------------------------------------------------


@expected("l05_torch_by_hand")
def _(case):
    _, dWh, dWo = torch_nets.matrix_net_grads_torch(case["X"], case["Y"], case["Wh"], case["Wo"])
    return {"dWh": dWh.numpy(), "dWo": dWo.numpy()}


@variant("l05_torch_by_hand", "derivative_as_activation", section="5.4")
def _(case):
    dWh, dWo = _grad_case(case, act=_step01)
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_torch_by_hand", "missing_activation_derivative", section="5.2")
def _(case):
    dWh, dWo = _grad_case(case, out_grad=False)
    return {"dWh": dWh, "dWo": dWo}


@variant("l05_torch_by_hand", "mse_mean_vs_sum", section="5.1")
def _(case):
    dWh, dWo = _grad_case(case, scale=_mean_scale(case))
    return {"dWh": dWh, "dWo": dWo}


# --- l05_autograd ------------------------------------------------------------------------------


@expected("l05_autograd")
def _(case):
    Wh_new, Wo_new = torch_nets.autograd_step(
        case["X"], case["Y"], case["Wh"], case["Wo"], case["lr"]
    )
    return {"Wh_new": Wh_new, "Wo_new": Wo_new}


def _scaled_step(case, scale):
    dWh, dWo = _grad_case(case, scale=scale)
    return {"Wh_new": case["Wh"] - case["lr"] * dWh, "Wo_new": case["Wo"] - case["lr"] * dWo}


@variant("l05_autograd", "mse_mean_vs_sum", section="5.5")
def _(case):  # nn.MSELoss() (the seed's default): mean over n*p, no 1/2
    return _scaled_step(case, _mean_scale(case))


@variant("l05_autograd", "factor_two", section="5.5")
def _(case):  # MSELoss(reduction="sum") without the 0.5
    return _scaled_step(case, 2.0)


@variant("l05_autograd", "no_activation", section="5.5")
def _(case):  # nn.Sequential(Linear, ReLU, Linear): the output ReLU left out
    X, Y, Wh, Wo, lr = (case[k] for k in ("X", "Y", "Wh", "Wo", "lr"))
    Zh = X @ Wh
    H = _relu(Zh)
    dZo = H @ Wo - Y
    dZh = (dZo @ Wo.T) * _step01(Zh)
    return {"Wh_new": Wh - lr * (X.T @ dZh), "Wo_new": Wo - lr * (H.T @ dZo)}


@variant("l05_autograd", "linear_bias", section="5.5")
def _(case):
    """nn.Linear(d, h) and nn.Linear(h, p) with their default random biases, built (like the
    lesson's make_model) as a float32 nn.Sequential then .double(), right after the call's
    torch.manual_seed(0) (see the spec's _call_autograd): the same biases as the student's."""
    import torch
    from torch import nn

    X, Y, Wh, Wo, lr = (case[k] for k in ("X", "Y", "Wh", "Wo", "lr"))
    (d, h), p = Wh.shape, Wo.shape[1]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, p), nn.ReLU()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(Wh.T.copy()))
        model[2].weight.copy_(torch.from_numpy(Wo.T.copy()))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    loss = 0.5 * nn.MSELoss(reduction="sum")(model(torch.from_numpy(X)), torch.from_numpy(Y))
    loss.backward()
    opt.step()
    return {
        "Wh_new": model[0].weight.detach().numpy().T.copy(),
        "Wo_new": model[2].weight.detach().numpy().T.copy(),
    }
