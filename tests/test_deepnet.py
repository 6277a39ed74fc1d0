"""helpers.training.deepnet: the NumPy deep stack against PyTorch autograd (float64, every recorded value and
gradient, several depths/widths/activations), its statistics, the PyTorch training helpers, and
bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch_twin import assert_close, torch_value_and_grads

from helpers.training import deepnet as D
from helpers.core.metrics import accuracy
from helpers.basics.activations import ACTIVATIONS

WIDTHS = [[3, 4], [5, 6, 2], [4, 8, 8, 8, 3], [2, 7, 1, 5]]


def _stack(rng, widths, n=6):
    X = rng.standard_normal((n, widths[0]))
    Ws = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(widths[:-1], widths[1:])]
    bs = [0.3 * rng.standard_normal(b) for b in widths[1:]]
    G = rng.standard_normal((n, widths[-1]))
    return X, Ws, bs, G


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("widths", WIDTHS, ids=str)
def test_output_and_parameter_gradients_match_torch(activation, widths, rng):
    X, Ws, bs, G = _stack(rng, widths)
    L = len(Ws)
    fn = getattr(F, D.TORCH_ACTIVATION_NAMES[activation])

    def torch_stack(x, *params):
        h = x
        for W, b in zip(params[:L], params[L:]):
            h = fn(h @ W + b)
        return h

    value, grads = torch_value_and_grads(torch_stack, X, *Ws, *bs, upstream=G)
    trace = D.forward_backward(X, Ws, activation, biases=bs, dy=G)
    assert_close(trace.activations[-1], value, what="output")
    assert_close(trace.grad_input, grads[0], what="dL/dX")
    for l in range(L):
        assert_close(trace.grad_weights[l], grads[1 + l], what=f"dL/dW[{l}]")
        assert_close(trace.grad_biases[l], grads[1 + L + l], what=f"dL/db[{l}]")


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("widths", WIDTHS[1:], ids=str)
def test_every_recorded_layer_matches_torch(activation, widths, rng):
    X, Ws, bs, G = _stack(rng, widths)
    ours = D.forward_backward(X, Ws, activation, biases=bs, dy=G)
    theirs = D.torch_forward_backward(X, Ws, activation, biases=bs, dy=G)
    assert ours.activation == theirs.activation == activation
    for field in ("preacts", "activations", "grad_preacts", "grad_activations", "grad_weights", "grad_biases"):
        for l, (a, b) in enumerate(zip(getattr(ours, field), getattr(theirs, field))):
            assert_close(a, b, what=f"{field}[{l}]")
    assert_close(ours.grad_input, theirs.grad_input, what="grad_input")


def test_default_bias_and_upstream(rng):
    X, Ws, _, _ = _stack(rng, [3, 4, 2])
    a = D.forward_backward(X, Ws, "tanh")
    b = D.forward_backward(X, Ws, "tanh", biases=[np.zeros(4), np.zeros(2)], dy=np.ones((6, 2)))
    assert_close(a.grad_input, b.grad_input)
    assert a.depth == 2


def test_fan_out_accumulates_in_the_input_gradient(rng):
    # X feeds every unit of layer 1: dL/dX must sum over all of them (not keep the last one)
    X = rng.standard_normal((1, 1))
    W = np.array([[1.0, 2.0, 3.0]])
    trace = D.forward_backward(X, [W], "tanh")
    assert trace.grad_input[0, 0] == pytest.approx(float(np.sum(W * (1 - np.tanh(X @ W) ** 2))))


@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 1000))
def test_gradient_matches_central_differences(depth, width, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, width))
    Ws = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(depth)]
    G = rng.standard_normal((3, width))
    trace = D.forward_backward(X, Ws, "tanh", dy=G)
    E = rng.standard_normal(Ws[0].shape)
    h = 1e-6
    plus = D.forward_backward(X, [Ws[0] + h * E] + Ws[1:], "tanh").activations[-1]
    minus = D.forward_backward(X, [Ws[0] - h * E] + Ws[1:], "tanh").activations[-1]
    numeric = np.sum(G * (plus - minus)) / (2 * h)
    assert np.sum(trace.grad_weights[0] * E) == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_deep_stack_trace_is_deterministic_and_shaped():
    a = D.deep_stack_trace("relu", "he", depth=5, width=16, n=32, seed=3)
    b = D.deep_stack_trace("relu", "he", depth=5, width=16, n=32, seed=3)
    assert a.depth == 5 and a.activations[0].shape == (32, 16) and a.grad_weights[0].shape == (16, 16)
    assert all(np.array_equal(x, y) for x, y in zip(a.activations, b.activations))


def test_layer_stats_known_cases():
    stats = D.layer_stats(D.deep_stack_trace("relu", "zeros", depth=4, width=8, n=16))
    assert set(stats) == {"act_std", "act_rms", "grad_act_rms", "grad_w_norm", "dead_fraction"}
    assert all(v.shape == (4,) for v in stats.values())
    assert np.all(stats["act_rms"] == 0) and np.all(stats["dead_fraction"] == 1.0)
    assert np.all(D.layer_stats(D.deep_stack_trace("leaky_relu", "he", depth=4))["dead_fraction"] == 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variance_is_preserved_only_by_the_matching_init(seed):
    def scale(act, init):
        s = D.layer_stats(D.deep_stack_trace(act, init, depth=20, width=128, n=256, seed=seed))
        return s["act_rms"][-1] / s["act_rms"][0], s["grad_act_rms"][0] / s["grad_act_rms"][-1]

    fwd, bwd = scale("relu", "he")
    assert 0.3 < fwd < 3 and 0.3 < bwd < 3            # He keeps a ReLU stack's scale
    fwd, bwd = scale("relu", "xavier")
    assert fwd < 1e-2 and bwd < 1e-2                  # Xavier halves ReLU's variance per layer
    fwd, bwd = scale("relu", "small")
    assert fwd < 1e-20 and bwd < 1e-20                # too small: collapse
    assert scale("relu", "large")[0] > 1e10          # too large: explosion
    assert scale("sigmoid", "he")[1] < 1e-6           # sigmoid' <= 1/4 kills the gradient


def test_overflow_is_a_clear_error():
    with pytest.raises(ValueError, match=r"overflowed float64 at layer 2 \(expected finite"):
        D.forward_backward(np.ones((2, 3)), [np.full((3, 3), 1e200)] * 3, "relu")


@pytest.mark.parametrize("call, words", [
    (lambda: D.forward_backward(np.ones(3), [np.ones((3, 2))]), ["X", "2 dimension", "(3,)"]),
    (lambda: D.forward_backward(np.ones((4, 3)), [np.ones((2, 2))]), ["weights[0]", "(3, *)", "(2, 2)"]),
    (lambda: D.forward_backward(np.ones((4, 3)), [np.ones((3, 2)), np.ones((3, 2))]), ["weights[1]", "(2, *)"]),
    (lambda: D.forward_backward(np.ones((4, 3)), []), ["non-empty list", "list"]),
    (lambda: D.forward_backward(np.ones((4, 3)), [np.ones((3, 2))], biases=[]), ["one entry per layer (1)", "0"]),
    (lambda: D.forward_backward(np.ones((4, 3)), [np.ones((3, 2))], biases=[np.ones(3)]), ["biases[0]", "(2)", "(3,)"]),
    (lambda: D.forward_backward(np.ones((4, 3)), [np.ones((3, 2))], dy=np.ones((4, 3))), ["dy", "(4, 2)"]),
    (lambda: D.forward_backward(np.full((2, 3), np.nan), [np.ones((3, 2))]), ["X", "finite", "NaN"]),
    (lambda: D.forward_backward(np.ones((0, 3)), [np.ones((3, 2))]), ["X", "empty", "(0, 3)"]),
    (lambda: D.forward_backward(np.ones((2, 3)), [np.ones((3, 2))], "softmax"), ["softmax", "relu"]),
    (lambda: D.deep_stack_trace(depth=0), ["depth", "0"]),
    (lambda: D.deep_stack_trace(init="orthogonal"), ["init", "orthogonal"]),
    (lambda: D.torch_mlp([4], "relu"), ["at least", "[4]"]),
])
def test_bad_input_names_expected_and_received(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize("call, words", [
    (lambda: D.train_full_batch({"a": D.torch_mlp([3, 2])}, np.ones((2, 3)), np.array([0, 1]), plot="live",
                                steps=1, progress=False), ["plot must be a LivePlot", "str"]),
    (lambda: D.train_full_batch([D.torch_mlp([3, 2])], np.ones((2, 3)), np.array([0, 1])), ["models must be", "list"]),
    (lambda: D.layer_stats("trace"), ["trace must be the DeepTrace", "str"]),
])
def test_wrong_objects_are_type_errors_naming_what_arrived(call, words):
    with pytest.raises(TypeError) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


def test_labels_beyond_the_outputs_are_named_before_training():
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 2\) for a model with 2 outputs, got range \[0, 2\]"):
        D.train_full_batch({"a": D.torch_mlp([3, 2])}, np.ones((2, 3)), np.array([0, 2]), steps=1, progress=False)


# ----------------------------------------------------------------------------- PyTorch helpers
def test_torch_mlp_copies_our_init():
    model = D.torch_mlp([5, 7, 3], "gelu", "xavier", seed=4)
    from helpers.training.init import init_weights

    Ws = init_weights("xavier", [5, 7, 3], np.random.default_rng(4))
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert len(model) == 3 and isinstance(model[1], torch.nn.GELU)
    for lin, W in zip(linears, Ws):
        assert np.allclose(lin.weight.detach().numpy(), W.T) and not lin.bias.detach().numpy().any()
    custom = D.torch_mlp([2, 3], "relu", lambda a, b, r: np.full((a, b), 0.5))
    assert np.all(custom[0].weight.detach().numpy() == 0.5)


def test_training_reduces_loss_and_stops_on_divergence():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    models = {"ok": D.torch_mlp([2, 16, 2], "tanh", "xavier"), "bad": D.torch_mlp([2, 16, 2], "relu", "large", seed=1)}
    hist = D.train_full_batch(models, X, y, lr=0.5, steps=60, progress=False)
    assert len(hist["ok"]) == 60 and hist["ok"][-1] < 0.8 * hist["ok"][0]
    acc = accuracy(models["ok"], X, y)
    assert 0.0 <= acc <= 1.0
    diverging = D.train_full_batch({"x": D.torch_mlp([2, 16, 2], "relu", "he")}, X * 1e3, y, lr=1e6,
                                   steps=50, progress=False)["x"]
    assert not np.isfinite(diverging[-1]) and len(diverging) < 50


def test_silent_fraction():
    model = D.torch_mlp([3, 4, 5, 2], "relu", "he")
    assert D.silent_fraction(model, np.ones((2, 3))).shape == (2,)
    with torch.no_grad():
        model[0].bias.fill_(-1e6)          # every first-layer unit off for every input
    assert D.silent_fraction(model, np.ones((2, 3)))[0] == 1.0
    assert D.silent_units(model, np.ones((2, 3)))[0].tolist() == [True] * 4
