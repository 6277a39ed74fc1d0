r"""Loss functions and their gradients: MSE for regression, cross-entropy for classification (notebook 03).

A loss turns the model's predictions and the true targets into one number to minimise. Each loss
here comes with its gradient with respect to the predictions, written out by hand, and both use
PyTorch's default ``reduction="mean"`` so they can be checked against ``torch.nn.functional``.

The central result of the chapter: with :math:`\mathbf{p} = \operatorname{softmax}(\mathbf{z})`
and the one-hot target :math:`\mathbf{y}`, the cross-entropy
:math:`\ell = -\sum_k y_k \log p_k` has the gradient

.. math:: \frac{\partial \ell}{\partial z_j} = p_j - y_j ,

because :math:`\partial p_k / \partial z_j = p_k(\delta_{kj} - p_j)` and the :math:`1/p_k` of the
logarithm cancels the :math:`p_k` of the softmax. No division, nothing to overflow: computing the
two together (as ``torch.nn.functional.cross_entropy`` does) is both simpler and stabler.

Shape: ``logits`` (N, K); integer ``labels`` (N,) in [0, K) or probability ``targets`` (N, K).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.basics.activations import sigmoid
from helpers.core.checks import check_array, check_type

__all__ = ["mse", "mse_grad", "logsumexp", "softmax", "softmax_naive", "log_softmax",
           "SoftmaxCache", "softmax_forward", "softmax_backward", "one_hot", "cross_entropy", "cross_entropy_grad",
           "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad"]


def _pair(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = check_array(pred, "pred")
    target = check_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"target must have the same shape as pred {pred.shape}, got {target.shape}")
    return pred, target


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    r"""Mean squared error :math:`J = \frac{1}{M}\sum_{i=1}^{M} (\hat y_i - y_i)^2`, averaged over
    all :math:`M` elements (PyTorch's ``F.mse_loss``).

    Shape: ``pred`` and ``target`` of the same shape ``(*)`` -> a float.
    """
    pred, target = _pair(pred, target)
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    r""":math:`\partial J / \partial \hat y_i = \frac{2}{M}(\hat y_i - y_i)`. The gradient with
    respect to ``target`` is the negative of this. Shape: ``(*)`` -> ``(*)``."""
    pred, target = _pair(pred, target)
    return 2.0 * (pred - target) / pred.size


def _logits(logits: np.ndarray) -> np.ndarray:
    return check_array(logits, "logits", ndim=2)


def logsumexp(logits: np.ndarray) -> np.ndarray:
    r""":math:`\log\sum_k e^{z_k}` per row, computed as :math:`m + \log\sum_k e^{z_k - m}` with
    :math:`m = \max_k z_k`.

    Why the shift: ``exp(1000)`` overflows to inf, but after subtracting the row maximum every
    exponent is :math:`\le 0` and the largest term is exactly 1, so the sum lies in [1, K]
    and its log is finite. The identity holds for any :math:`m`; the maximum is the safe choice.

    Shape: (N, K) -> (N,).
    """
    z = _logits(logits)
    m = z.max(axis=1, keepdims=True)                               # (N, 1)
    return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]  # (N, 1) -> (N,)


def softmax(logits: np.ndarray) -> np.ndarray:
    r"""Row-wise softmax :math:`p_k = e^{z_k} / \sum_j e^{z_j}`, stable form :math:`e^{z_k - m} /
    \sum_j e^{z_j - m}` (same value: the :math:`e^{-m}` cancels; see :func:`logsumexp` for why).

    Shape: (N, K) -> (N, K); each row is positive (or exactly 0 where underflowed) and sums to 1.

    Example:
        >>> softmax(np.array([[1000.0, 0.0]]))
        array([[1., 0.]])
    """
    z = _logits(logits)
    e = np.exp(z - z.max(axis=1, keepdims=True))  # (N, K), largest entry of each row is 1
    return e / e.sum(axis=1, keepdims=True)


def softmax_naive(logits: np.ndarray) -> np.ndarray:
    r"""The textbook formula :math:`e^{z_k} / \sum_j e^{z_j}` taken literally, **for demonstration
    only**: ``exp`` overflows for logits above about 709 (float64) and the result is NaN
    (inf / inf). Overflow warnings are silenced so the notebook can show the NaN plainly.

    Shape: (N, K) -> (N, K).
    """
    z = _logits(logits)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    r""":math:`\log p_k = z_k - \log\sum_j e^{z_j}`, computed directly (``np.log(softmax(z))``
    would give ``log(0) = -inf`` for a probability that underflowed; this form stays finite).

    Shape: (N, K) -> (N, K), every entry :math:`\le 0`.
    """
    z = _logits(logits)
    return z - logsumexp(z)[:, None]  # (N, K) - (N, 1)


@dataclass(frozen=True)
class SoftmaxCache:
    """What :func:`softmax_backward` needs: the probabilities (N, K)."""

    probs: np.ndarray


def softmax_forward(logits: np.ndarray) -> tuple[np.ndarray, SoftmaxCache]:
    """:func:`softmax` returning ``(p, cache)`` for :func:`softmax_backward`. Shape: (N, K) -> (N, K)."""
    p = softmax(logits)
    return p, SoftmaxCache(p)


def softmax_backward(dy: np.ndarray, cache: SoftmaxCache) -> np.ndarray:
    r"""Back-propagate through softmax: the vector-Jacobian product with
    :math:`\partial p_k / \partial z_j = p_k(\delta_{kj} - p_j)`,

    .. math:: \frac{\partial \mathcal{L}}{\partial z_j} = p_j\Bigl(g_j - \sum_k g_k p_k\Bigr),
              \qquad g_k = \frac{\partial \mathcal{L}}{\partial p_k}.

    Never forms the (K, K) Jacobian. ``dy`` is :math:`g`. Shape: ``dy`` (N, K) -> (N, K).
    """
    check_type(cache, "cache", SoftmaxCache, "the SoftmaxCache from softmax_forward")
    p = cache.probs
    g = check_array(dy, "dy", ndim=2, shape=p.shape)
    return p * (g - (g * p).sum(axis=1, keepdims=True))  # (N, K) * ((N, K) - (N, 1))


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels (N,) in [0, K) -> float64 one-hot rows (N, K)."""
    labels = check_array(labels, "labels", ndim=1, dtype="int")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes}), got range [{labels.min()}, {labels.max()}]")
    out = np.zeros((labels.shape[0], num_classes))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def _targets(targets: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Integer labels (N,) or probability rows (N, K) -> probability rows (N, K) matching ``z``."""
    arr = check_array(targets, "targets", ndim=(1, 2), dtype="any")
    if arr.ndim == 1:
        labels = check_array(arr, "labels", shape=(z.shape[0],), dtype="int")
        return one_hot(labels, z.shape[1])
    Y = check_array(arr, "targets")
    if Y.shape != z.shape:
        raise ValueError(f"targets must be labels of shape ({z.shape[0]},) or probabilities of "
                         f"shape {z.shape}, got {Y.shape}")
    if Y.min() < 0 or not np.allclose(Y.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probability targets must be non-negative with rows summing to 1, got "
                         f"min {Y.min():.3g} and row sums in [{Y.sum(axis=1).min():.3g}, {Y.sum(axis=1).max():.3g}]")
    return Y


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    r"""Mean cross-entropy of softmax predictions,
    :math:`J = -\frac{1}{N}\sum_n \sum_k y_{nk} \log p_{nk}` (``F.cross_entropy``).

    With integer labels this is :math:`-\frac{1}{N}\sum_n \log p_{n, y_n}`. Computed from
    :func:`log_softmax`, so it stays finite for logits of any size (a wrong answer made with
    logit margin 1e4 costs 1e4, not inf).

    Shape: ``logits`` (N, K), ``targets`` (N,) int in [0, K) or (N, K) probabilities -> a float.
    """
    z = _logits(logits)
    Y = _targets(targets, z)
    return float(-(Y * log_softmax(z)).sum() / z.shape[0])


def cross_entropy_grad(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    r""":math:`\partial J / \partial z_{nk} = (p_{nk} - y_{nk}) / N` (derivation in the module
    docstring). Each row sums to 0. Shape: (N, K) -> (N, K)."""
    z = _logits(logits)
    Y = _targets(targets, z)
    return (softmax(z) - Y) / z.shape[0]


def binary_cross_entropy_with_logits(logits: np.ndarray, targets: np.ndarray) -> float:
    r"""Mean binary cross-entropy of :math:`p = \sigma(z)` against targets :math:`y \in [0, 1]`:

    .. math:: J = -\frac{1}{M}\sum_i \bigl[y_i \log\sigma(z_i) + (1 - y_i)\log(1 - \sigma(z_i))\bigr]
              = \frac{1}{M}\sum_i \bigl[\max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})\bigr].

    The right-hand form (``F.binary_cross_entropy_with_logits``) never takes the log of a
    probability that rounded to 0 and never exponentiates a positive number.

    Shape: ``logits`` and ``targets`` of the same shape ``(*)`` -> a float.
    """
    z, y = _pair(logits, targets)
    if y.min() < 0 or y.max() > 1:
        raise ValueError(f"targets must lie in [0, 1], got range [{y.min():.3g}, {y.max():.3g}]")
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_with_logits_grad(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    r""":math:`\partial J / \partial z_i = (\sigma(z_i) - y_i) / M`: the binary case of "p − y".
    Shape: ``(*)`` -> ``(*)``."""
    z, y = _pair(logits, targets)
    return (sigmoid(z) - y) / z.size
