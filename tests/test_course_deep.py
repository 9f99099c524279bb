"""The capstone's reference code (lesson 07) against independent oracles: torch.autograd in
float64, central differences written here (not course.gradcheck), torch.nn + torch.optim, and
closed-form facts (log C, Xavier/He variances, symmetry of a zero start, norms of spiral points).

Cases: 20 random seeds per function; a batch of 1 on every fifth seed; MLPs of depth 1 to 6
with relu, sigmoid and tanh, with and without residual (fan-out) connections; ReLU
pre-activations kept at least MARGIN away from the kink for the central differences.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course
import course.sgd
from autograder.tolerance import data_diff
from tests.oracles import err, num_grad

SEEDS = range(20)
DEPTHS = range(1, 7)
ACTS = ["relu", "sigmoid", "tanh"]
H = 1e-5
MARGIN = 0.01  # |pre-activation| at a ReLU stays above this, far above what h moves it by
TORCH_TOL = 1e-12  # numpy vs torch, both float64: only the summation order differs
CD_TOL = 1e-7  # analytic vs central differences (cs231n: < 1e-7 is good)
TORCH_ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def num_grad_params(f, P, name):
    """Central differences of f(params) with respect to params[name] (others fixed)."""
    return num_grad(lambda v: f({**P, name: v}), P[name])


def tt(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def torch_mlp(X, P, act, residual=False):
    """Oracle forward, written from the math: returns (scores tensor, {name: leaf tensor})."""
    T = {k: tt(v, grad=True) for k, v in P.items()}
    Hh = tt(X)
    L = len(P) // 2
    for l in range(1, L + 1):
        Z = Hh @ T[f"W{l}"] + T[f"b{l}"]
        if l == L:
            return Z, T
        Hn = TORCH_ACT[act](Z)
        Hh = Hn + Hh if residual and Hn.shape == Hh.shape else Hn


def pre_activations(X, P, act, residual=False):
    """All hidden pre-activations Z_1..Z_{L-1} (numpy, written here), for the kink margin."""
    f = {"relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    f["tanh"] = np.tanh
    Zs, Hh, L = [], X, len(P) // 2
    for l in range(1, L):
        Z = Hh @ P[f"W{l}"] + P[f"b{l}"]
        Zs.append(Z.ravel())
        Hn = f[act](Z)
        Hh = Hn + Hh if residual and Hn.shape == Hh.shape else Hn
    return np.concatenate(Zs) if Zs else np.array([np.inf])


def draw_mlp(seed, depth, act, residual=False):
    """X (n, d), upstream gradient dS (n, C), params of `depth` layers, ReLU kinks avoided."""
    rng = np.random.default_rng(10_000 * depth + seed)
    n = 1 if seed % 5 == 0 else int(rng.integers(2, 6))
    C = int(rng.integers(2, 5))
    if residual:  # equal hidden widths, so every hidden layer but maybe the first has a skip
        m = int(rng.integers(2, 5))
        sizes = [m if seed % 2 else int(rng.integers(1, 5))] + [m] * (depth - 1) + [C]
    else:
        sizes = [int(rng.integers(1, 5))] + [int(rng.integers(1, 6)) for _ in range(depth - 1)]
        sizes += [C]
    for _ in range(1000):
        X = rng.standard_normal((n, sizes[0]))
        P = {}
        for l in range(1, depth + 1):
            P[f"W{l}"] = 1.5 * rng.standard_normal((sizes[l - 1], sizes[l])) / np.sqrt(sizes[l - 1])
            P[f"b{l}"] = 0.5 * rng.standard_normal(sizes[l])
        if act != "relu" or np.min(np.abs(pre_activations(X, P, act, residual))) > MARGIN:
            return X, rng.standard_normal((n, C)), P, sizes
    raise AssertionError("could not draw a case away from the ReLU kink")


# --- affine and activation layers ----------------------------------------------------------


def layer_shapes(seed):
    rng = np.random.default_rng(500 + seed)
    n = 1 if seed % 5 == 0 else int(rng.integers(2, 6))
    d = int(rng.integers(1, 5))
    return n, d, d + int(rng.integers(1, 3))  # never square


@pytest.mark.parametrize("seed", SEEDS)
def test_affine_forward_backward(seed):
    rng = np.random.default_rng(seed)
    n, d, m = layer_shapes(seed)
    X, W, b, dZ = (rng.standard_normal(s) for s in [(n, d), (d, m), (m,), (n, m)])
    Z, cache = course.affine_forward(X, W, b)
    dX, dW, db = course.affine_backward(dZ, cache)
    Xt, Wt, bt = tt(X, True), tt(W, True), tt(b, True)
    Zt = Xt @ Wt + bt
    Zt.backward(tt(dZ))
    assert Z.shape == (n, m) and dX.shape == X.shape and dW.shape == W.shape and db.shape == b.shape
    assert err(Z, Zt.detach().numpy()) < TORCH_TOL
    for g, t in [(dX, Xt), (dW, Wt), (db, bt)]:
        assert err(g, t.grad.numpy()) < TORCH_TOL
    assert err(dX, num_grad(lambda v: np.sum((v @ W + b) * dZ), X)) < CD_TOL
    assert err(dW, num_grad(lambda v: np.sum((X @ v + b) * dZ), W)) < CD_TOL
    assert err(db, num_grad(lambda v: np.sum((X @ W + v) * dZ), b)) < CD_TOL


def test_affine_bad_shapes_give_clear_messages():
    X, W = np.zeros((2, 3)), np.zeros((3, 4))
    with pytest.raises(ValueError, match="do not chain"):
        course.affine_forward(X, np.zeros((2, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b \(4, 1\)"):  # a column bias would broadcast
        course.affine_forward(X, W, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="expects X"):
        course.affine_forward(np.zeros(3), W, np.zeros(4))
    _, cache = course.affine_forward(X, W, np.zeros(4))
    with pytest.raises(ValueError, match=r"dZ has shape \(4, 2\)"):
        course.affine_backward(np.zeros((4, 2)), cache)


@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_activation_layers(seed, name):
    rng = np.random.default_rng(seed)
    n, d, _ = layer_shapes(seed)
    Z = 3 * rng.standard_normal((n, d))
    Z = np.where(Z >= 0, Z + 0.05, Z - 0.05)  # away from the ReLU kink
    dH = rng.standard_normal((n, d))
    dH_before = dH.copy()
    forward, backward = course.ACTIVATION_LAYERS[name]
    Hh, cache = forward(Z)
    dZ = backward(dH, cache)
    Zt = tt(Z, True)
    Ht = TORCH_ACT[name](Zt)
    Ht.backward(tt(dH))
    assert err(Hh, Ht.detach().numpy()) < TORCH_TOL
    assert err(dZ, Zt.grad.numpy()) < TORCH_TOL
    assert err(dZ, num_grad(lambda v: np.sum(forward(v)[0] * dH), Z)) < CD_TOL
    assert np.array_equal(dH, dH_before)  # the upstream gradient is not masked in place


def test_relu_backward_is_zero_at_zero():
    """ReLU'(0) = 0, as torch.autograd has it (a student's `Z >= 0` gives 1)."""
    Z = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.0]])
    dZ = course.relu_backward(np.ones_like(Z), course.relu_forward(Z)[1])
    Zt = tt(Z, True)
    torch.relu(Zt).sum().backward()
    assert dZ.tolist() == Zt.grad.tolist() == [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]


def test_sigmoid_layer_is_stable_for_large_inputs():
    Z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        Hh, cache = course.sigmoid_forward(Z)
        dZ = course.sigmoid_backward(np.ones_like(Z), cache)
    Zt = tt(Z, True)
    torch.sigmoid(Zt).sum().backward()
    np.testing.assert_allclose(Hh, torch.sigmoid(tt(Z)).numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(dZ, Zt.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_activation_layer_shape_errors():
    for name, (forward, backward) in course.ACTIVATION_LAYERS.items():
        _, cache = forward(np.zeros((2, 3)))
        with pytest.raises(ValueError, match=rf"{name}_backward: upstream gradient \(3, 2\)"):
            backward(np.zeros((3, 2)), cache)


# --- softmax cross-entropy -----------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_cross_entropy(seed):
    rng = np.random.default_rng(seed)
    n = 1 if seed % 5 == 0 else int(rng.integers(2, 8))
    C = int(rng.integers(2, 6))
    S = 3 * rng.standard_normal((n, C))
    y = rng.integers(0, C, n)
    loss, dS = course.softmax_cross_entropy(S, y)
    St = tt(S, True)
    Lt = F.cross_entropy(St, torch.tensor(y))  # mean over the batch
    Lt.backward()
    assert isinstance(loss, float) and dS.shape == S.shape
    assert err(loss, Lt.item()) < TORCH_TOL
    assert err(dS, St.grad.numpy()) < TORCH_TOL
    assert err(dS, num_grad(lambda v: course.softmax_cross_entropy(v, y)[0], S)) < CD_TOL
    onehot = np.eye(C)[y]
    assert err(dS, (course.softmax(S) - onehot) / n) < TORCH_TOL  # dL/dz = (p - onehot) / n
    np.testing.assert_allclose(course.softmax(S).sum(axis=1), 1.0, rtol=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_softmax_cross_entropy_logits_of_1000(seed):
    """exp(1000) is inf in float64: without the max shift the loss is nan. With it the loss and
    gradient are finite and equal torch's (its cross_entropy is the stable log-sum-exp)."""
    rng = np.random.default_rng(seed)
    S = rng.choice([-1000.0, 0.0, 1000.0], (6, 4)) + rng.standard_normal((6, 4))
    S[0] = [1000.0, -1000.0, 1000.0, -1000.0]
    y = rng.integers(0, 4, 6)
    y[0] = 1  # a label at -1000: loss about 2000
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        loss, dS = course.softmax_cross_entropy(S, y)
    St = tt(S, True)
    Lt = F.cross_entropy(St, torch.tensor(y))
    Lt.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(dS))
    assert err(loss, Lt.item()) < TORCH_TOL
    assert err(dS, St.grad.numpy()) < TORCH_TOL
    # shifting every logit of a row by the same amount changes nothing
    shifted, dshifted = course.softmax_cross_entropy(S - 1000.0, y)
    assert err(shifted, loss) < TORCH_TOL and err(dshifted, dS) < TORCH_TOL


def test_zero_initialised_classifier_starts_at_log_C():
    """All scores 0: p = 1/C for every class, so the mean loss is log C (closed form)."""
    X, y = course.spiral(20, 3, rng=0)
    for sizes in ([2, 3], [2, 8, 3], [2, 8, 8, 5]):
        params = course.init_params(sizes, "zero", rng=0)
        loss, _ = course.softmax_cross_entropy(course.mlp_forward(X, params)[0], y)
        assert abs(loss - np.log(sizes[-1])) <= 1e-15 * np.log(sizes[-1])
    # small weights: close to log C (the lesson's sanity check), not equal
    params = course.init_params([2, 50, 3], "small", rng=0)
    loss, _ = course.softmax_cross_entropy(course.mlp_forward(X, params)[0], y)
    assert 0 < abs(loss - np.log(3)) < 1e-3


def test_softmax_cross_entropy_bad_labels():
    S = np.zeros((3, 4))
    with pytest.raises(ValueError, match="one-hot"):
        course.softmax_cross_entropy(S, np.eye(4)[[0, 1, 2]])
    with pytest.raises(ValueError, match="integer class indices; got dtype float64"):
        course.softmax_cross_entropy(S, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\[0, 4\); got min 0, max 4"):
        course.softmax_cross_entropy(S, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        course.softmax_cross_entropy(S, np.array([0, 1]))
    with pytest.raises(ValueError, match="2-D array"):
        course.softmax_cross_entropy(np.zeros(4), np.array([0]))


# --- the L-layer network -------------------------------------------------------------------


def check_mlp(seed, depth, act, residual):
    X, dS, P, sizes = draw_mlp(seed, depth, act, residual)
    scores, caches = course.mlp_forward(X, P, act, residual=residual)
    grads = course.mlp_backward(dS, caches)
    St, T = torch_mlp(X, P, act, residual)
    St.backward(tt(dS))
    where = f"seed {seed}, sizes {sizes}, {act}, residual={residual}"
    assert isinstance(caches, list) and len(caches) == depth, where
    assert list(grads) == [f"{p}{l}" for l in range(1, depth + 1) for p in ("dW", "db")], where
    assert err(scores, St.detach().numpy()) < TORCH_TOL, where
    for k in P:
        assert err(grads["d" + k], T[k].grad.numpy()) < TORCH_TOL, f"d{k}: {where}"

    def f(params):
        return np.sum(course.mlp_forward(X, params, act, residual=residual)[0] * dS)

    # One denominator for the whole network: the round-off of a difference quotient is about
    # eps |f| / h whatever the layer, so a deep sigmoid layer's tiny gradient (1e-5) is checked
    # against the network's scale, not its own.
    analytic = np.concatenate([grads["d" + k].ravel() for k in P])
    numeric = np.concatenate([num_grad_params(f, P, k).ravel() for k in P])
    assert err(analytic, numeric) < CD_TOL, f"central differences: {where}"


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_mlp_matches_torch_and_central_differences(depth, act):
    for seed in SEEDS:
        check_mlp(seed, depth, act, residual=False)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("depth", [2, 3, 4, 6])
def test_mlp_fan_out_matches_torch(depth, act):
    """Residual layers: H_{l-1} feeds the affine layer and the skip; its gradient is the sum."""
    for seed in SEEDS:
        check_mlp(seed, depth, act, residual=True)


def test_mlp_keeps_every_layer_input():
    """Each cache holds its own layer's input (one variable reused would hold the last)."""
    X, _, P, _ = draw_mlp(1, 4, "tanh")
    _, caches = course.mlp_forward(X, P, "tanh")
    Hh = X
    for l, (affine_cache, _, _) in enumerate(caches, start=1):
        np.testing.assert_allclose(affine_cache[0], Hh, rtol=1e-14)
        Hh = np.tanh(Hh @ P[f"W{l}"] + P[f"b{l}"])


def test_mlp_bad_params_give_clear_messages():
    X = np.zeros((2, 3))
    P = course.init_params([3, 4, 2], "small", rng=0)
    with pytest.raises(ValueError, match="W1, b1, ..., WL, bL"):
        course.mlp_forward(X, {k: v for k, v in P.items() if k != "b2"})
    with pytest.raises(ValueError, match="W1, b1, ..., WL, bL"):
        course.mlp_forward(X, {"W1": P["W1"], "b1": P["b1"], "W3": P["W2"], "b3": P["b2"]})
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        course.mlp_forward(X, P, "softplus")
    with pytest.raises(ValueError, match="do not chain"):
        course.mlp_forward(np.zeros((2, 5)), P)


# --- initialisation ------------------------------------------------------------------------


def test_init_params_shapes_and_biases():
    for scheme in course.SCHEMES:
        P = course.init_params([5, 7, 3, 2], scheme, rng=0)
        assert list(P) == ["W1", "b1", "W2", "b2", "W3", "b3"]
        assert [P[k].shape for k in P] == [(5, 7), (7,), (7, 3), (3,), (3, 2), (2,)]
        assert all(P[k].dtype == np.float64 for k in P)
        assert all(not P[f"b{l}"].any() for l in (1, 2, 3))
    assert not any(v.any() for v in course.init_params([5, 7, 2], "zero", rng=0).values())


@pytest.mark.parametrize(
    "scheme, variance",
    [
        ("small", lambda i, o: 1e-4),
        ("xavier", lambda i, o: 2 / (i + o)),
        ("he", lambda i, o: 2 / i),
    ],
)
def test_init_variances(scheme, variance):
    """Sample variance over 150 000 draws per layer: its relative standard error is
    sqrt(2 / N) = 0.37 %, so 3 % is 8 standard errors; a swapped factor (2/fan_out, 1/fan_in,
    2/(i+o) for He) is off by 20 % or more. Layers are not square, so fan_in != fan_out."""
    sizes = [500, 300, 600]
    P = course.init_params(sizes, scheme, rng=1)
    for l in (1, 2):
        W = P[f"W{l}"]
        want = variance(sizes[l - 1], sizes[l])
        assert abs(W.var() / want - 1) < 0.03, (l, W.var(), want)
        assert abs(W.mean()) < 5 * np.sqrt(want / W.size)


def test_weight_std_closed_forms():
    assert course.weight_std("zero", 3, 4) == 0.0
    assert course.weight_std("small", 3, 4) == 0.01
    assert course.weight_std("xavier", 3, 5) == pytest.approx(0.5, rel=1e-15)  # sqrt(2/8)
    assert course.weight_std("he", 8, 5) == pytest.approx(0.5, rel=1e-15)  # sqrt(2/8)


def test_init_is_reproducible_and_takes_a_generator():
    a = course.init_params([4, 6, 3], "he", rng=7)
    b = course.init_params([4, 6, 3], "he", rng=np.random.default_rng(7))
    c = course.init_params([4, 6, 3], "he", rng=8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])


def test_init_bad_input():
    with pytest.raises(ValueError, match="unknown init scheme 'glorot'"):
        course.init_params([2, 3], "glorot", rng=0)
    for sizes in ([3], [3, 0], [3, 2.5], "23", 5):
        with pytest.raises(ValueError, match="sizes must"):
            course.init_params(sizes, "he", rng=0)


@pytest.mark.parametrize("act", ACTS)
def test_zero_init_keeps_units_equal(act):
    """Symmetry: with W = 0 every unit of a hidden layer computes the same value and receives
    the same gradient, so after any number of steps they are still equal. Control: a small
    random start breaks it."""
    X, y = course.spiral(30, 3, rng=0)
    X, y = X[:75], y[:75]  # classes 30/30/15: balanced classes would give W3 a zero gradient
    for scheme, equal in (("zero", True), ("small", False)):
        P = course.init_params([2, 6, 5, 3], scheme, rng=0)
        for _ in range(20):
            scores, caches = course.mlp_forward(X, P, act)
            _, dS = course.softmax_cross_entropy(scores, y)
            P = course.gd_step(P, course.mlp_backward(dS, caches), 0.5)
        spread = [
            np.ptp(P["W1"], axis=1).max(),  # the columns of W1 (one per unit) are equal
            np.ptp(P["b1"]),
            np.ptp(P["W2"]).max(),  # W2: equal units in, equal units out
            np.ptp(P["b2"]),
            np.ptp(P["W3"], axis=0).max(),  # each output sees the same weight from every unit
        ]
        assert (max(spread) <= 1e-12) == equal, (scheme, spread)
        if act == "sigmoid" and scheme == "zero":  # the units did move, all alike
            assert np.abs(P["W3"]).max() > 1e-3


# --- minibatch SGD -------------------------------------------------------------------------


def test_minibatches_cover_every_example_once():
    for n, bs in [(10, 3), (12, 4), (7, 7), (5, 10), (1, 1)]:
        batches = course.minibatches(n, bs, np.random.default_rng(3))
        assert [len(b) for b in batches] == [bs] * (n // bs) + ([n % bs] if n % bs else [])
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))
        assert np.array_equal(np.concatenate(batches), np.random.default_rng(3).permutation(n))
    a = np.concatenate(course.minibatches(50, 8, np.random.default_rng(0)))
    b = np.concatenate(course.minibatches(50, 8, np.random.default_rng(1)))
    assert not np.array_equal(a, b) and not np.array_equal(a, np.arange(50))


def torch_sgd_epoch(P, X, y, lr, batches, act):
    """Oracle: nn.Sequential of nn.Linear (weight = W.T) in float64, torch.optim.SGD, the mean
    cross-entropy of each batch, in the given order."""
    L = len(P) // 2
    mods = []
    for l in range(1, L + 1):
        lin = nn.Linear(*P[f"W{l}"].shape).to(torch.float64)
        with torch.no_grad():
            lin.weight.copy_(tt(P[f"W{l}"].T))
            lin.bias.copy_(tt(P[f"b{l}"]))
        mods += [lin] + ([{"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[act]()]
                         if l < L else [])  # fmt: skip
    model = nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for rows in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(tt(X[rows])), torch.tensor(y[rows]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out = {}
    for l, lin in enumerate(m for m in model if isinstance(m, nn.Linear)):
        out[f"W{l + 1}"] = lin.weight.detach().numpy().T.copy()
        out[f"b{l + 1}"] = lin.bias.detach().numpy().copy()
    return out, losses


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("seed", range(5))
def test_sgd_epoch_matches_torch_optim(seed, act):
    """The order is rng.permutation(n), cut into batches (the last one smaller)."""
    X, y = course.spiral(15, 3, rng=seed)  # n = 45, batch 8: 5 batches of 8 and one of 5
    P = course.init_params([2, 10, 6, 3], "xavier", rng=seed)
    P_before = {k: v.copy() for k, v in P.items()}
    new, losses = course.sgd_epoch(P, X, y, 0.3, 8, np.random.default_rng(seed), act)
    order = np.random.default_rng(seed).permutation(len(X))
    batches = [order[i : i + 8] for i in range(0, len(X), 8)]
    want, want_losses = torch_sgd_epoch(P, X, y, 0.3, batches, act)
    assert data_diff(new, want) == []
    assert data_diff(losses, want_losses) == []
    assert all(np.array_equal(P[k], P_before[k]) for k in P)  # the caller's params untouched


def test_sgd_epoch_uses_each_example_once(monkeypatch):
    """A spy on the forward pass sees every row of X exactly once per epoch, in batches."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((33, 2)), rng.integers(0, 3, 33)  # distinct rows
    P = course.init_params([2, 5, 3], "he", rng=0)
    seen, forward = [], course.sgd.mlp_forward

    def spy(Xb, *args, **kwargs):
        seen.append(np.array(Xb))
        return forward(Xb, *args, **kwargs)

    monkeypatch.setattr(course.sgd, "mlp_forward", spy)
    rng = np.random.default_rng(5)
    for _ in range(2):
        seen.clear()
        P, _ = course.sgd_epoch(P, X, y, 0.1, 4, rng)
        assert [len(b) for b in seen] == [4] * 8 + [1]
        rows = [int(np.flatnonzero((X == r).all(axis=1))[0]) for r in np.concatenate(seen)]
        assert sorted(rows) == list(range(33))
        assert rows != list(range(33))  # shuffled


def test_sgd_epoch_is_reproducible_and_shuffles():
    X, y = course.spiral(20, 3, rng=0)
    P = course.init_params([2, 8, 3], "he", rng=0)
    a, la = course.sgd_epoch(P, X, y, 0.5, 10, rng=3)
    b, lb = course.sgd_epoch(P, X, y, 0.5, 10, rng=np.random.default_rng(3))
    c, _ = course.sgd_epoch(P, X, y, 0.5, 10, rng=4)
    assert data_diff(a, b) == [] and data_diff(la, lb) == []
    assert data_diff(a, c) != []  # another seed, another order, other parameters
    # a Generator is advanced: two epochs in a row see two different orders
    rng = np.random.default_rng(3)
    first = np.concatenate(course.minibatches(60, 10, rng))
    second = np.concatenate(course.minibatches(60, 10, rng))
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("act", ACTS)
def test_sgd_epoch_with_the_whole_batch_is_gradient_descent(act):
    """batch_size = n: one step on the mean loss of all n examples (order irrelevant), as
    torch.optim.SGD on the unshuffled data."""
    X, y = course.spiral(10, 3, rng=1)
    P = course.init_params([2, 7, 3], "xavier", rng=2)
    new, losses = course.sgd_epoch(P, X, y, 0.7, len(X), rng=9, activation=act)
    want, want_losses = torch_sgd_epoch(P, X, y, 0.7, [np.arange(len(X))], act)
    assert len(losses) == 1
    assert data_diff(new, want) == [] and data_diff(losses, want_losses) == []


def test_sgd_epoch_bad_input():
    X, y = course.spiral(5, 3, rng=0)
    P = course.init_params([2, 4, 3], "he", rng=0)
    for bs in (0, 2.0, True, None):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            course.sgd_epoch(P, X, y, 0.1, bs, rng=0)
    with pytest.raises(ValueError, match=r"y \(14,\)"):
        course.sgd_epoch(P, X, y[:-1], 0.1, 4, rng=0)


# --- sampled gradient check ----------------------------------------------------------------


def big_net(seed=0):
    X, y = course.spiral(10, 3, rng=seed)
    P = course.init_params([2, 64, 48, 3], "xavier", rng=seed)
    P = {
        k: v + 0.1 * np.random.default_rng(seed + 1).standard_normal(v.shape) for k, v in P.items()
    }

    def f(params):
        return course.softmax_cross_entropy(course.mlp_forward(X, params, "tanh")[0], y)[0]

    scores, caches = course.mlp_forward(X, P, "tanh")
    grads = course.mlp_backward(course.softmax_cross_entropy(scores, y)[1], caches)
    return f, P, grads


def test_grad_check_sampled_on_a_big_network():
    """3 459 parameters; 10 coordinates of each array are checked (53 coordinates, 106 loss
    evaluations instead of 6 918). Correct gradients: < 1e-6 (measured 2.5e-8, and 1.2e-7 on a
    2-200-150-3 net: a coordinate whose gradient is tiny has a large relative round-off).
    Wrong ones: > 1e-2."""
    f, P, grads = big_net()
    before = {k: v.copy() for k, v in P.items()}
    calls = []
    assert course.grad_check_sampled(lambda p: calls.append(1) or f(p), P, grads, 10, 0) < 1e-6
    assert len(calls) == 2 * (10 + 10 + 10 + 10 + 10 + 3)  # b3 has 3 coordinates: all of them
    assert all(np.array_equal(P[k], before[k]) for k in P)
    for k, wrong in [
        ("dW2", 2 * grads["dW2"]),  # not divided by the batch size
        ("db1", grads["db1"] / 30),  # bias gradient averaged instead of summed
        ("dW1", -grads["dW1"]),  # sign
    ]:
        assert course.grad_check_sampled(f, P, {**grads, k: wrong}, 10, 0) > 1e-2, k


@pytest.mark.parametrize("seed", SEEDS)
def test_grad_check_sampled_matches_closed_form(seed):
    """f = sum(sin(W) C) + sum(b^2): gradients cos(W) C and 2b, exact (written here)."""
    rng = np.random.default_rng(seed)
    W, C, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), rng.standard_normal(3)

    def f(p):
        return np.sum(np.sin(p["W"]) * C) + np.sum(p["b"] ** 2)

    good = {"dW": np.cos(W) * C, "db": 2 * b}
    assert course.grad_check_sampled(f, {"W": W, "b": b}, good, 4, seed) < 1e-8
    bad = {"dW": good["dW"].copy(), "db": good["db"]}
    bad["dW"][1, 2] += 1.0  # one wrong coordinate: found when every coordinate is sampled
    assert course.grad_check_sampled(f, {"W": W, "b": b}, bad, 20, seed) > 1e-2


def test_grad_check_sampled_is_reproducible():
    f, P, grads = big_net(1)
    noisy = {k: v * (1 + 1e-4 * np.random.default_rng(2).standard_normal(v.shape))
             for k, v in grads.items()}  # fmt: skip
    a = course.grad_check_sampled(f, P, noisy, 5, 42)
    assert a == pytest.approx(course.grad_check_sampled(f, P, noisy, 5, np.random.default_rng(42)))
    assert a != pytest.approx(course.grad_check_sampled(f, P, noisy, 5, 43), rel=1e-3)


def test_grad_check_sampled_bad_input():
    P, g = {"W": np.zeros((2, 2))}, {"dW": np.zeros((2, 2))}
    with pytest.raises(ValueError, match=r"no gradient for \['W'\]"):
        course.grad_check_sampled(lambda p: 0.0, P, {"W": np.zeros((2, 2))}, 3, 0)
    with pytest.raises(ValueError, match=r"grads\['dW'\] has shape \(2,\)"):
        course.grad_check_sampled(lambda p: 0.0, P, {"dW": np.zeros(2)}, 3, 0)
    with pytest.raises(ValueError, match="n_samples must be a positive int"):
        course.grad_check_sampled(lambda p: 0.0, P, g, 0, 0)


# --- data, gradient norms, the final model -------------------------------------------------


def test_spiral():
    X, y = course.spiral(50, 3, noise=0.2, rng=0)
    assert X.shape == (150, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    # |(r sin t, r cos t)| = r whatever the noise on t: radii 0..1 in each class
    np.testing.assert_allclose(np.linalg.norm(X[y == 1], axis=1), np.linspace(0, 1, 50), atol=1e-15)
    X2, y2 = course.spiral(50, 3, noise=0.2, rng=np.random.default_rng(0))
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, course.spiral(50, 3, noise=0.2, rng=1)[0])
    with pytest.raises(ValueError, match="n_per_class must be a positive int"):
        course.spiral(0)


def test_layer_grad_norms_match_torch():
    X, dS, P, _ = draw_mlp(3, 5, "tanh")
    _, caches = course.mlp_forward(X, P, "tanh")
    norms = course.layer_grad_norms(course.mlp_backward(dS, caches))
    St, T = torch_mlp(X, P, "tanh")
    St.backward(tt(dS))
    want = [torch.linalg.norm(T[f"W{l}"].grad).item() for l in range(1, 6)]
    assert err(norms, want) < TORCH_TOL
    with pytest.raises(ValueError, match="dW1, ..., dWL"):
        course.layer_grad_norms({"dW2": np.zeros(2)})


def test_vanishing_gradients_in_a_deep_sigmoid_stack():
    """The lesson's demo, 10 hidden layers of 50 units, 64 points (measured: sigmoid with
    small weights ||dW1|| / ||dW11|| = 2.9e-18, growing layer by layer; ReLU with He: hidden
    layers 2..10 within a factor 1.3 of each other)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 2)), rng.integers(0, 3, 64)
    sizes = [2] + [50] * 10 + [3]

    def norms(act, scheme):
        scores, caches = course.mlp_forward(X, course.init_params(sizes, scheme, rng=0), act)
        return course.layer_grad_norms(
            course.mlp_backward(course.softmax_cross_entropy(scores, y)[1], caches)
        )

    sig = norms("sigmoid", "small")
    assert sig[0] / sig[-1] < 1e-12 and all(a < b for a, b in zip(sig, sig[1:], strict=False))
    he = norms("relu", "he")[1:-1]
    assert max(he) / min(he) < 3


def test_final_model_on_spirals():
    """A 2-100-3 ReLU MLP trained with these functions on 300 spiral points: measured 97.7 %
    train accuracy (a linear classifier: 54 %); stated bound 95 %."""
    X, y = course.spiral(100, 3, rng=0)
    P = course.init_params([2, 100, 3], "he", rng=0)
    P, history = course.train_mlp(P, X, y, lr=1.0, epochs=300, batch_size=32, rng=1, progress=False)
    assert history[-1] < history[0] / 10
    assert np.mean(course.mlp_predict(X, P) == y) >= 0.95
    linear, _ = course.train_mlp(
        course.init_params([2, 3], "xavier", rng=0), X, y, lr=1.0, epochs=200, batch_size=300,
        rng=1, progress=False,
    )  # fmt: skip
    assert np.mean(course.mlp_predict(X, linear) == y) < 0.65


@pytest.mark.parametrize("when", ["initial", "trained"])
def test_final_model_step_agrees_with_torch_nn(when):
    """Same initial weights in nn.Linear (weight = W.T), float64: one step's gradients agree
    within the project tolerance (rtol 1e-12, atol 1e-12), and so do the updated weights."""
    X, y = course.spiral(100, 3, rng=0)
    P = course.init_params([2, 100, 3], "he", rng=0)
    if when == "trained":
        P, _ = course.train_mlp(P, X, y, lr=1.0, epochs=20, batch_size=32, rng=1, progress=False)
    model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3)).to(torch.float64)
    with torch.no_grad():
        for lin, l in ((model[0], 1), (model[2], 2)):
            lin.weight.copy_(tt(P[f"W{l}"].T))
            lin.bias.copy_(tt(P[f"b{l}"]))
    loss_t = F.cross_entropy(model(tt(X)), torch.tensor(y))
    loss_t.backward()
    want = {
        "dW1": model[0].weight.grad.numpy().T, "db1": model[0].bias.grad.numpy(),
        "dW2": model[2].weight.grad.numpy().T, "db2": model[2].bias.grad.numpy(),
    }  # fmt: skip
    scores, caches = course.mlp_forward(X, P)
    loss, dS = course.softmax_cross_entropy(scores, y)
    grads = course.mlp_backward(dS, caches)
    assert data_diff(loss, loss_t.item()) == []
    assert data_diff(grads, want) == []
    new, _ = course.sgd_epoch(P, X, y, 0.5, len(X), rng=0)
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.5 * p.grad
    assert data_diff(new["W1"], model[0].weight.detach().numpy().T) == []
    assert data_diff(new["b2"], model[2].bias.detach().numpy()) == []
