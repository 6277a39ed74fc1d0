"""The widgets of notebooks 13, 14 and 15 draw only their moving artists over a cached static layer
(:class:`helpers.ui.backdrop.Backdrop`): a frame blitted that way must show what a full redraw of
the same figure shows, after any sequence of control moves."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.apps.ch13_compression import DistillExplorer
from helpers.apps.ch14_scaling_out import ShardingExplorer
from helpers.apps.ch15_representation import ComponentsExplorer

CASES = {
    DistillExplorer: [dict(T=4.0, alpha=0.3, example=0), dict(T=20.0, alpha=1.0, example=2),
                      dict(T=1.0, alpha=0.0, example=1), dict(T=7.5, alpha=0.55, example=0)],
    ShardingExplorer: [dict(world_size=4, per_worker=4), dict(world_size=8, per_worker=16),
                       dict(world_size=1, per_worker=1), dict(world_size=3, per_worker=7)],
    ComponentsExplorer: [dict(k=10, image=0, other="random"), dict(k=64, image=49, other="pixels"),
                         dict(k=1, image=3, other="random"), dict(k=40, image=20, other="pixels")],
}


def _pixels(fig) -> np.ndarray:
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int).copy()   # (H, W, 3)


@pytest.mark.parametrize("make", list(CASES), ids=lambda cls: cls.__name__)
def test_blitted_frames_equal_a_full_redraw(make):
    app = make()
    for values in CASES[make]:
        app.update(**values)
        assert app.backdrop.blit()
        blitted = _pixels(app.fig)
        app.backdrop.restore()                         # the real static artists, drawn in full
        app.fig.canvas.draw()
        full = _pixels(app.fig)
        app.backdrop.capture()
        differ = np.abs(blitted - full).max(axis=2) > 30
        # a few anti-aliased pixels where a moving artist meets a static one (the y grid passes
        # under the bars instead of over them) may differ; nothing else
        assert differ.mean() < 2e-3, f"{make.__name__} {values}: {differ.sum()} pixels differ"
