"""The seeds' own figures (/work/shared/notes/backprop-numerics.md, "checked" in float64, and the
numbers the seed notebooks print). Expected values are literals from those sources."""

import numpy as np
import pytest

import course
from course.seed_nets import (
    net221_backward,
    net221_forward,
    net221_loss,
    sigmoid_net_backward,
    sigmoid_net_forward,
    train_layer,
    train_neuron,
)
from course.seeds import SEED001, SEED002, SEED004_LAYER, SEED004_NEURON

S1 = {k: SEED001[k] for k in ("x", "Wh", "bh", "Wo", "bo")}


# --- seed 004 ---------------------------------------------------------------------------------


def test_seed004_single_neuron():
    d = SEED004_NEURON
    w, b, losses = train_neuron(d["x"], d["w"], d["b"], d["target"], d["lr"], d["steps"])
    np.testing.assert_allclose(w, [-3.3990955, -0.20180899, 0.80271349], rtol=1e-7)
    assert b == pytest.approx(0.6009045, rel=1e-7)
    assert len(losses) == 200
    assert losses[0] == pytest.approx(36.0)  # relu(-3 + 2 + 6 + 1) = 6, loss 6^2
    assert losses[-1] == pytest.approx(1.9564e-04, rel=1e-4)


def test_seed004_dense_layer():
    d = SEED004_LAYER
    W, b, losses = train_layer(d["x"], d["W"], d["b"], d["lr"], d["steps"])
    printed = [
        466.56000000000006,
        5.32959636083938,
        0.41191523404899866,
        0.031836212079467595,
        0.002460565465389601,
        0.000190172825660145,
        1.4698126966451542e-05,
        1.1359926717815175e-06,
        8.779889800154524e-08,
        6.7858241357822796e-09,
    ]
    np.testing.assert_allclose(losses[::20], printed, rtol=1e-9)
    np.testing.assert_allclose(
        W,
        [
            [-0.00698895, -0.01397789, -0.02096684, -0.02795579],
            [0.25975286, 0.11950572, -0.02074143, -0.16098857],
            [0.53548461, 0.27096922, 0.00645383, -0.25806156],
        ],
        atol=6e-9,  # printed to 8 decimals
    )
    np.testing.assert_allclose(b, [-0.00698895, -0.04024714, -0.06451539], atol=6e-9)


def test_seed_values_are_read_only_float64():
    assert SEED004_LAYER["W"].dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        SEED004_LAYER["W"][0, 0] = 1.0


# --- seed 001 ---------------------------------------------------------------------------------


def test_seed001_forward_and_loss():
    zh, uh, zo, yhat = net221_forward(**S1)
    assert zh.tolist() == [[4.0], [-1.0]] and uh.tolist() == [[4.0], [0.0]]
    assert zo.tolist() == [[12.5]]
    assert yhat.shape == (1, 1)
    assert yhat[0, 0] == pytest.approx(0.9999962733607158, rel=1e-15)
    assert net221_loss(**S1, y=SEED001["y"]) == pytest.approx(3.7266462281e-06, rel=1e-10)


def test_seed001_correct_gradients():
    dWh, dbh, dWo, dbo = net221_backward(**S1, y=SEED001["y"])
    assert (dWh.shape, dbh.shape, dWo.shape, dbo.shape) == ((2, 2), (2, 1), (1, 2), (1, 1))
    np.testing.assert_allclose(dWo, [[-1.49066e-05, 0]], rtol=1e-5)
    np.testing.assert_allclose(dbo, [[-3.72664e-06]], rtol=1e-5)
    np.testing.assert_allclose(dWh, [[-1.49066e-05, -1.49066e-05], [0, 0]], rtol=1e-5)
    np.testing.assert_allclose(dbh, [[-1.49066e-05], [0]], rtol=1e-5)


def test_seed001_printed_gradients_are_not_the_reference():
    """The notebook's dL/dWh [[-1.478e-05, -2.217e-05], [0, 0]] multiplies by Wo elementwise on
    the wrong axis; its dL/dbh is one scalar where a 2-vector is due."""
    dWh, dbh, _, _ = net221_backward(**S1, y=SEED001["y"])
    printed_dWh = np.array([[-1.4781952e-05, -2.2172928e-05], [0, 0]])
    assert not np.allclose(dWh, printed_dWh, rtol=1e-3, atol=0)
    assert dbh.size == 2


def test_seed001_float32_loss_differs_and_reference_does_not_cancel():
    """The seed prints yhat 0.9999963045120239 and loss 3.6954948e-06: yhat is rounded to
    float32 (spacing 6e-8 near 1) so 1 - yhat keeps only ~2 digits, and -log(yhat) inherits the
    error. The reference computes the loss from the logit zo = 12.5 and keeps every digit."""
    yhat32 = np.float32(1) / (np.float32(1) + np.exp(np.float32(-12.5)))
    assert float(yhat32) == 0.9999963045120239  # the seed's printed prediction
    seed_loss = course.seed001_cross_entropy(np.array([yhat32]), np.array([1.0]))
    assert seed_loss == pytest.approx(3.6954948e-06, rel=1e-7)  # the seed's printed loss
    ref_loss, _ = course.bce_with_logits(np.array([12.5]), np.array([1.0]))
    assert ref_loss == pytest.approx(np.log1p(np.exp(-12.5)), rel=1e-15)
    assert ref_loss == pytest.approx(3.7266462281e-06, rel=1e-10)
    assert abs(seed_loss - ref_loss) / ref_loss > 5e-3


# --- seed 002 ---------------------------------------------------------------------------------


def test_seed002_forward_values():
    Zh, H, Zo, Yhat = sigmoid_net_forward(SEED002["X"], SEED002["W1"], SEED002["W2"])
    assert (Zh.shape, H.shape, Zo.shape, Yhat.shape) == ((3, 1), (3, 1), (1, 1), (1, 1))
    assert Yhat[0, 0] == pytest.approx(0.92033, abs=5e-6)
    assert ((SEED002["Y"] - Yhat) ** 2)[0, 0] == pytest.approx(0.84700, abs=5e-6)


def test_seed002_correct_gradients():
    dW1, dW2 = sigmoid_net_backward(SEED002["X"], SEED002["Y"], SEED002["W1"], SEED002["W2"])
    np.testing.assert_allclose(dW2, [[0.12203], [0.10440], [0.11339]], atol=5e-6)
    assert dW1.shape == (4, 3)
    correct = [
        [0.0099, 0.0210, 0.0161],
        [0.0088, 0.0187, 0.0143],
        [0.0077, 0.0164, 0.0125],
        [0.0066, 0.0140, 0.0108],
    ]
    np.testing.assert_allclose(dW1, correct, atol=5e-5)


def test_seed002_printed_dW1_is_not_the_reference():
    """The seed reuses dE/dW2 (which contains H) for dE/dW1: an extra factor H_j per column."""
    X, Y, W1, W2 = SEED002["X"], SEED002["Y"], SEED002["W1"], SEED002["W2"]
    dW1, _ = sigmoid_net_backward(X, Y, W1, W2)
    printed = np.array(
        [
            [0.0090, 0.0163, 0.0136],
            [0.0080, 0.0145, 0.0120],
            [0.0070, 0.0127, 0.0105],
            [0.0060, 0.0109, 0.0090],
        ]
    )
    assert np.max(np.abs(dW1 - printed)) > 1e-3
    _, H, _, _ = sigmoid_net_forward(X, W1, W2)
    np.testing.assert_allclose(dW1 * H.T, printed, atol=6e-5)  # the erratum, reproduced
