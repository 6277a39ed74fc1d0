"""Notebook 15's explorer: how many dimensions a digit needs, principal components vs other bases.

Every basis is fitted once when the app is built; a control move is one (64,) @ (64, 64) product
per reconstruction and a few ``set_data`` calls, drawn over the figure's static layer (a
:class:`helpers.ui.backdrop.Backdrop`: axes, ticks, grid and the principal components' curve).
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib as mpl
import numpy as np

from helpers.core.data import load_digits
from helpers.representation.pca import fit_pca
from helpers.core.checks import check_array, check_choice, check_range
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, int_slider
from helpers.core.figures import OKABE_ITO, new_figure

__all__ = ["ComponentsExplorer"]

_OTHERS = {"random directions": "random", "the k most variable pixels": "pixels"}


class ComponentsExplorer(App):
    """Reconstruct a held-out digit from its coordinates along k directions: the top-k principal
    components (what PCA and the linear autoencoder find) vs another k-dimensional basis.

    Args:
        images: (N, 64) digits in [0, 1] (default: scikit-learn's digits); the last ``n_show``
            are held out and shown, the others fit the bases.
        labels: (N,) digit labels, shown in the title (optional).
        n_show: how many held-out digits the image slider offers.
        seed: seeds the random basis.
    """

    def __init__(self, images: np.ndarray | None = None, labels: np.ndarray | None = None,
                 n_show: int = 50, seed: int = 0) -> None:
        if images is None:
            images, labels = load_digits(flatten=True)
        X = check_array(images, "images", shape=(None, 64))
        check_range(n_show, "n_show", 1, X.shape[0] - 2, integer=True)
        self.labels = None if labels is None else check_array(labels, "labels", shape=(X.shape[0],), dtype="int")[-n_show:]
        fit, self.shown = X[:-n_show], X[-n_show:]                          # (N - n_show, 64), (n_show, 64)
        self.mean = fit.mean(axis=0)                                         # (64,)
        pca = fit_pca(fit)
        rng = np.random.default_rng(seed)
        pixels = np.eye(64)[np.argsort(-fit.var(axis=0), kind="stable")]   # most variable pixel first
        # every basis as 64 orthonormal rows; "the first k rows" is the k-dim subspace
        self.bases = {"pca": pca.components,
                      "random": np.linalg.qr(rng.standard_normal((64, 64)))[0].T,
                      "pixels": pixels}
        Xc = self.shown - self.mean                                          # (n_show, 64)
        # mean squared error per held-out image for every k: what is left outside the first k rows
        self.curves = {name: np.array([np.mean(np.sum((Xc - Xc @ B[:k].T @ B[:k]) ** 2, axis=1))
                                       for k in range(65)]) for name, B in self.bases.items()}  # (65,) each
        self.total = self.curves["pca"][0]                                   # k = 0: the variance itself
        self._build_figure()

    def _build_figure(self) -> None:
        self.fig = new_figure(7.6, 2.6)
        self.images, self.titles, frames = [], [], []
        for i in range(3):  # three 8x8 pictures on the left, the error curves on the right
            ax = self.fig.add_axes((0.01 + 0.165 * i, 0.08, 0.15, 0.66))
            frames.extend(ax.spines.values())
            self.images.append(ax.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1))
            # where ax.set_title puts a title, as a plain text (a real title repositions itself
            # against the tick labels the backdrop hides)
            self.titles.append(ax.annotate("", (0.5, 1.0), xycoords="axes fraction", textcoords="offset points",
                                           xytext=(0, mpl.rcParams["axes.titlepad"]), ha="center", va="baseline",
                                           fontsize=9))
            ax.set_xticks([])
            ax.set_yticks([])
        ax = self.ax = self.fig.add_axes((0.6, 0.2, 0.38, 0.7))
        k = np.arange(65)
        ax.plot(k, self.curves["pca"] / self.total, color=OKABE_ITO["blue"], ls="-", label="principal components")
        (self.other_line,) = ax.plot(k, self.curves["random"] / self.total, color=OKABE_ITO["orange"], ls="--",
                                     label="random directions")
        self.marker = ax.axvline(10, color="0.4", lw=1, ls="--")
        (self.dots,) = ax.plot([10, 10], [0, 0], "o", color="k", ms=4)
        ax.set(xlabel="k (dimensions kept)", ylabel="error / variance", xlim=(0, 64), ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        self.legend = ax.legend(fontsize=9, loc="upper right")
        # drawn over the static layer each move: what moves, and what lies on top of it (the frames
        # over the pictures, the legend over the marker line)
        self.backdrop = Backdrop(self.fig, [*self.images, *frames, *self.titles, self.other_line, self.marker,
                                            self.dots, self.legend])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"k": int_slider(10, 1, 64, "k, dimensions kept"),
                "image": int_slider(0, 0, len(self.shown) - 1, "held-out digit"),
                "other": dropdown(_OTHERS, "random", "compare with")}

    def reconstruct(self, basis: str, k: int, image: int) -> np.ndarray:
        """The digit rebuilt from its first ``k`` coordinates in ``basis``. Shape: (64,)."""
        B = self.bases[basis][:k]                                            # (k, 64), orthonormal rows
        return self.mean + (self.shown[image] - self.mean) @ B.T @ B

    def update(self, k: int = 10, image: int = 0, other: str = "random") -> str:
        check_range(k, "k", 1, 64, integer=True)
        check_range(image, "image", 0, len(self.shown) - 1, integer=True)
        check_choice(other, "other", list(_OTHERS.values()))
        pictures = [self.shown[image], self.reconstruct("pca", k, image), self.reconstruct(other, k, image)]
        label = "" if self.labels is None else f" (a {int(self.labels[image])})"
        other_name = "random directions" if other == "random" else "most variable pixels"
        names = [f"original{label}", f"top {k}\nprincipal comp.", f"{k} {other_name}".replace(" most", "\nmost")
                 .replace(" random", "\nrandom")]
        for artist, title, picture, name in zip(self.images, self.titles, pictures, names):
            artist.set_data(picture.reshape(8, 8))                           # (64,) -> (8, 8)
            title.set_text(name)
        kept = {name: 1 - self.curves[name][k] / self.total for name in ("pca", other)}
        self.other_line.set_ydata(self.curves[other] / self.total)
        self.other_line.set_label(other_name)
        self.legend.get_texts()[1].set_text(other_name)                   # the legend lays itself out anew
        self.marker.set_xdata([k, k])
        self.dots.set_data([k, k], [1 - kept["pca"], 1 - kept[other]])
        return (f"k = {k} of 64 dimensions: the top principal components keep {kept['pca']:.1%} of the "
                f"held-out digits' variance, {k} {other_name} keep {kept[other]:.1%}")
