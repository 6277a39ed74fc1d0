"""Notebook 18: the NT-Xent loss and its gradient against PyTorch, views, SimCLR and its probe."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.selfsupervised import contrastive, simclr, views
from tests.torch_twin import assert_close, torch_value_and_grads

SHAPES = [(2, 1, 0.5), (4, 3, 0.1), (16, 32, 0.5), (7, 5, 2.0), (5, 8, 1e-2)]


@pytest.mark.parametrize("N, D, tau", SHAPES)
def test_nt_xent_matches_cross_entropy_formulation_and_autograd(N, D, tau, rng):
    z1, z2 = rng.normal(size=(N, D)), rng.normal(size=(N, D))
    upstream = 1.7
    value, (g1, g2) = torch_value_and_grads(lambda a, b: contrastive.nt_xent_torch(a, b, tau) * upstream, z1, z2)
    loss, cache = contrastive.nt_xent_forward(z1, z2, tau)
    d1, d2 = contrastive.nt_xent_backward(upstream, cache)
    assert_close(loss * upstream, value, what="loss")
    assert_close(d1, g1, atol=1e-9, what="dz1")
    assert_close(d2, g2, atol=1e-9, what="dz2")


@pytest.mark.parametrize("N, D, tau", SHAPES[:3])
def test_nt_xent_is_the_mean_of_the_literal_per_anchor_formula(N, D, tau, rng):
    z1, z2 = rng.normal(size=(N, D)), rng.normal(size=(N, D))
    z = np.concatenate([z1, z2])
    pos = contrastive.positive_index(N)
    per_anchor = [contrastive.nt_xent_anchor(z[i], z[pos[i]], np.delete(z, [i, pos[i]], axis=0), tau)
                  for i in range(2 * N)]
    assert contrastive.nt_xent_forward(z1, z2, tau)[0] == pytest.approx(np.mean(per_anchor), abs=1e-10)


def test_nt_xent_gradient_central_differences(rng):
    z1, z2 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    _, cache = contrastive.nt_xent_forward(z1, z2, 0.3)
    d1, _ = contrastive.nt_xent_backward(1.0, cache)
    eps, numeric = 1e-6, np.zeros_like(z1)
    for idx in np.ndindex(z1.shape):
        plus, minus = z1.copy(), z1.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (contrastive.nt_xent_forward(plus, z2, 0.3)[0] - contrastive.nt_xent_forward(minus, z2, 0.3)[0]) / (2 * eps)
    assert_close(d1, numeric, atol=1e-7, what="central differences")


def test_nt_xent_edge_cases_stay_finite(rng):
    z = rng.normal(size=(4, 3))
    loss, cache = contrastive.nt_xent_forward(z, z, 1e-4)          # tiny tau: exp(1e4) without the shift
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in contrastive.nt_xent_backward(1.0, cache))
    big, _ = contrastive.nt_xent_forward(1e8 * z, 1e8 * z, 0.5)     # scale does not matter: cosines
    assert big == pytest.approx(contrastive.nt_xent_forward(z, z, 0.5)[0], rel=1e-9)
    # an embedding's length never matters: its gradient is orthogonal to it
    _, cache = contrastive.nt_xent_forward(z, rng.normal(size=(4, 3)), 0.5)
    d1, _ = contrastive.nt_xent_backward(1.0, cache)
    assert np.abs(np.sum(d1 * z, axis=1)).max() < 1e-12
    assert contrastive.nt_xent_backward(0.0, cache)[0].max() == 0.0


def test_nt_xent_exact_ties_match_torch():
    """Every cosine tied: identical rows make the positive no closer than any negative (loss log(2N - 1),
    zero gradient); rows repeated across the batch tie a positive with a negative."""
    same = np.ones((3, 2))
    repeated = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    for z1, z2 in ((same, same.copy()), (repeated, repeated[::-1].copy())):
        value, (g1, g2) = torch_value_and_grads(lambda a, b: contrastive.nt_xent_torch(a, b, 0.5), z1, z2)
        loss, cache = contrastive.nt_xent_forward(z1, z2, 0.5)
        d1, d2 = contrastive.nt_xent_backward(1.0, cache)
        assert_close(loss, value, what="loss")
        assert_close(d1, g1, atol=1e-12, what="dz1")
        assert_close(d2, g2, atol=1e-12, what="dz2")
    assert contrastive.nt_xent_forward(same, same, 0.5)[0] == pytest.approx(np.log(5), abs=1e-12)


def test_negative_weights_rows_sum_to_one_sorted_and_sharpen(rng):
    z1, z2 = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    w = contrastive.negative_weights(z1, z2, 0.1)
    assert w.shape == (12, 10)
    assert np.allclose(w.sum(axis=1), 1) and np.all(np.diff(w, axis=1) <= 0)
    assert contrastive.negative_weights(z1, z2, 0.05)[:, 0].mean() > contrastive.negative_weights(z1, z2, 1.0)[:, 0].mean()


@pytest.mark.parametrize("call, match", [
    (lambda: contrastive.nt_xent_forward(np.ones((3, 2)), np.ones((3, 3))), "z2 must have shape"),
    (lambda: contrastive.nt_xent_forward(np.ones((1, 2)), np.ones((1, 2))), "at least 2 images"),
    (lambda: contrastive.nt_xent_forward(np.zeros((2, 2)), np.ones((2, 2))), "zero vector"),
    (lambda: contrastive.nt_xent_forward(np.eye(2), np.eye(2), 0.0), "temperature"),
    (lambda: contrastive.nt_xent_forward(np.full((2, 2), np.nan), np.eye(2)), "finite"),
    (lambda: contrastive.nt_xent_torch(torch.ones(3, 2), torch.ones(2, 2)), r"shape \(N, D\)"),
    (lambda: contrastive.nt_xent_anchor(np.ones(2), np.ones(3), np.ones((1, 2))), "positive must have shape"),
])
def test_contrastive_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_views_strength_zero_is_the_identity_and_strength_is_checked(rng):
    images = rng.random((5, 8, 8))
    a, b = views.two_views(images, rng, strength=0.0)
    assert np.allclose(a, images) and np.allclose(b, images)
    c, d = views.two_views(images, rng, strength=1.0)
    assert c.shape == images.shape and not np.allclose(c, d)
    with pytest.raises(ValueError, match="strength"):
        views.view_params(1.5)
    with pytest.raises(ValueError, match="images"):
        views.augment_views(np.ones((8, 8)), rng)


def test_probe_task_split_and_labels():
    task = simclr.make_probe_task(seed=3)
    assert len(task.pool) + len(task.test) == 1797
    assert np.all(np.bincount(task.pool_labels[task.labelled]) == 9)
    with pytest.raises(ValueError, match="label_fraction"):
        simclr.make_probe_task(label_fraction=0.0)


def test_train_simclr_is_seeded_and_returns_a_history():
    images = simclr.make_probe_task().pool[:200]
    enc_a, _, hist_a = simclr.train_simclr(images, steps=3, batch_size=16, seed=1)
    enc_b, _, hist_b = simclr.train_simclr(images, steps=3, batch_size=16, seed=1)
    assert hist_a["step"] == [1, 2, 3] and hist_a["loss"] == hist_b["loss"]
    assert not enc_a.training
    feats = simclr.encode(enc_a, images[:7])
    assert feats.shape == (7, simclr.DigitEncoder.dim) and np.all(np.isfinite(feats))
    seen = []
    simclr.train_simclr(images, steps=2, batch_size=16, on_step=lambda step, rec: seen.append((step, rec["loss"])))
    assert [s for s, _ in seen] == [1, 2]
    with pytest.raises(ValueError, match="batch_size"):
        simclr.train_simclr(images, steps=1, batch_size=1)


def test_linear_probe_separable_features_and_bad_shapes(rng):
    y = np.repeat(np.arange(3), 10)
    F = np.eye(3)[y] * 5 + 0.01 * rng.normal(size=(30, 3))
    F = np.column_stack([F, np.ones(30)])                         # a constant column must not give 0/0
    assert simclr.linear_probe(F, y, F, y) == 1.0
    with pytest.raises(ValueError, match="test_features"):
        simclr.linear_probe(F, y, F[:, :2], y)
    with pytest.raises(ValueError, match="train_labels"):
        simclr.linear_probe(F, y[:5], F, y)


def test_sweep_shapes():
    s = simclr.sweep((0.5, 1.0), (0.0,), steps=2, batch_size=16)
    assert s.accuracy.shape == (2, 1) and set(s.models) == {(0, 0), (1, 0)}
    assert 0 <= s.accuracy.min() <= s.accuracy.max() <= 1
    with pytest.raises(ValueError, match="non-empty"):
        simclr.sweep((), (0.5,))
