"""Notebook 15's figures: embedding size vs error, the item map, components as images, 2-D codes,
and the transfer comparison. Each function returns a matplotlib ``Figure`` (not registered with pyplot)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_range, check_type
from helpers.core.figures import CLASS_COLOURS, DIVERGING_CMAP, MARKERS, new_figure

__all__ = ["plot_rmse_vs_dim", "plot_item_map", "plot_component_rows", "plot_codes", "plot_transfer"]


def plot_rmse_vs_dim(dims: list[int], train_rmse: list[float], test_rmse: list[float],
                     baselines: dict[str, float]) -> Figure:
    """Training and held-out RMSE of matrix factorisation against the embedding size, with the
    baselines' held-out RMSE as horizontal lines."""
    dims = check_array(dims, "dims", ndim=1, dtype="int")
    train_rmse = check_array(train_rmse, "train_rmse", shape=dims.shape)
    test_rmse = check_array(test_rmse, "test_rmse", shape=dims.shape)
    check_type(baselines, "baselines", dict, "a dict name -> held-out RMSE")
    fig = new_figure(5.6, 2.8)
    ax = fig.add_subplot()
    ax.plot(dims, train_rmse, "o-", label="MF, training ratings")
    ax.plot(dims, test_rmse, "o-", label="MF, held-out ratings")
    for (name, value), style in zip(baselines.items(), ["--", ":"]):
        ax.axhline(value, color="0.4", ls=style, lw=1, label=f"{name} (held-out)")
    ax.set(xscale="log", xticks=dims, xticklabels=[str(d) for d in dims], xlabel="embedding size (dim)",
           ylabel="RMSE", ylim=(0, None))
    ax.legend(fontsize=9, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_item_map(coords: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> Figure:
    """Items as points at their 2-D coordinates, one colour per genre. Shape: coords (N, 2), labels (N,)."""
    coords = check_array(coords, "coords", shape=(None, 2))
    labels = check_array(labels, "labels", shape=(coords.shape[0],), dtype="int")
    fig = new_figure(4.4, 3.4)
    ax = fig.add_subplot()
    for g, name in enumerate(names):
        pts = coords[labels == g]
        ax.scatter(pts[:, 0], pts[:, 1], s=16, label=name, color=CLASS_COLOURS[g % len(CLASS_COLOURS)],
                   marker=MARKERS[g % len(MARKERS)])
    ax.set(xlabel="PC 1 of the film vectors", ylabel="PC 2", xticks=[], yticks=[],
           title="Film vectors, coloured by the genre the model never saw")
    ax.legend(fontsize=9, loc="best")
    fig.tight_layout()
    return fig


def plot_component_rows(rows: dict[str, np.ndarray], n: int = 10) -> Figure:
    """Each entry (k, 64) as a row of 8×8 images, one per direction (blue negative, red positive,
    each image scaled to its own largest |value|; the colour bar shows that relative scale)."""
    check_type(rows, "rows", dict, "a dict name -> (k, 64) array")
    check_range(n, "n", 1, 64, integer=True)
    fig = new_figure(0.65 * n + 2.2, 0.8 * len(rows) + 0.5)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (name, vectors) in enumerate(rows.items()):
        V = check_array(vectors, name, shape=(None, 64))
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(V):
                lim = np.abs(V[c]).max() or 1.0
                image = ax.imshow(V[c].reshape(8, 8) / lim, cmap=DIVERGING_CMAP, vmin=-1, vmax=1)  # (64,) -> (8, 8)
            else:
                ax.set_axis_off()
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=10)
    fig.subplots_adjust(left=0.16, right=0.88, top=0.88, bottom=0.03, wspace=0.08, hspace=0.12)
    bar = fig.colorbar(image, ax=list(axes.ravel()), fraction=0.03, pad=0.02, ticks=[-1, 0, 1])
    bar.set_label("pixel weight / max |weight|", fontsize=9)
    fig.suptitle("Components as 8×8 images, one column per direction", fontsize=10)
    return fig


def plot_codes(codes: dict[str, np.ndarray], labels: np.ndarray) -> Figure:
    """Side-by-side scatter plots of 2-D codes, one colour and marker per digit, each digit's
    label written at the median of its codes. Shape: each code (N, 2); labels (N,)."""
    check_type(codes, "codes", dict, "a dict name -> (N, 2) array")
    fig = new_figure(3.3 * len(codes), 3.2)
    axes = fig.subplots(1, len(codes), squeeze=False)[0]
    labels = np.asarray(labels)
    for ax, (name, Z) in zip(axes, codes.items()):
        Z = check_array(Z, name, shape=(len(labels), 2))
        for d in np.unique(labels):
            pts = Z[labels == d]
            colour = CLASS_COLOURS[int(d) % len(CLASS_COLOURS)]
            ax.scatter(pts[:, 0], pts[:, 1], s=6, color=colour, marker=MARKERS[int(d) % len(MARKERS)], alpha=0.6)
            cx, cy = np.median(pts, axis=0)
            ax.text(cx, cy, str(int(d)), fontsize=11, fontweight="bold", ha="center", va="center", color="black",
                    bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=colour, alpha=0.85))
        ax.set(title=name, xticks=[], yticks=[], xlabel="code 1", ylabel="code 2")
    fig.tight_layout()
    return fig


def plot_transfer(results: dict[str, np.ndarray]) -> Figure:
    """Mean target-task accuracy of every way of training (bars) and every seed (dots)."""
    check_type(results, "results", dict, "a dict name -> accuracies per seed")
    fig = new_figure(6.0, 2.6)
    ax = fig.add_subplot()
    names = list(results)
    for x, name in enumerate(names):
        acc = np.asarray(results[name])
        ax.bar(x, acc.mean(), 0.6, color="0.6" if name == "scratch" else f"C{x}", alpha=0.8)
        ax.plot(np.full(len(acc), x) + np.linspace(-0.15, 0.15, len(acc)), acc, "k.", ms=4)
    lo = min(float(np.min(v)) for v in results.values())
    if "scratch" in results:
        ax.axhline(float(np.mean(results["scratch"])), color="0.3", ls="--", lw=1, label="scratch, mean")
        ax.legend(loc="upper left", fontsize=9)
    ax.set(xticks=range(len(names)), ylabel="test accuracy, digits 5-9", ylim=(max(0.0, lo - 0.1), 1.1),
           title="Target task with 25 labels: mean of the seeds (bars), each seed (dots)")
    ax.set_xticklabels(["\n".join(n.rsplit(" ", 1)) for n in names], fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
