"""Notebook 16: the denoiser and its loop, the VAE, the figures, the apps and player session, the exercises."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.apps.ch16_generative import NoiseLevelExplorer, ReverseProcessSession
from helpers.core.data import RingMixture
from helpers.core.figures import render_png
from helpers.exercises import ch16
from helpers.generative import denoiser as dn
from helpers.generative import plots, schedules, vae
from helpers.generative.latent import gaussian_kl
from helpers.ui.player import TrainingPlayer


# ----------------------------------------------------------------------------- denoiser
def test_embeddings_shapes_and_values():
    e = dn.time_embedding(torch.tensor([[0, 3], [7, 9]]), 6, 10)
    assert e.shape == (2, 2, 6) and torch.allclose(e[0, 0], torch.tensor([0, 0, 0, 1, 1, 1.0]))
    f = dn.fourier_features(torch.tensor([[0.5, -1.0]]), 2)
    assert f.shape == (1, 10) and torch.allclose(f[0, 2:4], torch.sin(torch.tensor([0.5, 1.0])))
    with pytest.raises(ValueError, match="even"):
        dn.time_embedding(torch.tensor([1]), 5, 10)


def test_denoiser_members_are_independent_and_shapes_are_checked():
    net = dn.Denoiser(2, T=10, hidden=8, depth=2, n_freq=2, members=3, generator=torch.Generator().manual_seed(0))
    x, t = torch.randn(3, 4, 2), torch.randint(0, 10, (3, 4))
    out = net(x, t)
    x2 = x.clone()
    x2[1] += 1.0                                                           # change member 1's input only
    out2 = net(x2, t)
    assert torch.equal(out[0], out2[0]) and torch.equal(out[2], out2[2]) and not torch.equal(out[1], out2[1])
    with pytest.raises(ValueError, match="x_t must have shape"):
        net(torch.randn(4, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="t must have shape"):
        net(x, torch.zeros(3, dtype=torch.long))


def test_train_denoiser_is_seeded_and_learns():
    ring, sched = RingMixture(), schedules.make_schedule("linear", 50)

    def run():
        net = dn.Denoiser(2, T=50, hidden=16, depth=2, generator=torch.Generator().manual_seed(1))
        seen = []
        h = dn.train_denoiser(net, sched, ring.sample, steps=60, batch_size=32, seed=1,
                              on_step=lambda step, rec: seen.append(step))
        return net, h, seen

    (net, h, seen), (_, h2, _) = run(), run()
    assert h == h2 and h["step"] == list(range(1, 61)) == seen
    assert np.mean(h["loss"][-10:]) < np.mean(h["loss"][:10])               # the loss falls
    x, kept = dn.sample(net, sched, 7, seed=3, keep=(49, 5))
    assert x.shape == (7, 2) and set(kept) == {49, 5} and torch.isfinite(x).all()
    with pytest.raises(ValueError, match="sample_data must return"):
        dn.train_denoiser(net, sched, lambda n, g: torch.zeros(n, 3), steps=1)


def test_whitened_pca_round_trip():
    rng = np.random.default_rng(0)
    X = np.clip(rng.uniform(size=(200, 64)), 0, 1)
    codec = dn.WhitenedPCA.fit(X, 64)
    codes = codec.encode(X)
    assert codes.shape == (200, 64) and np.allclose(codes.double().numpy().std(axis=0, ddof=1), 1, atol=1e-4)
    assert np.allclose(codec.decode(codes), X, atol=1e-5)


# ----------------------------------------------------------------------------- VAE
def test_vae_loss_is_bce_plus_beta_kl():
    model = vae.VAE(latent_dim=2, hidden=8, members=2, generator=torch.Generator().manual_seed(0))
    x = torch.rand(2, 5, 64)
    loss, recon, kl = vae.vae_loss(model, x, torch.tensor([0.5, 2.0]), torch.Generator().manual_seed(3))
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    logits = model.decode(mu + torch.exp(0.5 * logvar) * eps)
    want_recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1).mean(-1)
    want_kl = gaussian_kl(mu, logvar).mean(-1)
    assert torch.allclose(recon, want_recon.detach()) and torch.allclose(kl, want_kl.detach())
    assert torch.allclose(loss, (want_recon + torch.tensor([0.5, 2.0]) * want_kl).sum())


def test_train_vae_history_views_and_log_likelihood():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(40, 64))
    model = vae.VAE(hidden=8, members=2, generator=torch.Generator().manual_seed(0))
    h = vae.train_vae(model, X, [0.5, 1.0], steps=5, batch_size=8, seed=0)
    assert set(h) == {"step", "loss", "recon", "kl"} and len(h["recon"][0]) == 2
    views = vae.describe_vae(model, X[:10], [0.5, 1.0], grid=3, n_samples=4)
    assert [v.beta for v in views] == [0.5, 1.0]
    assert views[0].codes.shape == (10, 2) and views[0].grid.shape == (24, 24) and views[0].samples.shape == (4, 64)
    ll = vae.log_likelihood(model, torch.tensor(X[0], dtype=torch.float32), torch.zeros(3, 2), member=1)
    assert ll.shape == (3,) and torch.all(ll < 0)
    with pytest.raises(ValueError, match=r"pixel values in \[0, 1\]"):
        vae.train_vae(model, X * 2, [0.5, 1.0], steps=1)
    with pytest.raises(ValueError, match="betas must have shape"):
        vae.train_vae(model, X, [1.0], steps=1)


def test_plots_build():
    s = {"linear": schedules.make_schedule("linear", 50), "cosine": schedules.make_schedule("cosine", 50)}
    assert render_png(plots.plot_schedules(s)).startswith(b"\x89PNG")
    a, b = np.random.default_rng(0).normal(size=(2, 100, 2))
    assert render_png(plots.plot_estimator_spread(a, 30 * b)).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="NoiseSchedule"):
        plots.plot_schedules({"x": 1})


# ----------------------------------------------------------------------------- apps and the player
@pytest.fixture(scope="module")
def untrained():
    return (dn.Denoiser(2, T=20, hidden=8, depth=2, n_freq=2, generator=torch.Generator().manual_seed(0)),
            schedules.make_schedule("cosine", 20), RingMixture())


def test_noise_level_explorer_precomputes_the_estimate(untrained):
    model, sched, ring = untrained
    app = NoiseLevelExplorer(model, sched, ring, n=30)
    status = app.update(t=7)
    assert "t = 7" in status and "this notebook" in status
    x_t = torch.tensor(app.x_t[7])
    with torch.no_grad():
        eps = model(x_t.float(), torch.full((30,), 7)).double()
    assert np.allclose(app.x0_hat[7], schedules.predict_x0(sched, x_t, eps, 7).numpy(), atol=1e-5)
    assert "almost pure noise" in app.update(t=19) and "barely any noise" in app.update(t=0)
    with pytest.raises(ValueError, match="schedule must be"):
        NoiseLevelExplorer(model, schedules.make_schedule("linear", 30), ring)


def test_reverse_process_session_steps_resets_and_finishes(untrained):
    model, sched, ring = untrained
    session = ReverseProcessSession(model, sched, ring, n=40)
    player = TrainingPlayer(session, lr=None, max_steps=100)
    assert "press play" in session.draw()
    player.run(5)
    first = session.x.clone()
    assert session.t == 14 and len(session.near) == 5
    player.reset()
    player.run(5)
    assert torch.equal(session.x, first)                                   # reset replays the same noise
    player.run(30)
    assert session.done and "finished at t = 0" in session.draw()
    x_end = session.x.clone()
    session.step(None)                                                     # past the end: nothing moves
    assert torch.equal(session.x, x_end)
    session.controls["noise_scale"].value = 0.0
    player.reset()
    player.run(3)
    assert "no fresh noise" in session.draw()
    assert render_png(session.fig).startswith(b"\x89PNG") and torch.isfinite(session.x).all()
    session.controls["noise_scale"].value = 1.5
    assert "more noise" in session.draw()


def test_noise_scale_zero_is_deterministic(untrained):
    model, sched, ring = untrained
    a, b = ReverseProcessSession(model, sched, ring, n=10, seed=0), ReverseProcessSession(model, sched, ring, n=10, seed=0)
    for s in (a, b):
        s.controls["noise_scale"].value = 0.0
        s.x = torch.zeros(10, 2)
        for _ in range(20):
            s.step(None)
    assert torch.equal(a.x, b.x) and torch.isfinite(a.x).all()


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check,solution,wrong,message", [
    (ch16.check_gaussian_kl, ch16.solution_gaussian_kl,
     lambda mu, lv: np.sum(np.exp(lv) + mu ** 2 - 1 - lv, axis=-1), "factor 1/2"),
    (ch16.check_gaussian_kl, ch16.solution_gaussian_kl,
     lambda mu, lv: 0.5 * (np.exp(lv) + mu ** 2 - 1 - lv), "sum over the latent axis"),
    (ch16.check_add_noise, ch16.solution_add_noise,
     lambda x0, e, ab: ab * x0 + (1 - ab) * e, "square roots"),
    (ch16.check_add_noise, ch16.solution_add_noise,
     lambda x0, e, ab: np.sqrt(ab) * x0 + (1 - ab) * e, "√(1 − ᾱ_t)"),
    (ch16.check_reverse_step, ch16.solution_reverse_step,
     lambda x, e, z, b, ab, abp: ch16.solution_reverse_step(x, e, 0 * z, b, ab, abp), "posterior mean"),
    (ch16.check_reverse_step, ch16.solution_reverse_step,
     lambda x, e, z, b, ab, abp: ch16.solution_reverse_step(x, e, 0 * z, b, ab, abp) + np.sqrt(b) * z, "β̃_t"),
])
def test_checks_accept_solutions_and_reject_wrong_answers(capsys, check, solution, wrong, message):
    assert check(solution).ok
    feedback = check(wrong)
    assert not feedback.ok and message in feedback.message
    assert "hint" in feedback.message                                       # a hint after a wrong attempt


def test_unattempted_exercise_gets_no_hint():
    feedback = ch16.check_add_noise(lambda x0, e, ab: ...)
    assert not feedback.ok and "not attempted" in feedback.message and "hint" not in feedback.message
