"""Notebook 20's figures: attribution maps, completeness against the number of steps, deletion
curves and the sanity check. Each function returns a matplotlib ``Figure`` (not registered with pyplot).

Attribution maps use a diverging colour map centred at 0 (ColorBrewer's RdBu, colour-blind safe:
red for evidence *for* the class, blue *against*), each map divided by its largest magnitude so
one colour bar serves every panel.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_range
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure

__all__ = ["DIVERGING", "normalise", "plot_attribution_grid", "plot_completeness", "plot_deletion",
           "plot_sanity"]

DIVERGING = "RdBu_r"


def normalise(attr: np.ndarray) -> np.ndarray:
    """A map divided by its largest magnitude, into [-1, 1] (an all-zero map stays zero)."""
    attr = check_array(attr, "attr").astype(np.float64)
    top = np.abs(attr).max()
    return attr / top if top > 0 else attr


def _check_maps(maps, name: str, shape: tuple[int, ...] | None = None, ndim: int | None = None) -> None:
    if not isinstance(maps, dict) or not maps:
        raise ValueError(f"{name} must map method names to arrays, got {type(maps).__name__}")
    for key, value in maps.items():
        check_array(value, f"{name}[{key!r}]", shape=shape, ndim=ndim)


def _image_axis(ax, image: np.ndarray, title: str) -> None:
    ax.imshow(image, cmap="gray_r")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_attribution_grid(images: np.ndarray, maps: dict[str, np.ndarray], labels: list[str]) -> Figure:
    """One row per digit: the image, then each method's map.

    Shape:
        images: (N, 8, 8) raw pixels; maps: name -> (N, 8, 8); labels: N strings.
    """
    images = check_array(images, "images", ndim=3)
    _check_maps(maps, "maps", shape=images.shape)
    if not isinstance(labels, (list, tuple)) or len(labels) != len(images):
        raise ValueError(f"labels must be a list of {len(images)} strings (one per image), got {labels!r}")
    n, m = len(images), len(maps)
    fig = new_figure(1.25 * (m + 1) + 0.6, 1.3 * n + 0.5)
    axes = fig.subplots(n, m + 1, squeeze=False)
    for r in range(n):
        _image_axis(axes[r, 0], images[r], "input" if r == 0 else "")
        axes[r, 0].set_ylabel(labels[r], fontsize=9)  # beside the row: never over the row above
        for c, (name, attr) in enumerate(maps.items(), start=1):
            im = axes[r, c].imshow(normalise(attr[r]), cmap=DIVERGING, vmin=-1, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
    fig.subplots_adjust(left=0.05, right=0.88, top=0.88, bottom=0.03, wspace=0.08, hspace=0.15)
    cax = fig.add_axes((0.9, 0.1, 0.02, 0.75))
    fig.colorbar(im, cax=cax).set_label("attribution / max |attribution|", fontsize=9)
    return fig


def plot_completeness(gaps: dict[str, tuple[list[int], np.ndarray]], tolerance: float = 1e-3) -> Figure:
    """|sum of attributions - (f(x) - f(x'))| against the number of path points, one line per rule.

    Shape:
        gaps: rule name -> (n values (S,), gaps (S,)).
    """
    if not isinstance(gaps, dict) or not 1 <= len(gaps) <= len(MARKERS):
        raise ValueError(f"gaps must map 1 to {len(MARKERS)} rule names to (n values, gaps), got {type(gaps).__name__}")
    for key, pair in gaps.items():
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"gaps[{key!r}] must be a pair (n values (S,), gaps (S,)), got {type(pair).__name__}")
        ns = check_array(pair[0], f"gaps[{key!r}][0]", ndim=1)
        if ns.min() <= 0:
            raise ValueError(f"gaps[{key!r}][0] must hold positive numbers of path points, got min {ns.min()}")
        check_array(pair[1], f"gaps[{key!r}][1]", shape=ns.shape)
    check_range(tolerance, "tolerance", 0.0, None, low_inclusive=False)
    fig = new_figure(5.0, 3.0)
    ax = fig.add_subplot()
    for i, (name, (ns, gap)) in enumerate(gaps.items()):
        ax.loglog(ns, np.maximum(np.abs(gap), 1e-12), color=PALETTE[i], ls=LINESTYLES[i], marker=MARKERS[i],
                  label=name)
    ns, first = next(iter(gaps.values()))
    ns, first = np.asarray(ns, dtype=float), abs(float(np.asarray(first)[0]))
    ax.loglog(ns, first * ns[0] / ns, color="0.5", ls=":", label="slope 1/n (reference)")
    ax.axhline(tolerance, color="k", lw=0.8, ls="--", label=f"tolerance {tolerance:g}")
    ax.set(xlabel="path points n", ylabel="|completeness gap| (logit units)",
           title="ReLU networks: every rule converges like 1/n")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def plot_deletion(fractions: np.ndarray, curves: dict[str, np.ndarray], areas: dict[str, float]) -> Figure:
    """Mean deletion curves (probability of the class vs fraction of pixels removed), one per method;
    the legend gives each curve's area. The entry named ``"random order"`` is drawn in grey."""
    fractions = check_array(fractions, "fractions", ndim=1)
    _check_maps(curves, "curves", shape=fractions.shape)
    if not isinstance(areas, dict) or not set(curves) <= set(areas):
        raise ValueError(f"areas must give a number for every curve {sorted(curves)}, got {areas!r}")
    fig = new_figure(5.6, 3.3)
    ax = fig.add_subplot()
    for i, (name, curve) in enumerate(curves.items()):
        grey = name == "random order"
        ax.plot(fractions, curve, color="0.45" if grey else PALETTE[i % len(PALETTE)],
                ls="-" if grey else LINESTYLES[i % len(LINESTYLES)], marker=None if grey else MARKERS[i % len(MARKERS)],
                ms=3.5, lw=2.2 if grey else 1.4, label=f"{name} (area {areas[name]:.2f})")
    ax.set(xlabel="fraction of pixels removed (most attributed first)", ylabel="p(class) (mean over digits)",
           ylim=(0, 1.02), xlim=(0, 1), title="Faithful maps find the evidence: their curves fall fastest")
    ax.legend(fontsize=9, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_sanity(image: np.ndarray, trained: dict[str, np.ndarray], randomised: dict[str, np.ndarray],
                rho: dict[str, float]) -> Figure:
    """Top row: each method's map for the trained model; bottom row: the same for a model with random
    weights, titled with the mean rank correlation of |maps| between the two.

    Shape:
        image: (8, 8); trained, randomised: name -> (8, 8).
    """
    image = check_array(image, "image", ndim=2)
    _check_maps(trained, "trained", shape=image.shape)
    _check_maps(randomised, "randomised", shape=image.shape)
    if not set(trained) <= set(randomised) or not isinstance(rho, dict) or not set(trained) <= set(rho):
        raise ValueError(f"randomised and rho must have an entry for every method {sorted(trained)}")
    m = len(trained)
    fig = new_figure(1.3 * (m + 1) + 0.6, 3.2)
    axes = fig.subplots(2, m + 1, squeeze=False)
    _image_axis(axes[0, 0], image, "input")
    axes[1, 0].axis("off")
    axes[1, 0].text(0.5, 0.5, "random\nweights", ha="center", va="center", fontsize=9, transform=axes[1, 0].transAxes)
    for c, name in enumerate(trained, start=1):
        for r, maps in enumerate((trained, randomised)):
            im = axes[r, c].imshow(normalise(maps[name]), cmap=DIVERGING, vmin=-1, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[0, c].set_title(name, fontsize=9)
        axes[1, c].set_title(f"mean ρ = {rho[name]:.2f}", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.88, top=0.85, bottom=0.03, wspace=0.08, hspace=0.3)
    fig.suptitle("Sanity check: a faithful map must change when the weights are randomised (low ρ)", fontsize=9)
    cax = fig.add_axes((0.9, 0.1, 0.02, 0.7))
    fig.colorbar(im, cax=cax).set_label("attribution / max |attr.|", fontsize=9)
    return fig
