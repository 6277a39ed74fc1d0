"""Notebook 15: embeddings, the recommender, PCA vs sklearn, subspaces vs scipy, autoencoders,
transfer learning helpers, the explorer and the exercises."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA as SkPCA
from sklearn.metrics import mean_squared_error
from sklearn.neighbors import NearestNeighbors

from helpers.representation import autoencoder, embeddings, pca, recommender, transfer
from helpers.apps.ch15_representation import ComponentsExplorer
from helpers.exercises import ch15
from torch_twin import assert_close, torch_value_and_grads


# ----------------------------------------------------------------------------- embedding lookup
@pytest.mark.parametrize("V,D,idx_shape", [(1, 1, (1,)), (5, 3, ()), (5, 3, (7,)), (10, 4, (3, 6)), (4, 2, (2, 3, 5))])
def test_embedding_forward_and_backward_match_torch(V, D, idx_shape):
    rng = np.random.default_rng(V * 10 + D)
    W = rng.normal(size=(V, D))
    idx = rng.integers(0, V, idx_shape)               # with this many draws, ids repeat
    upstream = rng.normal(size=idx_shape + (D,))
    value, grads = torch_value_and_grads(lambda w, i: F.embedding(i, w), W, idx, upstream=upstream,
                                         requires_grad=[True, False])
    out, cache = embeddings.embedding_forward(W, idx)
    assert_close(out, value, what="lookup")
    assert_close(embeddings.embedding_backward(upstream, cache), grads[0], what="d L / d W")


def test_embedding_backward_accumulates_repeats_and_leaves_unused_rows_zero():
    g = embeddings.embedding_backward(np.ones((4, 3)), embeddings.EmbeddingCache(np.array([2, 2, 0, 2]), 4))
    assert np.array_equal(g[:, 0], [1.0, 0.0, 3.0, 0.0])


def test_embedding_matches_nn_embedding_module():
    torch.manual_seed(0)
    table = torch.nn.Embedding(6, 4)
    idx = np.array([[0, 5, 5], [1, 0, 3]])
    out = table(torch.as_tensor(idx))
    up = torch.randn(out.shape)
    out.backward(up)
    W = table.weight.detach().numpy().astype(np.float64)
    ours, cache = embeddings.embedding_forward(W, idx)
    assert np.allclose(ours, out.detach().numpy(), atol=1e-7)
    assert np.allclose(embeddings.embedding_backward(up.numpy(), cache), table.weight.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("call,needle", [
    (lambda: embeddings.embedding_forward(np.zeros((3, 2)), np.array([0, 3])), "[0, 2]"),
    (lambda: embeddings.embedding_forward(np.zeros((3, 2)), np.array([0.5])), "integers"),
    (lambda: embeddings.embedding_forward(np.zeros(3), np.array([0])), "2 dimension"),
    (lambda: embeddings.embedding_backward(np.zeros((3, 2)), embeddings.EmbeddingCache(np.array([0, 1]), 4)), "(2, 'D')"),
    (lambda: embeddings.embedding_backward(np.zeros((1, 2)), embeddings.EmbeddingCache(np.array([-1]), 4)), "got values from -1"),
])
def test_embedding_bad_inputs(call, needle):
    with pytest.raises(ValueError, match="got") as info:
        call()
    assert needle in str(info.value)


def test_nearest_neighbours_match_sklearn_cosine():
    V = np.random.default_rng(1).normal(size=(40, 6))
    ours = embeddings.nearest_neighbours(V, k=4)
    nn = NearestNeighbors(n_neighbors=5, metric="cosine").fit(V)
    theirs = nn.kneighbors(V, return_distance=False)[:, 1:]            # drop the point itself
    assert np.array_equal(ours, theirs)


def test_same_genre_rate_and_chance():
    labels = np.repeat([0, 1, 2], 4)
    clustered = np.eye(3)[labels] + 0.01 * np.random.default_rng(0).normal(size=(12, 3))
    assert embeddings.same_genre_rate(clustered, labels, k=3) == 1.0
    brute = np.mean([np.mean([labels[j] == labels[i] for j in range(12) if j != i]) for i in range(12)])
    assert np.isclose(embeddings.chance_same_genre(labels), brute)
    with pytest.raises(ValueError, match="k must be in"):
        embeddings.same_genre_rate(clustered, labels, k=12)


# ----------------------------------------------------------------------------- recommender
def test_make_ratings_is_deterministic_and_well_formed():
    a, b, c = recommender.make_ratings(seed=3), recommender.make_ratings(seed=3), recommender.make_ratings(seed=4)
    assert np.array_equal(a.train_ratings, b.train_ratings) and np.array_equal(a.item_genre, b.item_genre)
    assert not np.array_equal(a.train_ratings[:50], c.train_ratings[:50])
    for r in (a.train_ratings, a.test_ratings):
        assert r.min() >= 1.0 and r.max() <= 5.0
    train = set(zip(a.train_users.tolist(), a.train_items.tolist()))
    test = set(zip(a.test_users.tolist(), a.test_items.tolist()))
    assert not train & test and len(test) == len(a.test_ratings)
    assert abs(len(test) / (len(test) + len(train)) - 0.2) < 0.01
    assert np.array_equal(np.bincount(a.item_genre), [30] * 5)


def test_rmse_matches_sklearn_and_rejects_mismatch():
    rng = np.random.default_rng(0)
    p, t = rng.normal(size=20), rng.normal(size=20)
    assert np.isclose(recommender.rmse(p, t), np.sqrt(mean_squared_error(t, p)))
    with pytest.raises(ValueError, match=r"shape \(20\), got \(19,\)"):
        recommender.rmse(p[:19], t)


def test_fit_biases_reaches_the_ridge_optimum():
    data = recommender.make_ratings(n_users=60, n_items=40, seed=1)
    reg = 3.0
    mu, bu, bi = recommender.fit_biases(data, reg=reg, sweeps=200)
    u, i, r = data.train_users, data.train_items, data.train_ratings
    resid = r - mu - bu[u] - bi[i]
    # gradient of sum(resid^2) + reg (|bu|^2 + |bi|^2) w.r.t. each bias is zero at the optimum
    assert np.abs(-2 * np.bincount(u, resid, 60) + 2 * reg * bu).max() < 1e-8
    assert np.abs(-2 * np.bincount(i, resid, 40) + 2 * reg * bi).max() < 1e-8
    pred = recommender.predict_biases((mu, bu, bi), u, i)
    assert np.allclose(pred, mu + bu[u] + bi[i])


def test_matrix_factorization_forward_is_the_formula():
    model = recommender.MatrixFactorization(4, 3, dim=2, mu=3.0, seed=0)
    with torch.no_grad():
        model.b_user.weight.copy_(torch.tensor([[0.1], [0.2], [0.3], [0.4]]))
    users, items = np.array([0, 3, 3]), np.array([2, 0, 2])
    P, Q = model.P.weight.detach().numpy(), model.Q.weight.detach().numpy()
    want = 3.0 + model.b_user.weight.detach().numpy()[users, 0] + np.sum(P[users] * Q[items], axis=1)
    assert np.allclose(recommender.predict_mf(model, users, items), want, atol=1e-6)
    with pytest.raises(ValueError, match="item ids in \\[0, 2\\]"):
        recommender.predict_mf(model, users, np.array([0, 1, 3]))


def test_small_mf_is_deterministic_and_beats_baselines():
    data = recommender.make_ratings(n_users=120, n_items=60, density=0.3, seed=2)
    m1, l1 = recommender.train_mf(data, dim=5, steps=150)
    _, l2 = recommender.train_mf(data, dim=5, steps=150)
    assert l1 == l2 and l1["loss"][-1] < l1["loss"][0] and l1["step"] == list(range(1, 151))
    test = data.test_ratings
    mf = recommender.rmse(recommender.predict_mf(m1, data.test_users, data.test_items), test)
    bias = recommender.rmse(recommender.predict_biases(recommender.fit_biases(data), data.test_users,
                                                       data.test_items), test)
    assert mf < bias < recommender.rmse(np.full(len(test), data.train_ratings.mean()), test)


@pytest.mark.parametrize("kwargs,needle", [(dict(density=0.0), "density"), (dict(n_items=3), "n_items"),
                                           (dict(test=1.5), "test")])
def test_make_ratings_bad_arguments(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        recommender.make_ratings(**kwargs)


# ----------------------------------------------------------------------------- PCA
@pytest.mark.parametrize("N,D,k", [(50, 5, 2), (200, 10, 10), (30, 64, 5), (8, 3, 1)])
def test_pca_matches_sklearn_up_to_sign(N, D, k):
    rng = np.random.default_rng(N + D)
    X = rng.normal(size=(N, D)) @ rng.normal(size=(D, D)) + rng.normal(size=D) * 5
    ours, sk = pca.fit_pca(X, k), SkPCA(n_components=k, svd_solver="full").fit(X)
    cos = np.abs(np.sum(ours.components * sk.components_, axis=1))
    assert np.allclose(cos, 1.0, atol=1e-8)
    assert np.allclose(ours.explained_variance, sk.explained_variance_, rtol=1e-8, atol=1e-12)
    assert np.allclose(ours.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-8, atol=1e-12)
    assert np.allclose(np.abs(ours.transform(X)), np.abs(sk.transform(X)), atol=1e-8)
    assert np.allclose(ours.reconstruct(X), sk.inverse_transform(sk.transform(X)), atol=1e-8)


def test_pca_components_orthonormal_signed_and_error_is_trailing_variance():
    X = np.random.default_rng(0).normal(size=(100, 6)) * np.arange(1, 7)
    full, top = pca.fit_pca(X), pca.fit_pca(X, 2)
    assert np.allclose(full.components @ full.components.T, np.eye(6), atol=1e-12)
    rows = np.arange(6)
    assert np.all(full.components[rows, np.argmax(np.abs(full.components), axis=1)] > 0)
    err = autoencoder.reconstruction_error(X, top.reconstruct(X))
    assert np.isclose(err, full.explained_variance[2:].sum() * 99 / 100)


@pytest.mark.parametrize("call,needle", [
    (lambda: pca.fit_pca(np.zeros((5, 3)), k=4), "k must be in [1, 3]"),
    (lambda: pca.fit_pca(np.zeros((1, 3))), "at least 2 rows"),
    (lambda: pca.fit_pca(np.zeros(5)), "2 dimension"),
    (lambda: pca.fit_pca(np.zeros((5, 3)), 2).transform(np.zeros((4, 2))), "shape (*, 3), got (4, 2)"),
    (lambda: pca.principal_angles(np.eye(4)[:, :2], np.eye(4)[:, :3]), "(4, 2) and (4, 3)"),
    (lambda: pca.orthonormal_basis(np.ones((4, 2))), "linearly dependent"),
    (lambda: pca.orthonormal_basis(np.ones((2, 4))), "at most as many columns"),
])
def test_pca_bad_inputs(call, needle):
    with pytest.raises(ValueError, match="got|linearly") as info:
        call()
    assert needle in str(info.value)


@pytest.mark.parametrize("D,k,seed", [(5, 1, 0), (8, 3, 1), (64, 10, 2)])
def test_principal_angles_match_scipy(D, k, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(D, k)), rng.normal(size=(D, k))
    assert np.allclose(pca.principal_angles(A, B), np.sort(scipy.linalg.subspace_angles(A, B)), atol=1e-10)
    theta = pca.principal_angles(A, B)
    assert np.isclose(pca.projector_distance(A, B), np.sqrt(np.mean(np.sin(theta) ** 2)))


def test_subspace_is_invariant_to_an_invertible_mix():
    rng = np.random.default_rng(4)
    A, M = rng.normal(size=(10, 3)), rng.normal(size=(3, 3)) + 3 * np.eye(3)
    assert pca.projector_distance(A, A @ M) < 1e-10
    assert np.max(pca.principal_angles(A, A @ M)) < 1e-7   # small angles are accurate (from the sine)
    P = pca.projector(A)
    assert np.allclose(P @ P, P) and np.allclose(P, P.T) and np.allclose(P @ A, A)
    assert np.isclose(pca.projector_distance(np.eye(4)[:, :2], np.eye(4)[:, 2:]), 1.0)


# ----------------------------------------------------------------------------- autoencoders
def _digits_centred():
    from helpers.core.data import load_digits

    X, _ = load_digits(flatten=True)
    return X - X.mean(axis=0)


def test_linear_autoencoder_learns_the_principal_subspace():
    Xc = _digits_centred()
    model = autoencoder.LinearAutoencoder(64, 3, seed=1)
    autoencoder.train_autoencoder(model, Xc, steps=600, lr=1e-2)
    top = pca.fit_pca(Xc, 3)
    assert pca.projector_distance(model.decoder_columns(), top.components.T) < 1e-2
    with torch.no_grad():
        rec = model(torch.as_tensor(Xc, dtype=torch.float32)).double().numpy()
    assert autoencoder.reconstruction_error(Xc, rec) < 1.01 * autoencoder.reconstruction_error(Xc, top.reconstruct(Xc))


def test_train_autoencoder_is_deterministic():
    Xc = _digits_centred()[:200]
    runs = [autoencoder.train_autoencoder(autoencoder.DeepAutoencoder(64, 2, 16, seed=0), Xc, steps=30, batch_size=32)
            for _ in range(2)]
    assert runs[0] == runs[1]


def test_pca_from_decoder_recovers_eigenvectors_from_any_basis():
    Xc = _digits_centred()
    top = pca.fit_pca(Xc, 4)
    mixed = top.components.T @ np.random.default_rng(0).normal(size=(4, 4))   # (64, 4): same span, skewed basis
    got = autoencoder.pca_from_decoder(mixed, Xc)
    assert np.allclose(got, top.components, atol=1e-8)


def test_reconstruction_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shape \(3, 2\), got \(3, 4\)"):
        autoencoder.reconstruction_error(np.zeros((3, 2)), np.zeros((3, 4)))


# ----------------------------------------------------------------------------- transfer
def test_tasks_and_few_shot_subsets():
    tasks = transfer.make_tasks()
    assert tasks.X_source.shape[1] == 64 and set(tasks.y_pool.tolist()) == set(range(5))
    assert len(tasks.unlabelled()) == len(tasks.X_source) + len(tasks.X_source_test) + len(tasks.X_pool)
    assert len(tasks.X_source) + len(tasks.X_source_test) + len(tasks.X_pool) + len(tasks.X_test) == 1797
    idx = transfer.few_shot_subset(tasks.y_pool, 3, seed=1)
    assert np.array_equal(np.bincount(tasks.y_pool[idx].numpy()), [3] * 5)
    assert torch.equal(idx, transfer.few_shot_subset(tasks.y_pool, 3, seed=1))
    with pytest.raises(ValueError, match="fewer than n_per_class = 500"):
        transfer.few_shot_subset(tasks.y_pool, 500)


def test_same_head_for_any_features_and_probe_keeps_features():
    pre = transfer.FeatureMLP()
    a, b = transfer.make_classifier(None, seed=3), transfer.make_classifier(pre, seed=3)
    assert torch.equal(a[1].weight, b[1].weight)
    before = [p.clone() for p in b[0].parameters()]
    X, y = torch.randn(20, 64), torch.arange(20) % 5
    transfer.train(b, X, y, steps=5, mode="probe")
    assert all(torch.equal(p, q) for p, q in zip(before, b[0].parameters()))
    assert all(p.requires_grad for p in b[0].parameters())
    transfer.train(b, X, y, steps=5, mode="finetune")
    assert not all(torch.equal(p, q) for p, q in zip(before, b[0].parameters()))
    with pytest.raises(ValueError, match="mode must be one of"):
        transfer.train(b, X, y, mode="frozen")
    with pytest.raises(ValueError, match=r"got \(20, 64\) and \(19,\)"):
        transfer.train(b, X, y[:19])


def test_compare_transfer_shapes_and_determinism():
    tasks = transfer.make_tasks()
    enc, losses = transfer.pretrain_denoising(tasks.unlabelled(), steps=20)
    assert len(losses["loss"]) == 20 and losses["step"][-1] == 20
    r1 = transfer.compare_transfer({"dae": enc}, tasks, seeds=(0, 1), n_per_class=2, steps=10)
    r2 = transfer.compare_transfer({"dae": enc}, tasks, seeds=(0, 1), n_per_class=2, steps=10)
    assert list(r1) == ["scratch", "dae probe", "dae fine-tune"]
    assert all(v.shape == (2,) and np.array_equal(v, r2[k]) for k, v in r1.items())


# ----------------------------------------------------------------------------- explorer
def test_explorer_reconstructions_and_curves():
    app = ComponentsExplorer()
    for image in (0, 49):
        assert np.allclose(app.reconstruct("pca", 64, image), app.shown[image])
    assert np.all(np.diff(app.curves["pca"]) <= 1e-9)                     # more dimensions never hurt
    for other in ("random", "pixels"):                                      # far better for small k
        assert np.all(app.curves["pca"][1:21] < app.curves[other][1:21])
    assert "100.0%" in app.update(k=64, image=0, other="pixels")
    with pytest.raises(ValueError, match="k must be in"):
        app.update(k=0)


# ----------------------------------------------------------------------------- exercises
def test_embedding_exercise():
    assert ch15.check_embedding_backward(ch15.solution_embedding_backward)
    assert not ch15.check_embedding_backward(lambda i, g, v: ...)

    def assign(i, g, v):
        out = np.zeros((v, g.shape[1]))
        out[i] = g
        return out
    fb = ch15.check_embedding_backward(assign)
    assert not fb and "added" in fb.message
    fb = ch15.check_embedding_backward(lambda i, g, v: g)
    assert not fb and "one row per *table entry*" in fb.message


def test_top_components_exercise():
    assert ch15.check_top_components(ch15.solution_top_components)

    def ascending(X, k):
        Xc = X - X.mean(0)
        return np.linalg.eigh(Xc.T @ Xc)[1][:, :k].T

    def uncentred(X, k):
        return np.linalg.eigh(X.T @ X)[1][:, ::-1][:, :k].T

    fb = ch15.check_top_components(ascending)
    assert not fb and "least" in fb.message
    fb = ch15.check_top_components(uncentred)
    assert not fb and "centred" in fb.message
    fb = ch15.check_top_components(lambda X, k: ch15.solution_top_components(X, k).T)
    assert not fb and "rows" in fb.message


def test_projector_exercise():
    assert ch15.check_projector(ch15.solution_projector)
    fb = ch15.check_projector(lambda A: A @ A.T)
    assert not fb and "orthonormal" in fb.message
    assert not ch15.check_projector(lambda A: np.eye(A.shape[0]))


@pytest.mark.parametrize("check, solution, wrong", [
    (ch15.check_embedding_backward, ch15.solution_embedding_backward, lambda idx, g, V: np.zeros((V, g.shape[1]))),
    (ch15.check_top_components, ch15.solution_top_components, lambda X, k: np.eye(X.shape[1])[:k]),
    (ch15.check_projector, ch15.solution_projector, lambda A: np.eye(A.shape[0])),
])
def test_ch15_hints_come_gentle_then_stronger(check, solution, wrong):
    assert check(solution)  # a correct answer resets the count of wrong attempts
    first, second = check(wrong), check(wrong)
    assert "\n   hint:" in first.message and "stronger hint:" in second.message
    assert first.message.split("hint:")[1] != second.message.split("hint:")[1]
