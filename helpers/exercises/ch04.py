r"""Exercises for notebook 04 (backpropagation and automatic differentiation): checks and solutions.

1. :func:`check_hand_gradients`: back-propagate through :math:`L = (wx + b - t)^2` by hand.
2. :func:`check_unbroadcast`: sum a gradient back to the shape of a broadcast input.
3. :func:`check_softplus_backward`: the local backward rule of a new operation, checked against
   central differences.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.autograd.tensor import unbroadcast
from helpers.autograd.gradcheck import numerical_gradient
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["HAND_VALUES", "check_hand_gradients", "hand_gradients_solution", "check_unbroadcast",
           "unbroadcast_solution", "check_softplus_backward", "softplus_backward_solution"]

HAND_VALUES = dict(w=0.5, x=2.0, b=-0.5, t=1.0)  # the numbers exercise 1 uses


# ----------------------------------------------------------------------------- exercise 1
def hand_gradients_solution(w: float = 0.5, x: float = 2.0, b: float = -0.5, t: float = 1.0) -> tuple[float, float]:
    r"""Forward: :math:`\hat y = wx + b`, :math:`L = (\hat y - t)^2`. Backward:
    :math:`\partial L/\partial\hat y = 2(\hat y - t)`, then :math:`\partial L/\partial w =
    \partial L/\partial\hat y \cdot x` and :math:`\partial L/\partial b = \partial L/\partial\hat y \cdot 1`."""
    y_hat = w * x + b
    dL_dyhat = 2.0 * (y_hat - t)
    return dL_dyhat * x, dL_dyhat


def check_hand_gradients(grads: tuple[float, float]) -> Feedback:
    """Check ``(dL/dw, dL/db)`` for the values in ``HAND_VALUES``."""
    def check():
        got = answer(grads)
        if np.shape(got) != (2,):
            return f"give a pair (dL/dw, dL/db), got {got!r}."
        want = hand_gradients_solution(**HAND_VALUES)
        if np.isclose(got[0], -want[0]) and np.isclose(got[1], -want[1]):
            return "both signs are flipped: ŷ - t is negative here (the prediction is too small)."
        if np.isclose(got[1], want[1]) and np.isclose(got[0], want[1]):
            return "dL/dw needs one more factor: ∂ŷ/∂w = x."
        return close_enough(got, want, "(dL/dw, dL/db)")
    return run_check("gradients by hand", check, hint="forward first: ŷ = w·x + b, then dL/dŷ = 2(ŷ - t).")


# ----------------------------------------------------------------------------- exercise 2
def unbroadcast_solution(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum over the leading axes broadcasting added, then over axes where ``shape`` has size 1."""
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))  # (*shape-sized axes)
    axes = tuple(i for i, s in enumerate(shape) if s == 1)
    return grad.sum(axis=axes, keepdims=True)  # shape


_UNBROADCAST_CASES = [((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 4, 3), (4, 3)),
                      ((2, 4, 3), (1, 3)), ((4, 3), ()), ((4, 3), (4, 3))]


def check_unbroadcast(fn: Callable[[np.ndarray, tuple[int, ...]], np.ndarray]) -> Feedback:
    """Try ``fn(grad, shape)`` on several broadcast patterns against the engine's ``unbroadcast``."""
    def check():
        rng = np.random.default_rng(4)
        for big, small in _UNBROADCAST_CASES:
            grad = rng.standard_normal(big)
            problem = close_enough(fn(grad, small), unbroadcast(grad, small),
                                   f"unbroadcast(grad of shape {big}, {small})")
            if problem:
                return problem
        return None
    return run_check("unbroadcast", check,
                     hint="an input used many times gets the SUM of the gradients of its copies: "
                          "sum over the leading extra axes, then over the axes where shape has a 1 "
                          "(keepdims=True).")


# ----------------------------------------------------------------------------- exercise 3
def softplus_backward_solution(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    r"""Softplus :math:`s(x) = \log(1 + e^x)` has :math:`s'(x) = e^x/(1+e^x) = \sigma(x)`, so the
    chain rule gives ``grad_out * sigmoid(x)`` (written in the overflow-free form)."""
    return grad_out * np.exp(-np.logaddexp(0.0, -x))


def check_softplus_backward(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Compare ``fn(x, grad_out)`` with the central-difference gradient of ``sum(grad_out * softplus(x))``."""
    def check():
        rng = np.random.default_rng(5)
        x = rng.uniform(-4, 4, size=(3, 4))
        g = rng.standard_normal((3, 4))
        want = numerical_gradient(lambda v: np.sum(g * np.logaddexp(0.0, v)), x)[0]
        got = answer(fn(x.copy(), g.copy()))
        if np.shape(got) == want.shape and np.allclose(got, np.exp(-np.logaddexp(0.0, -x)), atol=1e-6):
            return "you returned the local derivative s'(x) only: multiply by the upstream gradient grad_out."
        return close_enough(got, want, "the gradient", atol=1e-6, rtol=1e-5)
    return run_check("softplus backward", check,
                     hint="d/dx log(1 + e^x) = e^x / (1 + e^x), which is the sigmoid; then chain rule.")
