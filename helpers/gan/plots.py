"""Pictures of GAN samples: runs on the ring side by side, and a labelled grid of digits (notebook 12).

Both return a ``matplotlib.figure.Figure`` made with :func:`helpers.core.figures.new_figure`, which the
notebook shows as a cell's last expression.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from helpers.core.data import RingMixture
from helpers.gan.metrics import mode_coverage
from helpers.core.checks import check_array, check_type
from helpers.core.figures import OKABE_ITO, new_figure

__all__ = ["plot_ring_runs", "plot_digit_grid"]


def plot_ring_runs(samples: dict[str, np.ndarray], ring: RingMixture, n_show: int = 600) -> Figure:
    """One row per method, one panel per run (seed): generated points over the modes' 3-sigma circles.

    Covered modes are drawn as solid blue circles, missed ones as dashed vermillion circles with a
    cross (shape and colour both carry the meaning); each title gives the count.

    Shape: ``samples[name]`` (S, N, 2): ``S`` seeds of ``N`` points each.
    """
    check_type(samples, "samples", dict, "a dict of method name -> array (S, N, 2)")
    check_type(ring, "ring", RingMixture)
    if not samples:
        raise ValueError("samples must map at least one method name to an array (S, N, 2), got {}")
    arrays = {name: check_array(x, f"samples[{name!r}]", ndim=3, shape=(None, None, 2)) for name, x in samples.items()}
    cols = max(x.shape[0] for x in arrays.values())
    fig = new_figure(1.6 * cols, 1.7 * len(arrays) + 0.35)
    axes = fig.subplots(len(arrays), cols, squeeze=False)
    for row, (name, runs) in zip(axes, arrays.items()):
        for s, ax in enumerate(row):
            ax.set(xlim=(-2.9, 2.9), ylim=(-2.9, 2.9), aspect="equal", xticks=[], yticks=[])
            if s >= len(runs):
                ax.set_axis_off()
                continue
            cov = mode_coverage(runs[s], ring.centers, ring.std)
            for (cx, cy), share in zip(ring.centers, cov.counts):
                ok = share >= 0.02
                ax.add_patch(Circle((cx, cy), 3 * ring.std, fill=False, lw=1.4 if ok else 1.8,
                                    linestyle="-" if ok else "--",
                                    color=OKABE_ITO["blue"] if ok else OKABE_ITO["vermillion"]))
                if not ok:  # a cross as well, so a missed mode reads without colour at this size
                    ax.plot(cx, cy, "x", color=OKABE_ITO["vermillion"], ms=7, mew=1.8, zorder=3)
            pts = runs[s][:n_show]
            ax.scatter(pts[:, 0], pts[:, 1], s=1.5, c="0.35", alpha=0.5)
            ax.set_title(f"run {s + 1}: {cov.covered}/{cov.modes}", fontsize=9)
        row[0].set_ylabel(name, fontsize=10)
    handles = [Line2D([], [], color=OKABE_ITO["blue"], lw=1.4, label="mode covered (≥ 2% of samples)"),
               Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.8, ls="--", marker="x", mew=1.8,
                      label="mode missed"),
               Line2D([], [], color="0.35", marker="o", ls="", ms=3, label="generated samples")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_digit_grid(images: np.ndarray, labels: np.ndarray | None = None, cols: int = 10,
                    title: str = "") -> Figure:
    """A grid of 8×8 images (dark = ink), each optionally titled with a label (e.g. a prediction).

    Shape: images (N, 64) or (N, 8, 8); labels (N,).
    """
    images = check_array(images, "images", ndim=(2, 3))
    images = images.reshape(len(images), 8, 8)  # (N, 64) -> (N, 8, 8)
    if labels is not None:
        labels = check_array(labels, "labels", ndim=1, shape=(len(images),), dtype="any")
    rows = int(np.ceil(len(images) / cols))
    fig = new_figure(0.62 * cols, 0.78 * rows + (0.3 if title else 0))
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(np.clip(images[i], 0, 1), cmap="gray_r", vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9, pad=1)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.2)
    return fig
