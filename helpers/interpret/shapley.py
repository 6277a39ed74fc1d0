r"""Shapley values: exactly, by enumerating every coalition, and estimated by Kernel SHAP.

Treat the :math:`M` features as players and :math:`v(S) = f_t(\mathbf x_S)`, the score with only
the features in :math:`S` present (the others at the baseline), as the payout. Feature
:math:`i`'s **Shapley value** is its marginal contribution averaged over every order in which
the features could arrive (Shapley, 1953),

.. math::
    \phi_i = \sum_{S \subseteq N \setminus \{i\}} \frac{|S|!\,(M - |S| - 1)!}{M!}\big(v(S \cup \{i\}) - v(S)\big).

They add up to :math:`v(N) - v(\varnothing) = f_t(\mathbf x) - f_t(\mathbf x')` (efficiency).
Enumerating costs :math:`2^M` model evaluations. **Kernel SHAP** (Lundberg & Lee, 2017) gets the
same numbers from a weighted linear fit over coalitions, with the Shapley kernel

.. math::
    \pi(|\mathbf z|) = \frac{M - 1}{\binom{M}{|\mathbf z|}\, |\mathbf z|\,(M - |\mathbf z|)},

and the efficiency constraint imposed: exactly the Shapley values when every coalition is used,
an estimate from a sample otherwise. captum's ``KernelShap`` samples coalitions with probability
proportional to the kernel (so each sampled row gets weight 1) and imposes the constraint softly,
by giving the empty and the full coalition a weight of :math:`10^6`.
"""
from __future__ import annotations

from math import comb, factorial
from typing import Any

import numpy as np
import torch

from helpers.core.checks import check_array, check_range, check_seed
from helpers.interpret.scores import as_batch, check_baseline, check_model
from helpers.interpret.surrogate import check_feature_mask, coalition_scores

__all__ = ["all_coalitions", "shapley_values", "exact_shapley", "shapley_kernel", "kernel_shap_coalitions",
           "constrained_fit", "kernel_shap"]


def all_coalitions(M: int) -> np.ndarray:
    """Every coalition of M features: row s holds the bits of s (feature j present if bit j is set).

    Shape:
        -> (2**M, M) int64

    Example:
        >>> all_coalitions(2).tolist()
        [[0, 0], [1, 0], [0, 1], [1, 1]]
    """
    check_range(M, "M", 1, 20, integer=True)
    return (np.arange(2 ** M)[:, None] >> np.arange(M)[None, :]) & 1          # (2^M, M)


def shapley_values(values: Any) -> np.ndarray:
    r"""Exact Shapley values from the payout of every coalition, ``values[s]`` = :math:`v(S)`
    for the set :math:`S` whose bits make up ``s`` (the order of :func:`all_coalitions`).

    Shape:
        values: (2**M,) -> (M,)

    Example:
        >>> v = np.array([0.0, 1.0, 2.0, 5.0])        # v(∅), v({0}), v({1}), v({0, 1})
        >>> shapley_values(v).tolist()                # each gets its own part, the synergy 2 split evenly
        [2.0, 3.0]
    """
    v = check_array(values, "values", ndim=1)
    M = int(np.log2(len(v)))
    if len(v) != 2 ** M or M < 1:
        raise ValueError(f"values needs one entry per coalition, 2**M entries, got {len(v)}")
    s = np.arange(len(v))
    size = np.array([bin(i).count("1") for i in range(len(v))])             # |S| of every coalition
    phi = np.zeros(M)
    for i in range(M):
        without = s[(s >> i) & 1 == 0]                                       # S not containing i
        k = size[without]
        weight = np.array([factorial(j) * factorial(M - j - 1) for j in k]) / factorial(M)
        phi[i] = np.sum(weight * (v[without | (1 << i)] - v[without]))
    return phi


def exact_shapley(model: Any, x: Any, target: Any, feature_mask: Any, baseline: Any = 0.0) -> np.ndarray:
    """Shapley values of the features of ``feature_mask`` for one input, by scoring all 2**M coalitions.

    Shape:
        x: (1, ...) -> (M,)

    Example:
        >>> lin = torch.nn.Linear(3, 1).double().eval()
        >>> x = np.array([[1.0, 2.0, 3.0]])
        >>> bool(np.allclose(exact_shapley(lin, x, 0, np.arange(3)), lin.weight.detach().numpy()[0] * x[0]))
        True
    """
    xb, x0, mask = _one_example(model, x, feature_mask, baseline)
    M = int(mask.max()) + 1
    return shapley_values(coalition_scores(model, xb, target, mask, all_coalitions(M), x0))


def shapley_kernel(M: int, k: Any) -> np.ndarray:
    """The Shapley kernel weight of a coalition of size k out of M (infinite for k = 0 or M)."""
    check_range(M, "M", 1, None, integer=True)
    k = check_array(k, "k", dtype="int", allow_empty=True)
    if k.size and (k.min() < 0 or k.max() > M):
        raise ValueError(f"k must hold coalition sizes in [0, {M}], got values from {k.min()} to {k.max()}")
    with np.errstate(divide="ignore"):
        w = (M - 1) / (np.vectorize(comb)(M, k) * k * (M - k))
    return np.where((k == 0) | (k == M), np.inf, w)


def kernel_shap_coalitions(M: int, n_samples: int, generator: torch.Generator) -> np.ndarray:
    r"""captum's Kernel SHAP draws: the full and the empty coalition, then sizes :math:`k` drawn with
    probability :math:`\propto (M - 1)/(k(M - k))` and a uniformly random set of that size.
    A generator seeded like torch's global one reproduces captum's draws exactly.

    Shape:
        -> (n_samples, M) int64
    """
    check_range(M, "M", 2, None, integer=True)
    check_range(n_samples, "n_samples", 2, None, integer=True)
    k = torch.arange(M, dtype=torch.float)
    probs = torch.tensor(M - 1) / (k * (M - k))
    probs[0] = 0.0                                                           # sizes 1..M-1
    rows = [np.ones(M, dtype=np.int64), np.zeros(M, dtype=np.int64)]
    for _ in range(n_samples - 2):
        size = int(torch.multinomial(probs / probs.sum(), 1, True, generator=generator))
        noise = torch.randn(1, M, generator=generator)
        threshold = torch.kthvalue(noise, M - size).values.item()
        rows.append((noise[0] > threshold).long().numpy())                   # the `size` largest
    return np.stack(rows)


def _check_fit(Z, y, weights, v_empty: float, v_full: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Z = check_array(Z, "Z", ndim=2)
    check_range(v_empty, "v_empty")
    check_range(v_full, "v_full")
    return Z, check_array(y, "y", shape=(len(Z),)), check_array(weights, "weights", shape=(len(Z),))


def constrained_fit(Z: np.ndarray, y: np.ndarray, weights: np.ndarray, v_empty: float, v_full: float) -> np.ndarray:
    r"""Kernel SHAP's fit: :math:`\min \sum_s w_s (y_s - v(\varnothing) - \boldsymbol\phi^\top \mathbf z_s)^2`
    subject to :math:`\sum_j \phi_j = v(N) - v(\varnothing)`.

    The constraint is solved exactly by elimination: :math:`\phi_M = \Delta - \sum_{j<M} \phi_j`
    turns the problem into ordinary weighted least squares on :math:`\mathbf z_{:M-1} - z_M`.
    Rows of the empty and the full coalition carry no information beyond the constraint and are dropped.

    Shape:
        Z: (S, M), y: (S,), weights: (S,) -> (M,)
    """
    Z, y, weights = _check_fit(Z, y, weights, v_empty, v_full)
    Z = np.asarray(Z, dtype=np.float64)
    size = Z.sum(1)
    keep = (size > 0) & (size < Z.shape[1]) & (np.asarray(weights) > 0)
    Z, y, w = Z[keep], np.asarray(y, dtype=np.float64)[keep], np.asarray(weights, dtype=np.float64)[keep]
    delta = v_full - v_empty
    A = Z[:, :-1] - Z[:, -1:]                                                # (S, M-1)
    b = y - v_empty - Z[:, -1] * delta                                       # (S,)
    root = np.sqrt(w)
    phi = np.linalg.lstsq(A * root[:, None], b * root, rcond=None)[0]       # (M-1,)
    return np.append(phi, delta - phi.sum())


def kernel_shap(model: Any, x: Any, target: Any, feature_mask: Any, baseline: Any = 0.0,
                n_samples: int | None = 200, seed: int = 0) -> np.ndarray:
    r"""Kernel SHAP estimates of the Shapley values of one input's features.

    Args:
        model, target: as in :func:`helpers.interpret.gradients.input_gradient`.
        x: one example, (1, ...).
        feature_mask: the feature id of every pixel (see :func:`helpers.interpret.surrogate.superpixels`).
        baseline: what an absent feature becomes.
        n_samples: coalitions drawn as captum draws them (the first two are the full and the
            empty one), each with weight 1; ``None`` uses all :math:`2^M` coalitions with the
            Shapley kernel's weights, which gives the exact Shapley values.
        seed: seeds the draws.

    Shape:
        x: (1, ...) -> (M,)

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double().eval()
        >>> x = np.array([[1.0, -2.0, 0.5, 3.0]])
        >>> phi = kernel_shap(net, x, 0, np.arange(4), n_samples=None)
        >>> bool(np.allclose(phi, exact_shapley(net, x, 0, np.arange(4))))
        True
    """
    xb, x0, mask = _one_example(model, x, feature_mask, baseline)
    M = int(mask.max()) + 1
    if M < 2:
        raise ValueError("kernel_shap needs at least 2 features; with one, its Shapley value is f(x) - f(baseline)")
    if n_samples is None:
        Z = all_coalitions(M)
        weights = shapley_kernel(M, Z.sum(1))
    else:
        Z = kernel_shap_coalitions(M, n_samples, torch.Generator().manual_seed(check_seed(seed)))
        weights = np.ones(len(Z))
    ends = coalition_scores(model, xb, target, mask, np.array([np.zeros(M), np.ones(M)], dtype=np.int64), x0)
    y = coalition_scores(model, xb, target, mask, Z, x0)
    return constrained_fit(Z, y, np.where(np.isinf(weights), 0.0, weights), ends[0], ends[1])


def _one_example(model: Any, x: Any, feature_mask: Any, baseline: Any):
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    if xb.shape[0] != 1:
        raise ValueError(f"Shapley values explain one example: x must have shape (1, ...), got {tuple(xb.shape)}")
    return xb, check_baseline(baseline, xb), check_feature_mask(feature_mask, tuple(xb.shape[1:]))
