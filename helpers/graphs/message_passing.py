r"""Message passing on an edge list: gather the senders, weight the messages, scatter-add them
into the receivers. Every layer of this chapter is this step followed by a transform.

For edges :math:`e = (j \to i)` with weights :math:`w_e`,

.. math::
    \mathrm{out}_i = \sum_{e = (j \to i)} w_e\, \mathbf x_j .

Two primitives do it, both met in notebook 15: the **gather** ``x[src]`` is an embedding lookup
(one row per edge), and the **scatter-add** into the targets is the embedding's gradient
(:func:`helpers.representation.embeddings.embedding_backward`): rows with the same target are
*added*. The backward pass swaps their roles: the gradient of a gather is a scatter-add into the
*sources*, and the gradient of the weights is one dot product per edge. The dense equivalent is
:math:`\mathrm{out} = A_w X` with :math:`(A_w)_{ij} = \sum_{e=(j\to i)} w_e`; the edge list only
ever touches the E non-zero entries instead of all :math:`N^2`.
Notebook 17, section 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range, check_type
from helpers.graphs.structure import check_edge_index
from helpers.representation.embeddings import EmbeddingCache, embedding_backward

__all__ = ["scatter_sum", "segment_softmax", "segment_softmax_backward", "AggregateCache",
           "aggregate_forward", "aggregate_backward", "mean_aggregate"]


def scatter_sum(values, index, num_nodes: int) -> np.ndarray:
    r"""Add row :math:`e` of ``values`` into row ``index[e]`` of a zero array with ``num_nodes`` rows.

    The scatter-add of notebook 15 (``np.add.at(out, index, values)`` computes the same sums,
    several times more slowly; ``torch.Tensor.index_add_`` is PyTorch's).

    Shape:
        values: (E, *F); index: (E,) -> (num_nodes, *F).

    Example:
        >>> scatter_sum(np.array([[1.0], [2.0], [4.0]]), np.array([0, 2, 0]), 3)
        array([[5.],
               [0.],
               [2.]])
    """
    v = check_array(values, "values", allow_empty=True)
    if v.ndim < 1:
        raise ValueError(f"values must have at least 1 dimension (one row per edge), got shape {v.shape}")
    flat = v.reshape(len(v), -1)                                         # (E, F) with F = prod(*F)
    out = embedding_backward(flat, EmbeddingCache(index, num_nodes))     # (num_nodes, F)
    return out.reshape((num_nodes,) + v.shape[1:])                       # (num_nodes, *F)


def segment_softmax(scores, index, num_nodes: int) -> np.ndarray:
    r"""Softmax over the edges that share a target: :math:`\alpha_e = e^{s_e} / \sum_{e': i(e') = i(e)} e^{s_{e'}}`.

    Stable form: the group's maximum is subtracted first (the largest term becomes exactly 1,
    so the denominator is at least 1 and nothing overflows). PyG's ``softmax`` does the same and
    adds 1e-16 to the denominator, a relative change below 1e-16.

    Shape:
        scores: (E, *H); index: (E,) -> (E, *H), summing to 1 over each target's edges.

    Example:
        >>> segment_softmax(np.array([0.0, 0.0, 1000.0]), np.array([0, 0, 1]), 2)
        array([0.5, 0.5, 1. ])
    """
    s = check_array(scores, "scores")
    idx = check_array(index, "index", shape=(len(s),), dtype="int")
    check_range(num_nodes, "num_nodes", 1, None, integer=True)
    if idx.min() < 0 or idx.max() >= num_nodes:
        raise ValueError(f"index must hold node ids in [0, {num_nodes - 1}], got values from {idx.min()} to {idx.max()}")
    group_max = np.full((num_nodes,) + s.shape[1:], -np.inf)
    np.maximum.at(group_max, idx, s)                                     # (N, *H)
    ex = np.exp(s - group_max[idx])                                      # (E, *H), each group's largest is 1
    return ex / scatter_sum(ex, idx, num_nodes)[idx]


def segment_softmax_backward(dy, alpha, index, num_nodes: int) -> np.ndarray:
    r"""Gradient through :func:`segment_softmax`: within each group, as for an ordinary softmax,

    .. math:: \frac{\partial \mathcal L}{\partial s_e} = \alpha_e\Big(g_e - \sum_{e' \in \text{group}} \alpha_{e'} g_{e'}\Big),
              \qquad g = \frac{\partial \mathcal L}{\partial \alpha}.

    Shape:
        dy, alpha: (E, *H); index: (E,) -> (E, *H).
    """
    g = check_array(dy, "dy")
    a = check_array(alpha, "alpha", shape=g.shape)
    return a * (g - scatter_sum(a * g, index, num_nodes)[index])


@dataclass(frozen=True)
class AggregateCache:
    """What :func:`aggregate_backward` needs: the inputs of the forward pass."""

    x: np.ndarray
    edge_index: np.ndarray
    weights: np.ndarray


def aggregate_forward(x, edge_index, weights=None) -> tuple[np.ndarray, AggregateCache]:
    r"""Weighted sum of the senders' vectors at every receiver: :math:`\mathrm{out}_i = \sum_{e=(j\to i)} w_e \mathbf x_j`.

    Args:
        x: node vectors, (N, D), or (N, H, C) for H attention heads.
        edge_index: (2, E), row 0 sources j, row 1 targets i.
        weights: one weight per edge, (E,) for x (N, D) or (E, H) for x (N, H, C); default all 1.

    Shape:
        x: (N, *L, C), weights: (E, *L) -> out: (N, *L, C).

    Example:
        >>> out, _ = aggregate_forward(np.eye(3), np.array([[1, 2], [0, 0]]))   # 1 -> 0 and 2 -> 0
        >>> out[0]
        array([0., 1., 1.])
    """
    x = check_array(x, "x", ndim=(2, 3))
    ei = check_edge_index(edge_index, len(x))
    w = np.ones(ei.shape[1]) if weights is None else check_array(weights, "weights")
    if w.shape != (ei.shape[1],) + x.shape[1:-1]:
        raise ValueError(f"weights must have shape (E,) + x.shape[1:-1] = {(ei.shape[1],) + x.shape[1:-1]}, got {w.shape}")
    messages = w[..., None] * x[ei[0]]                                    # (E, *L, C): gather, then weight
    return scatter_sum(messages, ei[1], len(x)), AggregateCache(x, ei, w)


def aggregate_backward(dy, cache: AggregateCache) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradients of :func:`aggregate_forward`: the messages flow back along the reversed edges,

    .. math::
        \frac{\partial\mathcal L}{\partial \mathbf x_j} = \sum_{e=(j\to i)} w_e\, \frac{\partial\mathcal L}{\partial \mathrm{out}_i},
        \qquad
        \frac{\partial\mathcal L}{\partial w_e} = \Big\langle \frac{\partial\mathcal L}{\partial \mathrm{out}_i}, \mathbf x_j \Big\rangle .

    Returns:
        ``(dx, dweights)``, shapes (N, *L, C) and (E, *L).
    """
    check_type(cache, "cache", AggregateCache, "an AggregateCache (from aggregate_forward)")
    dy = check_array(dy, "dy", shape=cache.x.shape)
    src, dst = cache.edge_index
    d_msg = dy[dst]                                                      # (E, *L, C): what each message owes
    dx = scatter_sum(cache.weights[..., None] * d_msg, src, len(cache.x))
    dw = np.sum(d_msg * cache.x[src], axis=-1)                           # (E, *L)
    return dx, dw


def mean_aggregate(x, edge_index) -> np.ndarray:
    r"""The mean of the senders' vectors at every receiver, :math:`\frac{1}{d_i}\sum_{j \to i} \mathbf x_j`
    (0 for a node that receives nothing). GraphSAGE's aggregator; exercise 2 of notebook 17.

    Shape:
        x: (N, D), edge_index: (2, E) -> (N, D).
    """
    x = check_array(x, "x", ndim=2)
    ei = check_edge_index(edge_index, len(x))
    total, _ = aggregate_forward(x, ei)                                  # (N, D)
    count = np.bincount(ei[1], minlength=len(x)).astype(np.float64)      # (N,) in-degrees
    return total / np.maximum(count, 1.0)[:, None]                       # a node with no senders stays 0
