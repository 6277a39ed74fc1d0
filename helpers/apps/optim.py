"""Notebook 07's explorer: an optimizer's path on the ill-conditioned bowl or the Rosenbrock valley.

Move the learning rate, momentum and betas and watch the path and the loss curve follow; plain
SGD at the same learning rate is drawn in grey for comparison. Divergence is reported in words.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.ticker as mticker
import numpy as np

from ..trajectories import SURFACES, draw_surface, run_trajectory
from ..widgets import App, dropdown, float_slider, int_slider, log_slider, new_figure
from ._backdrop import Backdrop

_LABELS = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov", "rmsprop": "RMSProp",
           "adam": "Adam"}


def _hyper(optimizer: str, momentum: float, beta1: float, beta2: float) -> dict:
    """The sliders that matter for each optimizer (RMSProp's alpha plays the role of beta2)."""
    if optimizer in ("momentum", "nesterov"):
        return {"momentum": momentum}
    if optimizer == "rmsprop":
        return {"alpha": beta2}
    if optimizer == "adam":
        return {"betas": (beta1, beta2)}
    return {}


class OptimizerExplorer(App):
    """Paths of SGD, momentum, Nesterov, RMSProp and Adam on two classic 2-D surfaces."""

    def __init__(self) -> None:
        self.surfaces = {name: make() for name, make in SURFACES.items()}
        self.fig = new_figure(8.0, 3.4)
        self.ax, self.ax_gap = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.contours = {}
        for name, surface in self.surfaces.items():  # drawn once; a surface switch toggles visibility
            self.contours[name] = draw_surface(self.ax, surface)
        (self.ref_line,) = self.ax.plot([], [], color="0.55", lw=1.0, label="SGD, same lr")
        (self.line,) = self.ax.plot([], [], color="C3", lw=1.6, marker=".", ms=3, label="chosen optimizer")
        (self.start,) = self.ax.plot([], [], "ko", ms=5)
        self.ax.legend(fontsize=7, loc="lower right")
        self.warning = self.ax.text(0.02, 0.96, "", transform=self.ax.transAxes, color="#b42318",
                                    fontsize=9, va="top", fontweight="bold")
        self.title = self.ax.text(0.5, 1.03, "", transform=self.ax.transAxes, ha="center", fontsize=9)
        (self.ref_gap,) = self.ax_gap.semilogy([1], [1], color="0.55", lw=1.0)
        (self.gap,) = self.ax_gap.semilogy([1], [1], color="C3", lw=1.6)
        self.ax_gap.set(xlabel="step", ylabel="f - f*  (log scale)", ylim=(1e-12, 1e5))
        # few tick labels, no minor ticks: drawing tick text is most of a redraw's cost
        self.ax_gap.yaxis.set_major_locator(mticker.LogLocator(numticks=5))
        self.ax_gap.yaxis.set_minor_locator(mticker.NullLocator())
        self.ax_gap.grid(alpha=0.3)
        self.fig.tight_layout(rect=(0, 0, 1, 0.95))
        self._ref_cache: dict[tuple, object] = {}
        # axes, ticks and contours are drawn once per (surface, steps), not on every move
        self.backdrop = Backdrop(self.fig, [self.ref_line, self.line, self.start, self.warning, self.title,
                                            self.ref_gap, self.gap])
        self._static_key: tuple | None = None

    def _sgd_reference(self, surface: str, lr: float, steps: int):
        """Plain SGD's run, cached: moving the momentum or beta sliders does not change it."""
        key = (surface, float(lr), int(steps))
        if key not in self._ref_cache:
            if len(self._ref_cache) > 64:  # a bounded cache; a slider sweep never needs more
                self._ref_cache.clear()
            self._ref_cache[key] = run_trajectory(self.surfaces[surface], "sgd", lr=lr, steps=steps)
        return self._ref_cache[key]

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"lr": log_slider(0.05, 1e-4, 1.0, "learning rate η"),
                "momentum": float_slider(0.5, 0.0, 0.99, 0.01, "momentum μ"),
                "beta1": float_slider(0.9, 0.0, 0.99, 0.01, "Adam β1"),
                "beta2": float_slider(0.999, 0.5, 0.999, 0.001, "β2 (RMSProp α)", fmt=".3f"),
                # (label, value) pairs rather than a dict: control_extremes would test the labels
                "optimizer": dropdown([(v, k) for k, v in _LABELS.items()], "momentum", "optimizer"),
                "surface": dropdown([("ill-conditioned bowl", "bowl"), ("Rosenbrock", "rosenbrock")], "bowl",
                                    "surface"),
                "steps": int_slider(200, 10, 1000, "steps", unit="iterations", step=10)}

    def update(self, lr: float = 0.05, momentum: float = 0.5, beta1: float = 0.9, beta2: float = 0.999,
               optimizer: str = "momentum", surface: str = "bowl", steps: int = 200) -> str:
        surf = self.surfaces[surface]
        if self._static_key != (surface, steps):
            self.backdrop.restore()
            for key, artists in self.contours.items():
                for artist in artists:
                    artist.set_visible(key == surface)
            self.ax.set(xlim=surf.xlim, ylim=surf.ylim)
            self.ax_gap.set_xlim(0, steps)
            self.backdrop.capture()
            self._static_key = (surface, steps)
        # Nesterov with mu = 0 *is* plain SGD (PyTorch refuses the combination, so we say so instead)
        name = "sgd" if optimizer == "nesterov" and momentum == 0 else optimizer
        run = run_trajectory(surf, name, lr=lr, steps=steps, **_hyper(name, momentum, beta1, beta2))
        ref = run if name == "sgd" else self._sgd_reference(surface, lr, steps)
        self.line.set_data(run.path[:, 0], run.path[:, 1])
        self.ref_line.set_data(ref.path[:, 0], ref.path[:, 1])
        self.ref_line.set_visible(name != "sgd")
        self.start.set_data([surf.start[0]], [surf.start[1]])
        for line, r in ((self.gap, run), (self.ref_gap, ref)):
            line.set_data(np.arange(len(r.gap)), np.maximum(r.gap, 1e-16))
        self.ref_gap.set_visible(name != "sgd")
        self.warning.set_text(f"diverged after {len(run.path) - 1} steps" if run.diverged else "")
        self.title.set_text(f"{_LABELS[optimizer]} on {surf.name}")
        return f"{_LABELS[optimizer]}, η = {lr:.2e}: {run.describe(1e-6)}"
