"""Activation functions and their derivatives, in numerically stable form.

Each activation is a pair ``f(x)`` / ``f_grad(x)`` (the derivative df/dx evaluated at x), both
elementwise, shape-preserving and dtype-preserving for float32/float64 inputs. ``ACTIVATIONS``
maps a name to an :class:`Activation` record so that widgets and experiments can loop over them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .utils import check_array

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "step", "sigmoid", "sigmoid_grad",
           "tanh", "tanh_grad", "relu", "relu_grad"]


def _x(x: np.ndarray) -> np.ndarray:
    return check_array(x, "x", allow_empty=True, finite=False)


def step(x: np.ndarray) -> np.ndarray:
    r"""Heaviside step :math:`H(x) = 1` if :math:`x > 0` else 0 (the perceptron's activation).

    Shape: any -> same. ``H(0) = 0``, so a point exactly on the boundary is classed 0.
    """
    x = _x(x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`.

    Stable form: for ``x < 0`` we compute :math:`e^{x} / (1 + e^{x})`, so ``exp`` never sees a
    large positive argument (the textbook formula overflows ``exp(-x)`` at x = -1000).

    Shape: any -> same. Example: ``sigmoid(np.array([0.0]))`` -> ``[0.5]``.
    """
    x = _x(x)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`; at most 0.25 (at x = 0)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    r""":math:`\tanh(x) = (e^{x} - e^{-x}) / (e^{x} + e^{-x})`, via ``np.tanh`` (finite for all x;
    the literal formula gives inf/inf = NaN at x = 1000)."""
    return np.tanh(_x(x))


def tanh_grad(x: np.ndarray) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2(x)`."""
    t = tanh(x)
    return 1.0 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{ReLU}(x) = \max(0, x)`. Shape: any -> same."""
    x = _x(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x: np.ndarray) -> np.ndarray:
    r"""1 for x > 0, 0 for x < 0, and **0 at the kink x = 0** (PyTorch's convention too)."""
    x = _x(x)
    return (x > 0).astype(x.dtype)


@dataclass(frozen=True)
class Activation:
    """A named activation: the function, its derivative and the formula as LaTeX."""

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    formula: str


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, r"\sigma(x) = \frac{1}{1 + e^{-x}}"),
    "tanh": Activation("tanh", tanh, tanh_grad, r"\tanh(x)"),
    "relu": Activation("relu", relu, relu_grad, r"\max(0, x)"),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name, with a clear error listing the choices."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
