"""Notebooks 07-08: our NumPy optimizers, batch norm and clipping against PyTorch, in one process.

    python tools/bench.py --only bench_part2b

Optimizer steps update the parameters of a 64 -> 256 -> 256 -> 10 MLP (about 85k weights) in
float32 and float64; batch norm is forward + backward on (N, D) = (256, 128) in float64. Also
timed: one epoch of notebook 08's digits bench (PyTorch gradients, our optimizer) against the same
epoch with ``torch.optim.Adam``, which is the ratio that decides the notebooks' run time.
"""
from __future__ import annotations

import numpy as np
import torch

from helpers import optim, regularization as R
from helpers.batchnorm import BatchNorm1d

SHAPES = [(256, 64), (256,), (256, 256), (256,), (10, 256), (10,)]


def _bench_optimizers(report, dtype) -> None:
    rng = np.random.default_rng(0)
    section = f"one optimizer step, 64-256-256-10 MLP parameters, {np.dtype(dtype).name} (ours / torch)"
    cases = [("sgd", torch.optim.SGD, {"lr": 0.1}), ("momentum", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
             ("rmsprop", torch.optim.RMSprop, {"lr": 1e-3}), ("adam", torch.optim.Adam, {"lr": 1e-3}),
             ("adamw", torch.optim.AdamW, {"lr": 1e-3, "weight_decay": 0.01})]
    for name, torch_cls, hyper in cases:
        ours = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        grads = [rng.standard_normal(s).astype(dtype) * 1e-3 for s in SHAPES]
        theirs = [torch.tensor(p, requires_grad=True) for p in ours]
        for t, g in zip(theirs, grads):
            t.grad = torch.tensor(g)
        opt, ref = optim.make_optimizer(name, ours, **hyper), torch_cls(theirs, foreach=False, **hyper)
        report.ratio(section, name, lambda: opt.step(grads), ref.step, repeat=50)


def _bench_batchnorm(report) -> None:
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((256, 128)), rng.standard_normal((256, 128))
    ours = BatchNorm1d(128)
    theirs = torch.nn.BatchNorm1d(128).double()
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def ours_step():
        ours.forward(x)
        return ours.backward(g)

    def theirs_step():
        xt.grad = None
        theirs.zero_grad()
        theirs(xt).backward(gt)

    report.ratio("batch norm forward + backward, (256, 128) float64 (ours / torch)", "train mode",
                 ours_step, theirs_step, repeat=50)


def _bench_clipping(report) -> None:
    rng = np.random.default_rng(2)
    grads = [rng.standard_normal(s) for s in SHAPES]
    tensors = [torch.zeros(s, dtype=torch.float64) for s in SHAPES]

    def theirs():
        for t, g in zip(tensors, grads):
            t.grad = torch.from_numpy(g.copy())
        torch.nn.utils.clip_grad_norm_(tensors, 1.0, foreach=False)

    report.ratio("gradient clipping by global norm, MLP-sized, float64 (ours / torch)", "clip_grad_norm",
                 lambda: R.clip_grad_norm(grads, 1.0), theirs, repeat=50)


def _bench_epoch(report) -> None:
    from helpers.digits_lab import RunConfig, digits_task, make_mlp, train_mlp

    task = digits_task(n_train=150)
    config = RunConfig(hidden=(128, 128), optimizer="adam", lr=3e-3, epochs=1, batch_size=30)

    def torch_epoch():
        torch.manual_seed(0)
        model = make_mlp((128, 128))
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        X, y = torch.from_numpy(task.X_train), torch.from_numpy(task.y_train)
        for idx in np.array_split(np.random.default_rng(0).permutation(150), 5):
            loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    report.ratio("one epoch of notebook 08's digits bench (150 images, 2 x 128 MLP)",
                 "ours (our Adam + bookkeeping + evaluation) / plain torch loop",
                 lambda: train_mlp(task, config), torch_epoch, repeat=10)


def run(report) -> None:
    torch.set_num_threads(1)
    _bench_optimizers(report, np.float32)
    _bench_optimizers(report, np.float64)
    _bench_batchnorm(report)
    _bench_clipping(report)
    _bench_epoch(report)
