"""Gradient descent (helpers.basics.gradient_descent): surface gradients against torch autograd, paths
against torch.optim.SGD (full batch and mini-batch), the exact 2/L threshold, gradient noise,
bad inputs, notebook 03's widgets and the critical-learning-rate exercise."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from helpers.basics import gradient_descent as gd
from helpers.apps.ch03_gradient_descent import (BatchSizeRace, Descent1D, Descent2D,
                                                plot_gradient_noise, plot_lr_sweep,
                                                plot_minibatch_runs)
from helpers.exercises import ch03
from helpers.ui.player import TrainingPlayer
from torch_twin import assert_close, torch_value_and_grads


@pytest.mark.parametrize("name", sorted(gd.SURFACES))
@pytest.mark.parametrize("n_points", [1, 5, 17])
def test_surface_gradients_match_torch_autograd(rng, name, n_points):
    s = gd.get_surface(name)
    lo = np.array([b[0] for b in s.bounds])
    hi = np.array([b[1] for b in s.bounds])
    P = rng.uniform(lo, hi, size=(n_points, s.dim))
    value, (grad,) = torch_value_and_grads(s.f, P)
    assert_close(s.f(P), value, what=f"{name} value")
    assert_close(s.grad(P), grad, atol=1e-9, what=f"{name} gradient")


@pytest.mark.parametrize("name, lr", [("quadratic", 0.1), ("double well", 0.05), ("bowl", 0.15), ("himmelblau", 0.02)])
def test_gradient_descent_path_matches_torch_sgd(name, lr):
    s = gd.get_surface(name)
    start = np.array([0.3] * s.dim) + np.arange(s.dim)
    run = gd.gradient_descent(s.grad, start, lr, 40, s.f)
    theta = torch.tensor(start, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=lr)
    path = [theta.detach().numpy().copy()]
    for _ in range(40):
        opt.zero_grad()
        s.f(theta).backward()
        opt.step()
        path.append(theta.detach().numpy().copy())
    assert_close(run.points, np.array(path), atol=1e-9, what="path")


def test_exact_threshold_on_the_quadratic():
    s = gd.get_surface("quadratic")
    eta_star = gd.critical_learning_rate(s.curvature)
    assert eta_star == 0.5
    below = gd.gradient_descent(s.grad, np.array([3.0]), 0.99 * eta_star, 200, s.f)
    at = gd.gradient_descent(s.grad, np.array([3.0]), eta_star, 200, s.f)
    above = gd.gradient_descent(s.grad, np.array([3.0]), 1.01 * eta_star, 200, s.f)
    assert abs(below.points[-1, 0] - 1) < 0.2 and below.oscillating
    assert np.all(np.abs(at.points[:, 0] - 1) == 2.0) and at.oscillating   # bounces between -1 and 3
    assert abs(above.points[-1, 0] - 1) > 2.0 and above.status == "diverging"


@given(st.floats(0.1, 100), st.floats(0.05, 0.95), st.floats(-10, 10).filter(lambda v: abs(v) > 1e-3))
def test_quadratic_converges_below_and_diverges_above_two_over_l(curvature, frac, x0):
    grad = lambda p: curvature * p                                      # J = L/2 x^2
    f = lambda P: 0.5 * curvature * P[..., 0] ** 2
    eta_star = gd.critical_learning_rate(curvature)
    good = gd.gradient_descent(grad, np.array([x0]), frac * eta_star, 50, f)
    bad = gd.gradient_descent(grad, np.array([x0]), (2 - frac) * eta_star, 50, f)
    assert abs(good.points[-1, 0]) < abs(x0)
    assert abs(bad.points[-1, 0]) > abs(x0) or bad.status == "diverged"


@given(st.floats(0.5, 50))
def test_divergence_stops_at_finite_points(lr):
    s = gd.get_surface("himmelblau")
    run = gd.gradient_descent(s.grad, np.array([4.0, 4.0]), lr, 500, s.f)
    assert np.all(np.isfinite(run.points)) and np.all(np.isfinite(run.values))
    assert run.status == "diverged" and "lower the learning rate" in run.describe()


def test_problem_gradient_matches_torch(rng):
    problem = gd.make_linear_problem(30, seed=1)
    w = rng.standard_normal(2)
    idx = np.array([3, 7, 11, 12])
    A = problem.design(idx)
    _, (g,) = torch_value_and_grads(lambda t: torch.nn.functional.mse_loss(torch.tensor(A) @ t, torch.tensor(problem.y[idx])), w)
    assert_close(problem.grad(w, idx), g)
    assert_close(problem.per_example_grads(w).mean(axis=0), problem.grad(w))
    assert_close(problem.loss_grid(w[None, :])[0], problem.loss(w))


@pytest.mark.parametrize("batch_size", [1, 7, 30])
def test_minibatch_sgd_matches_torch_with_the_same_batches(batch_size):
    problem = gd.make_linear_problem(30, seed=2)
    run = gd.minibatch_sgd(problem, np.zeros(2), 0.05, batch_size, 2, np.random.default_rng(5))
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05)
    A, y = torch.tensor(problem.design()), torch.tensor(problem.y)
    rng, path = np.random.default_rng(5), [w.detach().numpy().copy()]
    for _ in range(2):
        for idx in gd.epoch_batches(problem.n, batch_size, rng):
            opt.zero_grad()
            torch.nn.functional.mse_loss(A[idx] @ w, y[idx]).backward()
            opt.step()
            path.append(w.detach().numpy().copy())
    assert_close(run.points, np.array(path), atol=1e-10)
    assert run.epochs[-1] == 2.0 and len(run.points) == 1 + 2 * -(-30 // batch_size)


def test_gradient_noise_follows_the_formula():
    problem = gd.make_linear_problem(200, seed=0)
    w, rng = np.zeros(2), np.random.default_rng(0)
    theory = [gd.gradient_noise_theory(problem, w, b) for b in (1, 10, 50, 200)]
    measured = [gd.gradient_noise(problem, w, b, 3000, rng) for b in (1, 10, 50, 200)]
    assert theory[-1] == 0.0 and measured[-1] < 1e-20
    assert all(a > b for a, b in zip(theory, theory[1:]))
    for m, t in zip(measured[:-1], theory[:-1]):
        assert 0.8 < m / t < 1.25


def test_full_batch_epoch_is_one_update_and_sgd_epoch_is_n_updates():
    problem = gd.make_linear_problem(40, seed=0)
    assert len(gd.minibatch_sgd(problem, np.zeros(2), 0.1, 40, 1, np.random.default_rng(0)).points) == 2
    assert len(gd.minibatch_sgd(problem, np.zeros(2), 0.1, 1, 1, np.random.default_rng(0)).points) == 41


def test_minibatch_divergence_stops_cleanly():
    problem = gd.make_linear_problem(40, seed=0)
    run = gd.minibatch_sgd(problem, np.zeros(2), 5.0, 1, 3, np.random.default_rng(0))
    assert np.all(np.isfinite(run.points)) and len(run.points) < 121


# ----------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: gd.gradient_descent(lambda p: p, np.array([1.0]), 0.0, 5), r"lr must be in \(0.0, inf\], got 0.0"),
    (lambda: gd.gradient_descent(lambda p: p, np.array([np.nan]), 0.1, 5), r"theta0 must be finite, got 1 NaN"),
    (lambda: gd.gradient_descent(lambda p: p, np.ones((1, 2)), 0.1, 5), r"theta0 must have 1 dimension\(s\), got shape \(1, 2\)"),
    (lambda: gd.gradient_descent(lambda p: p, np.array([]), 0.1, 5), r"theta0 must not be empty, got shape \(0,\)"),
    (lambda: gd.gradient_descent(lambda p: p, np.array(["a"]), 0.1, 5), r"theta0 must hold real numbers, got dtype <U1"),
    (lambda: gd.gradient_descent(lambda p: p, np.ones(1), 0.1, 2.5), r"n_steps must be an integer, got 2.5"),
    (lambda: gd.get_surface("rosenbrock"), r"name must be one of \[.*\], got 'rosenbrock'"),
    (lambda: gd.critical_learning_rate(-1.0), r"curvature must be in \(0.0, inf\], got -1.0"),
    (lambda: list(gd.epoch_batches(10, 11, np.random.default_rng(0))), r"batch_size must be in \[1, 10\], got 11"),
    (lambda: gd.minibatch_sgd(gd.make_linear_problem(10), np.zeros(3), 0.1, 2, 1, np.random.default_rng(0)), r"w0 must have shape \(2\), got \(3,\)"),
    (lambda: gd.make_linear_problem(1), r"n must be in \[2, inf\], got 1"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_inputs_raise_value_error_naming_expected_and_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- widgets, figures, exercise
def test_descent_widgets_say_what_happened():
    app = Descent1D()
    assert app.update("quadratic", 0.1, -1.5, 30).startswith("converged")
    assert "ηL = 2 exactly" in app.update("quadratic", 0.5, -1.5, 30)
    assert app.update("quadratic", 0.6, -1.5, 30).startswith("diverging")
    assert app.update("quadratic", 2.0, -1.5, 30).startswith("diverged after")
    app2 = Descent2D()
    assert app2.update("bowl", 0.21, -4.0, 2.0, 200).startswith("diverged")
    assert app2.update("himmelblau", 0.05, 0.0, 0.0, 200).startswith("converged")


def test_batch_size_race_runs_in_the_player_and_reports_divergence():
    player = TrainingPlayer(BatchSizeRace(), lr=0.05, lr_range=(1e-3, 1.0))
    status = player.run(20)
    assert status.startswith("after 20 updates") and not player.diverged
    player.lr_slider.value = 1.0
    status = player.run(200)
    assert player.diverged and "diverged at step" in status
    player.reset()
    assert player.step_count == 0 and not player.diverged


def test_static_figures_build():
    problem = gd.make_linear_problem(40)
    runs = [gd.minibatch_sgd(problem, np.zeros(2), 0.05, b, 1, np.random.default_rng(0)) for b in (40, 1)]
    plot_minibatch_runs(problem, runs)
    plot_lr_sweep(gd.get_surface("quadratic"), 3.0, [0.1, 0.6])
    plot_gradient_noise([1, 10, 40], [1.0, 0.1, 0.0], [1.0, 0.1, 0.0])


def test_critical_lr_exercise_accepts_the_solution_and_rejects_wrong_answers(capsys):
    assert ch03.check_critical_lr(ch03.solution_critical_lr).ok
    assert not ch03.check_critical_lr(lambda H: 2.0 / np.trace(H)).ok
    assert "not attempted yet" in ch03.check_critical_lr(lambda H: ...).message
    assert "✅" in capsys.readouterr().out


def test_runners_look_the_same_in_the_race_and_the_epoch_figure():
    """Full batch, mini-batch and SGD keep one colour and one line style across notebook 03's figures
    (they used to swap colours between the race and the same-work figure), and no two runners share
    a colour or a line style."""
    race = BatchSizeRace(batch_size=20)
    looks = {name: (line.get_color(), line.get_linestyle()) for name, line in race.lines.items()}
    assert len({c for c, _ in looks.values()}) == 3 and len({s for _, s in looks.values()}) == 3
    problem = gd.make_linear_problem(200, seed=0)
    runs = [gd.minibatch_sgd(problem, np.array([2.0, -1.0]), 0.05, b, 1, np.random.default_rng(0))
            for b in (200, 20, 1)]
    fig = plot_minibatch_runs(problem, runs)
    drawn = [(line.get_color(), line.get_linestyle()) for line in fig.axes[1].get_lines()[:3]]
    assert drawn == [looks["full batch"], looks["mini-batch"], looks["SGD"]]
