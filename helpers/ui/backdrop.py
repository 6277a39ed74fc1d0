"""A figure's static layer drawn once and reused, so a slider move only draws what moved.

Most of a redraw is spent on things that never change: axes, tick labels, contour lines, legends.
:class:`Backdrop` renders those once into pixels, shows the pixels as a figure image and hides
the originals; :func:`helpers.core.figures.render_png` then rasterises only the moving artists on top
(the idea of blitting, but through an ordinary ``savefig``). A widget frame goes one step
further (:func:`helpers.ui.frames.frame_png` calls :meth:`Backdrop.blit`): it copies the cached
pixels straight into the canvas and draws only the moving artists, without walking the figure.

To change something static (limits, which contours show, ticks)::

    backdrop.restore()      # the real static artists are back, the cached pixels gone
    ax.set_xlim(...)        # edit freely
    backdrop.capture()      # cache the new static layer

A control that switches between a few static layers (a dropdown of activations, each with its own
colour bar and axis range) keeps each one once drawn: ``backdrop.use_layer(key, prepare)`` runs
``prepare`` (which sets up the static artists for ``key``) and captures the first time, and later
only re-applies ``prepare`` and swaps the cached pixels back in.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Callable, Hashable, Iterable

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["Backdrop", "grown", "decades"]


class Backdrop:
    """Cache everything in ``fig`` except the ``dynamic`` artists as one image.

    Args:
        fig: a figure with an Agg canvas (:func:`helpers.core.figures.new_figure`), laid out already.
        dynamic: the artists that change on a slider move; they are drawn normally, on top.
            (Use ``ax.text`` for a changing title: an Axes title repositions itself against the
            hidden tick labels.)
        max_layers: how many layers :meth:`use_layer` keeps (the least recently used goes first;
            a layer is two copies of the figure's pixels, about 2 MB for a 900 x 300 figure).
    """

    def __init__(self, fig: Figure, dynamic: Iterable[Artist], max_layers: int = 16) -> None:
        if int(max_layers) < 1:
            raise ValueError(f"max_layers must be at least 1, got {max_layers}")
        self.fig = fig
        self.dynamic = list(dynamic)
        self.max_layers = int(max_layers)
        self._image = None
        self._background = None   # the static layer as an Agg buffer region, for blit()
        self._pixels: np.ndarray | None = None
        self._size: tuple[int, int] | None = None
        self._hidden: list[Artist] = []
        self._layers: OrderedDict[Hashable, tuple] = OrderedDict()   # key -> (pixels, background, size), oldest first
        self._key: Hashable | None = None

    def restore(self) -> None:
        """Drop the cached pixels and show the static artists again, exactly those we hid.

        Layers kept by :meth:`use_layer` are forgotten too: whatever the caller edits next may
        change them all."""
        self._layers, self._key = OrderedDict(), None
        self._restore()

    def _restore(self) -> None:
        if self._image is not None:
            self._image.remove()
            self._image = None
        self._background, self._size = None, None
        for artist in self._hidden:
            artist.set_visible(True)
        self._hidden = []

    def capture(self) -> None:
        """Render the static layer (everything visible but the dynamic artists) and cache it."""
        self.restore()
        self._capture()

    def _capture(self) -> None:
        dynamic_shown = [a.get_visible() for a in self.dynamic]
        for artist in self.dynamic:
            artist.set_visible(False)
        self.fig.canvas.draw()
        pixels = np.asarray(self.fig.canvas.buffer_rgba()).copy()  # (H, W, 4), top row first
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self._size = self.fig.canvas.get_width_height()
        for artist, shown in zip(self.dynamic, dynamic_shown):
            artist.set_visible(shown)
        self._hide_static()
        self._pixels = pixels
        self._image = self.fig.figimage(pixels, origin="upper", zorder=-1)

    def _hide_static(self) -> None:
        """Hide every visible artist of the axes but the dynamic ones (the cached pixels show them)."""
        keep = {id(a) for a in self.dynamic}
        self._hidden = [child for ax in self.fig.axes for child in ax.get_children()
                        if id(child) not in keep and child.get_visible()]
        for artist in self._hidden:
            artist.set_visible(False)

    def use_layer(self, key: Hashable, prepare: Callable[[], None]) -> bool:
        """Make the static layer the one for ``key``; returns whether it had to be drawn.

        ``prepare()`` sets the static artists up for ``key`` (colour limits, axis ranges, ...): the
        same key must always give the same static layer. The first time a key is used its layer
        is drawn and kept (at most ``max_layers`` of them, the least recently used dropped first);
        later ``prepare()`` only re-applies the settings to the hidden artists (so that the dynamic
        ones, drawn on top, use them) and the kept pixels are swapped in. :meth:`restore` or a
        limit change forgets every kept layer.
        """
        if key == self._key and self._background is not None:
            return False
        if key in self._layers and self._image is not None:
            for artist in self._hidden:      # shown again before prepare(), which may hide some itself
                artist.set_visible(True)
            prepare()
            for ax in self.fig.axes:   # a fixed aspect places the axes at draw time, which blit skips
                ax.apply_aspect()
            self._layers.move_to_end(key)
            pixels, self._background, self._size = self._layers[key]
            self._image.set_data(pixels)
            self._hide_static()   # prepare() may have made new static artists (a colour bar's mesh)
            self._key = key
            return False
        layers = self._layers
        self._restore()
        prepare()
        self._capture()
        self._layers = layers
        self._layers[key] = (self._pixels, self._background, self._size)
        while len(self._layers) > self.max_layers:
            self._layers.popitem(last=False)
        self._key = key
        return True

    def blit(self) -> bool:
        """Paint the cached static layer into the canvas and draw the dynamic artists on top.

        Returns False (and draws nothing) when there is no captured layer or the canvas changed
        size since the capture: the caller then draws the whole figure.
        """
        canvas = self.fig.canvas
        if self._background is None or canvas.get_width_height() != self._size:
            return False
        renderer = canvas.get_renderer()
        canvas.restore_region(self._background)
        for artist in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            artist.draw(renderer)   # an invisible artist draws nothing
        return True

    def set_limits(self, ax: Axes, xlim: tuple[float, float] | None = None,
                   ylim: tuple[float, float] | None = None) -> bool:
        """Set ``ax``'s limits, re-capturing the static layer only if they change (returns whether
        they did). Pair it with :func:`grown` / :func:`decades` so limits change rarely."""
        return self.set_many_limits({ax: (xlim, ylim)})

    def set_many_limits(self, limits: dict[Axes, tuple[tuple[float, float] | None, tuple[float, float] | None]]) -> bool:
        """:meth:`set_limits` for several axes at once, ``{ax: (xlim, ylim)}`` (``None``: keep),
        re-capturing at most once; returns whether any limit changed."""
        wanted = {ax: (ax.get_xlim() if x is None else tuple(map(float, x)),
                       ax.get_ylim() if y is None else tuple(map(float, y))) for ax, (x, y) in limits.items()}
        if all(np.allclose(x, ax.get_xlim()) and np.allclose(y, ax.get_ylim()) for ax, (x, y) in wanted.items()):
            return False
        self.restore()
        for ax, (x, y) in wanted.items():
            ax.set(xlim=x, ylim=y)
        self.capture()
        return True


def grown(n: float, start: float) -> float:
    """The smallest ``start * 2**k >= n`` (k >= 0): an axis that doubles when the data outgrow it."""
    return float(start * 2 ** max(0, math.ceil(math.log2(max(n, 1e-300) / start))))


def decades(lo: float, hi: float) -> tuple[float, float]:
    """``(lo, hi)`` widened to whole powers of ten, for a log axis that rarely moves."""
    lo, hi = max(lo, 1e-300), max(hi, lo * 10)
    return 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi))
