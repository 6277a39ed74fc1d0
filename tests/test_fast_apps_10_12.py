"""The apps of notebooks 10-12 draw only what moves (a Backdrop): a blitted frame must show what a
full redraw of the figure shows, for any sequence of control values."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.apps.ch10_rnn import GradientFlowExplorer
from helpers.apps.ch11_transformer import AttentionExplorer
from helpers.apps.ch12_gan import LatentInterpolation


def _blit_and_full(app, values: dict) -> tuple[np.ndarray, np.ndarray]:
    app.update(**values)
    assert app.backdrop.blit()
    blitted = np.asarray(app.fig.canvas.buffer_rgba()).astype(int)
    app.backdrop.restore()
    app.fig.canvas.draw()
    full = np.asarray(app.fig.canvas.buffer_rgba()).astype(int)
    app.backdrop.capture()
    return blitted, full


@pytest.mark.parametrize("cls,sequence", [
    (AttentionExplorer, [dict(layer=1, head=1, example=3), dict(layer=0, head=0, example=0),
                         dict(layer=1, head=0, example=7), dict(layer=1, head=0, example=2)]),
    (LatentInterpolation, [dict(t=0.3, seed_start=4, seed_end=9), dict(t=1.0, seed_start=2, seed_end=2, path="linear"),
                           dict(t=0.0, seed_start=49, seed_end=0)]),
])
def test_blitted_frame_is_the_full_figure(cls, sequence):
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
