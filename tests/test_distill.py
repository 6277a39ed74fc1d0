"""helpers.compression.distill: the distillation loss vs a direct computation and torch, gradients, properties."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.compression import distill
from helpers.exercises import ch13
from torch_twin import assert_close, torch_value_and_grads

SHAPES = [(1, 2), (5, 3), (8, 10), (32, 7)]


def _case(N, K, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, K)) * scale, rng.standard_normal((N, K)) * scale,
            rng.integers(0, K, N))


def _torch_loss(T, alpha):
    def fn(zs, zt, y):
        ce = F.cross_entropy(zs, y)
        kl = F.kl_div(F.log_softmax(zs / T, 1), F.softmax(zt / T, 1), reduction="batchmean")
        return alpha * ce + (1 - alpha) * T ** 2 * kl
    return fn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("T,alpha", [(1.0, 0.5), (4.0, 0.3), (10.0, 0.0), (2.5, 1.0)])
def test_loss_and_grad_match_torch(shape, T, alpha):
    zs, zt, y = _case(*shape, seed=shape[0] * 7 + shape[1])
    value, grads = torch_value_and_grads(_torch_loss(T, alpha), zs, zt, y, requires_grad=[True, False, False])
    assert_close(distill.distillation_loss(zs, zt, y, T, alpha), value, what="loss")
    assert_close(distill.distillation_grad(zs, zt, y, T, alpha), grads[0], what="d loss / d z_s")


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_direct_formula_and_torch_version(shape):
    zs, zt, y = _case(*shape, seed=1)
    T, alpha = 3.0, 0.4
    ps, pt = np.exp(zs / T) / np.exp(zs / T).sum(1, keepdims=True), np.exp(zt / T) / np.exp(zt / T).sum(1, keepdims=True)
    p1 = np.exp(zs) / np.exp(zs).sum(1, keepdims=True)
    direct = alpha * -np.mean(np.log(p1[np.arange(len(y)), y])) + \
        (1 - alpha) * T ** 2 * np.mean(np.sum(pt * np.log(pt / ps), axis=1))
    assert np.isclose(distill.distillation_loss(zs, zt, y, T, alpha), direct, rtol=1e-10)
    ours_torch = distill.distillation_loss_torch(torch.tensor(zs), torch.tensor(zt), torch.tensor(y), T, alpha)
    assert np.isclose(float(ours_torch), direct, rtol=1e-10)


def test_gradient_matches_central_differences():
    zs, zt, y = _case(4, 5, seed=3)
    g = distill.distillation_grad(zs, zt, y, 2.0, 0.3)
    num = np.zeros_like(zs)
    for idx in np.ndindex(zs.shape):
        e = np.zeros_like(zs)
        e[idx] = 1e-6
        num[idx] = (distill.distillation_loss(zs + e, zt, y, 2.0, 0.3)
                    - distill.distillation_loss(zs - e, zt, y, 2.0, 0.3)) / 2e-6
    assert np.allclose(g, num, atol=1e-7)


def test_kl_is_zero_when_student_equals_teacher_and_alpha_one_is_plain_ce():
    zs, _, y = _case(6, 4, seed=2)
    ce, kl = distill.distillation_terms(zs, zs, y, 5.0)
    assert abs(kl) < 1e-12
    assert np.isclose(distill.distillation_loss(zs, zs * 3, y, 5.0, 1.0), ce)


@settings(max_examples=40, deadline=None)
@given(st.floats(-1e4, 1e4), st.floats(1.0, 50.0), st.integers(2, 6))
def test_finite_and_normalised_for_extreme_logits(big, T, K):
    z = np.zeros((2, K))
    z[0, 0], z[1, -1] = big, -big
    p = distill.soft_targets(z, T)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(1), 1.0)
    ce, kl = distill.distillation_terms(z, -z, np.array([0, 1]), T)
    assert np.isfinite(ce) and np.isfinite(kl) and kl >= -1e-12
    assert np.all(np.isfinite(distill.distillation_grad(z, -z, np.array([0, 1]), T, 0.5)))


@settings(max_examples=30, deadline=None)
@given(st.floats(1.0, 30.0), st.floats(1.0, 30.0))
def test_higher_temperature_is_flatter(T1, T2):
    z = np.array([[3.0, 1.0, -2.0, 0.5]])
    lo, hi = sorted((T1, T2))
    assert distill.soft_targets(z, hi).max() <= distill.soft_targets(z, lo).max() + 1e-12


@pytest.mark.parametrize("kwargs,needle", [
    (dict(student_logits=np.zeros((3,))), "2 dimension"),
    (dict(teacher_logits=np.zeros((2, 4))), "shape (3, 4)"),
    (dict(labels=np.array([0, 1, 4])), "labels must lie in [0, 3]"),
    (dict(labels=np.array([0.5, 1, 2])), "integers"),
    (dict(student_logits=np.full((3, 4), np.nan)), "finite"),
    (dict(student_logits=np.zeros((0, 4)), teacher_logits=np.zeros((0, 4)), labels=np.zeros(0, int)), "empty"),
    (dict(T=0.0), "T must be in (0.0"),
    (dict(alpha=1.5), "alpha must be in [0.0, 1.0]"),
])
def test_bad_inputs_raise_with_expected_and_received(kwargs, needle):
    args = dict(student_logits=np.zeros((3, 4)), teacher_logits=np.zeros((3, 4)), labels=np.array([0, 1, 2]),
                T=2.0, alpha=0.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match="got") as info:
        distill.distillation_loss(**args)
    assert needle in str(info.value)


def test_torch_version_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"got \(2, 3\) and \(2, 4\)"):
        distill.distillation_loss_torch(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, dtype=torch.long))


def test_soft_targets_exercise_accepts_solution_and_rejects_wrong_answers():
    assert ch13.check_soft_targets(ch13.solution_soft_targets)
    assert not ch13.check_soft_targets(lambda z, T: ...)
    assert not ch13.check_soft_targets(lambda z, T: np.exp(z) / np.exp(z).sum(-1, keepdims=True))
    with np.errstate(over="ignore", invalid="ignore"):  # the naive formula overflows: that is the point
        assert not ch13.check_soft_targets(lambda z, T: np.exp(z / T) / np.exp(z / T).sum(-1, keepdims=True))


def test_training_helpers_small_run():
    from helpers.compression import students as dt

    data = dt.digits_tensors()
    assert tuple(data.X_train.shape[1:]) == (64,)
    teacher = dt.make_mlp(32, seed=0)
    dt.train_classifier(teacher, data.X_train, data.y_train, steps=50)
    rows = dt.compare_students(teacher, data, seeds=(0,), n_student=30, steps=20)
    assert len(rows) == 1 and 0 <= rows[0].alone <= 1 and 0 <= rows[0].distilled <= 1
    with pytest.raises(ValueError, match="one row per example"):
        dt.train_classifier(teacher, data.X_train[:5], data.y_train[:5], 1, teacher_logits=torch.zeros(4, 10))


@pytest.mark.parametrize("check, solution, wrong", [
    (ch13.check_soft_targets, ch13.solution_soft_targets, lambda z, T: np.ones_like(z) / z.shape[-1]),
    (ch13.check_quantize_int8, ch13.solution_quantize_int8, lambda x: np.zeros(x.shape, dtype=np.int8)),
])
def test_ch13_hints_come_gentle_then_stronger(check, solution, wrong):
    assert check(solution)  # a correct answer resets the count of wrong attempts
    first, second = check(wrong), check(wrong)
    assert "\n   hint:" in first.message and "stronger hint:" in second.message
    assert first.message.split("hint:")[1] != second.message.split("hint:")[1]
