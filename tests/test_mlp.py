"""The NumPy MLP forward pass and universal approximation (helpers.basics.mlp) against torch in float64,
properties, bad inputs, notebook 02's exercises and figures.

The module has no backward pass (training and gradients arrive with the autograd engine of
notebook 04), so the torch twins here compare forward values and least-squares solutions."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from helpers.basics import mlp
from helpers.apps import ch02_networks as mlp_app
from helpers.core.data import make_circles
from helpers.exercises import ch02
from torch_twin import assert_close
from exercise_grading import assert_grades

TORCH_ACT = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
SIZES = [[1, 1], [2, 4, 1], [3, 8, 8, 2], [5, 16, 7, 4, 3]]


def _torch_net(layers, activation):
    mods = []
    for i, layer in enumerate(layers):
        lin = torch.nn.Linear(*layer.W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(layer.W.T))   # torch stores (D_out, D_in)
            lin.bias.copy_(torch.tensor(layer.b))
        mods.append(lin)
        if i < len(layers) - 1:
            mods.append(TORCH_ACT[activation]())
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("activation", sorted(TORCH_ACT))
@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_mlp_forward_and_trace_match_torch(rng, sizes, activation):
    layers = mlp.init_mlp(sizes, rng)
    for layer in layers:
        layer.b = rng.standard_normal(layer.b.shape)
    X = rng.standard_normal((6, sizes[0]))
    net = _torch_net(layers, activation)
    with torch.no_grad():
        want = net(torch.tensor(X)).numpy()
    assert_close(mlp.mlp_forward(X, layers, activation), want, what="mlp output")
    trace = mlp.mlp_trace(X, layers, activation)
    assert [t.shape for t in trace] == [(6, d) for d in sizes[1:]]
    assert sum(p.numel() for p in net.parameters()) == mlp.mlp_params(sizes)


def test_dense_matches_torch_linear(rng):
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    assert_close(mlp.dense(X, W, b), torch.nn.functional.linear(torch.tensor(X), torch.tensor(W.T), torch.tensor(b)).numpy())


def test_xor_network_is_exact():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    assert mlp.mlp_forward(X, mlp.xor_network())[:, 0].tolist() == [0.0, 1.0, 1.0, 0.0]


def test_init_mlp_uses_he_variance():
    layers = mlp.init_mlp([400, 300], np.random.default_rng(0))
    assert abs(layers[0].W.var() - 2 / 400) < 0.05 * 2 / 400
    assert np.all(layers[0].b == 0)


@pytest.mark.parametrize("n_units", [1, 5, 20])
def test_least_squares_output_layer_matches_torch_lstsq(rng, n_units):
    x = np.linspace(-1, 1, 50)
    y = np.sin(3 * x)
    fit = mlp.fit_relu_network(x, y, n_units, "random", rng)
    H = torch.tensor(fit.features(x))
    v = torch.linalg.lstsq(H, torch.tensor(y)[:, None], driver="gelsd").solution[:, 0]
    assert_close(fit.predict(x), (H @ v).numpy(), atol=1e-8, what="least-squares fit")
    assert_close(mlp.mlp_forward(x[:, None], fit.as_layers())[:, 0], fit.predict(x), what="as_layers")


def test_fit_output_layer_matches_torch_lstsq(rng):
    H, Y = rng.standard_normal((30, 6)), rng.standard_normal((30, 2))
    layer = mlp.fit_output_layer(H, Y)
    A = torch.tensor(np.concatenate([H, np.ones((30, 1))], axis=1))
    sol = torch.linalg.lstsq(A, torch.tensor(Y)).solution.numpy()
    assert_close(layer.W, sol[:-1], atol=1e-9)
    assert_close(layer.b, sol[-1], atol=1e-9)


@pytest.mark.parametrize("target", sorted(mlp.TARGETS))
def test_grid_units_error_never_grows_when_units_double(target):
    x = np.linspace(-1, 1, 400)
    y = mlp.target_function(target)(x)
    errors = [mlp.rms_error(mlp.fit_relu_network(x, y, n).predict(x), y) for n in (1, 2, 4, 8, 16, 32, 64)]
    assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] < errors[0] / 5


def test_two_grid_units_represent_abs_exactly():
    x = np.linspace(-1, 1, 101)
    assert mlp.rms_error(mlp.fit_relu_network(x, np.abs(x), 2).predict(x), np.abs(x)) < 1e-12


def test_random_relu_layer_boundaries_cross_the_data(rng):
    X = rng.standard_normal((50, 2))
    layer = mlp.random_relu_layer(10, X, rng)
    Z = X @ layer.W + layer.b
    assert np.allclose(np.linalg.norm(layer.W, axis=0), 1.0)
    assert np.all((Z.min(axis=0) <= 1e-12) & (Z.max(axis=0) >= -1e-12))


def test_circles_need_many_units_not_one():
    X, y = make_circles(300, noise=0.08, factor=0.5, seed=0)
    hidden = mlp.random_relu_layer(16, X, np.random.default_rng(0))
    H = mlp.mlp_trace(X, [hidden, mlp.Layer(np.zeros((16, 1)), np.zeros(1))])[0]
    out = mlp.fit_output_layer(H, (2.0 * y - 1)[:, None])
    assert np.mean((mlp.mlp_forward(X, [hidden, out])[:, 0] > 0) == y) >= 0.95


# ----------------------------------------------------------------------------- properties
@given(st.integers(0, 2**16), st.floats(0.01, 100))
def test_bias_free_relu_network_is_positively_homogeneous(seed, alpha):
    rng = np.random.default_rng(seed)
    layers = mlp.init_mlp([3, 5, 4, 2], rng)
    X = rng.standard_normal((4, 3))
    assert np.allclose(mlp.mlp_forward(alpha * X, layers), alpha * mlp.mlp_forward(X, layers), rtol=1e-9, atol=1e-12)


@given(st.integers(0, 2**16), st.floats(-1e3, 1e3))
def test_saturating_networks_stay_finite_for_large_inputs(seed, scale):
    rng = np.random.default_rng(seed)
    layers = mlp.init_mlp([2, 8, 1], rng)
    X = scale * rng.standard_normal((5, 2))
    for activation in ("sigmoid", "tanh"):
        assert np.all(np.isfinite(mlp.mlp_forward(X, layers, activation)))


@given(st.lists(st.integers(1, 50), min_size=2, max_size=6))
def test_count_parameters_matches_the_layers(sizes):
    layers = mlp.init_mlp(sizes, np.random.default_rng(0))
    assert mlp.mlp_params(sizes) == sum(l.W.size + l.b.size for l in layers)


# ----------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: mlp.dense(np.ones(3), np.ones((3, 2)), np.ones(2)), r"X must have 2 dimension\(s\), got shape \(3,\)"),
    (lambda: mlp.dense(np.ones((4, 3)), np.ones((2, 2)), np.ones(2)), r"W must have shape \(3, \*\), got \(2, 2\)"),
    (lambda: mlp.dense(np.ones((4, 3)), np.ones((3, 2)), np.ones(3)), r"b must have shape \(2\), got \(3,\)"),
    (lambda: mlp.dense(np.ones((0, 3)), np.ones((3, 2)), np.ones(2)), r"X must not be empty, got shape \(0, 3\)"),
    (lambda: mlp.dense(np.full((1, 3), np.nan), np.ones((3, 2)), np.ones(2)), r"X must be finite, got 3 NaN"),
    (lambda: mlp.dense(np.ones((1, 3), dtype=complex), np.ones((3, 2)), np.ones(2)), r"X must hold real numbers, got dtype complex128"),
    (lambda: mlp.mlp_forward(np.ones((1, 2)), []), r"layers must hold at least one Layer, got an empty list"),
    (lambda: mlp.mlp_forward(np.ones((1, 2)), [np.ones((2, 2))]), r"layers\[0\] must be a Layer, got ndarray"),
    (lambda: mlp.mlp_forward(np.ones((1, 2)), mlp.xor_network(), "gelu"), r"activation must be one of \['relu', 'tanh', 'sigmoid'\], got 'gelu'"),
    (lambda: mlp.Layer(np.ones((2, 3)), np.ones(2)), r"b must have shape \(3\), got \(2,\)"),
    (lambda: mlp.init_mlp([3], np.random.default_rng(0)), r"sizes needs at least an input and an output width, got \[3\]"),
    (lambda: mlp.mlp_params([3, 0]), r"sizes\[i\] must be in \[1, inf\], got 0"),
    (lambda: mlp.fit_relu_network(np.linspace(0, 1, 5), np.ones(4), 3), r"y must have shape \(5\), got \(4,\)"),
    (lambda: mlp.fit_relu_network(np.linspace(0, 1, 5), np.ones(5), 3, "random"), r"kind='random' needs an rng .* got None"),
    (lambda: mlp.fit_relu_network(np.linspace(0, 1, 5), np.ones(5), 0), r"n_units must be in \[1, 10000\], got 0"),
    (lambda: mlp.target_function("cubic"), r"name must be one of \[.*\], got 'cubic'"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_inputs_raise_value_error_naming_expected_and_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- figures, widget, exercises
def test_figures_are_figures():
    X, y = make_circles(100, seed=0)
    hidden = mlp.random_relu_layer(8, X, np.random.default_rng(0))
    out = mlp.Layer(np.ones((8, 1)), np.zeros(1))
    assert isinstance(mlp_app.plot_xor_network(mlp.xor_network()), Figure)
    assert isinstance(mlp_app.plot_hidden_units(X, y, [hidden, out], n_show=5), Figure)
    assert isinstance(mlp_app.plot_approximation_errors([1, 2], {"grid": [0.5, 0.1]}, "wave"), Figure)


def test_universal_approximator_status_reports_the_error():
    app = mlp_app.UniversalApproximator()
    coarse = app.update(n_units=2, target="wave")
    fine = app.update(n_units=64, target="wave")
    rms = [float(s.split("RMS error ")[1].split(",")[0]) for s in (coarse, fine)]
    assert rms[1] < rms[0] / 10


@pytest.mark.parametrize("check, solution, wrong", [
    (ch02.check_dense_relu, ch02.solution_dense_relu, lambda X, W, b: X @ W + b),
    (ch02.check_parameter_count, ch02.solution_parameter_count, lambda s: sum(a * b for a, b in zip(s[:-1], s[1:]))),
    (ch02.check_xnor_network, ch02.solution_xnor_network, mlp.xor_network),
])
def test_ch02_exercises_accept_the_solution_and_reject_wrong_answers(check, solution, wrong, capsys):
    assert_grades(check, solution, wrong, capsys)
