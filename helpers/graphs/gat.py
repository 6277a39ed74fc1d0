r"""The graph attention layer (GAT, Veličković et al. 2018), from scratch, forward and backward.

Attention as in notebook 11, restricted to the graph: node :math:`i` attends only to its
in-neighbours and itself, and the score of a pair comes from a tiny one-layer network rather
than a dot product. Per head :math:`h` (we drop :math:`h` below):

.. math::
    \mathbf z_j = W^\top \mathbf x_j, \qquad
    u_{ij} = \mathbf a_{\mathrm{src}}^\top \mathbf z_j + \mathbf a_{\mathrm{dst}}^\top \mathbf z_i, \qquad
    \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal N(i) \cup \{i\}} \big(\mathrm{LeakyReLU}_{0.2}(u_{ij})\big),

.. math::
    \mathbf y_i = \big\Vert_{h=1}^{H} \sum_{j} \alpha^{h}_{ij}\, \mathbf z^{h}_j + \mathbf b
    \quad\text{(heads concatenated; or their mean with ``concat=False``)}.

The paper writes :math:`\mathbf a^\top[\mathbf z_i \Vert \mathbf z_j]`; splitting
:math:`\mathbf a` into its two halves gives the sum above, and lets every node's two scores be
computed once (N dot products) instead of once per edge. Conventions of
``torch_geometric.nn.GATConv`` (version 2.8), which we match exactly:

* one shared linear map, no bias inside it: our ``W`` (D_in, H*C) is ``lin.weight.T``; the head
  index is the slower one (``z.reshape(N, H, C)``);
* ``att_src``, ``att_dst`` of shape (H, C) are PyG's (1, H, C) parameters;
* self-loops: existing loops are removed, then one loop per node is added;
* LeakyReLU slope 0.2; softmax over the edges *arriving* at a node (its in-neighbours and the loop),
  max-subtracted; attention dropout off (our layer is the evaluation-mode layer);
* heads concatenated (``concat=True``) or averaged (``concat=False``), then one bias added.

Gradients (``dx, dW, d_att_src, d_att_dst, db = gat_backward(dy, cache)``), by the chain rule
through those five steps: aggregation (:func:`helpers.graphs.message_passing.aggregate_backward`
gives :math:`\partial\mathcal L/\partial\alpha`), the segment softmax, the LeakyReLU (slope 0.2
at the kink :math:`u = 0`, PyTorch's choice), the two score vectors and the linear map.
Notebook 17, section 2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.basics.activations import leaky_relu, leaky_relu_grad
from helpers.core.checks import check_array, check_range, check_type
from helpers.graphs.message_passing import (AggregateCache, aggregate_backward, aggregate_forward, scatter_sum,
                                            segment_softmax, segment_softmax_backward)
from helpers.graphs.structure import add_self_loops

__all__ = ["GATCache", "gat_forward", "gat_backward", "GATDenseCache", "gat_dense_forward", "gat_dense_backward",
           "attention_matrix"]


def _check_gat(x, W, att_src, att_dst, b, concat: bool, negative_slope: float):
    x = check_array(x, "x", ndim=2)
    att_src = check_array(att_src, "att_src", ndim=2)
    H, C = att_src.shape
    att_dst = check_array(att_dst, "att_dst", shape=(H, C))
    W = check_array(W, "W", shape=(x.shape[1], H * C))
    b = check_array(b, "b", shape=(H * C if concat else C,))
    check_range(negative_slope, "negative_slope", 0.0, 1.0)
    return x, W, att_src, att_dst, b


def _heads_grad(dy, N: int, H: int, C: int, concat: bool) -> np.ndarray:
    """The gradient of the (N, H, C) head outputs, given that of the concatenated or averaged output."""
    if concat:
        return check_array(dy, "dy", shape=(N, H * C)).reshape(N, H, C)    # (N, H*C) -> (N, H, C)
    dy = check_array(dy, "dy", shape=(N, C))
    return np.broadcast_to(dy[:, None, :] / H, (N, H, C))                 # the mean's 1/H to every head


@dataclass(frozen=True)
class GATCache:
    """What :func:`gat_backward` needs from the forward pass."""

    x: np.ndarray
    W: np.ndarray
    att_src: np.ndarray
    att_dst: np.ndarray
    z: np.ndarray          # (N, H, C) transformed features
    scores: np.ndarray     # (E, H) u before the LeakyReLU
    alpha: np.ndarray      # (E, H) attention weights
    aggregate: AggregateCache
    concat: bool
    negative_slope: float


def gat_forward(x, edge_index, W, att_src, att_dst, b, concat: bool = True,
                negative_slope: float = 0.2) -> tuple[np.ndarray, GATCache]:
    r"""One GAT layer on an edge list (see the module docstring for the formula and conventions).

    Args:
        x: node features; edge_index: (2, E) edges j -> i (self-loops are replaced by one per node).
        W: the shared linear map; att_src, att_dst: one score vector per head; b: the bias.
        concat: concatenate the heads (True) or average them (False).
        negative_slope: the LeakyReLU's slope for negative scores (0.2 in the paper and in PyG).

    Shape:
        x: (N, D_in), W: (D_in, H*C), att_src/att_dst: (H, C), b: (H*C,) or (C,)
        -> y: (N, H*C) or (N, C). ``cache.alpha`` holds the attention weights, (E + N, H),
        for the edges of ``cache.aggregate.edge_index``.

    Example:
        >>> y, cache = gat_forward(np.eye(2), np.array([[0], [1]]), np.eye(2), np.zeros((1, 2)),
        ...                        np.zeros((1, 2)), np.zeros(2))
        >>> cache.alpha[:, 0]          # node 1 splits its attention between node 0 and itself
        array([0.5, 1. , 0.5])
    """
    x, W, att_src, att_dst, b = _check_gat(x, W, att_src, att_dst, b, concat, negative_slope)
    N, (H, C) = len(x), att_src.shape
    ei = add_self_loops(edge_index, N)                                   # (2, E + N)
    src, dst = ei
    z = (x @ W).reshape(N, H, C)                                         # (N, H*C) -> (N, H, C)
    score_src = np.einsum("nhc,hc->nh", z, att_src)                      # (N, H): a_src . z_j
    score_dst = np.einsum("nhc,hc->nh", z, att_dst)                      # (N, H): a_dst . z_i
    u = score_src[src] + score_dst[dst]                                  # (E + N, H), one score per edge
    alpha = segment_softmax(leaky_relu(u, negative_slope), dst, N)       # (E + N, H), sums to 1 per target
    out, agg = aggregate_forward(z, ei, alpha)                           # (N, H, C)
    y = out.reshape(N, H * C) if concat else out.mean(axis=1)            # (N, H*C) or (N, C)
    return y + b, GATCache(x, W, att_src, att_dst, z, u, alpha, agg, concat, negative_slope)


def gat_backward(dy, cache: GATCache) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`gat_forward`: ``(dx, dW, d_att_src, d_att_dst, db)``, shaped like the inputs."""
    check_type(cache, "cache", GATCache, "a GATCache (from gat_forward)")
    N, H, C = cache.z.shape
    src, dst = cache.aggregate.edge_index
    d_out = _heads_grad(dy, N, H, C, cache.concat)                       # (N, H, C)
    db = np.asarray(dy).sum(axis=0)
    dz, d_alpha = aggregate_backward(d_out, cache.aggregate)             # (N, H, C), (E, H)
    d_e = segment_softmax_backward(d_alpha, cache.alpha, dst, N)         # (E, H): through the softmax
    d_u = d_e * leaky_relu_grad(cache.scores, cache.negative_slope)      # (E, H): through the LeakyReLU
    d_score_src = scatter_sum(d_u, src, N)                               # (N, H): each score feeds many edges
    d_score_dst = scatter_sum(d_u, dst, N)
    dz = dz + d_score_src[..., None] * cache.att_src + d_score_dst[..., None] * cache.att_dst
    d_att_src = np.einsum("nh,nhc->hc", d_score_src, cache.z)            # (H, C)
    d_att_dst = np.einsum("nh,nhc->hc", d_score_dst, cache.z)
    dz = dz.reshape(N, H * C)                                            # (N, H, C) -> (N, H*C)
    return dz @ cache.W.T, cache.x.T @ dz, d_att_src, d_att_dst, db


@dataclass(frozen=True)
class GATDenseCache:
    """What :func:`gat_dense_backward` needs from the forward pass."""

    x: np.ndarray
    W: np.ndarray
    att_src: np.ndarray
    att_dst: np.ndarray
    z: np.ndarray          # (N, H, C)
    scores: np.ndarray     # (N, N, H) u_ij, -inf off the graph
    alpha: np.ndarray      # (N, N, H) attention of receiver i on sender j
    concat: bool
    negative_slope: float


def gat_dense_forward(x, A, W, att_src, att_dst, b, concat: bool = True,
                      negative_slope: float = 0.2) -> tuple[np.ndarray, GATDenseCache]:
    r"""The same layer with an (N, N, H) attention tensor: score every pair, mask the non-edges
    with :math:`-\infty` (their softmax weight is exactly 0), softmax each row.

    Args:
        A: dense adjacency, rows are receivers (its diagonal is ignored: every node gets one loop).

    Shape:
        x: (N, D_in), A: (N, N), ... -> y: (N, H*C) or (N, C); ``cache.alpha`` (N, N, H).
    """
    x, W, att_src, att_dst, b = _check_gat(x, W, att_src, att_dst, b, concat, negative_slope)
    N, (H, C) = len(x), att_src.shape
    A = check_array(A, "A", shape=(N, N))
    linked = (A + np.eye(N) - np.diag(np.diag(A))) > 0                    # (N, N) receiver i, sender j
    z = (x @ W).reshape(N, H, C)                                         # (N, H, C)
    u = np.einsum("ihc,hc->ih", z, att_dst)[:, None, :] + np.einsum("jhc,hc->jh", z, att_src)[None]  # (N, N, H)
    e = np.where(linked[..., None], leaky_relu(u, negative_slope), -np.inf)
    e = np.exp(e - e.max(axis=1, keepdims=True))                         # row max first: no overflow; exp(-inf) = 0
    alpha = e / e.sum(axis=1, keepdims=True)                             # (N, N, H), rows sum to 1
    out = np.einsum("ijh,jhc->ihc", alpha, z)                            # (N, H, C)
    y = out.reshape(N, H * C) if concat else out.mean(axis=1)
    return y + b, GATDenseCache(x, W, att_src, att_dst, z, np.where(linked[..., None], u, -np.inf), alpha,
                                concat, negative_slope)


def gat_dense_backward(dy, cache: GATDenseCache) -> tuple[np.ndarray, ...]:
    """Gradients of :func:`gat_dense_forward`: ``(dx, dW, d_att_src, d_att_dst, db)``."""
    check_type(cache, "cache", GATDenseCache, "a GATDenseCache (from gat_dense_forward)")
    N, H, C = cache.z.shape
    d_out = _heads_grad(dy, N, H, C, cache.concat)                       # (N, H, C)
    db = np.asarray(dy).sum(axis=0)
    a = cache.alpha
    dz = np.einsum("ijh,ihc->jhc", a, d_out)                             # (N, H, C): as a sender
    d_alpha = np.einsum("ihc,jhc->ijh", d_out, cache.z)                  # (N, N, H)
    d_e = a * (d_alpha - np.sum(a * d_alpha, axis=1, keepdims=True))     # softmax backward along each row
    linked = np.isfinite(cache.scores)
    slope = np.where(cache.scores > 0, 1.0, cache.negative_slope)        # LeakyReLU' (slope at 0, like torch)
    d_u = np.where(linked, d_e * slope, 0.0)                             # (N, N, H)
    d_score_dst, d_score_src = d_u.sum(axis=1), d_u.sum(axis=0)          # (N, H) each
    dz = dz + d_score_src[..., None] * cache.att_src + d_score_dst[..., None] * cache.att_dst
    d_att_src = np.einsum("nh,nhc->hc", d_score_src, cache.z)
    d_att_dst = np.einsum("nh,nhc->hc", d_score_dst, cache.z)
    dz = dz.reshape(N, H * C)                                            # (N, H, C) -> (N, H*C)
    return dz @ cache.W.T, cache.x.T @ dz, d_att_src, d_att_dst, db


def attention_matrix(cache: GATCache) -> np.ndarray:
    """The edge-list attention weights as a dense (N, N, H) array (receiver i, sender j): zero off the graph."""
    check_type(cache, "cache", GATCache, "a GATCache (from gat_forward)")
    N, H, _ = cache.z.shape
    src, dst = cache.aggregate.edge_index
    dense = np.zeros((N, N, H))
    np.add.at(dense, (dst, src), cache.alpha)                            # a repeated edge adds its weights
    return dense

