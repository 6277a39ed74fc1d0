"""The widgets of notebooks 00, 04 and 09 draw a control move by blitting over a cached static
layer (and keep a few caches of their own): each frame must be exactly the figure that a fresh app
draws in full for the same control values, whatever moves came before, and the status the same."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.apps import all_apps
from helpers.apps.ch04_backprop import NeuronGraphApp
from helpers.autograd.graph import _Labels
from helpers.cnn import models as cnn
from helpers.core.data import load_digits
from helpers.core.figures import new_figure
from helpers.ui.widgets import control_extremes

APPS = ["ch00_start.WaveExplorer", "ch04_backprop.NeuronGraphApp", "ch09_cnn.ConvGeometry",
        "ch09_cnn.FeatureMapExplorer", "ch09_cnn.KernelEditor", "ch09_cnn.SlidingDotProduct"]


def _build(name: str):
    if name == "ch09_cnn.FeatureMapExplorer":  # a small untrained model: no training in a test
        torch.manual_seed(0)
        images, labels = load_digits()
        return all_apps()[name](cnn.DigitsCNN(c1=4, c2=6), images[:6, None].astype(np.float32), labels[:6])
    return all_apps()[name]()


def _states(app, rng: np.random.Generator, n: int) -> list[dict]:
    """``n`` control settings: each control at one of its ends, a middle value or its default."""
    controls = app.controls()
    states = []
    for _ in range(n):
        values = {}
        for cname, control in controls.items():
            options = list(control_extremes(control)) + [control.value]
            if hasattr(control, "min") and hasattr(control, "max") and not hasattr(control, "base"):
                mid = (control.min + control.max) / 2
                options.append(type(control.value)(round(mid / control.step) * control.step))
            values[cname] = options[rng.integers(len(options))]
        states.append(values)
    return states


def _pixels(fig) -> np.ndarray:
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("name", APPS)
def test_blitted_frames_equal_a_fresh_full_draw(name):
    app = _build(name)
    rng = np.random.default_rng(0)
    for values in _states(app, rng, 7):
        status = app.update(**values)
        assert app.backdrop.blit(), f"{name}: no cached layer to blit over"
        frame = _pixels(app.fig)
        fresh = _build(name)
        assert fresh.update(**values) == status
        fresh.backdrop.restore()          # every artist drawn by matplotlib, nothing cached
        fresh.fig.canvas.draw()
        reference = _pixels(fresh.fig)
        assert frame.shape == reference.shape
        differ = int(np.any(frame != reference, axis=2).sum())
        assert differ == 0, f"{name} at {values}: {differ} pixels differ from a full draw"


def test_neuron_graph_labels_fit_their_fixed_boxes():
    app = NeuronGraphApp()
    renderer = app.fig.canvas.get_renderer()
    for activation in ("tanh", "sigmoid", "relu"):
        for v in (-3.0, -0.1, 0.0, 0.1, 3.0):
            app.update(x1=v, x2=-v, w1=3.0, w2=v, b=-3.0, t=-1.0, activation=activation)
            app.fig.canvas.draw()
            for text, box in zip(app.drawing.texts, app.drawing.boxes):
                inner, outer = text.get_window_extent(renderer), box.get_bbox_patch().get_window_extent(renderer)
                assert outer.x0 < inner.x0 and inner.x1 < outer.x1 and outer.y0 < inner.y0 and inner.y1 < outer.y1, \
                    f"{text.get_text()!r} overflows its box ({activation}, {v})"


def test_label_layer_draws_the_pixels_matplotlib_draws():
    """``_Labels`` (cached layouts and glyph bitmaps) against the same texts drawn by the axes."""
    labels = [["x1\n= 2\n∂L: 1.95", "a (tanh)\n= -0.635", "$x^2$ = 4"],
              ["x1\n= -3\n∂L: 0.000123", "a (tanh)\n= -0.635", "$x^2$ = 9"],
              ["x1\n= 2\n∂L: 1.95", "L\n= 8.88e-08", "$x^2$ = 4"]]
    plain, fast = new_figure(4, 2), new_figure(4, 2)
    ax_p, ax_f = plain.add_subplot(), fast.add_subplot()
    spots = [(0.2, 0.5), (0.55, 0.4), (0.85, 0.7)]
    shown = [ax_p.text(x, y, "", ha="center", va="center", fontsize=9) for x, y in spots]
    from matplotlib.text import Text
    texts = []
    for x, y in spots:
        t = Text(x, y, "", ha="center", va="center", fontsize=9, transform=ax_f.transData)
        t.set_figure(fast)
        t.set_clip_path(ax_f.patch)
        texts.append(t)
    ax_f.add_artist(_Labels(texts))
    for round_ in labels:   # the third round repeats the first: drawn from the caches
        for a, b, s in zip(shown, texts, round_):
            a.set_text(s)
            b.set_text(s)
        plain.canvas.draw()
        fast.canvas.draw()
        assert np.array_equal(_pixels(plain), _pixels(fast)), round_
