"""Part II (notebooks 05-08): activations, the deep stack, optimizers, batch norm and clipping,
ours against PyTorch in one process.

    python -m tools.bench --only training

Activations: value + derivative on the same 10^6 numbers (ours: ``f(x)`` and ``f_grad(x)``;
PyTorch: forward and autograd backward). The deep stack: one forward + backward pass of a
20-layer, 64-wide stack on 256 inputs (``helpers.training.deepnet.forward_backward`` vs autograd).
Optimizer steps update the parameters of a 64 -> 256 -> 256 -> 10 MLP (about 85k weights) in
float32 and float64; batch norm is forward + backward on (N, D) = (256, 128) in float64. Also
timed: one epoch of notebook 08's digits bench (PyTorch gradients, our optimizer) against the same
epoch with ``torch.optim.Adam``, which is the ratio that decides the notebooks' run time. Ratios > 1: ours is slower.
"""
from __future__ import annotations

import numpy as np
import torch

from helpers.training import optim, regularization as R
from helpers.training.batchnorm import BatchNorm1d

SECTION = "Part II (05-08): activations, deep stack, optimizers, batch norm vs torch"


def _bench_activations_and_stack(report) -> None:
    import torch.nn.functional as F

    from helpers.basics.activations import ACTIVATIONS
    from helpers.training.deepnet import TORCH_ACTIVATION_NAMES, deep_stack_trace, forward_backward
    from helpers.training.init import init_weights

    rng = np.random.default_rng(0)
    x = 4 * rng.standard_normal(1_000_000)
    section = "activation value + derivative, 1e6 float64 (ours vs torch)"
    for name, act in ACTIVATIONS.items():
        fn = getattr(F, TORCH_ACTIVATION_NAMES[name])

        def ours(act=act):
            return act.fn(x), act.grad(x)

        def theirs(fn=fn):
            t = torch.tensor(x, requires_grad=True)
            fn(t).backward(torch.ones_like(t))
            return t.grad

        report.ratio(section, act.title, ours, theirs, repeat=10)

    X = rng.standard_normal((256, 64))
    Ws = init_weights("he", [64] * 21, rng)
    G = rng.standard_normal((256, 64))
    section = "deep stack forward + backward, 20 layers x 64, N = 256 (ours vs torch autograd)"
    for name in ("relu", "tanh", "gelu"):
        def theirs(name=name):
            h = xt = torch.tensor(X, requires_grad=True)
            ws = [torch.tensor(W, requires_grad=True) for W in Ws]
            for W in ws:
                h = getattr(F, TORCH_ACTIVATION_NAMES[name])(h @ W)
            h.backward(torch.tensor(G))
            return xt.grad

        report.ratio(section, name, lambda name=name: forward_backward(X, Ws, name, dy=G), theirs, repeat=10)
    report.time("deep_stack_trace (the apps' workhorse)", "tanh, xavier, depth 50, width 64, N 128",
                lambda: deep_stack_trace("tanh", "xavier", depth=50, width=64, n=128), repeat=10)


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
    from helpers.training.digits_lab import RunConfig, digits_task, make_mlp, train_mlp

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
    _bench_activations_and_stack(report)
    _bench_optimizers(report, np.float32)
    _bench_optimizers(report, np.float64)
    _bench_batchnorm(report)
    _bench_clipping(report)
    _bench_epoch(report)
