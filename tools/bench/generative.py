"""Notebook 16: the ring denoiser's time to cover all 8 modes, and our DDPM schedule ops vs
diffusers' DDPMScheduler (add_noise, one reverse step), one thread.

    python -m tools.bench --only generative
"""
from __future__ import annotations

import time

SECTION = "Notebook 16: diffusion (1 thread)"


def _time_to_full_coverage(report, seed: int, check_every: int = 100, max_steps: int = 2000) -> None:
    import torch

    from helpers.core.data import RingMixture
    from helpers.gan.metrics import mode_coverage
    from helpers.generative import denoiser as dn
    from helpers.generative.schedules import make_schedule

    ring, sched = RingMixture(), make_schedule("linear", 100)
    model = dn.Denoiser(2, T=100, hidden=64, depth=3, n_freq=4, generator=torch.Generator().manual_seed(seed))
    # the notebook's recipe (cosine-decayed Adam over 1000 steps), stopped at the first check with 8/8
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, foreach=True)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=1000)
    train_s, steps = 0.0, 0
    while steps < max_steps:
        start = time.perf_counter()
        for _ in range(check_every):
            loss = dn.noise_prediction_loss(model, sched, ring.sample(128, gen), gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if decay.last_epoch < 1000:
                decay.step()
        train_s += time.perf_counter() - start
        steps += check_every
        x, _ = dn.sample(model, sched, 1000, seed=seed + 100)
        cov = mode_coverage(x.double().numpy(), ring.centers, ring.std)
        if cov.all_covered:
            report.add(SECTION, f"ring denoiser, seed {seed}: time to 8/8 modes (checked every {check_every} steps)",
                       f"{steps} steps, {train_s:.2f} s of training ({cov})")
            return
    report.add(SECTION, f"ring denoiser, seed {seed}: time to 8/8 modes", f"not reached in {max_steps} steps")


def run(report) -> None:
    import torch
    from diffusers import DDPMScheduler

    from helpers.generative import schedules

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for seed in range(3):
            _time_to_full_coverage(report, seed)
        T = 100
        ref = DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2", variance_type="fixed_small",
                            clip_sample=False)
        ours = schedules.make_schedule("cosine", T)
        for N, D in ((1000, 2), (128, 64), (4096, 64)):
            g = torch.Generator().manual_seed(0)
            x0, noise, eps = (torch.randn(N, D, generator=g) for _ in range(3))
            t = torch.randint(0, T, (N,), generator=g)
            report.ratio(SECTION, f"add_noise, N={N}, D={D}, float32 (vs DDPMScheduler.add_noise)",
                         lambda: schedules.add_noise(ours, x0, noise, t), lambda: ref.add_noise(x0, noise, t),
                         repeat=50, ref_name="diffusers")
            report.ratio(SECTION, f"reverse step t=50, N={N}, D={D}, float32 (vs DDPMScheduler.step)",
                         lambda: schedules.reverse_step(ours, x0, eps, 50, noise),
                         lambda: ref.step(eps, 50, x0, generator=g), repeat=50, ref_name="diffusers")
    finally:
        torch.set_num_threads(threads)
