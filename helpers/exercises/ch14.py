r"""Exercises for notebook 14 (scaling out): checks with specific feedback, and the reference solutions.

1. :func:`check_shard`: which examples of a global batch worker ``rank`` gets (strided, as
   ``DistributedSampler`` does).
2. :func:`check_allreduce_mean`: turn the workers' gradients into the one every worker uses.
3. :func:`check_scaled_lr`: the linear learning-rate scaling rule when the global batch grows.

Each check takes the learner's function, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.distributed.allreduce import shard_indices
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["solution_shard", "check_shard", "solution_allreduce_mean", "check_allreduce_mean",
           "solution_scaled_lr", "check_scaled_lr"]


# ----------------------------------------------------------------------------- 1. sharding
def solution_shard(n: int, world_size: int, rank: int) -> np.ndarray:
    """Indices rank, rank + P, rank + 2P, ... of a global batch of n examples (P = world_size).

    Dealing the examples out like cards, as ``DistributedSampler`` does, gives every worker an
    equal share (when P divides n) and no example to two workers; together the P shards are the
    whole batch exactly once.
    """
    return np.arange(rank, n, world_size)


def check_shard(fn: Callable[[int, int, int], np.ndarray]) -> Feedback:
    """Check ``fn(n, world_size, rank)`` on several batch sizes, world sizes and ranks."""
    cases = [(8, 2, 0), (8, 2, 1), (12, 3, 2), (16, 4, 3), (5, 1, 0)]

    def check() -> str | None:
        for n, p, r in cases:
            got = answer(fn(n, p, r))
            want = shard_indices(n, p, r)
            block = np.arange(r * len(want), (r + 1) * len(want))
            if p > 1 and np.shape(got) == want.shape and np.array_equal(got, block):
                return (f"for n={n}, P={p}, rank={r} you gave a contiguous block {list(got)}: that also "
                        "works, but here we want the strided split rank, rank+P, ... (DistributedSampler's).")
            problem = close_enough(got, want, f"shard(n={n}, P={p}, rank={r})", atol=0, rtol=0)
            if problem:
                return problem
        return None

    return run_check("shard indices", check,
                     hints=("worker `rank` starts at its own index and then skips the other P - 1 workers' examples.",
                            "np.arange(start, stop, step) with start = rank, stop = n, step = world_size."))


# ----------------------------------------------------------------------------- 2. all-reduce mean
def solution_allreduce_mean(grads: np.ndarray) -> np.ndarray:
    """What every worker holds after all_reduce(SUM) and the division by P: the mean gradient.

    The sum over the P rows is what the all-reduce leaves on *every* worker; dividing by P turns the
    mean of the shard means into the mean over the whole global batch. Each worker keeps its own
    copy, so the result has one (identical) row per worker.
    """
    total = grads.sum(axis=0)  # (D,): what all_reduce(SUM) leaves on every worker
    return np.tile(total / grads.shape[0], (grads.shape[0], 1))  # (P, D)


def check_allreduce_mean(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(grads)`` with ``grads`` of shape (P, D): the result is (P, D), every row the mean."""
    rng = np.random.default_rng(14)
    cases = [rng.normal(size=(p, d)) for p, d in [(2, 3), (4, 5), (1, 2)]]

    def check() -> str | None:
        for g in cases:
            got = answer(fn(g.copy()))
            if np.asarray(got).shape == g.shape and np.allclose(got, np.tile(g.sum(0), (len(g), 1))) and len(g) > 1:
                return "every row is the *sum* of the gradients: all_reduce(SUM) must be followed by / P."
            problem = close_enough(got, solution_allreduce_mean(g), f"result for grads of shape {g.shape}")
            if problem:
                return problem
        return None

    return run_check("all-reduce mean", check,
                     hints=("two steps: the all-reduce (what is summed, over which axis?), then the division; and "
                            "every worker ends with its own copy.",
                            "total = grads.sum(axis=0); return np.tile(total / P, (P, 1)) with P = grads.shape[0]."))


# ----------------------------------------------------------------------------- 3. learning rate
def solution_scaled_lr(base_lr: float, base_batch: int, per_worker: int, world_size: int) -> float:
    """The linear scaling rule (Goyal et al., 2017): the learning rate grows with the global batch.

    One step on a global batch of P * n examples averages P * n gradients; with k times the base
    batch, one big step should do the work of k small ones, so the learning rate is multiplied by
    k = P * n / base_batch. (In practice it is reached with a warm-up.)
    """
    return base_lr * per_worker * world_size / base_batch


def check_scaled_lr(fn: Callable[[float, int, int, int], float]) -> Feedback:
    """Check ``fn(base_lr, base_batch, per_worker, world_size)`` on a few settings."""
    cases = [(0.1, 32, 32, 4), (0.05, 64, 16, 8), (0.2, 128, 128, 1)]

    def check() -> str | None:
        for args in cases:
            got = answer(fn(*args))
            if args[3] > 1 and np.isclose(float(got), args[0] * args[2] / args[1]):
                return "you scaled by the per-worker batch only: the optimizer sees the *global* batch P·n."
            problem = close_enough(got, solution_scaled_lr(*args), f"lr for {args}")
            if problem:
                return problem
        return None

    return run_check("scaled learning rate", check,
                     hints=("which batch does the optimizer step see: one worker's, or all of them averaged?",
                            "global batch = per_worker * world_size; lr = base_lr * global / base_batch."))
