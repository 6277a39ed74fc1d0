r"""Exercises for notebook 17 (graph neural networks): checks with specific feedback, and the solutions.

1. :func:`check_normalized_step`: one propagation step :math:`\hat A X` with
   :math:`\hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}`.
2. :func:`check_mean_aggregate`: the mean of the in-neighbours' vectors, from an edge list.
3. :func:`check_receptive_field`: how many nodes a node's vector depends on after k steps.

Each check takes the learner's function, never raises, prints ✅ or what is wrong (a hint only
after a wrong attempt, a stronger one after another), and returns a :class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.exercises import Feedback, answer, close_enough, run_check
from helpers.graphs.message_passing import mean_aggregate
from helpers.graphs.structure import adjacency, edges_from_pairs, normalized_adjacency, receptive_field_sizes

__all__ = ["solution_normalized_step", "check_normalized_step", "solution_mean_aggregate",
           "check_mean_aggregate", "solution_receptive_field", "check_receptive_field"]

# a small graph with unequal degrees (a triangle 0-1-2 with a tail 2-3-4 and a pendant 5 on 1)
_PAIRS = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (1, 5)]


# ----------------------------------------------------------------------------- 1. one normalised step
def solution_normalized_step(A: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Add the self-loops, take the row sums as degrees, scale rows and columns by d^-1/2."""
    A_tilde = A + np.eye(len(A))
    d_inv_sqrt = 1.0 / np.sqrt(A_tilde.sum(axis=1))
    return d_inv_sqrt[:, None] * A_tilde * d_inv_sqrt[None, :] @ X


def check_normalized_step(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(A (N, N), X (N, D)) -> (N, D)`` on a graph with unequal degrees."""
    A = adjacency(edges_from_pairs(_PAIRS, 6), 6)
    X = np.random.default_rng(17).normal(size=(6, 3))

    def check() -> str | None:
        got = np.asarray(answer(fn(A.copy(), X.copy())), dtype=float)
        want = normalized_adjacency(A) @ X
        if got.shape != want.shape:
            return f"the result should have one row per node and X's columns: shape {want.shape}, got {got.shape}."
        no_loops = normalized_adjacency(A, self_loops=False) @ X
        if np.allclose(got, no_loops):
            return "the self-loops are missing: use Ã = A + I, so that every node keeps some of its own features."
        A_t = A + np.eye(6)
        if np.allclose(got, (A_t / A_t.sum(axis=1, keepdims=True)) @ X):
            return ("that is the random-walk average D̃⁻¹ Ã X (every row sums to 1); the GCN scales "
                    "rows *and* columns by D̃^(-1/2).")
        if np.allclose(got, A_t @ X):
            return "no normalisation: Ã X sums the neighbours, so high-degree nodes get large vectors."
        return close_enough(got, want, "Â X")

    return run_check("normalised adjacency step", check, hints=(
        "Ã = A + I; its row sums are the degrees d̃; Â = D̃^(-1/2) Ã D̃^(-1/2).",
        "d = (A + I).sum(axis=1); s = 1 / np.sqrt(d); return (s[:, None] * (A + I) * s[None, :]) @ X"))


# ----------------------------------------------------------------------------- 2. mean aggregation
def solution_mean_aggregate(x: np.ndarray, edge_index: np.ndarray) -> np.ndarray:
    """Scatter-add every sender's row into its receiver, then divide by the number received."""
    src, dst = edge_index
    total = np.zeros_like(x, dtype=float)
    np.add.at(total, dst, x[src])
    count = np.bincount(dst, minlength=len(x))
    return total / np.maximum(count, 1)[:, None]


def check_mean_aggregate(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(x (N, D), edge_index (2, E)) -> (N, D)`` on a directed graph with an isolated node."""
    # directed edges j -> i (row 0 senders, row 1 receivers); node 4 receives from three, node 5 from none
    edge_index = np.array([[0, 1, 2, 3, 0, 4], [4, 4, 4, 0, 1, 2]])
    x = np.arange(12, dtype=float).reshape(6, 2) ** 1.5

    def check() -> str | None:
        got = np.asarray(answer(fn(x.copy(), edge_index.copy())), dtype=float)
        want = mean_aggregate(x, edge_index)
        if got.shape != want.shape:
            return f"one vector per node: shape {want.shape}, got {got.shape}."
        if not np.all(np.isfinite(got)):
            return "node 5 receives no message: divide by max(count, 1) so it gets zeros, not NaN."
        swapped = mean_aggregate(x, edge_index[::-1])
        if np.allclose(got, swapped):
            return "the messages go the wrong way: row 0 holds the senders j, row 1 the receivers i."
        total = np.zeros_like(x)
        np.add.at(total, edge_index[1], x[edge_index[0]])
        if np.allclose(got, total):
            return "that is the sum of the messages: node 4 receives three, so divide by the in-degree."
        last = np.zeros_like(x)
        last[edge_index[1]] = x[edge_index[0]]
        count = np.maximum(np.bincount(edge_index[1], minlength=6), 1)[:, None]
        if np.allclose(got, last) or np.allclose(got, last / count):
            return "`out[dst] = ...` (or += with fancy indexing) keeps only one message per receiver: use np.add.at."
        return close_enough(got, want, "mean of the in-neighbours")

    return run_check("mean aggregation", check, hints=(
        "gather the senders' rows x[src], add them into their receivers' rows, divide by the counts.",
        "total = np.zeros_like(x); np.add.at(total, dst, x[src]); count = np.bincount(dst, minlength=len(x))"))


# ----------------------------------------------------------------------------- 3. receptive field
def solution_receptive_field(edge_index: np.ndarray, num_nodes: int, node: int, k: int) -> int:
    """Grow the set of reached nodes k times by everything that sends a message into it."""
    reached = {node}
    for _ in range(k):
        reached |= {int(j) for j, i in edge_index.T if i in reached}
    return len(reached)


def check_receptive_field(fn: Callable[[np.ndarray, int, int, int], int]) -> Feedback:
    """Check ``fn(edge_index, num_nodes, node, k) -> int`` for several nodes and k = 0..4."""
    edge_index = edges_from_pairs(_PAIRS + [(4, 6), (6, 7)], 9)          # node 8 isolated

    def check() -> str | None:
        for node in (0, 4, 8):
            sizes = receptive_field_sizes(edge_index, 9, node, 4)
            for k in range(5):
                got = answer(fn(edge_index.copy(), 9, node, k))
                want = int(sizes[k])
                if not isinstance(got, (int, np.integer)):
                    return f"return a whole number of nodes, got {type(got).__name__} {got!r}."
                if got == want - 1:
                    return f"node {node}, k = {k}: {got} instead of {want}: count the node itself too (k = 0 gives 1)."
                if k < 4 and got == int(sizes[k + 1]) and got != want:
                    return f"node {node}, k = {k}: {got} is the count for k + 1 = {k + 1} steps; k steps reach k hops."
                if got != want:
                    return f"node {node}, k = {k}: expected {want} nodes within {k} hops, got {got}."
        return None

    return run_check("receptive field size", check, hints=(
        "start from {node}; each step adds every node that has an edge into the current set.",
        "reached = {node}; repeat k times: reached |= {j for j, i in edge_index.T if i in reached}; return len(reached)"))
