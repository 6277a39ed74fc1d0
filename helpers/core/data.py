"""Datasets that need no download: seeded generators, scikit-learn's bundled data, a text corpus.

Every generator takes a ``seed`` and returns float64 features ``X`` of shape (N, D) and int64
labels ``y`` of shape (N,), so that a notebook run twice gives the same numbers.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.core.checks import check_array, check_choice, check_range, check_seed

__all__ = ["make_moons", "make_circles", "make_blobs_linear", "Split",
           "train_val_test_split", "load_digits", "load_sample_photo", "load_corpus", "CharVocab",
           "DATA_DIR", "CORPUS_PATH", "ImageSplit", "load_digits_images", "RingMixture"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CORPUS_PATH = DATA_DIR / "corpus.txt"


def _check_n(n: int) -> None:
    check_range(n, "n", 2, None, integer=True)


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's generator). X: (N, 2), y: (N,) in {0, 1}."""
    check_seed(seed)
    from sklearn.datasets import make_moons as sk_moons

    _check_n(n)
    check_range(noise, "noise", 0.0, None)
    X, y = sk_moons(n_samples=n, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (scikit-learn's generator). X: (N, 2), y: (N,) in {0, 1}."""
    check_seed(seed)
    from sklearn.datasets import make_circles as sk_circles

    _check_n(n)
    check_range(noise, "noise", 0.0, None)
    check_range(factor, "factor", 0.0, 1.0, low_inclusive=False)
    X, y = sk_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_blobs_linear(n: int = 100, margin: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two linearly separable clouds either side of the line x1 + x2 = 0, at least ``margin`` apart."""
    check_seed(seed)
    _check_n(n)
    check_range(margin, "margin", 0.0, None)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(4 * n, 2))
    d = (X[:, 0] + X[:, 1]) / np.sqrt(2)
    X = X[np.abs(d) > margin / 2][:n]
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


@dataclass(frozen=True)
class Split:
    """A train / validation / test split of features and labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def train_val_test_split(X: np.ndarray, y: np.ndarray, val: float = 0.15, test: float = 0.15,
                         seed: int = 0, stratify: bool = True) -> Split:
    """Shuffle and split (X, y) into train / validation / test, stratified by class by default.

    The values of ``X`` are not inspected: a NaN in X propagates to its split unchanged.
    """
    check_seed(seed)
    from sklearn.model_selection import train_test_split

    X = check_array(X, "X", dtype="any", finite=False)
    if X.ndim < 1:
        raise ValueError("X must have one row per example, got a 0-D array")
    y = check_array(y, "y", ndim=1, dtype="int")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
    check_range(val, "val", 0.0, 0.9)
    check_range(test, "test", 0.0, 0.9, low_inclusive=False)
    if val + test >= 1:
        raise ValueError(f"val + test must be < 1, got {val} + {test}")
    strat = y if stratify else None
    try:
        X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=test, random_state=seed, stratify=strat)
    except ValueError as exc:  # too few rows per class for a stratified split
        raise ValueError(f"cannot split {len(y)} rows into test={test}: {exc}") from None
    if val == 0:
        empty = X_rest[:0]
        return Split(X_rest, y_rest, empty, y_rest[:0], X_test, y_test)
    strat = y_rest if stratify else None
    try:
        X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=val / (1 - test),
                                                          random_state=seed, stratify=strat)
    except ValueError as exc:
        raise ValueError(f"cannot split the {len(y_rest)} non-test rows into val={val}: {exc}") from None
    return Split(X_train, y_train, X_val, y_val, X_test, y_test)


def load_digits(flatten: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits (1,797 real 8×8 scans, no download).

    Returns:
        images scaled to [0, 1], float64, shape (N, 8, 8) or (N, 64) if ``flatten``; labels (N,).
    """
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    images = bunch.images.astype(np.float64) / 16.0
    X = images.reshape(len(images), -1) if flatten else images
    return X, bunch.target.astype(np.int64)


def load_sample_photo(name: str = "china", gray: bool = True, size: int | None = 256) -> np.ndarray:
    """One of scikit-learn's two bundled photographs ("china" or "flower"), no download.

    Returns:
        float64 in [0, 1]; shape (H, W) if ``gray`` else (H, W, 3). If ``size`` is given the
        photo is centre-cropped to a square and downsampled by block-averaging to about that size.
    """
    from sklearn.datasets import load_sample_image

    check_choice(name, "name", ["china", "flower"])
    img = load_sample_image(f"{name}.jpg").astype(np.float64) / 255.0  # (427, 640, 3)
    if gray:
        img = img @ np.array([0.299, 0.587, 0.114])  # ITU-R BT.601 luma
    if size is not None:
        check_range(size, "size", 8, 427, integer=True)
        h, w = img.shape[:2]
        s = min(h, w)
        img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        f = max(1, s // size)
        s2 = (s // f) * f
        img = img[:s2, :s2]
        img = img.reshape(s2 // f, f, s2 // f, f, *img.shape[2:]).mean(axis=(1, 3))
    return img


def load_corpus(path: Path | str | None = None) -> str:
    """The course's character-level text corpus, ``data/corpus.txt`` (see ``data/README.md``).

    A fixed selection of the CPython standard library's own source, frozen into the repository by
    ``python tools/make_corpus.py`` so every machine trains on the same characters. Its SHA-256 is
    checked against ``data/corpus.sha256``.
    """
    path = Path(path) if path is not None else CORPUS_PATH
    if not path.exists():
        raise FileNotFoundError(f"text corpus not found at {path}; regenerate it with "
                                "`python tools/make_corpus.py`")
    raw = path.read_bytes()
    digest_file = path.with_suffix(".sha256")
    if digest_file.exists():
        want = digest_file.read_text().split()[0]
        got = hashlib.sha256(raw).hexdigest()
        if want != got:
            raise ValueError(f"{path} has SHA-256 {got[:12]}…, expected {want[:12]}… "
                             "(edited or truncated?); regenerate with `python tools/make_corpus.py`")
    return raw.decode("utf-8")


class CharVocab:
    """A character vocabulary: ``encode`` text to int ids and ``decode`` them back.

    Example:
        >>> v = CharVocab("hello")
        >>> v.decode(v.encode("hole"))
        'hole'
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharVocab needs a non-empty string, got {type(text).__name__} of length "
                             f"{len(text) if hasattr(text, '__len__') else 'n/a'}")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Text -> int64 ids, shape (T,). Unknown characters raise a ValueError naming them."""
        missing = sorted(set(text) - set(self.index))
        if missing:
            raise ValueError(f"characters not in the vocabulary: {missing[:10]!r}")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: np.ndarray | list[int]) -> str:
        """int ids, shape (T,) -> text."""
        ids = check_array(ids, "ids", ndim=1, dtype="int", allow_empty=True)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(f"ids must lie in [0, {len(self.chars)}), got range [{ids.min()}, {ids.max()}]")
        return "".join(self.chars[i] for i in ids)


# ----------------------------------------------------------------------------- images for CNNs (notebook 09)
@dataclass(frozen=True)
class ImageSplit(Split):
    """A :class:`Split` of images shaped (N, 1, H, W), standardised with the training set's statistics.

    ``mean`` and ``std`` are the training pixels' mean and standard deviation (scalars: one
    channel); :meth:`raw` undoes the standardisation for display.
    """

    mean: float
    std: float

    def raw(self, images: np.ndarray) -> np.ndarray:
        """Standardised images -> the original pixel scale ([0, 1] for the digits)."""
        return np.asarray(images) * self.std + self.mean


def load_digits_images(val: float = 0.1, test: float = 0.3, seed: int = 0,
                       dtype: str = "float32") -> ImageSplit:
    r"""scikit-learn's 8×8 digits as a stratified train / validation / test split of images for a CNN.

    Pixels are standardised, :math:`x \mapsto (x - \mu)/\sigma`, with :math:`\mu, \sigma` measured
    on the **training** images only (the validation and test images must not leak into them).
    One scalar pair for the whole image rather than one per pixel: the digits' border pixels are
    almost always 0, and dividing by their near-zero per-pixel std would blow up the noise.

    Shape:
        ``X_*``: (N, 1, 8, 8) in ``dtype``; ``y_*``: (N,) int64 in [0, 10).

    Example:
        >>> split = load_digits_images()
        >>> split.X_train.shape[1:], round(float(split.X_train.mean()), 6)
        ((1, 8, 8), 0.0)
    """
    check_seed(seed)
    check_choice(dtype, "dtype", ["float32", "float64"])
    images, labels = load_digits()                           # (N, 8, 8) in [0, 1]
    images = images[:, None]                                 # (N, 1, 8, 8)
    s = train_val_test_split(images, labels, val=val, test=test, seed=seed, stratify=True)
    mean, std = float(s.X_train.mean()), float(s.X_train.std())

    def norm(x: np.ndarray) -> np.ndarray:
        return ((x - mean) / std).astype(dtype)

    return ImageSplit(norm(s.X_train), s.y_train, norm(s.X_val), s.y_val, norm(s.X_test), s.y_test,
                      mean=mean, std=std)


@dataclass(frozen=True)
class RingMixture:
    r"""``modes`` Gaussians of standard deviation ``std`` evenly spaced on a circle of ``radius``.

    Mode :math:`k` is centred at :math:`r(\cos 2\pi k/K, \sin 2\pi k/K)`; each is equally likely.
    """

    modes: int = 8
    radius: float = 2.0
    std: float = 0.05

    def __post_init__(self) -> None:
        check_range(self.modes, "modes", 1, 100, integer=True)
        check_range(self.radius, "radius", 0.0, None, low_inclusive=False)
        check_range(self.std, "std", 0.0, None, low_inclusive=False)

    @property
    def centers(self) -> np.ndarray:
        """The mode centres, shape (K, 2)."""
        angle = 2 * np.pi * np.arange(self.modes) / self.modes
        return self.radius * np.column_stack([np.cos(angle), np.sin(angle)])

    def sample(self, n: int, generator: "torch.Generator | None" = None) -> "torch.Tensor":
        """``n`` samples as a float32 tensor (N, 2), drawn with a ``torch.Generator`` (for training)."""
        import torch  # lazily: core.data is imported by chapters that never need torch

        check_range(n, "n", 1, None, integer=True)
        idx = torch.randint(0, self.modes, (n,), generator=generator)
        centers = torch.as_tensor(self.centers, dtype=torch.float32)
        return centers[idx] + self.std * torch.randn(n, 2, generator=generator)  # (N, 2)

    def sample_numpy(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` samples as float64 NumPy (N, 2), seeded."""
        import torch

        return self.sample(n, torch.Generator().manual_seed(seed)).double().numpy()
