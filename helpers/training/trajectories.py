r"""Two-dimensional test surfaces and the paths optimizers take on them (notebook 07).

Two classic landscapes, small enough to draw and hard enough to separate the optimizers:

* the **ill-conditioned bowl** :math:`f(x, y) = \tfrac12 (x^2 + \kappa y^2)`, a quadratic whose
  curvature is :math:`\kappa` times larger across the valley than along it. Gradient descent
  is stable only for :math:`\eta < 2/\kappa` and then crawls along the flat direction at rate
  :math:`1 - \eta`; momentum builds up speed along it.
* the **Rosenbrock function** :math:`f(x, y) = (a - x)^2 + b (y - x^2)^2` (Rosenbrock, 1960), a
  curved, flat-bottomed valley with its minimum at :math:`(a, a^2)`.

:func:`run_trajectory` runs one of :mod:`helpers.training.optim`'s optimizers from the surface's start and
records the path; it stops, and says so, when the iterate leaves a large box or the gradient
overflows (divergence), so a plot never has to show NaNs.

Shape: points are (..., 2); a path is (S+1, 2) for S steps, with the start as row 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.training.optim import make_optimizer
from helpers.core.checks import check_array, check_range, check_type
from helpers.core.figures import new_figure

__all__ = ["Surface", "ill_conditioned_bowl", "rosenbrock", "SURFACES", "Trajectory", "run_trajectory", "ResumableRun",
           "fastest", "draw_surface", "plot_trajectories"]


@dataclass(frozen=True)
class Surface:
    """A 2-D function to minimise, its gradient, a start point and a view box for plots."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]      # (..., 2) -> (...)
    grad: Callable[[np.ndarray], np.ndarray]   # (2,) -> (2,)
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]


def ill_conditioned_bowl(kappa: float = 25.0) -> Surface:
    r""":math:`f(x, y) = \tfrac12 (x^2 + \kappa y^2)`: Hessian eigenvalues 1 and :math:`\kappa`."""
    check_range(kappa, "kappa", 1.0, 1e6)

    def f(p: np.ndarray) -> np.ndarray:
        return 0.5 * (p[..., 0] ** 2 + kappa * p[..., 1] ** 2)

    def grad(p: np.ndarray) -> np.ndarray:
        return np.array([p[0], kappa * p[1]])

    return Surface(f"ill-conditioned bowl (kappa = {kappa:g})", f, grad, start=(-4.5, 1.5),
                   minimum=(0.0, 0.0), xlim=(-5.0, 5.0), ylim=(-2.0, 2.0))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    r""":math:`f(x, y) = (a - x)^2 + b (y - x^2)^2`, minimum 0 at :math:`(a, a^2)`."""
    check_range(a, "a", -10.0, 10.0)
    check_range(b, "b", 0.0, 1e4, low_inclusive=False)

    def f(p: np.ndarray) -> np.ndarray:
        return (a - p[..., 0]) ** 2 + b * (p[..., 1] - p[..., 0] ** 2) ** 2

    def grad(p: np.ndarray) -> np.ndarray:
        x, y = p
        return np.array([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)])

    return Surface("Rosenbrock", f, grad, start=(-1.5, 2.0), minimum=(a, a * a),
                   xlim=(-2.0, 2.0), ylim=(-1.0, 3.0))


SURFACES: dict[str, Callable[[], Surface]] = {"bowl": ill_conditioned_bowl, "rosenbrock": rosenbrock}


@dataclass(frozen=True)
class Trajectory:
    """The path of one run: ``path`` (S+1, 2) and ``gap`` = f(path) - f(minimum), shape (S+1,)."""

    path: np.ndarray
    gap: np.ndarray
    diverged: bool
    steps: int  # steps requested

    def steps_to(self, tol: float) -> int | None:
        """The first step from which f - f* stays <= ``tol`` to the end of the run (None if never).

        "Stays" matters: an oscillating optimizer can pass through the tolerance by luck.
        """
        if self.diverged:
            return None
        above = np.flatnonzero(self.gap > tol)
        if above.size == 0:
            return 0
        return int(above[-1]) + 1 if above[-1] + 1 < len(self.gap) else None

    def describe(self, tol: float = 1e-6) -> str:
        """One line for a status bar, in words (never a NaN)."""
        if self.diverged:
            k = len(self.path) - 1
            return (f"diverged after {k} step{'' if k == 1 else 's'} (the iterate ran off to infinity): "
                    "lower the learning rate")
        hit = self.steps_to(tol)
        end = f"f - f* = {self.gap[-1]:.1e} after {self.steps} steps"
        return end + (f"; below {tol:g} from step {hit} on" if hit is not None else f"; not settled below {tol:g}")


def run_trajectory(surface: Surface, optimizer: str = "sgd", lr: float = 0.01, steps: int = 200,
                   start: Any = None, bound: float = 1e4, **hyper: Any) -> Trajectory:
    """Minimise ``surface`` from its start with a named optimizer for ``steps`` steps.

    Args:
        optimizer: a name from :data:`helpers.training.optim.OPTIMIZERS` (``"sgd"``, ``"momentum"``, ...).
        lr, hyper: the optimizer's hyperparameters (``momentum``, ``betas``, ``alpha``, ...).
        start: the initial point, shape (2,); the surface's own start by default.
        bound: a run whose iterate leaves the box ``|x|, |y| <= bound`` counts as diverged.

    Returns:
        A :class:`Trajectory`; after a divergence it holds only the finite points reached.
    """
    check_type(surface, "surface", Surface, "a Surface (ill_conditioned_bowl, rosenbrock)")
    check_range(steps, "steps", 1, 100_000, integer=True)
    return ResumableRun(surface, optimizer, lr, start, bound, **hyper).trajectory(steps)


class ResumableRun:
    """One :func:`run_trajectory` that can be asked for more steps later: it keeps the optimizer
    and its path, so ``trajectory(steps)`` only runs the steps not yet taken, and a shorter run
    is a prefix of a longer one (the same optimizer from the same start takes the same steps).
    A widget's steps slider then costs a slice instead of a rerun.

    ``ResumableRun(surface, ...).trajectory(steps)`` equals ``run_trajectory(surface, ...,
    steps=steps)`` exactly, whatever was asked before (``tests/test_optim.py``).
    """

    def __init__(self, surface: Surface, optimizer: str = "sgd", lr: float = 0.01, start: Any = None,
                 bound: float = 1e4, **hyper: Any) -> None:
        check_type(surface, "surface", Surface, "a Surface (ill_conditioned_bowl, rosenbrock)")
        check_range(bound, "bound", 0.0, None, low_inclusive=False)
        self.surface, self.bound = surface, float(bound)
        self.theta = check_array(surface.start if start is None else start, "start",
                                 shape=(2,)).astype(np.float64).copy()
        self.opt = make_optimizer(optimizer, [self.theta], lr=lr, **hyper)
        self.path = [self.theta.copy()]
        self.diverged = False   # the step after the last point of the path ran off

    def _advance(self, steps: int) -> None:
        theta, surface = self.theta, self.surface
        with np.errstate(over="ignore", invalid="ignore"):  # overflow *is* the divergence we detect
            while len(self.path) <= steps and not self.diverged:
                g = surface.grad(theta)
                if not np.isfinite(g).all():   # the method, not np.all: this loop is a widget's hot path
                    self.diverged = True
                    break
                self.opt.step([g])
                if not (np.abs(theta) <= self.bound).all():
                    self.diverged = True
                    break
                self.path.append(theta.copy())

    def trajectory(self, steps: int) -> Trajectory:
        """The run's first ``steps`` steps (fewer if it diverged before), as a :class:`Trajectory`."""
        check_range(steps, "steps", 1, 100_000, integer=True)
        self._advance(steps)
        diverged = self.diverged and len(self.path) <= steps
        path_arr = np.array(self.path[:steps + 1])  # (S+1, 2)
        gap = self.surface.f(path_arr) - float(self.surface.f(np.array(self.surface.minimum)))
        return Trajectory(path_arr, np.maximum(gap, 0.0), diverged, steps)


def fastest(surface: Surface, optimizer: str, lrs: Any, tol: float, steps: int,
            **hyper: Any) -> tuple[int | None, float | None]:
    """Tune the learning rate on a grid: the fewest steps to settle below ``tol``, and the lr that did it.

    Returns ``(None, None)`` if no learning rate of the grid got there within ``steps``.
    """
    check_type(surface, "surface", Surface, "a Surface (ill_conditioned_bowl, rosenbrock)")
    lrs = check_array(lrs, "lrs", ndim=1)
    best: tuple[int | None, float | None] = (None, None)
    for lr in lrs:
        k = run_trajectory(surface, optimizer, lr=float(lr), steps=steps, **hyper).steps_to(tol)
        if k is not None and (best[0] is None or k < best[0]):
            best = (k, float(lr))
    return best


def draw_surface(ax: Any, surface: Surface, n: int = 120, levels: int = 14) -> Any:
    """Contours of log10(f - f* + 1e-3) over the surface's view box, and a star at the minimum.

    Returns:
        The artists drawn, ``[contour set, minimum marker]`` (a widget toggles their visibility).
    """
    check_type(surface, "surface", Surface, "a Surface (ill_conditioned_bowl, rosenbrock)")
    check_type(ax, "ax", Axes, "a matplotlib Axes")
    check_range(n, "n", 2, 10_000, integer=True)
    check_range(levels, "levels", 1, 1000, integer=True)
    xs = np.linspace(*surface.xlim, n)
    ys = np.linspace(*surface.ylim, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2)
    # log scale: the valleys span many orders of magnitude, a linear map would show one blob
    z = np.log10(surface.f(grid) - float(surface.f(np.array(surface.minimum))) + 1e-3)
    # grey levels (darker = lower): a coloured map would compete with the optimizers' palette colours
    cs = ax.contour(xs, ys, z, levels=levels, cmap="Greys_r", linewidths=0.8, alpha=0.6)
    (star,) = ax.plot(*surface.minimum, marker="*", color="k", ms=10, ls="none")
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="x", ylabel="y")
    return [cs, star]


def plot_trajectories(surface: Surface, runs: dict[str, Trajectory], title: str = "") -> Figure:
    """The paths of several runs on one surface (left) and f - f* per step, log scale (right)."""
    check_type(surface, "surface", Surface, "a Surface (ill_conditioned_bowl, rosenbrock)")
    check_type(runs, "runs", dict, "a dict name -> Trajectory")
    if not runs:
        raise ValueError("plot_trajectories needs at least one run, got an empty dict")
    fig = new_figure(8.0, 3.4)
    ax, ax_gap = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    draw_surface(ax, surface)
    for label, run in runs.items():
        (line,) = ax.plot(run.path[:, 0], run.path[:, 1], lw=1.4, marker=".", ms=2,
                          label=label + (" (diverged)" if run.diverged else ""))
        ax_gap.semilogy(np.maximum(run.gap, 1e-16), color=line.get_color(), ls=line.get_linestyle(), lw=1.4)
    ax.plot(*surface.start, marker="o", color="k", ms=5, ls="none")
    ax.legend(fontsize=9, loc="lower right")
    ax.set_title(title or surface.name, fontsize=10)
    ax_gap.set(xlabel="step", ylabel="f - f*  (log scale)")
    ax_gap.grid(alpha=0.3)
    fig.tight_layout()
    return fig
