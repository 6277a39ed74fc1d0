"""Notebook 09: our im2col convolution and pooling vs PyTorch's, forward + backward, one thread.

    python -m tools.bench --only cnn

The issue's target: im2col conv forward + backward within 3x of torch CPU on a batch of 64
28x28 images, 1 -> 16 channels, 3x3 kernel (float32, ``torch.set_num_threads(1)``).
"""
from __future__ import annotations

import numpy as np

SECTION = "conv: ours / torch (forward + backward, float32, 1 thread)"


def _conv_pair(N: int, C: int, H: int, W: int, C_out: int, k: int, padding: int, seed: int = 0):
    import torch
    import torch.nn.functional as F

    from helpers.cnn import conv

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((C_out, C, k, k)).astype(np.float32)
    b = rng.standard_normal(C_out).astype(np.float32)
    H_out, W_out = (conv.conv_output_size(n, k, 1, padding) for n in (H, W))
    dy = rng.standard_normal((N, C_out, H_out, W_out)).astype(np.float32)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dyt = torch.tensor(dy)

    def ours():
        _, cache = conv.conv2d_forward(x, w, b, padding=padding)
        return conv.conv2d_backward(dy, cache)

    def ref():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=padding).backward(dyt)

    return ours, ref


def _pool_pair(N: int = 64, C: int = 16, H: int = 28, W: int = 28, seed: int = 0):
    import torch
    import torch.nn.functional as F

    from helpers.cnn import conv

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    dy = rng.standard_normal((N, C, H // 2, W // 2)).astype(np.float32)
    xt, dyt = torch.tensor(x, requires_grad=True), torch.tensor(dy)

    def ours():
        _, cache = conv.maxpool2d_forward(x, 2)
        return conv.maxpool2d_backward(dy, cache)

    def ref():
        xt.grad = None
        F.max_pool2d(xt, 2).backward(dyt)

    return ours, ref


def run(report) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for padding in (0, 1):
            ours, ref = _conv_pair(64, 1, 28, 28, 16, 3, padding)
            report.ratio(SECTION, f"conv 64x1x28x28 -> 16, 3x3, padding {padding} (target < 3x)", ours, ref, repeat=30)
        ours, ref = _conv_pair(64, 16, 14, 14, 32, 3, 1)
        report.ratio(SECTION, "conv 64x16x14x14 -> 32, 3x3, padding 1", ours, ref, repeat=20)
        ours, ref = _pool_pair()
        report.ratio(SECTION, "max pool 2x2 on 64x16x28x28", ours, ref, repeat=30)
    finally:
        torch.set_num_threads(threads)
