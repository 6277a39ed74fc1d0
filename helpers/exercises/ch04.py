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
    r"""Gradients of :math:`\mathcal{L} = (wx + b - t)^2` with respect to :math:`w` and :math:`b`.

    Forward first, keeping the intermediate value: :math:`\hat y = wx + b = 0.5`, so
    :math:`\hat y - t = -0.5` (the prediction is too small). Backward, one local derivative per step:
    :math:`\partial\mathcal{L}/\partial\hat y = 2(\hat y - t) = -1`, and since
    :math:`\partial\hat y/\partial w = x` and :math:`\partial\hat y/\partial b = 1`, the chain rule gives
    :math:`\partial\mathcal{L}/\partial w = -1 \cdot 2 = -2` and :math:`\partial\mathcal{L}/\partial b = -1`.
    Both are negative: increasing :math:`w` or :math:`b` would lower the loss.
    """
    y_hat = w * x + b                # forward: the prediction
    dL_dyhat = 2.0 * (y_hat - t)     # d(u^2)/du = 2u, with u = y_hat - t
    return dL_dyhat * x, dL_dyhat    # times dy_hat/dw = x and dy_hat/db = 1


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
    return run_check("gradients by hand", check, hints=("do the forward pass first and write down ŷ = w·x + b; the backward pass starts from "
                            "dL/dŷ and multiplies by one local derivative per step.",
                            "ŷ = 0.5·2 - 0.5 = 0.5, so dL/dŷ = 2(ŷ - t) = -1; then dL/dw = dL/dŷ · x and "
                            "dL/db = dL/dŷ · 1."))


# ----------------------------------------------------------------------------- exercise 2
def unbroadcast_solution(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape``, the shape of an input that broadcasting stretched.

    An input that broadcasting copied k times was *used* k times, so its gradient is the sum of
    the k copies' gradients (the fan-out rule). Broadcasting does two things, undone in turn:
    it prepends axes (a (D,) bias added to an (N, D) batch), summed away entirely; and it
    stretches axes of size 1 (an (N, 1) column), summed with ``keepdims`` so the 1 stays.
    """
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))  # drop the prepended axes: now grad.ndim == len(shape)
    axes = tuple(i for i, s in enumerate(shape) if s == 1)
    return grad.sum(axis=axes, keepdims=True)  # sum the stretched size-1 axes, keep them: shape


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
                     hints=("an input that broadcasting copied is used once per copy, so its gradient is "
                            "the SUM over those copies. Which axes of grad are copies?",
                            "first grad.sum(axis=tuple(range(grad.ndim - len(shape)))) for the axes "
                            "broadcasting prepended, then .sum(axis=<the i where shape[i] == 1>, "
                            "keepdims=True)."))


# ----------------------------------------------------------------------------- exercise 3
def softplus_backward_solution(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    r"""The backward rule of softplus :math:`s(x) = \log(1 + e^x)`: upstream gradient times local slope.

    The local derivative is :math:`s'(x) = e^x/(1+e^x) = 1/(1 + e^{-x}) = \sigma(x)`, the sigmoid.
    The chain rule multiplies it, entry by entry, with the gradient that arrives from above:
    :math:`\partial\mathcal{L}/\partial x = \partial\mathcal{L}/\partial s \cdot \sigma(x)`.
    :math:`\sigma(x) = e^{-\log(1 + e^{-x})}` is written with ``logaddexp`` so that no ``exp``
    overflows at large :math:`|x|`.
    """
    sigmoid = np.exp(-np.logaddexp(0.0, -x))  # sigma(x) = 1 / (1 + e^-x), overflow-free
    return grad_out * sigmoid                  # chain rule: upstream gradient times local slope


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
                     hints=("a backward rule is (upstream gradient) × (local derivative of the operation); "
                            "what is d/dx log(1 + e^x)?",
                            "d/dx log(1 + e^x) = e^x / (1 + e^x) = 1 / (1 + e^-x), the sigmoid: return "
                            "grad_out * (1 / (1 + np.exp(-x)))."))
