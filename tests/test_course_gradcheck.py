"""course.gradcheck against analytic derivatives written here and torch.autograd (float64)."""

import numpy as np
import pytest
import torch

from course.gradcheck import (
    numerical_derivative_elementwise,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)

SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_numerical_gradient_matches_analytic(seed):
    """f(W) = sum(sin(W) * C) + 0.5 ||W||^2 has gradient cos(W) * C + W."""
    rng = np.random.default_rng(seed)
    shape = (1, 3) if seed % 5 == 0 else (int(rng.integers(2, 5)), int(rng.integers(1, 4)))
    W, C = rng.standard_normal(shape), rng.standard_normal(shape)
    W_before = W.copy()
    seen = []

    def f(V):
        seen.append(V is W)
        return np.sum(np.sin(V) * C) + 0.5 * np.sum(V**2)

    g = numerical_gradient(f, W)
    exact = np.cos(W) * C + W
    assert g.shape == W.shape and g.dtype == np.float64
    assert np.max(np.abs(g - exact)) / np.max(np.abs(exact)) < 1e-8
    assert np.array_equal(W, W_before) and not any(seen)  # the caller's array is never touched


@pytest.mark.parametrize("seed", SEEDS)
def test_numerical_gradient_array_matches_torch_vjp(seed):
    """Gradient of sum(f(x) * dout) for f(x) = tanh(x @ A), without a Jacobian."""
    rng = np.random.default_rng(seed)
    n, d, m = 1 if seed % 5 == 0 else int(rng.integers(2, 5)), 3, 2
    x, A, dout = (
        rng.standard_normal((n, d)),
        rng.standard_normal((d, m)),
        rng.standard_normal((n, m)),
    )
    g = numerical_gradient_array(lambda v: np.tanh(v @ A), x, dout)
    xt = torch.tensor(x, requires_grad=True)
    torch.tanh(xt @ torch.tensor(A)).backward(torch.tensor(dout))
    exact = xt.grad.numpy()
    assert g.shape == x.shape
    assert np.max(np.abs(g - exact)) / np.max(np.abs(exact)) < 1e-8


def test_numerical_gradient_array_copies_views():
    """f may return its argument (identity): the result must not alias the perturbed array."""
    x = np.array([[1.0, -2.0]])
    dout = np.array([[3.0, 5.0]])
    np.testing.assert_allclose(numerical_gradient_array(lambda v: v, x, dout), dout, rtol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_numerical_derivative_elementwise(seed):
    rng = np.random.default_rng(seed)
    Z = 2 * rng.standard_normal((3, 4))
    g = numerical_derivative_elementwise(np.tanh, Z)
    exact = 1 - np.tanh(Z) ** 2
    assert np.max(np.abs(g - exact)) < 1e-9


def test_float64_matters_for_central_differences():
    """The notes: in float32 the same check on tanh' is off by ~1e-3 at h = 1e-5."""
    Z = np.linspace(-2, 2, 9)
    exact = 1 - np.tanh(Z) ** 2
    g64 = numerical_derivative_elementwise(np.tanh, Z)
    Z32, h32 = Z.astype(np.float32), np.float32(1e-5)
    g32 = (np.tanh(Z32 + h32) - np.tanh(Z32 - h32)) / (2 * h32)
    assert rel_error(g64, exact) < 1e-9
    assert rel_error(g32, exact) > 1e-4


def test_rel_error_formula():
    """max |a-n| / max(1e-8, |a|+|n|), elementwise then max; hand-computed values."""
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(1 / 5)
    assert rel_error(np.array([[1.0]]), np.array([[1.0]])) == 0.0
    assert rel_error(np.array([1e-9]), np.array([0.0])) == pytest.approx(1e-9 / 1e-8)  # floor
    assert rel_error(np.array([-1.0]), np.array([1.0])) == pytest.approx(1.0)
    assert isinstance(rel_error(np.ones(2), np.ones(2)), float)
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.ones(3), np.ones((3, 1)))
