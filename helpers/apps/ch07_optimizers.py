"""Notebook 07's explorer: an optimizer's path on the ill-conditioned bowl or the Rosenbrock valley.

Move the learning rate, momentum and betas and watch the path and the loss curve follow; plain
SGD at the same learning rate is drawn in grey for comparison. Divergence is reported in words.

:class:`OptimizerRace` is the same picture as a race, played step by step by the TrainingPlayer.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.ticker as mticker
import numpy as np

from helpers.training.optim import make_optimizer
from helpers.training.trajectories import SURFACES, ResumableRun, Trajectory, draw_surface
from helpers.ui.widgets import App, dropdown, float_slider, int_slider, log_slider
from helpers.core.figures import LINESTYLES, OKABE_ITO, new_figure
from helpers.ui.backdrop import Backdrop, grown

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
        (self.ref_line,) = self.ax.plot([], [], color="0.55", ls="--", lw=1.0, label="SGD, same η")
        (self.line,) = self.ax.plot([], [], color="C3", lw=1.6, marker=".", ms=3, label="chosen optimizer")
        (self.start,) = self.ax.plot([], [], "ko", ms=5)
        self.ax.legend(fontsize=9, loc="lower right")
        self.warning = self.ax.text(0.02, 0.96, "", transform=self.ax.transAxes, color=OKABE_ITO["vermillion"],
                                    fontsize=9, va="top", fontweight="bold")
        self.title = self.ax.text(0.5, 1.03, "", transform=self.ax.transAxes, ha="center", fontsize=9)
        (self.ref_gap,) = self.ax_gap.semilogy([1], [1], color="0.55", ls="--", lw=1.0)
        (self.gap,) = self.ax_gap.semilogy([1], [1], color="C3", lw=1.6)
        self.ax_gap.set(xlabel="step", ylabel="f - f*  (log scale)", ylim=(1e-12, 1e5))
        # few tick labels, no minor ticks: drawing tick text is most of a redraw's cost
        self.ax_gap.yaxis.set_major_locator(mticker.LogLocator(numticks=5))
        self.ax_gap.yaxis.set_minor_locator(mticker.NullLocator())
        self.ax_gap.grid(alpha=0.3)
        self.fig.tight_layout(rect=(0, 0, 1, 0.95))
        self._runs: dict[tuple, ResumableRun] = {}
        # axes, ticks and contours: one static layer per (surface, step axis), each drawn once and
        # kept (the default steps' two drawn now), so a move redraws only the paths and curves
        self.backdrop = Backdrop(self.fig, [self.ref_line, self.line, self.start, self.warning, self.title,
                                            self.ref_gap, self.gap])
        for name in ("rosenbrock", "bowl"):
            self._use_layer(name, 200)

    def _use_layer(self, surface: str, steps: int) -> None:
        """The static layer for ``surface`` and a step axis long enough for ``steps``."""
        surf, axis = self.surfaces[surface], _step_axis(steps)

        def prepare() -> None:
            for key, artists in self.contours.items():
                for artist in artists:
                    artist.set_visible(key == surface)
            self.ax.set(xlim=surf.xlim, ylim=surf.ylim)
            self.ax_gap.set_xlim(0, axis)

        self.backdrop.use_layer((surface, axis), prepare)

    def _run(self, surface: str, optimizer: str, lr: float, steps: int, **hyper) -> Trajectory:
        """``run_trajectory(...)``, cached per setting as a :class:`ResumableRun`: the steps
        slider only slices (or extends) the run, and moving the momentum or beta sliders does not
        recompute plain SGD's reference."""
        key = (surface, optimizer, float(lr), tuple(sorted(hyper.items())))
        if key not in self._runs:
            if len(self._runs) >= 64:  # a bounded cache: drop the oldest run
                del self._runs[next(iter(self._runs))]
            self._runs[key] = ResumableRun(self.surfaces[surface], optimizer, lr=lr, **hyper)
        return self._runs[key].trajectory(int(steps))

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

    def inactive(self, optimizer: str = "momentum", **_values) -> dict[str, str]:
        """The hyper-parameter sliders the selected optimizer does not read (see :func:`_hyper`)."""
        unused = {"momentum": "only momentum and Nesterov use μ: choose one of them",
                  "beta1": "only Adam uses β1: choose Adam",
                  "beta2": "only RMSProp (as α) and Adam use β2: choose one of them"}
        used = {"momentum": ("momentum", "nesterov"), "beta1": ("adam",), "beta2": ("rmsprop", "adam")}
        return {name: reason for name, reason in unused.items() if optimizer not in used[name]}

    def update(self, lr: float = 0.05, momentum: float = 0.5, beta1: float = 0.9, beta2: float = 0.999,
               optimizer: str = "momentum", surface: str = "bowl", steps: int = 200) -> str:
        surf = self.surfaces[surface]
        self._use_layer(surface, steps)
        # Nesterov with mu = 0 *is* plain SGD (PyTorch refuses the combination, so we say so instead)
        name = "sgd" if optimizer == "nesterov" and momentum == 0 else optimizer
        run = self._run(surface, name, lr, steps, **_hyper(name, momentum, beta1, beta2))
        ref = run if name == "sgd" else self._run(surface, "sgd", lr, steps)
        self.line.set_data(run.path[:, 0], run.path[:, 1])
        self.ref_line.set_data(ref.path[:, 0], ref.path[:, 1])
        self.ref_line.set_visible(name != "sgd")
        self.start.set_data([surf.start[0]], [surf.start[1]])
        for line, r in ((self.gap, run), (self.ref_gap, ref)):
            line.set_data(np.arange(len(r.gap)), np.maximum(r.gap, 1e-16))
        self.ref_gap.set_visible(name != "sgd")
        self.warning.set_text(f"diverged after {len(run.path) - 1} steps" if run.diverged else "")
        self.title.set_text(f"{_LABELS[optimizer]} on {surf.name}")
        if run.diverged:   # it ends before the steps asked for: say how many, so a steps move shows
            return (f"{_LABELS[optimizer]}, η = {lr:.2e}: diverged after {len(run.path) - 1} of the {steps} steps "
                    f"asked for (the iterate ran off to infinity): lower the learning rate")
        return f"{_LABELS[optimizer]}, η = {lr:.2e}: {run.describe(1e-6)}"


def _step_axis(steps: int) -> int:
    """The step axis' right end: the first of 10, 20, 50, 100, 200, 500, 1000, ... that holds
    ``steps``, so the axis (a static layer of its own) changes only a few times along the slider."""
    end = 10
    while end < steps:
        end = end * 5 // 2 if str(end)[0] == "2" else end * 2
    return end


# ----------------------------------------------------------------------------- the optimizer race
_RACE_LRS = {"sgd": 1e-3, "momentum": 1e-3, "rmsprop": 1e-2, "adam": 0.1}  # each one's own η
_RACE_AXIS = 250  # initial length of the step axis; it doubles when the race runs past it


class OptimizerRace:
    """Several optimizers stepping together on one surface, one update each per step, each with
    its own learning-rate slider (read at every step, so a change acts from the next update).

    A :class:`helpers.ui.player.TrainingSession` for ``TrainingPlayer(OptimizerRace(), lr=None)``.
    A runner whose iterate leaves the box ``|x|, |y| <= bound`` or whose gradient overflows is
    stopped and marked "diverged at step k"; the others race on. ``step`` returns the best
    f - f* among the runners still going (inf once all have diverged: the player then stops).

    Shapes: ``paths[name]`` is a list of (2,) points, start first; ``gaps[name]`` has one f - f*
    per point.
    """

    def __init__(self, surface: str = "rosenbrock", lrs: dict[str, float] | None = None,
                 momentum: float = 0.9, bound: float = 1e4) -> None:
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {sorted(SURFACES)}, got {surface!r}")
        lrs = dict(_RACE_LRS if lrs is None else lrs)
        unknown = set(lrs) - set(_LABELS)
        if not lrs or unknown:
            raise ValueError(f"lrs must map optimizer names from {sorted(_LABELS)} to learning rates, got {lrs}")
        self.surface, self.bound = SURFACES[surface](), float(bound)
        self.hyper = {name: ({"momentum": momentum} if name in ("momentum", "nesterov") else {}) for name in lrs}
        self.controls = {name: log_slider(lr, 1e-5, 1.0, f"η {_LABELS[name]}") for name, lr in lrs.items()}
        self.f_min = float(self.surface.f(np.array(self.surface.minimum)))
        self.fig = new_figure(8.0, 3.4)
        self.ax, self.ax_gap = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        draw_surface(self.ax, self.surface)
        self.ax.plot(*self.surface.start, "ko", ms=5)
        self.lines, self.curves = {}, {}
        for i, name in enumerate(lrs):
            style = {"color": f"C{i}", "ls": LINESTYLES[i], "lw": 1.6}  # colour and dash both name the runner
            (self.lines[name],) = self.ax.plot([], [], label=_LABELS[name], **style)
            (self.curves[name],) = self.ax_gap.semilogy([1], [1], **style)
        self.legend = self.ax.legend(fontsize=9, loc="lower right")
        self.ax_gap.set(xlabel="step", ylabel="f - f*  (log scale)", ylim=(1e-12, 1e5))
        self.ax_gap.yaxis.set_major_locator(mticker.LogLocator(numticks=5))
        self.ax_gap.yaxis.set_minor_locator(mticker.NullLocator())
        self.ax_gap.grid(alpha=0.3)
        self.ax_gap.set_xlim(0, _RACE_AXIS)
        self.fig.tight_layout()
        # contours, axes and ticks drawn once; a frame draws only the paths, curves and legend
        self.backdrop = Backdrop(self.fig, [*self.lines.values(), *self.curves.values(), self.legend])
        self.backdrop.capture()
        self.reset()

    def reset(self) -> None:
        """Every runner back at the start, with fresh optimizer state (same learning rates)."""
        start = np.array(self.surface.start, dtype=np.float64)
        self.thetas = {name: start.copy() for name in self.controls}
        self.opts = {name: make_optimizer(name, [self.thetas[name]], lr=self.controls[name].value, **hyper)
                     for name, hyper in self.hyper.items()}
        self.paths = {name: [start.copy()] for name in self.controls}
        self.gaps = {name: [float(self.surface.f(start)) - self.f_min] for name in self.controls}
        self.diverged_at: dict[str, int] = {}
        self.backdrop.set_limits(self.ax_gap, xlim=(0, _RACE_AXIS))

    def step(self, lr: float | None = None) -> float:
        """One update for every runner still going (``lr`` is unused: each has its own slider)."""
        with np.errstate(over="ignore", invalid="ignore"):  # overflow *is* the divergence we detect
            for name, theta in self.thetas.items():
                if name in self.diverged_at:
                    continue
                g = self.surface.grad(theta)
                if np.all(np.isfinite(g)):
                    self.opts[name].lr = float(self.controls[name].value)
                    self.opts[name].step([g])
                if not (np.all(np.isfinite(g)) and np.all(np.abs(theta) <= self.bound)):
                    self.diverged_at[name] = len(self.paths[name])
                    continue
                self.paths[name].append(theta.copy())
                self.gaps[name].append(max(float(self.surface.f(theta)) - self.f_min, 0.0))
        alive = [self.gaps[name][-1] for name in self.thetas if name not in self.diverged_at]
        return min(alive) if alive else float("inf")

    def draw(self) -> str:
        k = max(len(p) for p in self.paths.values()) - 1
        parts = []
        for (name, line), legend_text in zip(self.lines.items(), self.legend.get_texts()):
            P = np.array(self.paths[name])  # (S+1, 2)
            line.set_data(P[:, 0], P[:, 1])
            self.curves[name].set_data(np.arange(len(P)), np.maximum(self.gaps[name], 1e-16))
            gone = self.diverged_at.get(name)
            label = f"{_LABELS[name]}: diverged at step {gone}" if gone else f"{_LABELS[name]}"
            legend_text.set_text(label)
            parts.append(f"{_LABELS[name]} " + (f"diverged at step {gone}" if gone else f"{self.gaps[name][-1]:.1e}"))
        # the step axis grows in doublings: a one-off slower frame when the backdrop is redrawn
        self.backdrop.set_limits(self.ax_gap, xlim=(0, grown(k, _RACE_AXIS)))
        return f"f - f* after {k} steps: " + ", ".join(parts)
