r"""Is an explanation faithful? Deletion curves and the model-randomisation sanity check.

* **Deletion** (Petsiuk et al., 2018, "RISE"): remove the pixels an attribution ranks highest
  first (set them to the baseline) and follow the model's probability for the class. A faithful
  map finds the evidence, so the probability falls fast and the **area under the curve** is
  small; :func:`random_deletion_curves` is the yardstick (removing pixels in random order).
* **Model randomisation** (Adebayo et al., 2018, "Sanity checks for saliency maps"): an
  explanation of *the model* must change when the model's weights are replaced by random ones
  (:func:`randomised_copy`). If the map of a random network still looks the same
  (:func:`rank_correlation` close to 1), the map was showing the input, not what the model learned.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from helpers.core.checks import check_array, check_range, check_seed
from helpers.interpret.scores import apply_model, as_batch, check_baseline, check_model, check_targets

__all__ = ["deletion_curves", "random_deletion_curves", "curve_area", "randomised_copy", "rank_correlation"]


def deletion_curves(model: Any, x: Any, target: Any, attributions: Any, baseline: Any = 0.0,
                    steps: int = 16) -> tuple[np.ndarray, np.ndarray]:
    r"""The target class's probability as the most-attributed pixels are removed first.

    At step :math:`s` the :math:`k_s = \mathrm{round}(sD/\text{steps})` highest-ranked of the
    :math:`D` input values are set to the baseline (ties keep pixel order) and the model's
    softmax probability :math:`p_t` is recorded.

    Args:
        model, x, target: as in :func:`helpers.interpret.gradients.input_gradient`.
        attributions: one map per example, like ``x``; higher means "remove earlier".
        baseline: what a removed value becomes (the blank image for the digits).
        steps: number of removal steps after the intact input.

    Shape:
        x, attributions: (N, ...) -> fractions (steps + 1,) in [0, 1], probabilities (N, steps + 1)

    Example:
        >>> lin = torch.nn.Linear(4, 2).double().eval()
        >>> frac, p = deletion_curves(lin, np.ones((1, 4)), 0, np.arange(4.0)[None], steps=4)
        >>> frac.tolist(), p.shape
        ([0.0, 0.25, 0.5, 0.75, 1.0], (1, 5))
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    attr = as_batch(attributions, torch.float64, "attributions").numpy()
    if attr.shape != tuple(xb.shape):
        raise ValueError(f"attributions must have x's shape {tuple(xb.shape)}, got {attr.shape}")
    check_range(steps, "steps", 1, None, integer=True)
    n, D = xb.shape[0], int(np.prod(xb.shape[1:]))
    order = np.argsort(-attr.reshape(n, D), axis=1, kind="stable")          # (N, D) most attributed first
    return _curves(model, xb, target, order, check_baseline(baseline, xb), steps)


def random_deletion_curves(model: Any, x: Any, target: Any, baseline: Any = 0.0, steps: int = 16,
                           orders: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deletion curves for pixels removed in random order, averaged over ``orders`` random orders.

    Shape:
        x: (N, ...) -> fractions (steps + 1,), probabilities (N, steps + 1)
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    check_range(steps, "steps", 1, None, integer=True)
    check_range(orders, "orders", 1, None, integer=True)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    n, D = xb.shape[0], int(np.prod(xb.shape[1:]))
    x0 = check_baseline(baseline, xb)
    runs = [_curves(model, xb, target, np.argsort(rng.random((n, D)), axis=1), x0, steps)[1] for _ in range(orders)]
    return np.linspace(0, 1, steps + 1), np.mean(runs, axis=0)


def _curves(model: Any, xb: torch.Tensor, target: Any, order: np.ndarray, x0: torch.Tensor,
            steps: int) -> tuple[np.ndarray, np.ndarray]:
    n, D = order.shape
    counts = np.round(np.linspace(0, D, steps + 1)).astype(int)             # (steps + 1,) pixels removed
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(D)[None].repeat(n, 0), axis=1)  # (N, D) position of each pixel
    removed = rank[:, None, :] < counts[None, :, None]                       # (N, steps + 1, D)
    flat_x, flat_0 = xb.reshape(n, 1, D), x0.reshape(n, 1, D)
    inputs = torch.where(torch.as_tensor(removed), flat_0, flat_x)           # (N, steps + 1, D)
    with torch.no_grad():
        logits = apply_model(model, inputs.reshape(n * (steps + 1), *xb.shape[1:]))       # (N·(steps+1), K)
        t = check_targets(target, n, logits.shape[1]).repeat_interleave(steps + 1)
        probs = torch.softmax(logits.double(), dim=1).gather(1, t[:, None])[:, 0]
    return counts / D, probs.reshape(n, steps + 1).numpy()


def curve_area(fractions: Any, values: Any) -> np.ndarray:
    r"""Area under a curve on [0, 1] by the trapezoid rule, :math:`\sum_s \tfrac12 (v_s + v_{s+1})(u_{s+1} - u_s)`.

    Shape:
        fractions: (S,), values: (..., S) -> (...)

    Example:
        >>> float(curve_area([0.0, 0.5, 1.0], [1.0, 0.0, 0.0]))
        0.25
    """
    u = check_array(fractions, "fractions", ndim=1)
    v = check_array(values, "values")
    if v.shape[-1] != len(u):
        raise ValueError(f"values must end with one entry per fraction ({len(u)}), got shape {v.shape}")
    if np.any(np.diff(u) < 0):
        raise ValueError("fractions must be increasing")
    return np.sum(0.5 * (v[..., 1:] + v[..., :-1]) * np.diff(u), axis=-1)


def randomised_copy(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """A copy of ``model`` with every layer re-initialised (weights, biases, batch-norm statistics):
    the same architecture, nothing learned. Adebayo et al.'s full (non-cascading) randomisation.

    Example:
        >>> lin = torch.nn.Linear(3, 2)
        >>> bool(torch.equal(randomised_copy(lin).weight, lin.weight))
        False
    """
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_seed(seed)
    twin = copy.deepcopy(model)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for module in twin.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()                                    # batch norm: running stats too
    return twin


def rank_correlation(a: Any, b: Any) -> np.ndarray:
    r"""Spearman's rank correlation of each pair of maps: the Pearson correlation of their ranks
    (tied values share their average rank). 1: the same ordering of pixels; 0: unrelated.

    Shape:
        a, b: (N, ...) -> (N,)

    Example:
        >>> rank_correlation(np.array([[1.0, 2.0, 3.0]]), np.array([[10.0, 20.0, 35.0]])).tolist()
        [1.0]
    """
    a = check_array(a, "a", ndim=tuple(range(2, 6)))
    b = check_array(b, "b", shape=a.shape)
    ra, rb = _ranks(a.reshape(len(a), -1)), _ranks(b.reshape(len(b), -1))   # (N, D) each
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    den = np.sqrt((ra ** 2).sum(1) * (rb ** 2).sum(1))
    # a constant map has no ordering: report 0 rather than 0/0
    return np.where(den > 0, (ra * rb).sum(1) / np.where(den > 0, den, 1.0), 0.0)


def _ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (1-based), as scipy.stats.rankdata(method='average')."""
    out = np.empty_like(v, dtype=np.float64)
    for i, row in enumerate(v):
        order = np.argsort(row, kind="stable")
        sorted_row = row[order]
        starts = np.r_[True, sorted_row[1:] != sorted_row[:-1]]              # first of every tie group
        group = np.cumsum(starts) - 1
        first = np.flatnonzero(starts)
        last = np.r_[first[1:], len(row)] - 1
        out[i, order] = (first[group] + last[group]) / 2 + 1
    return out
