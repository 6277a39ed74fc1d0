r"""Notebook 08's explorer: weight decay and dropout taming an over-parameterised fit.

The model is a one-hidden-layer network with 100 ReLU units whose first layer is frozen at random
weights (a "random-feature" network), fitted to 20 noisy points of :math:`\sin 3x`. Its read-out
layer trained with dropout on the hidden units and weight decay has a closed form
(:func:`helpers.training.regularization.dropout_ridge`), so every slider move refits it exactly in a
millisecond: no training loop, no waiting, and what you see is the average effect of dropout.
"""
from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import matplotlib.ticker as mticker
import numpy as np

from helpers.training.regularization import dropout_ridge
from helpers.ui.widgets import App, float_slider, log_slider
from helpers.core.figures import new_figure
from helpers.ui.backdrop import Backdrop

__all__ = ["RandomFeatureProblem", "random_feature_problem", "fit_curves", "RegularizationExplorer"]


@dataclass(frozen=True)
class RandomFeatureProblem:
    """Noisy samples of ``target`` and the frozen hidden layer's features for them."""

    x_train: np.ndarray    # (N,)
    y_train: np.ndarray    # (N,)
    x_val: np.ndarray      # (M,)
    y_val: np.ndarray      # (M,)
    hidden_w: np.ndarray   # (D,) first-layer weights, frozen
    hidden_b: np.ndarray   # (D,) first-layer biases, frozen
    noise: float

    def features(self, x: np.ndarray) -> np.ndarray:
        """ReLU features, (len(x),) -> (len(x), D)."""
        return np.maximum(0.0, np.outer(x, self.hidden_w) + self.hidden_b)

    @staticmethod
    def target(x: np.ndarray) -> np.ndarray:
        return np.sin(3 * x)


def random_feature_problem(n_train: int = 20, n_features: int = 100, noise: float = 0.25,
                           seed: int = 0) -> RandomFeatureProblem:
    """20 training points (by default) and 200 validation points on [-1, 1], seeded."""
    rng = np.random.default_rng(seed)
    x_train = np.sort(rng.uniform(-1, 1, n_train))
    x_val = np.sort(rng.uniform(-1, 1, 200))
    hidden_w = rng.normal(0, 4, n_features)
    hidden_b = rng.uniform(-4, 4, n_features)  # kinks at -b/w, many of them inside [-1, 1]
    f = RandomFeatureProblem.target
    return RandomFeatureProblem(x_train, f(x_train) + noise * rng.normal(size=n_train), x_val,
                                f(x_val) + noise * rng.normal(size=200), hidden_w, hidden_b, noise)


def fit_curves(problem: RandomFeatureProblem, weight_decays: np.ndarray, p: float,
               features: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation MSE of the dropout + weight-decay read-out for each weight decay, (L,) each.

    ``features`` may pass the precomputed (train, validation) features to skip recomputing them.
    """
    phi_tr, phi_val = features or (problem.features(problem.x_train), problem.features(problem.x_val))
    train, val = [], []
    for lam in weight_decays:
        w = dropout_ridge(phi_tr, problem.y_train, float(lam), p)
        train.append(np.mean((phi_tr @ w - problem.y_train) ** 2))
        val.append(np.mean((phi_val @ w - problem.y_val) ** 2))
    return np.array(train), np.array(val)


class RegularizationExplorer(App):
    """The fitted curve (left) and train/validation error against weight decay (right)."""

    GRID = np.logspace(-6, 1, 22)

    def __init__(self) -> None:
        self.problem = pb = random_feature_problem()
        self.xs = np.linspace(-1, 1, 300)
        self.phi_xs = pb.features(self.xs)
        self.feats = (pb.features(pb.x_train), pb.features(pb.x_val))
        self.fig = new_figure(8.0, 3.3)
        self.ax, self.ax_err = self.fig.subplots(1, 2)
        self.ax.plot(self.xs, pb.target(self.xs), "k--", lw=1, label="true sin 3x")
        self.ax.plot(pb.x_val, pb.y_val, ".", color="0.75", ms=3, label="validation")
        self.ax.plot(pb.x_train, pb.y_train, "o", color="C0", ms=5, label="training (20)")
        (self.fit,) = self.ax.plot(self.xs, np.zeros_like(self.xs), color="C3", lw=2, label="fit")
        self.ax.set(xlim=(-1, 1), ylim=(-2.5, 2.5), xlabel="x", ylabel="y")
        # above the axes: inside, it would cover the wild fits it is meant to explain
        self.ax.legend(fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        (self.train_curve,) = self.ax_err.loglog(self.GRID, np.ones_like(self.GRID), color="C0", label="train")
        (self.val_curve,) = self.ax_err.loglog(self.GRID, np.ones_like(self.GRID), color="C3", ls="--", label="validation")
        (self.marker,) = self.ax_err.loglog([1e-3], [1.0], "ko", ms=6)
        self.ax_err.axhline(pb.noise ** 2, color="0.5", ls=":", lw=1, label="noise level")
        self.ax_err.set(xlabel="weight decay λ", ylabel="mean squared error", ylim=(3e-3, 3.0))
        self.title = self.ax_err.text(0.5, 1.03, "", transform=self.ax_err.transAxes, ha="center", fontsize=9)
        self.ax_err.legend(fontsize=9, loc="upper right")
        for axis in (self.ax_err.xaxis, self.ax_err.yaxis):  # tick text is most of a redraw's cost
            axis.set_major_locator(mticker.LogLocator(numticks=5))
            axis.set_minor_locator(mticker.NullLocator())
        self.fig.tight_layout(rect=(0, 0, 1, 0.95))
        # the data, axes and legends never change: draw them once (see helpers/ui/backdrop.py)
        self.backdrop = Backdrop(self.fig, [self.fit, self.train_curve, self.val_curve, self.marker, self.title])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"weight_decay": log_slider(1e-6, 1e-6, 10.0, "weight decay λ"),
                "dropout": float_slider(0.0, 0.0, 0.9, 0.05, "dropout p", unit="drop probability")}

    def update(self, weight_decay: float = 1e-6, dropout: float = 0.0) -> str:
        pb = self.problem
        w = dropout_ridge(self.feats[0], pb.y_train, weight_decay, dropout)
        self.fit.set_ydata(np.clip(self.phi_xs @ w, -10, 10))  # keep wild fits drawable
        train, val = fit_curves(pb, self.GRID, dropout, self.feats)
        self.train_curve.set_ydata(np.maximum(train, 1e-6))
        self.val_curve.set_ydata(val)
        tr, va = fit_curves(pb, np.array([weight_decay]), dropout, self.feats)
        self.marker.set_data([weight_decay], [va[0]])
        self.title.set_text(f"dropout p = {dropout:.2f}")
        noise = pb.noise ** 2
        if tr[0] < 0.7 * noise and va[0] > 1.5 * noise:
            verdict = "overfitting: the fit chases the noise in the training points"
        elif tr[0] > 2 * noise:
            verdict = "underfitting: too much regularization, even the training points are missed"
        else:
            verdict = "a good balance"
        return (f"λ = {weight_decay:.1e}, p = {dropout:.2f}: train MSE {tr[0]:.3f}, "
                f"validation MSE {va[0]:.3f} ({verdict})")
