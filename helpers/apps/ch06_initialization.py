"""Notebook 06's explorer and figures: how the initial weights' scale decides whether a deep stack's
activations and gradients keep their size, shrink to nothing or blow up.

``InitExplorer`` (init x activation x depth) redraws, in place, the histograms of three layers'
activations and the per-layer scale of the activations and of the gradients.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from helpers.basics.activations import ACTIVATIONS, get_activation
from helpers.training.deepnet import DeepStackFamily, DeepTrace, deep_stack_trace, layer_stats
from helpers.training.init import INITIALIZERS, get_initializer
from helpers.ui.backdrop import Backdrop, decades, grown
from helpers.core.checks import check_array, check_range
from helpers.ui.widgets import App, dropdown, int_slider
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, DIVERGING_CMAP, SEQUENTIAL_CMAP, new_figure

__all__ = ["InitExplorer", "scale_change", "signal_verdict", "histogram_grid", "scale_profiles_figure",
           "hidden_weights_figure",
           "init_results_table"]

_BINS = 41
_MAX_LAYERS = 24   # static layers the backdrop keeps (one per set of axis ranges; about 2 MB each)
_FLOOR = 1e-300  # guards ratios against division by an exact 0


def _symmetric_range(values: list[np.ndarray]) -> tuple[float, float]:
    """A plotting range holding 99% of the values of every array (never empty)."""
    ends = np.array([np.percentile(v, [0.5, 99.5]) for v in values])   # (len(values), 2)
    lo, hi = float(ends[:, 0].min()), float(ends[:, 1].max())
    if hi - lo < 1e-12 * max(1.0, abs(hi)):
        lo, hi = lo - 0.5 * max(1.0, abs(lo)), hi + 0.5 * max(1.0, abs(hi))
    return lo, hi


def _factor(ratio: float) -> str:
    return f"×{ratio:.1e}" if ratio < 0.01 or ratio > 100 else f"×{ratio:.2g}"


def scale_change(trace: DeepTrace, stats: dict[str, np.ndarray] | None = None) -> tuple[float, float]:
    """How much the signal's size changed across the stack: (std of the last layer's activations
    / the first layer's, RMS of the gradient reaching layer 1 / the gradient at the top layer).
    ``stats`` is ``layer_stats(trace)`` if already computed."""
    stats = layer_stats(trace) if stats is None else stats
    fwd = stats["act_std"][-1] / max(stats["act_std"][0], _FLOOR)              # first -> last layer
    bwd = stats["grad_act_rms"][0] / max(stats["grad_act_rms"][-1], _FLOOR)    # top -> layer 1
    return float(fwd), float(bwd)


def signal_verdict(trace: DeepTrace, limit: float = 100.0, stats: dict[str, np.ndarray] | None = None) -> str:
    """Words for what happened to the signal over the stack: symmetric (all units equal),
    vanishing or exploding (activations' std or gradient RMS changed more than ``limit``-fold
    between the first and the last layer), saturated (tanh/sigmoid stuck on their flat parts),
    or preserved. ``stats`` is ``layer_stats(trace)`` if already computed."""
    h_last = trace.activations[-1]
    if np.ptp(h_last, axis=1).max() == 0:
        return "symmetric: every unit of the last layer computes the same value (and gets the same gradient)"
    fwd, bwd = scale_change(trace, stats)
    numbers = f"activation std {_factor(fwd)} from layer 1 to the top, gradient {_factor(bwd)} from the top to layer 1"
    if min(fwd, bwd) < 1 / limit:
        return f"vanishing: {numbers}"
    if max(fwd, bwd) > limit:
        return f"exploding: {numbers}"
    act = get_activation(trace.activation)
    if act.name in ("sigmoid", "tanh"):
        flat = float(np.mean(act.grad(trace.preacts[-1]) < 0.01 * act.grad(np.zeros(1))[0]))
        if flat > 0.5:
            return f"saturated: {flat:.0%} of the top layer's units sit on a flat part of {act.title}; {numbers}"
    return f"preserved: {numbers}"


class InitExplorer(App):
    """Choose an initializer, an activation and a depth; see the activations' histograms at the
    first, middle and last layer, and the scale of activations and gradients per layer.

    Square layers of width 64, 128 standard-normal inputs, a standard-normal error signal at the top.
    """

    max_depth = 50

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, int], tuple[DeepTrace, dict[str, np.ndarray]]] = {}
        self._families: dict[tuple[str, str], DeepStackFamily] = {}
        self._tops: dict[tuple, float] = {}
        self.fig = new_figure(8.5, 3.0)
        self.ax_hist, self.ax_scale = self.fig.subplots(1, 2)
        edges = np.linspace(-1, 1, _BINS + 1)
        self.stairs = [self.ax_hist.stairs(np.zeros(_BINS), edges, lw=1.8, label=lab, color=c, ls=ls)
                       for lab, c, ls in zip(("layer 1", "middle layer", "last layer"), PALETTE, LINESTYLES)]
        self.ax_hist.set(xlabel="activation value h", ylabel="fraction of values")
        # above the axes, like the right panel's: no bar can pass under it, so it stays static
        self.ax_hist.legend(fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False,
                            handlelength=1.8, columnspacing=1.0)
        layers = np.arange(1, self.max_depth + 1, dtype=float)
        (self.act_line,) = self.ax_scale.semilogy(layers, np.ones_like(layers), marker="o", ms=3, label="activations h")
        (self.grad_line,) = self.ax_scale.semilogy(layers, np.ones_like(layers), marker="s", ms=3, ls="--",
                                                   label="gradients ∂ℒ/∂h")
        self.ax_scale.set(xlabel="layer", ylabel="RMS size")
        self.note = self.ax_scale.text(0.03, 0.5, "", transform=self.ax_scale.transAxes, fontsize=9)
        self.ax_scale.legend(fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        # few ticks and no minor ones on the log axis: text layout dominates redraw time
        self.ax_scale.yaxis.set_major_locator(LogLocator(numticks=6))
        self.ax_scale.yaxis.set_minor_locator(NullLocator())
        for ax in (self.ax_hist, self.ax_scale):
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=ax is self.ax_scale))
        self.fig.tight_layout()
        # axes and ticks: one static layer per set of limits, each drawn once and kept; the limits
        # move in coarse steps (see _limits), so most moves redraw only the curves
        self.backdrop = Backdrop(self.fig, [*self.stairs, self.act_line,
                                            self.grad_line, self.note], max_layers=_MAX_LAYERS)
        for end in (10, 25, 50):   # what each layer axis needs, so that moving to it costs a drawing only
            self.trace("small", "tanh", end)

    def controls(self) -> dict[str, W.ValueWidget]:
        inits = [(i.label, name) for name, i in INITIALIZERS.items()]  # (label, value) pairs
        acts = [(a.title, name) for name, a in ACTIVATIONS.items()]
        return {"init": dropdown(inits, "small", "initialization"),
                "activation": dropdown(acts, "tanh", "activation"),
                "depth": int_slider(30, 2, self.max_depth, "depth", unit="layers")}

    def trace(self, init: str, activation: str, depth: int) -> tuple[DeepTrace, dict[str, np.ndarray]]:
        """The (cached) deep-stack trace for these settings and its :func:`layer_stats`; every depth
        of one (init, activation) shares one forward pass (:class:`DeepStackFamily`)."""
        key = (get_initializer(init).name, get_activation(activation).name, int(depth))
        if key not in self._cache:
            if key[:2] not in self._families:
                _make_room(self._families, 6)   # a family holds ~10 MB, a trace up to ~10 MB
                self._families[key[:2]] = DeepStackFamily(key[1], key[0], self.max_depth, width=64, n=128, seed=0)
            _make_room(self._cache, 16)
            self._cache[key] = self._families[key[:2]].trace_and_stats(key[2])
        return self._cache[key]

    def _needs(self, init: str, activation: str, depth: int, edges: np.ndarray) -> tuple[float, float, float]:
        """What ``depth`` layers need drawn, cached: the tallest histogram bar over ``edges``, and
        the smallest and largest RMS size on the log axis."""
        key = (init, activation, depth, edges[0], edges[-1])
        if key not in self._tops:
            trace, stats = self.trace(init, activation, depth)
            top = max(np.histogram(np.clip(h, edges[0], edges[-1]), bins=edges)[0].max() / h.size
                      for h in _shown(trace))
            self._tops[key] = (float(top), *_rms_range(stats))
        return self._tops[key]

    def _limits(self, init: str, activation: str, depth: int, edges: np.ndarray, top: float,
                stats: dict[str, np.ndarray]) -> tuple:
        """Coarse axis ranges (a layer axis of 10, 25 or 50, powers of two, whole decades) for
        ``depth`` layers (tallest bar ``top``, sizes ``stats``), wide enough for the deepest stack
        of the same layer axis too, so that they rarely change while the depth slider moves within it."""
        end = _layer_axis(depth)
        needs = [(top, *_rms_range(stats))]
        try:
            needs.append(self._needs(init, activation, end, edges))
        except ValueError:   # the deepest stack overflows: this depth's own ranges
            pass
        top = max(n[0] for n in needs)
        low, high = min(n[1] for n in needs), max(n[2] for n in needs)
        return (0, grown(1.15 * top, 1e-3)), (1, end), decades(min(1e-2, low / 3), max(1e2, high * 3))

    def update(self, init: str = "small", activation: str = "tanh", depth: int = 30) -> str:
        check_range(depth, "depth", 2, self.max_depth, integer=True)
        init, activation = get_initializer(init).name, get_activation(activation).name
        try:
            trace, stats = self.trace(init, activation, depth)
        except ValueError as exc:  # overflow of float64: say so instead of drawing garbage
            return f"{get_initializer(init).label} + {get_activation(activation).title}: {exc}"
        shown = _shown(trace)
        lo, hi = _symmetric_range(shown)
        # coarse limits (powers of two, whole decades, a few layer axes) change rarely, so most
        # moves redraw only the curves over a kept static layer
        lo = -grown(-lo, 1e-6) if lo < 0 else 0.0
        hi = grown(hi, 1e-6) if hi > 0 else 0.0
        edges, top = np.linspace(lo, hi, _BINS + 1), 0.0
        for stairs, h in zip(self.stairs, shown):
            counts, _ = np.histogram(np.clip(h, lo, hi), bins=edges)
            stairs.set_data(counts / h.size, edges)
            top = max(top, counts.max() / h.size)
        layers = np.arange(1, depth + 1, dtype=float)
        # exact zeros (a zero init) cannot sit on a log axis: leave them out, the status explains
        a, g = (np.where(v > 0, v, np.nan) for v in (stats["act_rms"], stats["grad_act_rms"]))
        self.act_line.set_data(layers, a)
        self.grad_line.set_data(layers, g)
        zero = [what for what, v in (("activations", a), ("gradients", g)) if np.isnan(v).any()]
        self.note.set_text(" and ".join(zero) + " exactly 0 in some layers\n(not drawn on a log axis)" if zero else "")
        y_hist, x_scale, y_scale = self._limits(init, activation, depth, edges, top, stats)

        def prepare() -> None:
            self.ax_hist.set(xlim=(lo, hi), ylim=y_hist)
            self.ax_scale.set(xlim=x_scale, ylim=y_scale)

        key = (lo, hi, y_hist, x_scale, y_scale)
        self.backdrop.use_layer(key, prepare)
        return (f"{get_initializer(init).label} + {get_activation(activation).title}, {depth} layers: "
                f"{signal_verdict(trace, stats=stats)}")


def _make_room(cache: dict, size: int) -> None:
    """Drop the oldest entries of ``cache`` until one more fits in ``size``."""
    while len(cache) >= size:
        del cache[next(iter(cache))]


def _rms_range(stats: dict[str, np.ndarray]) -> tuple[float, float]:
    """The smallest and largest RMS size drawable on a log axis (exact zeros left out)."""
    both = np.r_[stats["act_rms"], stats["grad_act_rms"]]
    both = both[np.isfinite(both) & (both > 0)]
    return (float(both.min()), float(both.max())) if both.size else (1.0, 1.0)


def _shown(trace: DeepTrace) -> list[np.ndarray]:
    """The activations the histograms show: the first, middle and last layer's."""
    return [trace.activations[i] for i in (0, trace.depth // 2, trace.depth - 1)]


def _layer_axis(depth: int) -> int:
    """The layer axis' right end: the first of 10, 25, 50 that holds ``depth`` (few static layers)."""
    return next(end for end in (10, 25, 50, 10 * int(np.ceil(depth / 10))) if end >= depth)


def init_results_table(history: dict[str, list[float]], test_acc: dict[str, float]) -> str:
    """Markdown table of a training comparison between inits: first and final loss, test accuracy
    and a verdict (trained, stuck, or diverged at step k)."""
    from helpers.core.notebook import markdown_table

    rows = []
    for name, losses in history.items():
        if not np.isfinite(losses[-1]):
            final, verdict = "—", f"diverged at step {len(losses)}"
        else:
            final = float(losses[-1])
            verdict = "stuck (loss fell < 5%)" if losses[-1] > 0.95 * losses[0] else "trained"
        rows.append([get_initializer(name).label, float(losses[0]), final, float(test_acc[name]), verdict])
    return markdown_table(["init", "first loss", "final loss", "test accuracy", "verdict"], rows)


def histogram_grid(pairs: list[tuple[str, str]], depth: int = 30,
                   layers: tuple[int, ...] = (1, 10, 20, 30), width: int = 64, seed: int = 0) -> Figure:
    """Histograms of the activations :math:`h`, one panel per ``(init, activation)`` pair (three
    panels a row), one curve per layer in ``layers``, coloured from dark (first) to light (last)
    with the sequential colour map and a colour bar for the layer.

    Each panel uses its own x-range (its 0.5-99.5 percentiles) and gives in its title the RMS size
    of the first and last layer shown, so collapsed and exploded signals stay readable. The gradients'
    sizes per layer are drawn by :func:`scale_profiles_figure`.
    """
    import matplotlib as mpl

    check_range(depth, "depth", 2, 200, integer=True)
    if not layers or any(not 1 <= l <= depth for l in layers):
        raise ValueError(f"layers must be in 1..{depth}, got {layers}")
    if not pairs:
        raise ValueError("pairs must list at least one (init, activation) pair, got none")
    ncols = min(3, len(pairs))
    nrows = -(-len(pairs) // ncols)
    fig = new_figure(3.4 * ncols + 0.9, 2.9 * nrows + 0.2)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    norm = mpl.colors.Normalize(vmin=1, vmax=depth)
    for ax, (init, act) in zip(axes.ravel(), pairs):
        trace = deep_stack_trace(act, init, depth=depth, width=width, n=256, seed=seed)
        shown = [trace.activations[l - 1] for l in layers]
        lo, hi = _symmetric_range(shown)
        edges = np.linspace(lo, hi, _BINS + 1)
        for l, v in zip(layers, shown):
            counts, _ = np.histogram(np.clip(v, lo, hi), bins=edges)
            ax.stairs(counts / v.size, edges, color=cmap(0.9 * norm(l)), lw=1.8)
        rms = [float(np.sqrt(np.mean(v ** 2))) for v in (shown[0], shown[-1])]
        ax.set(title=f"{get_initializer(init).label} + {get_activation(act).title}\n"
                     f"RMS {rms[0]:.1e} → {rms[1]:.1e}",
               xlabel="activation h")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction of values")
    for ax in axes.ravel()[len(pairs):]:
        ax.set_visible(False)
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    cax = fig.add_axes((0.93, 0.15, 0.015, 0.7))
    # a discrete bar: one block per layer shown, in the colour its curve has
    blocks = mpl.colors.ListedColormap([cmap(0.9 * norm(l)) for l in layers])
    bar = fig.colorbar(mpl.cm.ScalarMappable(norm=mpl.colors.BoundaryNorm(np.arange(len(layers) + 1), len(layers)),
                                             cmap=blocks), cax=cax)
    bar.set_ticks(np.arange(len(layers)) + 0.5, labels=[str(l) for l in layers])
    bar.set_label("layer")
    return fig


def scale_profiles_figure(pairs: list[tuple[str, str]], depth: int = 30, width: int = 64,
                          seed: int = 0) -> Figure:
    """The RMS size of the activations :math:`h_l` (left) and of the gradients
    :math:`\\partial\\mathcal{L}/\\partial h_l` (right) at every layer, one line per
    ``(init, activation)`` pair (colour, line style and marker each tell the pairs apart)."""
    check_range(depth, "depth", 2, 200, integer=True)
    if not pairs:
        raise ValueError("pairs must list at least one (init, activation) pair, got none")
    fig = new_figure(9.5, 3.6)
    ax_h, ax_g = fig.subplots(1, 2, sharey=True)
    layers = np.arange(1, depth + 1)
    for i, (init, act) in enumerate(pairs):
        stats = layer_stats(deep_stack_trace(act, init, depth=depth, width=width, n=256, seed=seed))
        style = dict(color=PALETTE[i % len(PALETTE)], ls=LINESTYLES[i % len(LINESTYLES)],
                     marker=MARKERS[i % len(MARKERS)], markevery=(i, 6), ms=5,
                     label=f"{get_initializer(init).label} + {get_activation(act).title}")
        for ax, key in ((ax_h, "act_rms"), (ax_g, "grad_act_rms")):
            ax.semilogy(layers, np.where(stats[key] > 0, stats[key], np.nan), **style)
    ax_h.set(xlabel="layer", ylabel="RMS size", title="activations h: forward, layer 1 → top")
    ax_g.set(xlabel="layer", title="gradients ∂ℒ/∂h: backward, top → layer 1")
    for ax in (ax_h, ax_g):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(LogLocator(numticks=8))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
    fig.legend(*ax_h.get_legend_handles_labels(), loc="lower center", ncol=min(4, len(pairs)), fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig


def hidden_weights_figure(weights: dict[str, np.ndarray], title: str = "") -> Figure:
    """Heatmaps of first-layer weight matrices (or their changes during training), one panel per
    init, each with its own symmetric colour scale: rows are inputs, columns hidden units;
    identical columns mean identical units.

    Args:
        weights: init label -> weight matrix (D_in, D_hidden).
        title: figure title.
    """
    fig = new_figure(8, 2.6)
    axes = fig.subplots(1, len(weights), squeeze=False)[0]
    for ax, (label, Wm) in zip(axes, weights.items()):
        Wm = check_array(Wm, f"weights[{label!r}]", ndim=2)
        lim = max(float(np.abs(Wm).max()), 1e-12)
        im = ax.imshow(Wm, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        ax.set(title=label, xlabel="hidden unit", ylabel="input pixel")
        bar = fig.colorbar(im, ax=ax, fraction=0.08, pad=0.03)
        bar.set_ticks([-lim, 0, lim] if lim > 1e-12 else [0])
        bar.ax.yaxis.set_major_formatter("{x:.2g}")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
