"""Lesson 01 (seed 004 part 1): one ReLU neuron, loss (a - t)^2. The model lesson spec.

Call conventions (as the notebook states them):
  relu(z), relu_derivative(z)          z float or array (any shape) -> float64, same shape
  neuron_forward(x, w, b) -> (z, a)     x, w (d,), b float; z, a floats
  neuron_backward(x, z, a, target) -> (dw (d,), db float)
  train_neuron(x, w, b, target, lr, steps) -> (w (d,), b float, losses (steps,))
"""

from __future__ import annotations

import numpy as np

from autograder.student.spec import Exercise, away_from_zero, register, unpack

LESSON = "01_single_neuron"

# Seed 004's neuron: the worked example of every visible check of this lesson.
SEED_X = [1.0, -2.0, 3.0]
SEED_W = [-3.0, -1.0, 2.0]
SEED_B = 1.0


# --- 1.2 relu / relu_derivative ---------------------------------------------------------------


def _relu_cases(rng: np.random.Generator) -> list[dict]:
    """Vectors, a batch of 1, a non-square and a square matrix, a scalar, and one case with exact
    zeros: it exists on purpose, to test the convention ReLU'(0) = 0 the exercise asks for."""
    with_zeros = away_from_zero(rng, (3, 4))
    with_zeros[rng.random((3, 4)) < 0.35] = 0.0
    with_zeros[0, 0] = 0.0
    return [
        {"z": away_from_zero(rng, (int(rng.integers(4, 8)),), 1e-3, 3.0)},
        {"z": away_from_zero(rng, (1,), 0.1, 3.0)},
        {"z": away_from_zero(rng, (2, 5), 1e-3, 3.0)},
        {"z": away_from_zero(rng, (3, 3), 1e-3, 3.0)},  # square: a transposed result has its shape
        {"z": float(away_from_zero(rng, (), 0.1, 3.0))},
        {"z": with_zeros},
    ]


def _relu_examples() -> list[dict]:
    return [
        {"z": np.array([-2.0, -0.5, 0.0, 0.5, 2.0])},
        {"z": np.array([[6.0, -1.0, 0.0], [-3.0, 0.25, 1.0]])},
        {"z": 6.0},
    ]


def _relu_call(fns, case):
    return {
        "relu": fns["relu"](case["z"]),
        "relu_derivative": fns["relu_derivative"](case["z"]),
    }


register(
    Exercise(
        id="l01_relu",
        lesson=LESSON,
        section="1.2",
        title="relu and relu_derivative",
        functions=("relu", "relu_derivative"),
        components={"relu": 0.5, "relu_derivative": 0.5},
        partial=True,
        make_cases=_relu_cases,
        call=_relu_call,
        worked_examples=_relu_examples,
    )
)


# --- 1.3 neuron_forward -----------------------------------------------------------------------


def _neuron(rng: np.random.Generator, d: int, sign: float) -> dict:
    """x, w (d,) and b chosen so that z = w.x + b has the given sign and |z| >= 0.2."""
    x = rng.normal(size=d)
    w = rng.normal(size=d)
    z_target = sign * rng.uniform(0.2, 3.0)
    b = float(z_target - w @ x)
    return {"x": x, "w": w, "b": b}


def _forward_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _neuron(rng, 3, 1.0),
        _neuron(rng, 1, 1.0),  # d = 1
        _neuron(rng, 5, -1.0),  # dead: a = 0
        _neuron(rng, 4, 1.0),
    ]


def _forward_examples() -> list[dict]:
    return [
        {"x": np.array(SEED_X), "w": np.array(SEED_W), "b": SEED_B},  # z = 6
        {"x": np.array(SEED_X), "w": np.array(SEED_W), "b": -10.0},  # z = -5 (section 1.7)
    ]


def _forward_call(fns, case):
    z, a = unpack(fns["neuron_forward"](case["x"], case["w"], case["b"]), "z", "a")
    return {"z": z, "a": a}


register(
    Exercise(
        id="l01_neuron_forward",
        lesson=LESSON,
        section="1.3",
        title="neuron_forward",
        functions=("neuron_forward",),
        components={"z": 0.5, "a": 0.5},
        partial=False,
        make_cases=_forward_cases,
        call=_forward_call,
        worked_examples=_forward_examples,
    )
)


# --- 1.4 neuron_backward ----------------------------------------------------------------------


def _backward_case(rng: np.random.Generator, d: int, sign: float) -> dict:
    n = _neuron(rng, d, sign)
    z = float(n["w"] @ n["x"] + n["b"])
    return {"x": n["x"], "z": z, "a": max(z, 0.0), "target": float(rng.normal())}


def _backward_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _backward_case(rng, 3, 1.0),
        _backward_case(rng, 1, 1.0),
        _backward_case(rng, 4, 1.0),
        _backward_case(rng, 5, -1.0),  # dead neuron: zero gradient
        {  # exactly at the kink, z == 0: ReLU'(0) is 0 here, so dw = 0 and db = 0
            "x": away_from_zero(rng, 3),
            "z": 0.0,
            "a": 0.0,
            "target": float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)),
        },
    ]


def _backward_examples() -> list[dict]:
    x = np.array(SEED_X)
    return [
        {"x": x, "z": 6.0, "a": 6.0, "target": 0.0},  # seed 004 step 0: dw = (12, -24, 36)
        {"x": x, "z": 2.5, "a": 2.5, "target": 1.0},
        {"x": x, "z": -5.0, "a": 0.0, "target": 1.0},  # section 1.7's dead neuron
    ]


def _backward_call(fns, case):
    dw, db = unpack(
        fns["neuron_backward"](case["x"], case["z"], case["a"], case["target"]), "dw", "db"
    )
    return {"dw": dw, "db": db}


register(
    Exercise(
        id="l01_neuron_backward",
        lesson=LESSON,
        section="1.4",
        title="neuron_backward",
        functions=("neuron_backward",),
        components={"dw": 0.5, "db": 0.5},
        partial=False,
        make_cases=_backward_cases,
        call=_backward_call,
        worked_examples=_backward_examples,
    )
)


# --- 1.5 train_neuron -------------------------------------------------------------------------


def _train_case(rng: np.random.Generator, d: int, steps: int) -> dict:
    n = _neuron(rng, d, 1.0)
    # 2 lr (|x|^2 + 1) <= 0.5: the loss shrinks monotonically, z stays far from the kink
    lr = float(rng.uniform(0.05, 0.25) / (float(n["x"] @ n["x"]) + 1.0))
    z = float(n["w"] @ n["x"] + n["b"])
    target = float(z * rng.uniform(0.0, 0.5))  # below z: a stays positive while it learns
    return {**n, "target": target, "lr": lr, "steps": steps}


def _dying_case(rng: np.random.Generator, d: int, steps: int) -> dict:
    """A neuron that dies during training (section 1.6): a negative target and a learning rate
    that overshoots, so the first update takes z from z0 > 0 to (1 - k) z0 < 0 (k in [1.3, 2])
    and every later gradient is 0. A missing ReLU' keeps updating; the right answer stops."""
    x = away_from_zero(rng, d, 0.3, 1.5)
    w = rng.normal(size=d)
    z0 = float(rng.uniform(1.0, 3.0))
    b = z0 - float(w @ x)
    target = -z0 * float(rng.uniform(0.5, 1.0))
    k = float(rng.uniform(1.3, 2.0))
    lr = k * z0 / (2.0 * (z0 - target) * (float(x @ x) + 1.0))
    return {"x": x, "w": w, "b": b, "target": target, "lr": lr, "steps": steps}


def _train_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _train_case(rng, 3, 12),
        _train_case(rng, 1, 1),  # one step
        _train_case(rng, 5, 7),
        _train_case(rng, 2, 20),
        _dying_case(rng, 3, 6),  # dies at the first step
    ]


def _train_examples() -> list[dict]:
    x, w = np.array(SEED_X), np.array(SEED_W)
    return [
        {"x": x, "w": w, "b": SEED_B, "target": 0.0, "lr": 0.001, "steps": 200},  # seed 004
        {"x": x, "w": w, "b": SEED_B, "target": 2.0, "lr": 0.01, "steps": 3},
    ]


def _train_call(fns, case):
    w, b, losses = unpack(
        fns["train_neuron"](
            case["x"], case["w"], case["b"], case["target"], case["lr"], case["steps"]
        ),
        "w",
        "b",
        "losses",
    )
    return {"w": w, "b": b, "losses": losses}


register(
    Exercise(
        id="l01_train",
        lesson=LESSON,
        section="1.5",
        title="train_neuron",
        functions=("train_neuron",),
        components={"w": 0.4, "b": 0.2, "losses": 0.4},
        partial=False,
        make_cases=_train_cases,
        call=_train_call,
        worked_examples=_train_examples,
    )
)
