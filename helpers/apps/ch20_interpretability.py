"""Notebook 20's explorer: pick a digit, a class and a method; see the attribution map beside the
image and the map's deletion curve against random removal.

Maps and curves are computed the first time a (digit, class, method) is shown and cached; the
default view is computed when the app is built. A move then costs a dictionary lookup, a few
``set_data`` calls and one render of the moving artists over a cached background (``Backdrop``).
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch

from helpers.core.checks import check_choice, check_range
from helpers.core.figures import PALETTE, new_figure
from helpers.interpret.attribute import METHODS, SHORT, attribute
from helpers.interpret.evaluation import curve_area, deletion_curves, random_deletion_curves
from helpers.interpret.models import DigitModels, train_digit_models
from helpers.interpret.plots import DIVERGING, normalise
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, int_slider

__all__ = ["AttributionExplorer"]


class AttributionExplorer(App):
    """Attribution maps of notebook 09's CNN for held-out digits, with their deletion curves.

    Args:
        models: trained models (default: :func:`helpers.interpret.models.train_digit_models` with 3 epochs, ~1 s).
        n_digits: how many held-out digits the slider offers (two of each class first).
        steps: removal steps of the deletion curves.
    """

    def __init__(self, models: DigitModels | None = None, n_digits: int = 20, steps: int = 16) -> None:
        models = train_digit_models(epochs=3) if models is None else models
        check_range(n_digits, "n_digits", 1, len(models.split.y_test), integer=True)
        split = models.split
        first = [int(np.flatnonzero(split.y_test == k)[j]) for j in range(2) for k in range(10)]  # 0-9, 0-9
        idx = (first + [i for i in range(len(split.y_test)) if i not in first])[:n_digits]
        self.model, self.baseline, self.steps = models.cnn, models.baseline, steps
        self.X, self.y = split.X_test[idx], split.y_test[idx]                   # (n, 1, 8, 8), (n,)
        self.raw = split.raw(self.X)[:, 0]                                      # (n, 8, 8) in [0, 1]
        with torch.no_grad():
            self.probs = torch.softmax(self.model(torch.as_tensor(self.X)).double(), 1).numpy()  # (n, 10)
        self.classes = self.probs.shape[1]
        self._maps: dict[tuple[int, int, str], np.ndarray] = {}
        self._curves: dict[tuple[int, int, str], np.ndarray] = {}
        self._build_figure()
        self.update(**self.defaults())                                         # the default view, computed now

    def _build_figure(self) -> None:
        self.fig = fig = new_figure(7.6, 2.6)
        ax_img = fig.add_axes((0.01, 0.08, 0.2, 0.72))
        ax_map = fig.add_axes((0.23, 0.08, 0.2, 0.72))
        cax = fig.add_axes((0.445, 0.08, 0.012, 0.72))
        self.ax_curve = ax = fig.add_axes((0.63, 0.2, 0.35, 0.62))
        self.image = ax_img.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1)
        self.map = ax_map.imshow(np.zeros((8, 8)), cmap=DIVERGING, vmin=-1, vmax=1)
        fig.colorbar(self.map, cax=cax).set_label("attr. / max |attr.|", fontsize=9)
        cax.tick_params(labelsize=9)
        for a in (ax_img, ax_map):
            a.set_xticks([])
            a.set_yticks([])
        self.img_title = ax_img.text(0.5, 1.04, "", ha="center", va="bottom", fontsize=9, transform=ax_img.transAxes)
        self.map_title = ax_map.text(0.5, 1.04, "", ha="center", va="bottom", fontsize=9, transform=ax_map.transAxes)
        frac = np.linspace(0, 1, self.steps + 1)
        (self.line,) = ax.plot(frac, frac, color=PALETTE[0], marker="o", ms=3, label="this map's order")
        (self.rline,) = ax.plot(frac, frac, color="0.45", ls="--", label="random order")
        ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="fraction of pixels removed", ylabel="p(class)")
        ax.legend(fontsize=9, loc="upper right")
        ax.grid(alpha=0.3)
        self.curve_title = ax.text(0.5, 1.04, "", ha="center", va="bottom", fontsize=9, transform=ax.transAxes)
        self.backdrop = Backdrop(fig, [self.image, self.map, self.line, self.rline, self.img_title,
                                       self.map_title, self.curve_title])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        target = W.IntText(value=int(self.y[0]), description=f"target class (0-{self.classes - 1})",
                           style={"description_width": "initial"}, layout=W.Layout(width="360px"))
        return {"digit": int_slider(0, 0, len(self.X) - 1, "held-out digit"),
                "target": target,
                "method": dropdown({label: key for key, label in METHODS.items()}, "integrated", "method")}

    def attribution(self, digit: int, target: int, method: str) -> np.ndarray:
        """The (cached) map of ``method`` for class ``target`` of a shown digit. Shape: (8, 8)."""
        key = (digit, target, method)
        if key not in self._maps:
            self._maps[key] = attribute(method, self.model, self.X[digit:digit + 1], target, self.baseline)[0, 0]
        return self._maps[key]

    def curve(self, digit: int, target: int, method: str) -> np.ndarray:
        """The (cached) deletion curve of a map, or of random order for ``method="random"``. Shape: (steps + 1,)."""
        key = (digit, target, method)
        if key not in self._curves:
            x = self.X[digit:digit + 1]
            if method == "random":
                self._curves[key] = random_deletion_curves(self.model, x, target, self.baseline, self.steps,
                                                           orders=5, seed=digit)[1][0]
            else:
                attr = self.attribution(digit, target, method)[None, None]       # (1, 1, 8, 8)
                self._curves[key] = deletion_curves(self.model, x, target, attr, self.baseline, self.steps)[1][0]
        return self._curves[key]

    def update(self, digit: int = 0, target: int = 0, method: str = "integrated") -> str:
        check_range(digit, "digit", 0, len(self.X) - 1, integer=True)
        check_choice(method, "method", list(METHODS))
        predicted = int(np.argmax(self.probs[digit]))
        note = ""
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < self.classes:
            note = (f"⚠ class {target!r} does not exist: this model has classes 0-{self.classes - 1}; "
                    f"showing the predicted class {predicted} instead. ")
            target = predicted
        target = int(target)
        attr = self.attribution(digit, target, method)
        ours, rand = self.curve(digit, target, method), self.curve(digit, target, "random")
        frac = np.linspace(0, 1, self.steps + 1)
        area, r_area = float(curve_area(frac, ours)), float(curve_area(frac, rand))
        self.image.set_data(self.raw[digit])
        self.map.set_data(normalise(attr))
        self.line.set_ydata(ours)
        self.rline.set_ydata(rand)
        self.img_title.set_text(f"a {self.y[digit]}, model: {predicted} ({self.probs[digit, predicted]:.0%})")
        self.map_title.set_text(f"{SHORT[method]}, class {target}")
        self.curve_title.set_text(f"deletion: area {area:.2f} vs random {r_area:.2f}")
        top = float(np.abs(attr).max())
        if top == 0:
            verdict = "the map is all zeros, so its order is just pixel order"
        elif area < r_area:
            verdict = f"removing its top pixels lowers p({target}) faster than random order"
        else:
            verdict = f"its order does not lower p({target}) faster than random order here"
        return (f"{note}digit #{digit}, a {self.y[digit]}; p({target}) = {self.probs[digit, target]:.3f}. "
                f"{METHODS[method]} for class {target} (largest |attribution| {top:.3g}): {verdict} "
                f"(area {area:.2f} vs {r_area:.2f}).")
