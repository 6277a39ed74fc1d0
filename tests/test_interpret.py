"""Notebook 20's attribution methods against captum (the reference twin), on the digits CNN and MLP.

Models are untrained (random weights, eval mode, float64): the methods' arithmetic is what is
compared, and a random network exercises every branch. captum casts some quantities to float32
(IG's step sizes, the LIME / Kernel SHAP regression data), so the tolerances below are relative
to the largest attribution: 1e-12 for the plain gradients, 1e-6 where captum rounds a weight or a
mask to float32, 1e-4 where its whole regression runs in float32.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from captum._utils.models.linear_model import SkLearnLinearRegression
from captum.attr import InputXGradient, IntegratedGradients, KernelShap, Lime, Occlusion, Saliency

from helpers.cnn.models import DigitsCNN, DigitsMLP
from helpers.interpret import attribute, evaluation, gradients, occlusion, shapley, surrogate
from helpers.interpret.scores import target_scores

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # captum: "Input Tensor 0 did not already require gradients"
BASELINE = -0.8  # roughly the blank pixel of the standardised digits


@pytest.fixture(scope="module", params=["cnn", "mlp"])
def net(request):
    torch.manual_seed(0)
    model = DigitsCNN() if request.param == "cnn" else DigitsMLP()
    return model.double().eval()


def _inputs(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def assert_twin(ours, theirs, rtol: float, what: str) -> None:
    """Shapes equal and max |ours - theirs| <= rtol * max |theirs| (+ a float64 floor)."""
    theirs = theirs.detach().double().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = np.asarray(ours, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs captum {theirs.shape}"
    scale = max(np.abs(theirs).max(), 1e-12)
    diff = np.abs(ours - theirs).max()
    assert diff <= rtol * scale + 1e-12, f"{what}: max abs difference {diff:.3g} (scale {scale:.3g})"


@pytest.mark.parametrize("n, target", [(1, 3), (3, [0, 5, 9])])
def test_gradient_methods_match_captum(net, n, target):
    x = _inputs(n)
    t = torch.as_tensor(np.broadcast_to(target, (n,)).copy())
    assert_twin(gradients.saliency(net, x, t), Saliency(net).attribute(x, target=t), 1e-12, "saliency")
    assert_twin(gradients.saliency(net, x, t, absolute=False), Saliency(net).attribute(x, target=t, abs=False),
                1e-12, "signed gradient")
    assert_twin(gradients.gradient_x_input(net, x, t), InputXGradient(net).attribute(x, target=t), 1e-12,
                "gradient x input")


def test_gradient_methods_at_relu_kinks_match_captum():
    """A bias-free ReLU network at x = 0: every pre-activation is exactly 0, where ReLU has no
    derivative; both sides take ReLU'(0) = 0 (autograd's choice), and IG from a zero baseline is 0."""
    torch.manual_seed(0)
    kinked = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 8, bias=False), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 10)).double().eval()
    x, t = torch.zeros(2, 1, 8, 8, dtype=torch.float64), torch.tensor([1, 4])
    assert_twin(gradients.saliency(kinked, x, t, absolute=False),
                Saliency(kinked).attribute(x, target=t, abs=False), 1e-12, "signed gradient at the kink")
    assert_twin(gradients.gradient_x_input(kinked, x, t), InputXGradient(kinked).attribute(x, target=t), 1e-12,
                "gradient x input at the kink")
    ours = gradients.integrated_gradients(kinked, x, t, baseline=0.0, n_steps=8)
    assert_twin(ours, IntegratedGradients(kinked).attribute(x, target=t, baselines=0.0, n_steps=8), 1e-12,
                "IG along a zero path")
    assert np.all(ours == 0.0)


def test_input_gradient_matches_finite_differences(net):
    x = _inputs(1, seed=1).numpy()
    g = gradients.input_gradient(net, x, 2)
    eps, rng = 1e-6, np.random.default_rng(0)
    for _ in range(3):
        d = rng.normal(size=x.shape)
        fd = (target_scores(net, x + eps * d, 2) - target_scores(net, x - eps * d, 2))[0] / (2 * eps)
        assert abs(fd - np.sum(g * d)) < 1e-5 * max(1.0, abs(fd))


@pytest.mark.parametrize("method, captum_method", [("gausslegendre", "gausslegendre"), ("left", "riemann_left"),
                                                   ("middle", "riemann_middle"), ("right", "riemann_right")])
def test_integrated_gradients_matches_captum(net, method, captum_method):
    x, t = _inputs(2, seed=2), torch.tensor([1, 7])
    ours = gradients.integrated_gradients(net, x, t, BASELINE, n_steps=20, method=method)
    ref = IntegratedGradients(net).attribute(x, baselines=BASELINE, target=t, n_steps=20, method=captum_method)
    assert_twin(ours, ref, 1e-6, f"IG {method}")   # captum's alphas / step sizes pass through float32


def test_captum_trapezoid_weights_add_up_to_n_minus_1_over_n(net):
    """captum's riemann_trapezoid steps by 1/n between n nodes spaced 1/(n-1): ours x (n-1)/n is captum's."""
    x, n = _inputs(1, seed=3), 25
    ours = gradients.integrated_gradients(net, x, 4, BASELINE, n_steps=n, method="trapezoid")
    ref = IntegratedGradients(net).attribute(x, baselines=BASELINE, target=4, n_steps=n, method="riemann_trapezoid")
    assert_twin(ours * (n - 1) / n, ref, 1e-6, "IG trapezoid")


@pytest.mark.parametrize("method", ["trapezoid", "gausslegendre"])
def test_ig_weights_and_completeness_on_a_smooth_model(method):
    a, w = gradients.ig_nodes(16, method)
    assert np.isclose(w.sum(), 1.0) and a.min() >= 0 and a.max() <= 1
    torch.manual_seed(1)
    smooth = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.Tanh(), torch.nn.Linear(12, 3)).double().eval()
    x = np.random.default_rng(1).normal(size=(4, 6))
    ig = gradients.integrated_gradients(smooth, x, [0, 1, 2, 0], baseline=0.3, n_steps=64, method=method)
    gap = gradients.completeness_gap(smooth, x, [0, 1, 2, 0], ig, baseline=0.3)
    assert np.abs(gap).max() < (1e-10 if method == "gausslegendre" else 1e-3)


def test_completeness_by_steps_matches_separate_runs(net):
    x = _inputs(2, seed=4)
    gaps = gradients.completeness_by_steps(net, x, 3, BASELINE, steps=(3, 5, 9))
    for row, n in zip(gaps, (3, 5, 9)):
        ig = gradients.integrated_gradients(net, x, 3, BASELINE, n_steps=n)
        assert np.allclose(row, gradients.completeness_gap(net, x, 3, ig, BASELINE), atol=1e-12)


@pytest.mark.parametrize("window, stride", [((1, 2, 2), 1), ((1, 3, 3), (1, 2, 2)), ((1, 8, 3), (1, 1, 3)),
                                            ((1, 1, 1), 1)])
def test_occlusion_matches_captum(net, window, stride):
    x, t = _inputs(2, seed=5), torch.tensor([2, 8])
    ours = occlusion.occlusion(net, x, t, window=window, stride=stride, baseline=BASELINE)
    ref = Occlusion(net).attribute(x, sliding_window_shapes=window, strides=stride, baselines=BASELINE, target=t)
    assert_twin(ours, ref, 1e-6, f"occlusion {window} {stride}")   # captum accumulates in float32


@pytest.mark.parametrize("block, n_samples, seed", [((2, 2), 120, 0), ((4, 2), 60, 3)])
def test_lime_matches_captum_on_the_same_draws(net, block, n_samples, seed):
    x, mask = _inputs(1, seed=6), surrogate.superpixels((1, 8, 8), block)
    ours = surrogate.lime(net, x, 6, mask, BASELINE, n_samples=n_samples, seed=seed)
    torch.manual_seed(seed)  # captum draws from torch's global generator; ours from one seeded alike
    ref = Lime(net, interpretable_model=SkLearnLinearRegression()).attribute(
        x, target=6, feature_mask=torch.as_tensor(mask)[None], baselines=BASELINE, n_samples=n_samples,
        perturbations_per_eval=64, return_input_shape=False)[0]
    assert_twin(ours, ref, 1e-4, "LIME")


@pytest.mark.parametrize("block, n_samples, seed", [((2, 2), 150, 0), ((4, 4), 40, 7)])
def test_kernel_shap_matches_captum_on_the_same_draws(net, block, n_samples, seed):
    x, mask = _inputs(1, seed=7), surrogate.superpixels((1, 8, 8), block)
    ours = shapley.kernel_shap(net, x, 1, mask, BASELINE, n_samples=n_samples, seed=seed)
    torch.manual_seed(seed)
    ref = KernelShap(net).attribute(x, target=1, feature_mask=torch.as_tensor(mask)[None], baselines=BASELINE,
                                    n_samples=n_samples, perturbations_per_eval=64, return_input_shape=False)[0]
    # captum imposes efficiency softly (weight 1e6 on the empty and full coalitions), ours exactly
    assert_twin(ours, ref, 1e-4, "Kernel SHAP")


def test_kernel_shap_with_every_coalition_is_exact_shapley(net):
    x, mask = _inputs(1, seed=8), surrogate.superpixels((1, 8, 8), (4, 2))      # 8 features, 256 coalitions
    exact = shapley.exact_shapley(net, x, 5, mask, BASELINE)
    assert np.abs(shapley.kernel_shap(net, x, 5, mask, BASELINE, n_samples=None) - exact).max() < 1e-10
    diff = target_scores(net, x, 5) - target_scores(net, np.full(x.shape, BASELINE), 5)
    assert np.isclose(exact.sum(), diff[0], atol=1e-10)                          # efficiency
    sampled = shapley.kernel_shap(net, x, 5, mask, BASELINE, n_samples=2000, seed=0)
    assert np.isclose(sampled.sum(), diff[0], atol=1e-10)                         # exact for every sample size
    assert np.abs(sampled - exact).max() < 0.2 * np.abs(exact).max()


def test_shapley_values_axioms_on_a_known_game():
    # v(S) = sum of solo parts + 3 if players 1 and 2 are both in S: the synergy splits evenly
    solo = np.array([1.0, -2.0, 0.5])
    Z = shapley.all_coalitions(3)
    v = Z @ solo + 3.0 * (Z[:, 1] & Z[:, 2])
    assert np.allclose(shapley.shapley_values(v), solo + np.array([0.0, 1.5, 1.5]))
    assert np.allclose(shapley.shapley_values(np.zeros(8)), 0.0)                  # null game
    assert np.isinf(shapley.shapley_kernel(4, [0, 4])).all() and np.isclose(shapley.shapley_kernel(4, 2), 3 / (6 * 2 * 2))


def test_kernel_shap_draws_follow_captums_sampler():
    Z = shapley.kernel_shap_coalitions(6, 400, torch.Generator().manual_seed(0))
    assert Z[0].all() and not Z[1].any()
    sizes = np.bincount(Z[2:].sum(1), minlength=7)
    assert sizes[0] == sizes[6] == 0
    p = np.array([5 / (k * (6 - k)) for k in range(1, 6)])
    assert np.abs(sizes[1:6] / sizes.sum() - p / p.sum()).max() < 0.06            # 398 draws: a few sigma


def test_weighted_linear_fit_matches_sklearn():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    Z, y, w = rng.integers(0, 2, (50, 5)), rng.normal(size=50), rng.uniform(0.1, 2, 50)
    coef, b0 = surrogate.weighted_linear_fit(Z, y, w)
    sk = LinearRegression().fit(Z, y, sample_weight=w)
    assert np.allclose(coef, sk.coef_, atol=1e-10) and np.isclose(b0, sk.intercept_, atol=1e-10)


@pytest.mark.parametrize("method", list(attribute.METHODS))
def test_attribute_shapes_and_determinism(net, method):
    x = _inputs(2, seed=9)
    a = attribute.attribute(method, net, x, [1, 2], BASELINE, n_samples=64, ig_steps=8)
    assert a.shape == (2, 1, 8, 8) and np.isfinite(a).all()
    assert np.array_equal(a, attribute.attribute(method, net, x, [1, 2], BASELINE, n_samples=64, ig_steps=8))


def test_rank_correlation_matches_scipy_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, (3, 1, 8, 8)).astype(float)                            # many ties
    b = a + rng.normal(scale=2.0, size=a.shape)
    ours = evaluation.rank_correlation(a, b)
    ref = [spearmanr(a[i].ravel(), b[i].ravel()).statistic for i in range(3)]
    assert np.allclose(ours, ref, atol=1e-12)
    assert evaluation.rank_correlation(np.ones((1, 4)), np.arange(4.0)[None])[0] == 0.0   # constant map


def test_randomised_copy_changes_every_layer_and_leaves_the_original(net):
    before = [p.detach().clone() for p in net.parameters()]
    twin = evaluation.randomised_copy(net, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before))
    weights = [(p, q) for p, q in zip(twin.parameters(), net.parameters()) if p.ndim >= 2]  # conv and linear
    assert weights and all(not torch.equal(p, q) for p, q in weights)
    assert not twin.training


def test_deletion_curves_edges():
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2)).double().eval()
    with torch.no_grad():
        lin[1].weight.copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]]))
        lin[1].bias.zero_()
    x = np.ones((1, 1, 2, 2))
    frac, best = evaluation.deletion_curves(lin, x, 0, lin[1].weight[0].detach().numpy().reshape(1, 1, 2, 2), steps=4)
    _, worst = evaluation.deletion_curves(lin, x, 0, -lin[1].weight[0].detach().numpy().reshape(1, 1, 2, 2), steps=4)
    assert np.isclose(best[0, 0], worst[0, 0]) and np.isclose(best[0, -1], 0.5)   # intact, all removed
    assert evaluation.curve_area(frac, best)[0] < evaluation.curve_area(frac, worst)[0]
    assert np.all(np.diff(best[0]) <= 1e-12)                                       # the largest weights go first
