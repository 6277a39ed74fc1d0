"""helpers.autograd.gradcheck: central differences vs the engine vs torch.autograd, and exercise checks of ch04."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.autograd.tensor import Tensor
from helpers.exercises import ch04
from helpers.autograd.gradcheck import gradcheck, numerical_gradient, relative_error
from torch_twin import assert_close, torch_value_and_grads

F = torch.nn.functional

# (name, engine function, torch twin, input shapes, lowest input); inputs drawn in [low, 1.5], with
# low = 0.5 where log or a fractional power needs positive numbers
FUNCTIONS = [
    ("affine_tanh", lambda x, W, b: (x @ W + b).tanh(), lambda x, W, b: torch.tanh(x @ W + b), [(4, 3), (3, 2), (2,)], -1.5),
    ("log_softmax_ce", lambda z: -z.log_softmax(axis=1)[np.arange(3), np.array([0, 2, 1])].mean(),
     lambda z: F.cross_entropy(z, torch.tensor([0, 2, 1])), [(3, 4)], -1.5),
    ("div_pow_log", lambda a, b: (a / b) ** 1.5 + b.log(), lambda a, b: (a / b) ** 1.5 + torch.log(b), [(2, 3), (3,)], 0.5),
    ("fan_out", lambda c, x: (c + c * x) * c, lambda c, x: (c + c * x) * c, [(5,), (5,)], -1.5),
    ("sigmoid_max", lambda a: a.sigmoid().max(axis=0), lambda a: torch.sigmoid(a).amax(dim=0), [(3, 4)], -1.5),
    ("reshape_transpose_index", lambda a: a.reshape(2, 6).T[np.array([1, 1, 4])].exp(),
     lambda a: torch.exp(a.reshape(2, 6).T[torch.tensor([1, 1, 4])]), [(3, 4)], -1.5),
]


@pytest.mark.parametrize("name, ours, theirs, shapes, low", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_engine_gradcheck_and_torch_agree(name, ours, theirs, shapes, low, rng):
    xs = [rng.uniform(low, 1.5, size=s) for s in shapes]
    errors = gradcheck(ours, *xs)
    assert len(errors) == len(xs)
    assert max(errors) < 1e-7, f"{name}: relative errors {errors}"
    tensors = [Tensor(x) for x in xs]
    out = ours(*tensors)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    _, grads = torch_value_and_grads(theirs, *xs, upstream=upstream)
    numeric = numerical_gradient(lambda *v: float(np.sum(upstream * ours(*map(Tensor, v)).data)), *xs)
    for t, g, n in zip(tensors, grads, numeric):
        assert_close(t.grad, g, what=f"{name}: engine vs torch")
        assert_close(n, g, atol=1e-7, rtol=1e-6, what=f"{name}: finite differences vs torch")


def test_numerical_gradient_of_known_functions_and_inputs_untouched():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    keep = x.copy()
    (g,) = numerical_gradient(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)
    assert np.array_equal(x, keep)
    ga, gb = numerical_gradient(lambda a, b: float(a @ b), np.array([1.0, 2.0]), np.array([3.0, -1.0]))
    np.testing.assert_allclose(ga, [3.0, -1.0], atol=1e-8)
    np.testing.assert_allclose(gb, [1.0, 2.0], atol=1e-8)


def test_a_wrong_gradient_is_caught():
    x = np.linspace(-2, 2, 9)
    (numeric,) = numerical_gradient(lambda v: float(np.sum(np.tanh(v))), x)
    assert relative_error(1 - np.tanh(x) ** 2, numeric) < 1e-8
    assert relative_error(1 - np.tanh(x), numeric) > 1e-2  # the square forgotten
    assert relative_error(np.array([np.nan]), np.array([1.0])) == float("inf")


@given(arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e3, 1e3, allow_nan=False)),
       arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_relative_error_is_symmetric_bounded_and_zero_on_equal(a, b):
    assert relative_error(a, a) == 0.0
    if a.shape == b.shape:
        e = relative_error(a, b)
        assert e == pytest.approx(relative_error(b, a)) and 0.0 <= e <= 1.0 + 1e-12


@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 4)),
              elements=st.floats(-3, 3, allow_nan=False)))
def test_gradcheck_passes_on_random_inputs(x):
    (err,) = gradcheck(lambda t: (t * t.sigmoid()).log_softmax(axis=1), x)
    assert err < 1e-6


@pytest.mark.parametrize("call, words", [
    (lambda: numerical_gradient(lambda v: 0.0, np.ones(3, dtype=np.float32)), "float64.*got float32"),
    (lambda: numerical_gradient(lambda v: 0.0, np.ones(3), eps=0.0), r"eps must be in \(0.0, 1.0\]"),
    (lambda: numerical_gradient(lambda v: 0.0), "at least one input"),
    (lambda: gradcheck(lambda t: t, np.zeros((0, 2))), "must not be empty"),
    (lambda: gradcheck(lambda t: 1.0, np.ones(2)), "must return a Tensor, got float"),
    (lambda: relative_error(np.ones(2), np.ones(3)), r"same shape, got \(2,\) and \(3,\)"),
])
def test_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.parametrize("call, words", [
    (lambda: numerical_gradient(None, np.ones(3)), "f must be a function.*got NoneType"),
    (lambda: gradcheck("x * x", np.ones(3)), "fn must be a function.*got str"),
])
def test_a_function_that_is_not_callable_is_a_type_error(call, words):
    with pytest.raises(TypeError, match=words):
        call()


def test_nan_inputs_are_rejected():
    with pytest.raises(ValueError, match="finite"):
        gradcheck(lambda t: t * t, np.array([1.0, np.nan]))


# ----------------------------------------------------------------------------- exercises of notebook 04
def test_exercise_checks_accept_solutions_and_reject_wrong_answers(capsys):
    assert ch04.check_hand_gradients(ch04.hand_gradients_solution(**ch04.HAND_VALUES))
    assert not ch04.check_hand_gradients((2.0, 1.0))
    assert "signs are flipped" in capsys.readouterr().out
    assert not ch04.check_hand_gradients((-1.0, -1.0))
    assert "∂ŷ/∂w = x" in capsys.readouterr().out
    assert not ch04.check_hand_gradients(...)
    assert "not attempted" in capsys.readouterr().out

    assert ch04.check_unbroadcast(ch04.unbroadcast_solution)
    assert not ch04.check_unbroadcast(lambda g, shape: g)
    assert "should have shape" in capsys.readouterr().out
    assert not ch04.check_unbroadcast(lambda g, shape: ...)
    assert "not attempted" in capsys.readouterr().out

    assert ch04.check_softplus_backward(ch04.softplus_backward_solution)
    assert not ch04.check_softplus_backward(lambda x, g: 1 / (1 + np.exp(-x)))
    assert "upstream gradient" in capsys.readouterr().out
    assert not ch04.check_softplus_backward(lambda x, g: g * np.exp(x))
    assert not ch04.check_softplus_backward(lambda x, g: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out
