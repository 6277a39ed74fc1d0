"""One widget frame: a figure's pixels, drawn as little as possible and encoded as a small PNG.

What a slider move costs the learner (measured in ``python -m tools.bench --only browser``) is
the kernel's draw, the PNG encode, the image's trip through the widget comm and the browser's
decode. :func:`frame_png` trims the kernel's share of each:

* **draw**: with a :class:`~helpers.ui.backdrop.Backdrop` the cached static layer is restored
  into the canvas and only the moving artists are drawn on top (blitting), instead of a
  ``savefig`` that walks the whole figure;
* **encode**: the pixels are quantised to a 256-colour palette and written with fast zlib
  settings. A course figure has a few flat colours, anti-aliased edges and a colour map or two,
  which 256 colours keep (a colour map is itself a 256-entry table); the PNG is 3-5x smaller
  and the encode 5-10x faster than matplotlib's full-colour PNG. A figure the palette would
  visibly change (a photograph) is sent in full colour, still with fast zlib settings.

Identical pixels give identical bytes, so an ``ipywidgets.Image`` whose value is set to an
unchanged frame sends nothing (traitlets compares the bytes).
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from PIL import Image, ImageChops, ImageStat

from helpers.ui.backdrop import Backdrop

__all__ = ["frame_png", "encode_png"]

_NEAR_WHITE = 246   # a palette entry with every channel at least this is taken for white


def encode_png(rgba: np.ndarray, colours: int = 256, max_error: float = 2.5) -> bytes:
    """Encode an ``(H, W, 4)`` (or ``(H, W, 3)``) uint8 image as a PNG, with a palette of at most
    ``colours`` colours when that keeps it faithful.

    A plot quantises almost losslessly (measured over every app: 1.1-1.9 grey levels of mean
    difference, mostly a shade on the white background); a photograph does not (3.2: its smooth
    greys band visibly), so when the palette image differs from the original by more than
    ``max_error`` grey levels on average (in its worst channel) the full-colour image is written
    instead. Alpha is dropped (a
    course figure has an opaque white background).

    >>> png = encode_png(np.zeros((4, 6, 4), dtype=np.uint8))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4) or rgba.dtype != np.uint8:
        raise ValueError(f"encode_png needs an (H, W, 3 or 4) uint8 array, got shape {rgba.shape} "
                         f"and dtype {rgba.dtype}")
    if not 2 <= colours <= 256:
        raise ValueError(f"colours must lie in [2, 256], got {colours}")
    rgba = np.ascontiguousarray(rgba)   # a canvas buffer already is: no copy
    rgb = Image.fromarray(rgba).convert("RGB")                          # (H, W, 3)
    palette = rgb.quantize(colours, method=Image.Quantize.FASTOCTREE)  # (H, W) indices + palette
    # The octree averages a box of colours: with near-white colour-map entries in the picture the
    # white background's box comes out a few levels grey, over most of the figure. Near-white
    # entries are white again (a change of at most 9 levels, invisible), so the background is.
    entries = np.array(palette.getpalette(), dtype=np.uint8).reshape(-1, 3)   # (n, 3) RGB
    near_white = (entries >= _NEAR_WHITE).all(axis=1)
    if near_white.any():
        entries[near_white] = 255
        palette.putpalette(entries.ravel().tolist())
    error = max(ImageStat.Stat(ImageChops.difference(rgb, palette.convert("RGB"))).mean)
    buf = io.BytesIO()
    (palette if error <= max_error else rgb).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def frame_png(fig: Figure, backdrop: Backdrop | None = None) -> bytes:
    """Draw ``fig`` (by blitting over ``backdrop`` when it has a captured layer) and encode it.

    Args:
        fig: a figure with an Agg canvas (:func:`helpers.core.figures.new_figure`).
        backdrop: the figure's cached static layer, if it has one.

    Returns:
        PNG bytes of the figure at its own dpi, ``(H, W)`` = the canvas size in pixels.
    """
    if backdrop is None or not backdrop.blit():
        fig.canvas.draw()
    return encode_png(np.asarray(fig.canvas.buffer_rgba()))
