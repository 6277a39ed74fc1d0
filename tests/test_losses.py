"""Losses (helpers.basics.losses) against torch.nn.functional: values and gradients in float64, several
shapes; hypothesis properties at extreme logits; bad inputs; notebook 03's loss exercises."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.basics import losses as L
from helpers.exercises import ch03
from torch_twin import assert_close, torch_value_and_grads
from exercise_grading import assert_grades

SHAPES = [(1, 1), (1, 5), (3, 4), (7, 2), (16, 10)]


def _logits(rng, shape, scale=3.0):
    return scale * rng.standard_normal(shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_and_its_backward_match_torch(rng, shape):
    z, g = _logits(rng, shape), rng.standard_normal(shape)
    value, (grad,) = torch_value_and_grads(lambda t: torch.softmax(t, dim=1), z, upstream=g)
    p = L.softmax(z)
    assert_close(p, value, what="softmax")
    assert_close(L.softmax_backward(g, L.SoftmaxCache(p)), grad, what="softmax backward")


def test_softmax_and_cross_entropy_with_exactly_tied_logits_match_torch():
    z = np.array([[2.0, 2.0, 2.0], [0.0, 0.0, -1.0]])
    g = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    value, (grad,) = torch_value_and_grads(lambda t: torch.softmax(t, dim=1), z, upstream=g)
    p, cache = L.softmax_forward(z)
    assert_close(p, value, what="softmax")
    assert_close(L.softmax_backward(g, cache), grad, what="softmax backward")
    y = np.array([0, 1])
    value, (grad,) = torch_value_and_grads(lambda t: F.cross_entropy(t, torch.tensor(y)), z)
    assert_close(L.cross_entropy(z, y), value, what="cross-entropy")
    assert_close(L.cross_entropy_grad(z, y), grad, what="cross-entropy grad")


@pytest.mark.parametrize("shape", SHAPES)
def test_logsumexp_log_softmax_match_torch(rng, shape):
    z = _logits(rng, shape)
    value, (grad,) = torch_value_and_grads(lambda t: torch.logsumexp(t, dim=1), z)
    assert_close(L.logsumexp(z), value, what="logsumexp")
    assert_close(L.softmax(z), grad, what="d logsumexp / dz = softmax")
    assert_close(L.log_softmax(z), F.log_softmax(torch.tensor(z), dim=1).numpy(), what="log_softmax")


@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_with_labels_matches_torch(rng, shape):
    z = _logits(rng, shape)
    y = rng.integers(0, shape[1], shape[0])
    value, (grad, _) = torch_value_and_grads(lambda t, lab: F.cross_entropy(t, lab), z, y)
    assert_close(L.cross_entropy(z, y), value, what="cross-entropy")
    assert_close(L.cross_entropy_grad(z, y), grad, what="cross-entropy gradient")


@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_with_probabilities_matches_torch(rng, shape):
    z = _logits(rng, shape)
    Y = L.softmax(rng.standard_normal(shape))
    value, (grad, _) = torch_value_and_grads(lambda t, p: F.cross_entropy(t, p), z, Y, requires_grad=[True, False])
    assert_close(L.cross_entropy(z, Y), value, what="soft-target cross-entropy")
    assert_close(L.cross_entropy_grad(z, Y), grad, what="soft-target gradient")


def test_cross_entropy_gradient_is_p_minus_y_through_the_chain_rule(rng):
    z, y = _logits(rng, (6, 4)), rng.integers(0, 4, 6)
    p, Y = L.softmax(z), L.one_hot(y, 4)
    # dJ/dp = -Y / (N p), back through softmax: the 1/p cancels and p - y remains.
    via_chain = L.softmax_backward(-Y / (p * len(y)), L.SoftmaxCache(p))
    assert_close(via_chain, (p - Y) / len(y), atol=1e-12, what="chain rule")
    assert_close(L.cross_entropy_grad(z, y), (p - Y) / len(y), what="p - y")


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 3, 2)])
def test_mse_matches_torch(rng, shape):
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    value, (g_pred, g_target) = torch_value_and_grads(F.mse_loss, pred, target)
    assert_close(L.mse(pred, target), value, what="mse")
    assert_close(L.mse_grad(pred, target), g_pred, what="mse gradient wrt pred")
    assert_close(-L.mse_grad(pred, target), g_target, what="mse gradient wrt target")


@pytest.mark.parametrize("shape", [(1,), (6,), (4, 3)])
def test_binary_cross_entropy_matches_torch(rng, shape):
    z, y = 5 * rng.standard_normal(shape), rng.uniform(0, 1, shape)
    value, (g, _) = torch_value_and_grads(F.binary_cross_entropy_with_logits, z, y, requires_grad=[True, False])
    assert_close(L.binary_cross_entropy_with_logits(z, y), value, what="bce")
    assert_close(L.binary_cross_entropy_with_logits_grad(z, y), g, what="bce gradient")


def test_naive_softmax_overflows_where_the_stable_one_does_not():
    z = np.array([[1000.0, 0.0]])
    assert np.isnan(L.softmax_naive(z)).any()
    assert np.array_equal(L.softmax(z), [[1.0, 0.0]])
    small = np.array([[0.5, -1.0, 2.0]])
    assert_close(L.softmax_naive(small), L.softmax(small))


def test_float32_is_kept():
    z = np.ones((2, 3), dtype=np.float32)
    assert L.softmax(z).dtype == np.float32
    assert L.log_softmax(z).dtype == np.float32


# ----------------------------------------------------------------------------- properties
_extreme = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
_logit_arrays = st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
    lambda s: arrays(np.float64, s, elements=_extreme))


@given(_logit_arrays)
def test_softmax_rows_sum_to_one_and_stay_finite(z):
    p = L.softmax(z)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-12)


@given(_logit_arrays, st.floats(-1e3, 1e3))
def test_softmax_ignores_a_shift_per_row(z, c):
    assert np.allclose(L.softmax(z), L.softmax(z + c), atol=1e-9)


@given(_logit_arrays, st.data())
def test_cross_entropy_finite_nonnegative_and_gradient_rows_sum_to_zero(z, data):
    y = np.array(data.draw(st.lists(st.integers(0, z.shape[1] - 1), min_size=z.shape[0], max_size=z.shape[0])))
    J = L.cross_entropy(z, y)
    g = L.cross_entropy_grad(z, y)
    assert np.isfinite(J) and J >= 0
    assert np.all(np.isfinite(g)) and np.allclose(g.sum(axis=1), 0.0, atol=1e-12)
    assert np.all(np.isfinite(L.log_softmax(z))) and np.all(L.log_softmax(z) <= 0)


@given(arrays(np.float64, st.integers(1, 8), elements=_extreme), st.floats(0, 1))
def test_binary_cross_entropy_finite_on_extreme_logits(z, y):
    targets = np.full_like(z, y)
    assert np.isfinite(L.binary_cross_entropy_with_logits(z, targets))
    assert np.all(np.isfinite(L.binary_cross_entropy_with_logits_grad(z, targets)))


@given(arrays(np.float64, (3, 4), elements=st.floats(-5, 5)), st.lists(st.integers(0, 3), min_size=3, max_size=3))
def test_cross_entropy_gradient_by_central_differences(z, labels):
    y, h = np.array(labels), 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = h
        numeric[idx] = (L.cross_entropy(z + e, y) - L.cross_entropy(z - e, y)) / (2 * h)
    assert np.allclose(L.cross_entropy_grad(z, y), numeric, atol=1e-7)


# ----------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: L.softmax(np.ones(3)), r"logits must have 2 dimension\(s\), got shape \(3,\)"),
    (lambda: L.softmax(np.ones((0, 3))), r"logits must not be empty, got shape \(0, 3\)"),
    (lambda: L.softmax(np.array([[1.0, np.nan]])), r"logits must be finite, got 1 NaN"),
    (lambda: L.softmax(np.array([["a", "b"]])), r"logits must hold real numbers, got dtype <U1"),
    (lambda: L.cross_entropy(np.ones((2, 3)), np.array([0, 3])), r"labels must lie in \[0, 3\), got range \[0, 3\]"),
    (lambda: L.cross_entropy(np.ones((2, 3)), np.array([0, 1, 2])), r"labels must have shape \(2\), got \(3,\)"),
    (lambda: L.cross_entropy(np.ones((2, 3)), np.array([0.5, 1.0])), r"labels must hold integers .*got dtype float64"),
    (lambda: L.cross_entropy(np.ones((2, 3)), np.ones((2, 2)) / 2), r"targets must be labels of shape \(2,\) or probabilities of shape \(2, 3\), got \(2, 2\)"),
    (lambda: L.cross_entropy(np.ones((1, 2)), np.array([[0.7, 0.7]])), r"rows summing to 1, got min 0.7 and row sums in \[1.4"),
    (lambda: L.mse(np.ones(3), np.ones(4)), r"target must have the same shape as pred \(3,\), got \(4,\)"),
    (lambda: L.mse(np.ones(3), np.array([1.0, np.inf, 0.0])), r"target must be finite"),
    (lambda: L.mse(np.array([]), np.array([])), r"pred must not be empty"),
    (lambda: L.binary_cross_entropy_with_logits(np.ones(2), np.array([0.0, 2.0])), r"targets must lie in \[0, 1\], got range \[0, 2\]"),
    (lambda: L.softmax_backward(np.ones((2, 3)), L.softmax_forward(np.ones((2, 2)))[1]), r"dy must have shape \(2, 2\), got \(2, 3\)"),
    (lambda: L.one_hot(np.array([0, 1]), 0), r"num_classes must be a positive int, got 0"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_inputs_raise_value_error_naming_expected_and_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check, solution, wrong", [
    (ch03.check_softmax, ch03.solution_softmax, lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)),
    (ch03.check_cross_entropy_grad, ch03.solution_cross_entropy_grad, lambda z, y: L.softmax(z) - L.one_hot(y, z.shape[1])),
])
def test_loss_exercises_accept_the_solution_and_reject_wrong_answers(check, solution, wrong, capsys):
    with np.errstate(all="ignore"):
        assert_grades(check, solution, wrong, capsys)
