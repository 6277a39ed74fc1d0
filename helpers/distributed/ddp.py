r"""Real data-parallel training on one machine: ``torch.distributed`` with the gloo backend.

:func:`launch` starts ``world_size`` worker processes on this machine (``spawn``), which meet at
``tcp://127.0.0.1:<free port>`` (loopback only: nothing leaves the machine). Every worker runs
:func:`ddp_worker`: it builds the same small MLP (same seed, so the same initial weights), takes
its shard :math:`S_p` of a fixed global batch, and computes the gradient of the batch-mean loss
two ways:

* by hand: ``loss.backward()`` on its shard, then ``dist.all_reduce(grad, SUM)`` and division
  by :math:`P` (the identity of :mod:`helpers.distributed.allreduce`);
* with ``DistributedDataParallel``, which does the same all-reduce in buckets, overlapped with
  the backward pass.

It then times ``steps`` SGD steps with DDP. Rank 0 sends the results back through a queue.
Every wait has a timeout, and :func:`launch` terminates (then kills) workers that outlive it,
so a failing worker can never leave processes behind.

Running on many machines changes only *how the workers are started* (see notebook 14):
``torchrun --nnodes=M --nproc-per-node=G --rdzv-backend=c10d --rdzv-endpoint=HOST:PORT
train.py`` sets ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT`` for every process, the
script calls ``init_process_group("nccl")`` on GPUs (``"gloo"`` on CPUs), and the rest is unchanged.
"""
from __future__ import annotations

import datetime
import os
import queue as queue_mod
import socket
import time
import traceback
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from helpers.distributed.allreduce import shard_indices
from helpers.core.checks import check_range, check_type

__all__ = ["DDPConfig", "DDPResult", "free_port", "make_mlp", "global_batch", "full_batch_gradient",
           "train_single_process",
           "ddp_worker", "launch"]


@dataclass(frozen=True)
class DDPConfig:
    """The experiment every worker runs (identical on all ranks).

    Attributes:
        global_batch: examples per step over all workers, ``N`` (a multiple of the world size).
        features: input features ``D``. hidden: hidden units of the 2-layer MLP.
        steps: timed SGD steps. lr: their learning rate. seed: data and initial weights.
    """

    global_batch: int = 64
    features: int = 8
    hidden: int = 32
    steps: int = 20
    lr: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("global_batch", "features", "hidden"):
            check_range(getattr(self, name), name, 1, integer=True)
        check_range(self.steps, "steps", 0, integer=True)
        check_range(self.lr, "lr", 0.0, low_inclusive=False)
        check_range(self.seed, "seed", 0, integer=True)


@dataclass(frozen=True)
class DDPResult:
    """What rank 0 reports. Gradients are flattened over all parameters, float64.

    Attributes:
        world_size: number of processes ``P``.
        grad_allreduce: gradient after the hand-written ``all_reduce`` and division by ``P``.
        grad_ddp: gradient held by the ``DistributedDataParallel`` model after ``backward``.
        local_grad: rank 0's own gradient on its shard, before any averaging.
        ms_per_step: median wall time of one DDP training step, milliseconds.
        final_params: rank 0's flattened parameters after the timed steps.
    """

    world_size: int
    grad_allreduce: np.ndarray
    grad_ddp: np.ndarray
    local_grad: np.ndarray
    ms_per_step: float
    final_params: np.ndarray


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_mlp(config: DDPConfig) -> nn.Module:
    """The float64 MLP ``D -> hidden -> 1`` (tanh), initialised from ``config.seed``."""
    check_type(config, "config", DDPConfig)
    torch.manual_seed(config.seed)
    return nn.Sequential(nn.Linear(config.features, config.hidden), nn.Tanh(),
                         nn.Linear(config.hidden, 1)).double()


def global_batch(config: DDPConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed global batch ``(X, y)``, shapes ``(N, D)`` and ``(N, 1)``, float64."""
    check_type(config, "config", DDPConfig)
    g = torch.Generator().manual_seed(config.seed + 1)
    X = torch.randn(config.global_batch, config.features, generator=g, dtype=torch.float64)
    y = torch.sin(X.sum(dim=1, keepdim=True))  # (N, 1): a smooth target the MLP can fit
    return X, y


def _flat_grad(model: nn.Module) -> np.ndarray:
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy().copy()  # (num_params,)


def full_batch_gradient(config: DDPConfig) -> np.ndarray:
    r"""The reference: one process, the whole batch, :math:`\nabla_\theta \frac1N\sum_i \ell_i`."""
    model = make_mlp(config)
    X, y = global_batch(config)
    nn.functional.mse_loss(model(X), y).backward()
    return _flat_grad(model)


def train_single_process(config: DDPConfig | None = None) -> tuple[np.ndarray, float]:
    """The baseline, in *this* process: ``config.steps`` plain SGD steps on the whole batch.

    Returns:
        ``(params, ms_per_step)``: the flattened final parameters and the median step time.
    """
    config = DDPConfig() if config is None else check_type(config, "config", DDPConfig)
    model = make_mlp(config)
    X, y = global_batch(config)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr)
    times = []
    for _ in range(config.steps):
        start = time.perf_counter()
        opt.zero_grad()
        nn.functional.mse_loss(model(X), y).backward()
        opt.step()
        times.append((time.perf_counter() - start) * 1e3)
    return _flat_params(model), float(np.median(times)) if times else 0.0


def _flat_params(model: nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy().copy()  # (num_params,)


def ddp_worker(rank: int, world_size: int, port: int, config: DDPConfig, results, timeout_s: float) -> None:
    """One process of the group (the function :func:`launch` spawns). Rank 0 reports the results."""
    try:
        torch.set_num_threads(1)
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only: never a real network interface
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world_size, timeout=datetime.timedelta(seconds=timeout_s))
        X, y = global_batch(config)
        idx = torch.from_numpy(shard_indices(config.global_batch, world_size, rank))
        Xs, ys = X[idx], y[idx]  # (N / P, D), (N / P, 1)

        # 1. by hand: local backward, then sum over workers and divide by P
        model = make_mlp(config)
        nn.functional.mse_loss(model(Xs), ys).backward()
        local = _flat_grad(model)
        for p in model.parameters():
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= world_size
        by_hand = _flat_grad(model)

        # 2. DistributedDataParallel: the same all-reduce, bucketed and overlapped with backward
        ddp = nn.parallel.DistributedDataParallel(make_mlp(config))
        nn.functional.mse_loss(ddp(Xs), ys).backward()
        ddp_grad = _flat_grad(ddp.module)

        opt = torch.optim.SGD(ddp.parameters(), lr=config.lr)
        times = []
        for _ in range(config.steps):
            dist.barrier()  # start every timed step together
            start = time.perf_counter()
            opt.zero_grad()
            nn.functional.mse_loss(ddp(Xs), ys).backward()
            opt.step()
            times.append((time.perf_counter() - start) * 1e3)
        if rank == 0:
            results.put(("ok", DDPResult(world_size, by_hand, ddp_grad, local,
                                         float(np.median(times)), _flat_params(ddp.module))))
        dist.barrier()
    except Exception:  # sent to the parent, which raises it with the worker's traceback
        results.put(("error", f"rank {rank}:\n{traceback.format_exc()}"))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _check_launch(world_size: int, config: DDPConfig, timeout_s: float) -> DDPConfig:
    check_range(world_size, "world_size", 1, 16, integer=True)
    check_range(timeout_s, "timeout_s", 1.0, 3600.0)
    if not isinstance(config, DDPConfig):
        raise ValueError(f"config must be a DDPConfig, got {type(config).__name__}")
    if config.global_batch % world_size:
        raise ValueError(f"global_batch must be a multiple of world_size={world_size}, "
                         f"got {config.global_batch}")
    return config


def launch(world_size: int, config: DDPConfig | None = None, timeout_s: float = 60.0) -> DDPResult:
    """Run :func:`ddp_worker` in ``world_size`` fresh processes on this machine; return rank 0's result.

    Raises:
        RuntimeError: a worker failed (its traceback is in the message) or the run took longer
            than ``timeout_s``; all workers are terminated first in either case.
    """
    config = _check_launch(world_size, DDPConfig() if config is None else config, timeout_s)
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=ddp_worker, args=(r, world_size, port, config, results, timeout_s),
                         daemon=True) for r in range(world_size)]
    deadline = time.monotonic() + timeout_s
    try:
        for p in procs:
            p.start()
        try:
            status, payload = results.get(timeout=max(deadline - time.monotonic(), 0.1))
        except queue_mod.Empty:
            raise RuntimeError(f"the {world_size} workers did not finish within {timeout_s} s") from None
        if status != "ok":
            raise RuntimeError(f"a worker failed: {payload}")
        for p in procs:
            p.join(timeout=max(deadline - time.monotonic(), 0.1))
        return payload
    finally:
        for p in procs:  # never leave a worker behind, whatever happened above
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
        results.close()
