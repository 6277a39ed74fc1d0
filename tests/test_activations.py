"""helpers.basics.activations against torch.nn.functional, at the kinks, at the extremes, and on bad input;
plus notebook 05's explorer, figures and exercise checks."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from torch_twin import assert_close, torch_value_and_grads

from helpers.basics import activations as A
from helpers.apps import ch05_activations as app05
from helpers.exercises import ch05

# (name, ours, our derivative, torch twin) with hyper-parameters spelled out.
CASES = [
    ("sigmoid", A.sigmoid, A.sigmoid_grad, torch.sigmoid),
    ("tanh", A.tanh, A.tanh_grad, torch.tanh),
    ("relu", A.relu, A.relu_grad, F.relu),
    ("leaky_relu", A.leaky_relu, A.leaky_relu_grad, F.leaky_relu),
    ("leaky_relu(0.2)", lambda x: A.leaky_relu(x, 0.2), lambda x: A.leaky_relu_grad(x, 0.2),
     lambda t: F.leaky_relu(t, 0.2)),
    ("elu", A.elu, A.elu_grad, F.elu),
    ("elu(2.0)", lambda x: A.elu(x, 2.0), lambda x: A.elu_grad(x, 2.0), lambda t: F.elu(t, 2.0)),
    ("gelu", A.gelu, A.gelu_grad, F.gelu),
    ("gelu(tanh)", lambda x: A.gelu(x, "tanh"), lambda x: A.gelu_grad(x, "tanh"),
     lambda t: F.gelu(t, approximate="tanh")),
    ("silu", A.silu, A.silu_grad, F.silu),
    ("swish(1.5)", lambda x: A.swish(x, 1.5), lambda x: A.swish_grad(x, 1.5), lambda t: t * torch.sigmoid(1.5 * t)),
]
IDS = [c[0] for c in CASES]
SHAPES = [(), (7,), (3, 4), (2, 3, 5)]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_torch_value_and_derivative(case, shape, rng):
    _, fn, grad, torch_fn = case
    x = 3.0 * rng.standard_normal(shape)
    upstream = rng.standard_normal(shape)
    value, (dx,) = torch_value_and_grads(torch_fn, x, upstream=upstream)
    assert_close(fn(x), value, what="value")
    assert_close(upstream * grad(x), dx, what="derivative")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kink_and_extremes_match_torch_autograd(case):
    _, fn, grad, torch_fn = case
    x = np.array([0.0, -0.0, -1000.0, 1000.0, -40.0, 40.0, 1e-300, -1e-300])
    value, (dx,) = torch_value_and_grads(torch_fn, x)
    assert_close(fn(x), value, atol=1e-12, what="value")
    assert_close(grad(x), dx, atol=1e-12, what="derivative")


@pytest.mark.parametrize("name, at_zero", [("relu", 0.0), ("leaky_relu", 0.01), ("elu", 1.0), ("gelu", 0.5),
                                           ("silu", 0.5), ("sigmoid", 0.25), ("tanh", 1.0)])
def test_documented_derivative_at_zero(name, at_zero):
    assert A.get_activation(name).grad(np.zeros(1))[0] == pytest.approx(at_zero)


def test_kink_conventions_with_hyperparameters():
    assert A.leaky_relu_grad(np.zeros(1), 0.3)[0] == 0.3  # alpha at the kink (left derivative)
    assert A.elu_grad(np.zeros(1), 2.5)[0] == 2.5          # alpha e^0 at x = 0, as PyTorch
    assert A.relu_grad(np.zeros(1))[0] == 0.0
    assert A.leaky_relu(np.array([-2.0]), 0.0)[0] == 0.0    # alpha = 0 is ReLU


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_extremes_without_warnings(name, dtype):
    act = A.ACTIVATIONS[name]
    big = np.finfo(dtype).max / 4
    x = np.array([-big, -1000, -100, -1, 0, 1, 100, 1000, big, -np.inf, np.inf], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        y, g = act.fn(x), act.grad(x)
    for out in (y, g):
        assert out.dtype == dtype and out.shape == x.shape
        assert not np.any(np.isnan(out))
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(y[np.isfinite(x)]))


@pytest.mark.parametrize("fn", [lambda x: A.gelu(x, "tanh"), lambda x: A.gelu_grad(x, "tanh"),
                                lambda x: A.swish(x, 2.0), lambda x: A.swish_grad(x, 2.0)])
def test_variants_stable_at_1000_float32(fn):
    x = np.array([-1000, 0, 1000], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        y = fn(x)
    assert y.dtype == np.float32 and np.all(np.isfinite(y))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_activation_finite_for_any_float64(v):
    x = np.array([v])
    with np.errstate(over="raise", invalid="raise"):
        for act in A.ACTIVATIONS.values():
            assert np.isfinite(act.fn(x)).all() and np.isfinite(act.grad(x)).all()


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_every_activation_finite_for_any_float32(v):
    x = np.array([v], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        for act in A.ACTIVATIONS.values():
            y, g = act.fn(x), act.grad(x)
            assert y.dtype == np.float32 and np.isfinite(y).all() and np.isfinite(g).all()


@given(st.floats(-30, 30), st.floats(-30, 30))
def test_monotone_and_bounded(a, b):
    lo, hi = np.array([min(a, b)]), np.array([max(a, b)])
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu"):
        f = A.ACTIVATIONS[name].fn
        assert f(lo)[0] <= f(hi)[0]
    x = np.array([a, b])
    assert np.all((A.sigmoid(x) >= 0) & (A.sigmoid(x) <= 1))
    assert np.all(np.abs(A.tanh(x)) <= 1)
    assert np.all(A.elu(x) >= -1.0)
    assert np.all(A.gelu(x) >= -0.17) and np.all(A.silu(x) >= -0.28)  # minima -0.170 and -0.278


@given(st.floats(-8, 8).filter(lambda v: abs(v) > 1e-3))
def test_derivatives_match_central_differences(v):
    h = 1e-6
    for act in A.ACTIVATIONS.values():
        numeric = (act.fn(np.array([v + h])) - act.fn(np.array([v - h])))[0] / (2 * h)
        assert act.grad(np.array([v]))[0] == pytest.approx(numeric, rel=1e-5, abs=1e-7), act.name


def test_elu_uses_expm1_accuracy_near_zero():
    x = np.array([-1e-12])
    assert A.elu(x)[0] == pytest.approx(-1e-12, rel=1e-9)  # exp(x) - 1 would give about -1.0000889e-12


def test_gelu_keeps_precision_in_the_left_tail():
    # Phi(-10) ~ 7.6e-24: 1 + erf(-10/sqrt2) would round to 0, erfc keeps it.
    assert A.gelu(np.array([-10.0]))[0] == pytest.approx(-10 * 7.61985302416e-24, rel=1e-9)


def test_empty_input_gives_empty_output():
    for act in A.ACTIVATIONS.values():
        out = act.fn(np.zeros((0, 3), dtype=np.float32))
        assert out.shape == (0, 3) and out.dtype == np.float32


def test_existing_api_is_kept():
    for name in ("step", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "get_activation"):
        assert hasattr(A, name)
    assert A.step(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]
    assert {"sigmoid", "tanh", "relu"} <= set(A.ACTIVATIONS)
    assert all(a.formula and a.title for a in A.ACTIVATIONS.values())


@pytest.mark.parametrize("bad, words", [
    (np.array([1.0, np.nan]), ["NaN", "shape (2,)"]),
    ("abc", ["array of numbers", "str"]),
    (np.array([1 + 2j]), ["real numbers", "complex"]),
    ([[1.0, 2.0], [3.0]], ["regular shape"]),
])
@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_bad_input_names_expected_and_received(name, bad, words):
    with pytest.raises(ValueError) as info:
        A.ACTIVATIONS[name].fn(bad)
    assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize("call, words", [
    (lambda: A.leaky_relu(np.ones(2), alpha=-0.1), ["alpha", "-0.1"]),
    (lambda: A.leaky_relu_grad(np.ones(2), alpha=2.0), ["alpha", "2.0"]),
    (lambda: A.elu(np.ones(2), alpha=0.0), ["alpha", "0.0"]),
    (lambda: A.gelu(np.ones(2), approximate="fast"), ["'none' or 'tanh'", "fast"]),
    (lambda: A.swish(np.ones(2), beta=-1.0), ["beta", "-1.0"]),
    (lambda: A.get_activation("softmax"), ["softmax", "relu"]),
])
def test_bad_hyperparameters(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


# ----------------------------------------------------------------------------- notebook 05's app
@pytest.mark.parametrize("activation, depth, word", [("sigmoid", 20, "vanished"), ("sigmoid", 50, "vanished"),
                                                     ("relu", 20, "healthy"), ("leaky_relu", 50, "healthy")])
def test_explorer_status_names_the_regime(activation, depth, word):
    status = app05.ActivationExplorer().update(activation=activation, depth=depth)
    assert word in status and str(depth) in status


def test_stack_profile_shapes_and_dead_relu_units():
    prof = app05.stack_profile("relu", 30)
    assert all(v.shape == (30,) for v in prof.values())
    assert np.all(prof["lo"] <= prof["median"]) and np.all(prof["median"] <= prof["hi"])
    assert prof["dead"].max() > 0 and app05.stack_profile("leaky_relu", 30)["dead"].max() == 0


def test_describe_ratio_words():
    assert "vanished" in app05.describe_ratio(1e-5)
    assert "exploded" in app05.describe_ratio(1e5)
    assert "healthy" in app05.describe_ratio(0.5)
    assert "no gradient" in app05.describe_ratio(0.0)


def test_static_figures_and_table():
    assert isinstance(app05.activation_gallery(), Figure)
    assert isinstance(app05.gradient_profile_figure({"relu": np.ones(5), "sigmoid": 0.1 ** np.arange(5)[::-1]}), Figure)
    assert isinstance(app05.dead_units_figure(np.array([0.1, 1.0]), np.array([0.0, 0.3])), Figure)
    table = app05.markdown_table(["a", "b"], [["x", 0.12345], ["y", 2]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x | 0.123 |", "| y | 2 |"]
    with pytest.raises(ValueError, match="every row must have 2 cells"):
        app05.markdown_table(["a", "b"], [["x"]])
    with pytest.raises(ValueError, match="dead must have shape"):
        app05.dead_units_figure(np.array([0.1, 1.0]), np.array([0.0]))


# ----------------------------------------------------------------------------- exercises
def _wrong_softplus(x):
    with np.errstate(over="ignore"):
        return np.log(1 + np.exp(x))


@pytest.mark.parametrize("check, solution, wrong", [
    (ch05.check_softplus, ch05.solution_softplus, _wrong_softplus),
    (ch05.check_softplus, ch05.solution_softplus, lambda x: np.maximum(x, 0)),
    (ch05.check_sigmoid_chain, ch05.solution_sigmoid_chain(), 0.5 ** 10),
    (ch05.check_sigmoid_chain, ch05.solution_sigmoid_chain(), 0.25),
    (ch05.check_dead_fraction, ch05.solution_dead_fraction, lambda Z: float(np.mean(Z <= 0))),
    (ch05.check_dead_fraction, ch05.solution_dead_fraction, lambda Z: float(np.mean(np.all(Z < 0, axis=0)))),
])
def test_exercise_checks_accept_solution_and_reject_wrong(check, solution, wrong, capsys):
    assert check(solution).ok
    assert "✅" in capsys.readouterr().out
    feedback = check(wrong)
    assert not feedback.ok and "❌" in feedback.message


@pytest.mark.parametrize("check, stub", [(ch05.check_softplus, lambda x: ...), (ch05.check_sigmoid_chain, ...),
                                         (ch05.check_dead_fraction, lambda Z: ...)])
def test_exercise_stub_reads_not_attempted(check, stub):
    feedback = check(stub)
    assert not feedback.ok and "not attempted yet" in feedback.message
