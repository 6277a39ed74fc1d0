"""Notebook 16: the Gaussian KL and the ELBO against torch.distributions, the two gradient
estimators, and the DDPM schedule / forward jump / reverse step against diffusers' DDPMScheduler."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from helpers.generative import estimators, latent, schedules
from torch_twin import assert_close


# ----------------------------------------------------------------------------- the Gaussian KL
@pytest.mark.parametrize("shape", [(1,), (3,), (4, 2), (2, 3, 5)])
@pytest.mark.parametrize("prior", ["standard", "general"])
def test_gaussian_kl_matches_torch_distributions_value_and_gradients(shape, prior):
    rng = np.random.default_rng(len(shape) * 7 + (prior == "general"))
    arrays = [rng.normal(size=shape) * 2 for _ in range(4)]
    ours_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ref_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    if prior == "standard":
        ours = latent.gaussian_kl(ours_in[0], ours_in[1])
        ref = kl_divergence(Normal(ref_in[0], torch.exp(0.5 * ref_in[1])), Normal(0.0, 1.0)).sum(-1)
        used = 2
    else:
        ours = latent.gaussian_kl(*ours_in)
        ref = kl_divergence(Normal(ref_in[0], torch.exp(0.5 * ref_in[1])),
                            Normal(ref_in[2], torch.exp(0.5 * ref_in[3]))).sum(-1)
        used = 4
    assert_close(ours.detach().numpy(), ref.detach().numpy(), atol=1e-12, what="KL")
    upstream = torch.tensor(rng.normal(size=ours.shape))
    ours.backward(upstream)
    ref.backward(upstream)
    for a, b in zip(ours_in[:used], ref_in[:used]):
        assert_close(a.grad.numpy(), b.grad.numpy(), atol=1e-10, what="d KL")


def test_gaussian_kl_edge_cases():
    zeros = torch.zeros(2, 3, dtype=torch.float64)
    assert torch.equal(latent.gaussian_kl(zeros, zeros), torch.zeros(2, dtype=torch.float64))
    # extreme log-variances stay finite and agree with torch
    mu = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    logvar = torch.tensor([[-30.0, 30.0]], dtype=torch.float64)
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    ours = latent.gaussian_kl(mu, logvar)
    assert torch.isfinite(ours).all() and torch.allclose(ours, ref, rtol=1e-12)
    assert (latent.gaussian_kl(torch.randn(50, 4), torch.randn(50, 4)) >= 0).all()


def test_gaussian_kl_when_q_equals_p_matches_torch():
    """q = p exactly (a tie in every term): the KL is 0 at its minimum, so every gradient is 0 too,
    here and in torch.distributions."""
    mu = torch.tensor([[0.3, -2.0, 0.0]], dtype=torch.float64)
    logvar = torch.tensor([[1.5, -4.0, 0.0]], dtype=torch.float64)
    ours_in = [t.clone().requires_grad_(True) for t in (mu, logvar, mu, logvar)]
    ref_in = [t.clone().requires_grad_(True) for t in (mu, logvar, mu, logvar)]
    ours = latent.gaussian_kl(*ours_in)
    ref = kl_divergence(Normal(ref_in[0], torch.exp(0.5 * ref_in[1])),
                        Normal(ref_in[2], torch.exp(0.5 * ref_in[3]))).sum(-1)
    assert ours.item() == 0.0 and abs(ref.item()) < 1e-15
    ours.sum().backward()
    ref.sum().backward()
    for a, b in zip(ours_in, ref_in):
        assert_close(a.grad.numpy(), b.grad.numpy(), atol=1e-15, what="d KL at q = p")
        assert np.abs(a.grad.numpy()).max() < 1e-15


def test_reparameterize_value_and_gradient():
    mu = torch.tensor([0.5, -2.0], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([0.3, -1.0], dtype=torch.float64, requires_grad=True)
    eps = torch.tensor([1.5, -0.2], dtype=torch.float64)
    z = latent.reparameterize(mu, logvar, eps)
    sigma = torch.exp(0.5 * logvar.detach())
    assert torch.allclose(z, mu.detach() + sigma * eps)
    z.sum().backward()
    assert torch.allclose(mu.grad, torch.ones(2, dtype=torch.float64))
    assert torch.allclose(logvar.grad, 0.5 * sigma * eps)          # dz/dlogvar = sigma eps / 2


@pytest.mark.parametrize("call,needle", [
    (lambda: latent.gaussian_kl(torch.zeros(3), torch.zeros(4)), "shape of mu_q"),
    (lambda: latent.gaussian_kl(torch.zeros(()), torch.zeros(())), "latent axis"),
    (lambda: latent.gaussian_kl(np.zeros(3), np.zeros(3)), "torch tensor"),
    (lambda: latent.gaussian_kl(torch.tensor([float("nan")]), torch.zeros(1)), "finite"),
    (lambda: latent.reparameterize(torch.zeros(2), torch.zeros(2), torch.zeros(3)), "eps must have"),
])
def test_latent_bad_inputs(call, needle):
    with pytest.raises(ValueError, match=needle):
        call()


# ----------------------------------------------------------------------------- the ELBO, exactly
def _linear_gaussian(D: int, K: int, seed: int) -> latent.LinearGaussian:
    rng = np.random.default_rng(seed)
    return latent.LinearGaussian(rng.normal(size=(D, K)), rng.normal(size=D), 0.4)


@pytest.mark.parametrize("D,K,seed", [(2, 1, 0), (5, 2, 1), (8, 3, 2)])
def test_linear_gaussian_evidence_posterior_and_elbo_gap(D, K, seed):
    model = _linear_gaussian(D, K, seed)
    rng = np.random.default_rng(seed + 10)
    x = rng.normal(size=D)
    W, b, s = torch.tensor(model.W), torch.tensor(model.b), model.noise_std
    cov = W @ W.T + s ** 2 * torch.eye(D, dtype=torch.float64)
    evidence = MultivariateNormal(b, cov).log_prob(torch.tensor(x)).item()
    assert abs(model.log_evidence(x) - evidence) < 1e-10
    m, C = model.posterior(x)
    assert abs(model.elbo(x, m, C) - evidence) < 1e-10                       # tight at the posterior
    # any other q: log p(x) - ELBO(q) = KL(q || posterior), torch's KL between the two Gaussians
    A = rng.normal(size=(K, K))
    mq, Cq = m + rng.normal(size=K), A @ A.T + 0.1 * np.eye(K)
    gap = kl_divergence(MultivariateNormal(torch.tensor(mq), torch.tensor(Cq)),
                        MultivariateNormal(torch.tensor(m), torch.tensor(C))).item()
    assert gap > 0
    assert abs(evidence - model.elbo(x, mq, Cq) - gap) < 1e-9


def test_linear_gaussian_bad_inputs():
    model = _linear_gaussian(3, 2, 0)
    with pytest.raises(ValueError, match=r"x must have shape \(3\)"):
        model.log_evidence(np.zeros(4))
    with pytest.raises(ValueError, match="positive-definite"):
        model.elbo(np.zeros(3), np.zeros(2), -np.eye(2))
    with pytest.raises(ValueError, match="noise_std"):
        latent.LinearGaussian(np.ones((3, 2)), np.zeros(3), 0.0)


# ----------------------------------------------------------------------------- gradient estimators
def test_both_estimators_are_unbiased_and_reparam_has_less_variance():
    mu = torch.tensor([1.0, -0.5], dtype=torch.float64)
    logvar = torch.tensor([0.0, -1.0], dtype=torch.float64)
    f = lambda z: ((z - 3.0) ** 2).sum(-1)                                     # noqa: E731
    true = 2 * (mu - 3.0)                                                     # d/dmu E[(z - 3)^2]
    n = 200_000
    rep = estimators.reparam_gradients(f, mu, logvar, n, torch.Generator().manual_seed(0))
    sco = estimators.score_function_gradients(f, mu, logvar, n, torch.Generator().manual_seed(0))
    for g in (rep, sco):
        stderr = g.std(dim=0) / n ** 0.5
        assert torch.all((g.mean(dim=0) - true).abs() < 5 * stderr)
    assert estimators.gradient_variance(sco) > 10 * estimators.gradient_variance(rep)
    # reparameterised: exactly f'(z) = 2 (z - 3) at z = mu + sigma eps
    eps = torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(rep, 2 * (mu + torch.exp(0.5 * logvar) * eps - 3.0))


def test_estimator_bad_inputs():
    f = lambda z: z.sum(-1)                                                   # noqa: E731
    with pytest.raises(ValueError, match="1-D of the same length"):
        estimators.reparam_gradients(f, torch.zeros(2, 2), torch.zeros(2, 2), 4)
    with pytest.raises(ValueError, match="one value per sample"):
        estimators.score_function_gradients(lambda z: z, torch.zeros(2), torch.zeros(2), 4)
    with pytest.raises(ValueError, match="n >= 2"):
        estimators.gradient_variance(torch.zeros(1, 3))


# ----------------------------------------------------------------------------- schedules vs diffusers
T = 100
REF_ARGS = {"linear": dict(beta_schedule="linear", beta_start=1e-3, beta_end=0.2),
            "cosine": dict(beta_schedule="squaredcos_cap_v2")}


def _reference(kind: str, clip: bool = False, float64: bool = False) -> DDPMScheduler:
    ref = DDPMScheduler(num_train_timesteps=T, variance_type="fixed_small", clip_sample=clip,
                        prediction_type="epsilon", **REF_ARGS[kind])
    if float64:  # the same betas, everything downstream in float64: compares the formulas, not the rounding
        ref.alphas_cumprod = torch.cumprod(1 - ref.betas.double(), dim=0)
        ref.one = torch.tensor(1.0, dtype=torch.float64)
    return ref


def _ours(kind: str, ref: DDPMScheduler | None = None) -> schedules.NoiseSchedule:
    if ref is not None:
        return schedules.make_schedule(ref.betas.double())
    return schedules.make_schedule(kind, T)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_schedule_matches_diffusers(kind):
    ref = _reference(kind)
    ours = _ours(kind)
    # diffusers stores betas in float32: agreement to float32 precision
    assert torch.allclose(ours.betas.float(), ref.betas, rtol=1e-6, atol=0)
    assert torch.allclose(ours.alpha_bar, ref.alphas_cumprod.double(), rtol=1e-5, atol=1e-9)
    ref64 = _reference(kind, float64=True)
    ours64 = _ours(kind, ref64)
    variance = torch.stack([ref64._get_variance(t) for t in range(T)]).double()
    assert_close(ours64.posterior_variance[1:].numpy(), variance[1:].numpy(), atol=1e-15, rtol=1e-12,
                 what="posterior variance")
    assert ours64.posterior_variance[0] == 0                          # diffusers clamps it to 1e-20 for a log


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("shape", [(7, 2), (3, 4, 5), (2, 1, 8, 8)])
def test_add_noise_matches_diffusers(kind, shape):
    g = torch.Generator().manual_seed(len(shape))
    x0, noise = torch.randn(shape, generator=g, dtype=torch.float64), torch.randn(shape, generator=g, dtype=torch.float64)
    t = torch.randint(0, T, (shape[0],), generator=g)
    t[0], t[-1] = 0, T - 1                                              # both ends of the chain
    ref = _reference(kind, float64=True)
    ours = add = schedules.add_noise(_ours(kind, ref), x0, noise, t)
    assert_close(add.numpy(), ref.add_noise(x0, noise, t).numpy(), atol=1e-12, what="add_noise (float64)")
    stock = _reference(kind).add_noise(x0, noise, t)
    assert_close(schedules.add_noise(_ours(kind), x0, noise, t).numpy(), stock.numpy(), atol=2e-6, rtol=1e-5,
                 what="add_noise vs the stock float32 schedule")
    assert ours.dtype == torch.float64


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("t", [0, 1, 37, T - 1])
@pytest.mark.parametrize("clip", [False, True])
def test_reverse_step_matches_diffusers(kind, t, clip):
    g = torch.Generator().manual_seed(t)
    x_t, eps = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(6, 3, generator=g, dtype=torch.float64)
    ref = _reference(kind, clip=clip, float64=True)
    out = ref.step(eps, t, x_t, generator=torch.Generator().manual_seed(99))
    noise = torch.randn(6, 3, generator=torch.Generator().manual_seed(99), dtype=torch.float64)  # the same draw
    prev, x0_hat = schedules.reverse_step(_ours(kind, ref), x_t, eps, t, noise, clip=1.0 if clip else None)
    assert_close(x0_hat.numpy(), out.pred_original_sample.numpy(), atol=1e-12, what="predicted x0")
    assert_close(prev.numpy(), out.prev_sample.numpy(), atol=1e-12, what="x_(t-1)")


def test_a_whole_chain_matches_diffusers():
    """Ten ancestral steps with a fixed stand-in for the network, noise from one seeded stream."""
    ref = _reference("cosine", float64=True)
    ours = _ours("cosine", ref)
    model = lambda x, t: 0.1 * x + 0.01 * t                                  # noqa: E731
    x_ref = x_ours = torch.randn(4, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    g_ref, g_ours = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    for t in range(9, -1, -1):
        x_ref = ref.step(model(x_ref, t), t, x_ref, generator=g_ref).prev_sample
        noise = torch.randn(4, 2, generator=g_ours, dtype=torch.float64) if t > 0 else None
        x_ours, _ = schedules.reverse_step(ours, x_ours, model(x_ours, t), t, noise)
    assert_close(x_ours.numpy(), x_ref.numpy(), atol=1e-12, what="after 10 steps")


def test_schedule_numerics_and_shapes():
    s = schedules.make_schedule("linear", 1000)
    naive = 1 - torch.cumprod(1 - s.betas, 0)
    assert torch.allclose(s.one_minus_alpha_bar, naive, rtol=1e-12)
    assert torch.all(s.alpha_bar[1:] < s.alpha_bar[:-1])                # the signal only fades
    assert s.posterior_variance[0] == 0 and torch.all(s.posterior_variance[1:] < s.betas[1:])
    c = schedules.make_schedule("cosine", 10)
    assert c.betas.max() <= 0.999
    # per-member steps: t of shape (S, N) broadcasts over (S, N, D)
    x = torch.ones(2, 3, 4, dtype=torch.float64)
    t = torch.tensor([[0, 1, 2], [3, 4, 5]])
    out = schedules.add_noise(c, x, torch.zeros_like(x), t)
    assert torch.allclose(out[1, 2], c.alpha_bar[5].sqrt().expand(4))
    assert schedules.add_noise(c, x.float(), torch.zeros_like(x).float(), 3).dtype == torch.float32


@pytest.mark.parametrize("call,needle", [
    (lambda s: schedules.add_noise(s, torch.zeros(3, 2), torch.zeros(3, 2), 10), r"t must be in \[0, 9\]"),
    (lambda s: schedules.add_noise(s, torch.zeros(3, 2), torch.zeros(3, 2), torch.tensor([0.5, 1, 2])), "integer"),
    (lambda s: schedules.add_noise(s, torch.zeros(3, 2), torch.zeros(3, 2), torch.tensor([0, 1])), "leading axes"),
    (lambda s: schedules.add_noise(s, torch.zeros(3, 2), torch.zeros(3, 3), 1), "shape of x0"),
    (lambda s: schedules.add_noise(s, torch.zeros(3, 2, dtype=torch.long), torch.zeros(3, 2), 1), "floating-point"),
    (lambda s: schedules.add_noise(s, torch.full((3, 2), float("nan")), torch.zeros(3, 2), 1), "finite"),
    (lambda s: schedules.reverse_step(s, torch.zeros(3, 2), torch.zeros(3, 2), 4), "noise"),
    (lambda s: schedules.reverse_step(s, torch.zeros(3, 2), torch.zeros(3, 2), torch.tensor([1, 2, 3])), "one int"),
    (lambda s: schedules.make_schedule(torch.tensor([0.1, 1.0])), r"\(0, 1\)"),
    (lambda s: schedules.make_schedule("quadratic"), "one of"),
    (lambda s: schedules.linear_betas(10), "beta_end"),
    (lambda s: schedules.cosine_betas(1), "T must be"),
])
def test_schedule_bad_inputs(call, needle):
    with pytest.raises(ValueError, match=needle):
        call(schedules.make_schedule("cosine", 10))
