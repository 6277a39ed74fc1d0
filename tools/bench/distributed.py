"""Notebook 14: time per training step, one process vs 2 gloo processes (``python -m tools.bench --only distributed``).

On a machine with 2 shared cores, expect a slow-down for a model this small: each step's
compute is far below the cost of an all-reduce through gloo. The ratio is reported, not judged.
"""
from __future__ import annotations

SECTION = "Notebook 14: data-parallel step time, 1 process vs 2 gloo processes"


def run(report) -> None:
    from helpers.distributed.ddp import DDPConfig, launch, train_single_process

    section = "data-parallel step time (gloo, loopback)"
    for cfg in (DDPConfig(steps=50), DDPConfig(global_batch=512, features=64, hidden=512, steps=20)):
        name = f"MLP {cfg.features}-{cfg.hidden}-1, N={cfg.global_batch}"
        plain = train_single_process(cfg)[1]
        one = launch(1, cfg, timeout_s=120).ms_per_step
        two = launch(2, cfg, timeout_s=120).ms_per_step
        report.add(section, f"{name}: plain 1 process", f"{plain:.2f} ms/step")
        report.add(section, f"{name}: DDP 1 process", f"{one:.2f} ms/step")
        report.add(section, f"{name}: DDP 2 processes", f"{two:.2f} ms/step, ratio 2p / plain {two / plain:.2f}x")
