"""Wrong answers for lesson 07 (the capstone): the source of an answer cell, and the
misconception the feedback must name. Used by the course integrity tests (each one must lose the
points of the components it breaks and be diagnosed by name).

WRONG[exercise id] = list of (misconception id, answer cell source).
The notebook's earlier cells define np, the student's layers, ACTIVATIONS, mlp_forward/backward.
"""

_AFFINE_BACKWARD = """
def affine_backward(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, {db}
"""

_MLP = """
def mlp_forward(X, params, activation="relu"):
    L = len(params) // 2
    H, caches = X, []
    for l in range(1, L + 1):
        Z, c = affine_forward(H, params[f"W{{l}}"], params[f"b{{l}}"])
        {last}
        H, a = ACTIVATIONS[activation][0](Z)
        caches.append((c, (activation, a)))
    return H, caches


def mlp_backward(dscores, caches):
    grads, dH = {{}}, dscores
    for l in range(len(caches), 0, -1):
        c, act = caches[l - 1]
        dZ = {dz}
        dH, grads[f"dW{{l}}"], grads[f"db{{l}}"] = affine_backward(dZ, c)
    return grads
"""

_SOFTMAX = """
def softmax_cross_entropy(logits, y):
    S = np.asarray(logits, dtype=float)
    n = len(S)
    {p}
    loss = {loss}
    d = p.copy()
    d[np.arange(n), y] -= 1
    return float(loss), {grad}
"""

_INIT = """
def init_params(sizes, scheme, rng):
    params = {{}}
    for l in range(1, len(sizes)):
        i, o = sizes[l - 1], sizes[l]
        std = {{"zero": 0.0, "small": 0.01, "xavier": {xavier}, "he": {he}}}[scheme]
        if scheme == "zero":
            params[f"W{{l}}"] = np.zeros((i, o))
        else:
            params[f"W{{l}}"] = std * rng.standard_normal((i, o))
        params[f"b{{l}}"] = np.zeros(o)
    return params
"""

_SGD = """
def sgd_epoch(params, X, y, lr, batch_size, rng):
    params = {{k: np.array(v, dtype=float) for k, v in params.items()}}
    order = {order}
    losses = []
    for start in range(0, {stop}, batch_size):
        rows = order[start : start + batch_size]
        scores, caches = mlp_forward(X[rows], params)
        loss, dscores = softmax_cross_entropy(scores, y[rows])
        losses.append(loss)
        grads = mlp_backward({dscores}, caches)
        params = {{k: v - lr * grads["d" + k] for k, v in params.items()}}
    return params, losses
"""

_LOGP = (
    "shifted = S - S.max(axis=1, keepdims=True)\n"
    "    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)"
)
_MEAN_LOSS = "-np.mean(np.log(p[np.arange(n), y]))"

_LABELS_AS_COLUMNS = """\
def softmax_cross_entropy(logits, y):
    S = np.asarray(logits, dtype=float)
    labels = np.asarray(y).astype(int)
    n = S.shape[0]
    shifted = S - S.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(logp[:, labels])  # the true class of each row... for every row
    d = np.exp(logp)
    d[:, labels] -= 1.0
    return float(loss), d / n
"""

WRONG: dict[str, list[tuple[str, str]]] = {
    "l07_affine": [
        (
            "affine_no_bias",
            """
def affine_forward(X, W, b):
    return X @ W, (X, W)
"""
            + _AFFINE_BACKWARD.format(db="dZ.sum(axis=0)"),
        ),
        (
            "bias_grad_not_summed",
            """
def affine_forward(X, W, b):
    return X @ W + b, (X, W)
"""
            + _AFFINE_BACKWARD.format(db="dZ[0]"),
        ),
        (
            "bias_grad_mean",
            """
def affine_forward(X, W, b):
    return X @ W + b, (X, W)
"""
            + _AFFINE_BACKWARD.format(db="dZ.mean(axis=0)"),
        ),
    ],
    "l07_relu": [
        (
            "relu_grad_ge_zero",
            """
def relu_forward(Z):
    return np.maximum(Z, 0), Z


def relu_backward(dH, Z):
    return dH * (Z >= 0)
""",
        ),
        (
            "relu_grad_times_output",
            """
def relu_forward(Z):
    H = np.maximum(Z, 0)
    return H, H


def relu_backward(dH, H):
    return dH * H
""",
        ),
    ],
    "l07_softmax": [
        (
            "softmax_no_max_shift",
            _SOFTMAX.format(
                p="p = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)",
                loss=_MEAN_LOSS,
                grad="d / n",
            ),
        ),
        ("grad_not_divided_by_batch", _SOFTMAX.format(p=_LOGP, loss=_MEAN_LOSS, grad="d")),
        (
            "loss_sum_not_mean",
            _SOFTMAX.format(
                p=_LOGP,
                loss="-np.sum(shifted[np.arange(n), y] - np.log(np.exp(shifted).sum(axis=1)))",
                grad="d",
            ),
        ),
        ("labels_as_columns", _LABELS_AS_COLUMNS),
    ],
    "l07_mlp": [
        (
            "relu_on_scores",
            _MLP.format(
                last="pass",
                dz="ACTIVATIONS[act[0]][1](dH, act[1])",
            ),
        ),
        (
            "activation_backward_skipped",
            _MLP.format(
                last=(
                    "if l == L:\n            caches.append((c, None))\n            return Z, caches"
                ),
                dz="dH",
            ),
        ),
    ],
    "l07_init": [
        ("xavier_he_swapped", _INIT.format(xavier="np.sqrt(2 / i)", he="np.sqrt(2 / (i + o))")),
        ("he_without_factor_two", _INIT.format(xavier="np.sqrt(2 / (i + o))", he="np.sqrt(1 / i)")),
    ],
    "l07_sgd": [
        (
            "sgd_no_shuffle",
            _SGD.format(order="np.arange(len(X))", stop="len(X)", dscores="dscores"),
        ),
        (
            "grad_not_divided_by_batch",
            _SGD.format(
                order="rng.permutation(len(X))", stop="len(X)", dscores="dscores * len(rows)"
            ),
        ),
        (
            "sgd_drop_last",
            _SGD.format(
                order="rng.permutation(len(X))",
                stop="len(X) - len(X) % batch_size",
                dscores="dscores",
            ),
        ),
        (
            "mutates_input",
            _SGD.format(order="rng.permutation(len(X))", stop="len(X)", dscores="dscores")
            .replace(  # no copy, and the update in place: the caller's params change
                "\n    params = {k: np.array(v, dtype=float) for k, v in params.items()}", ""
            )
            .replace(
                'params = {k: v - lr * grads["d" + k] for k, v in params.items()}',
                'for k in params:\n            params[k] -= lr * grads["d" + k]',
            ),
        ),
    ],
}

# Mistakes the grader names in every exercise where they can occur (no variant written for them).
WRONG["l07_mlp"].append(
    (
        "forgot_bias",
        """
def mlp_forward(X, params, activation="relu"):
    L = len(params) // 2
    act_forward = ACTIVATIONS[activation][0]
    H, caches = X, []
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        Z, affine_cache = affine_forward(H, W, np.zeros(W.shape[1]))  # the bias left out
        if l == L:
            caches.append((affine_cache, None))
            return Z, caches
        H, act_cache = act_forward(Z)
        caches.append((affine_cache, (activation, act_cache)))


def mlp_backward(dscores, caches):
    grads, dH = {}, dscores
    for l in range(len(caches), 0, -1):
        affine_cache, act = caches[l - 1]
        dZ = dH if act is None else ACTIVATIONS[act[0]][1](dH, act[1])
        dH, grads[f"dW{l}"], grads[f"db{l}"] = affine_backward(dZ, affine_cache)
    return grads
""",
    )
)
