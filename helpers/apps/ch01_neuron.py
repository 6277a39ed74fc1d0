"""Notebook 01's widget: one neuron's output over the input plane, driven by w1, w2, b and f."""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers.basics.neuron import NEURON_ACTIVATIONS, logic_gate, neuron_forward, perceptron_predict
from helpers.core.plotting import CLASS_COLOURS, grid_2d
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, float_slider
from helpers.core.figures import DIVERGING_CMAP, MARKERS, SEQUENTIAL_CMAP, new_figure
from matplotlib.markers import MarkerStyle

_LIMITS = (-1.0, 2.0)        # the input plane shown, in both x1 and x2
_Z_RANGE = (-6.0, 6.0)       # the pre-activation axis of the right panel
_COLOUR_RANGE = {"step": (0, 1), "sigmoid": (0, 1), "tanh": (-1, 1), "relu": (0, 3), "identity": (-3, 3)}


def _marker_path(marker: str):
    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform())


class NeuronExplorer(App):
    """a = f(w1·x1 + w2·x2 + b) over the plane: the colours are the output, the dashed line is the
    decision boundary z = 0, the arrow is the weight vector (it points to where z grows), and the
    right panel places the four inputs of a logic gate on the activation curve."""

    def __init__(self, n: int = 121) -> None:
        self.xx, self.yy, self.grid = grid_2d(_LIMITS, _LIMITS, n)
        self.fig = new_figure(7.6, 3.4)
        self.ax, self.ax_f = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.image = self.ax.imshow(np.zeros((n, n)), origin="lower", extent=(*_LIMITS, *_LIMITS),
                                    cmap=DIVERGING_CMAP, vmin=0, vmax=1, aspect="equal")
        self.fig.colorbar(self.image, ax=self.ax, fraction=0.046, pad=0.04, label="output a")
        (self.boundary,) = self.ax.plot([], [], "k--", lw=1.5, label="boundary z = 0")
        self.arrow = self.ax.annotate("", xy=(0, 0), xytext=(0.5, 0.5),
                                      arrowprops={"arrowstyle": "->", "lw": 2, "color": "k"})
        X, _ = logic_gate("AND")
        self.points = self.ax.scatter(X[:, 0], X[:, 1], s=90, edgecolors="k", zorder=3)
        self.ax.set(xlim=_LIMITS, ylim=_LIMITS, xlabel="x1", ylabel="x2", title="output over the inputs")
        self.z = np.linspace(*_Z_RANGE, 300)
        (self.curve,) = self.ax_f.plot(self.z, np.zeros_like(self.z), lw=2)
        self.dots = self.ax_f.scatter(np.zeros(4), np.zeros(4), s=60, edgecolors="k", zorder=3)
        self.ax_f.axvline(0, color="grey", lw=0.8)
        self.ax_f.set(xlim=_Z_RANGE, xlabel="z = w·x + b", ylabel="a = f(z)", title="activation")
        self.ax_f.grid(alpha=0.3)
        self.fig.tight_layout()
        # axes, colour bar and ticks drawn once per activation (its colour range and curve axis),
        # all of them now, so that switching activations later only swaps pixels
        self.backdrop = Backdrop(self.fig, [self.image, self.boundary, self.arrow, self.points,
                                            self.curve, self.dots])
        for activation in [*NEURON_ACTIVATIONS, "sigmoid"]:
            self._use_activation(activation)

    def _use_activation(self, activation: str) -> None:
        """The static layer (colour bar, right panel's y range) and colour map for ``activation``."""
        lo, hi = _COLOUR_RANGE[activation]

        def prepare() -> None:
            self.image.set_clim(lo, hi)
            # signed or centred outputs get the diverging map; ReLU's 0..3 is one-sided, so sequential
            self.image.set_cmap(SEQUENTIAL_CMAP if activation == "relu" else DIVERGING_CMAP)
            self.ax_f.set_ylim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))

        self.backdrop.use_layer(activation, prepare)

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"w1": float_slider(1.0, -3.0, 3.0, 0.1, "weight w1"),
                "w2": float_slider(1.0, -3.0, 3.0, 0.1, "weight w2"),
                "b": float_slider(-1.5, -3.0, 3.0, 0.1, "bias b"),
                "activation": dropdown(list(NEURON_ACTIVATIONS), "sigmoid", "activation f"),
                "gate": dropdown(["AND", "OR", "NAND", "XOR"], "AND", "logic gate")}

    def update(self, w1: float = 1.0, w2: float = 1.0, b: float = -1.5, activation: str = "sigmoid",
               gate: str = "AND") -> str:
        w = np.array([w1, w2], dtype=np.float64)
        out, _ = neuron_forward(self.grid, w, b, activation)
        lo, hi = _COLOUR_RANGE[activation]
        self._use_activation(activation)
        self.image.set_data(np.clip(out, lo, hi).reshape(self.xx.shape))  # (n*n,) -> (n, n)
        self._draw_boundary(w, b)
        self.curve.set_ydata(neuron_forward(self.z[:, None], np.ones(1), 0.0, activation)[0])  # (Z,) -> (Z, 1)
        X, y = logic_gate(gate)
        colours = [CLASS_COLOURS[k] for k in y]
        shapes = [_marker_path(MARKERS[k]) for k in y]   # the class is told by shape as well as colour
        self.points.set_facecolors(colours)
        self.points.set_paths(shapes)
        z = np.clip(X @ w + b, *_Z_RANGE)
        a, _ = neuron_forward(z[:, None], np.ones(1), 0.0, activation)  # (4,) -> (4, 1) -> (4,)
        self.dots.set_offsets(np.column_stack([z, np.clip(a, lo, hi)]))  # (4, 2)
        self.dots.set_facecolors(colours)
        self.dots.set_paths(shapes)
        correct = int(np.sum(perceptron_predict(X, w, b) == y))
        formula = f"z = {w1:.1f}·x1 {w2:+.1f}·x2 {b:+.1f}"
        if w1 == 0 and w2 == 0:
            return (f"{formula}: with w = 0 the output is the same everywhere (z = b), so there is no "
                    f"boundary; {gate}: {correct}/4 correct")
        solved = "solved!" if correct == 4 else "not yet"
        return f"{formula}; class 1 where z > 0; {gate}: {correct}/4 correct ({solved})"

    def _draw_boundary(self, w: np.ndarray, b: float) -> None:
        t = np.array(_LIMITS)
        if abs(w[1]) > 1e-9:      # solve w1 x1 + w2 x2 + b = 0 for x2
            self.boundary.set_data(t, -(w[0] * t + b) / w[1])
        elif abs(w[0]) > 1e-9:    # a vertical line x1 = -b / w1
            self.boundary.set_data([-b / w[0]] * 2, t)
        else:
            self.boundary.set_data([], [])
        norm = np.linalg.norm(w)
        centre = np.array([0.5, 0.5])
        tip = centre + 0.6 * w / norm if norm > 0 else centre
        self.arrow.xy, self.arrow.xyann = tuple(tip), tuple(centre)
