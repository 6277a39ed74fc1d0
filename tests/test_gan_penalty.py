"""The WGAN-GP gradient penalty (helpers.gan.penalty): autograd on hand-made critics whose
gradients are known in closed form, and the by-hand double backprop against PyTorch."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.gan import penalty as gp
from helpers.gan.models import Discriminator
from torch_twin import assert_close

SHAPES = [(1, 1, 1), (4, 2, 3), (9, 5, 7), (16, 64, 8)]  # (N, D, H)


def _tanh_params(rng, n, d, h):
    return (rng.normal(size=(n, d)), rng.normal(size=(h, d)), rng.normal(size=h), rng.normal(size=h))


def _torch_tanh_critic(W, b, v, c=0.0):
    return lambda x: torch.tanh(x @ W.T + b) @ v + c


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("w", [[3.0, 4.0], [0.6, 0.8], [0.0, 0.1, -0.2], [1e-3]])
@pytest.mark.parametrize("weight", [10.0, 0.1])
def test_linear_critic_penalty_with_autograd(rng, w, weight):
    """f(x) = w·x + c has gradient w at every point, so the penalty is weight * (||w|| - 1)^2."""
    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    critic = lambda x: x @ w_t + 0.7  # noqa: E731 - a hand-made critic
    real = torch.tensor(rng.normal(size=(11, len(w))))
    fake = torch.tensor(rng.normal(size=(11, len(w))))
    penalty = gp.gradient_penalty(critic, real, fake, weight, torch.Generator().manual_seed(0))
    want = gp.linear_critic_penalty(np.array(w), weight)
    assert math.isclose(float(penalty.detach()), want, rel_tol=1e-6, abs_tol=1e-12)  # 1e-12 inside the sqrt
    # and the penalty is differentiable in the critic's weights (create_graph=True):
    # d/dw weight (||w|| - 1)^2 = 2 weight (||w|| - 1) w / ||w||
    penalty.backward()
    w_np = np.array(w)
    norm = np.linalg.norm(w_np)
    assert_close(w_t.grad.numpy(), 2 * weight * (norm - 1) * w_np / norm, atol=1e-8, rtol=1e-6, what="dP/dw")


def test_unit_norm_linear_critic_has_zero_penalty(rng):
    w = torch.tensor([0.6, 0.8], dtype=torch.float64)
    x = torch.tensor(rng.normal(size=(5, 2)))
    assert float(gp.gradient_penalty(lambda z: z @ w, x, x.flip(0))) < 1e-10


def test_quadratic_critic_penalty_at_given_points():
    """f(x) = ||x||^2 / 2 has gradient x: at x = (3, 4) and (0, 0.5) the norms are 5 and 0.5."""
    points = torch.tensor([[3.0, 4.0], [0.0, 0.5]], dtype=torch.float64)
    penalty = gp.gradient_penalty(lambda x: 0.5 * (x ** 2).sum(-1), points, points, weight=2.0, points=points)
    assert math.isclose(float(penalty.detach()), 2.0 * ((5 - 1) ** 2 + (0.5 - 1) ** 2) / 2, rel_tol=1e-9)


# ----------------------------------------------------------------------------- by hand vs autograd
@pytest.mark.parametrize("n,d,h", SHAPES)
def test_tanh_critic_value_and_input_grad_match_torch(rng, n, d, h):
    X, W, b, v = _tanh_params(rng, n, d, h)
    Wt, bt, vt = (torch.tensor(a) for a in (W, b, v))
    x = torch.tensor(X, requires_grad=True)
    out = _torch_tanh_critic(Wt, bt, vt, 0.3)(x)
    assert_close(gp.tanh_critic(X, W, b, v, 0.3), out.detach().numpy())
    (grad,) = torch.autograd.grad(out.sum(), x)
    assert_close(gp.tanh_critic_input_grad(X, W, b, v), grad.numpy(), what="input grad")


@pytest.mark.parametrize("n,d,h", SHAPES)
@pytest.mark.parametrize("weight", [10.0, 0.5])
def test_tanh_critic_penalty_and_parameter_grads_match_torch(rng, n, d, h, weight):
    X, W, b, v = _tanh_params(rng, n, d, h)
    Wt, bt, vt = (torch.tensor(a, requires_grad=True) for a in (W, b, v))
    x = torch.tensor(X)
    penalty = gp.gradient_penalty(_torch_tanh_critic(Wt, bt, vt), x, x, weight, points=x)
    penalty.backward()
    ours, grads = gp.tanh_critic_penalty_grads(X, W, b, v, weight)
    assert_close(ours, float(penalty.detach()), what="penalty")
    assert_close(gp.penalty_from_grads(gp.tanh_critic_input_grad(X, W, b, v), weight), float(penalty.detach()),
                 what="penalty_from_grads")
    for name, t in (("W", Wt), ("b", bt), ("v", vt)):
        assert_close(grads[name], t.grad.numpy(), atol=1e-9, rtol=1e-7, what=f"dP/d{name}")


@pytest.mark.parametrize("zero", ["v", "W"])
def test_tanh_critic_penalty_where_the_input_gradient_is_zero_matches_torch(rng, zero):
    """A flat critic (v = 0, or W = 0): every input gradient is exactly 0, where the norm's square
    root has no derivative. Both sides smooth it the same way; the value is weight * (sqrt(tiny) - 1)^2
    and the parameter gradients stay finite and agree."""
    X, W, b, v = _tanh_params(rng, 4, 3, 5)
    if zero == "v":
        v = np.zeros_like(v)
    else:
        W = np.zeros_like(W)
    Wt, bt, vt = (torch.tensor(a, requires_grad=True) for a in (W, b, v))
    x = torch.tensor(X)
    penalty = gp.gradient_penalty(_torch_tanh_critic(Wt, bt, vt), x, x, 10.0, points=x)
    penalty.backward()
    ours, grads = gp.tanh_critic_penalty_grads(X, W, b, v, 10.0)
    assert ours == pytest.approx(10.0 * (math.sqrt(gp._TINY) - 1.0) ** 2, rel=1e-12)
    assert_close(ours, float(penalty.detach()), what="penalty")
    for name, t in (("W", Wt), ("b", bt), ("v", vt)):
        assert np.all(np.isfinite(grads[name]))
        assert_close(grads[name], t.grad.numpy(), atol=1e-9, rtol=1e-7, what=f"dP/d{name}")


def test_penalty_per_member_equals_separate_critics():
    torch.manual_seed(0)
    D = Discriminator(in_dim=3, hidden=8, members=3).double()
    real, fake = torch.randn(3, 10, 3, dtype=torch.float64), torch.randn(3, 10, 3, dtype=torch.float64)
    points = gp.interpolate_real_fake(real, fake, torch.Generator().manual_seed(1))
    together = gp.gradient_penalty(D, real, fake, points=points)
    assert together.shape == (3,)
    for s in range(3):
        def member(x, s=s):
            return D(x.expand(3, *x.shape))[s]  # member s alone on the same points
        alone = gp.gradient_penalty(member, real[s], fake[s], points=points[s])
        assert math.isclose(float(alone.detach()), float(together[s].detach()), rel_tol=1e-9)


# ----------------------------------------------------------------------------- properties
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=st.floats(-50, 50)),
       st.floats(0, 100))
def test_penalty_nonnegative_and_zero_on_unit_gradients(grads, weight):
    assert gp.penalty_from_grads(grads, weight) >= 0
    unit = np.zeros_like(grads)
    unit[:, 0] = 1.0
    assert gp.penalty_from_grads(unit, weight) < 1e-9 * max(weight, 1)


def test_interpolates_lie_between_real_and_fake(rng):
    real = torch.tensor(rng.normal(size=(50, 2)))
    fake = real + torch.tensor([[2.0, 0.0]], dtype=torch.float64)  # horizontal segments of length 2
    x_hat = gp.interpolate_real_fake(real, fake, torch.Generator().manual_seed(0))
    offset = (fake - x_hat).numpy()
    assert np.allclose(offset[:, 1], 0) and np.all((offset[:, 0] >= 0) & (offset[:, 0] <= 2))
    assert not x_hat.requires_grad


# ----------------------------------------------------------------------------- bad inputs
def test_bad_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match=r"same shape \(N, D\) or \(S, N, D\), got \[\(3, 2\), \(4, 2\)\]"):
        gp.interpolate_real_fake(torch.zeros(3, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"got \['ndarray', \(3, 2\)\]"):
        gp.gradient_penalty(lambda x: x.sum(-1), np.zeros((3, 2)), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"weight must be in \[0.0, inf\], got -1"):
        gp.gradient_penalty(lambda x: x.sum(-1), torch.zeros(3, 2), torch.zeros(3, 2), weight=-1)
    X, W, b, v = _tanh_params(rng, 4, 2, 3)
    with pytest.raises(ValueError, match=r"W must have shape \(\*, 2\), got \(3, 5\)"):
        gp.tanh_critic(X, np.zeros((3, 5)), b, v)
    with pytest.raises(ValueError, match=r"v must have shape \(3\), got \(2,\)"):
        gp.tanh_critic_penalty_grads(X, W, b, v[:2])
    with pytest.raises(ValueError, match="X must be finite"):
        gp.tanh_critic_input_grad(np.full((2, 2), np.nan), W, b, v)
    with pytest.raises(ValueError, match=r"w must not be empty"):
        gp.linear_critic_penalty(np.array([]))
    with pytest.raises(ValueError, match=r"grads must have 2 dimension\(s\), got shape \(3,\)"):
        gp.penalty_from_grads(np.zeros(3))
