"""The neuron and the perceptron (helpers.basics.neuron): forward and every gradient against torch in
float64, perceptron behaviour on gates and separable data, properties, bad inputs, ch01 exercises."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from helpers.basics import neuron as nn1
from helpers.apps.ch01_neuron import NeuronExplorer
from helpers.exercises import ch01
from torch_twin import assert_close, torch_value_and_grads
from exercise_grading import assert_grades

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z}
SHAPES = [(1, 1), (4, 2), (9, 3), (16, 7)]


@pytest.mark.parametrize("activation", sorted(TORCH_ACT))
@pytest.mark.parametrize("shape", SHAPES)
def test_neuron_forward_and_backward_match_torch(rng, activation, shape):
    n, d = shape
    X, w, b, g = rng.standard_normal(shape), rng.standard_normal(d), rng.standard_normal(1), rng.standard_normal(n)
    value, (gX, gw, gb) = torch_value_and_grads(lambda X_, w_, b_: TORCH_ACT[activation](X_ @ w_ + b_),
                                                X, w, b, upstream=g)
    a, cache = nn1.neuron_forward(X, w, float(b[0]), activation)
    assert_close(a, value, what="forward")
    dX, dw, db = nn1.neuron_backward(g, cache)
    assert_close(dX, gX, what="dX")
    assert_close(dw, gw, what="dw")
    assert_close(db, gb[0], what="db")


@pytest.mark.parametrize("shape", SHAPES)
def test_weighted_sum_and_step_match_torch(rng, shape):
    X, w = rng.standard_normal(shape), rng.standard_normal(shape[1])
    z = torch.tensor(X) @ torch.tensor(w) + 0.3
    assert_close(nn1.weighted_sum(X, w, 0.3), z.numpy())
    step_torch = torch.heaviside(z, torch.tensor(0.0, dtype=torch.float64))  # H(0) = 0, as ours
    assert_close(nn1.neuron_forward(X, w, 0.3, "step")[0], step_torch.numpy())
    assert np.array_equal(nn1.perceptron_predict(X, w, 0.3), step_torch.numpy().astype(np.int64))


def test_step_at_exactly_zero_is_class_zero():
    assert nn1.perceptron_predict(np.zeros((1, 2)), np.ones(2), 0.0)[0] == 0


def test_step_has_no_gradient():
    with pytest.raises(ValueError, match="activation must be differentiable .* got 'step'"):
        nn1.neuron_backward(np.ones(1), nn1.neuron_forward(np.ones((1, 2)), np.ones(2), 0.0, "step")[1])


@pytest.mark.parametrize("gate, expected", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0]),
                                            ("NOR", [1, 0, 0, 0]), ("XOR", [0, 1, 1, 0])])
def test_logic_gate_truth_tables(gate, expected):
    X, y = nn1.logic_gate(gate)
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == expected


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "NOR"])
def test_perceptron_learns_linearly_separable_gates(gate):
    X, y = nn1.logic_gate(gate)
    result = nn1.train_perceptron(X, y)
    assert result.converged and result.errors[-1] == 0
    assert np.array_equal(nn1.perceptron_predict(X, result.w, result.b), y)
    assert nn1.best_linear_accuracy(X, y).accuracy == 1.0


def test_perceptron_never_converges_on_xor_and_no_line_beats_three_quarters():
    X, y = nn1.logic_gate("XOR")
    result = nn1.train_perceptron(X, y, max_epochs=100)
    assert not result.converged and min(result.errors) > 0
    best = nn1.best_linear_accuracy(X, y, n_angles=3600)
    assert best.accuracy == 0.75
    assert np.mean(nn1.perceptron_predict(X, best.w, best.b) == y) == 0.75


def test_perceptron_update_does_not_modify_its_inputs():
    w = np.array([0.0, 0.0])
    x = np.array([1.0, 2.0])
    new_w, new_b = nn1.perceptron_update(x, 1, w, 0.0, 0.5)
    assert w.tolist() == [0.0, 0.0] and x.tolist() == [1.0, 2.0]
    assert new_w.tolist() == [0.5, 1.0] and new_b == 0.5


def test_learning_rate_only_rescales_from_zero_start():
    X, y = nn1.logic_gate("AND")
    a, b = nn1.train_perceptron(X, y, lr=1.0), nn1.train_perceptron(X, y, lr=0.1)
    assert a.errors == b.errors
    assert np.allclose(a.w * 0.1, b.w) and np.isclose(a.b * 0.1, b.b)


# ----------------------------------------------------------------------------- properties
@given(st.floats(0, 2 * np.pi), st.floats(-0.5, 0.5), st.integers(0, 2**16))
def test_perceptron_converges_on_separable_data_with_a_margin(angle, offset, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(40, 2))
    u = np.array([np.cos(angle), np.sin(angle)])
    s = X @ u + offset
    keep = np.abs(s) > 0.15                      # a margin of 0.15 around the true boundary
    X, y = X[keep], (s[keep] > 0).astype(int)
    if len(y) < 2:
        return
    result = nn1.train_perceptron(X, y, max_epochs=500, rng=np.random.default_rng(seed))
    assert result.converged
    assert np.array_equal(nn1.perceptron_predict(X, result.w, result.b), y)


@given(st.floats(-1000, 1000), st.floats(-1000, 1000), st.sampled_from(["sigmoid", "tanh"]))
def test_saturating_neuron_is_finite_at_extreme_inputs(z1, z2, activation):
    X = np.array([[z1, z2], [-z1, -z2]])
    a, cache = nn1.neuron_forward(X, np.ones(2), 0.0, activation)
    assert np.all(np.isfinite(a)) and np.all(np.abs(a) <= 1)
    grads = nn1.neuron_backward(np.ones(2), cache)
    assert all(np.all(np.isfinite(g)) for g in grads)


@given(st.integers(0, 2**16))
def test_best_linear_accuracy_bounds_the_perceptron(seed):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((8, 2)), rng.integers(0, 2, 8)
    result = nn1.train_perceptron(X, y, max_epochs=20)
    acc = np.mean(nn1.perceptron_predict(X, result.w, result.b) == y)
    assert nn1.best_linear_accuracy(X, y).accuracy >= acc - 1e-12


# ----------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: nn1.weighted_sum(np.ones(3), np.ones(3), 0.0), r"X must have 2 dimension\(s\), got shape \(3,\)"),
    (lambda: nn1.weighted_sum(np.ones((2, 3)), np.ones(2), 0.0), r"w must have shape \(3\), got \(2,\)"),
    (lambda: nn1.weighted_sum(np.ones((0, 3)), np.ones(3), 0.0), r"X must not be empty, got shape \(0, 3\)"),
    (lambda: nn1.weighted_sum(np.array([[1.0, np.nan]]), np.ones(2), 0.0), r"X must be finite, got 1 NaN"),
    (lambda: nn1.weighted_sum(np.array([["a"]]), np.ones(1), 0.0), r"X must hold real numbers, got dtype <U1"),
    (lambda: nn1.weighted_sum(np.ones((1, 2)), np.ones(2), float("nan")), r"b must be finite, got nan"),
    (lambda: nn1.neuron_forward(np.ones((1, 2)), np.ones(2), 0.0, "softplus"), r"activation must be one of \[.*\], got 'softplus'"),
    (lambda: nn1.train_perceptron(np.ones((2, 2)), np.array([0, 2])), r"y must hold class labels 0 and 1, got values \[0, 2\]"),
    (lambda: nn1.train_perceptron(np.ones((2, 2)), np.array([0, 1, 1])), r"y must have shape \(2\), got \(3,\)"),
    (lambda: nn1.perceptron_update(np.ones(2), 3, np.ones(2), 0.0), r"y must be a class label 0 or 1, got 3"),
    (lambda: nn1.perceptron_update(np.ones(2), 1, np.ones(2), 0.0, lr=0.0), r"lr must be in \(0.0, inf\], got 0.0"),
    (lambda: nn1.logic_gate("XNOR"), r"name must be one of \['AND', 'OR', 'NAND', 'NOR', 'XOR'\], got 'XNOR'"),
    (lambda: nn1.best_linear_accuracy(np.ones((3, 3)), np.array([0, 1, 0])), r"X must have shape \(\*, 2\), got \(3, 3\)"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_inputs_raise_value_error_naming_expected_and_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- figures, widget, exercises
def test_figures_are_figures():
    X, y = nn1.logic_gate("AND")
    result = nn1.train_perceptron(X, y)
    assert isinstance(nn1.plot_weight_and_bias(), Figure)
    assert isinstance(nn1.plot_perceptron(X, y, result), Figure)
    assert isinstance(nn1.plot_gate_lines({"AND": (result.w, result.b), "XOR": (np.zeros(2), 1.0)}), Figure)


def test_neuron_explorer_reports_gates_and_the_degenerate_case():
    app = NeuronExplorer()
    assert "AND: 4/4 correct (solved!)" in app.update(1.0, 1.0, -1.5, "sigmoid", "AND")
    assert "XOR: 4/4" not in app.update(1.0, 1.0, -0.5, "step", "XOR")
    assert "no boundary" in app.update(0.0, 0.0, 0.5, "relu", "OR")


@pytest.mark.parametrize("check, solution, wrong", [
    (ch01.check_weighted_sum, ch01.solution_weighted_sum, lambda X, w, b: X @ w),
    (ch01.check_nand_weights, ch01.solution_nand_weights, lambda: (np.array([1.0, 1.0]), -1.5)),
    (ch01.check_perceptron_update, ch01.solution_perceptron_update, lambda x, y, w, b, lr: (w + lr * y * x, b + lr * y)),
])
def test_ch01_exercises_accept_the_solution_and_reject_wrong_answers(check, solution, wrong, capsys):
    assert_grades(check, solution, wrong, capsys)


@given(st.integers(0, 2**16), st.integers(3, 30))
def test_best_linear_accuracy_reports_what_its_line_achieves(seed, n):
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, 2)), 1)        # rounding creates ties on purpose
    y = rng.integers(0, 2, n)
    best = nn1.best_linear_accuracy(X, y, n_angles=360)
    assert np.isclose(np.mean(nn1.perceptron_predict(X, best.w, best.b) == y), best.accuracy)
    assert best.accuracy >= max(np.mean(y), 1 - np.mean(y))  # never worse than "everything is one class"
