"""The UI layer's cached static layer (:class:`helpers.ui.backdrop.Backdrop`): blitting over it gives
the picture a full redraw gives, and layers kept per key (:meth:`Backdrop.use_layer`) give the
picture a fresh capture gives, in any order of keys."""
from __future__ import annotations

import random

import numpy as np


def _pixels(fig) -> np.ndarray:
    import io

    from PIL import Image

    from helpers.core.figures import render_png

    return np.asarray(Image.open(io.BytesIO(render_png(fig)))).astype(int)


def test_backdrop_gives_the_same_picture_as_a_full_redraw():
    from helpers.ui.backdrop import Backdrop
    from helpers.core.figures import new_figure

    def build():
        fig = new_figure(4, 3)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], "k--", label="static")
        ax.legend(loc="upper left")  # a fixed place: "best" would dodge the moving line in the plain figure
        (moving,) = ax.plot([], [], "r-", lw=2)
        label = ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center")
        ax.set(xlim=(0, 1), ylim=(0, 1))
        fig.tight_layout()
        return fig, moving, label

    plain, cached = build(), build()
    backdrop = Backdrop(cached[0], cached[1:])
    backdrop.capture()
    for k in range(3):  # move the dynamic artists a few times
        for fig, moving, label in (plain, cached):
            moving.set_data(np.linspace(0, 1, 50), np.sin(np.linspace(0, 3 + k, 50)) / 2 + 0.5)
            label.set_text(f"frame {k}")
        differ = np.abs(_pixels(plain[0]) - _pixels(cached[0])).max(axis=-1) > 2
        # only where a moving line crosses a static artist drawn above it (a spine) may pixels differ
        assert differ.mean() < 0.005, f"{differ.mean():.2%} of the pixels differ"
    backdrop.restore()  # editing the static layer: the real artists are back
    assert all(a.get_visible() for a in cached[0].axes[0].get_children())


def _two_panel(cmap: str):
    """A figure whose static layer (colour bar, axis range) depends on a key, as 01's activation does."""
    from helpers.core.figures import DIVERGING_CMAP, SEQUENTIAL_CMAP, new_figure

    fig = new_figure(4, 3)
    ax = fig.add_subplot()
    image = ax.imshow(np.outer(np.linspace(0, 1, 20), np.ones(20)), cmap=DIVERGING_CMAP, vmin=0, vmax=1)
    fig.colorbar(image, ax=ax)
    (line,) = ax.plot([], [], "k-", lw=2)
    fig.tight_layout()
    limits = {"unit": (0, 1), "wide": (-3, 3), "relu": (0, 5)}
    maps = {"unit": DIVERGING_CMAP, "wide": DIVERGING_CMAP, "relu": SEQUENTIAL_CMAP}

    def prepare(key):
        def apply():
            image.set_clim(*limits[key])
            image.set_cmap(maps[key])
            ax.set_ylim(-0.5 + limits[key][0], 19.5 + limits[key][1])
        return apply

    return fig, image, line, prepare


def test_layers_kept_per_key_give_the_picture_of_a_fresh_capture():
    from helpers.ui.backdrop import Backdrop
    from helpers.ui.frames import frame_png

    fig, image, line, prepare = _two_panel("unit")
    backdrop = Backdrop(fig, [image, line])
    keys = ["unit", "wide", "relu"] * 3
    random.Random(0).shuffle(keys)
    drawn = [backdrop.use_layer(key, prepare(key)) for key in keys]
    assert drawn.count(True) == 3, "each key's layer is drawn once, then kept"
    for k, key in enumerate(keys):
        backdrop.use_layer(key, prepare(key))
        line.set_data(np.arange(20), np.full(20, k))
        frame_png(fig, backdrop)
        kept = np.asarray(fig.canvas.buffer_rgba()).astype(int)
        fresh_fig, fresh_image, fresh_line, fresh_prepare = _two_panel("unit")
        fresh = Backdrop(fresh_fig, [fresh_image, fresh_line])
        fresh_prepare(key)()
        fresh.capture()
        fresh_line.set_data(np.arange(20), np.full(20, k))
        frame_png(fresh_fig, fresh)
        assert np.array_equal(kept, np.asarray(fresh_fig.canvas.buffer_rgba()).astype(int)), key
        # the static output (a full draw over the kept pixels) is the same picture as the blit
        fig.canvas.draw()
        assert np.array_equal(kept, np.asarray(fig.canvas.buffer_rgba()).astype(int)), f"full draw, {key}"
    backdrop.restore()   # forgets every kept layer
    assert backdrop.use_layer(keys[0], prepare(keys[0])) is True


def test_kept_layers_are_bounded_least_recently_used_first():
    from helpers.ui.backdrop import Backdrop

    fig, image, line, prepare = _two_panel("unit")
    backdrop = Backdrop(fig, [image, line], max_layers=2)
    assert backdrop.use_layer("unit", prepare("unit")) and backdrop.use_layer("wide", prepare("wide"))
    assert not backdrop.use_layer("unit", prepare("unit"))       # kept; now the most recently used
    assert backdrop.use_layer("relu", prepare("relu"))           # a third: "wide" goes
    assert list(backdrop._layers) == ["unit", "relu"]
    assert backdrop.use_layer("wide", prepare("wide"))
