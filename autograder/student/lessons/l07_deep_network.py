"""Lesson 07 (the capstone): a deep network from modular layers, softmax, initialisation, SGD.

Batch layout: X (n, d) rows = examples, W (d, m), b (m,), Z = X @ W + b (n, m).
Layers in the cs231n style: ``forward(...) -> (out, cache)``, ``backward(dout, cache)``.
params {"W1", "b1", ..., "WL", "bL"}; ReLU after every affine layer but the last (the scores).
Softmax cross-entropy: L = -(1/n) sum_i log p[i, y_i], dL/dS = (p - onehot(y)) / n.
Cases hold numbers only (fixtures): params are stored flat (W1, b1, ...), the init scheme as an
index into SCHEMES, the shuffle seed as an int.
"""

from __future__ import annotations

import re

import numpy as np

from autograder.student.spec import Exercise, Raised, away_from_zero, register, unpack

SCHEMES = ("zero", "small", "xavier", "he")


def params_of(case):
    """{"W1", "b1", ...} from a case's flat keys (in layer order). The arrays are the case's own
    (np.asarray, no copy): a student who changes `params` in place changes the case, and the
    check names it (mutates_input), as the exercises ask to leave params unmodified."""
    keys = sorted((k for k in case if re.fullmatch(r"[Wb]\d+", k)), key=lambda k: (int(k[1:]), k))
    return {k: np.asarray(case[k], dtype=np.float64) for k in keys}


def flat(params, prefix=""):
    """W1, b1, W2, b2, ... (or dW1, db1, ...) raveled into one vector; Raised on a wrong dict."""
    if isinstance(params, Raised):
        return params
    if not isinstance(params, dict):
        return Raised("WrongReturn", f"expected a dict of arrays, got {type(params).__name__}")
    L = sum(1 for k in params if re.fullmatch(rf"{prefix}W\d+", str(k)))
    want = [f"{prefix}{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if L == 0 or set(params) != set(want):
        return Raised(
            "WrongReturn",
            f"expected keys {want or [prefix + 'W1', '...']}, got {sorted(map(str, params))}",
        )
    try:
        return np.concatenate([np.ravel(np.asarray(params[k], dtype=np.float64)) for k in want])
    except (TypeError, ValueError) as exc:
        return Raised("WrongReturn", f"entries must be numeric arrays: {exc}")


def _layer_params(rng, sizes, scale=0.8):
    case = {}
    for l in range(1, len(sizes)):
        case[f"W{l}"] = rng.normal(
            scale=scale / np.sqrt(sizes[l - 1]) * 1.5, size=(sizes[l - 1], sizes[l])
        )
        case[f"b{l}"] = rng.normal(scale=0.3, size=sizes[l])
    return case


# ---------------------------------------------------------------------------------------------
# l07_affine


def _affine_case(rng, n, d, m):
    return {
        "X": rng.normal(size=(n, d)),
        "W": rng.normal(size=(d, m)),
        "b": rng.normal(size=m),
        "dZ": rng.normal(size=(n, m)),
    }


def _affine_cases(rng):
    return [_affine_case(rng, *s) for s in ((1, 3, 2), (5, 2, 4), (7, 4, 3), (4, 1, 1), (3, 3, 3))]


def _affine_worked():
    return [
        {
            "X": np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]]),
            "W": np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]),
            "b": np.array([0.1, 0.2, -0.3]),
            "dZ": np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0]]),
        }
    ]


def _call_affine(fns, case):
    Z, cache = unpack(fns["affine_forward"](case["X"], case["W"], case["b"]), "Z", "cache")
    dX, dW, db = unpack(fns["affine_backward"](case["dZ"], cache), "dX", "dW", "db")
    return {"Z": Z, "dX": dX, "dW": dW, "db": db}


# ---------------------------------------------------------------------------------------------
# l07_relu: some exact zeros in Z (ReLU'(0) = 0, as torch)


def _relu_case(rng, shape):
    Z = away_from_zero(rng, shape)
    Z.reshape(-1)[:: max(2, Z.size // 3)] = 0.0
    return {"Z": Z, "dH": rng.normal(size=shape)}


def _relu_cases(rng):
    return [_relu_case(rng, s) for s in ((1, 4), (3, 3), (6, 2), (2, 5))]


def _relu_worked():
    return [
        {
            "Z": np.array([[-2.0, 0.0, 1.5], [3.0, -0.5, 0.0]]),
            "dH": np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]),
        }
    ]


def _call_relu(fns, case):
    H, cache = unpack(fns["relu_forward"](case["Z"]), "H", "cache")
    return {"H": H, "dZ": fns["relu_backward"](case["dH"], cache)}


# ---------------------------------------------------------------------------------------------
# l07_softmax: labels as integer indices; some cases with logits of +-1000


def _softmax_case(rng, n, C, scale):
    return {"logits": rng.normal(scale=scale, size=(n, C)), "y": rng.integers(0, C, size=n)}


def _softmax_cases(rng):
    specs = ((1, 3, 1.0), (5, 4, 2.0), (6, 3, 1000.0), (4, 2, 0.5), (3, 5, 800.0), (3, 3, 50.0))
    return [_softmax_case(rng, *s) for s in specs]


def _softmax_worked():
    return [
        {"logits": np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), "y": np.array([0, 2])},
        {"logits": np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), "y": np.array([0, 0])},
    ]


def _call_softmax(fns, case):
    loss, dlogits = unpack(
        fns["softmax_cross_entropy"](case["logits"], case["y"]), "loss", "dlogits"
    )
    return {"loss": loss, "dlogits": dlogits}


# ---------------------------------------------------------------------------------------------
# l07_mlp: depth 1 to 4, ReLU hidden layers


def _mlp_case(rng, n, sizes):
    case = {"X": rng.normal(size=(n, sizes[0]))}
    case.update(_layer_params(rng, sizes))
    case["dscores"] = rng.normal(size=(n, sizes[-1]))
    return case


def _mlp_cases(rng):
    specs = (
        (4, (3, 2)),
        (5, (2, 6, 3)),
        (3, (4, 5, 5, 2)),
        (6, (2, 4, 3, 5, 3)),
        (1, (3, 4, 2)),  # a batch of one
        (3, (3, 3, 3)),  # square: n = d = every width
    )
    return [_mlp_case(rng, n, s) for n, s in specs]


def _mlp_worked():
    return [_mlp_case(np.random.default_rng(7), 3, (2, 3, 2))]


def _call_mlp(fns, case):
    scores, caches = unpack(fns["mlp_forward"](case["X"], params_of(case)), "scores", "caches")
    return {"scores": scores, "grads": flat(fns["mlp_backward"](case["dscores"], caches), "d")}


# ---------------------------------------------------------------------------------------------
# l07_init: sizes, the scheme (index into SCHEMES) and the seed of np.random.default_rng


def _init_cases(rng):
    specs = (
        ((3, 4, 2), 2),
        ((5, 3), 3),
        ((2, 6, 6, 3), 3),
        ((4, 2, 3), 1),
        ((3, 3), 0),
        ((6, 2), 2),
    )
    return [
        {"sizes": np.array(s), "scheme": k, "seed": int(rng.integers(0, 1000))} for s, k in specs
    ]


def _init_worked():
    return [
        {"sizes": np.array([2, 3, 2]), "scheme": 3, "seed": 0},
        {"sizes": np.array([4, 2]), "scheme": 2, "seed": 1},
    ]


def _call_init(fns, case):
    sizes = [int(s) for s in np.ravel(case["sizes"])]
    out = fns["init_params"](
        sizes, SCHEMES[int(case["scheme"])], np.random.default_rng(case["seed"])
    )
    return {"params": flat(out)}


# ---------------------------------------------------------------------------------------------
# l07_sgd: one epoch, batch sizes that do and do not divide n


def _sgd_case(rng, n, sizes, batch_size):
    case = {"X": rng.normal(size=(n, sizes[0])), "y": rng.integers(0, sizes[-1], size=n)}
    case.update(_layer_params(rng, sizes))
    case.update(
        lr=float(rng.uniform(0.05, 0.5)), batch_size=batch_size, seed=int(rng.integers(1000))
    )
    return case


def _sgd_cases(rng):
    specs = (
        (8, (2, 4, 3), 4),
        (10, (3, 5, 2), 3),
        (7, (2, 3), 7),
        (9, (2, 4, 4, 3), 2),
        (1, (3, 3, 3), 1),  # one example, square layers
        (5, (2, 3, 2), 1),  # batches of one
    )
    return [_sgd_case(rng, *s) for s in specs]


def _sgd_worked():
    return [_sgd_case(np.random.default_rng(3), 6, (2, 3, 3), 4)]


def _call_sgd(fns, case):
    args = (case["X"], case["y"], case["lr"], int(case["batch_size"]))
    out = fns["sgd_epoch"](params_of(case), *args, np.random.default_rng(case["seed"]))
    params, losses = unpack(out, "params", "losses")
    return {"params": flat(params), "losses": losses}


# ---------------------------------------------------------------------------------------------

_L07 = dict(lesson="07_deep_network")

register(
    Exercise(
        id="l07_affine",
        section="7.1",
        title="affine_forward/backward: Z = X W + b over a batch, and its three gradients",
        functions=("affine_forward", "affine_backward"),
        components={"Z": 0.25, "dX": 0.25, "dW": 0.25, "db": 0.25},
        partial=True,
        make_cases=_affine_cases,
        call=_call_affine,
        worked_examples=_affine_worked,
        **_L07,
    )
)
register(
    Exercise(
        id="l07_relu",
        section="7.1",
        title="relu_forward/backward on the cache",
        functions=("relu_forward", "relu_backward"),
        components={"H": 0.5, "dZ": 0.5},
        partial=True,
        make_cases=_relu_cases,
        call=_call_relu,
        worked_examples=_relu_worked,
        **_L07,
    )
)
register(
    Exercise(
        id="l07_softmax",
        section="7.2",
        title="softmax_cross_entropy(logits, y) -> (loss, dlogits), stable for logits of +-1000",
        functions=("softmax_cross_entropy",),
        components={"loss": 0.5, "dlogits": 0.5},
        partial=True,
        make_cases=_softmax_cases,
        call=_call_softmax,
        worked_examples=_softmax_worked,
        **_L07,
    )
)
register(
    Exercise(
        id="l07_mlp",
        section="7.3",
        title="mlp_forward/backward: L layers, the caches in a list",
        functions=("mlp_forward", "mlp_backward"),
        components={"scores": 0.5, "grads": 0.5},
        partial=True,
        make_cases=_mlp_cases,
        call=_call_mlp,
        worked_examples=_mlp_worked,
        **_L07,
    )
)
register(
    Exercise(
        id="l07_init",
        section="7.4",
        title="init_params(sizes, scheme, rng): zero / small / Xavier / He",
        functions=("init_params",),
        components={"params": 1.0},
        partial=False,
        make_cases=_init_cases,
        call=_call_init,
        worked_examples=_init_worked,
        **_L07,
    )
)
register(
    Exercise(
        id="l07_sgd",
        section="7.5",
        title="sgd_epoch: one epoch of minibatch SGD with a seeded shuffle",
        functions=("sgd_epoch",),
        components={"params": 0.5, "losses": 0.5},
        partial=True,
        make_cases=_sgd_cases,
        call=_call_sgd,
        worked_examples=_sgd_worked,
        **_L07,
    )
)
