"""Batch normalization from scratch (notebook 08) against torch.nn.BatchNorm1d: values, grads, running stats."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from helpers.training.batchnorm import BatchNorm1d, batchnorm_backward, batchnorm_forward
from torch_twin import assert_close

SHAPES = [(2, 1), (5, 3), (32, 7), (9, 16)]


def _torch_bn(d, momentum, eps, gamma, beta):
    bn = torch.nn.BatchNorm1d(d, momentum=momentum, eps=eps).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    return bn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum,eps", [(0.1, 1e-5), (0.5, 1e-3)])
def test_train_mode_values_grads_and_running_stats_match_torch(shape, momentum, eps, rng):
    n, d = shape
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    ours = BatchNorm1d(d, momentum=momentum, eps=eps)
    ours.gamma, ours.beta = gamma.copy(), beta.copy()
    theirs = _torch_bn(d, momentum, eps, gamma, beta)
    for step in range(3):  # several batches: the running averages must track torch's
        x = rng.normal(2.0, 3.0, size=shape)
        g = rng.normal(size=shape)
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.tensor(g))
        y = ours.forward(x)
        gx = ours.backward(g)
        assert_close(y, yt.detach().numpy(), what=f"forward, batch {step}")
        assert_close(gx, xt.grad.numpy(), what=f"grad x, batch {step}")
        assert_close(ours.grad_gamma, theirs.weight.grad.numpy(), what="grad gamma")
        assert_close(ours.grad_beta, theirs.bias.grad.numpy(), what="grad beta")
        theirs.weight.grad = theirs.bias.grad = None
        assert_close(ours.running_mean, theirs.running_mean.numpy(), what="running mean")
        assert_close(ours.running_var, theirs.running_var.numpy(), what="running var")


def test_a_constant_feature_matches_torch():
    """Variance exactly 0 in one feature: 1/sqrt(var + eps) is where the derivative of the
    normalisation is largest; values and every gradient still match torch."""
    x = np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5]])
    gamma, beta, dy = np.array([1.5, 0.5]), np.array([0.1, -0.2]), np.array([[1.0, 0.3], [-2.0, 0.1], [0.5, 0.7]])
    y, cache = batchnorm_forward(x, gamma, beta, np.zeros(2), np.ones(2), eps=1e-5)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    yt = torch.nn.functional.batch_norm(xt, torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64),
                                        gt, bt, training=True, eps=1e-5)
    yt.backward(torch.tensor(dy))
    assert_close(y, yt.detach().numpy(), atol=1e-12, what="forward")
    for name, ours, t in (("dx", dx, xt), ("dgamma", dgamma, gt), ("dbeta", dbeta, bt)):
        assert_close(ours, t.grad.numpy(), what=name)


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_mode_uses_running_stats_like_torch(shape, rng):
    n, d = shape
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    ours = BatchNorm1d(d)
    ours.gamma, ours.beta = gamma.copy(), beta.copy()
    theirs = _torch_bn(d, 0.1, 1e-5, gamma, beta)
    for _ in range(4):
        batch = rng.normal(1.0, 2.0, size=(8, d))
        ours.forward(batch)
        theirs(torch.tensor(batch))
    ours.eval()
    theirs.eval()
    x, g = rng.normal(size=shape), rng.normal(size=shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(g))
    before = ours.running_mean.copy()
    assert_close(ours.forward(x), yt.detach().numpy(), what="eval forward")
    assert_close(ours.backward(g), xt.grad.numpy(), what="eval grad x")
    assert_close(ours.grad_gamma, theirs.weight.grad.numpy(), what="eval grad gamma")
    assert np.array_equal(before, ours.running_mean), "eval mode must not touch the running statistics"


@given(st.floats(-1e6, 1e6), st.floats(1e-3, 1e3), st.integers(2, 64))
def test_output_is_standardised_even_for_large_offsets(offset, scale, n):
    x = offset + scale * np.random.default_rng(n).standard_normal((n, 3))
    y, *_ = batchnorm_forward(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), eps=1e-12)
    assert np.all(np.isfinite(y))
    assert np.allclose(y.mean(axis=0), 0.0, atol=1e-6)
    assert np.allclose(y.std(axis=0), 1.0, atol=1e-4)


@given(st.integers(2, 20), st.integers(0, 1000))
@example(n=2, seed=360)  # a nearly constant feature: variance close to eps
def test_training_gradient_is_orthogonal_to_shifts_and_scalings(n, seed):
    """Batch norm's output ignores a per-feature shift or scaling of the input, so dL/dx sums
    to 0 over the batch and is orthogonal to x_hat (exactly so as eps -> 0: eps breaks the scale invariance)."""
    rng = np.random.default_rng(seed)
    x, g = rng.normal(size=(n, 4)), rng.normal(size=(n, 4))
    gamma, eps = rng.normal(size=4), 1e-12
    _, cache = batchnorm_forward(x, gamma, np.zeros(4), np.zeros(4), np.ones(4), eps=eps)
    gx, _, _ = batchnorm_backward(g, cache)
    assert np.allclose(gx.sum(axis=0), 0.0, atol=1e-9)
    # sum_n dx_n x_hat_n = (gamma inv_std / n) sum(g x_hat) (n - sum x_hat^2), and n - sum x_hat^2 =
    # n eps / (var + eps): zero as eps -> 0, but not for a feature whose variance is near eps
    # (two nearly equal values), so the check is against that exact remainder, not against 0.
    xh = cache.x_hat
    var = x.var(axis=0)
    assert np.allclose(n - (xh ** 2).sum(axis=0), n * eps / (var + eps), rtol=1e-3, atol=1e-9)
    remainder = gamma * cache.inv_std / n * (g * xh).sum(axis=0) * (n - (xh ** 2).sum(axis=0))
    assert np.allclose((gx * xh).sum(axis=0), remainder, rtol=1e-6, atol=1e-9)


def test_forward_is_pure():
    x, rm, rv = np.arange(6.0).reshape(3, 2), np.zeros(2), np.ones(2)
    _, cache = batchnorm_forward(x, np.ones(2), np.zeros(2), rm, rv)
    new_mean, new_var = cache.running_mean, cache.running_var
    assert np.array_equal(rm, np.zeros(2)) and np.array_equal(rv, np.ones(2))
    assert np.allclose(new_mean, 0.1 * x.mean(0)) and np.allclose(new_var, 0.9 + 0.1 * x.var(0, ddof=1))


@pytest.mark.parametrize("call,fragment", [
    (lambda: BatchNorm1d(3).forward(np.ones((1, 3))), "at least 2 examples per batch, got x of shape (1, 3)"),
    (lambda: BatchNorm1d(3).forward(np.ones((4, 2))), "gamma must have shape (2), got (3,)"),
    (lambda: BatchNorm1d(3).forward(np.ones(3)), "x must have 2 dimension(s), got shape (3,)"),
    (lambda: BatchNorm1d(3).forward(np.full((4, 3), np.nan)), "finite"),
    (lambda: BatchNorm1d(0), "num_features must be in"),
    (lambda: BatchNorm1d(3, eps=0.0), "eps must be in"),
    (lambda: BatchNorm1d(3).backward(np.ones((2, 3))), "needs a forward() first"),
])
def test_bad_inputs_raise_a_clear_error(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value), str(info.value)


def test_backward_checks_the_gradient_shape(rng):
    bn = BatchNorm1d(3)
    bn.forward(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(4, 3\), got \(3, 4\)"):
        bn.backward(np.ones((3, 4)))
