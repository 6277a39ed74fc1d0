"""Plots shared by the chapters: a live training plot and 2-D decision boundaries.

All figures are ``matplotlib.figure.Figure`` objects made with :func:`helpers.core.figures.new_figure`
(not pyplot), so a notebook shows exactly what it displays and nothing twice.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, ListedColormap
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_range, check_type
from helpers.core.figures import (CLASS_COLOURS, LINESTYLES, MARKERS, PALETTE, new_figure,
                                  show_figure)

__all__ = ["LivePlot", "grid_2d", "plot_decision_boundary", "CLASS_COLOURS", "BINARY_CMAP"]

# P(class 1) from class 0's colour through white (undecided, 0.5) to class 1's: the shading of a
# region matches the markers of the class it predicts.
BINARY_CMAP = LinearSegmentedColormap.from_list("course_binary", [CLASS_COLOURS[0], "#FFFFFF", CLASS_COLOURS[1]])



class LivePlot:
    """A training-curve figure that updates in place while a loop runs.

    In Jupyter the figure is displayed once and then replaced through its display handle every
    ``every`` calls to :meth:`update`, so a long loop shows progress without scrolling. Outside
    Jupyter (tests, scripts) ``show=False`` records the values only.

    Args:
        metrics: names of the series, e.g. ``["train loss", "val loss"]``; series whose name
            contains "acc" go on a second panel.
        every: redraw every this many updates (the final :meth:`close` always redraws).
        logy: log scale for the loss panel.
        title: figure title.

    Example:
        >>> plot = LivePlot(["train loss"], show=False)
        >>> for step in range(3):
        ...     plot.update(step, **{"train loss": 1.0 / (step + 1)})
        >>> plot.history["train loss"]
        [1.0, 0.5, 0.3333333333333333]
    """

    def __init__(self, metrics: list[str], every: int = 10, logy: bool = False, title: str = "",
                 show: bool = True, width: float = 7.0, height: float = 3.0) -> None:
        if not metrics:
            raise ValueError("LivePlot needs at least one metric name, got an empty list")
        self.metrics = list(metrics)
        self.every = max(1, int(every))
        self.history: dict[str, list[float]] = {m: [] for m in self.metrics}
        self.steps: dict[str, list[int]] = {m: [] for m in self.metrics}
        self._count = 0
        acc = [m for m in self.metrics if "acc" in m.lower()]
        loss = [m for m in self.metrics if m not in acc]
        panels = [p for p in (loss, acc) if p]
        self.fig = new_figure(width, height)
        axes = self.fig.subplots(1, len(panels), squeeze=False)[0]
        self._lines = {}
        for ax, names in zip(axes, panels):
            for name in names:
                i = self.metrics.index(name)
                (self._lines[name],) = ax.plot([], [], label=name, color=PALETTE[i % len(PALETTE)],
                                               linestyle=LINESTYLES[i % len(LINESTYLES)])
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
            ax.legend(loc="best")
            if names is loss and logy:
                ax.set_yscale("log")
        axes[0].set_ylabel("loss" if loss else "accuracy")
        if acc and loss:
            axes[-1].set_ylabel("accuracy")
        if title:
            self.fig.suptitle(title)
        self.fig.tight_layout()
        self._axes = axes
        self.title = title
        self._handle = None
        if show:
            try:
                from IPython.display import display

                self._handle = display(show_figure(self.fig, self.alt_text()), display_id=True)
            except ImportError:  # pragma: no cover
                self._handle = None

    def update(self, step: int, /, **values: float) -> None:
        """Record ``values`` (metric name -> number) at ``step``; redraw every ``every`` calls."""
        unknown = set(values) - set(self.metrics)
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}; this plot has {self.metrics}")
        for name, value in values.items():
            self.history[name].append(float(value))
            self.steps[name].append(int(step))
        self._count += 1
        if self._count % self.every == 0:
            self.redraw()

    def redraw(self) -> None:
        for name, line in self._lines.items():
            ys = np.asarray(self.history[name], dtype=float)
            line.set_data(self.steps[name], np.where(np.isfinite(ys), ys, np.nan))
        for ax in self._axes:
            ax.relim()
            ax.autoscale_view()
        if self._handle is not None:
            self._handle.update(show_figure(self.fig, self.alt_text()))

    def alt_text(self) -> str:
        """One sentence for the stored figure: what it plots and where each series ended."""
        what = f"{self.title}: " if self.title else "training curves: "
        x = self._axes[0].get_xlabel() or "step"  # a caller may count epochs instead
        ends = []
        for name in self.metrics:
            if self.history[name]:
                ends.append(f"{name} {self.history[name][-1]:.3g} at {x} {self.steps[name][-1]}")
        if not ends:
            return what + ", ".join(self.metrics) + f" against the {x} (no values yet)."
        return what + ", ".join(self.metrics) + f" against the {x}; last values: " + "; ".join(ends) + "."

    def close(self) -> None:
        """Final redraw (call after the loop)."""
        self.redraw()


def grid_2d(x_range: tuple[float, float], y_range: tuple[float, float], n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular grid over a 2-D box.

    Returns:
        ``xx``, ``yy`` of shape (n, n) and the points ``xy`` of shape (n*n, 2).
    """
    x_range = check_array(x_range, "x_range", shape=(2,))
    y_range = check_array(y_range, "y_range", shape=(2,))
    check_range(n, "n", 1, 10_000, integer=True)
    xs = np.linspace(*x_range, n)
    ys = np.linspace(*y_range, n)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(ax: Any, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                           y: np.ndarray, n: int = 150, margin: float = 0.5, title: str = "") -> Any:
    """Draw class regions of ``predict`` (points (M, 2) -> class scores (M,) or (M, K)) and the data.

    Binary scores in (M,) are read as P(class 1) and drawn as a smooth probability map; (M, K)
    scores are drawn as the arg-max class. Returns the image artist.
    """
    check_type(ax, "ax", Axes, "a matplotlib Axes")
    check_range(n, "n", 2, 10_000, integer=True)
    X = check_array(X, "X", ndim=2, shape=(None, 2))
    y = check_array(y, "y", ndim=1, shape=(X.shape[0],), dtype="int")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy, pts = grid_2d((lo[0], hi[0]), (lo[1], hi[1]), n)
    scores = np.asarray(predict(pts))
    extent = (lo[0], hi[0], lo[1], hi[1])
    if scores.ndim == 1:
        img = ax.imshow(scores.reshape(n, n), origin="lower", extent=extent, cmap=BINARY_CMAP,
                        vmin=0, vmax=1, alpha=0.5, aspect="auto")
    else:
        img = ax.imshow(scores.argmax(axis=1).reshape(n, n), origin="lower", extent=extent,
                        cmap=ListedColormap(CLASS_COLOURS), vmin=-0.5, vmax=len(CLASS_COLOURS) - 0.5,
                        alpha=0.35, aspect="auto", interpolation="nearest")
    for k in np.unique(y):  # colour and marker both say the class
        pts_k = X[y == k]
        ax.scatter(pts_k[:, 0], pts_k[:, 1], color=CLASS_COLOURS[k % len(CLASS_COLOURS)],
                   marker=MARKERS[k % len(MARKERS)], s=14, edgecolors="white", linewidths=0.4,
                   label=f"class {k}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if title:
        ax.set_title(title)
    return img
