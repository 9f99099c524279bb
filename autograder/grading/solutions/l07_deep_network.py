"""Lesson 07 solutions (the capstone; reference via course/) and misconception variants.

Modular layers (affine, ReLU), softmax cross-entropy, an L-layer ReLU MLP, initialisation
schemes and one epoch of minibatch SGD. Variants re-implement one mistake each.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.scoring.misconceptions import define
from autograder.grading.solutions import expected, variant
from autograder.student.lessons.l07_deep_network import SCHEMES, flat, params_of
from course.initialisation import init_params, weight_std
from course.layers import affine_backward, affine_forward, relu_backward, relu_forward
from course.mlp import mlp_backward, mlp_forward
from course.sgd import sgd_epoch
from course.softmax import log_softmax, softmax, softmax_cross_entropy

define(
    "affine_no_bias",
    "bias left out of the affine layer",
    """affine_forward computes Z = X @ W + b: b (m,) is broadcast over the n rows. Without + b
    every unit's output is off by its bias.""",
    section="7.1",
)
define(
    "bias_grad_not_summed",
    "bias gradient not summed over the batch",
    """b is added to every row of Z, so every row sends it a share of the gradient:
    db = dZ.sum(axis=0), shape (m,). Taking one row (dZ[0]) or the mean over the rows is not
    the gradient of the loss.""",
    section="7.1",
)
define(
    "bias_grad_mean",
    "bias gradient averaged instead of summed",
    """db = dZ.sum(axis=0). The 1/n of the mean loss is already inside dZ (softmax's
    (p - onehot) / n); dividing by n again in the layer makes db n times too small.""",
    section="7.1",
)
define(
    "relu_grad_times_output",
    "ReLU backward multiplies by the output",
    """relu_backward passes dH through where Z > 0 and blocks it elsewhere: dZ = dH * (Z > 0).
    Multiplying by H = max(Z, 0) scales each gradient by the activation value.""",
    section="7.1",
)
define(
    "softmax_no_max_shift",
    "softmax without the max shift (overflow)",
    """exp(1000) is inf in float64, so softmax of large logits gives inf/inf = NaN. Subtract each
    row's maximum first (softmax(S) = softmax(S - max S)) and take log p as
    shifted - log(sum(exp(shifted))).""",
    section="7.2",
)
define(
    "grad_not_divided_by_batch",
    "gradient not divided by the batch size",
    """The loss is a MEAN over the n rows, L = -(1/n) sum log p[i, y_i], so its gradient is
    dlogits = (p - onehot(y)) / n. Without the 1/n the gradient (and every SGD step) is n times
    too large, and changes with the batch size.""",
    section="7.2",
)
define(
    "loss_sum_not_mean",
    "cross-entropy summed instead of averaged",
    """The loss is the mean -(1/n) sum_i log p[i, y_i], not the sum; with the sum, both the loss
    and its gradient are n times too large.""",
    section="7.2",
)
define(
    "labels_as_columns",
    "index labels used as columns for every row",
    """y holds one class index per example: the true class's log-probability of example i is
    logp[i, y[i]], picked with logp[np.arange(n), y] (or via a one-hot matrix). logp[:, y]
    takes the columns y for EVERY row, an (n, n) block, so the loss averages the wrong entries
    and d[:, y] -= 1 subtracts 1 in rows of other classes too.""",
    section="7.2",
)
define(
    "relu_on_scores",
    "ReLU applied to the last layer too",
    """The last affine layer's output is the scores (logits) and goes to softmax as it is: a
    ReLU there clips every negative score to 0. Apply the activation to layers 1..L-1 only.""",
    section="7.3",
)
define(
    "activation_backward_skipped",
    "activation skipped in the backward pass",
    """Going back through a hidden layer, dH must pass through relu_backward (dZ = dH * (Z > 0))
    before affine_backward; handing dH straight to affine_backward treats the ReLU as the
    identity.""",
    section="7.3",
)
define(
    "xavier_he_swapped",
    "Xavier and He factors swapped",
    """Xavier (Glorot): std = sqrt(2 / (fan_in + fan_out)); He: std = sqrt(2 / fan_in). The
    factor 2 of He makes up for ReLU zeroing half of its inputs; the two formulas were swapped.""",
    section="7.4",
)
define(
    "he_without_factor_two",
    "He initialisation without the factor 2",
    """He et al. use Var(W) = 2 / fan_in (std = sqrt(2 / fan_in)): ReLU passes only half of the
    variance on. sqrt(1 / fan_in) (LeCun) lets the signal shrink by 1/sqrt(2) per ReLU layer.""",
    section="7.4",
)
define(
    "sgd_no_shuffle",
    "minibatches taken in the same order every epoch",
    """Each epoch draws a fresh order with rng.permutation(n) and cuts THAT into batches;
    slicing X in its stored order gives the same batches every epoch (and class-sorted data
    then gives batches of one class).""",
    section="7.5",
)
define(
    "sgd_drop_last",
    "last, smaller minibatch dropped",
    """When batch_size does not divide n the last batch is smaller, and it is still used: every
    example is seen exactly once per epoch. range(0, n, batch_size) gives every start.""",
    section="7.5",
)


def _affine_ref(case):
    Z, cache = affine_forward(case["X"], case["W"], case["b"])
    dX, dW, db = affine_backward(case["dZ"], cache)
    return {"Z": Z, "dX": dX, "dW": dW, "db": db}


# --- l07_affine --------------------------------------------------------------------------------


@expected("l07_affine")
def _(case):
    return _affine_ref(case)


@variant("l07_affine", "affine_no_bias")
def _(case):
    return {"Z": case["X"] @ case["W"]}


@variant("l07_affine", "bias_grad_not_summed")
def _(case):
    return {"db": case["dZ"][0]}


@variant("l07_affine", "bias_grad_mean")
def _(case):
    return {"db": case["dZ"].mean(axis=0)}


# --- l07_relu ----------------------------------------------------------------------------------


@expected("l07_relu")
def _(case):
    H, cache = relu_forward(case["Z"])
    return {"H": H, "dZ": relu_backward(case["dH"], cache)}


@variant("l07_relu", "relu_grad_ge_zero", section="7.1")
def _(case):
    return {"dZ": case["dH"] * (case["Z"] >= 0)}


@variant("l07_relu", "relu_grad_times_output")
def _(case):
    return {"dZ": case["dH"] * np.maximum(case["Z"], 0.0)}


# --- l07_softmax -------------------------------------------------------------------------------


def _p_onehot(case):
    S, y = np.asarray(case["logits"], float), np.asarray(case["y"]).astype(int)
    p = softmax(S)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y] = 1.0
    return S, y, p, onehot


@expected("l07_softmax")
def _(case):
    loss, dlogits = softmax_cross_entropy(case["logits"], np.asarray(case["y"]).astype(int))
    return {"loss": loss, "dlogits": dlogits}


@variant("l07_softmax", "softmax_no_max_shift")
def _(case):  # exp overflows for logits of 1000: inf / inf = nan (the student sees NaN)
    S, y, _, onehot = _p_onehot(case)
    with np.errstate(all="ignore"):
        p = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    return {"loss": loss, "dlogits": (p - onehot) / len(y)}


@variant("l07_softmax", "grad_not_divided_by_batch")
def _(case):  # the loss is right
    _, _, p, onehot = _p_onehot(case)
    return {"dlogits": p - onehot}


@variant("l07_softmax", "loss_sum_not_mean")
def _(case):
    S, y, p, onehot = _p_onehot(case)
    loss = -np.sum(log_softmax(S)[np.arange(len(y)), y])
    return {"loss": loss, "dlogits": p - onehot}


@variant("l07_softmax", "labels_as_columns")
def _(case):
    S, y, p, _ = _p_onehot(case)
    loss = -np.mean(log_softmax(S)[:, y])
    d = p.copy()
    d[:, y] -= 1.0
    return {"loss": loss, "dlogits": d / len(y)}


# --- l07_mlp -----------------------------------------------------------------------------------


def _mlp_manual(case, *, relu_last=False, skip_act_backward=False):
    params = params_of(case)
    L = len(params) // 2
    H, caches = np.asarray(case["X"], float), []
    for l in range(1, L + 1):
        Z, c = affine_forward(H, params[f"W{l}"], params[f"b{l}"])
        caches.append((c, Z))
        H = np.maximum(Z, 0.0) if (l < L or relu_last) else Z
    grads, dH = {}, np.asarray(case["dscores"], float)
    for l in range(L, 0, -1):
        c, Z = caches[l - 1]
        act = l < L or relu_last
        dZ = dH * (Z > 0) if act and not skip_act_backward else dH
        dH, grads[f"dW{l}"], grads[f"db{l}"] = affine_backward(dZ, c)
    return {"scores": H, "grads": flat(grads, "d")}


@expected("l07_mlp")
def _(case):
    scores, caches = mlp_forward(case["X"], params_of(case))
    return {"scores": scores, "grads": flat(mlp_backward(case["dscores"], caches), "d")}


@variant("l07_mlp", "relu_on_scores")
def _(case):
    return _mlp_manual(case, relu_last=True)


@variant("l07_mlp", "activation_backward_skipped")
def _(case):  # the scores are right
    return {"grads": _mlp_manual(case, skip_act_backward=True)["grads"]}


# --- l07_init ----------------------------------------------------------------------------------


def _init_with(case, std_of):
    sizes = [int(s) for s in np.ravel(case["sizes"])]
    rng = np.random.default_rng(case["seed"])
    scheme = SCHEMES[int(case["scheme"])]
    params = {}
    for l in range(1, len(sizes)):
        fan_in, fan_out = sizes[l - 1], sizes[l]
        if scheme == "zero":
            params[f"W{l}"] = np.zeros((fan_in, fan_out))
        else:
            params[f"W{l}"] = std_of(scheme, fan_in, fan_out) * rng.standard_normal(
                (fan_in, fan_out)
            )
        params[f"b{l}"] = np.zeros(fan_out)
    return {"params": flat(params)}


@expected("l07_init")
def _(case):
    sizes = [int(s) for s in np.ravel(case["sizes"])]
    scheme = SCHEMES[int(case["scheme"])]
    return {"params": flat(init_params(sizes, scheme, np.random.default_rng(case["seed"])))}


@variant("l07_init", "xavier_he_swapped")
def _(case):
    swap = {"xavier": "he", "he": "xavier"}
    return _init_with(case, lambda s, i, o: weight_std(swap.get(s, s), i, o))


@variant("l07_init", "he_without_factor_two")
def _(case):
    def std(s, i, o):
        return np.sqrt(1.0 / i) if s == "he" else weight_std(s, i, o)

    return _init_with(case, std)


# --- l07_sgd -----------------------------------------------------------------------------------


def _sgd_manual(case, *, shuffle=True, drop_last=False, grad_scale_batch=False):
    params = params_of(case)
    X, y = np.asarray(case["X"], float), np.asarray(case["y"]).astype(int)
    n, bs = len(X), int(case["batch_size"])
    order = np.random.default_rng(case["seed"]).permutation(n) if shuffle else np.arange(n)
    batches = [order[i : i + bs] for i in range(0, n, bs)]
    if drop_last and n % bs:
        batches = batches[:-1]
    losses = []
    for rows in batches:
        scores, caches = mlp_forward(X[rows], params)
        loss, dscores = softmax_cross_entropy(scores, y[rows])
        losses.append(loss)
        if grad_scale_batch:
            dscores = dscores * len(rows)
        grads = mlp_backward(dscores, caches)
        params = {k: v - case["lr"] * grads["d" + k] for k, v in params.items()}
    return {"params": flat(params), "losses": np.array(losses)}


@expected("l07_sgd")
def _(case):
    args = (case["X"], np.asarray(case["y"]).astype(int), case["lr"], int(case["batch_size"]))
    params, losses = sgd_epoch(params_of(case), *args, np.random.default_rng(case["seed"]))
    return {"params": flat(params), "losses": np.array(losses)}


@variant("l07_sgd", "sgd_no_shuffle")
def _(case):
    return _sgd_manual(case, shuffle=False)


@variant("l07_sgd", "grad_not_divided_by_batch", section="7.2")
def _(case):  # the losses before each step: only the first is right, so both components lose
    return _sgd_manual(case, grad_scale_batch=True)


@variant("l07_sgd", "sgd_drop_last")
def _(case):
    return _sgd_manual(case, drop_last=True)
