"""GAN losses (helpers.gan.losses): NumPy forward and gradients against PyTorch, hand-computed cases,
stability properties and input validation."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.gan import losses as gan
from torch_twin import assert_close, torch_value_and_grads

SHAPES = [(1, 1), (5, 3), (17, 8), (64, 64)]


def _logits(rng, n, scale=3.0):
    return rng.normal(scale=scale, size=n)


# ----------------------------------------------------------------------------- PyTorch twins
@pytest.mark.parametrize("n,m", SHAPES)
def test_discriminator_loss_matches_torch(rng, n, m):
    real, fake = _logits(rng, n), _logits(rng, m)

    def torch_fn(r, f):
        return (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))

    value, (g_real, g_fake) = torch_value_and_grads(torch_fn, real, fake)
    assert_close(gan.discriminator_loss(real, fake), value)
    ours_r, ours_f = gan.discriminator_loss_grad(real, fake)
    assert_close(ours_r, g_real, what="grad real")
    assert_close(ours_f, g_fake, what="grad fake")
    twin, _ = torch_value_and_grads(gan.discriminator_loss_torch, real, fake)
    assert_close(twin, value, what="discriminator_loss_torch")


@pytest.mark.parametrize("m", [1, 4, 33])
@pytest.mark.parametrize("kind,ours,ours_grad,reference", [
    ("vanilla", gan.generator_loss_nonsaturating, gan.generator_loss_nonsaturating_grad,
     lambda f: -F.logsigmoid(f).mean()),
    ("minimax", gan.generator_loss_minimax, gan.generator_loss_minimax_grad,
     lambda f: F.logsigmoid(-f).mean()),  # log(1 - sigmoid(f)) = log sigmoid(-f)
])
def test_generator_losses_match_torch(rng, m, kind, ours, ours_grad, reference):
    fake = _logits(rng, m)
    value, (grad,) = torch_value_and_grads(reference, fake)
    assert_close(ours(fake), value)
    assert_close(ours_grad(fake), grad, what="grad")
    twin, (twin_grad,) = torch_value_and_grads(lambda f: gan.generator_loss_torch(f, kind), fake)
    assert_close(twin, value, what="generator_loss_torch")
    assert_close(twin_grad, grad, what="generator_loss_torch grad")


@pytest.mark.parametrize("n,m", SHAPES)
def test_critic_loss_matches_torch(rng, n, m):
    real, fake = _logits(rng, n), _logits(rng, m)
    value, (g_real, g_fake) = torch_value_and_grads(gan.critic_loss_torch, real, fake)
    assert_close(gan.critic_loss(real, fake), value)
    ours_r, ours_f = gan.critic_loss_grad(real, fake)
    assert_close(ours_r, g_real, what="grad real")
    assert_close(ours_f, g_fake, what="grad fake")
    _, (g_fake_gen,) = torch_value_and_grads(lambda f: gan.generator_loss_torch(f, "wgan-gp"), fake)
    assert_close(g_fake_gen, -np.full(m, 1.0 / m), what="wgan generator grad")


def test_torch_losses_one_value_per_member(rng):
    real, fake = torch.tensor(_logits(rng, (3, 6))), torch.tensor(_logits(rng, (3, 4)))
    per_member = gan.discriminator_loss_torch(real, fake)
    assert per_member.shape == (3,)
    for s in range(3):
        assert math.isclose(float(per_member[s]), gan.discriminator_loss(real[s].numpy(), fake[s].numpy()),
                            rel_tol=1e-12)
    assert gan.generator_loss_torch(fake, "minimax").shape == (3,)
    assert gan.critic_loss_torch(real, fake).shape == (3,)


# ----------------------------------------------------------------------------- hand-computed cases
def test_losses_on_hand_computed_cases():
    # D says 50/50 on everything: the equilibrium value 2 log 2.
    assert math.isclose(gan.discriminator_loss(np.zeros(4), np.zeros(3)), 2 * math.log(2), rel_tol=1e-12)
    # D(x) = 0.9 on the real sample, D(G(z)) = 0.2 on the fake: logits log(0.9/0.1), log(0.2/0.8).
    real, fake = np.array([math.log(9.0)]), np.array([math.log(0.25)])
    assert math.isclose(gan.discriminator_loss(real, fake), -math.log(0.9) - math.log(0.8), rel_tol=1e-12)
    assert math.isclose(gan.generator_loss_nonsaturating(fake), -math.log(0.2), rel_tol=1e-12)
    assert math.isclose(gan.generator_loss_minimax(fake), math.log(0.8), rel_tol=1e-12)
    # gradients there: sigma(f) - 1 = -0.8 (non-saturating), -sigma(f) = -0.2 (minimax)
    assert math.isclose(gan.generator_loss_nonsaturating_grad(fake)[0], -0.8, rel_tol=1e-12)
    assert math.isclose(gan.generator_loss_minimax_grad(fake)[0], -0.2, rel_tol=1e-12)
    assert math.isclose(gan.critic_loss(np.array([1.0, 3.0]), np.array([-1.0])), -3.0)


def test_saturation_is_real():
    """When D rejects a fake confidently the minimax gradient vanishes, the non-saturating one does not."""
    fake = np.array([-10.0])
    assert abs(gan.generator_loss_minimax_grad(fake)[0]) < 1e-4
    assert abs(gan.generator_loss_nonsaturating_grad(fake)[0]) > 0.99


# ----------------------------------------------------------------------------- properties
finite_logits = arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e4, 1e4))


@given(finite_logits, finite_logits)
def test_losses_finite_and_signed_for_extreme_logits(real, fake):
    d = gan.discriminator_loss(real, fake)
    ns, mm = gan.generator_loss_nonsaturating(fake), gan.generator_loss_minimax(fake)
    assert np.isfinite([d, ns, mm]).all()
    assert d >= 0 and ns >= 0 and mm <= 0
    g_r, g_f = gan.discriminator_loss_grad(real, fake)
    assert np.all(g_r <= 0) and np.all(g_f >= 0)  # D wants real logits up, fake logits down
    assert np.all(np.abs(gan.generator_loss_minimax_grad(fake)) <= 1.0 / fake.size + 1e-15)


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-700, 700)))
def test_softplus_identities(x):
    sp = gan.softplus(x)
    assert np.all(sp >= 0) and np.all(np.isfinite(sp))
    np.testing.assert_allclose(sp - gan.softplus(-x), x, atol=1e-9)  # softplus(x) - softplus(-x) = x
    np.testing.assert_allclose(sp, np.logaddexp(0, x), rtol=1e-12, atol=1e-300)


@given(arrays(np.float64, st.integers(1, 10), elements=st.floats(-30, 0)))
def test_nonsaturating_gradient_dominates_when_losing(fake):
    """For D(G(z)) < 1/2 (logit < 0) the non-saturating gradient is at least as strong."""
    assert np.all(np.abs(gan.generator_loss_nonsaturating_grad(fake))
                  >= np.abs(gan.generator_loss_minimax_grad(fake)) - 1e-15)


def test_softplus_at_extremes():
    out = gan.softplus(np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_allclose(out, [0.0, math.log(2), 1e4])


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("fn", [gan.discriminator_loss, gan.discriminator_loss_grad, gan.critic_loss,
                                gan.critic_loss_grad])
@pytest.mark.parametrize("bad,match", [
    (np.zeros((2, 3)), r"real must have 1 dimension\(s\), got shape \(2, 3\)"),
    (np.array([0.0, np.nan]), r"real must be finite, got 1 NaN"),
    (np.array([]), r"real must not be empty, got shape \(0,\)"),
    (np.array(["a"]), r"real must hold real numbers, got dtype"),
])
def test_two_argument_losses_reject_bad_input(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(bad, np.zeros(3))


@pytest.mark.parametrize("fn", [gan.generator_loss_minimax, gan.generator_loss_minimax_grad,
                                gan.generator_loss_nonsaturating, gan.generator_loss_nonsaturating_grad])
def test_generator_losses_reject_bad_input(fn):
    with pytest.raises(ValueError, match=r"fake must have 1 dimension\(s\), got shape \(1, 1\)"):
        fn(np.zeros((1, 1)))
    with pytest.raises(ValueError, match="fake must be finite"):
        fn(np.array([np.inf]))
    with pytest.raises(ValueError, match="fake must be an array of numbers, got NoneType"):
        fn(None)


def test_torch_twins_reject_bad_input():
    with pytest.raises(ValueError, match=r"real must be a tensor of logits of shape \(N,\) or \(S, N\), got \(2, 3, 4\)"):
        gan.discriminator_loss_torch(torch.zeros(2, 3, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="got ndarray"):
        gan.critic_loss_torch(np.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match=r"loss must be one of \['vanilla', 'minimax', 'wgan-gp'\], got 'hinge'"):
        gan.generator_loss_torch(torch.zeros(3), "hinge")
