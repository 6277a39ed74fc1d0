"""Every app draws a control move by blitting its moving artists over a cached static layer
(:class:`helpers.ui.backdrop.Backdrop`, :func:`helpers.ui.frames.frame_png`) and keeps caches of its
own: a blitted frame must show the figure a full redraw shows, whatever moves came before.

* notebooks 00, 04, 09: exactly the figure a fresh app draws in full for the same control values,
  with the same status line;
* notebooks 10-15: the figure a full redraw of the same app shows, up to the anti-aliased pixels
  where a moving artist and a static one cross (painted in the other order).

The caches of 02-07's explorers are tested in ``tests/test_sweep_caches.py``, 01's kept layers with
the Backdrop's own tests (``tests/test_backdrop.py``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.apps import all_apps
from helpers.apps.ch04_backprop import NeuronGraphApp
from helpers.apps.ch10_rnn import GradientFlowExplorer
from helpers.apps.ch11_transformer import AttentionExplorer
from helpers.apps.ch12_gan import LatentInterpolation
from helpers.apps.ch13_compression import DistillExplorer
from helpers.apps.ch14_scaling_out import ShardingExplorer
from helpers.apps.ch15_representation import ComponentsExplorer
from helpers.autograd.graph import _Labels
from helpers.cnn import models as cnn
from helpers.core.data import load_digits
from helpers.core.figures import new_figure
from helpers.ui.widgets import control_extremes


def _pixels(fig) -> np.ndarray:
    """The canvas as it is now, ``(H, W, 4)`` ints, top row first."""
    return np.asarray(fig.canvas.buffer_rgba()).astype(int)


def _blit_and_full(app, values: dict) -> tuple[np.ndarray, np.ndarray]:
    """Update ``app``, blit its frame, then draw the same figure in full (the static layer restored
    and captured again); returns (blitted, full) pixels."""
    app.update(**values)
    assert app.backdrop.blit(), f"{type(app).__name__}: no cached layer to blit over"
    blitted = _pixels(app.fig)
    app.backdrop.restore()
    app.fig.canvas.draw()
    full = _pixels(app.fig)
    app.backdrop.capture()
    return blitted, full


# ----------------------------------------------------------------------------- 00, 04, 09: exactly a fresh app's full draw
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


# ----------------------------------------------------------------------------- 10-12: the full redraw of the same app
@pytest.mark.parametrize("cls,sequence", [
    (AttentionExplorer, [dict(layer=1, head=1, example=3), dict(layer=0, head=0, example=0),
                         dict(layer=1, head=0, example=7), dict(layer=1, head=0, example=2)]),
    (LatentInterpolation, [dict(t=0.3, seed_start=4, seed_end=9), dict(t=1.0, seed_start=2, seed_end=2, path="linear"),
                           dict(t=0.0, seed_start=49, seed_end=0)]),
])
def test_blitted_frames_of_11_12_are_the_full_figure(cls, sequence):
    app = cls()
    for values in sequence:
        blitted, full = _blit_and_full(app, values)
        assert np.abs(blitted - full).max() <= 2, values


def test_gradient_flow_time_axis_follows_the_sequence_length():
    """The time axis is redrawn on every frame (no re-capture): its ticks follow T. Outside the plot
    area the frame is the full redraw's; inside it only where the curve, the y = 1 line and the grid
    cross may differ (the order in which they are painted)."""
    app = GradientFlowExplorer()
    for values in (dict(seq_len=30), dict(seq_len=200, cell="lstm", forget_bias=2.0), dict(seq_len=10), dict(gain=3.0)):
        blitted, full = _blit_and_full(app, values)
        differ = np.abs(blitted - full).max(axis=-1) > 32                 # (H, W), top row first
        x0, y0, x1, y1 = app.ax.get_window_extent().extents.round().astype(int)
        H = differ.shape[0]
        inside = np.zeros_like(differ)
        inside[H - y1 - 2:H - y0 + 2, x0 - 2:x1 + 2] = True
        assert not differ[~inside].any() and differ[inside].mean() < 0.02, values
        assert app.ax.get_xlim() == (1, values.get("seq_len", 100))


# ----------------------------------------------------------------------------- 13-15
CASES_13_15 = {
    DistillExplorer: [dict(T=4.0, alpha=0.3, example=0), dict(T=20.0, alpha=1.0, example=2),
                      dict(T=1.0, alpha=0.0, example=1), dict(T=7.5, alpha=0.55, example=0)],
    ShardingExplorer: [dict(world_size=4, per_worker=4), dict(world_size=8, per_worker=16),
                       dict(world_size=1, per_worker=1), dict(world_size=3, per_worker=7)],
    ComponentsExplorer: [dict(k=10, image=0, other="random"), dict(k=64, image=49, other="pixels"),
                         dict(k=1, image=3, other="random"), dict(k=40, image=20, other="pixels")],
}


@pytest.mark.parametrize("make", list(CASES_13_15), ids=lambda cls: cls.__name__)
def test_blitted_frames_of_13_15_equal_a_full_redraw(make):
    app = make()
    for values in CASES_13_15[make]:
        blitted, full = _blit_and_full(app, values)
        differ = np.abs(blitted - full).max(axis=2) > 30
        # a few anti-aliased pixels where a moving artist meets a static one (the y grid passes
        # under the bars instead of over them) may differ; nothing else
        assert differ.mean() < 2e-3, f"{make.__name__} {values}: {differ.sum()} pixels differ"
