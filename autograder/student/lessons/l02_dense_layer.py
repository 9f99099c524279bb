"""Lesson 02 (seed 004 part 2): a dense ReLU layer, loss (sum a)^2; then the batch form.

Call conventions (as the notebook states them):
  layer_forward(x, W, b) -> (z (m,), a (m,))          x (d,), W (m, d) rows = neurons, b (m,)
  layer_backward(x, z, a) -> (dW (m, d), db (m,))      gradient of L = (sum a)^2
  dense_backward(dZ, X, W) -> (dX (n, d), dW (d, m), db (m,))   X (n, d), W (d, m), Z = X W + b
  train_layer(x, W, b, lr, steps) -> (W (m, d), b (m,), losses (steps,)), losses before each step
"""

from __future__ import annotations

import numpy as np

from autograder.student.spec import Exercise, away_from_zero, register, unpack

LESSON = "02_dense_layer"

# Seed 004's layer: the worked example of the visible checks.
SEED_X = [1.0, 2.0, 3.0, 4.0]
SEED_W = [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]]
SEED_B = [0.1, 0.2, 0.3]


def _signs(rng: np.random.Generator, m: int) -> np.ndarray:
    """Random signs with a +1, a -1 (m >= 2) and a second +1 (m >= 3): a live neuron (non-zero
    gradient), a dead one (relu' matters) and two live ones (sum a differs from each a_i)."""
    s = rng.choice(np.array([-1.0, 1.0]), size=m)
    s[0] = 1.0
    if m >= 2:
        s[1] = -1.0
    if m >= 3:
        s[2] = 1.0
    return rng.permutation(s)


def _layer(rng: np.random.Generator, d: int, m: int) -> dict:
    """x (d,), W (m, d), b (m,) with z = W x + b of mixed signs and 0.2 <= |z_i| <= 3."""
    x = rng.normal(size=d)
    W = rng.normal(size=(m, d))
    z = _signs(rng, m) * rng.uniform(0.2, 3.0, size=m)
    return {"x": x, "W": W, "b": z - W @ x}


def _seed_layer() -> dict:
    return {"x": np.array(SEED_X), "W": np.array(SEED_W), "b": np.array(SEED_B)}


# --- 2.1 layer_forward ------------------------------------------------------------------------


def _forward_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _layer(rng, 4, 3),
        _layer(rng, 1, 1),  # one input, one neuron
        _layer(rng, 2, 5),  # more neurons than inputs
        _layer(rng, 6, 2),  # more inputs than neurons
        _layer(rng, 3, 3),  # square W: W.T @ x has the right shape and wrong values
    ]


def _forward_examples() -> list[dict]:
    mixed = _seed_layer()
    mixed["b"] = np.array([-3.5, 0.2, -12.0])  # z = (-0.5, 7.2, -1.0)
    return [_seed_layer(), mixed]  # the seed: z = (3.1, 7.2, 11.3)


def _forward_call(fns, case):
    z, a = unpack(fns["layer_forward"](case["x"], case["W"], case["b"]), "z", "a")
    return {"z": z, "a": a}


register(
    Exercise(
        id="l02_forward",
        lesson=LESSON,
        section="2.1",
        title="layer_forward",
        functions=("layer_forward",),
        components={"z": 0.5, "a": 0.5},
        partial=False,
        make_cases=_forward_cases,
        call=_forward_call,
        worked_examples=_forward_examples,
    )
)


# --- 2.3 layer_backward -----------------------------------------------------------------------


def _backward_case(rng: np.random.Generator, d: int, m: int) -> dict:
    z = _signs(rng, m) * rng.uniform(0.2, 3.0, size=m)
    return {"x": rng.normal(size=d), "z": z, "a": np.maximum(z, 0.0)}


def _backward_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _backward_case(rng, 4, 3),
        _backward_case(rng, 1, 1),  # one input, one neuron
        _backward_case(rng, 3, 5),
        _backward_case(rng, 5, 2),
        _backward_case(rng, 3, 3),  # square: a transposed dW has the right shape
        _at_kink(_backward_case(rng, 2, 4)),  # one z exactly 0: ReLU'(0) = 0 there
    ]


def _at_kink(case: dict) -> dict:
    """The first live neuron moved exactly onto the kink (z = 0, a = 0)."""
    i = int(np.flatnonzero(case["z"] > 0)[0])
    case["z"][i] = 0.0
    case["a"][i] = 0.0
    return case


def _backward_examples() -> list[dict]:
    x = np.array(SEED_X)
    z0 = np.array([3.1, 7.2, 11.3])  # seed iteration 1: delta = 43.2 (1, 1, 1)
    z20 = np.array([-0.21665736, -0.2476614, 2.30859186])  # seed iteration 21: 2 dead neurons
    z_mix = np.array([1.5, -0.5, 0.8])
    return [{"x": x, "z": z, "a": np.maximum(z, 0.0)} for z in (z0, z20, z_mix)]


def _backward_call(fns, case):
    dW, db = unpack(fns["layer_backward"](case["x"], case["z"], case["a"]), "dW", "db")
    return {"dW": dW, "db": db}


register(
    Exercise(
        id="l02_backward",
        lesson=LESSON,
        section="2.3",
        title="layer_backward",
        functions=("layer_backward",),
        components={"dW": 0.5, "db": 0.5},
        partial=True,
        make_cases=_backward_cases,
        call=_backward_call,
        worked_examples=_backward_examples,
    )
)


# --- 2.4 train_layer --------------------------------------------------------------------------


def _train_case(rng: np.random.Generator, d: int, m: int, steps: int) -> dict:
    case = _layer(rng, d, m)
    x = case["x"]
    # y = sum a shrinks by at least 1 - 2 lr m (|x|^2 + 1) >= 0.8 per step: no overshoot, and a
    # live pre-activation never lands near the kink.
    lr = float(rng.uniform(0.02, 0.1) / (m * (float(x @ x) + 1.0)))
    return {**case, "lr": lr, "steps": steps}


def _train_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _train_case(rng, 4, 3, 15),
        _train_case(rng, 1, 1, 1),  # one neuron, one step
        _train_case(rng, 3, 5, 8),
        _train_case(rng, 6, 2, 25),
        _train_case(rng, 3, 3, 6),  # square W: a transposed update keeps its shape
    ]


def _train_examples() -> list[dict]:
    return [
        {**_seed_layer(), "lr": 0.001, "steps": 200},  # seed 004: losses 466.56, ...
        {**_seed_layer(), "lr": 0.002, "steps": 5},
    ]


def _train_call(fns, case):
    W, b, losses = unpack(
        fns["train_layer"](case["x"], case["W"], case["b"], case["lr"], case["steps"]),
        "W",
        "b",
        "losses",
    )
    return {"W": W, "b": b, "losses": losses}


register(
    Exercise(
        id="l02_train",
        lesson=LESSON,
        section="2.4",
        title="train_layer",
        functions=("train_layer",),
        components={"W": 0.4, "b": 0.2, "losses": 0.4},
        partial=False,
        make_cases=_train_cases,
        call=_train_call,
        worked_examples=_train_examples,
    )
)


# --- 2.5 dense_backward (batch form) ----------------------------------------------------------


def _batch_case(rng: np.random.Generator, n: int, d: int, m: int) -> dict:
    return {
        "dZ": rng.normal(size=(n, m)),
        "X": rng.normal(size=(n, d)),
        "W": away_from_zero(rng, (d, m), 0.1, 2.0),
    }


def _batch_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _batch_case(rng, 1, 3, 2),  # a batch of one
        _batch_case(rng, 4, 3, 2),
        _batch_case(rng, 5, 2, 4),
        _batch_case(rng, 3, 3, 3),  # square: transposes have the right shape
        _batch_case(rng, 2, 5, 1),  # one output
    ]


def _batch_examples() -> list[dict]:
    x = np.array(SEED_X)
    delta = np.full(3, 43.2)  # seed iteration 1: dL/dz
    small = {  # n = 3 examples, d = 3 inputs, m = 2 units: every shape mistake shows
        "dZ": np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.25]]),
        "X": np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 2.0], [0.5, -1.5, 1.0]]),
        "W": np.array([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]]),
    }
    seed = {"dZ": delta[None, :], "X": x[None, :], "W": np.array(SEED_W).T}  # a batch of one
    return [small, seed]


def _batch_call(fns, case):
    dX, dW, db = unpack(fns["dense_backward"](case["dZ"], case["X"], case["W"]), "dX", "dW", "db")
    return {"dX": dX, "dW": dW, "db": db}


register(
    Exercise(
        id="l02_batch",
        lesson=LESSON,
        section="2.5",
        title="dense_backward (batch form)",
        functions=("dense_backward",),
        components={"dX": 1 / 3, "dW": 1 / 3, "db": 1 / 3},
        partial=True,
        make_cases=_batch_cases,
        call=_batch_call,
        worked_examples=_batch_examples,
    )
)
