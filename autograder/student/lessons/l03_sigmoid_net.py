"""Lesson 03 (seed 002): a d-m-1 sigmoid network in the seed's column layout, squared error.

Network (one example, a column): Zh = W1^T X, H = s(Zh), Zo = H^T W2, Yhat = s(Zo),
E = sum((Y - Yhat)^2). Shapes: X (d, 1), W1 (d, m), W2 (m, 1), Y (1, 1); Zh, H (m, 1); Zo, Yhat
(1, 1). Seed 002 has d = 4, m = 3 and writes Z, O, Y_cap for Zh, Zo, Yhat.

Call conventions (as the notebook states them):
  sigmoid(z)                       float or array, any shape -> float64, same shape
  sigmoid_grad_from_output(a)      a = s(z) -> a (1 - a), same shape
  forward(X, W1, W2)               -> (Zh, H, Zo, Yhat)
  backward(X, Y, W1, W2)           -> (dW1 (d, m), dW2 (m, 1))          [partial credit]
  sgd_step(X, Y, W1, W2, lr)       -> (W1_new, W2_new), both gradients at the old weights

Cases: the seed's shape, an input of size 1 (d = 1), one square W1 (d == m, where a missing
transpose keeps the shape) and non-square ones. Weights are uniform in [-1, 1] (the seed's
torch.rand is [0, 1): all positive, every hidden unit alike), so no unit saturates.
"""

from __future__ import annotations

import numpy as np

from autograder.student.spec import Exercise, register, unpack

LESSON = "03_sigmoid_net"

# Seed 002's printed values (4 decimals, from an unseeded torch.rand): the worked example.
SEED_X = [[0.9], [0.8], [0.7], [0.6]]
SEED_W1 = [
    [0.6915, 0.2038, 0.1092],
    [0.8664, 0.2407, 0.9444],
    [0.9586, 0.5905, 0.4535],
    [0.4292, 0.7313, 0.8132],
]
SEED_W2 = [[0.9415], [0.9888], [0.9888]]
SEED_LR = 0.1

# (d, m): the seed's shape, a single input, a square W1, non-square ones.
SHAPES = ((4, 3), (1, 2), (3, 3), (5, 2), (2, 6))


# --- 3.2 sigmoid / sigmoid_grad_from_output -----------------------------------------------------


def _sigmoid_cases(rng: np.random.Generator) -> list[dict]:
    """Each case: z for sigmoid and a = an activation in (0, 1) for the derivative.
    Shapes: a column (m, 1) like H, a batch of 1, a non-square and a square matrix, a scalar,
    and large |z| (where 1 / (1 + exp(-z)) overflows but must still give 0 or 1, and
    exp(z) / (1 + exp(z)) gives inf / inf = NaN)."""
    big = rng.uniform(20.0, 700.0, size=(2, 3)) * rng.choice([-1.0, 1.0], size=(2, 3))
    big[0, 0] = -800.0
    big[0, 1] = 800.0
    return [
        {"z": rng.normal(0.0, 2.0, size=(3, 1)), "a": rng.uniform(0.01, 0.99, size=(3, 1))},
        {"z": rng.normal(0.0, 2.0, size=(1,)), "a": rng.uniform(0.01, 0.99, size=(1,))},
        {"z": rng.normal(0.0, 3.0, size=(2, 5)), "a": rng.uniform(0.01, 0.99, size=(2, 5))},
        {"z": rng.normal(0.0, 3.0, size=(3, 3)), "a": rng.uniform(0.01, 0.99, size=(3, 3))},
        {"z": float(rng.normal(0.0, 2.0)), "a": float(rng.uniform(0.01, 0.99))},
        {"z": big, "a": rng.uniform(0.0, 1.0, size=(2, 3))},
    ]


def _sigmoid_examples() -> list[dict]:
    return [
        {"z": np.array([[-2.0], [0.0], [2.0]]), "a": np.array([[0.25], [0.5], [0.92033]])},
        {"z": np.array([-800.0, -30.0, 30.0, 800.0]), "a": np.array([0.0, 0.1, 0.9, 1.0])},
        {"z": 0.0, "a": 0.5},
    ]


def _sigmoid_call(fns, case):
    return {
        "sigmoid": fns["sigmoid"](case["z"]),
        "sigmoid_grad_from_output": fns["sigmoid_grad_from_output"](case["a"]),
    }


register(
    Exercise(
        id="l03_sigmoid",
        lesson=LESSON,
        section="3.2",
        title="sigmoid and sigmoid_grad_from_output",
        functions=("sigmoid", "sigmoid_grad_from_output"),
        components={"sigmoid": 0.5, "sigmoid_grad_from_output": 0.5},
        partial=True,
        make_cases=_sigmoid_cases,
        call=_sigmoid_call,
        worked_examples=_sigmoid_examples,
    )
)


# --- the network's cases --------------------------------------------------------------------------


def _net_case(rng: np.random.Generator, d: int, m: int) -> dict:
    """X (d, 1) in [0, 1] like the seed's input, W1 (d, m), W2 (m, 1) in [-1, 1], Y (1, 1)."""
    return {
        "X": rng.uniform(0.0, 1.0, size=(d, 1)),
        "Y": rng.uniform(0.0, 1.0, size=(1, 1)),
        "W1": rng.uniform(-1.0, 1.0, size=(d, m)),
        "W2": rng.uniform(-1.0, 1.0, size=(m, 1)),
    }


def _net_cases(rng: np.random.Generator) -> list[dict]:
    return [_net_case(rng, d, m) for d, m in SHAPES]


def _seed_case() -> dict:
    return {
        "X": np.array(SEED_X),
        "Y": np.array([[0.0]]),
        "W1": np.array(SEED_W1),
        "W2": np.array(SEED_W2),
    }


def _net_examples() -> list[dict]:
    """Seed 002 itself, and one fixed non-square case with weights of both signs."""
    return [_seed_case(), _net_case(np.random.default_rng(3), 2, 5)]


def _step_cases(rng: np.random.Generator) -> list[dict]:
    cases = _net_cases(rng)
    for case in cases:
        case["lr"] = float(rng.uniform(0.05, 1.0))
    return cases


def _step_examples() -> list[dict]:
    cases = _net_examples()
    cases[0]["lr"] = SEED_LR
    cases[1]["lr"] = 0.5
    return cases


# --- 3.3 forward ----------------------------------------------------------------------------------


def _forward_call(fns, case):
    Zh, H, Zo, Yhat = unpack(
        fns["forward"](case["X"], case["W1"], case["W2"]), "Zh", "H", "Zo", "Yhat"
    )
    return {"Zh": Zh, "H": H, "Zo": Zo, "Yhat": Yhat}


register(
    Exercise(
        id="l03_forward",
        lesson=LESSON,
        section="3.3",
        title="forward: (Zh, H, Zo, Yhat)",
        functions=("forward",),
        components={"Zh": 0.25, "H": 0.25, "Zo": 0.25, "Yhat": 0.25},
        partial=False,
        make_cases=_net_cases,
        call=_forward_call,
        worked_examples=_net_examples,
    )
)


# --- 3.4 backward ---------------------------------------------------------------------------------


def _backward_call(fns, case):
    dW1, dW2 = unpack(fns["backward"](case["X"], case["Y"], case["W1"], case["W2"]), "dW1", "dW2")
    return {"dW1": dW1, "dW2": dW2}


register(
    Exercise(
        id="l03_backward",
        lesson=LESSON,
        section="3.4",
        title="backward: (dW1, dW2) for E = (Y - Yhat)^2",
        functions=("backward",),
        components={"dW1": 0.5, "dW2": 0.5},
        partial=True,
        make_cases=_net_cases,
        call=_backward_call,
        worked_examples=_net_examples,
    )
)


# --- 3.5 sgd_step ---------------------------------------------------------------------------------


def _step_call(fns, case):
    W1_new, W2_new = unpack(
        fns["sgd_step"](case["X"], case["Y"], case["W1"], case["W2"], case["lr"]),
        "W1_new",
        "W2_new",
    )
    return {"W1_new": W1_new, "W2_new": W2_new}


register(
    Exercise(
        id="l03_step",
        lesson=LESSON,
        section="3.5",
        title="sgd_step: (W1_new, W2_new)",
        functions=("sgd_step",),
        components={"W1_new": 0.5, "W2_new": 0.5},
        partial=False,
        make_cases=_step_cases,
        call=_step_call,
        worked_examples=_step_examples,
    )
)
