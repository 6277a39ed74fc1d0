r"""Image augmentations in NumPy: flips, small affine moves, brightness/contrast jitter (notebook 08).

Augmentation shows the model a slightly different version of each training image every epoch,
so it cannot memorise pixels; the label must survive the change. That is a statement about the
data, not the code: a small shift or rotation keeps a "3" a "3", a horizontal flip does not
(it is a fine augmentation for photos of cats, a harmful one for digits).

Every function draws its random parameters **per image** from the given ``rng``, returns a new
array of the same shape and dtype, and leaves the input untouched.

Shape: ``images`` (N, H, W) or (N, C, H, W); the transforms act on the last two axes.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_choice, check_range
from helpers.core.figures import new_figure

__all__ = ["random_flip", "random_affine", "brightness_contrast", "augment", "augmentation_gallery"]


def _check_images(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    images = check_array(images, "images", ndim=(3, 4))
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator, got {type(rng).__name__}")
    return images


def random_flip(images: np.ndarray, rng: np.random.Generator, p: float = 0.5,
                direction: str = "horizontal") -> np.ndarray:
    """Mirror each image left-right (``"horizontal"``) or top-bottom (``"vertical"``) with probability ``p``."""
    images = _check_images(images, rng)
    check_range(p, "p", 0.0, 1.0)
    check_choice(direction, "direction", ["horizontal", "vertical"])
    flip = rng.random(images.shape[0]) < p  # (N,)
    out = images.copy()
    axis = -1 if direction == "horizontal" else -2
    out[flip] = np.flip(images[flip], axis=axis)
    return out


def _check_affine(images, rng, max_shift: float, max_rotate: float, max_scale: float) -> np.ndarray:
    images = _check_images(images, rng)
    check_range(max_shift, "max_shift", 0.0, 4.0)
    check_range(max_rotate, "max_rotate", 0.0, 45.0)
    check_range(max_scale, "max_scale", 0.0, 0.5)
    return images


def random_affine(images: np.ndarray, rng: np.random.Generator, max_shift: float = 1.0,
                  max_rotate: float = 10.0, max_scale: float = 0.1) -> np.ndarray:
    r"""Shift, rotate and scale each image by a small random amount (bilinear resampling).

    An output pixel at :math:`p` (relative to the image centre :math:`c`) reads the input at

    .. math:: p_{in} = \frac{1}{s} R(-\theta)\,(p - c - t) + c,

    with shift :math:`t \sim U[-\text{max\_shift}, \text{max\_shift}]^2` pixels, angle
    :math:`\theta \sim U[\pm\text{max\_rotate}]` degrees and scale
    :math:`s \sim U[1 \pm \text{max\_scale}]`. Pixels read from outside the image are 0 (the
    background of the digits). Bilinear weights are convex, so values stay within the input's
    range extended by 0.
    """
    images = _check_affine(images, rng, max_shift, max_rotate, max_scale)
    n, h, w = images.shape[0], images.shape[-2], images.shape[-1]
    flat = images.reshape(n, -1, h, w)  # (N, C, H, W) with C = 1 for grey images
    shift = rng.uniform(-max_shift, max_shift, size=(n, 2))
    theta = np.deg2rad(rng.uniform(-max_rotate, max_rotate, size=n))
    scale = rng.uniform(1 - max_scale, 1 + max_scale, size=n)
    ys, xs = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")  # (H, W)
    dy = ys[None] - shift[:, 0, None, None]  # (N, H, W)
    dx = xs[None] - shift[:, 1, None, None]
    cos, sin = (np.cos(theta) / scale)[:, None, None], (np.sin(theta) / scale)[:, None, None]
    src_y = cos * dy - sin * dx + (h - 1) / 2  # (N, H, W), inverse map: rotate back by -theta
    src_x = sin * dy + cos * dx + (w - 1) / 2
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
    fy, fx = src_y - y0, src_x - x0
    padded = np.pad(flat, ((0, 0), (0, 0), (1, 1), (1, 1)))  # a border of zeros: (N, C, H+2, W+2)
    batch = np.arange(n)[:, None, None]

    def pixel(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        # any coordinate outside the image is clipped onto the zero border, so it reads 0
        yy, xx = np.clip(yy, -1, h) + 1, np.clip(xx, -1, w) + 1
        return padded[batch, :, yy, xx]  # (N, H, W, C): the advanced indices come first

    out = ((1 - fy) * (1 - fx))[..., None] * pixel(y0, x0) + ((1 - fy) * fx)[..., None] * pixel(y0, x0 + 1) \
        + (fy * (1 - fx))[..., None] * pixel(y0 + 1, x0) + (fy * fx)[..., None] * pixel(y0 + 1, x0 + 1)
    out = np.moveaxis(out, -1, 1)  # (N, C, H, W)
    return out.reshape(images.shape).astype(images.dtype)  # back to (N, H, W) or (N, C, H, W)


def brightness_contrast(images: np.ndarray, rng: np.random.Generator, brightness: float = 0.1,
                        contrast: float = 0.2, clip: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    r"""Jitter each image's contrast :math:`c \sim U[1 \pm \text{contrast}]` around its own mean
    and its brightness by :math:`b \sim U[\pm\text{brightness}]`:
    :math:`x' = \operatorname{clip}(c\,(x - \bar x) + \bar x + b)`."""
    images = _check_images(images, rng)
    check_range(brightness, "brightness", 0.0, 1.0)
    check_range(contrast, "contrast", 0.0, 1.0)
    n = images.shape[0]
    shape = (n,) + (1,) * (images.ndim - 1)  # broadcast one number per image
    c = rng.uniform(1 - contrast, 1 + contrast, size=n).reshape(shape)  # (N, 1, 1) or (N, 1, 1, 1)
    b = rng.uniform(-brightness, brightness, size=n).reshape(shape)      # same
    mean = images.mean(axis=tuple(range(1, images.ndim)), keepdims=True)
    return np.clip(c * (images - mean) + mean + b, *clip).astype(images.dtype)


def augment(images: np.ndarray, rng: np.random.Generator, flip: bool = False, max_shift: float = 1.0,
            max_rotate: float = 10.0, max_scale: float = 0.1, brightness: float = 0.1,
            contrast: float = 0.2) -> np.ndarray:
    """The composition used in notebook 08: optional flip, then a small affine move, then jitter.

    ``flip`` is off by default because mirrored digits are not the same digits.
    """
    images = _check_images(images, rng)
    out = random_flip(images, rng) if flip else images
    out = random_affine(out, rng, max_shift, max_rotate, max_scale)
    return brightness_contrast(out, rng, brightness, contrast)


def augmentation_gallery(images: np.ndarray, rng: np.random.Generator, copies: int = 5) -> Figure:
    """Each image of ``images`` (N, H, W) in a row: the original, then ``copies`` augmented versions,
    and a horizontally flipped one at the end (the flip we do *not* use for digits)."""
    images = _check_images(images, rng)
    check_range(copies, "copies", 1, 10, integer=True)
    n = images.shape[0]
    fig = new_figure(1.1 * (copies + 2), 1.15 * n)
    axes = fig.subplots(n, copies + 2, squeeze=False)
    for i in range(n):
        row = [images[i]] + [augment(images[i:i + 1], rng)[0] for _ in range(copies)] + [images[i][..., ::-1]]
        for j, (ax, img) in enumerate(zip(axes[i], row)):
            ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title("original" if j == 0 else "flipped" if j == copies + 1 else "augmented", fontsize=9)
    fig.tight_layout()
    return fig
