"""Notebook 02's widget (N hidden ReLU units fitting a 1-D target) and its static figures."""
from __future__ import annotations

from typing import Sequence

import ipywidgets as W
import numpy as np
from matplotlib import rcParams
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LinearLocator, NullFormatter
from matplotlib.transforms import offset_copy

from helpers.basics.mlp import TARGETS, Layer, fit_relu_network, mlp_trace, rms_error, target_function
from helpers.core.plotting import CLASS_COLOURS, grid_2d
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, int_slider
from helpers.core.figures import MARKERS, PALETTE, SEQUENTIAL_CMAP, new_figure

_MAX_UNITS = 64
_ERR_TICKS = (-1.0, -0.5, 0.0, 0.5, 1.0)   # the error axis' ticks, as fractions of its half-height


class UniversalApproximator(App):
    """f(x) = Σ v_i ReLU(s_i (x − c_i)) + v_0 with N units, output weights by least squares.

    Left: the target (grey), the network (blue) and each unit's scaled contribution v_i ReLU(·)
    (thin lines; kinks marked on the axis). Right: the error of the fit along x.
    """

    def __init__(self, n_points: int = 400) -> None:
        self.x = np.linspace(-1.0, 1.0, n_points)
        self.fig = new_figure(7.6, 3.2)
        self.ax, self.ax_err = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        # every unit's contribution in one artist: one draw call however many units there are
        self.parts = self.ax.add_collection(LineCollection([], linestyles="-", linewidths=0.7, alpha=0.5,
                                                           colors=PALETTE[1]))
        (self.target_line,) = self.ax.plot(self.x, np.zeros_like(self.x), color="grey", lw=4, alpha=0.5,
                                           label="target")
        (self.fit_line,) = self.ax.plot(self.x, np.zeros_like(self.x), color=PALETTE[0], ls="-", lw=2,
                                        label="network")
        (self.kinks,) = self.ax.plot([], [], "|", color="k", ms=10)
        self.ax.set(xlim=(-1, 1), xlabel="x", ylabel="f(x)")
        self.ax.legend(loc="upper right", fontsize=9)
        (self.err_line,) = self.ax_err.plot(self.x, np.zeros_like(self.x), color=PALETTE[3])
        self.ax_err.set(xlim=(-1, 1), ylim=(-1, 1), xlabel="x", title="network − target")
        self.ax_err.grid(alpha=0.3)
        # The error axis is ±span with ticks at fixed fractions of it (-1, -1/2, 0, 1/2, 1), so its
        # ticks and grid lines stay where they are whatever the span: only their labels (texts
        # drawn with the curves) change, and a new span needs no new static layer.
        self.ax_err.yaxis.set_major_locator(LinearLocator(len(_ERR_TICKS)))
        self.ax_err.yaxis.set_major_formatter(FuncFormatter(lambda *_: "−0.0025"))  # the widest label, for the layout
        self.ax.set_ylim(-1.5, 1.6)
        self.fig.tight_layout()
        self.ax_err.yaxis.set_major_formatter(NullFormatter())
        pad = rcParams["ytick.major.size"] + rcParams["ytick.major.pad"]
        at_ticks = offset_copy(self.ax_err.transAxes, self.fig, x=-pad, units="points")
        self.err_labels = [self.ax_err.text(0, (f + 1) / 2, "", transform=at_ticks, ha="right", va="center",
                                            fontsize=rcParams["ytick.labelsize"]) for f in _ERR_TICKS]
        # axes and ticks drawn once
        self.backdrop = Backdrop(self.fig, [self.parts, self.target_line, self.fit_line, self.kinks,
                                            self.ax.get_legend(), self.err_line, *self.err_labels])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"n_units": int_slider(8, 1, _MAX_UNITS, "hidden units N", unit="ReLUs"),
                "target": dropdown(list(TARGETS), "wave", "target"),
                # (label, value) pairs rather than a dict: control_extremes reads a dict's labels
                "placement": dropdown([("evenly spaced kinks", "grid"), ("random kinks (seed 0)", "random")],
                                      "grid", "hidden units"),
                "show_units": W.Checkbox(value=True, description="show each unit's contribution")}

    def update(self, n_units: int = 8, target: str = "wave", placement: str = "grid",
               show_units: bool = True) -> str:
        y = target_function(target)(self.x)
        fit = fit_relu_network(self.x, y, int(n_units), placement, rng=np.random.default_rng(0))
        pred = fit.predict(self.x)
        # each unit's contribution v_i ReLU(s_i (x - c_i)) is straight on both sides of its kink c_i,
        # so three points (the ends and the kink) draw it exactly, at a fraction of the cost
        m = len(fit.knots)
        corners = np.column_stack([np.full(m, self.x[0]), np.clip(fit.knots, self.x[0], self.x[-1]),
                                   np.full(m, self.x[-1])])                              # (M, 3)
        H = fit.features(corners.ravel())[:, :-1].reshape(m, 3, m)[np.arange(m), :, np.arange(m)]  # (M, 3)
        H = H * fit.v[:-1, None]
        self.parts.set_visible(bool(show_units))
        self.parts.set_segments(np.stack([corners, H], axis=-1))   # (M, 3, 2): one polyline per unit
        self.target_line.set_ydata(y)
        self.fit_line.set_ydata(pred)
        self.kinks.set_data(fit.knots, np.full(n_units, -1.45))
        err = pred - y
        self.err_line.set_ydata(err)
        span = _nice_span(float(np.abs(err).max()) * 1.1)
        self.ax_err.set_ylim(-span, span)
        for label, f in zip(self.err_labels, _ERR_TICKS):
            label.set_text(f"{f * span:g}".replace("-", "−"))
        rms = rms_error(pred, y)
        units = "unit" if n_units == 1 else "units"
        return (f"N = {n_units} ReLU {units} ({placement} kinks), {n_units + 1} output weights by least "
                f"squares: RMS error {rms:.3g}, worst error {np.abs(err).max():.3g}")


def _nice_span(value: float) -> float:
    """The first of 0.001, 0.002, 0.005, 0.01, 0.02, ... that is >= ``value``: the error axis'
    half-height, with round tick labels at its halves."""
    for exponent in range(-3, 10):
        for mantissa in (1, 2, 5):
            span = float(f"{mantissa}e{exponent}")
            if span >= value:
                return span
    return float("inf") if not np.isfinite(value) else value


# ----------------------------------------------------------------------------- static figures
def _scatter_classes(ax, X: np.ndarray, y: np.ndarray, **kw) -> None:
    """Points coloured *and* shaped by class (class 0: blue circles, class 1: orange squares)."""
    for k in np.unique(y):
        ax.scatter(X[y == k, 0], X[y == k, 1], color=CLASS_COLOURS[k], marker=MARKERS[k],
                   label=f"class {k}", **kw)


def plot_xor_network(layers: Sequence[Layer]) -> Figure:
    """The hand-set XOR network seen from inside: what each hidden unit computes over the input
    plane, where the four inputs land in hidden space (now a line separates them), and the output."""
    xx, yy, grid = grid_2d((-0.5, 1.5), (-0.5, 1.5), 101)
    hidden, out = mlp_trace(grid, layers)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    H = mlp_trace(X, layers)[0]
    fig = new_figure(9.6, 2.9)
    axes = fig.subplots(1, 4)
    maps = [(hidden[:, 0], "hidden unit h1"), (hidden[:, 1], "hidden unit h2"), (None, "hidden space"),
            (out[:, 0], "output f")]
    for ax, (values, title) in zip(axes, maps):
        if values is None:
            _scatter_classes(ax, H, y, s=90, edgecolors="k", zorder=3)
            t = np.array([-0.2, 2.2])
            ax.plot(t, (t - 0.5) / 2, "k--", lw=1)        # the output's boundary h1 - 2 h2 = 0.5
            ax.set(xlim=(-0.3, 2.3), ylim=(-0.3, 1.3), xlabel="h1", ylabel="h2", title=title)
            ax.legend(fontsize=9, loc="upper left")
            continue
        img = values.reshape(xx.shape)  # (n*n,) -> (n, n)
        im = ax.imshow(img, origin="lower", extent=(-0.5, 1.5, -0.5, 1.5), cmap=SEQUENTIAL_CMAP)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        _scatter_classes(ax, X, y, s=60, edgecolors="w", zorder=3)
        ax.set(title=title, xlabel="x1")
    axes[0].set_ylabel("x2")
    fig.tight_layout()
    return fig


def plot_approximation_errors(ns: Sequence[int], errors: dict[str, Sequence[float]], target: str) -> Figure:
    """RMS error against the number of hidden units, log-log, one line per placement of the units."""
    fig = new_figure(5.5, 3.4)
    ax = fig.add_subplot()
    for i, (label, errs) in enumerate(errors.items()):
        ax.loglog(ns, errs, marker=MARKERS[i], label=label)
    ax.set_xticks(list(ns), [str(n) for n in ns])
    ax.minorticks_off()
    ax.set(xlabel="hidden units N", ylabel="RMS error", title=f"fitting the '{target}' target")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_hidden_units(X: np.ndarray, y: np.ndarray, layers: Sequence[Layer], n_show: int = 7) -> Figure:
    """Activation maps of the ``n_show`` hidden units with the largest output weights |v| (one colour
    scale for all, with its colour bar), then the network's decision: each unit only says "which
    side of my line, and how far"; the class emerges from their weighted sum. The data are drawn
    faintly on every map."""
    lo, hi = X.min(axis=0) - 0.3, X.max(axis=0) + 0.3
    xx, _, grid = grid_2d((lo[0], hi[0]), (lo[1], hi[1]), 101)
    hidden, out = mlp_trace(grid, layers)
    weights = layers[-1].W[:, 0]
    top = np.argsort(-np.abs(weights))[:n_show]
    fig = new_figure(9.0, 4.6)
    fig.set_layout_engine("constrained")   # makes room for the two colour bars
    axes = fig.subplots(2, (n_show + 2) // 2).ravel()
    extent = (lo[0], hi[0], lo[1], hi[1])
    top_value = float(hidden[:, top].max())
    for ax, j in zip(axes, top):
        im = ax.imshow(hidden[:, j].reshape(xx.shape), origin="lower", extent=extent, cmap=SEQUENTIAL_CMAP,
                       vmin=0.0, vmax=top_value)  # (n*n,) -> (n, n)
        ax.scatter(X[:, 0], X[:, 1], color="w", s=2, alpha=0.5)
        ax.set_title(f"unit {j}: v = {weights[j]:+.2f}", fontsize=9)
    ax = axes[len(top)]
    two = ListedColormap(CLASS_COLOURS[:2])
    decision = ax.imshow((out[:, 0] > 0).reshape(xx.shape).astype(float), origin="lower", extent=extent,
                         cmap=two, vmin=-0.5, vmax=1.5, alpha=0.45)  # (n, n)
    _scatter_classes(ax, X, y, s=4)
    ax.set_title("network: class 1 where f > 0", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(top) + 1:]:
        ax.set_visible(False)
    fig.colorbar(im, ax=list(axes[:len(top)]), fraction=0.03, pad=0.02, label="unit activation")
    bar = fig.colorbar(decision, ax=axes[len(top)], location="bottom", fraction=0.06, pad=0.03, ticks=[0, 1])
    bar.set_ticklabels(["class 0", "class 1"])
    return fig
