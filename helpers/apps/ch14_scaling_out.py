"""Notebook 14's widget: shard a global batch over P workers and watch the averaged gradient.

Pure NumPy on a fixed linear-regression batch (no processes are started in the callback): the
left panel colours each example of the global batch by the worker that gets it; the right panel
shows every worker's own gradient (faint), their average (bars) and the single-process
full-batch gradient (black ticks), which coincide. Axes, labels and legend are drawn once (a
:class:`helpers.ui.backdrop.Backdrop`); a slider move redraws only the grid, the marks and the bars.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.colors import to_rgb

from helpers.distributed.allreduce import (data_parallel_gradient, linear_mse_grad,
                                           ring_traffic_per_worker)
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, int_slider
from helpers.core.figures import CLASS_COLOURS, OKABE_ITO, new_figure

_MAX_P, _MAX_B, _D = 8, 16, 4


class ShardingExplorer(App):
    """World size P and per-worker batch n -> global batch N = P·n, shards and averaged gradient."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        n_max = _MAX_P * _MAX_B
        self.X = rng.normal(size=(n_max, _D))  # (N_max, D)
        self.y = self.X @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.normal(scale=0.5, size=n_max)  # (N_max,)
        self.w = np.zeros(_D)
        self.fig = new_figure(7.5, 3.0)
        self.ax_grid, self.ax_grad = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.colours = np.array([to_rgb(c) for c in CLASS_COLOURS[:_MAX_P]])  # (P_max, 3): one per worker
        self.image = self.ax_grid.imshow(np.ones((_MAX_P, _MAX_B, 3)), aspect="auto",
                                         interpolation="nearest")
        self.ax_grid.set(xlabel="the global batch, 16 examples per row",
                         xticks=[], yticks=[])
        x = np.arange(_D)
        self.worker_marks = [self.ax_grad.plot(x, np.zeros(_D), "o", ms=4, alpha=0.35,
                                               color=self.colours[p])[0] for p in range(_MAX_P)]
        self.bars = self.ax_grad.bar(x, np.zeros(_D), width=0.6, color=OKABE_ITO["sky"], label="average of workers")
        (self.full,) = self.ax_grad.plot(x, np.zeros(_D), "k_", ms=28, mew=2.5, label="full batch, 1 process")
        self.ax_grad.set(xticks=x, xticklabels=[f"∂ℒ/∂w{i + 1}" for i in x], ylim=self._ylim(),
                         title="gradient at w = 0")
        self.zero = self.ax_grad.axhline(0, color="0.6", lw=0.8)
        self.ax_grad.legend(loc="lower right", fontsize=9)
        # the grid's changing title, where ax.set_title puts one (a real title repositions itself
        # against the tick labels the backdrop hides); the right panel's title makes room for it
        self.grid_title = self.ax_grid.annotate("", (0.5, 1.0), xycoords="axes fraction", ha="center",
                                                xytext=(0, mpl.rcParams["axes.titlepad"]), textcoords="offset points",
                                                va="baseline", fontsize=10)
        self.fig.tight_layout()
        # drawn over the static layer each move: what moves, and what lies on top of it (the grid's
        # frame over the picture, the zero line over the bars)
        self.backdrop = Backdrop(self.fig, [self.image, *self.ax_grid.spines.values(), self.grid_title,
                                            *self.worker_marks, *self.bars, self.full, self.zero])
        self.backdrop.capture()

    def _ylim(self) -> tuple[float, float]:
        """Fixed axis limits that hold every worker's gradient at any slider setting."""
        _, per = data_parallel_gradient(self.X[:_MAX_P], self.y[:_MAX_P], self.w, _MAX_P)  # (P, D)
        top = 1.1 * float(np.max(np.abs(per)))
        return -top, top

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"world_size": int_slider(4, 1, _MAX_P, "world size P", unit="processes"),
                "per_worker": int_slider(4, 1, _MAX_B, "per-worker batch n", unit="examples")}

    def update(self, world_size: int = 4, per_worker: int = 4) -> str:
        n = world_size * per_worker
        X, y = self.X[:n], self.y[:n]
        avg, per = data_parallel_gradient(X, y, self.w, world_size)  # (D,), (P, D)
        full = linear_mse_grad(X, y, self.w)  # (D,)
        # example i goes to worker i mod P; lay the N examples out row-major on the grid
        owner = np.arange(n) % world_size  # (N,)
        grid = np.ones((_MAX_P * _MAX_B, 3))
        grid[:n] = self.colours[owner]
        self.image.set_data(grid.reshape(_MAX_P, _MAX_B, 3))  # (rows, cols, RGB)
        self.grid_title.set_text(f"global batch: N = {world_size} × {per_worker} = {n}, colour = worker")
        for p, mark in enumerate(self.worker_marks):
            mark.set_visible(p < world_size)
            if p < world_size:
                mark.set_ydata(per[p])
        for bar, h in zip(self.bars, avg):
            bar.set_height(h)
        self.full.set_ydata(full)
        diff = float(np.max(np.abs(avg - full)))
        spread = float(np.max(np.abs(per - full))) if world_size > 1 else 0.0
        return (f"P = {world_size}, n = {per_worker}, N = {n}: max |average − full batch| = {diff:.1e}; "
                f"a single worker is off by up to {spread:.2f}; each sends "
                f"{ring_traffic_per_worker(_D, world_size):.1f} numbers per step in a ring all-reduce")
