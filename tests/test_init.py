"""helpers.training.init: sample statistics against the formulas and against torch.nn.init (seeded,
distributional, with stated tolerances); notebook 06's explorer, figures and exercise checks.

Tolerances: with M = 150,000 samples the relative standard error of a sample std is about
1/sqrt(2M) = 0.2% (less for uniforms), so 2% is a ten-sigma margin; the mean is checked within
5 standard errors, std/sqrt(M). Two-sample Kolmogorov-Smirnov tests against torch's samples use
p > 1e-4 (they fail for a wrong shape of distribution, e.g. normal vs uniform, with p ~ 0).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy.stats import ks_2samp

from helpers.training import init as I
from helpers.apps import ch06_initialization as app06
from helpers.exercises import ch06

N_IN, N_OUT = 500, 300  # 150,000 samples per matrix


def _std_ok(W: np.ndarray, std: float) -> None:
    assert W.std() == pytest.approx(std, rel=0.02)
    assert abs(W.mean()) < 5 * std / math.sqrt(W.size)


# (ours, torch.nn.init twin applied to an (out, in) tensor, theoretical std, uniform bound or None)
TWINS = {
    "xavier_uniform": (lambda r: I.xavier_uniform(N_IN, N_OUT, r), torch.nn.init.xavier_uniform_,
                       math.sqrt(2 / (N_IN + N_OUT)), math.sqrt(6 / (N_IN + N_OUT))),
    "xavier_uniform(gain)": (lambda r: I.xavier_uniform(N_IN, N_OUT, r, gain=5 / 3),
                             lambda t: torch.nn.init.xavier_uniform_(t, gain=5 / 3),
                             5 / 3 * math.sqrt(2 / (N_IN + N_OUT)), 5 / 3 * math.sqrt(6 / (N_IN + N_OUT))),
    "xavier_normal": (lambda r: I.xavier_normal(N_IN, N_OUT, r), torch.nn.init.xavier_normal_,
                      math.sqrt(2 / (N_IN + N_OUT)), None),
    "he_uniform": (lambda r: I.he_uniform(N_IN, N_OUT, r),
                   lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu"),
                   math.sqrt(2 / N_IN), math.sqrt(6 / N_IN)),
    "he_uniform(fan_out)": (lambda r: I.he_uniform(N_IN, N_OUT, r, mode="fan_out"),
                            lambda t: torch.nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
                            math.sqrt(2 / N_OUT), math.sqrt(6 / N_OUT)),
    "he_normal": (lambda r: I.he_normal(N_IN, N_OUT, r),
                  lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / N_IN), None),
    "he_normal(fan_out)": (lambda r: I.he_normal(N_IN, N_OUT, r, mode="fan_out"),
                           lambda t: torch.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
                           math.sqrt(2 / N_OUT), None),
    "normal(0.01)": (lambda r: I.normal(N_IN, N_OUT, r, std=0.01), lambda t: torch.nn.init.normal_(t, std=0.01),
                     0.01, None),
}


@pytest.mark.parametrize("name", list(TWINS))
def test_statistics_match_formula_and_torch(name):
    ours_fn, torch_fn, std, bound = TWINS[name]
    W = ours_fn(np.random.default_rng(0))
    assert W.shape == (N_IN, N_OUT) and W.dtype == np.float64
    _std_ok(W, std)
    torch.manual_seed(0)
    T = torch.empty(N_OUT, N_IN, dtype=torch.float64)  # torch layout (out, in): fan_in = shape[1]
    torch_fn(T)
    T = T.numpy().T
    _std_ok(T, std)
    assert W.std() == pytest.approx(T.std(), rel=0.03)
    assert ks_2samp(W.ravel()[::10], T.ravel()[::10]).pvalue > 1e-4
    if bound is not None:
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.999 * bound
        assert np.abs(T).max() <= bound * (1 + 1e-12)


def test_ks_test_detects_the_wrong_distribution():
    # the distributional test above has power: a uniform and a normal of equal std differ
    W = I.xavier_uniform(N_IN, N_OUT, np.random.default_rng(0))
    V = I.xavier_normal(N_IN, N_OUT, np.random.default_rng(1))
    assert ks_2samp(W.ravel()[::10], V.ravel()[::10]).pvalue < 1e-6


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_gain_matches_torch(name):
    assert I.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert I.calculate_gain("leaky_relu", 0.2) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


@pytest.mark.parametrize("name", list(I.INITIALIZERS))
def test_registry_theoretical_std_and_determinism(name):
    init = I.INITIALIZERS[name]
    W = init.fn(N_IN, N_OUT, np.random.default_rng(3))
    assert W.shape == (N_IN, N_OUT)
    assert W.std() == pytest.approx(init.std(N_IN, N_OUT), rel=0.02, abs=1e-12)
    assert np.array_equal(W, init.fn(N_IN, N_OUT, np.random.default_rng(3)))


def test_zeros_and_constant():
    assert not I.zeros(3, 4).any()
    assert np.all(I.constant(3, 4, value=0.25) == 0.25)


@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_uniform_inits_respect_their_bounds(n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    assert np.abs(I.xavier_uniform(n_in, n_out, rng)).max() <= math.sqrt(6 / (n_in + n_out))
    assert np.abs(I.he_uniform(n_in, n_out, rng)).max() <= math.sqrt(6 / n_in)
    assert I.he_normal(n_in, n_out, rng).shape == (n_in, n_out)


def test_init_weights_shapes():
    Ws = I.init_weights("he", [5, 7, 3], np.random.default_rng(0))
    assert [W.shape for W in Ws] == [(5, 7), (7, 3)]


def test_copy_into_linear_uses_torch_layout():
    layer = torch.nn.Linear(4, 3).double()
    rng = np.random.default_rng(0)
    W, b, x = I.xavier_uniform(4, 3, rng), rng.normal(size=3), rng.normal(size=(2, 4))
    I.copy_into_linear(layer, W, b)
    assert layer.weight.shape == (3, 4)
    out = layer(torch.tensor(x)).detach().numpy()
    assert np.allclose(out, x @ W + b, atol=1e-12)
    I.copy_into_linear(layer, W)
    assert not layer.bias.detach().numpy().any()


@pytest.mark.parametrize("call, words", [
    (lambda: I.xavier_uniform(0, 3, np.random.default_rng(0)), ["n_in", "[1", "0"]),
    (lambda: I.he_normal(3, 2.5, np.random.default_rng(0)), ["n_out", "integer", "2.5"]),
    (lambda: I.normal(3, 3, np.random.default_rng(0), std=-1.0), ["std", "-1.0"]),
    (lambda: I.xavier_normal(3, 3, rng=0), ["numpy.random.Generator", "int"]),
    (lambda: I.he_uniform(3, 3, np.random.default_rng(0), mode="fan_avg"), ["fan_in", "fan_avg"]),
    (lambda: I.get_initializer("orthogonal"), ["he", "orthogonal"]),
    (lambda: I.calculate_gain("selu"), ["relu", "selu"]),
    (lambda: I.init_weights("he", [5], np.random.default_rng(0)), ["at least", "[5]"]),
    (lambda: I.copy_into_linear(torch.nn.Linear(4, 3), np.zeros((3, 4))), ["(4, 3)", "(3, 4)"]),
    (lambda: I.constant(2, 2, value=float("nan")), ["value", "finite"]),
])
def test_bad_input_names_expected_and_received(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


# ----------------------------------------------------------------------------- notebook 06's app
@pytest.mark.parametrize("init, activation, word", [
    ("zeros", "tanh", "symmetric"), ("small", "tanh", "vanishing"), ("small", "relu", "vanishing"),
    ("large", "relu", "exploding"), ("large", "tanh", "exploding"), ("he", "relu", "preserved"),
    ("xavier", "tanh", "preserved"), ("xavier", "relu", "vanishing"),
])
def test_explorer_status_names_the_regime(init, activation, word):
    status = app06.InitExplorer().update(init=init, activation=activation, depth=30)
    assert status.split(", 30 layers: ")[1].startswith(word), status


def test_explorer_reports_overflow_in_words(monkeypatch):
    from helpers.training import deepnet

    def huge(name, widths, rng):   # far too large weights: the forward signal overflows at layer 2
        return [np.full((a, b), 1e200) for a, b in zip(widths[:-1], widths[1:])]

    monkeypatch.setattr(deepnet, "init_weights", huge)
    status, ok = app06.InitExplorer().safe_update(init="large", activation="relu", depth=50)
    assert ok and "overflowed float64 at layer 2" in status


def test_static_figures():
    fig = app06.histogram_grid([("small", "tanh"), ("he", "relu")], depth=10, layers=(1, 5, 10))
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # one panel per pair and the layer colour bar
    prof = app06.scale_profiles_figure([("small", "tanh"), ("he", "relu")], depth=10)
    assert isinstance(prof, Figure) and len(prof.axes) == 2 and len(prof.axes[1].lines) == 2
    with pytest.raises(ValueError, match="at least one"):
        app06.scale_profiles_figure([], depth=10)
    assert isinstance(app06.hidden_weights_figure({"a": np.ones((4, 3)), "b": np.eye(3)}), Figure)
    with pytest.raises(ValueError, match="layers must be in 1..10"):
        app06.histogram_grid([("he", "relu")], depth=10, layers=(0, 11))
    with pytest.raises(ValueError, match="at least one"):
        app06.histogram_grid([], depth=10, layers=(1, 10))


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check, solution, wrong", [
    (ch06.check_xavier_bound, ch06.solution_xavier_bound, lambda a, b: math.sqrt(2 / (a + b))),
    (ch06.check_xavier_bound, ch06.solution_xavier_bound, lambda a, b: math.sqrt(6 / a)),
    (ch06.check_he_std, ch06.solution_he_std, lambda n: 2 / n),
    (ch06.check_he_std, ch06.solution_he_std, lambda n: math.sqrt(1 / n)),
    (ch06.check_relu_variance, ch06.solution_relu_variance, lambda s, n, d: (n * s * s) ** d),
    (ch06.check_relu_variance, ch06.solution_relu_variance, lambda s, n, d: (n * s * s / 2) ** d),
])
def test_exercise_checks_accept_solution_and_reject_wrong(check, solution, wrong, capsys):
    assert check(solution).ok
    assert "✅" in capsys.readouterr().out
    feedback = check(wrong)
    assert not feedback.ok and "❌" in feedback.message


@pytest.mark.parametrize("check, stub", [(ch06.check_xavier_bound, lambda a, b: ...),
                                         (ch06.check_he_std, lambda n: ...),
                                         (ch06.check_relu_variance, lambda s, n, d: ...)])
def test_exercise_stub_reads_not_attempted(check, stub):
    feedback = check(stub)
    assert not feedback.ok and "not attempted yet" in feedback.message


def test_exercise_solutions_agree_with_the_library():
    assert ch06.solution_xavier_bound(30, 70) == pytest.approx(math.sqrt(3) * I.xavier_std(30, 70))
    assert ch06.solution_he_std(30) == pytest.approx(I.he_std(30, 1))
    # The prediction is an average over random weights: one draw of a 128-wide stack scatters by
    # about 12% around it, the mean of 10 draws by about 4%; we allow 12%.
    from helpers.training.deepnet import forward_backward

    second_moments = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        Ws = [I.normal(128, 128, rng, std=0.15) for _ in range(3)]
        z = forward_backward(rng.standard_normal((500, 128)), Ws, "relu").preacts[-1]
        second_moments.append(np.mean(z ** 2))
    assert np.mean(second_moments) == pytest.approx(ch06.solution_relu_variance(0.15, 128, 3), rel=0.12)
