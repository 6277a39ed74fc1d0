r"""Two random views of one image: notebook 08's augmentations behind a single "strength" knob (notebook 18).

SimCLR learns by telling which two pictures in a batch are views of the same image. The views
must differ in everything the representation should ignore (a small shift, a tilt, the stroke's
brightness) and agree on what it should keep (the digit). :func:`view_params` maps one number,
the *augmentation strength* :math:`s \in [0, 1]`, onto the parameters of
:func:`helpers.training.augment.random_affine` and :func:`helpers.training.augment.brightness_contrast`
(at :math:`s = 0` both views are the image itself); :func:`two_views` draws the pair.

Nothing new is needed for 8×8 digits beyond notebook 08's transforms: SimCLR's random crops are
our shifts and scalings, its colour jitter our brightness and contrast jitter.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_range
from helpers.core.figures import new_figure
from helpers.training.augment import brightness_contrast, random_affine

__all__ = ["view_params", "augment_views", "two_views", "views_figure"]

# the parameters at full strength, s = 1 (the views of s = 0.5 use half of each)
_FULL = {"max_shift": 1.5, "max_rotate": 20.0, "max_scale": 0.2, "brightness": 0.2, "contrast": 0.4}


def view_params(strength: float) -> dict[str, float]:
    """The augmentation parameters at ``strength`` s in [0, 1]: each one is s times its full value.

    Example:
        >>> view_params(0.5)["max_rotate"]
        10.0
    """
    check_range(strength, "strength", 0.0, 1.0)
    return {name: strength * value for name, value in _FULL.items()}


def augment_views(images: np.ndarray, rng: np.random.Generator, strength: float = 0.5) -> np.ndarray:
    """One random view of every image: a small affine move, then brightness/contrast jitter.

    Shape:
        images: (N, 8, 8) in [0, 1] -> (N, 8, 8), the same dtype.
    """
    images = check_array(images, "images", ndim=3)
    p = view_params(strength)
    out = random_affine(images, rng, p["max_shift"], p["max_rotate"], p["max_scale"])
    return brightness_contrast(out, rng, p["brightness"], p["contrast"])


def two_views(images: np.ndarray, rng: np.random.Generator, strength: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Two independent views of every image (row i of both comes from image i).

    Shape:
        images: (N, 8, 8) -> two arrays (N, 8, 8).

    Example:
        >>> a, b = two_views(np.zeros((3, 8, 8)), np.random.default_rng(0), strength=0.0)
        >>> a.shape, bool(np.all(a == b))
        ((3, 8, 8), True)
    """
    return augment_views(images, rng, strength), augment_views(images, rng, strength)


def views_figure(images: np.ndarray, rng: np.random.Generator, strengths=(0.0, 0.5, 1.0), pairs: int = 2) -> Figure:
    """For each image (a row) and each strength: ``pairs`` pairs of views, side by side."""
    images = check_array(images, "images", ndim=3)
    check_range(pairs, "pairs", 1, 4, integer=True)
    n, cols = images.shape[0], len(strengths) * 2 * pairs
    fig = new_figure(0.62 * cols + 0.4, 0.7 * n + 0.5)
    axes = fig.subplots(n, cols, squeeze=False)
    for j, s in enumerate(strengths):
        views = [v for _ in range(pairs) for v in two_views(images, rng, s)]   # 2·pairs arrays (N, 8, 8)
        for k, v in enumerate(views):
            for i in range(n):
                ax = axes[i, j * 2 * pairs + k]
                ax.imshow(v[i], cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
        axes[0, j * 2 * pairs].set_title(f"s = {s:g}", fontsize=9, loc="left")
    fig.suptitle(f"{pairs} pairs of views per digit: the stronger the augmentation, the more the views differ",
                 fontsize=9.5)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.78, wspace=0.08, hspace=0.08)
    return fig
