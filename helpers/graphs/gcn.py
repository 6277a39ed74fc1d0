r"""The graph convolutional layer (GCN, Kipf & Welling 2017), from scratch, forward and backward.

.. math::
    Y = \hat A\, X W + \mathbf 1 \mathbf b^\top, \qquad \hat A = \tilde D^{-1/2} (A + I) \tilde D^{-1/2},

i.e. for every node :math:`i`,

.. math::
    \mathbf y_i = \sum_{j \in \mathcal N(i) \cup \{i\}} \frac{1}{\sqrt{\tilde d_i \tilde d_j}}\, W^\top \mathbf x_j + \mathbf b .

Aggregate (a degree-weighted average of the neighbours and oneself), then transform (one weight
matrix shared by every node, as a convolution shares its kernel across pixels). Two forms:

* **dense** (:func:`gcn_dense_forward`): the formula as written, an (N, N) matrix; for reading
  and for small graphs;
* **edge list** (:func:`gcn_forward`): the same sums over the E edges only, with the scatter-add
  of :mod:`helpers.graphs.message_passing`; memory and time grow with E, not N².

Both follow ``torch_geometric.nn.GCNConv`` exactly: the transform is applied first
(:math:`\hat A (XW)`, cheaper when the output is narrower than the input), no bias inside the
linear map, one bias added after aggregation. Our ``W`` (D_in, D_out) is ``GCNConv.lin.weight.T``.
Gradients follow the course's convention ``dx, dW, db = gcn_backward(dy, cache)``:

.. math::
    \frac{\partial\mathcal L}{\partial W} = (\hat A X)^\top G, \quad
    \frac{\partial\mathcal L}{\partial X} = \hat A^\top G W^\top, \quad
    \frac{\partial\mathcal L}{\partial \mathbf b} = G^\top \mathbf 1, \qquad G = \frac{\partial\mathcal L}{\partial Y}.

Notebook 17, section 2; compared with PyG and with autograd in ``tests/test_graphs.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_type
from helpers.graphs.message_passing import AggregateCache, aggregate_backward, aggregate_forward
from helpers.graphs.structure import gcn_edge_weights, normalized_adjacency

__all__ = ["GCNDenseCache", "gcn_dense_forward", "gcn_dense_backward", "GCNCache", "gcn_forward",
           "gcn_backward"]


def _check_layer(x, W, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = check_array(x, "x", ndim=2)
    W = check_array(W, "W", ndim=2)
    if W.shape[0] != x.shape[1]:
        raise ValueError(f"W must have shape (D_in, D_out) with D_in = x.shape[1] = {x.shape[1]}, got {W.shape}")
    b = check_array(b, "b", shape=(W.shape[1],))
    return x, W, b


@dataclass(frozen=True)
class GCNDenseCache:
    """Inputs of :func:`gcn_dense_forward` kept for the backward pass."""

    x: np.ndarray
    A_hat: np.ndarray
    W: np.ndarray


def gcn_dense_forward(x, A, W, b) -> tuple[np.ndarray, GCNDenseCache]:
    r"""One GCN layer with a dense adjacency: :math:`Y = \hat A X W + \mathbf b`.

    Args:
        x: node features.
        A: adjacency without self-loops, rows are receivers (:func:`helpers.graphs.structure.adjacency`).
        W: weight matrix; b: bias.

    Shape:
        x: (N, D_in), A: (N, N), W: (D_in, D_out), b: (D_out,) -> y: (N, D_out).

    Example:
        >>> y, _ = gcn_dense_forward(np.array([[1.0], [3.0]]), np.array([[0, 1], [1, 0]]), np.eye(1), np.zeros(1))
        >>> y                                  # each node: the average of itself and its neighbour
        array([[2.],
               [2.]])
    """
    x, W, b = _check_layer(x, W, b)
    A = check_array(A, "A", shape=(len(x), len(x)))
    A_hat = normalized_adjacency(A)                                      # (N, N)
    return A_hat @ (x @ W) + b, GCNDenseCache(x, A_hat, W)               # (N, D_out)


def gcn_dense_backward(dy, cache: GCNDenseCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`gcn_dense_forward`: ``(dx (N, D_in), dW (D_in, D_out), db (D_out,))``."""
    check_type(cache, "cache", GCNDenseCache, "a GCNDenseCache (from gcn_dense_forward)")
    dy = check_array(dy, "dy", shape=(len(cache.x), cache.W.shape[1]))
    d_xw = cache.A_hat.T @ dy                                            # (N, D_out): back through Â
    return d_xw @ cache.W.T, cache.x.T @ d_xw, dy.sum(axis=0)


@dataclass(frozen=True)
class GCNCache:
    """Inputs of :func:`gcn_forward` (and the aggregation's own cache) kept for the backward pass."""

    x: np.ndarray
    W: np.ndarray
    aggregate: AggregateCache


def gcn_forward(x, edge_index, W, b) -> tuple[np.ndarray, GCNCache]:
    r"""One GCN layer on an edge list: transform, then a weighted scatter-add over the edges.

    .. math::
        \mathbf y_i = \sum_{e=(j\to i)} w_e\, (XW)_j + \mathbf b, \qquad
        w_{j\to i} = \tilde d_j^{-1/2} \tilde d_i^{-1/2} \text{ (self-loops included)}.

    Shape:
        x: (N, D_in), edge_index: (2, E), W: (D_in, D_out), b: (D_out,) -> y: (N, D_out).

    Example:
        >>> y, _ = gcn_forward(np.array([[1.0], [3.0]]), np.array([[0, 1], [1, 0]]), np.eye(1), np.zeros(1))
        >>> y
        array([[2.],
               [2.]])
    """
    x, W, b = _check_layer(x, W, b)
    ei, w = gcn_edge_weights(edge_index, len(x))                         # (2, E + N), (E + N,)
    out, agg = aggregate_forward(x @ W, ei, w)                           # (N, D_out)
    return out + b, GCNCache(x, W, agg)


def gcn_backward(dy, cache: GCNCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`gcn_forward`: ``(dx (N, D_in), dW (D_in, D_out), db (D_out,))``.

    The aggregation's backward sends each receiver's gradient back along its edges (a
    scatter-add into the senders); the edge weights are constants here, so their gradient is unused.
    """
    check_type(cache, "cache", GCNCache, "a GCNCache (from gcn_forward)")
    dy = check_array(dy, "dy", shape=(len(cache.x), cache.W.shape[1]))
    d_xw, _ = aggregate_backward(dy, cache.aggregate)                    # (N, D_out)
    return d_xw @ cache.W.T, cache.x.T @ d_xw, dy.sum(axis=0)
