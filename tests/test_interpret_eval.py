"""Notebook 20's claims on trained models, its app and its exercises, plus clear errors for bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.apps.ch20_interpretability import AttributionExplorer
from helpers.exercises import ch20
from helpers.interpret import attribute, evaluation, gradients, models, occlusion, shapley, surrogate
from helpers.interpret.scores import target_scores


@pytest.fixture(scope="module")
def trained():
    return models.train_digit_models(seed=0, epochs=3)


def test_trained_models_are_accurate_and_in_eval_mode(trained):
    assert trained.cnn_accuracy > 0.95 and trained.mlp_accuracy > 0.95
    assert not trained.cnn.training and not trained.mlp.training
    blank = trained.split.raw(trained.baseline)
    assert np.allclose(blank, 0.0)


def test_completeness_on_the_trained_mlp(trained):
    mlp = models.as_float64(trained.mlp)
    X, y = trained.split.X_test[:3], trained.split.y_test[:3]
    gaps = gradients.completeness_by_steps(mlp, X, y, trained.baseline, steps=(65, 4097))
    assert np.abs(gaps[-1]).max() < 1e-3 and np.abs(gaps[-1]).max() < np.abs(gaps[0]).max()


def test_every_method_beats_random_deletion_on_average(trained):
    X, y, b = trained.split.X_test[:8], trained.split.y_test[:8], trained.baseline
    frac, rand = evaluation.random_deletion_curves(trained.cnn, X, y, b, orders=3)
    r_area = evaluation.curve_area(frac, rand).mean()
    for method in attribute.METHODS:
        a = attribute.attribute(method, trained.cnn, X, y, b, n_samples=96, ig_steps=16)
        area = evaluation.curve_area(frac, evaluation.deletion_curves(trained.cnn, X, y, a, b)[1]).mean()
        assert area < 0.85 * r_area, f"{method}: area {area:.3f} vs random {r_area:.3f}"


def test_sanity_check_separates_gradients_from_integrated_gradients(trained):
    X, y, b = trained.split.X_test[:6], trained.split.y_test[:6], trained.baseline
    rnd = evaluation.randomised_copy(trained.cnn, seed=0)
    rho = {}
    for method in ("saliency", "integrated"):
        a = attribute.attribute(method, trained.cnn, X, y, b, ig_steps=16)
        ar = attribute.attribute(method, rnd, X, y, b, ig_steps=16)
        rho[method] = evaluation.rank_correlation(np.abs(a), np.abs(ar)).mean()
    assert rho["saliency"] < 0.5 < 0.85 < rho["integrated"]


# ----------------------------------------------------------------------------- bad input
def _lin():
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)).double().eval()


@pytest.mark.parametrize("call, match", [
    (lambda m: gradients.saliency(m, np.zeros((1, 1, 8, 8)), 10), r"target must be a class in \[0, 9\].*got 10"),
    (lambda m: gradients.saliency(m, np.zeros((1, 1, 8, 8)), -1), r"target must be a class"),
    (lambda m: gradients.saliency(m, np.zeros((2, 1, 8, 8)), [1, 2, 3]), r"target must be one class or one per example"),
    (lambda m: gradients.saliency(m, np.zeros(64), 1), r"x must be a batch"),
    (lambda m: gradients.saliency(m, np.full((1, 1, 8, 8), np.nan), 1), r"x must be finite"),
    (lambda m: gradients.saliency(m.train(), np.zeros((1, 1, 8, 8)), 1), r"eval mode"),
    (lambda m: gradients.integrated_gradients(m, np.zeros((1, 1, 8, 8)), 1, n_steps=1), r"n_steps must be in"),
    (lambda m: gradients.integrated_gradients(m, np.zeros((1, 1, 8, 8)), 1, method="simpson"), r"method must be one of"),
    (lambda m: gradients.integrated_gradients(m, np.zeros((1, 1, 8, 8)), 1, baseline=np.zeros((3, 3))),
     r"baseline must be a number or broadcastable"),
    (lambda m: gradients.completeness_by_steps(m, np.zeros((1, 1, 8, 8)), 1, steps=(4, 9)), r"nested grids"),
    (lambda m: occlusion.occlusion(m, np.zeros((1, 1, 8, 8)), 1, window=(2, 2)), r"one entry per input dimension"),
    (lambda m: occlusion.occlusion(m, np.zeros((1, 1, 8, 8)), 1, window=(1, 9, 2)), r"window size"),
    (lambda m: occlusion.occlusion(m, np.zeros((1, 1, 8, 8)), 1, window=(1, 2, 2), stride=3), r"stride"),
    (lambda m: surrogate.lime(m, np.zeros((2, 1, 8, 8)), 1, surrogate.superpixels()), r"one example"),
    (lambda m: surrogate.lime(m, np.zeros((1, 1, 8, 8)), 1, np.zeros((8, 8), int)), r"feature_mask must have"),
    (lambda m: shapley.kernel_shap(m, np.zeros((1, 1, 8, 8)), 1, surrogate.superpixels() + 1), r"ids must be 0..M-1"),
    (lambda m: shapley.exact_shapley(m, np.zeros((1, 1, 8, 8)), 1, np.arange(64).reshape(1, 8, 8)), r"M must be in"),
    (lambda m: attribute.attribute("gradcam", m, np.zeros((1, 1, 8, 8)), 1), r"method must be one of"),
    (lambda m: evaluation.deletion_curves(m, np.zeros((1, 1, 8, 8)), 1, np.zeros((1, 64))), r"attributions must have"),
])
def test_bad_input_is_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(_lin())


def test_small_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="tile the image"):
        surrogate.superpixels((1, 8, 8), (3, 3))
    with pytest.raises(ValueError, match="2\\*\\*M entries"):
        shapley.shapley_values(np.zeros(6))
    with pytest.raises(ValueError, match="fractions must be increasing"):
        evaluation.curve_area([1.0, 0.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        surrogate.weighted_linear_fit(np.eye(2), np.ones(2), -np.ones(2))
    with pytest.raises(ValueError, match="torch.nn.Module"):
        evaluation.randomised_copy(lambda x: x)


def test_zero_input_and_zero_model_give_zero_maps_not_nan():
    zero = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)).double().eval()
    torch.nn.init.zeros_(zero[1].weight)
    x = np.zeros((1, 1, 8, 8))
    for method in attribute.METHODS:
        a = attribute.attribute(method, zero, x, 3, 0.0, n_samples=32, ig_steps=4)
        assert np.isfinite(a).all() and np.allclose(a, 0.0), method
    assert np.isfinite(target_scores(zero, x, 3)).all()


# ----------------------------------------------------------------------------- app and exercises
@pytest.fixture(scope="module")
def app(trained):
    return AttributionExplorer(trained, n_digits=4)


def test_app_explains_a_bad_class_in_the_status(app):
    for bad in (10, -1, 99):
        status = app.update(digit=1, target=bad, method="saliency")
        assert "does not exist" in status and "classes 0-9" in status
    assert "does not exist" not in app.update(digit=1, target=9, method="saliency")


def test_app_caches_and_reports_deletion(app):
    s1 = app.update(digit=2, target=int(app.y[2]), method="occlusion")
    n_cached = len(app._maps)
    s2 = app.update(digit=2, target=int(app.y[2]), method="occlusion")
    assert s1 == s2 and len(app._maps) == n_cached
    assert "area" in s1 and "random" in s1


@pytest.mark.parametrize("check, solution, wrong, message", [
    (ch20.check_ig_linear, ch20.solution_ig_linear, lambda w, b, x, x0: w * x, "gradient × input"),
    (ch20.check_ig_linear, ch20.solution_ig_linear, lambda w, b, x, x0: (x - x0) * w + b, "bias"),
    (ch20.check_shapley_value, ch20.solution_shapley_value, None, "plain average"),
    (ch20.check_most_faithful, ch20.solution_most_faithful, lambda f, c: "quick start", "first step"),
    (ch20.check_most_faithful, ch20.solution_most_faithful, lambda f, c: max(c, key=lambda k: c[k].sum()), "largest"),
])
def test_exercise_checks(check, solution, wrong, message, capsys):
    assert check(solution).ok
    if wrong is None:  # the unweighted average of marginal contributions
        from itertools import combinations

        def wrong(v, M, i):
            others = [j for j in range(M) if j != i]
            subsets = [frozenset(S) for k in range(M) for S in combinations(others, k)]
            return float(np.mean([v(S | {i}) - v(S) for S in subsets]))
    result = check(wrong)
    assert not result.ok and message in result.message
    assert not check(lambda *a: ...).ok                                     # not attempted: no hint
    assert "hint" not in capsys.readouterr().out.splitlines()[-1]
