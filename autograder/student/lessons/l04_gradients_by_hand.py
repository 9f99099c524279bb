"""Lesson 04 (seed 001): a d-m-1 net by hand: ReLU hidden layer, sigmoid output, binary
cross-entropy computed from the logit. Seed 001 has d = m = 2, x = [1, 1], y = 1.

Column layout: zh = Wh x + bh, h = relu(zh), zo = Wo h + bo, yhat = s(zo),
L = -[y log yhat + (1 - y) log(1 - yhat)]. Shapes: x (d, 1), Wh (m, d), bh (m, 1), Wo (1, m),
bo (1, 1), y (1, 1); zh, h (m, 1); zo, yhat (1, 1).

Call conventions (as the notebook states them):
  bce_from_logit(z, y)                 z, y floats or arrays of one shape -> float (summed)
  forward(x, Wh, bh, Wo, bo)           -> (zh, h, zo, yhat)
  backward(x, y, Wh, bh, Wo, bo)       -> (dWh (m, d), dbh (m, 1), dWo (1, m), dbo (1, 1))
                                          [partial credit per component]

ReLU'(0) = 0 (the course's documented convention, section 4.4). Most cases keep |zh| >= 0.1;
ONE backward case uses integer-valued inputs (like the seed's int32 weights) with an exact
zh_i == 0 on purpose: there the convention matters (seed 001's `>= 0` gives 1). Integer values
make zh exactly 0 whatever order the student's code sums in.

The backward cases have d == m (like the seed) so that seed 001's elementwise Wo product
(which only broadcasts when d == m) can be recognised and named; Wo (1, m) and x (d, 1) are
still non-square, and the sizes vary (2, 3, 4). Targets y are 0 and 1: y = 0 separates the
full cross-entropy from the seed's loss without the (1 - y) term.
"""

from __future__ import annotations

import numpy as np

from autograder.student.spec import Exercise, away_from_zero, register, unpack

LESSON = "04_gradients_by_hand"

# Seed 001's values (its tensors were int32; here float64).
SEED = {
    "x": [[1.0], [1.0]],
    "y": [[1.0]],
    "Wh": [[2.0, 4.0], [3.0, -5.0]],
    "bh": [[-2.0], [1.0]],
    "Wo": [[4.0, 6.0]],
    "bo": [[-3.5]],
}


def _seed_case() -> dict:
    return {k: np.array(v) for k, v in SEED.items()}


# --- 4.3 bce_from_logit ---------------------------------------------------------------------------


def _bce_cases(rng: np.random.Generator) -> list[dict]:
    """Logits of moderate size, a (1, 1) one near the seed's 12.5 with y = 1 (float32 loses the
    digits there), a vector with a logit beyond 37 and y = 0 (1 - sigmoid rounds to 0 in
    float64), a batch of 1, soft labels (square), and a very large logit (exp overflows)."""
    n = int(rng.integers(4, 8))
    far = away_from_zero(rng, (3, 1), 1.0, 8.0)
    far[0, 0] = rng.uniform(38.0, 60.0)
    return [
        {"z": rng.uniform(9.0, 16.0, size=(1, 1)), "y": np.ones((1, 1))},
        {
            "z": rng.normal(0.0, 3.0, size=(n,)),
            "y": rng.integers(0, 2, size=(n,)).astype(float),
        },
        {"z": far, "y": np.array([[0.0], [1.0], [0.0]])},
        {"z": float(rng.normal(0.0, 3.0)), "y": 0.0},
        {"z": rng.normal(0.0, 4.0, size=(3, 3)), "y": rng.uniform(0.0, 1.0, size=(3, 3))},
        {  # z and y chosen so that the naive formula gives inf (not nan: 0 * log(0) avoided)
            "z": np.array([rng.uniform(700.0, 900.0), -rng.uniform(700.0, 900.0)]),
            "y": np.array([0.0, 1.0]),
        },
    ]


def _bce_examples() -> list[dict]:
    return [
        {"z": np.array([[12.5]]), "y": np.array([[1.0]])},  # seed 001's output logit
        {"z": np.array([[-2.0], [0.0], [3.0]]), "y": np.array([[0.0], [1.0], [1.0]])},
        {"z": np.array([40.0, -40.0]), "y": np.array([0.0, 1.0])},  # log(1 - yhat) = log(0)
    ]


def _bce_call(fns, case):
    return {"loss": fns["bce_from_logit"](case["z"], case["y"])}


register(
    Exercise(
        id="l04_bce",
        lesson=LESSON,
        section="4.3",
        title="bce_from_logit (stable, float64)",
        functions=("bce_from_logit",),
        components={"loss": 1.0},
        partial=False,
        make_cases=_bce_cases,
        call=_bce_call,
        worked_examples=_bce_examples,
    )
)


# --- the network's cases --------------------------------------------------------------------------


def _net_case(rng: np.random.Generator, d: int, m: int, y: float) -> dict:
    """Random float64 weights with every |zh_i| >= 0.1, at least one unit on and one off."""
    x = rng.normal(size=(d, 1))
    Wh = rng.normal(size=(m, d))
    zh = away_from_zero(rng, (m, 1), 0.1, 2.0)
    zh[0, 0], zh[-1, 0] = abs(zh[0, 0]), -abs(zh[-1, 0])  # one unit on, one off
    bh = zh - Wh @ x
    return {
        "x": x,
        "y": np.array([[y]]),
        "Wh": Wh,
        "bh": bh,
        "Wo": rng.normal(0.0, 1.5, size=(1, m)),
        "bo": rng.normal(size=(1, 1)),
    }


def _integer_case(rng: np.random.Generator, m: int, y: float) -> dict:
    """Integer-valued float64 inputs (like the seed's int32) with zh_0 > 0 and zh_1 == 0
    exactly (the ReLU kink: the course's relu'(0) = 0 is tested here on purpose)."""
    x = rng.integers(1, 4, size=(m, 1)).astype(float)
    Wh = rng.integers(-3, 4, size=(m, m)).astype(float)
    zh = rng.integers(-4, 5, size=(m, 1)).astype(float)
    zh[zh == 0] = -1.0
    zh[0, 0], zh[1, 0] = 2.0, 0.0
    bh = zh - Wh @ x  # integers: exact
    Wo = rng.integers(1, 4, size=(1, m)).astype(float) * rng.choice([-1.0, 1.0], size=(1, m))
    return {"x": x, "y": np.array([[y]]), "Wh": Wh, "bh": bh, "Wo": Wo, "bo": np.array([[-0.5]])}


def _forward_cases(rng: np.random.Generator) -> list[dict]:
    """Non-square shapes are fine here (no broadcasting variant to recognise)."""
    return [
        _net_case(rng, 2, 2, 1.0),
        _net_case(rng, 1, 3, 0.0),
        _net_case(rng, 4, 2, 1.0),
        _net_case(rng, 3, 5, 0.0),
    ]


def _backward_cases(rng: np.random.Generator) -> list[dict]:
    return [
        _net_case(rng, 2, 2, 1.0),
        _net_case(rng, 3, 3, 0.0),
        _integer_case(rng, 2, 1.0),
        _net_case(rng, 4, 4, 1.0),
        _net_case(rng, 2, 2, 0.0),
    ]


def _net_examples() -> list[dict]:
    """Seed 001 itself, and a fixed integer case with y = 0 and an exact zh_1 == 0."""
    return [_seed_case(), _integer_case(np.random.default_rng(4), 2, 0.0)]


# --- 4.2 forward ----------------------------------------------------------------------------------


def _forward_call(fns, case):
    args = (case["x"], case["Wh"], case["bh"], case["Wo"], case["bo"])
    zh, h, zo, yhat = unpack(fns["forward"](*args), "zh", "h", "zo", "yhat")
    return {"zh": zh, "h": h, "zo": zo, "yhat": yhat}


register(
    Exercise(
        id="l04_forward",
        lesson=LESSON,
        section="4.2",
        title="forward: (zh, h, zo, yhat)",
        functions=("forward",),
        components={"zh": 0.25, "h": 0.25, "zo": 0.25, "yhat": 0.25},
        partial=False,
        make_cases=_forward_cases,
        call=_forward_call,
        worked_examples=_net_examples,
    )
)


# --- 4.5 backward ---------------------------------------------------------------------------------


def _backward_call(fns, case):
    args = (case["x"], case["y"], case["Wh"], case["bh"], case["Wo"], case["bo"])
    dWh, dbh, dWo, dbo = unpack(fns["backward"](*args), "dWh", "dbh", "dWo", "dbo")
    return {"dWh": dWh, "dbh": dbh, "dWo": dWo, "dbo": dbo}


register(
    Exercise(
        id="l04_backward",
        lesson=LESSON,
        section="4.5",
        title="backward: (dWh, dbh, dWo, dbo) for the cross-entropy",
        functions=("backward",),
        components={"dWh": 0.25, "dbh": 0.25, "dWo": 0.25, "dbo": 0.25},
        partial=True,
        make_cases=_backward_cases,
        call=_backward_call,
        worked_examples=_net_examples,
    )
)
