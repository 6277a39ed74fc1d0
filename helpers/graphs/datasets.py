r"""The chapter's graphs: one real, two generated (seeded, documented, nothing downloaded).

* :func:`karate_club`: Zachary's karate club (Zachary 1977, shipped by ``networkx``): 34 members,
  78 friendships; the club split in two after a dispute, and ``club`` records which side each
  member joined ("Mr. Hi", the instructor, node 0; "Officer", the administrator, node 33).
* :func:`stochastic_block_model`: K communities; an edge inside a community with probability
  ``p_in``, between communities with ``p_out``; every node also gets a *noisy* feature vector
  near its community's centre, too noisy to classify the node alone.
* :func:`tree_or_cycle_graphs`: small graphs of two families for graph-level classification:
  random trees (label 0) and rings with a few chords (label 1), node counts drawn from the same
  range, so the size says nothing about the family.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_range, check_seed
from helpers.graphs.structure import check_edge_index, edges_from_pairs

__all__ = ["NodeGraph", "karate_club", "stochastic_block_model", "GraphSet", "tree_or_cycle_graphs",
           "batch_graphs"]


@dataclass(frozen=True)
class NodeGraph:
    """One graph for node classification.

    Shape:
        edge_index: (2, E) int64, both directions; x: (N, D) features; y: (N,) int64 labels in
        ``[0, len(classes))``.
    """

    edge_index: np.ndarray
    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]

    @property
    def num_nodes(self) -> int:
        return len(self.y)


def karate_club() -> NodeGraph:
    """Zachary's karate club from ``networkx``: one-hot node features (the identity, N = D = 34:
    a node knows nothing but who it is), labels 0 = "Mr. Hi", 1 = "Officer". Edge weights ignored.

    Example:
        >>> g = karate_club()
        >>> g.num_nodes, g.edge_index.shape, g.classes[g.y[0]], g.classes[g.y[33]]
        (34, (2, 156), 'Mr. Hi', 'Officer')
    """
    import networkx as nx

    G = nx.karate_club_graph()
    classes = ("Mr. Hi", "Officer")
    y = np.array([classes.index(G.nodes[i]["club"]) for i in range(G.number_of_nodes())], dtype=np.int64)
    edge_index = edges_from_pairs(np.array(G.edges(), dtype=np.int64), len(y))     # (2, 156)
    return NodeGraph(edge_index, np.eye(len(y)), y, classes)


def stochastic_block_model(sizes=(100, 100, 100), p_in: float = 0.08, p_out: float = 0.01,
                           dim: int = 16, signal: float = 1.0, seed: int = 0) -> NodeGraph:
    r"""A stochastic block model with noisy node features.

    Recipe (one ``np.random.default_rng(seed)``): node :math:`n` in community :math:`y_n`; each
    unordered pair :math:`\{m, n\}` is an edge with probability ``p_in`` if :math:`y_m = y_n`,
    ``p_out`` otherwise; features :math:`\mathbf x_n = \text{signal}\cdot\boldsymbol\mu_{y_n} +
    \boldsymbol\varepsilon_n`, with unit community directions :math:`\boldsymbol\mu_k` and
    :math:`\boldsymbol\varepsilon_n \sim \mathcal N(0, I_{\text{dim}})`.

    With the defaults a node has about 8 neighbours in its own community and 2 outside, and its
    features alone are a weak hint (signal 1 against noise 1 in each of 16 directions): averaging
    over neighbours is what makes it legible.

    Shape:
        edge_index (2, E), x (N, dim), y (N,) with N = sum(sizes).
    """
    check_seed(seed)
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least 2 positive community sizes, got {sizes}")
    check_range(p_in, "p_in", 0.0, 1.0)
    check_range(p_out, "p_out", 0.0, 1.0)
    check_range(dim, "dim", 1, None, integer=True)
    check_range(signal, "signal", 0.0, None)
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(sizes)), sizes)                          # (N,)
    N = len(y)
    prob = np.where(y[:, None] == y[None, :], p_in, p_out)               # (N, N)
    upper = np.triu(rng.random((N, N)) < prob, k=1)                      # each unordered pair once
    pairs = np.argwhere(upper)                                           # (P, 2)
    centres = rng.standard_normal((len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)            # (K, dim) unit directions
    x = signal * centres[y] + rng.standard_normal((N, dim))              # (N, dim)
    names = tuple(f"community {k}" for k in range(len(sizes)))
    return NodeGraph(edges_from_pairs(pairs, N), x, y.astype(np.int64), names)


@dataclass(frozen=True)
class GraphSet:
    """Many small graphs for graph-level classification: ``graphs[g]`` is an edge list on
    ``sizes[g]`` nodes, ``y[g]`` its family (0 tree, 1 ring with chords)."""

    graphs: tuple[np.ndarray, ...]
    sizes: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...] = ("tree", "ring + chords")


def _random_tree(n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random labelled tree from a random Prüfer sequence, as (n - 1, 2) pairs."""
    if n == 2:
        return np.array([[0, 1]])
    seq = rng.integers(0, n, n - 2)
    degree = np.ones(n, dtype=np.int64)
    np.add.at(degree, seq, 1)
    pairs = []
    for v in seq:                                                        # attach the smallest leaf to v
        leaf = int(np.flatnonzero(degree == 1)[0])
        pairs.append((leaf, int(v)))
        degree[leaf] -= 1
        degree[v] -= 1
    u, w = np.flatnonzero(degree == 1)
    pairs.append((int(u), int(w)))
    return np.array(pairs)


def _ring_with_chords(n: int, chords: int, rng: np.random.Generator) -> np.ndarray:
    """A cycle 0-1-...-(n-1)-0 plus ``chords`` random extra edges between non-adjacent nodes, relabelled."""
    pairs = {(i, (i + 1) % n) if i < (i + 1) % n else ((i + 1) % n, i) for i in range(n)}
    while chords > 0:
        a, b = sorted(rng.choice(n, 2, replace=False).tolist())
        if (a, b) not in pairs:
            pairs.add((a, b))
            chords -= 1
    perm = rng.permutation(n)                                            # node ids say nothing
    return perm[np.array(sorted(pairs))]


def tree_or_cycle_graphs(n_graphs: int = 160, min_nodes: int = 8, max_nodes: int = 16,
                         seed: int = 0) -> GraphSet:
    """Half random trees, half rings with 1-3 chords, in random order; sizes uniform in [min, max].

    Example:
        >>> data = tree_or_cycle_graphs(4, seed=0)
        >>> data.y.tolist()
        [0, 0, 1, 1]
        >>> [g.shape[1] // 2 - int(n) for g, n in zip(data.graphs, data.sizes)]   # edges - nodes: -1 for a tree
        [-1, -1, 3, 2]
    """
    check_seed(seed)
    check_range(n_graphs, "n_graphs", 2, None, integer=True)
    check_range(min_nodes, "min_nodes", 4, None, integer=True)
    check_range(max_nodes, "max_nodes", min_nodes, None, integer=True)
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n_graphs) % 2)
    sizes = rng.integers(min_nodes, max_nodes + 1, n_graphs)
    graphs = []
    for label, n in zip(y, sizes):
        pairs = _random_tree(n, rng) if label == 0 else _ring_with_chords(n, int(rng.integers(1, 4)), rng)
        graphs.append(edges_from_pairs(pairs, int(n)))
    return GraphSet(tuple(graphs), sizes.astype(np.int64), y.astype(np.int64))


def batch_graphs(graphs, sizes) -> tuple[np.ndarray, np.ndarray]:
    r"""Many graphs as one: the disjoint union (node ids of graph :math:`g` shifted by the sizes
    before it) and ``batch``, the graph each node belongs to. One message-passing pass then serves
    them all, since no edge joins two graphs (PyG's ``Batch`` does the same).

    Shape:
        graphs: G edge lists (2, E_g); sizes: (G,) -> edge_index (2, sum E_g), batch (sum sizes,).

    Example:
        >>> ei, batch = batch_graphs([np.array([[0], [1]]), np.array([[1], [0]])], [2, 2])
        >>> ei.tolist(), batch.tolist()
        ([[0, 3], [1, 2]], [0, 0, 1, 1])
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if len(graphs) != len(sizes) or len(sizes) == 0:
        raise ValueError(f"graphs and sizes must have the same non-zero length, got {len(graphs)} and {len(sizes)}")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])              # (G,)
    parts = [check_edge_index(g, int(n), f"graphs[{k}]") + off for k, (g, n, off) in enumerate(zip(graphs, sizes, offsets))]
    return np.concatenate(parts, axis=1), np.repeat(np.arange(len(sizes)), sizes)
