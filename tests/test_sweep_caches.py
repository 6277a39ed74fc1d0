"""The caches and shared computations behind the sliders of notebooks 02, 03, 05, 06 and 07 give
exactly what a fresh computation gives, for several control values visited in any order."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from helpers.apps import ch02_networks as app02
from helpers.apps import ch03_gradient_descent as app03
from helpers.apps import ch05_activations as app05
from helpers.apps import ch06_initialization as app06
from helpers.apps import ch07_optimizers as app07
from helpers.basics.mlp import fit_relu_network, target_function
from helpers.training import deepnet as D
from helpers.training import trajectories as T


def _shuffled(values: list, seed: int = 0) -> list:
    values = list(values)
    random.Random(seed).shuffle(values)
    return values


def _assert_traces_equal(a: D.DeepTrace, b: D.DeepTrace) -> None:
    for field in dataclasses.fields(D.DeepTrace):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, list):
            assert len(x) == len(y), field.name
            for u, v in zip(x, y):
                np.testing.assert_array_equal(u, v, err_msg=field.name)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=field.name)
        else:
            assert x == y, field.name


# ----------------------------------------------------------------------------- deep stacks (05, 06)
@pytest.mark.parametrize("activation, init", [("tanh", "small"), ("gelu", "he"), ("relu", "large"),
                                              ("sigmoid", "xavier"), ("relu", "zeros")])
def test_deep_stack_family_equals_deep_stack_trace(activation, init):
    family = D.DeepStackFamily(activation, init, max_depth=12, width=16, n=24, seed=3)
    for depth in _shuffled([12, 1, 7, 3, 12, 2]):
        fresh = D.deep_stack_trace(activation, init, depth=depth, width=16, n=24, seed=3)
        trace, stats = family.trace_and_stats(depth)
        _assert_traces_equal(trace, fresh)
        _assert_traces_equal(family.trace(depth), fresh)
        expected = D.layer_stats(fresh)
        assert list(stats) == list(expected)
        for key in expected:
            np.testing.assert_array_equal(stats[key], expected[key], err_msg=key)


def test_deep_stack_family_raises_the_overflow_of_the_depths_that_overflow(monkeypatch):
    def huge(name, widths, rng):   # a far too large init: the signal overflows float64 at layer 2
        return [np.full((a, b), 1e200) for a, b in zip(widths[:-1], widths[1:])]

    monkeypatch.setattr(D, "init_weights", huge)
    family = D.DeepStackFamily("relu", "he", max_depth=6, width=4, n=3)
    assert family.trace(1).depth == D.deep_stack_trace("relu", "he", depth=1, width=4, n=3).depth == 1
    for depth in (2, 6, 3):
        with pytest.raises(ValueError) as fresh:
            D.deep_stack_trace("relu", "he", depth=depth, width=4, n=3)
        with pytest.raises(ValueError, match="overflowed float64 at layer 2") as ours:
            family.trace(depth)
        assert str(ours.value) == str(fresh.value)


def test_deep_stack_family_checks_its_arguments():
    with pytest.raises(ValueError, match="max_depth"):
        D.DeepStackFamily(max_depth=0)
    family = D.DeepStackFamily(max_depth=3, width=4, n=2)
    with pytest.raises(ValueError, match="depth"):
        family.trace(4)


def test_activation_explorer_profiles_equal_stack_profile():
    app = app05.ActivationExplorer()
    for activation, depth in _shuffled([(a, d) for a in ("sigmoid", "relu", "gelu") for d in (2, 50, 20, 13, 26)]):
        cached, fresh = app.profile(activation, depth), app05.stack_profile(activation, depth)
        assert set(cached) == set(fresh)
        for key in fresh:
            np.testing.assert_array_equal(cached[key], fresh[key], err_msg=f"{activation} {depth} {key}")


def test_activation_explorer_status_does_not_depend_on_the_order_of_moves():
    settings = [(a, d) for a in ("sigmoid", "tanh", "relu") for d in (2, 9, 20, 31, 50)]
    first, second = app05.ActivationExplorer(), app05.ActivationExplorer()
    forward = {s: first.update(*s) for s in settings}
    backward = {s: second.update(*s) for s in _shuffled(settings, seed=1)}
    assert forward == backward


def test_init_explorer_traces_equal_deep_stack_trace():
    app = app06.InitExplorer()
    for init, activation, depth in _shuffled([("small", "tanh", 30), ("he", "relu", 2), ("small", "tanh", 7),
                                             ("large", "tanh", 50), ("xavier", "sigmoid", 19)]):
        trace, stats = app.trace(init, activation, depth)
        fresh = D.deep_stack_trace(activation, init, depth=depth, width=64, n=128, seed=0)
        _assert_traces_equal(trace, fresh)
        for key, value in D.layer_stats(fresh).items():
            np.testing.assert_array_equal(stats[key], value, err_msg=key)


def test_init_explorer_status_does_not_depend_on_the_order_of_moves():
    settings = [(i, a, d) for i in ("small", "he") for a in ("tanh", "relu") for d in (2, 11, 30, 50)]
    first, second = app06.InitExplorer(), app06.InitExplorer()
    forward = {s: first.update(*s) for s in settings}
    backward = {s: second.update(*s) for s in _shuffled(settings, seed=2)}
    assert forward == backward


@pytest.mark.parametrize("depth, end", [(2, 10), (10, 10), (11, 25), (25, 25), (26, 50), (50, 50)])
def test_layer_axes_hold_the_depth(depth, end):
    assert app05._layer_axis(depth) == app06._layer_axis(depth) == end


# ----------------------------------------------------------------------------- trajectories (07)
@pytest.mark.parametrize("surface, optimizer, lr, hyper", [
    ("bowl", "momentum", 0.05, {"momentum": 0.5}), ("rosenbrock", "adam", 0.1, {"betas": (0.9, 0.999)}),
    ("bowl", "sgd", 0.5, {}),            # diverges after a few steps
    ("rosenbrock", "rmsprop", 0.01, {"alpha": 0.9}),
])
def test_resumable_run_equals_run_trajectory(surface, optimizer, lr, hyper):
    surf = T.SURFACES[surface]()
    run = T.ResumableRun(surf, optimizer, lr, **hyper)
    for steps in _shuffled([1, 200, 10, 1000, 3, 999, 500]):
        got, fresh = run.trajectory(steps), T.run_trajectory(surf, optimizer, lr=lr, steps=steps, **hyper)
        np.testing.assert_array_equal(got.path, fresh.path)
        np.testing.assert_array_equal(got.gap, fresh.gap)
        assert (got.diverged, got.steps, got.describe()) == (fresh.diverged, fresh.steps, fresh.describe())


def test_optimizer_explorer_status_does_not_depend_on_the_order_of_moves():
    settings = [dict(lr=lr, optimizer=o, steps=s, momentum=m)
                for lr in (0.01, 0.05) for o in ("sgd", "momentum", "adam") for s in (10, 200, 1000) for m in (0.0, 0.9)]
    first, second = app07.OptimizerExplorer(), app07.OptimizerExplorer()
    forward = [first.update(**s) for s in settings]
    order = _shuffled(range(len(settings)), seed=3)
    backward = {i: second.update(**settings[i]) for i in order}
    assert forward == [backward[i] for i in range(len(settings))]
    third = app07.OptimizerExplorer()
    for s in settings[::5]:
        third._runs.clear()  # nothing cached: the same text
        assert third.update(**s) == forward[settings.index(s)]


@pytest.mark.parametrize("steps, end", [(1, 10), (10, 10), (11, 20), (21, 50), (51, 100), (101, 200),
                                        (201, 500), (501, 1000), (1000, 1000)])
def test_optimizer_step_axis_holds_the_steps(steps, end):
    assert app07._step_axis(steps) == end


# ----------------------------------------------------------------------------- 02 and 03
@pytest.mark.parametrize("placement", ["grid", "random"])
def test_universal_approximator_draws_each_unit_exactly(placement):
    app = app02.UniversalApproximator()
    for n_units in (1, 7, 64):
        app.update(n_units=n_units, target="bump", placement=placement)
        y = target_function("bump")(app.x)
        fit = fit_relu_network(app.x, y, n_units, placement, rng=np.random.default_rng(0))
        sampled = fit.features(app.x)[:, :-1] * fit.v[None, :-1]   # (M, N)
        segments = app.parts.get_segments()
        assert len(segments) == n_units
        for i, seg in enumerate(segments):   # the 3-point polyline through the kink is the unit
            np.testing.assert_allclose(np.interp(app.x, seg[:, 0], seg[:, 1]), sampled[:, i], atol=1e-12)


def test_universal_approximator_error_axis_labels_its_span():
    app = app02.UniversalApproximator()
    app.update(n_units=30, target="wave")
    lo, hi = app.ax_err.get_ylim()
    assert lo == -hi and hi >= np.abs(app.err_line.get_ydata()).max()
    assert [t.get_text() for t in app.err_labels] == [f"{f * hi:g}".replace("-", "−") for f in app02._ERR_TICKS]
    assert app02._nice_span(0.041 * 1.1) == 0.05 and app02._nice_span(1e-15) == 0.001


@pytest.mark.parametrize("cls, steps", [(app03.Descent1D, (1, 30, 100, 45)), (app03.Descent2D, (1, 50, 200, 75))])
def test_descent_step_axis_follows_steps_without_a_new_static_layer(cls, steps):
    app = cls()
    layers = dict(app.backdrop._layers)
    for k in steps:
        app.update(steps=k)
        assert app.ax_gap.get_xlim() == (0, app03._step_axis(k))
    assert app.backdrop._layers.keys() == layers.keys()


@pytest.mark.parametrize("make, settings", [
    (app05.ActivationExplorer, [dict(activation=a, depth=d) for a in ("sigmoid", "tanh", "relu", "elu", "silu", "gelu")
                                for d in (2, 20, 40)]),
    (app06.InitExplorer, [dict(init="large", activation="relu", depth=d) for d in range(2, 40)]),
])
def test_explorers_keep_a_bounded_number_of_static_layers(make, settings):
    app = make()
    for values in settings:
        app.update(**values)
        assert len(app.backdrop._layers) <= app.backdrop.max_layers == 24
    assert app.backdrop.blit()


@pytest.mark.parametrize("make, moves", [
    (app05.ActivationExplorer, [dict(activation="relu", depth=40), dict(activation="sigmoid", depth=5),
                                dict(activation="relu", depth=12), dict(activation="relu", depth=40)]),
    (app06.InitExplorer, [dict(init="he", activation="relu", depth=40), dict(depth=5),
                          dict(init="xavier", activation="sigmoid", depth=12), dict(init="he", activation="relu", depth=40)]),
    (app07.OptimizerExplorer, [dict(surface="rosenbrock", steps=700, optimizer="sgd"), dict(steps=30),
                               dict(surface="rosenbrock", steps=30), dict(surface="rosenbrock", steps=700, optimizer="sgd")]),
    (app03.Descent2D, [dict(surface="himmelblau", steps=7), dict(steps=190), dict(surface="himmelblau", steps=55)]),
])
def test_a_kept_static_layer_gives_the_frame_a_fresh_app_draws(make, moves):
    from helpers.ui.frames import frame_png

    app = make()
    for values in moves:   # later moves swap kept layers back in
        values = dict(app.defaults(), **values)
        app.update(**values)
        fresh = make()
        fresh.update(**values)
        assert frame_png(app.fig, app.backdrop) == frame_png(fresh.fig, fresh.backdrop), values
