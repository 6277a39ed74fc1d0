r"""Central-difference gradient checking (notebook 04).

The derivative is a limit; a computer can take it with a small but finite step. The *central*
difference

.. math::
    \frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}

has an error of order :math:`\varepsilon^2` (the one-sided difference only :math:`\varepsilon`), so
with :math:`\varepsilon = 10^{-6}` in float64 it agrees with an exact gradient to about
:math:`10^{-9}`: a backward pass that is off by a factor, a sign or a missing term stands out
immediately. It costs two evaluations of ``f`` per input entry, so it is a test, not a training
method.

Shape: each input may have any shape; its numerical gradient has the same shape.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from helpers.autograd.tensor import Tensor
from helpers.core.checks import check_array, check_range

__all__ = ["numerical_gradient", "relative_error", "gradcheck"]


def _float64_inputs(arrays: Sequence[Any]) -> list[np.ndarray]:
    if not arrays:
        raise ValueError("gradcheck needs at least one input array, got none")
    out = []
    for i, a in enumerate(arrays):
        a = check_array(a, f"input {i}")
        if a.dtype != np.float64:
            raise ValueError(f"input {i} must be float64 (finite differences need the precision), got {a.dtype}")
        out.append(a.copy())
    return out


def numerical_gradient(f: Callable[..., float], *arrays: np.ndarray, eps: float = 1e-6) -> list[np.ndarray]:
    r"""Central-difference gradient of the scalar function ``f(*arrays)`` with respect to each array.

    Args:
        f: takes the arrays (same order and shapes) and returns a number.
        arrays: float64 inputs; they are not modified.
        eps: the step :math:`\varepsilon`; about :math:`10^{-6}` balances the :math:`\varepsilon^2`
            truncation error against float64 round-off (:math:`10^{-16}/\varepsilon`).

    Returns:
        One array per input, of the input's shape.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of the arrays, got {type(f).__name__}")
    check_range(eps, "eps", 0.0, 1.0, low_inclusive=False)
    xs = _float64_inputs(arrays)
    grads = []
    for x in xs:
        g = np.zeros_like(x)
        flat, gflat = x.reshape(-1), g.reshape(-1)  # views: nudging `flat` nudges `x`
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            f_plus = float(f(*xs))
            flat[i] = old - eps
            f_minus = float(f(*xs))
            flat[i] = old  # restore before moving on
            gflat[i] = (f_plus - f_minus) / (2 * eps)
        grads.append(g)
    return grads


def relative_error(analytic: Any, numeric: Any) -> float:
    r"""Relative error :math:`\lVert a - n\rVert / \max(\lVert a\rVert + \lVert n\rVert, 10^{-12})`.

    Whole-array norms rather than entry by entry: an entry where both gradients are nearly zero
    (1e-12 vs 2e-12) would otherwise look like a 50% error. Below about 1e-7 the analytic gradient
    is right; above 1e-3 it is wrong.

    A NaN or inf in either gradient is propagated as an error of ``inf``: the check fails rather
    than raising.

    Shape: two arrays of the same shape -> a float.
    """
    a = check_array(analytic, "analytic", allow_empty=True, finite=False)
    n = check_array(numeric, "numeric", allow_empty=True, finite=False)
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric gradients must have the same shape, got {a.shape} and {n.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("inf")
    scale = max(float(np.linalg.norm(a) + np.linalg.norm(n)), 1e-12)
    return float(np.linalg.norm(a - n)) / scale


def gradcheck(fn: Callable[..., Tensor], *arrays: np.ndarray, eps: float = 1e-6, seed: int = 0) -> list[float]:
    r"""Compare the engine's gradients of ``fn`` with central differences; one relative error per input.

    ``fn`` takes :class:`~helpers.autograd.tensor.Tensor` s and returns a Tensor. A non-scalar output
    :math:`y` is reduced to :math:`\sum_j u_j y_j` with fixed random weights :math:`u`, which tests
    every entry of the Jacobian product (a plain sum would miss a bug that permutes outputs).

    Returns:
        ``[relative_error(engine grad of input i, numerical grad of input i) for each input]``.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function of Tensors, got {type(fn).__name__}")
    xs = _float64_inputs(arrays)
    probe = fn(*[Tensor(x) for x in xs])
    if not isinstance(probe, Tensor):
        raise ValueError(f"fn must return a Tensor, got {type(probe).__name__}")
    u = np.random.default_rng(seed).standard_normal(probe.shape)

    def scalar(*vals: np.ndarray) -> float:
        return float(np.sum(u * fn(*[Tensor(v, requires_grad=False) for v in vals]).data))

    tensors = [Tensor(x) for x in xs]
    fn(*tensors).backward(u)
    numeric = numerical_gradient(scalar, *xs, eps=eps)
    return [relative_error(t.grad if t.grad is not None else np.zeros_like(t.data), n)
            for t, n in zip(tensors, numeric)]
