r"""Yardsticks for generative models: mode coverage on the ring, digit quality (notebook 12).

A GAN has no test loss that says "good": its losses measure the game, not the samples. So we
judge samples directly.

* On the **ring of Gaussians** (:class:`helpers.core.data.RingMixture`, :math:`K` modes of
  standard deviation :math:`\sigma` on a circle) we know the truth. A sample is *high quality*
  if it lies within :math:`k\sigma` of its nearest mode; a mode is *covered* if at least a fraction
  ``min_fraction`` of all samples are high-quality samples of that mode (the metric of the
  Unrolled-GAN and VEEGAN papers). A collapsed generator has high quality and few modes.
* For **digits** we ask a classifier trained on real digits (:func:`classifier_scores`): are
  its predictions on the samples confident (mean max-probability), and are all ten classes
  produced (how many classes get a fair share; the entropy of the predicted-class histogram,
  :math:`\log_2 10 \approx 3.32` bits when all classes are equally frequent)?
* :func:`interpolate_latent` walks between two noise vectors, linearly or along the sphere.

Shape: samples ``X`` (N, D), modes (K, D), class probabilities (N, K).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_choice, check_range

__all__ = ["ModeCoverage", "mode_coverage", "ClassifierScores", "classifier_scores",
           "interpolate_latent"]


@dataclass(frozen=True)
class ModeCoverage:
    """The result of :func:`mode_coverage`."""

    covered: int            # number of covered modes
    modes: int              # K
    quality: float          # fraction of samples within k sigma of some mode
    counts: np.ndarray      # (K,) fraction of all samples that are high-quality samples of mode k

    @property
    def all_covered(self) -> bool:
        return self.covered == self.modes

    def __str__(self) -> str:
        return f"{self.covered}/{self.modes} modes covered, {self.quality:.0%} of samples near a mode"


def _check_coverage(samples, centers, std: float, k: float, min_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    samples = check_array(samples, "samples", ndim=2)
    centers = check_array(centers, "centers", ndim=2, shape=(None, samples.shape[1]))
    check_range(std, "std", 0.0, None, low_inclusive=False)
    check_range(k, "k", 0.0, None, low_inclusive=False)
    check_range(min_fraction, "min_fraction", 0.0, 1.0, low_inclusive=False)
    return samples, centers


def mode_coverage(samples: np.ndarray, centers: np.ndarray, std: float, k: float = 3.0,
                  min_fraction: float = 0.02) -> ModeCoverage:
    r"""How many modes a generator covers, and how many of its samples are good.

    A sample :math:`x` is high quality if :math:`\min_j \|x - \mu_j\| \le k\sigma`. Mode :math:`j`
    is covered if at least ``min_fraction`` of all samples are high quality and nearest to it
    (with 8 modes, a perfect generator puts 12.5% on each).

    Args:
        samples: generated points (N, D).
        centers: the mode centres (K, D).
        std: the modes' standard deviation :math:`\sigma`.
        k: the radius in standard deviations; a 2-D Gaussian puts :math:`1 - e^{-k^2/2}` of its
            samples within :math:`k\sigma` of its centre (98.9% for k = 3).
        min_fraction: the share of samples a mode needs to count as covered.

    Shape: samples (N, D), centers (K, D) -> :class:`ModeCoverage` with counts (K,).
    """
    samples, centers = _check_coverage(samples, centers, std, k, min_fraction)
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)  # (N, 1, D) - (1, K, D) -> (N, K)
    nearest = dist.argmin(axis=1)                                            # (N,)
    good = dist[np.arange(len(samples)), nearest] <= k * std                 # (N,)
    counts = np.bincount(nearest[good], minlength=len(centers)) / len(samples)  # (K,)
    return ModeCoverage(int((counts >= min_fraction).sum()), len(centers), float(good.mean()), counts)


@dataclass(frozen=True)
class ClassifierScores:
    """What a digit classifier says about a set of images (see :func:`classifier_scores`)."""

    confidence: float       # mean over images of the top class probability
    classes: int            # classes predicted for at least ``min_share`` of the images
    entropy_bits: float     # entropy of the predicted-class histogram, in bits
    histogram: np.ndarray   # (K,) share of images predicted as each class

    def __str__(self) -> str:
        return (f"confidence {self.confidence:.2f}, {self.classes} classes, "
                f"class entropy {self.entropy_bits:.2f} bits")


def classifier_scores(probs: np.ndarray, min_share: float = 0.02) -> ClassifierScores:
    r"""Confidence and diversity of a classifier's predictions on generated images.

    .. math:: \text{confidence} = \frac{1}{N}\sum_n \max_k p_{nk}, \qquad
              H = -\sum_k h_k \log_2 h_k, \quad h_k = \frac{1}{N}\#\{n : \arg\max_j p_{nj} = k\}.

    Terms with :math:`h_k = 0` contribute 0 (the limit of :math:`h \log h`), so they are skipped
    rather than computing ``0 * log(0) = nan``.

    Shape: probs (N, K), rows summing to 1 -> :class:`ClassifierScores` with histogram (K,).
    """
    probs = check_array(probs, "probs", ndim=2)
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probs must be probabilities (non-negative rows summing to 1), got row sums "
                         f"in [{probs.sum(axis=1).min():.3g}, {probs.sum(axis=1).max():.3g}]")
    check_range(min_share, "min_share", 0.0, 1.0)
    hist = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)  # (K,)
    nz = hist[hist > 0]
    return ClassifierScores(float(probs.max(axis=1).mean()), int((hist >= min_share).sum()),
                            max(0.0, float(-(nz * np.log2(nz)).sum())), hist)  # max: no "-0.00 bits"


def interpolate_latent(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray,
                       mode: str = "linear") -> np.ndarray:
    r"""Points between two latent vectors: linear :math:`(1-t)z_0 + t z_1` or spherical (slerp)

    .. math:: \operatorname{slerp}(z_0, z_1; t) = \frac{\sin((1-t)\Omega)}{\sin\Omega} z_0
              + \frac{\sin(t\Omega)}{\sin\Omega} z_1, \qquad \cos\Omega = \frac{z_0\cdot z_1}{\|z_0\|\|z_1\|}.

    Why slerp: a Gaussian :math:`z` in many dimensions has norm close to :math:`\sqrt{Z}`; the
    straight line's midpoint is shorter than that (a "typical" sample never lies there), the
    arc is not. Nearly parallel vectors (:math:`\sin\Omega \approx 0`) fall back to the linear
    formula, which is then the same path, instead of dividing by zero.

    Shape: z0, z1 (Z,); t a number or (T,) -> (Z,) or (T, Z).
    """
    z0 = check_array(z0, "z0", ndim=1)
    z1 = check_array(z1, "z1", ndim=1, shape=z0.shape)
    check_choice(mode, "mode", ["linear", "slerp"])
    ts = check_array(t, "t", ndim=(0, 1))
    if np.any(ts < 0) or np.any(ts > 1):
        raise ValueError(f"t must lie in [0, 1], got values in [{ts.min()}, {ts.max()}]")
    tt = np.atleast_1d(ts)[:, None]  # (T, 1)
    lin = (1 - tt) * z0 + tt * z1    # (T, Z)
    if mode == "slerp":
        cos = np.dot(z0, z1) / max(np.linalg.norm(z0) * np.linalg.norm(z1), 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if np.sin(omega) > 1e-6:
            lin = (np.sin((1 - tt) * omega) * z0 + np.sin(tt * omega) * z1) / np.sin(omega)
    return lin[0] if ts.ndim == 0 else lin
