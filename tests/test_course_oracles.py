"""The reference (course/) against two independent oracles, on random float64 cases:
torch.autograd in float64, and central differences written here (not course.gradcheck).

Cases: 20 seeds per function; batch of 1 on every fifth seed; layers never square (m != d);
ReLU pre-activations kept at least 0.05 away from the kink (h = 1e-5).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import course
from course import torch_nets
from tests.oracles import err, num_grad

SEEDS = range(20)
H = 1e-5
MARGIN = 0.05  # |pre-activation| at a ReLU is kept above this, far above h
TORCH_TOL = 1e-12  # numpy vs torch, both float64: only summation order differs
CD_TOL = 1e-7  # analytic vs central differences (cs231n: < 1e-7 is good)

TORCH_ACT = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "identity": lambda z: z,
}


def tt(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def shapes(seed):
    rng = np.random.default_rng(1000 + seed)
    n = 1 if seed % 5 == 0 else int(rng.integers(2, 6))
    d = int(rng.integers(1, 5))
    m = d + int(rng.integers(1, 3))  # never square
    p = int(rng.integers(1, 4))
    return n, d, m, p


def away_from_zero(Z, margin=MARGIN):
    return np.where(Z >= 0, Z + margin, Z - margin)


def draw_net(seed, hidden, output, augmented=False):
    """X, Y and parameters whose ReLU pre-activations are all > MARGIN away from 0."""
    rng = np.random.default_rng(seed)
    n, d, m, p = shapes(seed)
    for _ in range(1000):
        X = rng.standard_normal((n, d))
        Y = rng.standard_normal((n, p))
        if output == "sigmoid":
            Y = rng.uniform(0, 1, (n, p))
        if augmented:
            P = {"W1": rng.standard_normal((d + 1, m)), "W2": rng.standard_normal((m + 1, p))}
            Z1 = X @ P["W1"][1:] + P["W1"][0]
            Hh = TORCH_ACT[hidden](torch.tensor(Z1)).numpy()
            Z2 = Hh @ P["W2"][1:] + P["W2"][0]
        else:
            P = {
                "W1": rng.standard_normal((d, m)),
                "b1": rng.standard_normal(m),
                "W2": rng.standard_normal((m, p)),
                "b2": rng.standard_normal(p),
            }
            Z1 = X @ P["W1"] + P["b1"]
            Hh = TORCH_ACT[hidden](torch.tensor(Z1)).numpy()
            Z2 = Hh @ P["W2"] + P["b2"]
        ok1 = hidden != "relu" or np.min(np.abs(Z1)) > MARGIN
        ok2 = output != "relu" or np.min(np.abs(Z2)) > MARGIN
        if ok1 and ok2:
            return X, Y, P
    raise AssertionError("could not draw a case away from the ReLU kink")


# --- activations ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("seed", SEEDS)
def test_activation_and_derivative(seed, name):
    rng = np.random.default_rng(seed)
    Z = away_from_zero(3 * rng.standard_normal(shapes(seed)[:2]))
    f, df = course.ACTIVATIONS[name]
    Zt = tt(Z, grad=True)
    A_t = TORCH_ACT[name](Zt)
    A_t.sum().backward()
    A, dA = f(Z), df(Z)
    assert A.dtype == dA.dtype == np.float64
    assert err(A, A_t.detach().numpy()) < TORCH_TOL
    assert err(dA, Zt.grad.numpy()) < TORCH_TOL
    assert err(dA, num_grad(lambda z: np.sum(f(z)), Z)) < CD_TOL
    if name == "sigmoid":
        assert err(course.sigmoid_grad_from_output(A), Zt.grad.numpy()) < TORCH_TOL


def test_relu_derivative_is_zero_at_zero():
    """Documented convention (torch agrees); a central difference at 0 would give 0.5."""
    Z = np.array([-1.0, 0.0, 1.0])
    assert course.relu_grad(Z).tolist() == [0.0, 0.0, 1.0]
    Zt = tt(Z, grad=True)
    torch.relu(Zt).sum().backward()
    assert Zt.grad.tolist() == [0.0, 0.0, 1.0]


def test_sigmoid_is_stable_for_large_inputs():
    Z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        S = course.sigmoid(Z)
    expected = torch.sigmoid(tt(Z)).numpy()
    assert np.all(np.isfinite(S))
    np.testing.assert_allclose(S, expected, rtol=1e-15, atol=0)


def test_unknown_activation_message():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        course.activation_forward(np.zeros(2), "softplus")


# --- losses -----------------------------------------------------------------------------------

TORCH_LOSS = {
    "half_sse": lambda O, Y: 0.5 * ((O - Y) ** 2).sum(),
    "sse": lambda O, Y: ((O - Y) ** 2).sum(),
    "mse": lambda O, Y: F.mse_loss(O, Y),
    "half_mse": lambda O, Y: 0.5 * ((O - Y) ** 2).sum() / O.shape[0],
}


@pytest.mark.parametrize("name", sorted(TORCH_LOSS))
@pytest.mark.parametrize("seed", SEEDS)
def test_regression_losses(seed, name):
    rng = np.random.default_rng(seed)
    n, _, _, p = shapes(seed)
    Yhat, Y = rng.standard_normal((n, p)), rng.standard_normal((n, p))
    loss, dYhat = course.LOSSES[name](Yhat, Y)
    Ot = tt(Yhat, grad=True)
    Lt = TORCH_LOSS[name](Ot, tt(Y))
    Lt.backward()
    assert isinstance(loss, float)
    assert err(loss, Lt.item()) < TORCH_TOL
    assert err(dYhat, Ot.grad.numpy()) < TORCH_TOL
    assert err(dYhat, num_grad(lambda o: course.LOSSES[name](o, Y)[0], Yhat)) < CD_TOL


def test_loss_refuses_broadcasting_shapes():
    with pytest.raises(ValueError, match=r"\(3, 1\) != target shape \(3,\)"):
        course.half_sse(np.zeros((3, 1)), np.zeros(3))


@pytest.mark.parametrize("seed", SEEDS)
def test_bce_with_logits(seed):
    rng = np.random.default_rng(seed)
    n, _, _, p = shapes(seed)
    Z = 4 * rng.standard_normal((n, p))
    Y = rng.integers(0, 2, (n, p)).astype(float) if seed % 2 else rng.uniform(0, 1, (n, p))
    loss, dZ = course.bce_with_logits(Z, Y)
    Zt = tt(Z, grad=True)
    Lt = F.binary_cross_entropy_with_logits(Zt, tt(Y), reduction="sum")
    Lt.backward()
    assert err(loss, Lt.item()) < TORCH_TOL
    assert err(dZ, Zt.grad.numpy()) < TORCH_TOL
    assert err(dZ, num_grad(lambda z: course.bce_with_logits(z, Y)[0], Z)) < CD_TOL


def test_bce_keeps_digits_where_one_minus_yhat_cancels():
    """For Z = 40, Y = 1 the loss is log(1 + e^-40) ~ 4.25e-18 (log1p oracle); going through
    Yhat = sigmoid(40) == 1.0 in float64 gives exactly 0."""
    loss, dZ = course.bce_with_logits(np.array([40.0]), np.array([1.0]))
    assert loss == pytest.approx(np.log1p(np.exp(-40.0)), rel=1e-14)
    assert dZ[0] == pytest.approx(-np.exp(-40.0) / (1 + np.exp(-40.0)), rel=1e-14)
    assert course.seed001_cross_entropy(course.sigmoid(np.array([40.0])), np.array([1.0])) == 0


@pytest.mark.parametrize("Z", [800.0, -800.0, 60.0, -60.0, 710.0])
@pytest.mark.parametrize("Y", [0.0, 1.0, 0.3])
def test_bce_large_logits_stay_finite(Z, Y):
    """|Z| in the hundreds: e^Z overflows float64 (from Z ~ 709.8), so a log1p(exp(Z)) form
    gives inf. Oracle, written here: log(1 + e^Z) = max(Z, 0) + log1p(e^-|Z|) (never
    overflows); torch's BCE with logits in float64 agrees."""
    loss, dZ = course.bce_with_logits(np.array([Z]), np.array([Y]))

    def softplus(v):
        return max(v, 0.0) + np.log1p(np.exp(-abs(v)))

    want = Y * softplus(-Z) + (1 - Y) * softplus(Z)
    assert np.isfinite(loss) and np.all(np.isfinite(dZ))
    assert loss == pytest.approx(want, rel=1e-14)
    Zt = tt([Z], grad=True)
    Lt = F.binary_cross_entropy_with_logits(Zt, tt([Y]), reduction="sum")
    Lt.backward()
    assert loss == pytest.approx(Lt.item(), rel=1e-14)
    # dL/dZ = sigmoid(Z) - Y with sigmoid(v) = exp(-softplus(-v)) (torch's sigmoid(60) - 1
    # cancels to 0 in float64, so it is no oracle for the tiny gradients)
    want_dZ = (1 - Y) * np.exp(-softplus(-Z)) - Y * np.exp(-softplus(Z))
    assert dZ[0] == pytest.approx(want_dZ, rel=1e-12, abs=1e-300)


# --- layers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("seed", SEEDS)
def test_neuron(seed, activation):
    rng = np.random.default_rng(seed)
    d = shapes(seed)[1] + 1
    while True:
        x, w, b = rng.standard_normal(d), rng.standard_normal(d), float(rng.standard_normal())
        if abs(w @ x + b) > MARGIN:
            break
    da = float(rng.standard_normal())
    a, cache = course.neuron_forward(x, w, b, activation)
    dx, dw, db = course.neuron_backward(da, cache)
    xt, wt, bt = tt(x, True), tt(w, True), tt(b, True)
    at = TORCH_ACT[activation](wt @ xt + bt)
    (at * da).backward()
    assert err(a, at.item()) < TORCH_TOL
    for got, t in [(dx, xt), (dw, wt), (db, bt)]:
        assert err(got, t.grad.numpy()) < TORCH_TOL

    def f(x, w, b):
        return course.ACTIVATIONS[activation][0](w @ x + b) * da

    assert err(dx, num_grad(lambda v: f(v, w, b), x)) < CD_TOL
    assert err(dw, num_grad(lambda v: f(x, v, b), w)) < CD_TOL
    assert err(db, num_grad(lambda v: f(x, w, v), np.array(b))) < CD_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_dense_layer(seed):
    rng = np.random.default_rng(seed)
    n, d, m, _ = shapes(seed)
    X, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    dZ = rng.standard_normal((n, m))
    Z, cache = course.dense_forward(X, W, b)
    dX, dW, db = course.dense_backward(dZ, cache)
    Xt, Wt, bt = tt(X, True), tt(W, True), tt(b, True)
    Zt = Xt @ Wt + bt
    Zt.backward(tt(dZ))
    assert err(Z, Zt.detach().numpy()) < TORCH_TOL
    for got, t in [(dX, Xt), (dW, Wt), (db, bt)]:
        assert err(got, t.grad.numpy()) < TORCH_TOL
    assert err(dX, num_grad(lambda v: np.sum((v @ W + b) * dZ), X)) < CD_TOL
    assert err(dW, num_grad(lambda v: np.sum((X @ v + b) * dZ), W)) < CD_TOL
    assert err(db, num_grad(lambda v: np.sum((X @ W + v) * dZ), b)) < CD_TOL


def test_dense_forward_shape_message():
    with pytest.raises(ValueError, match=r"X \(2, 3\), W \(2, 4\)"):
        course.dense_forward(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros(4))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "identity"])
@pytest.mark.parametrize("seed", SEEDS)
def test_activation_layer(seed, name):
    rng = np.random.default_rng(seed)
    n, _, m, _ = shapes(seed)
    Z = away_from_zero(2 * rng.standard_normal((n, m)))
    dA = rng.standard_normal((n, m))
    _, cache = course.activation_forward(Z, name)
    dZ = course.activation_backward(dA, cache)
    Zt = tt(Z, True)
    TORCH_ACT[name](Zt).backward(tt(dA))
    assert err(dZ, Zt.grad.numpy()) < TORCH_TOL
    f = course.ACTIVATIONS[name][0]
    assert err(dZ, num_grad(lambda v: np.sum(f(v) * dA), Z)) < CD_TOL


# --- two-layer networks -----------------------------------------------------------------------

NETS = [("relu", "identity"), ("tanh", "identity"), ("sigmoid", "sigmoid"), ("relu", "relu")]


@pytest.mark.parametrize(("hidden", "output"), NETS)
@pytest.mark.parametrize("seed", SEEDS)
def test_two_layer(seed, hidden, output):
    X, Y, P = draw_net(seed, hidden, output)
    O, cache = course.two_layer_forward(X, P, hidden, output)
    loss, dO = course.half_sse(O, Y)
    grads = course.two_layer_backward(dO, cache)
    T = {k: tt(v, True) for k, v in P.items()}
    fh, fo = TORCH_ACT[hidden], TORCH_ACT[output]
    Ot = fo(fh(tt(X) @ T["W1"] + T["b1"]) @ T["W2"] + T["b2"])
    Lt = 0.5 * ((Ot - tt(Y)) ** 2).sum()
    Lt.backward()
    assert err(O, Ot.detach().numpy()) < TORCH_TOL
    assert sorted(grads) == ["dW1", "dW2", "db1", "db2"]
    for k in P:
        assert err(grads["d" + k], T[k].grad.numpy()) < TORCH_TOL, k

        def f(v, k=k):
            return course.half_sse(course.two_layer_forward(X, {**P, k: v}, hidden, output)[0], Y)[
                0
            ]

        assert err(grads["d" + k], num_grad(f, P[k])) < CD_TOL, k


@pytest.mark.parametrize(("hidden", "output"), NETS)
@pytest.mark.parametrize("seed", SEEDS)
def test_aug_net(seed, hidden, output):
    X, Y, P = draw_net(seed, hidden, output, augmented=True)
    O, cache = course.aug_forward(X, P["W1"], P["W2"], hidden, output)
    loss, dO = course.half_mse(O, Y)
    dW1, dW2 = course.aug_backward(dO, cache)
    W1t, W2t = tt(P["W1"], True), tt(P["W2"], True)
    fh, fo = TORCH_ACT[hidden], TORCH_ACT[output]
    Ht = fh(tt(X) @ W1t[1:] + W1t[0])
    Ot = fo(Ht @ W2t[1:] + W2t[0])
    Lt = 0.5 * ((Ot - tt(Y)) ** 2).sum() / X.shape[0]
    Lt.backward()
    assert err(O, Ot.detach().numpy()) < TORCH_TOL
    assert err(loss, Lt.item()) < TORCH_TOL
    assert err(dW1, W1t.grad.numpy()) < TORCH_TOL
    assert err(dW2, W2t.grad.numpy()) < TORCH_TOL

    def f(W1, W2):
        return course.half_mse(course.aug_forward(X, W1, W2, hidden, output)[0], Y)[0]

    assert err(dW1, num_grad(lambda v: f(v, P["W2"]), P["W1"])) < CD_TOL
    assert err(dW2, num_grad(lambda v: f(P["W1"], v), P["W2"])) < CD_TOL


def test_aug_adds_leading_ones():
    assert course.aug(np.array([[2.0, 3.0], [4.0, 5.0]])).tolist() == [[1, 2, 3], [1, 4, 5]]
    with pytest.raises(ValueError, match="2-D"):
        course.aug(np.zeros(3))


# --- seed-000 matrix net: numpy, torch by hand, autograd ---------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_matrix_net(seed):
    """H = relu(X Wh), Yhat = relu(H Wo), 0.5 * SSE, no biases."""
    rng = np.random.default_rng(seed)
    n, d, m, p = shapes(seed)
    for _ in range(1000):
        X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, p))
        Wh, Wo = rng.standard_normal((d, m)), rng.standard_normal((m, p))
        Zh = X @ Wh
        Zo = np.maximum(Zh, 0) @ Wo
        if min(np.min(np.abs(Zh)), np.min(np.abs(Zo))) > MARGIN:
            break
    else:  # never go on with a case on the ReLU kink (the oracles disagree there)
        raise AssertionError("could not draw a case away from the ReLU kink")
    Wht, Wot = tt(Wh, True), tt(Wo, True)
    Lt = 0.5 * ((torch.relu(torch.relu(tt(X) @ Wht) @ Wot) - tt(Y)) ** 2).sum()
    Lt.backward()
    oracle = (Lt.item(), Wht.grad.numpy(), Wot.grad.numpy())

    def f(Wh, Wo):
        return 0.5 * np.sum((np.maximum(np.maximum(X @ Wh, 0) @ Wo, 0) - Y) ** 2)

    numeric = (num_grad(lambda v: f(v, Wo), Wh), num_grad(lambda v: f(Wh, v), Wo))
    loss_t, dWh_t, dWo_t = torch_nets.matrix_net_grads_torch(X, Y, Wh, Wo)
    assert dWh_t.dtype == dWo_t.dtype == torch.float64
    for loss, dWh, dWo in [
        course.matrix_net_grads(X, Y, Wh, Wo),
        (loss_t.item(), dWh_t.numpy(), dWo_t.numpy()),
        torch_nets.autograd_grads(X, Y, Wh, Wo),
    ]:
        assert err(loss, oracle[0]) < TORCH_TOL
        assert err(dWh, oracle[1]) < TORCH_TOL
        assert err(dWo, oracle[2]) < TORCH_TOL
        assert err(dWh, numeric[0]) < CD_TOL
        assert err(dWo, numeric[1]) < CD_TOL
    lr = 0.01
    for Wh_new, Wo_new in [
        course.matrix_net_step(X, Y, Wh, Wo, lr),
        torch_nets.autograd_step(X, Y, Wh, Wo, lr),
    ]:
        assert err(Wh_new, Wh - lr * oracle[1]) < TORCH_TOL
        assert err(Wo_new, Wo - lr * oracle[2]) < TORCH_TOL


def test_matrix_net_autograd_model_layout():
    """nn.Linear.weight is (out, in): the model holds Wh.T, Wo.T; loss = 0.5 * sum of squares."""
    Wh, Wo = np.arange(6.0).reshape(2, 3), np.arange(3.0).reshape(3, 1)
    model, loss_fn = torch_nets.matrix_net_autograd(Wh, Wo)
    assert model[0].weight.dtype == torch.float64
    assert model[0].bias is None and model[2].bias is None
    assert model[0].weight.detach().numpy().tolist() == Wh.T.tolist()
    assert model[2].weight.detach().numpy().tolist() == Wo.T.tolist()
    assert loss_fn(tt([[1.0, 2.0]]), tt([[0.0, 0.0]])).item() == 2.5


# --- purity -----------------------------------------------------------------------------------


def test_reference_functions_do_not_mutate_inputs():
    X, Y, P = draw_net(3, "relu", "identity")
    Xa, Ya, Pa = draw_net(3, "tanh", "identity", augmented=True)
    before = [a.copy() for a in (X, Y, Xa, Ya, *P.values(), *Pa.values())]
    O, cache = course.two_layer_forward(X, P, "relu", "identity")
    grads = course.two_layer_backward(course.half_sse(O, Y)[1], cache)
    new = course.gd_step(P, grads, 0.1)
    O, cache = course.aug_forward(Xa, Pa["W1"], Pa["W2"])
    course.aug_backward(course.half_mse(O, Ya)[1], cache)
    course.train(X, Y, P, lr=0.1, epochs=3, hidden="relu", output="identity", progress=False)
    course.train_sgd(Xa, Ya, Pa, lr=0.1, epochs=2, rng=0, progress=False)
    course.matrix_net_step(X, Y, P["W1"], P["W2"], 0.1)
    torch_nets.autograd_step(X, Y, P["W1"], P["W2"], 0.1)
    after = [X, Y, Xa, Ya, *P.values(), *Pa.values()]
    for a, b in zip(before, after, strict=True):
        assert np.array_equal(a, b)
    assert all(new[k] is not P[k] for k in P)
