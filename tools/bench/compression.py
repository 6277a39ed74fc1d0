"""Notebook 13: our NumPy int8 quantizer vs PyTorch's, and the distillation loss vs torch, one thread.

    python -m tools.bench --only compression
"""
from __future__ import annotations

import warnings

import numpy as np

SECTION = "compression: ours / torch (float32, 1 thread)"


def run(report) -> None:
    import torch

    from helpers.compression import distill, quantize

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message=".*quantize.*deprecated.*")
    try:
        rng = np.random.default_rng(0)
        w = rng.standard_normal((256, 256)).astype(np.float32)
        wt = torch.tensor(w)
        qt = quantize.quantize_tensor(w)
        s, z = float(qt.scale), int(qt.zero_point)
        report.ratio(SECTION, "per-tensor quantize 256x256 (vs torch.quantize_per_tensor)",
                     lambda: quantize.quantize(w, qt.scale, qt.zero_point),
                     lambda: torch.quantize_per_tensor(wt, s, z, torch.qint8), repeat=50)
        qc = quantize.quantize_tensor(w, per_channel=True)
        sc, zc = torch.tensor(qc.scale), torch.tensor(qc.zero_point)
        report.ratio(SECTION, "per-channel quantize 256x256 (vs torch.quantize_per_channel)",
                     lambda: quantize.quantize(w, qc.scale, qc.zero_point, axis=0),
                     lambda: torch.quantize_per_channel(wt, sc, zc, 0, torch.qint8), repeat=50)
        report.ratio(SECTION, "fake quantize 256x256 (vs torch.fake_quantize_per_tensor_affine)",
                     lambda: quantize.fake_quantize(w, qt.scale, qt.zero_point),
                     lambda: torch.fake_quantize_per_tensor_affine(wt, s, z, -128, 127), repeat=50)
        zs, zt = rng.standard_normal((2, 256, 10))
        y = rng.integers(0, 10, 256)
        zst, ztt, yt = torch.tensor(zs), torch.tensor(zt), torch.tensor(y)
        report.ratio(SECTION, "distillation loss N=256, K=10 (vs distillation_loss_torch)",
                     lambda: distill.distillation_loss(zs, zt, y, 4.0, 0.3),
                     lambda: distill.distillation_loss_torch(zst, ztt, yt, 4.0, 0.3), repeat=50)
    finally:
        torch.set_num_threads(threads)
