"""Notebook 05's explorer and figures: activation functions and what a deep stack of them does
to the signal going forward and the gradient coming back.

``ActivationExplorer`` (activation x depth) redraws three panels in place: the function and its
derivative, the spread of every layer's activations, and every layer's weight-gradient norm
relative to the last layer's. The static figures of the notebook are plain functions returning a
``Figure``.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from helpers.basics.activations import ACTIVATIONS, get_activation
from helpers.training.deepnet import DeepStackFamily, deep_stack_trace
from helpers.core.checks import check_array, check_range
from helpers.ui.backdrop import Backdrop, decades, grown
from helpers.ui.widgets import App, dropdown, int_slider
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure
from helpers.core.notebook import markdown_table

__all__ = ["ActivationExplorer", "stack_profile", "activation_gallery", "gradient_profile_figure",
           "dead_units_figure", "describe_ratio", "markdown_table", "comparison_table"]

_XS = np.linspace(-4, 4, 401)
_MAX_LAYERS = 24   # static layers the backdrop keeps (one per activation and set of axis ranges; about 2 MB each)
# one colour, line style and marker per activation, the same in every figure of the notebook
_COLOURS = dict(zip(ACTIVATIONS, PALETTE))
_STYLES = dict(zip(ACTIVATIONS, LINESTYLES))
_MARKERS = dict(zip(ACTIVATIONS, MARKERS))


def describe_ratio(ratio: float, limit: float = 1e3) -> str:
    """Words for a first-layer / last-layer gradient ratio: vanished, exploded or healthy."""
    if not np.isfinite(ratio) or ratio == 0:
        return "no gradient reaches the first layer"
    if ratio < 1 / limit:
        return f"vanished ({ratio:.1e}× the last layer's)"
    if ratio > limit:
        return f"exploded ({ratio:.1e}× the last layer's)"
    return f"healthy ({ratio:.2g}× the last layer's)"


def stack_profile(activation: str, depth: int, init: str = "he", width: int = 64, n: int = 128,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Per-layer summary of :func:`helpers.training.deepnet.deep_stack_trace`, each an array of shape (L,):
    ``lo``/``median``/``hi`` (5th/50th/95th percentiles of the activations ``h_l``), ``grad_rms``
    (RMS of the gradient reaching layer l, :math:`\\partial\\mathcal{L}/\\partial h_l`) and
    ``dead`` (fraction of units passing no gradient for any sample)."""
    trace = deep_stack_trace(activation, init, depth=depth, width=width, n=n, seed=seed)
    return {**_forward_profile(trace.activations), **_backward_profile(trace)}


def _forward_profile(activations: list[np.ndarray]) -> dict[str, np.ndarray]:
    """``lo``/``median``/``hi`` of :func:`stack_profile`, one value per layer given."""
    acts = np.stack([h.ravel() for h in activations])       # (L, N*D)
    # every 4th value (2,048 per layer) pins the percentiles down well enough for a plot, 4x faster
    lo, med, hi = np.percentile(acts[:, ::4], [5, 50, 95], axis=1)
    return {"lo": lo, "median": med, "hi": hi}


def _backward_profile(trace) -> dict[str, np.ndarray]:
    """``grad_rms`` and ``dead`` of :func:`stack_profile`."""
    grads = np.stack([g.ravel() for g in trace.grad_activations])  # (L, N*D)
    # With a random upstream signal, dL/dz is exactly 0 only where f'(z) is 0.
    dead = np.array([np.mean(np.all(gz == 0, axis=0)) for gz in trace.grad_preacts])
    return {"grad_rms": np.sqrt(np.mean(grads ** 2, axis=1)), "dead": dead}


def _layer_axis(depth: int) -> int:
    """The layer axis' right end: the first of 10, 25, 50 that holds ``depth`` (few static layers)."""
    return next(end for end in (10, 25, 50, 10 * int(np.ceil(depth / 10))) if end >= depth)


class ActivationExplorer(App):
    """Pick an activation and a depth; see the function, the activations and the gradients per layer.

    The stack is ``depth`` square layers of width 64, He-initialised, fed 128 standard-normal
    inputs, with a standard-normal error signal sent back from the top (so the gradient
    reaching the last layer has RMS 1). Profiles are cached per (activation, depth), and every
    depth of one activation shares one forward pass (:class:`DeepStackFamily`).
    """

    max_depth = 50

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], dict[str, np.ndarray]] = {}
        self._families: dict[str, tuple[DeepStackFamily, dict[str, np.ndarray]]] = {}
        self.fig = new_figure(9, 3.0)
        ax_f, self.ax_h, self.ax_g = self.fig.subplots(1, 3)
        (self.f_line,) = ax_f.plot(_XS, _XS, lw=2, label="f(x)")
        (self.df_line,) = ax_f.plot(_XS, _XS, lw=1.5, ls="--", label="f'(x)")
        ax_f.set(xlim=(-4, 4), ylim=(-1.5, 4), xlabel="x", title="function and derivative",
                 xticks=[-4, 0, 4], yticks=[0, 1])  # few ticks: text layout dominates redraw time
        ax_f.axhline(0, color="grey", lw=0.5)
        ax_f.legend(loc="upper left", fontsize=9)
        layers = np.arange(1, self.max_depth + 1, dtype=float)
        self.band = self.ax_h.fill_between(layers, -np.ones_like(layers), np.ones_like(layers),
                                           alpha=0.3, label="5–95% of values")
        (self.median_line,) = self.ax_h.plot(layers, layers * 0, lw=1.5, label="median")
        self.ax_h.set(xlabel="layer", title="activations h per layer")
        self.ax_h.legend(loc="upper right", fontsize=9)
        (self.grad_line,) = self.ax_g.semilogy(layers, np.ones_like(layers), marker=".", lw=1.5)
        self.ax_g.axhline(1.0, color="grey", lw=0.5)
        self.ax_g.set(xlabel="layer", title="gradient reaching layer (RMS)")
        self.ax_g.yaxis.set_major_locator(LogLocator(numticks=5))
        self.ax_g.yaxis.set_minor_locator(NullLocator())
        for ax in (self.ax_h, self.ax_g):
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        self.fig.tight_layout()
        # The function panel, axes and ticks are static: one layer per (activation, axis ranges),
        # each drawn once and kept. The ranges move in coarse steps (see _limits), so most depth
        # moves redraw only the band and the two curves.
        self.backdrop = Backdrop(self.fig, [self.band, self.median_line, self.ax_h.get_legend(), self.grad_line],
                                 max_layers=_MAX_LAYERS)
        self._use_layer("sigmoid", 20)
        for end in (10, 25, 50):   # what each layer axis needs, so that moving to it costs a drawing only
            self.profile("sigmoid", end)

    def controls(self) -> dict[str, W.ValueWidget]:
        options = [(a.title, name) for name, a in ACTIVATIONS.items()]  # (label, value) pairs
        return {"activation": dropdown(options, "sigmoid", "activation"),
                "depth": int_slider(20, 2, self.max_depth, "depth", unit="layers")}

    def profile(self, activation: str, depth: int) -> dict[str, np.ndarray]:
        """:func:`stack_profile` of ``activation`` at ``depth`` (He init), cached."""
        name = get_activation(activation).name
        key = (name, int(depth))
        if key not in self._cache:
            if name not in self._families:
                family = DeepStackFamily(name, "he", self.max_depth, width=64, n=128, seed=0)
                self._families[name] = (family, _forward_profile(family.activations))
            family, forward = self._families[name]
            self._cache[key] = {**{k: v[:depth] for k, v in forward.items()},
                                **_backward_profile(family.trace(int(depth)))}
        return self._cache[key]

    def _limits(self, activation: str, depth: int) -> tuple:
        """Axis ranges for ``depth`` layers: coarse (a layer axis of 10, 25 or 50, powers of two,
        whole decades) and wide enough for the deepest stack of the same layer axis too, so
        that they rarely change while the depth slider moves within it."""
        end = _layer_axis(depth)
        profs = [self.profile(activation, depth), self.profile(activation, end)]
        lo = min(p["lo"].min() for p in profs)
        hi = max(p["hi"].max() for p in profs)
        g_lo = min(p["grad_rms"].min() for p in profs)
        g_hi = max(p["grad_rms"].max() for p in profs)
        pad = 0.1 * max(hi - lo, 1e-3)
        top, bottom = hi + pad, lo - pad
        y_h = (-grown(-bottom, 1e-3) if bottom < 0 else 0.0, grown(top, 1e-3) if top > 0 else 0.0)
        return (1, end), y_h, decades(min(1e-2, g_lo / 3), max(1e2, g_hi * 3))

    def _use_layer(self, activation: str, depth: int) -> None:
        act = get_activation(activation)
        x_layers, y_h, y_g = self._limits(act.name, depth)

        def prepare() -> None:
            self.f_line.set_ydata(act.fn(_XS))
            self.df_line.set_ydata(act.grad(_XS))
            self.ax_h.set(xlim=x_layers, ylim=y_h)
            self.ax_g.set(xlim=x_layers, ylim=y_g)

        key = (act.name, x_layers, y_h, y_g)
        self.backdrop.use_layer(key, prepare)

    def update(self, activation: str = "sigmoid", depth: int = 20) -> str:
        act = get_activation(activation)
        check_range(depth, "depth", 2, self.max_depth, integer=True)
        prof = self.profile(act.name, depth)
        self._use_layer(act.name, depth)
        layers = np.arange(1, depth + 1, dtype=float)
        lo, hi = prof["lo"], prof["hi"]
        self.band.set_verts([np.column_stack([np.r_[layers, layers[::-1]], np.r_[lo, hi[::-1]]])])
        self.median_line.set_data(layers, prof["median"])
        g = prof["grad_rms"]
        self.grad_line.set_data(layers, np.maximum(g, 1e-30))
        dead = prof["dead"].max()
        dead_text = f"; up to {dead:.0%} of a layer's units dead" if dead > 0 else ""
        return (f"{act.title}, {depth} layers: gradient at layer 1 {describe_ratio(g[0] / g[-1])}"
                f"{dead_text}")


def activation_gallery(names: list[str] | None = None) -> Figure:
    """Every activation (solid) with its derivative (dashed) on [-4, 4], one panel each, and a
    last panel overlaying all the derivatives."""
    names = list(ACTIVATIONS) if names is None else [get_activation(n).name for n in names]
    fig = new_figure(8, 4.2)
    axes = fig.subplots(2, 4, sharex=True).ravel()
    for ax, name in zip(axes, names):
        act = ACTIVATIONS[name]
        ax.plot(_XS, act.fn(_XS), color=_COLOURS[name], lw=2, ls="-")
        ax.plot(_XS, act.grad(_XS), color=_COLOURS[name], lw=1.4, ls="--")
        ax.set(title=act.title, ylim=(-1.5, 3), xticks=[-4, 0, 4])
    last = axes[-1]
    for name in names:
        last.plot(_XS, ACTIVATIONS[name].grad(_XS), color=_COLOURS[name], ls=_STYLES[name], lw=1.4,
                  marker=_MARKERS[name], markevery=(5 * names.index(name), 50), ms=5, mec="k", mew=0.4,
                  label=ACTIVATIONS[name].title)
    last.set(title="all derivatives f'", ylim=(-0.3, 1.3))
    fig.legend(*last.get_legend_handles_labels(), loc="center right", fontsize=9, frameon=False)
    for ax in axes:
        ax.axhline(0, color="grey", lw=0.5)
        ax.grid(alpha=0.3)
    for ax in axes[4:]:
        ax.set_xlabel("x")
    axes[0].plot([], [], color="k", lw=2, ls="-", label="f(x)")
    axes[0].plot([], [], color="k", lw=1.2, ls="--", label="f'(x)")
    axes[0].legend(loc="upper left", fontsize=9)
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    return fig


def gradient_profile_figure(profiles: dict[str, np.ndarray]) -> Figure:
    """The gradient reaching each layer, one line per activation, relative to the top layer's.

    Args:
        profiles: activation name -> per-layer gradient size (e.g. ``layer_stats(trace)
            ["grad_act_rms"]``), shape (L,), layer 1 first.
    """
    fig = new_figure(6.5, 3.2)
    ax = fig.add_subplot()
    for name, norms in profiles.items():
        norms = check_array(norms, f"profiles[{name!r}]", ndim=1)
        rel = np.maximum(norms / norms[-1], 1e-30)
        ax.semilogy(np.arange(1, len(rel) + 1), rel, marker=_MARKERS.get(name, "."), ms=5, mec="k", mew=0.4,
                    color=_COLOURS.get(name), ls=_STYLES.get(name, "-"), label=get_activation(name).title)
    ax.axhline(1.0, color="grey", lw=0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="layer (1 = nearest the input)", ylabel="gradient size / top layer's",
           title="How much gradient reaches each layer")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, ncol=2)
    fig.tight_layout()
    return fig


def dead_units_figure(lrs: np.ndarray, dead: np.ndarray, label: str = "ReLU") -> Figure:
    """Fraction of dead first-layer units after one SGD step, against that step's learning rate."""
    lrs = check_array(lrs, "lrs", ndim=1)
    dead = check_array(dead, "dead", ndim=1, shape=lrs.shape)
    fig = new_figure(5.5, 3.0)
    ax = fig.add_subplot()
    ax.semilogx(lrs, 100 * dead, marker="o", label=label)
    ax.set(xlabel="learning rate of the single step", ylabel="dead units (%)", ylim=(0, 100),
           title="Units silent on every training image after one step")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def comparison_table(history: dict[str, list[float]], train_acc: dict[str, float],
                     test_acc: dict[str, float], target: float = 0.5) -> str:
    """The notebook's results table (Markdown): per activation, the final training loss, train and
    test accuracy, and the first step at which the loss fell below ``target`` ("never" if not)."""
    rows = []
    for name, losses in history.items():
        first = next((i + 1 for i, v in enumerate(losses) if v < target), "never")
        rows.append([get_activation(name).title, float(losses[-1]), float(train_acc[name]),
                     float(test_acc[name]), first])
    return markdown_table(["activation", "final train loss", "train accuracy", "test accuracy",
                           f"first step with loss < {target:g}"], rows)
