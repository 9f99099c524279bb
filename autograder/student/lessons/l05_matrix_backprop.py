"""Lesson 05 (seed 000): matrix-form backprop in numpy, in torch by hand, and with autograd.

Network: Zh = X Wh, H = relu(Zh), Zo = H Wo, Yhat = relu(Zo), E = 1/2 sum (Yhat - Y)^2, no biases.
Shapes: X (n, d), Y (n, p), Wh (d, h), Wo (h, p). Cases are (n, d, h, p) with a batch of one,
non-square shapes and one square case (where a missing transpose still has the right shape).
Every pre-activation is kept at least 0.05 away from the ReLU kink, and some units are off.
"""

from __future__ import annotations

import numpy as np

from autograder.student.spec import Exercise, Raised, register, unpack

# (n, d, h, p): a batch of one, non-square layers, a square case, a single output.
SHAPES = ((1, 3, 4, 2), (5, 2, 3, 4), (4, 3, 3, 3), (6, 4, 5, 1), (3, 5, 2, 3))
MARGIN = 0.05  # |pre-activation| >= MARGIN: far from the kink, finite differences stay exact

# Seed 000's printed arrays (its weights were printed after one update; they are our start).
SEED_X = [[0.91849798, 0.31459573, 0.15589525], [0.50063489, 0.81648542, 0.73793416]]
SEED_Y = [[0.56485251, 0.68927135, 0.55176539], [0.06018269, 0.01881898, 0.68293117]]
SEED_WH = [
    [0.61179315, 0.18823299, 0.81642904],
    [0.21938286, 0.34381293, 0.48395619],
    [0.73458135, 0.19232727, 0.16410045],
]
SEED_WO = [
    [0.43221483, 0.46838498, 0.47532897],
    [0.7697312, 0.82596855, 0.41345834],
    [0.16945669, 0.35066125, 0.51430952],
]


def _net_case(rng: np.random.Generator, n: int, d: int, h: int, p: int) -> dict:
    """Random X, Y, Wh, Wo with every |pre-activation| >= MARGIN, some hidden units off, and
    (when there are several outputs) some outputs off and some on."""
    for _ in range(1000):
        X = rng.normal(size=(n, d))
        Wh = rng.normal(size=(d, h)) / np.sqrt(d)
        Wo = rng.normal(size=(h, p)) / np.sqrt(h)
        Zh = X @ Wh
        Zo = np.maximum(Zh, 0.0) @ Wo
        if np.min(np.abs(Zh)) < MARGIN or np.min(np.abs(Zo)) < MARGIN:
            continue
        if not (Zh > 0).any() or not (Zh < 0).any():
            continue
        if not (Zo > 0).any() or (Zo.size > 1 and not (Zo < 0).any()):
            continue
        Y = rng.uniform(0.0, 1.5, size=(n, p))
        return {"X": X, "Y": Y, "Wh": Wh, "Wo": Wo}
    raise RuntimeError(f"could not draw a case of shape {(n, d, h, p)} away from the kinks")


def _cases(rng: np.random.Generator) -> list[dict]:
    cases = [_net_case(rng, *shape) for shape in SHAPES]
    # one hidden unit exactly at the kink in the second case: a zero column of Wh gives
    # Zh[:, 0] == 0 whatever the summation order; ReLU'(0) = 0 there (the lesson's convention)
    cases[1]["Wh"][:, 0] = 0.0
    return cases


def _step_cases(rng: np.random.Generator) -> list[dict]:
    cases = _cases(rng)
    for case in cases:
        case["lr"] = float(rng.uniform(0.01, 0.5))
    return cases


def _worked() -> list[dict]:
    """Seed 000's numbers (every unit on) plus one fixed case with units off."""
    arrays = (SEED_X, SEED_Y, SEED_WH, SEED_WO)
    seed = {k: np.array(v) for k, v in zip(("X", "Y", "Wh", "Wo"), arrays, strict=True)}
    mixed = _net_case(np.random.default_rng(5), 3, 2, 4, 2)
    return [seed, mixed]


def _worked_step() -> list[dict]:
    cases = _worked()
    cases[0]["lr"] = 0.01  # the seed's learning rate
    cases[1]["lr"] = 0.1
    return cases


def _call_numpy(fns, case):
    dWh, dWo = unpack(fns["backprop"](case["X"], case["Y"], case["Wh"], case["Wo"]), "dWh", "dWo")
    return {"dWh": dWh, "dWo": dWo}


def _call_step(fns, case):
    args = (case["X"], case["Y"], case["Wh"], case["Wo"], case["lr"])
    Wh_new, Wo_new = unpack(fns["train_step"](*args), "Wh_new", "Wo_new")
    return {"Wh_new": Wh_new, "Wo_new": Wo_new}


AUTOGRAD_OFF = (
    "autograd is switched off in this exercise (the grader runs your function under "
    "torch.no_grad() with .backward() and torch.autograd.grad disabled): compute dWh and dWo "
    "by hand with the formulas of \u00a75.2"
)
TENSORS_ONLY = (
    "this exercise asks for torch tensors: the grader turns off .numpy() and np.asarray on "
    "tensors while your function runs; compute with torch operations (@, .T, torch.clamp, ...)"
)


def _call_torch_by_hand(fns, case):
    """Inputs become float64 tensors (requires_grad=False, sharing memory with the case, so
    in-place changes are seen). The call runs under torch.no_grad() with the autograd entry
    points replaced, so an autograd shortcut raises instead of scoring; and with a tensor's ways
    into numpy (.numpy(), __array__, which np.asarray and every np function use) replaced, so
    "with torch tensors" is enforced: numpy work returned through torch.from_numpy raises too."""
    import torch

    X, Y, Wh, Wo = (torch.from_numpy(case[k]) for k in ("X", "Y", "Wh", "Wo"))

    def refuse(*args, **kwargs):
        raise RuntimeError(AUTOGRAD_OFF)

    def tensors_only(*args, **kwargs):
        raise RuntimeError(TENSORS_ONLY)

    saved = (torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad)
    to_numpy = (torch.Tensor.numpy, torch.Tensor.__array__)
    try:
        torch.Tensor.backward = refuse
        torch.autograd.backward = refuse
        torch.autograd.grad = refuse
        torch.Tensor.numpy = tensors_only
        torch.Tensor.__array__ = tensors_only
        with torch.no_grad():
            result = fns["backprop_torch"](X, Y, Wh, Wo)
    finally:
        torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad = saved
        torch.Tensor.numpy, torch.Tensor.__array__ = to_numpy
    if isinstance(result, Raised) and (
        "does not require grad" in result.message or "autograd is switched off" in result.message
    ):
        result = Raised("AutogradUsed", AUTOGRAD_OFF)
    elif isinstance(result, Raised) and TENSORS_ONLY in result.message:
        result = Raised("NumpyUsed", TENSORS_ONLY)
    dWh, dWo = unpack(result, "dWh", "dWo")
    return {"dWh": dWh, "dWo": dWo}


def _call_autograd(fns, case):
    """A fixed torch seed first, so that a model built with nn.Linear's default random biases
    (the seed's bias=True) is reproducible and the grader can name that mistake."""
    import torch

    torch.manual_seed(0)
    args = (case["X"], case["Y"], case["Wh"], case["Wo"], case["lr"])
    Wh_new, Wo_new = unpack(fns["autograd_step"](*args), "Wh_new", "Wo_new")
    return {"Wh_new": Wh_new, "Wo_new": Wo_new}


register(
    Exercise(
        id="l05_numpy",
        lesson="05_matrix_backprop",
        section="5.2",
        title="backprop in numpy: (dWh, dWo)",
        functions=("backprop",),
        components={"dWh": 0.5, "dWo": 0.5},
        partial=True,
        make_cases=_cases,
        call=_call_numpy,
        worked_examples=_worked,
    )
)

register(
    Exercise(
        id="l05_step",
        lesson="05_matrix_backprop",
        section="5.3",
        title="one gradient-descent step: (Wh_new, Wo_new)",
        functions=("train_step",),
        components={"Wh_new": 0.5, "Wo_new": 0.5},
        partial=True,
        make_cases=_step_cases,
        call=_call_step,
        worked_examples=_worked_step,
    )
)

register(
    Exercise(
        id="l05_torch_by_hand",
        lesson="05_matrix_backprop",
        section="5.4",
        title="backprop with torch tensors, without autograd",
        functions=("backprop_torch",),
        components={"dWh": 0.5, "dWo": 0.5},
        partial=True,
        make_cases=_cases,
        call=_call_torch_by_hand,
        worked_examples=_worked,
        kinds={"dWh": "tensor", "dWo": "tensor"},
    )
)

register(
    Exercise(
        id="l05_autograd",
        lesson="05_matrix_backprop",
        section="5.5",
        title="one SGD step with nn.Linear and autograd, numpy layout",
        functions=("autograd_step",),
        components={"Wh_new": 0.5, "Wo_new": 0.5},
        partial=True,
        make_cases=_step_cases,
        call=_call_autograd,
        worked_examples=_worked_step,
    )
)
