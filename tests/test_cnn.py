"""Notebook 09's models (helpers.cnn.models), its data split, its apps and figures, and its exercises."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from helpers.cnn import models as cnn, conv
from helpers.core.metrics import accuracy, count_parameters
from helpers.apps import ch09_cnn as conv_apps
from helpers.core.data import load_digits, load_digits_images
from helpers.exercises import ch09


@pytest.fixture(scope="module")
def split():
    return load_digits_images()


# ----------------------------------------------------------------------------- parameter counts
@pytest.mark.parametrize("c_in,c_out,k", [(1, 1, 1), (3, 8, 3), (16, 32, 5), (64, 128, 3), (7, 2, 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_param_formulas_match_torch_modules(c_in, c_out, k, bias):
    assert cnn.conv_params(c_in, c_out, k, bias) == count_parameters(torch.nn.Conv2d(c_in, c_out, k, bias=bias))
    assert cnn.dense_params(c_in * 9, c_out * 9, bias) == count_parameters(
        torch.nn.Linear(c_in * 9, c_out * 9, bias=bias, device="meta"))
    sep = torch.nn.Sequential(torch.nn.Conv2d(c_in, c_in, k, groups=c_in, bias=bias), torch.nn.Conv2d(c_in, c_out, 1, bias=bias))
    assert cnn.separable_params(c_in, c_out, k, bias) == count_parameters(sep)
    if bias and k % 2:
        module = cnn.DepthwiseSeparableConv(c_in, c_out, k)
        assert cnn.separable_params(c_in, c_out, k) == count_parameters(module)
        assert module(torch.zeros(2, c_in, 9, 6)).shape == (2, c_out, 9, 6)


def test_param_formulas_reject_bad_sizes():
    with pytest.raises(ValueError, match=r"c_in must be in \[1, inf\], got 0"):
        cnn.conv_params(0, 3, 3)
    with pytest.raises(ValueError, match="n_out must be an integer, got 2.5"):
        cnn.dense_params(3, 2.5)


def test_depthwise_separable_rejects_even_kernels():
    # padding k//2 keeps H and W only for odd k: an even k used to return (H+1, W+1) silently
    with pytest.raises(ValueError, match="k must be odd"):
        cnn.DepthwiseSeparableConv(2, 3, 4)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, None, float("nan")])
def test_check_seed_rejects_what_numpy_torch_or_sklearn_would(seed):
    from helpers.core.checks import check_seed

    with pytest.raises(ValueError, match="seed must be"):
        check_seed(seed)
    assert check_seed(np.int64(7)) == 7


@pytest.mark.parametrize("kernels,strides,dilations", [([3], None, None), ([3, 3], [2, 1], None),
                                                       ([3, 3, 3], None, [1, 2, 4]), ([5, 3], [2, 2], [1, 2])])
def test_gradient_footprint_is_the_receptive_field(kernels, strides, dilations):
    assert cnn.gradient_footprint(kernels, strides, dilations) == conv.receptive_field(kernels, strides, dilations)


# ----------------------------------------------------------------------------- models
def test_digit_models_shapes_and_similar_size():
    torch.manual_seed(0)
    model, mlp = cnn.DigitsCNN(), cnn.DigitsMLP()
    x = torch.zeros(5, 1, 8, 8)
    assert model(x).shape == (5, 10) and mlp(x).shape == (5, 10)
    assert [tuple(m.shape) for m in model.feature_maps(x)] == [(5, 16, 8, 8), (5, 32, 8, 8), (5, 32, 4, 4)]
    assert model.first_layer_kernels().shape == (16, 1, 3, 3)
    assert 0.8 < count_parameters(model) / count_parameters(mlp) < 1.2


@pytest.mark.parametrize("blocks", [2, 6])
def test_residual_connections_keep_the_first_layers_gradient(blocks):
    X, y = load_digits()
    X = X[:64, None].astype(np.float32)
    ratios = {}
    for residual in (False, True):
        torch.manual_seed(0)
        net = cnn.DeepConvNet(blocks=blocks, width=4, residual=residual)
        assert net(torch.as_tensor(X)).shape == (64, 10)
        g = cnn.conv_grad_norms(net, X, y[:64])
        assert g.shape == (2 * blocks + 1,) and np.all(np.isfinite(g))
        assert all(p.grad is None or not p.grad.any() for p in net.parameters())  # left clean
        ratios[residual] = g[0] / g[-1]
    assert ratios[True] > 10 * ratios[False]


def test_fit_is_repeatable_and_learns(split):
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = cnn.DigitsMLP(hidden=32)
        steps = []
        history = cnn.fit(model, split.X_train[:256], split.y_train[:256], epochs=5, lr=1e-2, batch_size=32, seed=3,
                          on_step=lambda step, record: steps.append(step), progress=False)
        assert history["step"] == steps
        runs.append(history["loss"])
        assert steps == list(range(1, 41)) and not model.training
    assert runs[0] == runs[1]
    assert np.mean(runs[0][-4:]) < 0.5 * np.mean(runs[0][:4])


def test_train_and_test_and_predictions(split):
    acc = cnn.train_and_test(lambda: cnn.DigitsMLP(hidden=8), split, seed=1, epochs=1)
    assert 0.0 <= acc <= 1.0
    model = cnn.DigitsMLP(hidden=8)
    pred = cnn.predict(model, split.X_test)
    assert pred.shape == split.y_test.shape and pred.dtype == np.int64
    assert accuracy(model, split.X_test, split.y_test) == np.mean(pred == split.y_test)


def test_fit_rejects_bad_inputs(split):
    model = cnn.DigitsMLP()
    with pytest.raises(ValueError, match=r"X must have 2 or 4 dimension\(s\), got shape \(3, 8, 8\)"):
        cnn.fit(model, np.zeros((3, 8, 8)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"y must have shape \(4\), got \(3,\)"):
        cnn.fit(model, np.zeros((4, 1, 8, 8)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"lr must be in \(0.0, inf\], got 0"):
        cnn.fit(model, split.X_train, split.y_train, lr=0)
    with pytest.raises(ValueError, match="y must hold integers"):
        accuracy(model, split.X_test, split.y_test + 0.5)
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 10\) for a model with 10 outputs, got range \[0, 10\]"):
        cnn.fit(model, np.zeros((2, 1, 8, 8)), np.array([0, 10]), epochs=1)
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 10\) for logits of shape \(2, 10\)"):
        accuracy(model, np.zeros((2, 1, 8, 8)), np.array([-1, 3]))


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=50))
def test_confusion_matrix_matches_sklearn(pairs):
    from sklearn.metrics import confusion_matrix

    t, p = (np.array(v) for v in zip(*pairs))
    m = cnn.confusion_matrix(t, p, classes=5)
    assert np.array_equal(m, confusion_matrix(t, p, labels=range(5))) and m.sum() == len(t)


def test_confusion_matrix_bad_labels():
    with pytest.raises(ValueError, match=r"y_pred must lie in \[0, 3\), got range \[0, 3\]"):
        cnn.confusion_matrix([0, 1, 2], [0, 1, 3], classes=3)
    with pytest.raises(ValueError, match=r"y_pred must have shape \(3\), got \(2,\)"):
        cnn.confusion_matrix([0, 1, 2], [0, 1])


# ----------------------------------------------------------------------------- data
def test_digit_images_split(split):
    sizes = [len(split.X_train), len(split.X_val), len(split.X_test)]
    assert sum(sizes) == 1797 and sizes[2] == 540 and split.X_train.shape[1:] == (1, 8, 8)
    assert split.X_train.dtype == np.float32
    assert abs(split.X_train.mean()) < 1e-5 and abs(split.X_train.std() - 1) < 1e-4
    # validation and test use the training statistics: undoing them gives the raw pixels back
    for X in (split.X_val, split.X_test):
        raw = split.raw(X)
        assert raw.min() > -1e-5 and raw.max() < 1 + 1e-5
        assert np.allclose(raw * 16, np.round(raw * 16), atol=1e-4)  # sklearn's 17 grey levels
    assert np.bincount(split.y_test).min() >= 52  # stratified: every class about 54 times
    again = load_digits_images(dtype="float64")
    assert again.X_test.dtype == np.float64 and np.allclose(again.X_test, split.X_test, atol=1e-6)


def test_digit_images_bad_arguments():
    with pytest.raises(ValueError, match=r"dtype must be one of \['float32', 'float64'\], got 'int8'"):
        load_digits_images(dtype="int8")
    with pytest.raises(ValueError, match="val \\+ test must be < 1"):
        load_digits_images(val=0.5, test=0.5)


# ----------------------------------------------------------------------------- apps and figures
def test_sliding_dot_product_status_is_the_convolution():
    app = conv_apps.SlidingDotProduct()
    x = load_digits()[0][3]
    w = conv_apps.KERNELS["sharpen"]
    y = conv.conv2d(x[None, None], w[None, None])[0, 0]
    assert f"y[2, 3] = sum of the 9 products = {y[2, 3]:.2f}" in app.update(position=15, kernel="sharpen")


def test_kernel_editor_statuses():
    app = conv_apps.KernelEditor(size=64)
    assert "all zeros" in app.update(preset="zero (build your own)")
    assert "sum to 1" in app.update(preset="blur (box)")
    assert "sum to 0" in app.update(preset="all edges (Laplacian)")
    assert "your edits" in app.update(preset="identity", e11=1.0) and "sum to 2.00" in app.update(preset="identity", e11=1.0)
    status, ok = app.safe_update(preset="no such kernel")
    assert not ok and "preset must be one of" in status


def test_conv_geometry_reports_impossible_geometry_in_words():
    app = conv_apps.ConvGeometry()
    assert app.update(size=3, kernel=5, stride=1, padding=0, dilation=3).startswith("no output")
    assert "= 6" in app.update(size=12, kernel=3, stride=2, padding=1, dilation=1)


def test_feature_map_explorer_with_a_given_model():
    torch.manual_seed(0)
    images, labels = load_digits()
    model = cnn.DigitsCNN(c1=4, c2=6)
    app = conv_apps.FeatureMapExplorer(model, images[:5, None].astype(np.float32), labels[:5])
    names = app.layer_names()
    assert names[1] == "conv 2 (6 maps of 8×8)" and app.controls()["index"].max == 4
    assert "test image 4: true 4" in app.update(index=4, layer=names[2])
    status, ok = app.safe_update(index=0, layer="conv 9")
    assert not ok and "layer must be one of" in status


def test_mosaic():
    maps = np.stack([np.full((2, 3), 2.0), np.zeros((2, 3)), -np.ones((2, 3))])
    out = conv_apps.mosaic(maps, columns=2)
    assert out.shape == (5, 7) and np.isnan(out[2]).all() and np.isnan(out[:, 3]).all()
    assert np.all(out[:2, :3] == 1) and np.all(out[:2, 4:] == 0) and np.all(out[3:, :3] == -1)


def test_static_figures():
    rng = np.random.default_rng(0)
    assert isinstance(conv_apps.filter_gallery(rng.uniform(size=(20, 20))), Figure)
    assert isinstance(conv_apps.filters_figure(rng.normal(size=(6, 1, 3, 3))), Figure)
    assert isinstance(conv_apps.confusion_figure(np.eye(3, dtype=int) * 5), Figure)
    fig = conv_apps.gradient_flow_figure({"a": np.array([1e-12, 1.0]), "b": np.array([0.0, 1.0])},
                                         {"a": [2.3, 2.2], "b": [2.3, 1.0]})
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="kernel name must be one of"):
        conv_apps.filter_gallery(names=("mystery",))


# ----------------------------------------------------------------------------- exercises
def test_output_size_exercise(capsys):
    assert ch09.check_output_size(ch09.output_size_solution)
    assert not ch09.check_output_size(lambda n, k, s=1, p=0, d=1: ...)
    assert "not attempted" in capsys.readouterr().out
    no_dilation = ch09.check_output_size(lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1)
    assert not no_dilation and "dilation" in no_dilation.message
    one_pad = ch09.check_output_size(lambda n, k, s=1, p=0, d=1: (n + p - d * (k - 1) - 1) // s + 1)
    assert not one_pad and "both sides" in one_pad.message
    no_floor = ch09.check_output_size(lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1)
    assert not no_floor and "floor" in no_floor.message
    off_by_one = ch09.check_output_size(lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) // s)
    assert not off_by_one and "+ 1" in off_by_one.message
    crash = ch09.check_output_size(lambda n, k, s=1, p=0, d=1: 1 / 0)
    assert not crash and "ZeroDivisionError" in crash.message


def test_correlate2d_exercise():
    assert ch09.check_correlate2d(ch09.correlate2d_solution)
    flipped = ch09.check_correlate2d(lambda x, w: ch09.correlate2d_solution(x, w[::-1, ::-1]))
    assert not flipped and "flipped the kernel" in flipped.message
    same = ch09.check_correlate2d(lambda x, w: np.zeros_like(x))
    assert not same and "shrinks" in same.message
    wrong = ch09.check_correlate2d(lambda x, w: ch09.correlate2d_solution(x, w) + 0.1)
    assert not wrong and "differs" in wrong.message
    assert not ch09.check_correlate2d(lambda x, w: ...)


def test_separable_params_exercise():
    assert ch09.check_separable_params(ch09.separable_params_solution)
    full = ch09.check_separable_params(lambda c_in, c_out, k: cnn.conv_params(c_in, c_out, k))
    assert not full and "full convolution" in full.message
    no_bias = ch09.check_separable_params(lambda c_in, c_out, k: c_in * k * k + c_in * c_out)
    assert not no_bias and "biases" in no_bias.message
    assert not ch09.check_separable_params(lambda c_in, c_out, k: 0)
    assert ch09.separable_params_solution(32, 64, 3) == cnn.separable_params(32, 64, 3)
