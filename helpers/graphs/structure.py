r"""A graph as data: an edge list, its adjacency matrix, degrees, self-loops and the normalisation
a GCN uses.

A graph on :math:`N` nodes is stored as an **edge list** ``edge_index`` of shape (2, E): column
:math:`e` is one directed edge :math:`j \to i` with ``edge_index[0, e] = j`` (the *source*, who
sends a message) and ``edge_index[1, e] = i`` (the *target*, who receives it). An undirected
graph lists every edge in both directions. This is PyTorch Geometric's convention
(``flow="source_to_target"``), so the same array feeds our layers and theirs.

The dense view is the adjacency matrix with one row per *receiver*,

.. math::
    A_{ij} = \#\{\text{edges } j \to i\}, \qquad \tilde A = A + I, \qquad
    \tilde d_i = \textstyle\sum_j \tilde A_{ij}, \qquad
    \hat A = \tilde D^{-1/2} \tilde A \tilde D^{-1/2},

so that :math:`(\hat A X)_i` mixes node :math:`i`'s own features with its neighbours'
(Kipf & Welling 2017, eq. 2). :math:`\hat A` is symmetric for an undirected graph and its
eigenvalues lie in :math:`(-1, 1]`, so repeated products neither blow up nor vanish.
Notebook 17, section 1.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from helpers.core.checks import check_array, check_range

__all__ = ["check_edge_index", "edges_from_pairs", "add_self_loops", "adjacency", "degrees",
           "normalized_adjacency", "gcn_edge_weights", "hop_distances", "receptive_field_sizes"]


def check_edge_index(edge_index, num_nodes: int, name: str = "edge_index") -> np.ndarray:
    """Validate an edge list: int64 of shape (2, E), every id in ``[0, num_nodes)``. Returns it."""
    check_range(num_nodes, "num_nodes", 1, None, integer=True)
    ei = check_array(edge_index, name, ndim=2, dtype="int", allow_empty=True)
    if ei.shape[0] != 2:
        raise ValueError(f"{name} must have shape (2, E) (row 0 sources, row 1 targets), got {ei.shape}")
    if ei.size and (ei.min() < 0 or ei.max() >= num_nodes):
        raise ValueError(f"{name} holds node ids from {ei.min()} to {ei.max()}, but the graph has "
                         f"{num_nodes} nodes (ids 0..{num_nodes - 1})")
    return ei


def edges_from_pairs(pairs, num_nodes: int) -> np.ndarray:
    """An undirected edge list from unordered pairs ``[(u, v), ...]``: both directions, sorted.

    Shape:
        pairs: (P, 2) -> (2, 2P) int64 (self-pairs and repeats are kept once per direction given).

    Example:
        >>> edges_from_pairs([(0, 1), (1, 2)], 3)
        array([[0, 1, 1, 2],
               [1, 0, 2, 1]])
    """
    p = check_array(pairs, "pairs", shape=(None, 2), dtype="int")
    both = np.concatenate([p, p[:, ::-1]], axis=0)                      # (2P, 2)
    both = both[np.lexsort((both[:, 1], both[:, 0]))]                    # sort by source, then target
    return check_edge_index(both.T.copy(), num_nodes)


def add_self_loops(edge_index, num_nodes: int) -> np.ndarray:
    """Remove any self-loops, then append one loop :math:`i \\to i` per node, in node order.

    This is ``torch_geometric.utils.remove_self_loops`` followed by ``add_self_loops``: what
    ``GATConv`` does. (``GCNConv`` keeps an existing loop instead of replacing it; for an
    unweighted graph the two give the same :math:`\\tilde A`.)

    Shape:
        edge_index: (2, E) -> (2, E' + N), E' the edges that are not loops.

    Example:
        >>> add_self_loops(np.array([[0, 1], [1, 0]]), 2)
        array([[0, 1, 0, 1],
               [1, 0, 0, 1]])
    """
    ei = check_edge_index(edge_index, num_nodes)
    keep = ei[:, ei[0] != ei[1]]                                         # (2, E')
    loops = np.tile(np.arange(num_nodes), (2, 1))                        # (2, N)
    return np.concatenate([keep, loops], axis=1)


def adjacency(edge_index, num_nodes: int, self_loops: bool = False) -> np.ndarray:
    r"""The dense adjacency matrix, one row per receiver: :math:`A_{ij}` = number of edges :math:`j \to i`.

    Args:
        edge_index: (2, E) edge list (sources, targets).
        num_nodes: N.
        self_loops: return :math:`\tilde A = A + I` (existing loops replaced, see :func:`add_self_loops`).

    Shape:
        (2, E) -> (N, N) float64.

    Example:
        >>> adjacency(np.array([[0, 1], [1, 2]]), 3)      # 0 -> 1 -> 2
        array([[0., 0., 0.],
               [1., 0., 0.],
               [0., 1., 0.]])
    """
    ei = add_self_loops(edge_index, num_nodes) if self_loops else check_edge_index(edge_index, num_nodes)
    A = np.zeros((num_nodes, num_nodes))
    np.add.at(A, (ei[1], ei[0]), 1.0)                    # add, not assign: a repeated edge counts twice
    return A


def degrees(edge_index, num_nodes: int) -> np.ndarray:
    """In-degree of every node (edges arriving at it); for an undirected graph, its number of neighbours.

    Shape:
        (2, E) -> (N,) float64.
    """
    ei = check_edge_index(edge_index, num_nodes)
    return np.bincount(ei[1], minlength=num_nodes).astype(np.float64)


def normalized_adjacency(A, self_loops: bool = True) -> np.ndarray:
    r""":math:`\hat A = \tilde D^{-1/2} \tilde A \tilde D^{-1/2}` from a dense adjacency matrix.

    Args:
        A: (N, N) adjacency, rows are receivers (:func:`adjacency`).
        self_loops: add :math:`I` first (the GCN's :math:`\tilde A`); without, a node of degree 0
            gets a row and column of zeros (its :math:`d^{-1/2}` is taken as 0, not inf).

    Shape:
        (N, N) -> (N, N).

    Example:
        >>> normalized_adjacency(np.array([[0., 1.], [1., 0.]]))     # two nodes, one edge
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    A = check_array(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (N, N), got {A.shape}")
    if np.any(A < 0):
        raise ValueError("A must hold non-negative edge counts or weights, got a negative entry")
    A_tilde = A + np.eye(len(A)) if self_loops else A
    d = A_tilde.sum(axis=1)                                              # (N,) row sums: in-degrees
    # d^{-1/2} with 0 for isolated nodes: 1/sqrt(0) would put inf * 0 = NaN into the matrix
    inv_sqrt = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    return inv_sqrt[:, None] * A_tilde * inv_sqrt[None, :]             # D^-1/2 Ã D^-1/2, (N, N)


def gcn_edge_weights(edge_index, num_nodes: int, self_loops: bool = True) -> tuple[np.ndarray, np.ndarray]:
    r"""The sparse form of :math:`\hat A`: the edge list (with self-loops) and one weight per edge,

    .. math::
        w_{j \to i} = \tilde d_j^{-1/2}\, \tilde d_i^{-1/2},

    with :math:`\tilde d` the in-degrees counted *with* the loops. Identical to
    ``torch_geometric.nn.conv.gcn_conv.gcn_norm`` (up to the order of the edges).

    Shape:
        (2, E) -> ((2, E + N), (E + N,)) with loops; ((2, E), (E,)) without.

    Example:
        >>> ei, w = gcn_edge_weights(np.array([[0, 1], [1, 0]]), 2)
        >>> w
        array([0.5, 0.5, 0.5, 0.5])
    """
    ei = add_self_loops(edge_index, num_nodes) if self_loops else check_edge_index(edge_index, num_nodes)
    d = np.bincount(ei[1], minlength=num_nodes).astype(np.float64)       # (N,) in-degrees
    inv_sqrt = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    return ei, inv_sqrt[ei[0]] * inv_sqrt[ei[1]]                         # (E,)


def hop_distances(edge_index, num_nodes: int, node: int) -> np.ndarray:
    r"""Number of hops from every node to ``node`` along the edges (breadth-first search);
    -1 where no path exists.

    After :math:`k` rounds of message passing, node :math:`i`'s vector depends exactly on the
    nodes at distance :math:`\le k`: its **receptive field**. Messages travel source → target, so
    the search runs backwards from ``node`` over incoming edges.

    Shape:
        (2, E) -> (N,) int64.

    Example:
        >>> hop_distances(edges_from_pairs([(0, 1), (1, 2)], 4), 4, node=0)
        array([ 0,  1,  2, -1])
    """
    ei = check_edge_index(edge_index, num_nodes)
    check_range(node, "node", 0, num_nodes - 1, integer=True)
    senders = [[] for _ in range(num_nodes)]
    for j, i in ei.T:
        senders[i].append(j)
    dist = np.full(num_nodes, -1, dtype=np.int64)
    dist[node] = 0
    queue = deque([node])
    while queue:
        i = queue.popleft()
        for j in senders[i]:
            if dist[j] < 0:
                dist[j] = dist[i] + 1
                queue.append(j)
    return dist


def receptive_field_sizes(edge_index, num_nodes: int, node: int, max_steps: int) -> np.ndarray:
    """How many nodes (``node`` included) lie within ``k`` hops, for ``k = 0 .. max_steps``.

    Shape:
        -> (max_steps + 1,) int64, non-decreasing, starting at 1.

    Example:
        >>> receptive_field_sizes(edges_from_pairs([(0, 1), (1, 2)], 3), 3, 0, 3)
        array([1, 2, 3, 3])
    """
    check_range(max_steps, "max_steps", 0, None, integer=True)
    dist = hop_distances(edge_index, num_nodes, node)
    reached = dist[dist >= 0]
    return np.array([np.count_nonzero(reached <= k) for k in range(max_steps + 1)], dtype=np.int64)
