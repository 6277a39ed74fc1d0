r"""Notebook 04's interactive pieces: a neuron's graph with live gradients, and an MLP training session.

* :class:`NeuronGraphApp` (an :class:`~helpers.ui.widgets.App`): sliders for the inputs, weights,
  bias and target of one neuron :math:`L = (\phi(w_1x_1 + w_2x_2 + b) - t)^2`; the drawn graph
  shows every node's forward value and backward gradient, updated on each move.
* :class:`TrainingSession`: an MLP trained by :mod:`helpers.autograd.tensor` on two moons, with the
  decision boundary and the loss curve redrawn in place; driven by
  :class:`~helpers.ui.player.TrainingPlayer` (play / pause / step, learning rate changeable mid-run).
* :func:`compare_figure`: the engine's model and PyTorch's, side by side.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from helpers.ui.backdrop import Backdrop, decades, grown
from helpers.autograd.tensor import Tensor
from helpers.core.data import make_moons
from helpers.autograd.graph import GraphDrawing
from helpers.autograd.modules import MLP, SGD, cross_entropy
from helpers.core.plotting import grid_2d, plot_decision_boundary
from helpers.core.checks import check_array, check_choice, check_range
from helpers.ui.widgets import App, dropdown, float_slider
from helpers.core.figures import new_figure

__all__ = ["NeuronGraphApp", "neuron_graph", "TrainingSession", "compare_figure"]


def neuron_graph(x1: float, x2: float, w1: float, w2: float, b: float, t: float,
                 activation: str = "tanh") -> dict[str, Tensor]:
    r"""Build :math:`L = (\phi(w_1x_1 + w_2x_2 + b) - t)^2` with engine tensors and run ``backward``.

    Returns the named tensors (``"x1" … "b"``, ``"z"``, ``"a"``, ``"L"``) with values and gradients.
    """
    check_choice(activation, "activation", ["tanh", "sigmoid", "relu"])
    leaves = {k: Tensor(float(v), name=k) for k, v in dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b).items()}
    z = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    a = getattr(z, activation)()
    loss = (a - Tensor(float(t), requires_grad=False, name="t")) ** 2
    z.name, a.name, loss.name = "z", "a", "L"
    loss.backward()
    return dict(leaves, z=z, a=a, L=loss)


class NeuronGraphApp(App):
    """One neuron as a computational graph: move an input or a weight, watch values flow forward
    and gradients flow backward through every node."""

    def __init__(self) -> None:
        self.drawing = GraphDrawing(neuron_graph(**self._start())["L"], width=8.0, height=3.4, fixed_boxes=True)
        self.fig = self.drawing.fig
        # boxes and arrows drawn once (each box fits any value): a move redraws only the labels
        self.backdrop = Backdrop(self.fig, self.drawing.dynamic)
        self.backdrop.capture()

    @staticmethod
    def _start() -> dict[str, Any]:
        return dict(x1=2.0, x2=0.5, w1=-1.0, w2=1.5, b=0.5, t=1.0, activation="tanh")

    def controls(self) -> dict[str, W.ValueWidget]:
        s = self._start()
        return {"x1": float_slider(s["x1"], -3, 3, 0.1, "x₁", unit="input"),
                "x2": float_slider(s["x2"], -3, 3, 0.1, "x₂", unit="input"),
                "w1": float_slider(s["w1"], -3, 3, 0.1, "w₁", unit="weight"),
                "w2": float_slider(s["w2"], -3, 3, 0.1, "w₂", unit="weight"),
                "b": float_slider(s["b"], -3, 3, 0.1, "b", unit="bias"),
                "t": float_slider(s["t"], -1, 1, 0.1, "t", unit="target"),
                "activation": dropdown(["tanh", "sigmoid", "relu"], s["activation"], "activation φ")}

    def update(self, x1: float = 2.0, x2: float = 0.5, w1: float = -1.0, w2: float = 1.5, b: float = 0.5,
               t: float = 1.0, activation: str = "tanh") -> str:
        g = neuron_graph(x1, x2, w1, w2, b, t, activation)
        self.drawing.update(g["L"])
        z, a = g["z"].item(), g["a"].item()
        grads = ", ".join(f"∂L/∂{k} = {float(g[k].grad) + 0.0:.3g}" for k in ("w1", "w2", "b"))
        text = f"L = {g['L'].item():.3g}; {grads}"
        slope = {"tanh": 1 - a * a, "sigmoid": a * (1 - a), "relu": float(z > 0)}[activation]  # dφ/dz
        if activation == "relu" and z <= 0:
            return text + f". ReLU is off (z = {z:.2g} ≤ 0): no gradient reaches the weights or the bias."
        if slope < 0.05:
            return text + (f". {activation} is saturated (z = {z:.2g}): its slope dφ/dz = {slope:.2g} "
                           "nearly blocks the gradient.")
        if abs(a - t) < 1e-12:
            return text + ". The output equals the target: the loss and every gradient are 0."
        return text + "."


class TrainingSession:
    """An MLP trained with :mod:`helpers.autograd.tensor` on two moons, drawn in place for a TrainingPlayer.

    Args:
        sizes: layer widths (input 2, output 2).
        activation: hidden activation (``"tanh"``, ``"relu"`` or ``"sigmoid"``).
        n, noise, data_seed: the two-moons dataset.
        seed: initialisation seed (``MLP(sizes, activation, seed)`` rebuilds the same start).
        grid: resolution of the decision-boundary image.

    Shape: ``X`` (N, 2), ``y`` (N,).
    """

    def __init__(self, sizes: Sequence[int] = (2, 16, 16, 2), activation: str = "tanh", n: int = 200,
                 noise: float = 0.2, data_seed: int = 0, seed: int = 0, grid: int = 60) -> None:
        if sizes[0] != 2 or sizes[-1] != 2:
            raise ValueError(f"sizes must start and end with 2 (2-D points, 2 classes), got {list(sizes)}")
        self.sizes, self.activation, self.seed = list(sizes), activation, seed
        self.X, self.y = make_moons(n, noise=noise, seed=data_seed)
        self.fig = new_figure(8.0, 3.2)
        ax_b, self.ax_loss = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        lo, hi = self.X.min(axis=0) - 0.5, self.X.max(axis=0) + 0.5  # the margin plot_decision_boundary uses
        self._grid = grid_2d((lo[0], hi[0]), (lo[1], hi[1]), grid)[2]  # (grid², 2)
        self.reset()
        self.image = plot_decision_boundary(ax_b, self._p1, self.X, self.y, n=grid, title="P(class 1)")
        (self.line,) = self.ax_loss.plot([], [], lw=1.5)
        self.ax_loss.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="training loss")
        self.ax_loss.grid(alpha=0.3)
        self.ax_loss.set(xlim=(0, 50), ylim=(0.1, 1))
        self.fig.colorbar(self.image, ax=ax_b, fraction=0.046, pad=0.03)  # the scale of P(class 1)
        self.fig.tight_layout()
        # axes, ticks and titles drawn once; a frame draws the boundary, the points and the curve
        self.backdrop = Backdrop(self.fig, [self.image, *ax_b.collections, self.line])
        self.backdrop.capture()

    def snapshot(self) -> Figure:
        """A fresh static figure of the current state (the boundary and the loss so far), for a
        stored notebook output; the player's own figure caches its background for fast redraws."""
        fig = new_figure(8.0, 3.2)
        ax_b, ax_l = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        img = plot_decision_boundary(ax_b, self._p1, self.X, self.y, n=80, title="P(class 1)")
        ax_l.plot(np.arange(len(self.losses)), self.losses, lw=1.5)
        ax_l.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="training loss")
        ax_l.grid(alpha=0.3, which="both")
        fig.colorbar(img, ax=ax_b, fraction=0.046, pad=0.03)
        fig.tight_layout()
        return fig

    def _p1(self, pts: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(pts)[:, 1]

    def reset(self) -> None:
        """A fresh model with the same seeded initial weights, and an empty history."""
        self.model = MLP(self.sizes, self.activation, seed=self.seed)
        self.optimizer = SGD(self.model.parameters(), lr=0.1)
        self.losses: list[float] = []

    def step(self, lr: float) -> float:
        """One full-batch gradient step at learning rate ``lr``; returns the loss before the step."""
        self.optimizer.lr = check_range(lr, "lr", 0.0, None, low_inclusive=False)
        loss = cross_entropy(self.model(self.X), self.y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        return self.losses[-1]

    def accuracy(self) -> float:
        """Fraction of training points classified correctly."""
        return float(np.mean(self.model.predict_proba(self.X).argmax(axis=1) == self.y))

    def draw(self) -> str:
        """Redraw the boundary and the loss curve in place; return the status in words."""
        p1 = self._p1(self._grid)
        self.image.set_data(p1.reshape(self.image.get_array().shape))  # (grid², ) -> (grid, grid)
        ys = np.asarray(self.losses) if self.losses else np.array([np.nan])
        self.line.set_data(np.arange(len(ys)), ys)
        finite = ys[np.isfinite(ys)]
        if finite.size:
            self.backdrop.set_limits(self.ax_loss, xlim=(0, grown(len(ys), 50)),
                                     ylim=decades(max(finite.min(), 1e-4), finite.max()))
        else:  # after a reset: back to the initial view
            self.backdrop.set_limits(self.ax_loss, xlim=(0, 50), ylim=(0.1, 1))
        return self.status()

    def status(self) -> str:
        """One line: loss and accuracy, plus a diagnosis when training is unstable or stuck."""
        if not self.losses:
            return f"ready: untrained accuracy {self.accuracy():.0%}; press play or step"
        first, last, peak = self.losses[0], self.losses[-1], max(self.losses)
        text = f"loss {last:.3g}, train accuracy {self.accuracy():.1%}"
        if peak > 3 * first:
            k = int(np.argmax(self.losses))
            advice = ("before settling; a smaller learning rate trains more smoothly" if last < first else
                      "and has not recovered; the learning rate is too high: lower it and reset")
            return text + f". Unstable: the loss jumped to {peak:.3g} at step {k} (it started at {first:.2g}) {advice}."
        window = self.losses[-50:]
        if len(self.losses) >= 50 and window[-1] > 0.95 * window[0] and last > 0.2:
            dead = " (with ReLU, dead units may also block it: reset)" if self.activation == "relu" else ""
            return text + (f". Slow: the loss fell only {1 - window[-1] / window[0]:.1%} in the last 50 steps; "
                           f"raise the learning rate{dead}.")
        return text


def compare_figure(engine_predict: Callable[[np.ndarray], np.ndarray], torch_predict: Callable[[np.ndarray], np.ndarray],
                   X: np.ndarray, y: np.ndarray, engine_losses: Sequence[float], torch_losses: Sequence[float]) -> Figure:
    """Two decision boundaries (ours, PyTorch's) and both loss curves, side by side.

    ``*_predict`` map points (M, 2) to P(class 1), shape (M,).
    """
    X = check_array(X, "X", ndim=2, shape=(None, 2))
    a = check_array(engine_losses, "engine_losses", ndim=1, finite=False)
    b = check_array(torch_losses, "torch_losses", ndim=1, finite=False)
    fig = new_figure(10.0, 3.0)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.2, 1]})
    img = plot_decision_boundary(ax1, engine_predict, X, y, n=80, title="our engine: P(class 1)")
    plot_decision_boundary(ax2, torch_predict, X, y, n=80, title="PyTorch: P(class 1)")
    ax3.plot(a, lw=4, alpha=0.5, label="our engine")
    ax3.plot(b, "k--", lw=1, label="PyTorch")
    ax3.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="training loss\n(the two curves coincide)")
    ax3.legend(fontsize=9)
    if img is not None:  # one scale for both boundary panels, drawn next to the second
        fig.colorbar(img, ax=ax2, fraction=0.06, pad=0.03, label="P(class 1)")
    fig.tight_layout()
    return fig
