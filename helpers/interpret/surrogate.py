r"""Local surrogates: explain one prediction with a linear model of "which parts are present".

The input is cut into :math:`M` features, here **superpixels** (:func:`superpixels`: blocks of
pixels). A **coalition** :math:`\mathbf z \in \{0, 1\}^M` keeps the features with :math:`z_j = 1`
and replaces the others by the baseline (:func:`coalition_inputs`). LIME (Ribeiro et al., 2016)
draws coalitions at random, scores each one with the model, and fits a weighted linear model

.. math::
    \min_{\beta_0, \boldsymbol\beta} \sum_s \pi_s \big(f_t(\mathbf x_{\mathbf z_s}) - \beta_0 - \boldsymbol\beta^\top \mathbf z_s\big)^2,

with weights :math:`\pi_s` that favour coalitions close to the original input. The coefficients
:math:`\boldsymbol\beta` are the explanation. captum's ``Lime`` does the same with its default
sampler (each feature kept with probability 1/2), its default similarity (an exponential kernel
of the cosine distance) and, when asked, an unregularised linear fit (``SkLearnLinearRegression``;
captum's default is a Lasso).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from helpers.core.checks import check_array, check_range, check_seed, check_tensor
from helpers.interpret.scores import apply_model, as_batch, check_baseline, check_model, check_targets

__all__ = ["superpixels", "check_feature_mask", "coalition_inputs", "coalition_scores", "lime_coalitions",
           "cosine_kernel", "weighted_linear_fit", "lime", "paint"]


def superpixels(shape: tuple[int, ...] = (1, 8, 8), block: tuple[int, int] = (2, 2)) -> np.ndarray:
    """Feature ids for blocks of ``block`` pixels over the last two dimensions, row by row.

    Shape:
        -> ``shape`` (e.g. (1, 8, 8)), int64 ids in [0, M), M = (H / bh) · (W / bw).

    Example:
        >>> superpixels((1, 4, 4), (2, 2))[0]
        array([[0, 0, 1, 1],
               [0, 0, 1, 1],
               [2, 2, 3, 3],
               [2, 2, 3, 3]])
    """
    H, W = shape[-2:]
    bh, bw = block
    if bh < 1 or bw < 1 or H % bh or W % bw:
        raise ValueError(f"block {block} must tile the image {H}x{W} exactly")
    rows, cols = np.arange(H)[:, None] // bh, np.arange(W)[None, :] // bw   # (H, 1), (1, W)
    ids = rows * (W // bw) + cols                                           # (H, W)
    return np.broadcast_to(ids, shape).astype(np.int64).copy()


def check_feature_mask(feature_mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Feature ids of one example's shape, numbered 0..M-1 with none missing. Returns them as int64."""
    mask = check_array(feature_mask, "feature_mask", dtype="int")
    mask = mask[0] if mask.shape == (1, *shape) else mask
    if mask.shape != tuple(shape):
        raise ValueError(f"feature_mask must have one example's shape {tuple(shape)}, got {mask.shape}")
    ids = np.unique(mask)
    if ids[0] != 0 or ids[-1] != len(ids) - 1:
        raise ValueError(f"feature_mask ids must be 0..M-1 with none missing, got {ids.tolist()[:8]}...")
    return mask


def _check_coalitions(x, x0, feature_mask, Z) -> tuple[np.ndarray, np.ndarray]:
    check_tensor(x, "x")
    if x.ndim < 2 or x.shape[0] != 1:
        raise ValueError(f"x must be one example (1, ...), got shape {tuple(x.shape)}")
    check_tensor(x0, "x0", shape=tuple(x.shape))
    mask = check_feature_mask(feature_mask, tuple(x.shape[1:]))
    Z = check_array(Z, "Z", shape=(None, int(mask.max()) + 1), dtype="int", allow_empty=True)
    return mask, Z


def coalition_inputs(x: torch.Tensor, x0: torch.Tensor, feature_mask: np.ndarray, Z: np.ndarray) -> torch.Tensor:
    r"""The inputs :math:`\mathbf x_{\mathbf z}`: feature :math:`j` from ``x`` where :math:`z_j = 1`, else from the baseline.

    Shape:
        x, x0: (1, ...); feature_mask: (...); Z: (S, M) -> (S, ...)
    """
    feature_mask, Z = _check_coalitions(x, x0, feature_mask, Z)
    keep = torch.as_tensor(np.asarray(Z)[:, feature_mask].astype(bool))     # (S, ...) per pixel
    return torch.where(keep, x, x0)


def coalition_scores(model: Any, x: torch.Tensor, target: Any, feature_mask: np.ndarray, Z: np.ndarray,
                     x0: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """The target score of every coalition's input. Shape: Z (S, M) -> (S,) float64."""
    check_model(model)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    feature_mask, Z = _check_coalitions(x, x0, feature_mask, Z)
    with torch.no_grad():
        classes = apply_model(model, x).shape[1]
        t = int(check_targets(target, 1, classes)[0])
        out = [model(coalition_inputs(x, x0, feature_mask, Z[i:i + batch_size]))[:, t]
               for i in range(0, len(Z), batch_size)]
    return torch.cat(out).double().numpy()


def lime_coalitions(M: int, n_samples: int, generator: torch.Generator) -> np.ndarray:
    """``n_samples`` coalitions, each feature kept with probability 1/2, drawn exactly as captum's
    default ``perturb_func`` draws them (so a generator seeded like torch's global one gives the
    same coalitions). Shape: -> (S, M) int64 in {0, 1}."""
    check_range(M, "M", 1, None, integer=True)
    check_range(n_samples, "n_samples", 1, None, integer=True)
    half = torch.full((1, M), 0.5)
    return torch.cat([torch.bernoulli(half, generator=generator) for _ in range(n_samples)]).long().numpy()


def cosine_kernel(x: torch.Tensor, inputs: torch.Tensor, kernel_width: float = 1.0) -> np.ndarray:
    r"""LIME's proximity weight :math:`\pi = \exp(-d^2 / 2\sigma^2)` with the cosine distance
    :math:`d = 1 - \cos(\mathbf x, \mathbf x_{\mathbf z})` in input space (captum's default
    similarity, ``kernel_width`` :math:`=\sigma`). Shape: x (1, ...), inputs (S, ...) -> (S,)."""
    check_tensor(x, "x")
    check_tensor(inputs, "inputs")
    if x.ndim < 2 or x.shape[0] != 1 or tuple(inputs.shape[1:]) != tuple(x.shape[1:]):
        raise ValueError(f"x must be one example (1, ...) and inputs (S, ...) of the same example shape, got "
                         f"{tuple(x.shape)} and {tuple(inputs.shape)}")
    check_range(kernel_width, "kernel_width", 0.0, None, low_inclusive=False)
    a = x.reshape(1, -1).double()                                            # (1, D)
    b = inputs.reshape(len(inputs), -1).double()                             # (S, D)
    cos = (b @ a[0]) / (b.norm(dim=1) * a.norm()).clamp_min(1e-12)           # a blank input has no direction
    return torch.exp(-((1 - cos) ** 2) / (2 * kernel_width ** 2)).numpy()


def weighted_linear_fit(Z: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    r"""Weighted least squares with an intercept,
    :math:`\min \sum_s w_s (y_s - \beta_0 - \boldsymbol\beta^\top \mathbf z_s)^2`.

    Solved as ordinary least squares on rows scaled by :math:`\sqrt{w_s}` (``lstsq``, not the
    normal equations :math:`(A^\top W A)^{-1}`, which square the condition number).

    Shape:
        Z: (S, M), y: (S,), weights: (S,) -> coefficients (M,), intercept

    Example:
        >>> Z = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
        >>> coef, b0 = weighted_linear_fit(Z, 1 + Z @ np.array([2.0, -3.0]), np.ones(4))
        >>> np.round(coef, 6).tolist(), round(b0, 6)
        ([2.0, -3.0], 1.0)
    """
    Z = check_array(Z, "Z", ndim=2).astype(np.float64)
    y = check_array(y, "y", shape=(Z.shape[0],))
    w = check_array(weights, "weights", shape=(Z.shape[0],))
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    A = np.column_stack([np.ones(len(Z)), Z])                                # (S, 1 + M)
    root = np.sqrt(w)[:, None]
    beta = np.linalg.lstsq(A * root, y * root[:, 0], rcond=None)[0]          # (1 + M,)
    return beta[1:], float(beta[0])


def lime(model: Any, x: Any, target: Any, feature_mask: Any, baseline: Any = 0.0, n_samples: int = 200,
         seed: int = 0, kernel_width: float = 1.0) -> np.ndarray:
    r"""LIME's linear surrogate around one input: the coefficient of each feature (see the module docstring).

    Args:
        model, target: as in :func:`helpers.interpret.gradients.input_gradient`.
        x: one example, (1, ...).
        feature_mask: the feature id of every pixel, one example's shape (see :func:`superpixels`).
        baseline: what an absent feature becomes.
        n_samples: coalitions drawn (captum's ``n_samples``).
        seed: seeds the draws (``torch.manual_seed(seed)`` before captum draws the same ones).
        kernel_width: :math:`\sigma` of :func:`cosine_kernel`.

    Shape:
        x: (1, ...) -> (M,) one coefficient per feature (:func:`paint` spreads them over the pixels).

    Example:
        >>> lin = torch.nn.Linear(4, 1, bias=False).double().eval()
        >>> x = np.array([[1.0, 2.0, 3.0, 4.0]])
        >>> beta = lime(lin, x, 0, feature_mask=np.arange(4), n_samples=50)
        >>> bool(np.allclose(beta, lin.weight.detach().numpy()[0] * x[0]))   # a linear model explains itself
        True
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    if xb.shape[0] != 1:
        raise ValueError(f"lime explains one example: x must have shape (1, ...), got {tuple(xb.shape)}")
    mask = check_feature_mask(feature_mask, tuple(xb.shape[1:]))
    check_range(n_samples, "n_samples", 2, None, integer=True)
    check_range(kernel_width, "kernel_width", 0.0, None, low_inclusive=False)
    x0 = check_baseline(baseline, xb)
    Z = lime_coalitions(int(mask.max()) + 1, n_samples, torch.Generator().manual_seed(check_seed(seed)))  # (S, M)
    y = coalition_scores(model, xb, target, mask, Z, x0)                    # (S,)
    w = cosine_kernel(xb, coalition_inputs(xb, x0, mask, Z), kernel_width)   # (S,)
    return weighted_linear_fit(Z, y, w)[0]


def paint(values: Any, feature_mask: Any) -> np.ndarray:
    """Spread one value per feature over its pixels: an attribution map like the input.

    Shape:
        values: (M,), feature_mask: (...) -> (1, ...)

    Example:
        >>> paint(np.array([1.0, -1.0]), np.array([[0, 1], [1, 1]])).tolist()
        [[[1.0, -1.0], [-1.0, -1.0]]]
    """
    mask = check_array(feature_mask, "feature_mask", dtype="int")
    v = check_array(values, "values", ndim=1)
    if mask.max() >= len(v) or mask.min() < 0:
        raise ValueError(f"feature_mask ids must lie in [0, {len(v) - 1}] for {len(v)} values, "
                         f"got [{mask.min()}, {mask.max()}]")
    return v[mask][None].astype(np.float64)
