"""Part II (a) benchmarks: our NumPy activations and deep-stack pass against PyTorch (CPU, float64).

    python tools/bench.py --only bench_part2a

Each row times value + derivative on the same 10^6 numbers (ours: ``f(x)`` and ``f_grad(x)``;
PyTorch: forward and autograd backward), and one forward + backward pass of a 20-layer, 64-wide
stack on 256 inputs (``helpers.deepnet.forward_backward`` vs autograd). Ratios > 1: ours is slower.
"""
from __future__ import annotations

import numpy as np


def run(report) -> None:
    import torch
    import torch.nn.functional as F

    from helpers.activations import ACTIVATIONS
    from helpers.deepnet import TORCH_ACTIVATION_NAMES, deep_stack_trace, forward_backward
    from helpers.init import init_weights

    torch.set_num_threads(1)
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

        report.ratio(section, name, lambda name=name: forward_backward(X, Ws, name, grad_output=G), theirs, repeat=10)
    report.time("deep_stack_trace (the apps' workhorse)", "tanh, xavier, depth 50, width 64, N 128",
                lambda: deep_stack_trace("tanh", "xavier", depth=50, width=64, n=128), repeat=10)
