"""Notebook 11: our NumPy attention (forward + backward) against PyTorch's, in one process.

    python -m tools.bench --only transformer
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from helpers.transformer import attention as A

SECTION = "Notebook 11: attention forward + backward, ours / torch"


def run(report) -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    section = "attention forward + backward, float64 (ours / torch)"
    for N, h, T, d in [(8, 4, 32, 16), (8, 4, 128, 32)]:
        q, k, v = (rng.standard_normal((N, h, T, d)) for _ in range(3))
        g = rng.standard_normal((N, h, T, d))
        tensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        gt = torch.from_numpy(g)

        def ours():
            out, cache = A.attention_forward(q, k, v, causal=True)
            return A.attention_backward(g, cache)

        def theirs():
            for t in tensors:
                t.grad = None
            F.scaled_dot_product_attention(*tensors, is_causal=True).backward(gt)

        report.ratio(section, f"causal SDPA, (N, h, T, d) = {(N, h, T, d)}", ours, theirs, repeat=10)

    N, T, D, h = 8, 64, 64, 4
    mha = torch.nn.MultiheadAttention(D, h, batch_first=True, dtype=torch.float64)
    params = A.mha_params_from_torch(mha)
    x, g = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    xt, gt = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

    def ours_mha():
        out, cache = A.multi_head_attention_forward(x, x, x, params, h)
        return A.multi_head_attention_backward(g, cache)

    def theirs_mha():
        mha.zero_grad()
        xt.grad = None
        mha(xt, xt, xt, need_weights=False)[0].backward(gt)

    report.ratio(section, f"multi-head self-attention, (N, T, D, h) = {(N, T, D, h)}", ours_mha, theirs_mha, repeat=10)
