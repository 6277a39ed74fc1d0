r"""Over-smoothing: why stacking many graph layers makes every node look the same, measured.

One GCN step replaces a node's vector by a weighted average over its neighbourhood. Repeat it
and the averages spread over the whole graph: for a connected graph with self-loops,

.. math::
    \hat A^k X \;\longrightarrow\; \tilde D^{1/2}\mathbf 1\, \mathbf c^\top \quad (k \to \infty),

because :math:`\hat A`'s largest eigenvalue is 1, with eigenvector :math:`\tilde D^{1/2}\mathbf 1`,
and every other eigenvalue has modulus below 1 and dies out geometrically. Every row becomes a
multiple of the same vector :math:`\mathbf c`: the nodes can no longer be told apart (Li, Han &
Wu 2018; Oono & Suzuki 2020). Two measures of it:

* :func:`mean_pairwise_cosine`: the average cosine similarity between the vectors of two
  different nodes; it rises to 1 as the rows line up;
* :func:`dirichlet_energy`: :math:`\operatorname{tr}(H^\top (I - \hat A) H) / \lVert H\rVert_F^2`,
  how much vectors differ across edges relative to their size; it falls to 0.

A **residual** (skip) connection keeps part of what a node was:
:func:`propagate` with ``alpha > 0`` computes :math:`H_{k+1} = (1 - \alpha)\hat A H_k + \alpha X`
(the "initial residual" of APPNP, Klicpera et al. 2019), whose limit is a personalised-PageRank
average that still depends on each node's own :math:`\mathbf x_i`. Notebook 17, section 4.
"""
from __future__ import annotations

import numpy as np

from helpers.core.checks import check_array, check_range
from helpers.graphs.structure import adjacency, check_edge_index, normalized_adjacency

__all__ = ["mean_pairwise_cosine", "dirichlet_energy", "propagate"]


def mean_pairwise_cosine(H) -> float:
    r"""Mean cosine similarity over all pairs of different rows, :math:`\frac{1}{N(N-1)}\sum_{i \ne j} \cos(\mathbf h_i, \mathbf h_j)`.

    A zero row counts as similarity 0 to everything (its direction is undefined).

    Shape:
        H: (N, D) with N >= 2 -> scalar in [-1, 1].

    Example:
        >>> mean_pairwise_cosine(np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]))
        1.0
        >>> mean_pairwise_cosine(np.eye(3))
        0.0
    """
    H = check_array(H, "H", ndim=2)
    if len(H) < 2:
        raise ValueError(f"H needs at least 2 rows (nodes) to compare, got shape {H.shape}")
    norm = np.linalg.norm(H, axis=1, keepdims=True)                      # (N, 1)
    unit = np.where(norm > 0, H / np.where(norm > 0, norm, 1.0), 0.0)   # (N, D); zero rows stay 0
    total = unit.sum(axis=0)                                             # (D,)
    # sum over all ordered pairs i != j of u_i.u_j = |sum_i u_i|^2 - sum_i |u_i|^2: O(N D), not O(N^2 D)
    off_diagonal = total @ total - np.sum(unit * unit)
    return float(np.clip(off_diagonal / (len(H) * (len(H) - 1)), -1.0, 1.0))


def dirichlet_energy(H, edge_index) -> float:
    r"""Normalised Dirichlet energy :math:`\operatorname{tr}(H^\top (I - \hat A) H) / \lVert H \rVert_F^2`.

    Equal to :math:`\frac{1}{2}\sum_{i,j} \tilde A_{ij} \lVert \mathbf h_i/\sqrt{\tilde d_i} -
    \mathbf h_j/\sqrt{\tilde d_j}\rVert^2` over :math:`\lVert H\rVert_F^2` for an undirected
    graph: 0 when every row is proportional to :math:`\sqrt{\tilde d_i}` (fully smoothed),
    up to 2 for vectors that flip sign across every edge. Scale-free, so a network cannot lower
    it just by shrinking its outputs.

    Shape:
        H: (N, D), edge_index: (2, E) -> scalar in [0, 2].
    """
    H = check_array(H, "H", ndim=2)
    ei = check_edge_index(edge_index, len(H))
    total = np.sum(H * H)
    if total == 0:
        raise ValueError("H is all zeros: the energy per unit norm is undefined")
    A_hat = normalized_adjacency(adjacency(ei, len(H)))                  # (N, N)
    return float(np.sum(H * (H - A_hat @ H)) / total)


def propagate(x, edge_index, steps: int, alpha: float = 0.0) -> list[np.ndarray]:
    r"""Parameter-free propagation :math:`H_0 = X,\ H_{k+1} = (1-\alpha)\hat A H_k + \alpha X`.

    ``alpha = 0`` is a GCN with the weights and nonlinearities removed (SGC, Wu et al. 2019),
    :math:`H_k = \hat A^k X`: pure over-smoothing. ``alpha > 0`` adds the initial residual.

    Shape:
        x: (N, D) -> a list of steps + 1 arrays (N, D), ``[H_0, ..., H_steps]``.

    Example:
        >>> H = propagate(np.array([[1.0], [0.0]]), np.array([[0, 1], [1, 0]]), steps=1)
        >>> H[1].ravel()
        array([0.5, 0.5])
    """
    x = check_array(x, "x", ndim=2)
    check_range(steps, "steps", 0, None, integer=True)
    check_range(alpha, "alpha", 0.0, 1.0)
    A_hat = normalized_adjacency(adjacency(check_edge_index(edge_index, len(x)), len(x)))   # (N, N)
    out = [x]
    for _ in range(steps):
        out.append((1 - alpha) * (A_hat @ out[-1]) + alpha * x)
    return out
