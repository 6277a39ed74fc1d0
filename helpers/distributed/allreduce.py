r"""Data parallelism on paper: shard a batch, average the workers' gradients, ring all-reduce.

Notebook 14 uses these NumPy versions to show *why* data-parallel training gives the same
gradient as one process on the whole batch, before :mod:`helpers.distributed.ddp` does it with real
processes and ``torch.distributed``.

The key identity: for a loss that is a **mean over the batch** and :math:`P` equal shards
:math:`S_1, \dots, S_P` of a global batch of :math:`N = P \cdot n` examples,

.. math::

    \nabla_w \frac{1}{N} \sum_{i=1}^{N} \ell_i(w)
    = \frac{1}{P} \sum_{p=1}^{P} \underbrace{\nabla_w \frac{1}{n} \sum_{i \in S_p} \ell_i(w)}_{g_p}.

So each worker computes :math:`g_p` on its own shard, and an **all-reduce** (sum, then divide by
:math:`P`) gives every worker the full-batch gradient.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from helpers.core.checks import check_array, check_range

if TYPE_CHECKING:  # matplotlib is imported only when plotting: the DDP workers never plot
    from matplotlib.figure import Figure

__all__ = ["shard_indices", "linear_mse_grad", "data_parallel_gradient", "ring_allreduce",
           "ring_traffic_per_worker", "shard_noise", "plot_shard_noise"]


def _check_shard(n: int, world_size: int, rank: int) -> None:
    check_range(world_size, "world_size", 1, integer=True)
    check_range(n, "n", 1, integer=True)
    check_range(rank, "rank", 0, world_size - 1, integer=True)
    if n % world_size:
        raise ValueError(f"n must be a multiple of world_size={world_size} (equal shards), got n={n}")


def shard_indices(n: int, world_size: int, rank: int) -> np.ndarray:
    r"""The examples of a global batch of ``n`` that worker ``rank`` gets: ``rank, rank + P, ...``.

    The strided split :math:`S_p = \{p, p + P, p + 2P, \dots\}` is what
    ``torch.utils.data.DistributedSampler`` does (without shuffling). ``n`` must be a multiple of
    ``world_size`` so that every shard has the same size :math:`n / P` (equal shards are what make
    the plain average of the workers' gradients exact).

    Shape:
        Output: ``(n // world_size,)`` integer indices.

    Example:
        >>> shard_indices(6, 2, 1)
        array([1, 3, 5])
    """
    _check_shard(n, world_size, rank)
    return np.arange(rank, n, world_size)


def linear_mse_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    r"""Gradient of the mean squared error of a linear model, :math:`\nabla_w \frac1N\|Xw - y\|^2`.

    .. math:: \nabla_w = \frac{2}{N} X^\top (X w - y)

    Shape:
        X: ``(N, D)``, y: ``(N,)``, w: ``(D,)``; output ``(D,)``.
    """
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", shape=(X.shape[0],))
    w = check_array(w, "w", shape=(X.shape[1],))
    residual = X @ w - y  # (N,)
    return 2.0 / X.shape[0] * (X.T @ residual)  # (D,)


def _check_data_parallel(X, y, world_size: int) -> tuple[np.ndarray, np.ndarray]:
    X = check_array(X, "X", ndim=2)
    check_range(world_size, "world_size", 1, integer=True)
    if X.shape[0] % world_size:
        raise ValueError(f"the batch size must be a multiple of world_size={world_size}, "
                         f"got N={X.shape[0]}")
    return X, check_array(y, "y", shape=(X.shape[0],))


def data_parallel_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray,
                           world_size: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Simulate ``world_size`` workers: each takes its shard, then the gradients are averaged.

    .. math:: g = \frac{1}{P} \sum_{p=1}^{P} g_p, \qquad g_p = \nabla_w \mathrm{MSE}(X_{S_p}, y_{S_p}; w)

    Returns:
        ``(g, per_worker)``: the averaged gradient and each worker's own gradient.

    Shape:
        X: ``(N, D)`` with ``N`` a multiple of ``P``; y: ``(N,)``; w: ``(D,)``.
        Output: ``(D,)`` and ``(P, D)``.
    """
    X, y = _check_data_parallel(X, y, world_size)
    per_worker = np.stack([linear_mse_grad(X[idx], y[idx], w)
                           for idx in (shard_indices(X.shape[0], world_size, r)
                                       for r in range(world_size))])  # (P, D)
    return per_worker.mean(axis=0), per_worker


def ring_allreduce(chunks: np.ndarray) -> np.ndarray:
    r"""Ring all-reduce (sum) of one vector per worker, as NCCL and gloo do it, step by step.

    Each of the :math:`P` workers splits its vector into :math:`P` pieces. In :math:`P-1`
    **reduce-scatter** steps every worker passes one piece to its right neighbour, which adds it
    to its own; afterwards worker :math:`p` holds the complete sum of piece :math:`(p+1) \bmod P`.
    In :math:`P-1` **all-gather** steps the finished pieces travel round the ring once more. Each
    worker sends :math:`2 (P-1)/P` times its vector's size in total, nearly independent of
    :math:`P`: that is why the ring scales.

    Shape:
        chunks: ``(P, D)``, row ``p`` is worker ``p``'s vector. Output: ``(P, D)``, every row
        equal to ``chunks.sum(axis=0)`` (up to the order of float additions).
    """
    chunks = check_array(chunks, "chunks", ndim=2)
    P, D = chunks.shape
    # Uneven pieces are fine: np.array_split gives sizes that differ by at most one.
    bounds = np.array_split(np.arange(D), P)
    buf = chunks.astype(np.float64, copy=True)  # (P, D): what each worker holds
    for step in range(P - 1):  # reduce-scatter
        # Read every message first: all workers send at the same time, from the previous state.
        sends = [(p, (p - step) % P) for p in range(P)]
        msgs = [buf[p, bounds[piece]].copy() for p, piece in sends]
        for (p, piece), msg in zip(sends, msgs):
            buf[(p + 1) % P, bounds[piece]] += msg
    for step in range(P - 1):  # all-gather: worker p owns the finished piece (p + 1) % P
        sends = [(p, (p + 1 - step) % P) for p in range(P)]
        msgs = [buf[p, bounds[piece]].copy() for p, piece in sends]
        for (p, piece), msg in zip(sends, msgs):
            buf[(p + 1) % P, bounds[piece]] = msg
    return buf


def ring_traffic_per_worker(num_values: int, world_size: int) -> float:
    r"""Numbers each worker sends in a ring all-reduce: :math:`2 (P - 1) / P \cdot D`.

    Example:
        >>> ring_traffic_per_worker(1000, 4)
        1500.0
    """
    check_range(num_values, "num_values", 1, integer=True)
    check_range(world_size, "world_size", 1, integer=True)
    return 2.0 * (world_size - 1) / world_size * num_values


def shard_noise(X: np.ndarray, y: np.ndarray, w: np.ndarray,
                world_sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    r"""For each world size P: how far one worker's gradient and the average are from the full batch.

    Returns:
        ``(worker_err, average_err)``: the mean over workers of :math:`\|g_p - g\| / \|g\|`, and
        :math:`\max_j |\bar g_j - g_j|` (float round-off only).

    Shape:
        Output: two arrays of shape ``(len(world_sizes),)``.
    """
    if not isinstance(world_sizes, (list, tuple)) or not world_sizes:
        raise ValueError(f"world_sizes must be a non-empty list of ints, got {world_sizes!r}")
    full = linear_mse_grad(X, y, w)  # (D,)
    worker_err, average_err = [], []
    for p in world_sizes:
        avg, per = data_parallel_gradient(X, y, w, p)  # (D,), (P, D)
        worker_err.append(np.mean(np.linalg.norm(per - full, axis=1)) / np.linalg.norm(full))
        average_err.append(np.max(np.abs(avg - full)))
    return np.array(worker_err), np.array(average_err)


def plot_shard_noise(world_sizes: list[int], worker_err: np.ndarray, average_err: np.ndarray) -> "Figure":
    """Log-log plot of :func:`shard_noise`: a lone worker drifts, the average stays at round-off."""
    from helpers.core.figures import new_figure

    sizes = check_array(world_sizes, "world_sizes", ndim=1, dtype="int")
    worker_err = check_array(worker_err, "worker_err", shape=sizes.shape)
    average_err = check_array(average_err, "average_err", shape=sizes.shape)
    fig = new_figure(6.5, 3.0)
    ax = fig.add_subplot()
    # errors can be exactly 0 (P = 1); show them at 1e-17 so the log axis can draw them
    ax.loglog(world_sizes, np.maximum(worker_err, 1e-17), "o-", label="one worker's gradient (relative error)")
    ax.loglog(world_sizes, np.maximum(average_err, 1e-17), "s--", label="average of all workers (max abs error)")
    ax.set(xlabel="world size P (same global batch)", ylabel="error vs full-batch gradient", ylim=(1e-18, 10),
           title="A lone worker drifts as its shard shrinks; the average stays at round-off\n"
                 "(an error of exactly 0, at P = 1, is drawn at 1e-17)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
