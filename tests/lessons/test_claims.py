"""Every number a lesson states is recomputed here, by code independent of the lessons and of
`course/` (plain float64 numpy, and torch.autograd where a gradient is the claim).

Each claim is the text as it appears in the lesson (the test fails if the lesson no longer says
it) and the value recomputed with a stated tolerance: the figures a lesson prints are rounded, and
training runs are not bit-for-bit reproducible across machines (BLAS summation order), so each
tolerance is the rounding of the stated figure or, for long training runs, a documented margin.
"""

# ruff: noqa: E501  (claims quote the lessons verbatim)

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def _lesson_text(lesson: str) -> str:
    path = next((REPO / "source").glob(f"{lesson}_*/{lesson}_*.ipynb"))
    cells = nbformat.read(str(path), as_version=4).cells
    text = "\n".join(c.source for c in cells)
    text = re.sub(r"^[ \t]*>[ \t]?", "", text, flags=re.M)  # quoted boxes: a claim may span lines
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Claim:
    lesson: str
    text: str  # as written in the lesson (whitespace-insensitive)
    value: Callable[[], object]
    expected: object
    rtol: float = 0.0
    atol: float = 0.0


relu = functools.partial(np.maximum, 0.0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _naive_sigmoid(z):
    with np.errstate(all="ignore"):
        return np.exp(z) / (1.0 + np.exp(z))


# --- lesson 01: seed 004's neuron -----------------------------------------------------------
X01, W01, B01 = np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0]), 1.0


def neuron_run(lr, steps, b=B01, t=0.0):
    """Gradient descent on (relu(w.x + b) - t)^2 by torch.autograd, float64."""
    w = torch.tensor(W01, requires_grad=True)
    bb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(X01)
    losses, zs = [], []
    for _ in range(steps):
        z = w @ x + bb
        loss = (torch.relu(z) - t) ** 2
        losses.append(loss.item())
        zs.append(z.item())
        w.grad = bb.grad = None
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            bb -= lr * bb.grad
    return w.detach().numpy(), bb.item(), losses, zs


# --- lesson 02: seed 004's layer ------------------------------------------------------------
X02 = np.array([1.0, 2.0, 3.0, 4.0])
W02 = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [0.9, 1.0, 1.1, 1.2]])
B02 = np.array([0.1, 0.2, 0.3])


def layer_run(target, steps=2000, lr=0.001):
    W, b, first_off, z = W02.copy(), B02.copy(), [None] * 3, None
    for it in range(1, steps + 1):
        z = W @ X02 + b
        for k in range(3):
            if first_off[k] is None and z[k] <= 0:
                first_off[k] = it
        delta = 2 * (relu(z).sum() - target) * (z > 0)
        W, b = W - lr * np.outer(delta, X02), b - lr * delta
    return z, first_off


# --- lesson 03: seed 002's 4-3-1 sigmoid net ------------------------------------------------
X03 = np.array([[0.9], [0.8], [0.7], [0.6]])
W1_03 = np.array([[0.6915, 0.2038, 0.1092], [0.8664, 0.2407, 0.9444],
                  [0.9586, 0.5905, 0.4535], [0.4292, 0.7313, 0.8132]])  # fmt: skip
W2_03 = np.array([[0.9415], [0.9888], [0.9888]])


def net03_loss_after(steps, seed_bug, lr=0.1):
    W1, W2 = W1_03.copy(), W2_03.copy()
    for _ in range(steps + 1):
        H = sigmoid(W1.T @ X03)
        Yh = sigmoid(H.T @ W2)
        if _ == steps:
            return float(Yh.item() ** 2)  # target 0
        dO = 2 * Yh * Yh * (1 - Yh)
        dZ = (W2 @ dO) * H * (1 - H)
        dW1 = X03 @ (dZ * H).T if seed_bug else X03 @ dZ.T
        W1, W2 = W1 - lr * dW1, W2 - lr * (H @ dO)


# --- lesson 04: seed 001's 2-2-1 net --------------------------------------------------------
def death_step(lr):
    """First step at which hidden unit 1 is off, training towards y = 0 (torch.autograd)."""
    p = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in
         ([[2.0, 4.0], [3.0, -5.0]], [[-2.0], [1.0]], [[4.0, 6.0]], [[-3.5]])]  # fmt: skip
    x, y = torch.ones(2, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    for step in range(100_000):
        zh = p[0] @ x + p[1]
        if zh[0, 0] <= 0:
            return step
        zo = p[2] @ torch.relu(zh) + p[3]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(zo, y, reduction="sum")
        grads = torch.autograd.grad(loss, p)
        with torch.no_grad():
            for q, g in zip(p, grads, strict=True):
                q -= lr * g
    return None


def float32_error_of_bce():
    exact = np.logaddexp(0.0, -12.5)
    yhat32 = np.float32(1) / (np.float32(1) + np.exp(np.float32(-12.5)))
    return abs(float(-np.log(yhat32)) - exact) / exact


# --- lesson 05: seed 000's matrix net -------------------------------------------------------
X05 = np.array([[0.91849798, 0.31459573, 0.15589525], [0.50063489, 0.81648542, 0.73793416]])
Y05 = np.array([[0.56485251, 0.68927135, 0.55176539], [0.06018269, 0.01881898, 0.68293117]])
WH05 = np.array([[0.61179315, 0.18823299, 0.81642904], [0.21938286, 0.34381293, 0.48395619],
                 [0.73458135, 0.19232727, 0.16410045]])  # fmt: skip
WO05 = np.array([[0.43221483, 0.46838498, 0.47532897], [0.7697312, 0.82596855, 0.41345834],
                 [0.16945669, 0.35066125, 0.51430952]])  # fmt: skip


def net05_losses(lr, act, steps=300):
    """E per step; act is the activation (relu, or the seed's relu_prime)."""
    step_fn = lambda Z: (Z > 0).astype(float)  # noqa: E731
    Wh, Wo, out = WH05.copy(), WO05.copy(), []
    for _ in range(steps):
        Zh = X05 @ Wh
        H = act(Zh)
        Zo = H @ Wo
        Yh = act(Zo)
        out.append((0.5 * np.sum((Yh - Y05) ** 2), Yh.sum()))
        Eo = (Yh - Y05) * step_fn(Zo)
        Eh = (Eo @ Wo.T) * step_fn(Zh)
        Wh, Wo = Wh - lr * X05.T @ Eh, Wo - lr * H.T @ Eo
    return out


def relu_prime(Z):
    return (Z > 0).astype(float)


def seed_staircase(lr):
    """(distinct losses in order, the first step at which yHat is all zeros)."""
    out = net05_losses(lr, relu_prime)
    levels = [round(out[0][0], 4)]
    for L, _ in out[1:]:
        if round(L, 4) != levels[-1]:
            levels.append(round(L, 4))
    return levels, next(i for i, (_, s) in enumerate(out) if s == 0)


def correct_ratio(step):
    L = [e for e, _ in net05_losses(0.1, relu)]
    return L[step + 1] / L[step]


# --- lesson 06: Example 25.3, batched over draws --------------------------------------------
def sine_fits(seeds, steps, scale=0.01, eta=0.2):
    """Test SSE after `steps` full-batch steps from default_rng(s), all draws at once."""
    Xs, W1s, W2s = [], [], []
    for s in seeds:
        rng = np.random.default_rng(s)
        Xs.append(rng.uniform(-10, 10, size=(25, 1)))
        W1s.append(rng.uniform(-0.01, 0.01, size=(2, 10)) * (scale / 0.01))
        W2s.append(rng.uniform(-0.01, 0.01, size=(11, 1)) * (scale / 0.01))
    X, W1, W2 = np.stack(Xs), np.stack(W1s), np.stack(W2s)
    Xa = np.concatenate([np.ones_like(X), X], axis=2)
    Y = np.sin(X)
    for _ in range(steps):
        Z = np.tanh(Xa @ W1)
        Za = np.concatenate([np.ones_like(X), Z], axis=2)
        G2 = (Za @ W2 - Y) / 25
        G1 = (G2 @ np.swapaxes(W2[:, 1:], 1, 2)) * (1 - Z**2)
        W1 = W1 - eta * np.swapaxes(Xa, 1, 2) @ G1
        W2 = W2 - eta * np.swapaxes(Za, 1, 2) @ G2
    t = np.linspace(-10, 10, 1000)[:, None]
    ta = np.hstack([np.ones_like(t), t])
    sse = []
    for k in range(len(seeds)):
        O = np.hstack([np.ones_like(t), np.tanh(ta @ W1[k])]) @ W2[k]
        sse.append(float(np.sum((O - np.sin(t)) ** 2)))
    return sse


@functools.cache
def spread():
    return sine_fits(range(20), 60_000)


def sweep_share():
    """Lesson 06's coordinate-wise sweep vs one gradient step, as a share of the largest step."""
    rng = np.random.default_rng(8)
    X = rng.uniform(-10, 10, size=(25, 1))
    Y = np.sin(X)
    rng_c = np.random.default_rng(1)
    W1 = rng_c.normal(scale=0.5, size=(2, 10))
    W2 = rng_c.normal(scale=0.5, size=(11, 1))

    def loss(A, B):
        O = np.hstack([np.ones((25, 1)), np.tanh(np.hstack([np.ones((25, 1)), X]) @ A)]) @ B
        return 0.5 * np.sum((O - Y) ** 2) / 25

    tA, tB = torch.tensor(W1, requires_grad=True), torch.tensor(W2, requires_grad=True)
    tX = torch.tensor(np.hstack([np.ones((25, 1)), X]))
    O = torch.cat([torch.ones(25, 1, dtype=torch.float64), torch.tanh(tX @ tA)], 1) @ tB
    gA, gB = torch.autograd.grad(0.5 * ((O - torch.tensor(Y)) ** 2).sum() / 25, (tA, tB))
    step = (W1 - 0.1 * gA.numpy(), W2 - 0.1 * gB.numpy())
    A, B, h = W1.copy(), W2.copy(), 1e-5
    for M in (A, B):
        for idx in np.ndindex(M.shape):
            old = M[idx]
            M[idx] = old + h
            fp = loss(A, B)
            M[idx] = old - h
            fm = loss(A, B)
            M[idx] = old - 0.1 * (fp - fm) / (2 * h)
    diff = max(np.abs(A - step[0]).max(), np.abs(B - step[1]).max())
    largest = max(np.abs(step[0] - W1).max(), np.abs(step[1] - W2).max())
    return diff / largest


CLAIMS = [
    Claim(
        "01", "$z$ goes from $6$ to $-3$", lambda: neuron_run(0.05, 2)[3], [6.0, -3.0], atol=1e-12
    ),
    Claim(
        "01",
        "(-3.6, 0.2, 0.2)$, $b = 1 - 0.6 = 0.4$",
        lambda: [*neuron_run(0.05, 200)[0], neuron_run(0.05, 200)[1]],
        [-3.6, 0.2, 0.2, 0.4],
        atol=1e-12,
    ),
    Claim(
        "01",
        "The losses read $36, 0, 0, \\dots$",
        lambda: neuron_run(0.05, 4)[2],
        [36.0, 0.0, 0.0, 0.0],
        atol=1e-12,
    ),
    Claim(
        "01",
        "`[-3.3990955, -0.20180899, 0.80271349]`",
        lambda: neuron_run(0.001, 200)[0],
        [-3.3990955, -0.20180899, 0.80271349],
        atol=5e-8,
    ),
    Claim(
        "01", "| final $b$ | `0.6009045` |", lambda: neuron_run(0.001, 200)[1], 0.6009045, atol=5e-8
    ),
    Claim(
        "01",
        "shrinks by the factor $0.97$",
        lambda: 1 - 2 * 0.001 * (X01 @ X01 + 1),
        0.97,
        atol=1e-12,
    ),
    Claim(
        "01",
        "$1/(2 \\cdot 15) \\approx 0.033$",
        lambda: 1 / (2 * (X01 @ X01 + 1)),
        0.033,
        atol=5e-4,
    ),
    Claim("02", "cross zero at iterations 4 and 13", lambda: layer_run(0.0)[1][:2], [4, 13]),
    Claim(
        "02",
        "$z_2 \\to 2.95$, $z_3 \\to 7.05$",
        lambda: layer_run(10.0)[0][1:],
        [2.95, 7.05],
        atol=5e-3,
    ),
    Claim("02", "neuron 1 off from iteration 9", lambda: layer_run(10.0)[1], [9, None, None]),
    Claim(
        "02",
        "$(1 - 2\\eta\\cdot 31)^2 = 0.938^2 \\approx 0.88$",
        lambda: (1 - 2 * 0.001 * (X02 @ X02 + 1)) ** 2,
        0.88,
        atol=5e-3,
    ),
    Claim(
        "03",
        "for $z > 709$ it is $\\infty/\\infty$ = `nan`",
        lambda: [
            float(np.isfinite(np.exp(709.0))),
            float(np.isinf(np.exp(710.0))),
            float(np.isnan(_naive_sigmoid(800.0))),
            float(_naive_sigmoid(709.0)),
        ],
        [1.0, 1.0, 1.0, 1.0],
        atol=1e-15,
    ),
    Claim(
        "03",
        "(0.2567 against 0.2580)",
        lambda: [net03_loss_after(50, True), net03_loss_after(50, False)],
        [0.2567, 0.2580],
        atol=5e-5,
    ),
    Claim(
        "03",
        "wrong by 10-23 % per column",
        lambda: 1 - sigmoid(W1_03.T @ X03).ravel(),
        [0.10, 0.23, 0.16],
        atol=0.02,
    ),
    Claim(
        "04",
        "unit 1 off from step 18, 183 and 1833",
        lambda: [death_step(0.1), death_step(0.01), death_step(0.001)],
        [18, 183, 1833],
    ),
    Claim(
        "04",
        "up to **1.6 %** (the seed's actual error is 0.84 %)",
        lambda: [6e-8 * np.exp(12.5), float32_error_of_bce()],
        [0.016, 0.0084],
        atol=5e-4,
    ),
    Claim(
        "04",
        "$L = 3.7266462281\\times 10^{-6}$",
        lambda: np.logaddexp(0.0, -12.5),
        3.7266462281e-6,
        rtol=1e-10,
    ),
    Claim(
        "05",
        "$1.2167 \\to 0.8417 \\to 0.5498 \\to 0.7845$",
        lambda: seed_staircase(0.01)[0],
        [1.2167, 0.8417, 0.5498, 0.7845],
        atol=1e-12,
    ),
    Claim(
        "05",
        "(by step 65 at the seed's $\\eta = 0.01$, by step 7 at $\\eta = 0.1$)",
        lambda: [seed_staircase(0.01)[1], seed_staircase(0.1)[1]],
        [65, 7],
    ),
    Claim(
        "05",
        "SEED_LOSS_STEPS = {0: 1.2166626554, 3: 0.8416978554, 4: 0.5497881854, 7: 0.7844847454}",
        lambda: [net05_losses(0.1, relu_prime)[s][0] for s in (0, 3, 4, 7)],
        [1.2166626554, 0.8416978554, 0.5497881854, 0.7844847454],
        atol=1e-9,
    ),
    Claim(
        "05",
        "(a factor 0.78 per step), then by about 0.94 per step, and more slowly towards the "
        "end (0.957)",
        lambda: [correct_ratio(1), correct_ratio(100), correct_ratio(297)],
        [0.78, 0.94, 0.957],
        atol=6e-3,
    ),
    Claim("06", "$2\\cdot 31 = 62$ forward passes", lambda: 2 * ((1 + 1) * 10 + (10 + 1) * 1), 62),
    Claim("06", "of the same order as the step itself", sweep_share, 0.62, atol=0.01),
    Claim(
        "06",
        "seed 8, this lesson's, happens to be the best of the twenty",
        lambda: int(np.argmin(spread())),
        8,
    ),
    Claim(
        "06",
        "two draws (seeds 3 and 16) never leave the initial plateau",
        lambda: [s for s, v in enumerate(spread()) if v > 400],
        [3, 16],
    ),
    Claim("06", "with a median around 40", lambda: float(np.median(spread())), 40.0, atol=10.0),
    Claim(
        "06",
        "close to the 477 of predicting 0 everywhere",
        lambda: float(np.sum(np.sin(np.linspace(-10, 10, 1000)) ** 2)),
        477.0,
        atol=0.5,
    ),
    # The draws still improving at step 60 000 amplify rounding: this batched computation (another
    # summation order than the lesson's) moves some by a third, as the lesson says; hence a factor
    # 1.6 per draw. The robust claims (best draw, stuck draws) are checked exactly above.
    Claim(
        "06",
        "SPREAD_SSE = [69.2, 32.0, 14.3, 466.4, 123.0, 50.1, 16.3, 23.0, 4.1, 108.1, "
        "99.7, 8.6, 63.0, 18.1, 69.2, 9.9, 471.0, 24.2, 7.6, 190.4]",
        spread,
        [
            69.2,
            32.0,
            14.3,
            466.4,
            123.0,
            50.1,
            16.3,
            23.0,
            4.1,
            108.1,
            99.7,
            8.6,
            63.0,
            18.1,
            69.2,
            9.9,
            471.0,
            24.2,
            7.6,
            190.4,
        ],
        rtol=0.6,
    ),
    Claim(
        "06",
        "scale 0.01 gives a test SSE of about 466 (still on the plateau), scale 0.5 about 9",
        lambda: [sine_fits([3], 30_000)[0], sine_fits([3], 30_000, scale=0.5)[0]],
        [466.0, 9.0],
        rtol=0.05,
    ),
    Claim(
        "06",
        "a test SSE of about 70 against 11",
        lambda: [sine_fits([8], 30_000, scale=0.5)[0], sine_fits([8], 30_000)[0]],
        [70.0, 11.0],
        rtol=0.1,
    ),
]


# --- lesson 07: the 10-layer stack of the vanishing-gradient plot ------------------------------
@functools.cache
def stack_norms(activation, scheme):
    """||dL/dW_l|| (l = 1..10) and the RMS of each hidden H_l, by torch.autograd in float64, with
    the lesson's data (default_rng(1)) and weights (default_rng(2), W1 first)."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(200, 100)), rng.integers(0, 3, size=200)
    sizes = [100] * 10 + [3]
    rng_w = np.random.default_rng(2)
    Ws = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        scale = 0.01 if scheme == "small" else np.sqrt(2 / fan_in)
        Ws.append(
            torch.tensor(scale * rng_w.standard_normal((fan_in, fan_out)), requires_grad=True)
        )
    H, rms = torch.tensor(X), []
    for l, W in enumerate(Ws):
        Z = H @ W  # the biases start at zero
        if l == len(Ws) - 1:
            H = Z
        else:
            H = torch.sigmoid(Z) if activation == "sigmoid" else torch.relu(Z)
            rms.append(H.pow(2).mean().sqrt().item())
    torch.nn.functional.cross_entropy(H, torch.tensor(y)).backward()
    return np.array([W.grad.norm().item() for W in Ws]), np.array(rms)


def per_layer(norms):
    return (norms[0] / norms[-1]) ** (1 / 9)


CLAIMS += [
    # An order-of-magnitude estimate: checked as such, on a log scale (a factor of about 3).
    Claim(
        "07",
        r"nine layers about $0.025^9 \approx 4\times10^{-15}$",
        lambda: [
            np.log10(0.025**9),
            np.log10(
                stack_norms("sigmoid", "small")[0][0] / stack_norms("sigmoid", "small")[0][-1]
            ),
        ],
        [np.log10(4e-15)] * 2,
        atol=0.5,
    ),
    Claim(
        "07",
        "(the plot: a factor of about 40 between neighbouring layers)",
        lambda: 1 / per_layer(stack_norms("sigmoid", "small")[0]),
        40.0,
        atol=5.0,
    ),
    Claim(
        "07",
        r"$\sqrt{2/100}\cdot\sqrt{100}\cdot\tfrac14 \approx 0.35$ per layer (the plot shows about $0.27$",
        lambda: [np.sqrt(2 / 100) * np.sqrt(100) / 4, per_layer(stack_norms("sigmoid", "he")[0])],
        [0.35, 0.27],
        atol=0.01,
    ),
    # "About equal": within a factor 2 of each other; "about 1e-11": within a factor 3.
    Claim(
        "07",
        r"the norms are about equal across layers, but all tiny (about $10^{-11}$)",
        lambda: [
            np.log10(stack_norms("relu", "small")[0].max() / stack_norms("relu", "small")[0].min()),
            *np.log10(stack_norms("relu", "small")[0]),
        ],
        [np.log10(2) / 2] + [-11.0] * 10,
        atol=0.5,
    ),
    Claim(
        "07",
        "the forward signal and the backward gradient both shrink by about $0.07$ per layer",
        lambda: [
            float(np.exp(np.mean(np.diff(np.log(stack_norms("relu", "small")[1]))))),
            0.01 * np.sqrt(100) / np.sqrt(2),
        ],
        [0.07, 0.07],
        atol=0.01,
    ),
    # "Of order 1": every layer's norm between 0.1 and 10 (log10 within 1 of 0).
    Claim(
        "07",
        "ReLU with He initialisation keeps every layer's gradient of order 1",
        lambda: np.log10(stack_norms("relu", "he")[0]),
        [0.0] * 10,
        atol=1.0,
    ),
    Claim(
        "07",
        r"a $2\to50\to50\to3$ network (2853 parameters)",
        lambda: 2 * 50 + 50 + 50 * 50 + 50 + 50 * 3 + 3,
        2853,
    ),
    Claim(
        "07",
        r"the largest float is about $1.8\times10^{308} \approx e^{709.8}$",
        lambda: [np.finfo(np.float64).max / 1e308, np.log(np.finfo(np.float64).max)],
        [1.8, 709.8],
        atol=0.05,
    ),
    Claim(
        "07",
        r"$(32-1)/(32+1) \approx 0.94$",
        lambda: (lambda num, ana: abs(num - ana) / (abs(num) + abs(ana)))(0.3, 32 * 0.3),
        0.94,
        atol=0.005,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.lesson}: {c.text[:50]}")
def test_claim(claim):
    text = re.sub(r"\s+", " ", claim.text)
    assert text in _lesson_text(claim.lesson), f"lesson {claim.lesson} no longer says: {claim.text}"
    got = claim.value()
    if claim.rtol or claim.atol:
        np.testing.assert_allclose(
            np.asarray(got, float),
            np.asarray(claim.expected, float),
            rtol=claim.rtol,
            atol=claim.atol,
        )
    else:
        assert got == claim.expected
