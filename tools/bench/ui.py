"""The UI layer: every app's slider latency and every training player's frame time (kernel side).

    python -m tools.bench --only ui

Sliders: for every App in ``helpers.apps``, the median time of one control move while sweeping each
control across its range, as a panel repaints: ``update``, the frame drawn (blitted over the app's
backdrop when it has one) and encoded as a palette PNG, with the three parts. This is the kernel's
share only; ``--only browser`` measures key → repaint in the page, where transport, decode and paint
add 25-40 ms, so a control needs about 15 ms here for a 60 ms median there.

Players: A frame is what one tick of the Play widget costs in the kernel: the session's updates at the
notebook's "updates / frame" setting (all of them: the players here have no frame budget, which in
the browser cuts a frame's updates short at 40 ms), one ``draw`` and one PNG render (``player.frame_ms``). The
goal is a median of at most 50 ms. The reference, run in the same process, is the same updates
without drawing: the ratio is the price of watching the training.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from helpers.apps import ch11_transformer as app11
from helpers.apps.ch04_backprop import TrainingSession as MoonsSession
from helpers.apps.ch03_gradient_descent import BatchSizeRace
from helpers.apps.ch12_gan import GANTrainingSession
from helpers.apps.ch07_optimizers import OptimizerRace
from helpers.apps import ch16_generative as app16, ch17_graphs as app17, ch18_self_supervised as app18, ch19_rl as app19
from helpers.ui.player import TrainingPlayer

SECTION = "training player: kernel time per frame (goal: median <= 50 ms)"
SLIDERS = "widget latency in the kernel (update + draw + encode, median over a sweep; the browser adds 25-40 ms)"

# name -> (player as the notebook builds it, frames to time)
PLAYERS = {
    "03 batch-size race (2 updates / frame)": (
        lambda: TrainingPlayer(BatchSizeRace(batch_size=20), lr=0.05, lr_range=(1e-3, 1.0), steps_per_tick=2, frame_budget_ms=None), 40),
    "04 two-moons MLP (5 updates / frame)": (
        lambda: TrainingPlayer(MoonsSession(), lr=0.3, lr_range=(1e-3, 10.0), steps_per_tick=5, max_steps=3000, frame_budget_ms=None), 40),
    "07 optimizer race (10 updates / frame)": (
        lambda: TrainingPlayer(OptimizerRace(), lr=None, steps_per_tick=10, max_steps=5000, frame_budget_ms=None), 40),
    "11 reversal transformer (5 updates / frame)": (
        lambda: TrainingPlayer(app11.ReversalSession(length=8), lr=3e-3, lr_range=(1e-4, 1e-1), steps_per_tick=5, frame_budget_ms=None), 20),
    "12 ring GAN (4 rounds / frame, the notebook's setting)": (
        lambda: TrainingPlayer(GANTrainingSession(loss="vanilla", seed=0), lr=2e-3, lr_range=(1e-5, 1e-1),
                               steps_per_tick=4, max_steps=3000, frame_budget_ms=None), 20),
    "16 reverse diffusion on the ring (2 reverse steps / frame)": (
        lambda: TrainingPlayer(app16.ReverseProcessSession(), lr=None, max_steps=100, steps_per_tick=2, frame_budget_ms=None), 40),
    "17 karate-club GCN (5 updates / frame)": (
        lambda: TrainingPlayer(app17.KarateTrainingSession(seed=0), lr=0.01, lr_range=(1e-3, 1.0), steps_per_tick=5,
                               max_steps=1000, frame_budget_ms=None), 40),
    "18 tiny CLIP (5 updates / frame)": (
        lambda: TrainingPlayer(app18.CLIPTrainingSession(seed=0), lr=3e-3, lr_range=(1e-4, 3e-2), steps_per_tick=5,
                               max_steps=1500, frame_budget_ms=None), 40),
    "19 CartPole REINFORCE (1 update of 8 episodes / frame)": (
        lambda: TrainingPlayer(app19.CartPoleSession(seed=0), lr=0.01, lr_range=(1e-4, 1.0), max_steps=400, frame_budget_ms=None), 20),
    "12 ring GAN (1 round / frame)": (
        lambda: TrainingPlayer(GANTrainingSession(loss="vanilla", seed=0), lr=2e-3, lr_range=(1e-5, 1e-1),
                               steps_per_tick=1, max_steps=3000, frame_budget_ms=None), 40),
}


def sweep_values(control, n: int = 8) -> list:
    import ipywidgets as W

    if isinstance(control, W.FloatLogSlider):
        return list(control.base ** np.linspace(control.min, control.max, n))
    if isinstance(control, W.IntSlider):
        return sorted(set(int(v) for v in np.linspace(control.min, control.max, n)))
    if hasattr(control, "min") and hasattr(control, "max"):
        return list(np.linspace(control.min, control.max, n))
    if hasattr(control, "options"):
        from helpers.ui.widgets import control_extremes

        return control_extremes(control)
    return [control.value]


def bench_sliders(report) -> None:
    """Every control of every app, swept across its range, timed the way a panel repaints: ``update``,
    then the frame drawn (blitted over the app's backdrop when it has one) and encoded
    (:func:`helpers.ui.frames.frame_png`). Reported as the median total with its three parts."""
    from helpers.apps import all_apps
    from helpers.ui.frames import encode_png

    for name, cls in all_apps().items():
        app = cls()
        controls = app.controls()
        defaults = app.defaults()
        backdrop = getattr(app, "backdrop", None)
        for cname, control in controls.items():
            parts = []   # (update, draw, encode) ms per move
            for value in sweep_values(control):
                values = dict(defaults, **{cname: value})
                t0 = time.perf_counter()
                app.safe_update(**values)
                t1 = time.perf_counter()
                if backdrop is None or not backdrop.blit():
                    app.fig.canvas.draw()
                t2 = time.perf_counter()
                encode_png(np.asarray(app.fig.canvas.buffer_rgba()))
                parts.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
            totals = [sum(p) * 1e3 for p in parts]
            update, draw, encode = (statistics.median(p[i] for p in parts) * 1e3 for i in range(3))
            report.add(SLIDERS, f"{name}.{cname}",
                       f"{statistics.median(totals):.0f} ms (max {max(totals):.0f} ms): update {update:.1f}, "
                       f"{'blit' if backdrop is not None else 'full draw'} {draw:.1f}, encode {encode:.1f}")


def run(report) -> None:
    torch.set_num_threads(1)
    bench_sliders(report)
    for name, (make, frames) in PLAYERS.items():
        player = make()
        for tick in range(1, frames + 1):  # what the Play widget does in the browser
            player.play.value = tick
        frame = statistics.median(player.frame_ms[2:])  # the first frames pay one-off caches
        session, per_frame = player.session, player.steps_per_tick
        times = []
        for _ in range(frames):
            start = time.perf_counter()
            for _ in range(per_frame):
                session.step(player.lr)
            times.append((time.perf_counter() - start) * 1e3)
        updates = statistics.median(times)
        report.add(SECTION, name, f"frame {frame:.0f} ms (max {max(player.frame_ms[2:]):.0f}); "
                                  f"updates alone {updates:.0f} ms; frame / updates {frame / updates:.1f}x")
