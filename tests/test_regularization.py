"""Regularizers (notebook 08) against PyTorch, their invariants, bad inputs, and the digits bench."""
from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.basics import losses
from helpers.training import regularization as R
from helpers.training.digits_lab import RunConfig, digits_task, make_mlp, train_mlp
from helpers.exercises import ch08
from torch_twin import assert_close, torch_value_and_grads
from exercise_grading import assert_grades

SHAPES = [(5,), (4, 7), (3, 2, 6)]


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_matches_torch_given_its_mask(shape, p, rng):
    x = rng.uniform(0.5, 2.0, size=shape)  # no zeros, so torch's output reveals its mask
    upstream = rng.normal(size=shape)
    torch.manual_seed(0)
    value, (grad,) = torch_value_and_grads(lambda t: F.dropout(t, p, training=True), x, upstream=upstream)
    keep = value != 0
    ours, cache = R.dropout_forward(x, p, keep=keep)
    assert_close(ours, value, what="dropout forward")
    assert_close(R.dropout_backward(upstream, cache), grad, what="dropout backward")


def test_dropout_eval_mode_is_the_identity_like_torch(rng):
    x = rng.normal(size=(4, 3))
    out, cache = R.dropout_forward(x, 0.5, training=False)
    assert np.array_equal(out, x) and np.array_equal(cache.mask, np.ones_like(x))
    assert np.array_equal(out, F.dropout(torch.tensor(x), 0.5, training=False).numpy())


def test_dropout_p_one_drops_everything_without_nan(rng):
    out, cache = R.dropout_forward(np.ones((3, 3)), 1.0, rng=rng)
    assert np.array_equal(out, np.zeros((3, 3))) and np.all(np.isfinite(cache.mask))


@given(st.floats(0.0, 0.9), st.integers(0, 2**31 - 1))
def test_dropout_keeps_the_mean_and_drops_about_p(p, seed):
    rng = np.random.default_rng(seed)
    x = np.full(20_000, 3.0)
    out, _ = R.dropout_forward(x, p, rng=rng)
    assert abs(out.mean() - 3.0) < 0.15 and abs(np.mean(out == 0) - p) < 0.03
    assert np.all((out == 0) | np.isclose(out, 3.0 / (1 - p)))


@pytest.mark.parametrize("call,fragment", [
    (lambda: R.dropout_forward(np.ones(3), 0.5), "needs rng=np.random.Generator"),
    (lambda: R.dropout_forward(np.ones(3), 1.5, rng=np.random.default_rng()), "p must be in [0.0, 1.0]"),
    (lambda: R.dropout_forward(np.array([1.0, np.nan]), 0.5, rng=np.random.default_rng()), "finite"),
    (lambda: R.dropout_forward(np.ones(3), 0.5, keep=np.ones(4, bool)), "keep must have shape (3), got (4,)"),
    (lambda: R.dropout_backward(np.ones(3), R.DropoutCache(np.ones(4))), "dy must have shape (4), got (3,)"),
])
def test_dropout_bad_inputs(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value), str(info.value)


# ----------------------------------------------------------------------------- weight decay
@pytest.mark.parametrize("shapes", [[(3,)], [(4, 5), (5,)], [(2, 3, 4), (6,)]])
def test_l2_penalty_and_gradient_match_autograd(shapes, rng):
    params = [rng.normal(size=s) for s in shapes]
    lam = 0.3
    value, grads = torch_value_and_grads(lambda *ts: 0.5 * lam * sum((t ** 2).sum() for t in ts), *params)
    assert np.isclose(R.l2_penalty(params, lam), float(value), rtol=1e-12)
    for ours, theirs in zip(R.l2_penalty_grad(params, lam), grads):
        assert_close(ours, theirs, what="L2 gradient")


def test_l2_bad_inputs():
    with pytest.raises(ValueError, match="weight_decay must be in"):
        R.l2_penalty([np.ones(2)], -0.1)
    with pytest.raises(ValueError, match=r"params\[1\] must be finite"):
        R.l2_penalty_grad([np.ones(2), np.array([np.inf])], 0.1)


# ----------------------------------------------------------------------------- early stopping
def test_early_stopping_restores_the_best_weights():
    w = np.zeros(2)
    stop = R.EarlyStopping(patience=2)
    stopped = []
    for epoch, loss in enumerate([5.0, 3.0, 4.0, 2.0, 2.5, 2.1, 9.0]):
        w[:] = epoch
        stopped.append(stop.update(loss, [w]))
    assert stopped == [False, False, False, False, False, True, True]
    assert stop.best_epoch == 3 and stop.best == 2.0
    stop.restore([w])
    assert np.array_equal(w, [3.0, 3.0])


def test_early_stopping_min_delta_nan_and_bad_inputs():
    stop = R.EarlyStopping(patience=1, min_delta=0.5)
    assert not stop.update(1.0, [np.zeros(1)])
    assert stop.update(0.8, [np.zeros(1)])  # not better by more than min_delta
    assert R.EarlyStopping(patience=1).update(float("nan"), [np.zeros(1)])  # NaN is never an improvement
    with pytest.raises(ValueError, match="needs at least one update"):
        R.EarlyStopping().restore([np.zeros(1)])
    with pytest.raises(ValueError, match="val_loss must be a number, got str"):
        R.EarlyStopping().update("low", [np.zeros(1)])
    with pytest.raises(ValueError, match="patience must be in"):
        R.EarlyStopping(patience=0)


# ----------------------------------------------------------------------------- label smoothing
@pytest.mark.parametrize("n,k", [(1, 2), (6, 3), (9, 10)])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_label_smoothing_cross_entropy_matches_torch(n, k, eps, rng):
    logits, y = rng.normal(size=(n, k)) * 3, rng.integers(0, k, n)
    target = R.smooth_labels(y, k, eps)
    value, (grad, _) = torch_value_and_grads(lambda z, t: F.cross_entropy(z, t, label_smoothing=eps), logits, y)
    assert np.isclose(losses.cross_entropy(logits, target), float(value), rtol=1e-12, atol=1e-14)
    assert_close(losses.cross_entropy_grad(logits, target), grad, what="label-smoothing CE gradient")


@given(st.integers(2, 12), st.floats(0.0, 1.0), st.integers(1, 20))
def test_smoothed_rows_are_distributions(k, eps, n):
    y = np.arange(n) % k
    t = R.smooth_labels(y, k, eps)
    assert t.shape == (n, k) and np.allclose(t.sum(axis=1), 1.0) and np.all(t >= 0)
    assert np.allclose(t[np.arange(n), y], 1 - eps + eps / k)


@pytest.mark.parametrize("call,fragment", [
    (lambda: R.smooth_labels(np.array([0, 3]), 3), "labels must lie in [0, 3), got range [0, 3]"),
    (lambda: R.smooth_labels(np.array([0.5]), 3), "must hold integers"),
    (lambda: R.smooth_labels(np.array([[0]]), 3), "must have 1 dimension"),
    (lambda: R.smooth_labels(np.array([0]), 3, eps=1.5), "eps must be in"),
])
def test_smooth_labels_bad_inputs(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value), str(info.value)


# ----------------------------------------------------------------------------- mixup
@given(st.floats(0.05, 5.0), st.integers(0, 1000))
def test_mixup_is_a_convex_combination_of_pairs(alpha, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(8, 5)), R.smooth_labels(np.arange(8) % 4, 4, 0.0)
    xm, ym, lam, perm = R.mixup(x, y, alpha, rng)
    assert 0.0 <= lam <= 1.0 and sorted(perm) == list(range(8))
    assert np.allclose(xm, lam * x + (1 - lam) * x[perm]) and np.allclose(ym.sum(axis=1), 1.0)
    # the mixed soft-target loss is the same mix of the two hard-label losses (CE is linear in the target)
    z = rng.normal(size=(8, 4))
    mixed = losses.cross_entropy(z, ym)
    assert np.isclose(mixed, lam * losses.cross_entropy(z, y) + (1 - lam) * losses.cross_entropy(z, y[perm]))


def test_mixup_bad_inputs(rng):
    with pytest.raises(ValueError, match="same number of rows, got 3 and 2"):
        R.mixup(np.ones((3, 2)), np.ones((2, 2)) / 2, 0.2, rng)
    with pytest.raises(ValueError, match="alpha must be in"):
        R.mixup(np.ones((3, 2)), np.ones((3, 2)) / 2, 0.0, rng)
    with pytest.raises(ValueError, match="needs rng"):
        R.mixup(np.ones((3, 2)), np.ones((3, 2)) / 2, 0.2, None)


# ----------------------------------------------------------------------------- gradient clipping
@pytest.mark.parametrize("shapes", [[(3,)], [(4, 5), (5,)], [(2, 3, 4), (6,), (1,)]])
@pytest.mark.parametrize("max_norm", [1e-3, 1.0, 1e3])
def test_clip_grad_norm_matches_torch(shapes, max_norm, rng):
    grads = [rng.normal(size=s) * 3 for s in shapes]
    tensors = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)
    total_torch = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    clipped, total = R.clip_grad_norm(grads, max_norm)
    assert np.isclose(total, float(total_torch), rtol=1e-12)
    for ours, t in zip(clipped, tensors):
        assert_close(ours, t.grad.numpy(), atol=1e-12, what="clipped gradient")


def test_clipping_zero_gradients_matches_torch():
    """A total norm of exactly 0: the scale max_norm / norm must not become 0/0 = NaN."""
    grads = [np.zeros(3), np.zeros((2, 2))]
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t in tensors:
        t.grad = torch.zeros_like(t)
    total_torch = torch.nn.utils.clip_grad_norm_(tensors, 1.0)
    clipped, total = R.clip_grad_norm(grads, 1.0)
    assert total == float(total_torch) == 0.0
    for ours, t in zip(clipped, tensors):
        assert np.array_equal(ours, t.grad.numpy())


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e300, 1e300)), st.floats(1e-3, 1e3))
def test_clipping_never_overflows_and_caps_the_norm(g, max_norm):
    clipped, total = R.clip_grad_norm([g], max_norm)
    assert np.isfinite(total) and np.all(np.isfinite(clipped[0]))
    assert np.linalg.norm(clipped[0] / max_norm) * max_norm <= max_norm * (1 + 1e-9)
    if total < max_norm:  # small gradients pass unchanged (up to the 1e-6 in the formula)
        assert np.allclose(clipped[0], g, rtol=1e-5)


def test_clip_bad_inputs():
    with pytest.raises(ValueError, match="max_norm must be in"):
        R.clip_grad_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError, match="non-empty list"):
        R.clip_grad_norm([], 1.0)
    with pytest.raises(ValueError, match=r"grads\[0\] must be finite"):
        R.clip_grad_norm([np.array([np.nan])], 1.0)


# ----------------------------------------------------------------------------- dropout as L2
def _expected_dropout_objective(phi, y, w, lam, p):
    """E over every dropout mask (enumerated exactly) of the squared error, plus weight decay."""
    n, d = phi.shape
    total = 0.0
    for keep in itertools.product([0, 1], repeat=d):
        keep = np.array(keep)
        prob = np.prod(np.where(keep == 1, 1 - p, p))
        pred = (phi * keep / (1 - p)) @ w
        total += prob * np.sum((y - pred) ** 2) / (2 * n)
    return total + 0.5 * lam * np.sum(w ** 2)


@pytest.mark.parametrize("lam,p", [(0.0, 0.3), (0.1, 0.0), (0.05, 0.5)])
def test_dropout_ridge_minimises_the_exact_expected_dropout_loss(lam, p, rng):
    phi, y = rng.normal(size=(12, 4)), rng.normal(size=12)
    w = R.dropout_ridge(phi, y, lam, p)
    best = _expected_dropout_objective(phi, y, w, lam, p)
    for _ in range(10):  # any nudge makes the exact expected objective worse
        assert _expected_dropout_objective(phi, y, w + 1e-3 * rng.normal(size=4), lam, p) > best


def test_dropout_ridge_shrinks_with_more_regularization(rng):
    phi, y = rng.normal(size=(30, 6)), rng.normal(size=30)
    norms = [np.linalg.norm(R.dropout_ridge(phi, y, lam, p)) for lam, p in [(0, 0), (0.1, 0), (0.1, 0.5), (1.0, 0.9)]]
    assert norms == sorted(norms, reverse=True)
    with pytest.raises(ValueError, match=r"y must have shape \(30\), got \(29,\)"):
        R.dropout_ridge(phi, y[:-1])


# ----------------------------------------------------------------------------- the digits bench
@pytest.fixture(scope="module")
def task():
    return digits_task(n_train=100)


def test_digits_task_shapes(task):
    assert task.X_train.shape == (100, 64) and task.X_train.dtype == np.float32
    assert task.X_val.shape[1] == 64 and len(task.y_val) == len(task.X_val)
    with pytest.raises(ValueError, match="n_train must be in"):
        digits_task(n_train=5)


def test_make_mlp_layers():
    model = make_mlp((16, 8), dropout=0.5, batchnorm=True)
    names = [type(m).__name__ for m in model]
    assert names == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    with pytest.raises(ValueError, match="activation must be one of"):
        make_mlp(activation="swish")


def test_training_with_our_sgd_equals_torch_sgd(task):
    """Our optimizer on the torch model's NumPy views takes exactly torch.optim.SGD's steps."""
    res = train_mlp(task, RunConfig(hidden=(16,), optimizer="momentum", lr=0.05, epochs=1, batch_size=25, seed=3))
    torch.manual_seed(3)
    model = make_mlp((16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(3)
    for idx in np.array_split(rng.permutation(100), 4):
        loss = F.cross_entropy(model(torch.from_numpy(task.X_train[idx])), torch.from_numpy(task.y_train[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        val = float(F.cross_entropy(model(torch.from_numpy(task.X_val)), torch.from_numpy(task.y_val)))
    assert np.isclose(res.val_loss[-1], val, rtol=1e-5)


@pytest.mark.parametrize("options", [
    {}, {"dropout": 0.5}, {"batchnorm": True}, {"label_smoothing": 0.1}, {"mixup_alpha": 0.2},
    {"augment": True}, {"early_stopping": 1}, {"clip_norm": 1.0}, {"optimizer": "adamw", "weight_decay": 0.1},
    {"schedule": "warmup_cosine"},
])
def test_every_regularizer_runs_and_learns(task, options):
    res = train_mlp(task, RunConfig(hidden=(32,), epochs=3, lr=3e-3, **options))
    assert not res.diverged and len(res.val_loss) >= 2
    assert res.train_loss[-1] < res.train_loss[0] or options.get("early_stopping")
    assert 0.0 <= res.test_acc <= 1.0 and len(res.lrs) == len(res.step_loss) == len(res.grad_norm)


def test_exploding_run_is_reported_not_raised(task):
    config = RunConfig(hidden=(64,) * 8, optimizer="sgd", lr=0.05, epochs=2, init_gain=4.0)
    res = train_mlp(task, config)
    assert res.diverged and all(np.isfinite(res.step_loss))
    clipped = train_mlp(task, replace(config, clip_norm=1.0))
    assert not clipped.diverged


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check,solution,wrong", [
    (ch08.check_inverted_dropout, ch08.solution_inverted_dropout, lambda x, keep, p: x * keep),
    (ch08.check_smooth_labels, ch08.solution_smooth_labels, lambda y, k, eps: np.eye(k)[y]),
    (ch08.check_batchnorm_train, ch08.solution_batchnorm_train, lambda x, g, b, eps: (x - x.mean(0)) / x.std(0)),
])
def test_exercise_checks(check, solution, wrong, capsys):
    assert_grades(check, solution, wrong, capsys)


def test_exercise_checks_spot_common_mistakes():
    assert "divide by (1 - p)" in ch08.check_inverted_dropout(lambda x, keep, p: x * keep).message
    spread = lambda y, k, eps: (1 - eps) * np.eye(k)[y] + eps / (k - 1) * (1 - np.eye(k)[y])  # noqa: E731
    assert "K - 1" in ch08.check_smooth_labels(spread).message
    unbiased = lambda x, g, b, eps: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + b  # noqa: E731
    assert "ddof=1" in ch08.check_batchnorm_train(unbiased).message
