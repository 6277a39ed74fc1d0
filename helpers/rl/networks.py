r"""A tiny NumPy network for policies, values and Q-functions, with a hand-written backward pass.

One hidden tanh layer is all CartPole needs (notebook 19):

.. math:: \mathbf h = \tanh(\mathbf x W_1 + \mathbf b_1), \qquad \mathbf y = \mathbf h W_2 + \mathbf b_2 .

The backward pass is the chain rule of notebook 04, written out: with the incoming gradient
:math:`\mathbf{dy} = \partial L / \partial \mathbf y`,

.. math:: dW_2 = \mathbf h^\top \mathbf{dy}, \quad d\mathbf b_2 = \textstyle\sum_n \mathbf{dy}_n, \quad
          \mathbf{dz} = (\mathbf{dy}\, W_2^\top) \odot (1 - \mathbf h^2), \quad
          dW_1 = \mathbf x^\top \mathbf{dz}, \quad d\mathbf b_1 = \textstyle\sum_n \mathbf{dz}_n, \quad
          \mathbf{dx} = \mathbf{dz}\, W_1^\top .

Parameters are a list ``[W1, b1, W2, b2]`` of float64 arrays, the layout
:class:`helpers.training.optim.Adam` updates in place. The output layer starts at zero weights, so
a fresh policy is uniform and a fresh value or Q-function is 0 everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range, check_type

__all__ = ["MLPCache", "init_tanh_mlp", "tanh_mlp_forward", "tanh_mlp_backward", "copy_params", "mlp_output"]


@dataclass(frozen=True)
class MLPCache:
    """What the backward pass needs: the input, the hidden activations and the weights."""

    x: np.ndarray
    h: np.ndarray
    params: tuple[np.ndarray, ...]


def init_tanh_mlp(d_in: int, hidden: int, d_out: int, rng: np.random.Generator) -> list[np.ndarray]:
    r"""Parameters ``[W1 (D, H), b1 (H,), W2 (H, K), b2 (K,)]``: :math:`W_1 \sim \mathcal N(0, 1/D)`
    (Xavier-like for tanh, notebook 06), biases and :math:`W_2` zero.

    Example:
        >>> [p.shape for p in init_tanh_mlp(4, 8, 2, np.random.default_rng(0))]
        [(4, 8), (8,), (8, 2), (2,)]
    """
    for value, name in ((d_in, "d_in"), (hidden, "hidden"), (d_out, "d_out")):
        check_range(value, name, 1, None, integer=True)
    return [rng.normal(0.0, 1.0 / np.sqrt(d_in), (d_in, hidden)), np.zeros(hidden),
            np.zeros((hidden, d_out)), np.zeros(d_out)]


def _check_params(params: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    if not isinstance(params, (list, tuple)) or len(params) != 4:
        raise ValueError(f"params must be a list [W1, b1, W2, b2], got {type(params).__name__} "
                         f"of length {len(params) if isinstance(params, (list, tuple)) else '-'}")
    W1 = check_array(params[0], "W1", ndim=2)
    b1 = check_array(params[1], "b1", shape=(W1.shape[1],))
    W2 = check_array(params[2], "W2", shape=(W1.shape[1], None))
    b2 = check_array(params[3], "b2", shape=(W2.shape[1],))
    return W1, b1, W2, b2


def tanh_mlp_forward(x: np.ndarray, params: list[np.ndarray]) -> tuple[np.ndarray, MLPCache]:
    r""":math:`\mathbf y = \tanh(\mathbf x W_1 + \mathbf b_1) W_2 + \mathbf b_2`.

    Shape:
        x (N, D), params ``[W1 (D, H), b1 (H,), W2 (H, K), b2 (K,)]`` -> y (N, K).

    Example:
        >>> params = init_tanh_mlp(4, 8, 2, np.random.default_rng(0))
        >>> y, cache = tanh_mlp_forward(np.ones((3, 4)), params)
        >>> y.shape, float(np.abs(y).max())          # zero output layer: all outputs 0 at start
        ((3, 2), 0.0)
    """
    W1, b1, W2, b2 = _check_params(params)
    return _forward(check_array(x, "x", shape=(None, W1.shape[0])), (W1, b1, W2, b2))


def _forward(x: np.ndarray, params) -> tuple[np.ndarray, MLPCache]:
    """:func:`tanh_mlp_forward` after validation (the trainers' inner loops call this directly)."""
    W1, b1, W2, b2 = params
    h = np.tanh(x @ W1 + b1)                                                    # (N, H)
    return h @ W2 + b2, MLPCache(x, h, tuple(params))


def mlp_output(x: np.ndarray, params: list[np.ndarray]) -> np.ndarray:
    """The forward pass without checks or cache, for the inner loop of acting in an environment
    (called once per environment step, where validation would cost as much as the maths). The
    caller guarantees shapes; use :func:`tanh_mlp_forward` everywhere else. Shape: (N, D) -> (N, K)."""
    W1, b1, W2, b2 = params
    return np.tanh(x @ W1 + b1) @ W2 + b2                                       # (N, H) @ (H, K)


def tanh_mlp_backward(dy: np.ndarray, cache: MLPCache) -> tuple[np.ndarray, ...]:
    r"""Gradients of :func:`tanh_mlp_forward` (see the module docstring for the formulas).

    Shape:
        dy (N, K) -> ``(dx (N, D), dW1 (D, H), db1 (H,), dW2 (H, K), db2 (K,))``.

    Example:
        >>> params = init_tanh_mlp(4, 8, 2, np.random.default_rng(0))
        >>> y, cache = tanh_mlp_forward(np.ones((3, 4)), params)
        >>> [g.shape for g in tanh_mlp_backward(np.ones((3, 2)), cache)]
        [(3, 4), (4, 8), (8,), (8, 2), (2,)]
    """
    check_type(cache, "cache", MLPCache, "a MLPCache (from tanh_mlp_forward)")
    dy = check_array(dy, "dy", shape=(cache.x.shape[0], cache.params[2].shape[1]))
    return _backward(dy, cache)


def _backward(dy: np.ndarray, cache: MLPCache) -> tuple[np.ndarray, ...]:
    """:func:`tanh_mlp_backward` after validation."""
    W1, _, W2, _ = cache.params
    dW2 = cache.h.T @ dy                                                        # (H, N) @ (N, K)
    dz = (dy @ W2.T) * (1.0 - cache.h ** 2)                                     # tanh' = 1 - tanh^2
    return dz @ W1.T, cache.x.T @ dz, dz.sum(axis=0), dW2, dy.sum(axis=0)


def copy_params(params: list[np.ndarray]) -> list[np.ndarray]:
    """An independent copy of a parameter list (a target network, a snapshot)."""
    return [np.array(p, dtype=np.float64, copy=True) for p in _check_params(params)]
