"""Notebook 03's widgets and figures: gradient descent on 1-D and 2-D surfaces, and a race between
full-batch, mini-batch and stochastic gradient descent (driven by the shared TrainingPlayer)."""
from __future__ import annotations

import math

from typing import Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.basics.gradient_descent import (LinearProblem, MinibatchRun, Surface,
                                             critical_learning_rate, epoch_batches, get_surface,
                                             gradient_descent, make_linear_problem)
from helpers.ui.backdrop import Backdrop, decades, grown
from helpers.ui.widgets import App, dropdown, float_slider, int_slider, log_slider
from helpers.core.figures import PALETTE, new_figure

_GAP_RANGE = (1e-12, 1e4)    # J - J_min is drawn clipped to this range on a log axis
_BOX_2D = (-5.0, 5.0)        # the 2-D surfaces are drawn over this square
# One look per runner in every figure of notebook 03 (colour and line style both say which):
# the full batch is drawn wide and pale so that a mini-batch curve lying on it stays visible.
_RUNNER_STYLE = {"full batch": {"color": PALETTE[0], "ls": "-", "lw": 3.5, "alpha": 0.45},
                 "mini-batch": {"color": PALETTE[1], "ls": "--", "lw": 1.4},
                 "SGD": {"color": PALETTE[4], "ls": "-.", "lw": 1.0}}
_PATH_COLOUR = PALETTE[3]   # a gradient-descent path over a curve or a contour map


def _runner(batch_size: int, n: int) -> str:
    return "full batch" if batch_size >= n else ("SGD" if batch_size == 1 else "mini-batch")


def _clip_path(points: np.ndarray, bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """Clip a path to a little beyond the axes, so that far-away iterates leave the picture
    through its edge instead of producing huge coordinates for the renderer. Shape: (S, D) -> (S, D)."""
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    pad = hi - lo
    return np.clip(points, lo - pad, hi + pad)


def _gap(values: np.ndarray, minimum: float) -> np.ndarray:
    return np.clip(values - minimum, *_GAP_RANGE)


def _verdict(surface: Surface, lr: float) -> str:
    """For a quadratic, the learning rate against the exact stability limit 2/L."""
    if surface.curvature is None:
        return ""
    eta_l = lr * surface.curvature
    side = "< 2" if eta_l < 2 - 1e-9 else ("exactly 2" if eta_l <= 2 + 1e-9 else "> 2")
    what = "the distance to the minimum" if surface.dim == 1 else "the error along the steep axis"
    return f" [ηL = {eta_l:.3g} {side}: each step multiplies {what} by 1 − ηL = {1 - eta_l:+.3f}]"


class Descent1D(App):
    """Gradient descent on a 1-D curve: the path hops along J(x); the right panel shows J − J_min
    per step on a log axis (a straight falling line = steady convergence)."""

    def __init__(self) -> None:
        self.fig = new_figure(7.6, 3.2)
        self.ax, self.ax_gap = self.fig.subplots(1, 2)
        self.xs = {name: np.linspace(*get_surface(name).bounds[0], 300) for name in ("quadratic", "double well")}
        self._heights = {name: get_surface(name).f(xs[:, None]) for name, xs in self.xs.items()}  # (X, 1) -> (X,)
        (self.curve,) = self.ax.plot([], [], color="grey", lw=2)
        (self.path,) = self.ax.plot([], [], "o-", color=_PATH_COLOUR, ms=3, lw=1)
        (self.start,) = self.ax.plot([], [], "*", color="k", ms=12)
        self.ax.set(xlabel="x", ylabel="J(x)")
        (self.gap_line,) = self.ax_gap.semilogy([], [], ".-", color=_PATH_COLOUR)
        self.ax_gap.set(xlabel="step k", ylabel="J(x_k) − J_min", ylim=_GAP_RANGE, title="distance to the minimum")
        self.ax_gap.xaxis.set_major_locator(MaxNLocator(5, integer=True))  # drawn on every move: few ticks
        self.ax_gap.grid(alpha=0.3)
        self.fig.tight_layout()
        # the surface, axes and title: one static layer per surface, both drawn now, so a surface
        # switch swaps pixels. A move redraws the path, the curve and the step axis (drawn with
        # them, so that a new number of steps needs no new static layer)
        self.backdrop = Backdrop(self.fig, [self.path, self.start, self.gap_line, self.ax_gap.xaxis])
        for name in ("double well", "quadratic"):
            self._use_surface(name)

    def _use_surface(self, surface: str) -> None:
        """The static layer for ``surface``: its curve, axis ranges and formula."""
        s, xs = get_surface(surface), self.xs[surface]

        def prepare() -> None:
            self.curve.set_data(xs, self._heights[surface])
            self.ax.set(xlim=s.bounds[0], ylim=self._ylim(surface), title=f"${s.formula}$")

        self.backdrop.use_layer(surface, prepare)

    def _ylim(self, surface: str) -> tuple[float, float]:
        ys = self._heights[surface]
        return ys.min() - 0.5, min(ys.max(), 12.0)

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"surface": dropdown(["quadratic", "double well"], "quadratic", "surface"),
                "lr": log_slider(0.1, 1e-3, 2.0, "learning rate η"),
                "x0": float_slider(-1.5, -2.0, 2.5, 0.1, "start x0"),
                "steps": int_slider(30, 1, 100, "steps", unit="updates")}

    def update(self, surface: str = "quadratic", lr: float = 0.1, x0: float = -1.5, steps: int = 30) -> str:
        s = get_surface(surface)
        run = gradient_descent(s.grad, np.array([x0]), lr, int(steps), s.f)
        ylim = self._ylim(surface)
        self._use_surface(surface)
        self.ax_gap.set_xlim(0, _step_axis(steps))
        clipped = _clip_path(run.points, s.bounds)[:, 0]                    # (S + 1,)
        heights = s.f(clipped[:, None])                                      # (S + 1, 1) -> (S + 1,)
        self.path.set_data(clipped, np.clip(heights, ylim[0] - 100, ylim[1] + 100))
        self.start.set_data([x0], [s.f(np.array([[x0]]))[0]])
        self.gap_line.set_data(np.arange(len(run.values)), _gap(run.values, s.minimum_value))
        return run.describe() + _verdict(s, lr)


def _step_axis(steps: int) -> int:
    """The step axis' right end: ``steps`` rounded up to a multiple of 10, so it rarely moves."""
    return 10 * max(1, math.ceil(int(steps) / 10))


class Descent2D(App):
    """Gradient descent on a 2-D surface, drawn over its contour map (darker = lower)."""

    _NAMES = ("bowl", "himmelblau")

    def __init__(self, n: int = 121) -> None:
        self.fig = new_figure(7.6, 3.4)
        self.ax, self.ax_gap = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        g = np.linspace(*_BOX_2D, n)
        P = np.stack(np.meshgrid(g, g), axis=-1)               # (n, n, 2)
        self.contours = {}
        for name in self._NAMES:
            s = get_surface(name)
            levels = np.quantile(np.log1p(s.f(P) - s.minimum_value), np.linspace(0.02, 0.98, 14))
            cs = self.ax.contour(g, g, np.log1p(s.f(P) - s.minimum_value), levels=levels, cmap="viridis",
                                 linewidths=0.8)
            cs.set_visible(False)
            self.contours[name] = cs
        (self.path,) = self.ax.plot([], [], "o-", color=_PATH_COLOUR, ms=2.5, lw=1)
        (self.start,) = self.ax.plot([], [], "*", color="k", ms=12)
        self.ax.set(xlim=_BOX_2D, ylim=_BOX_2D, xlabel="x", ylabel="y", aspect="equal")
        (self.gap_line,) = self.ax_gap.semilogy([], [], ".-", color=_PATH_COLOUR, ms=3)
        self.ax_gap.set(xlabel="step k", ylabel="J − J_min", ylim=_GAP_RANGE, title="distance to the minimum")
        self.ax_gap.xaxis.set_major_locator(MaxNLocator(5, integer=True))  # drawn on every move: few ticks
        self.ax_gap.grid(alpha=0.3)
        self.fig.tight_layout()
        # contours, axes and title: one static layer per surface, both drawn now, so a surface
        # switch swaps pixels. A move redraws the path, the curve and the step axis (drawn with
        # them, so that a new number of steps needs no new static layer)
        self.backdrop = Backdrop(self.fig, [self.path, self.start, self.gap_line, self.ax_gap.xaxis])
        for name in reversed(self._NAMES):
            self._use_surface(name)

    def _use_surface(self, surface: str) -> None:
        """The static layer for ``surface``: its contours and formula."""
        def prepare() -> None:
            for name, cs in self.contours.items():
                cs.set_visible(name == surface)
            self.ax.set_title(f"${get_surface(surface).formula}$  (darker = lower)", fontsize=9)

        self.backdrop.use_layer(surface, prepare)

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"surface": dropdown(list(self._NAMES), "bowl", "surface"),
                "lr": log_slider(0.15, 1e-3, 1.0, "learning rate η"),
                "x0": float_slider(-4.0, -5.0, 5.0, 0.1, "start x0"),
                "y0": float_slider(2.0, -5.0, 5.0, 0.1, "start y0"),
                "steps": int_slider(50, 1, 200, "steps", unit="updates")}

    def update(self, surface: str = "bowl", lr: float = 0.15, x0: float = -4.0, y0: float = 2.0,
               steps: int = 50) -> str:
        s = get_surface(surface)
        self._use_surface(surface)
        self.ax_gap.set_xlim(0, _step_axis(steps))
        run = gradient_descent(s.grad, np.array([x0, y0]), lr, int(steps), s.f)
        P = _clip_path(run.points, (_BOX_2D, _BOX_2D))
        self.path.set_data(P[:, 0], P[:, 1])
        self.start.set_data([x0], [y0])
        self.gap_line.set_data(np.arange(len(run.values)), _gap(run.values, s.minimum_value))
        return run.describe() + _verdict(s, lr)


# ----------------------------------------------------------------------------- the batch-size race
class BatchSizeRace:
    """Three copies of the same linear model trained side by side, one update each per step: with
    the full batch, with mini-batches of ``batch_size`` and with single examples (SGD).

    A :class:`helpers.ui.player.TrainingSession`: ``TrainingPlayer(BatchSizeRace())`` gives it
    play / pause / step and a learning rate that can change mid-run.
    """

    def __init__(self, problem: LinearProblem | None = None, batch_size: int = 20, seed: int = 0,
                 start: Sequence[float] = (2.0, -1.0)) -> None:
        self.problem = problem if problem is not None else make_linear_problem(200, seed=seed)
        self.sizes = {"full batch": self.problem.n, "mini-batch": int(batch_size), "SGD": 1}
        self.seed, self.start = seed, np.asarray(start, dtype=np.float64)
        self.fig = new_figure(7.6, 3.3)
        self.ax, self.ax_loss = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        w_star = self.problem.solution()
        self.bounds = ((w_star[0] - 4, w_star[0] + 4), (w_star[1] - 4, w_star[1] + 4))
        g0, g1 = np.linspace(*self.bounds[0], 101), np.linspace(*self.bounds[1], 101)
        J = self.problem.loss_grid(np.stack(np.meshgrid(g0, g1), axis=-1))   # (101, 101, 2) -> (101, 101)
        self.ax.contour(g0, g1, np.log(J), levels=14, cmap="viridis", linewidths=0.8)
        self.ax.plot(*w_star, "k+", ms=12)
        self.lines, self.curves = {}, {}
        for name, style in _RUNNER_STYLE.items():
            label = f"{name} (B = {self.sizes[name]})"
            (self.lines[name],) = self.ax.plot([], [], label=label, **style)
            (self.curves[name],) = self.ax_loss.semilogy([], [], label=label, **style)
        self.ax.set(xlim=self.bounds[0], ylim=self.bounds[1], xlabel="intercept w0", ylabel="slope w1",
                    title="paths over the loss contours")
        self.ax.legend(fontsize=9, loc="lower left")
        self.ax_loss.set(xlabel="updates", ylabel="full-batch loss J",
                         title="loss after each update\n(full batch: wide pale line)")
        self.ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_loss.grid(alpha=0.3)
        self.ax_loss.set(xlim=(0, 50), ylim=(0.1, 10))
        self.fig.tight_layout()
        # contours, axes and legend drawn once; a frame draws the paths and the curves only
        self.backdrop = Backdrop(self.fig, [*self.lines.values(), *self.curves.values()])
        self.backdrop.capture()
        self.reset()

    def reset(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.rngs = {name: np.random.default_rng(rng.integers(2**32)) for name in self.sizes}
        self.batches = {name: iter(()) for name in self.sizes}
        self.paths = {name: [self.start.copy()] for name in self.sizes}
        self.losses = {name: [self.problem.loss(self.start)] for name in self.sizes}

    def _next_batch(self, name: str) -> np.ndarray:
        idx = next(self.batches[name], None)
        if idx is None:   # epoch finished: reshuffle
            self.batches[name] = iter(epoch_batches(self.problem.n, self.sizes[name], self.rngs[name]))
            idx = next(self.batches[name])
        return idx

    def step(self, lr: float) -> float:
        """One update for each runner; returns the worst full-batch loss of the three."""
        with np.errstate(over="ignore", invalid="ignore"):
            for name in self.sizes:
                w = self.paths[name][-1]
                w = w - lr * self.problem.grad(w, self._next_batch(name))
                self.paths[name].append(w)
                self.losses[name].append(self.problem.loss(w) if np.all(np.isfinite(w)) else np.inf)
        return max(self.losses[name][-1] for name in self.sizes)

    def draw(self) -> str:
        k = len(self.losses["SGD"]) - 1
        top = 1.0
        for name in self.sizes:
            P = _clip_path(np.array(self.paths[name]), self.bounds)
            self.lines[name].set_data(P[:, 0], P[:, 1])
            L = np.clip(np.nan_to_num(np.array(self.losses[name]), nan=1e12, posinf=1e12), 1e-3, 1e12)
            self.curves[name].set_data(np.arange(len(L)), L)
            top = max(top, float(L.max()))
        self.backdrop.set_limits(self.ax_loss, xlim=(0, grown(k, 50)), ylim=(0.1, decades(0.1, top * 2)[1]))
        parts = [f"{name} J = {self.losses[name][-1]:.3g}" for name in self.sizes]
        return f"after {k} updates: " + ", ".join(parts)


# ----------------------------------------------------------------------------- static figures
def plot_lr_sweep(surface: Surface, x0: float, lrs: Sequence[float], n_steps: int = 30) -> Figure:
    """Gradient descent on a 1-D quadratic for several learning rates, labelled by ηL: the signed
    error x_k − x* over the first steps (left: steady, zig-zag, bounce, blow-up) and its size on a
    log axis (right: straight lines, because each step multiplies it by 1 − ηL)."""
    if surface.curvature is None or surface.dim != 1:
        raise ValueError(f"plot_lr_sweep needs a 1-D quadratic surface, got {surface.name!r}")
    fig = new_figure(7.6, 4.0)
    ax1, ax2 = fig.subplots(1, 2)
    x_star = x0 - surface.grad(np.array([x0]))[0] / surface.curvature  # the quadratic's minimiser
    for lr in lrs:
        run = gradient_descent(surface.grad, np.array([x0]), lr, n_steps, surface.f)
        err = run.points[:, 0] - x_star
        label = f"η = {lr:.3g} (ηL = {lr * surface.curvature:.2f})"
        ax1.plot(np.clip(err[:13], -3 * abs(x0 - x_star), 3 * abs(x0 - x_star)), ".-", label=label)
        ax2.semilogy(np.clip(np.abs(err), 1e-16, 1e6), ".-", label=label)
    ax1.axhline(0, color="grey", lw=0.8)
    ax1.set(xlabel="step k", ylabel="x_k − x*", title="the first steps")
    ax2.set(xlabel="step k", ylabel="|x_k − x*|", ylim=(1e-16, 1e6), title=f"${surface.formula}$, L = {surface.curvature:g}")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig


def plot_minibatch_runs(problem: LinearProblem, runs: Sequence[MinibatchRun]) -> Figure:
    """Paths of runs with different batch sizes over the loss contours, and loss against epochs
    (the same colours and line styles as the batch-size race)."""
    fig = new_figure(7.6, 3.4)
    ax, ax2 = fig.subplots(1, 2)
    w_star = problem.solution()
    g0, g1 = np.linspace(w_star[0] - 4, w_star[0] + 4, 101), np.linspace(w_star[1] - 4, w_star[1] + 4, 101)
    ax.contour(g0, g1, np.log(problem.loss_grid(np.stack(np.meshgrid(g0, g1), axis=-1))), levels=14,
               cmap="viridis", linewidths=0.8)
    for run in runs:
        style = _RUNNER_STYLE[_runner(run.batch_size, problem.n)]
        label = f"B = {run.batch_size} ({len(run.points) - 1} updates)"
        ax.plot(run.points[:, 0], run.points[:, 1], label=label, **style)
        ax2.semilogy(run.epochs, run.losses, label=f"B = {run.batch_size}", **style)
    ax.plot(*w_star, "k+", ms=12)
    ax.set(xlim=(g0[0], g0[-1]), ylim=(g1[0], g1[-1]), xlabel="intercept w0", ylabel="slope w1",
           title="paths (+ = minimum)")
    ax.legend(fontsize=9, loc="lower left")
    ax2.axhline(problem.loss(w_star), color="grey", ls=":", lw=1, label="minimum")
    ax2.set(xlabel="epochs (passes over the data)", ylabel="full-batch loss J", title="same work: 3 epochs each")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig


def plot_gradient_noise(batch_sizes: Sequence[int], measured: Sequence[float], theory: Sequence[float]) -> Figure:
    """Mini-batch gradient noise E‖g_B − ∇J‖² against B: measured points and the exact formula."""
    fig = new_figure(5.5, 3.4)
    ax = fig.add_subplot()
    b = np.asarray(batch_sizes)
    keep = b < b.max()   # the full batch has zero noise: nothing to draw on a log axis
    ax.loglog(b[keep], np.asarray(theory)[keep], "-", color="grey", label="formula (N − B) / (B (N − 1)) · spread")
    ax.loglog(b[keep], np.asarray(measured)[keep], "o", color=PALETTE[0], ls="none",
              label="measured (random batches)")
    ax.set_xticks(list(b[keep]), [str(v) for v in b[keep]])
    ax.minorticks_off()
    ax.set(xlabel="batch size B", ylabel="E‖g_B − ∇J‖²", title="gradient noise shrinks like 1/B")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
