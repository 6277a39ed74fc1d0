"""A widget frame's encoding (:func:`helpers.ui.frames.encode_png`): a plot goes as a small palette PNG
that decodes to (almost) the same pixels with an exactly white background; a picture the palette
would band goes in full colour; bad input is refused in words."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from helpers.ui.frames import encode_png


def _decode(png: bytes) -> tuple[str, np.ndarray]:
    image = Image.open(io.BytesIO(png))
    return image.mode, np.asarray(image.convert("RGB")).astype(int)


def _plot_with_pale_colour_map() -> np.ndarray:
    """A white figure with a heat map whose pale end is near white, as the diverging maps have."""
    from helpers.core.figures import DIVERGING_CMAP, new_figure

    fig = new_figure(4, 3)
    ax = fig.add_subplot()
    ax.imshow(np.random.default_rng(0).normal(size=(16, 16)) * 0.3, cmap=DIVERGING_CMAP, vmin=-1, vmax=1)
    ax.plot([0, 15], [0, 15], "k-")
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_a_plot_goes_as_a_faithful_palette_png_with_a_white_background():
    rgba = _plot_with_pale_colour_map()
    mode, pixels = _decode(encode_png(rgba))
    assert mode == "P"
    assert np.abs(pixels - rgba[..., :3]).mean() < 2.5
    assert (pixels[0, 0] == 255).all() and (pixels[-1, -1] == 255).all(), "the background stays exactly white"


def test_a_photograph_goes_in_full_colour_and_is_kept_exactly():
    rng = np.random.default_rng(1)
    smooth = np.cumsum(np.cumsum(rng.normal(size=(120, 160, 3)), axis=0), axis=1)
    photo = ((smooth - smooth.min()) / np.ptp(smooth) * 255).astype(np.uint8)
    mode, pixels = _decode(encode_png(photo))
    assert mode == "RGB"
    assert np.array_equal(pixels, photo)


@pytest.mark.parametrize("bad, words", [
    (np.zeros((4, 6), dtype=np.uint8), "(H, W, 3 or 4) uint8"),
    (np.zeros((4, 6, 4), dtype=np.float32), "uint8"),
])
def test_bad_pixels_are_refused_in_words(bad, words):
    with pytest.raises(ValueError, match=re.escape(words)) as info:
        encode_png(bad)
    assert str(bad.shape) in str(info.value)


def test_colours_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"colours must lie in \[2, 256\]"):
        encode_png(np.zeros((4, 6, 4), dtype=np.uint8), colours=1)
