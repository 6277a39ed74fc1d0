"""GAN players, training loop, metrics, the chapter's widgets and exercises (helpers.gan.models,
helpers.gan.train, helpers.gan.metrics, helpers.apps.ch12_gan, helpers.exercises.ch12)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.core.data import RingMixture
from helpers.gan import metrics as gm
from helpers.gan import plots as gan_plots
from helpers.apps.ch12_gan import GANTrainingSession, GeneratorLossExplorer, LatentInterpolation
from helpers.exercises import ch12
from helpers.gan.models import Discriminator, Generator, ParallelLinear
from helpers.gan.train import (ArraySampler, GANConfig, GANTrainer, SampleView, digit_gan_config,
                               tiny_digit_generator, train_gan)
from helpers.ui.player import TrainingPlayer
from helpers.core.figures import render_png


# ----------------------------------------------------------------------------- models
@pytest.mark.parametrize("members,n,d_in,d_out", [(1, 1, 1, 1), (3, 5, 4, 2), (7, 16, 64, 9)])
def test_parallel_linear_is_one_linear_layer_per_member(members, n, d_in, d_out):
    layer = ParallelLinear(d_in, d_out, members, torch.Generator().manual_seed(0)).double()
    x = torch.randn(members, n, d_in, dtype=torch.float64)
    out = layer(x)
    assert out.shape == (members, n, d_out)
    for s in range(members):
        ref = F.linear(x[s], layer.weight[s].T, layer.bias[s, 0])
        assert torch.allclose(out[s], ref, atol=1e-12)
    bound = 1 / math.sqrt(d_in)
    assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound


def test_members_are_independent():
    """The loss of member 0 gives no gradient to the weights of member 1 (no shared numbers)."""
    D = Discriminator(in_dim=2, hidden=8, members=3)
    out = D(torch.randn(3, 10, 2))
    out[0].sum().backward()
    for p in D.parameters():
        assert p.grad[0].abs().sum() > 0 and p.grad[1:].abs().sum() == 0


def test_model_shapes():
    g = Generator(z_dim=3, out_dim=5, members=1)
    assert g(torch.zeros(4, 3)).shape == (4, 5)
    assert g.sample(6).shape == (6, 5)
    g4 = Generator(z_dim=3, out_dim=2, members=4, out_activation="sigmoid")
    x = g4.sample(7)
    assert x.shape == (4, 7, 2) and float(x.min()) >= 0 and float(x.max()) <= 1
    d4 = Discriminator(in_dim=2, members=4)
    assert d4(x).shape == (4, 7)
    assert d4(torch.zeros(7, 2)).shape == (4, 7)  # shared points, one score per member
    assert Discriminator(in_dim=2)(torch.zeros(7, 2)).shape == (7,)


def test_models_reject_bad_shapes_and_settings():
    with pytest.raises(ValueError, match=r"expects input \(N, 2\) or \(1, N, 2\), got \(3, 5\)"):
        Discriminator(in_dim=2)(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"expects input of shape \(S=2, N, D_in=3\), got \(1, 4, 3\)"):
        ParallelLinear(3, 1, members=2)(torch.zeros(1, 4, 3))
    with pytest.raises(ValueError, match=r"out_activation must be one of .*got 'softmax'"):
        Generator(out_activation="softmax")
    with pytest.raises(ValueError, match=r"members must be in \[1, inf\], got 0"):
        ParallelLinear(2, 2, members=0)


# ----------------------------------------------------------------------------- training
def _ring_trainer(**kw):
    return GANTrainer(GANConfig(batch_size=16, hidden=16, **kw), RingMixture().sample)


@pytest.mark.parametrize("loss", ["vanilla", "minimax", "wgan-gp"])
def test_trainer_is_seeded_and_finite(loss):
    a, b = _ring_trainer(loss=loss, seed=3), _ring_trainer(loss=loss, seed=3)
    for _ in range(4):
        la, lb = a.step(), b.step()
        assert la == lb and all(math.isfinite(v) for v in la.values())
    assert np.array_equal(a.sample(10), b.sample(10))
    a.reset()
    assert a.steps == 0


def test_trainer_members_and_lr_change():
    t = _ring_trainer(loss="wgan-gp", members=3, n_critic=2)
    t.step(lr=0.01)
    assert all(g["lr"] == 0.01 for opt in (t.opt_d, t.opt_g) for g in opt.param_groups)
    assert t.sample(5).shape == (3, 5, 2)


def test_train_gan_headless_returns_history():
    t = _ring_trainer()
    hist = train_gan(t, 6, live=False, progress=False)
    assert len(hist["d_loss"]) == len(hist["g_loss"]) == 6 and t.steps == 6


def test_sample_views_update_in_place():
    ring_view = SampleView(_ring_trainer(), real=RingMixture().sample_numpy(20), n=30)
    before = render_png(ring_view.fig)
    ring_view.trainer.step()
    ring_view.refresh()
    assert render_png(ring_view.fig) != before
    X = np.random.default_rng(0).uniform(size=(40, 64))
    img_view = SampleView(GANTrainer(digit_gan_config(batch_size=8, hidden=16), ArraySampler(X)))
    assert len(img_view.artists) == 24 and render_png(img_view.fig).startswith(b"\x89PNG")


def test_config_and_sampler_validation():
    with pytest.raises(ValueError, match=r"loss must be one of \['vanilla', 'minimax', 'wgan-gp'\], got 'hinge'"):
        GANConfig(loss="hinge")
    with pytest.raises(ValueError, match=r"batch_size must be in \[1, inf\], got 0"):
        GANConfig(batch_size=0)
    with pytest.raises(ValueError, match="config must be a GANConfig, got dict"):
        GANTrainer({}, RingMixture().sample)
    with pytest.raises(ValueError, match=r"sample_real must return shape \(16, 2\), got \(16, 3\)"):
        GANTrainer(GANConfig(batch_size=16), lambda n, g: torch.zeros(n, 3)).step()
    with pytest.raises(ValueError, match=r"X must have 2 dimension\(s\)"):
        ArraySampler(np.zeros(5))


# ----------------------------------------------------------------------------- metrics
def test_mode_coverage_on_known_samples():
    ring = RingMixture(std=0.05)
    real = mode = gm.mode_coverage(ring.sample_numpy(4000), ring.centers, ring.std)
    assert real.all_covered and real.quality > 0.95 and str(real).startswith("8/8 modes covered")
    one_mode = np.repeat(ring.centers[:1], 100, axis=0)
    mode = gm.mode_coverage(one_mode, ring.centers, ring.std)
    assert (mode.covered, mode.quality) == (1, 1.0) and mode.counts[0] == 1.0
    far = gm.mode_coverage(np.full((50, 2), 10.0), ring.centers, ring.std)
    assert (far.covered, far.quality) == (0, 0.0)


def test_mode_coverage_threshold_is_a_share_of_all_samples():
    ring = RingMixture(modes=4, std=0.1)
    samples = np.vstack([np.repeat(ring.centers[:1], 97, axis=0), ring.centers[1:2]])  # 97 + 1 points
    assert gm.mode_coverage(samples, ring.centers, ring.std, min_fraction=0.01).covered == 2
    assert gm.mode_coverage(samples, ring.centers, ring.std, min_fraction=0.02).covered == 1


def test_classifier_scores():
    perfect = np.eye(10)[np.arange(100) % 10]
    s = gm.classifier_scores(perfect)
    assert (s.confidence, s.classes) == (1.0, 10) and math.isclose(s.entropy_bits, math.log2(10))
    one = gm.classifier_scores(np.tile(np.full(10, 0.1), (5, 1)))
    assert one.classes == 1 and one.entropy_bits == 0 and math.isclose(one.confidence, 0.1)


@given(arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(2, 10)), elements=st.floats(-20, 20)))
def test_classifier_scores_ranges(logits):
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    s = gm.classifier_scores(probs)
    k = probs.shape[1]
    assert 1 / k - 1e-12 <= s.confidence <= 1 + 1e-12
    assert 0 <= s.entropy_bits <= math.log2(k) + 1e-9 and 1 <= s.classes <= k


@given(st.floats(0, 1), st.integers(0, 1000))
def test_slerp_keeps_the_norm_and_hits_the_ends(t, seed):
    rng = np.random.default_rng(seed)
    z0, z1 = rng.normal(size=8), rng.normal(size=8)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)  # same norm
    mid = gm.interpolate_latent(z0, z1, t, "slerp")
    assert math.isclose(np.linalg.norm(mid), np.linalg.norm(z0), rel_tol=1e-9)
    ends = gm.interpolate_latent(z0, z1, np.array([0.0, 1.0]), "slerp")
    assert np.allclose(ends, [z0, z1])
    assert np.allclose(gm.interpolate_latent(z0, z1, t), (1 - t) * z0 + t * z1)


def test_slerp_of_parallel_vectors_falls_back_to_linear():
    z = np.array([1.0, 2.0])
    assert np.allclose(gm.interpolate_latent(z, 2 * z, 0.5, "slerp"), 1.5 * z)


def test_metric_bad_inputs():
    ring = RingMixture()
    with pytest.raises(ValueError, match=r"centers must have shape \(\*, 3\), got \(8, 2\)"):
        gm.mode_coverage(np.zeros((5, 3)), ring.centers, 0.1)
    with pytest.raises(ValueError, match=r"min_fraction must be in \(0.0, 1.0\], got 0"):
        gm.mode_coverage(np.zeros((5, 2)), ring.centers, 0.1, min_fraction=0)
    with pytest.raises(ValueError, match=r"probs must be probabilities .*row sums in \[2, 2\]"):
        gm.classifier_scores(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"t must lie in \[0, 1\], got values in \[-0.5, 1.0\]"):
        gm.interpolate_latent(np.zeros(2), np.ones(2), np.array([-0.5, 1.0]))
    with pytest.raises(ValueError, match=r"std must be in \(0.0, inf\], got 0"):
        RingMixture(std=0)


def test_plots_build_and_validate():
    ring = RingMixture()
    runs = {"a": np.stack([ring.sample_numpy(50, seed=s) for s in range(3)]), "b": np.zeros((2, 50, 2))}
    fig = gan_plots.plot_ring_runs(runs, ring)
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "run 1: 8/8" and fig.axes[3].get_title() == "run 1: 0/8"
    grid = gan_plots.plot_digit_grid(np.zeros((12, 64)), np.arange(12), cols=5, title="t")
    assert len(grid.axes) == 15 and grid.axes[11].get_title() == "11"
    with pytest.raises(ValueError, match=r"samples\['a'\] must have shape \(\*, \*, 2\), got \(1, 5, 3\)"):
        gan_plots.plot_ring_runs({"a": np.zeros((1, 5, 3))}, ring)
    with pytest.raises(ValueError, match=r"labels must have shape \(2\), got \(3,\)"):
        gan_plots.plot_digit_grid(np.zeros((2, 8, 8)), np.arange(3))


# ----------------------------------------------------------------------------- widgets
def test_training_session_in_the_player():
    player = TrainingPlayer(GANTrainingSession(loss="vanilla", batch_size=32), lr=2e-3, lr_range=(1e-5, 0.1))
    assert "untrained" in player.run(0)
    status = player.run(5)
    assert "modes covered" in status and player.step_count == 5 and len(player.losses) == 5
    player.lr_slider.value = 1e-4  # takes effect at the next step
    player.run(1)
    assert player.session.trainer.opt_g.param_groups[0]["lr"] == pytest.approx(1e-4)
    player.reset()
    assert player.session.trainer.steps == 0 and player.session.history["d_loss"] == []


def test_watching_a_run_does_not_change_it():
    watched, unwatched = GANTrainingSession(batch_size=16), GANTrainingSession(batch_size=16)
    view = SampleView(watched.trainer, n=10)
    for _ in range(3):
        watched.step(1e-3)
        watched.draw()
        view.refresh()
        unwatched.step(1e-3)
    assert watched.history == unwatched.history


def test_wgan_session_draws_relative_critic_scores():
    session = GANTrainingSession(loss="wgan-gp", batch_size=16)
    session.step(1e-3)
    assert "wgan-gp GAN" in session.draw()
    image = session.image.get_array()
    assert float(image.min()) >= 0 and float(image.max()) <= 1


def test_generator_loss_explorer_reports_the_ratio():
    app = GeneratorLossExplorer()
    status = app.update(logit=-9.0)
    assert "stronger" in status and "minimax 1.23e-04" in status
    assert "weaker" not in app.update(logit=0.0)


def test_latent_interpolation_with_a_given_generator_and_classifier():
    G = Generator(z_dim=16, out_dim=64, out_activation="sigmoid")
    app = LatentInterpolation(G, classifier=lambda x: np.tile(np.eye(10)[3], (len(x), 1)))
    status = app.update(t=1.0, seed_start=2, seed_end=2, path="linear")
    assert "reads a 3 (p = 1.00)" in status and "same seed" in status and "trained in this notebook" in status
    with pytest.raises(ValueError, match="one-member Generator with 64 outputs"):
        LatentInterpolation(Generator(z_dim=2, out_dim=2))


def test_tiny_digit_generator_is_deterministic():
    a, b = tiny_digit_generator(steps=3), tiny_digit_generator(steps=3)
    z = torch.zeros(2, 16)
    assert torch.equal(a(z), b(z))


# ----------------------------------------------------------------------------- exercises
def _stub(*_args):
    return ...


@pytest.mark.parametrize("check,solution,wrong,message", [
    (ch12.check_optimal_discriminator, ch12.solution_optimal_discriminator,
     lambda p_data, p_g: p_g / (p_data + p_g), "probability of *fake*"),
    (ch12.check_generator_loss, ch12.solution_generator_loss,
     lambda f: -np.mean(np.log(1 / (1 + np.exp(-f)))), "not finite"),
    (ch12.check_generator_loss, ch12.solution_generator_loss,
     lambda f: -ch12.solution_generator_loss(f), "sign is flipped"),
    (ch12.check_linear_penalty, ch12.solution_linear_penalty,
     lambda w, lam: lam * (np.sum(w ** 2) - 1) ** 2, "squared norm"),
    (ch12.check_linear_penalty, ch12.solution_linear_penalty,
     lambda w, lam: (np.linalg.norm(w) - 1) ** 2, "differs from the expected value"),
])
def test_checks_accept_solutions_and_reject_wrong_answers(capsys, check, solution, wrong, message):
    assert check(solution)
    assert "✅" in capsys.readouterr().out
    feedback = check(wrong)
    assert not feedback and message in feedback.message
    stub = check(_stub)
    assert not stub and "not attempted yet" in stub.message


def test_sample_view_alt_text_says_what_and_when():
    trainer = GANTrainer(digit_gan_config(hidden=16, seed=0), ArraySampler(np.random.default_rng(0).random((32, 64))))
    view = SampleView(trainer, rows=1, cols=2)
    assert "2 images" in view.alt_text() and "0 generator steps" in view.alt_text()
    ring = GANTrainer(GANConfig(hidden=8, seed=0), RingMixture().sample)
    assert "generated points" in SampleView(ring, n=10).alt_text()


@pytest.mark.parametrize("check, solution, wrong", [
    (ch12.check_optimal_discriminator, ch12.solution_optimal_discriminator, lambda p, q: p * 0 + 0.5),
    (ch12.check_generator_loss, ch12.solution_generator_loss, lambda f: float(np.mean(f))),
    (ch12.check_linear_penalty, ch12.solution_linear_penalty, lambda w, lam: 0.0),
])
def test_ch12_hints_come_gentle_then_stronger(check, solution, wrong):
    assert check(solution)  # a correct answer resets the count of wrong attempts
    first, second = check(wrong), check(wrong)
    assert "\n   hint:" in first.message and "stronger hint:" in second.message
    assert first.message.split("hint:")[1] != second.message.split("hint:")[1]
    assert "hint" not in check(lambda *args: ...).message.split("not attempted yet")[1]
