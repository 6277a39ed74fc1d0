r"""Knowledge distillation: a small student learns from a large teacher's softened predictions.

Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural Network". The student with
logits :math:`z_s` is trained on a mix of the usual cross-entropy with the true label and a
term that pulls its *softened* distribution towards the teacher's:

.. math::
    L = \alpha\,\mathrm{CE}\big(y, \sigma(z_s)\big)
        + (1-\alpha)\,T^2\,\mathrm{KL}\big(\sigma(z_t/T)\,\|\,\sigma(z_s/T)\big),

where :math:`\sigma` is the softmax and :math:`T \ge 1` the temperature. A high :math:`T`
flattens the teacher's distribution so that the small probabilities it gives to *wrong* classes
("this 3 looks a bit like an 8") carry signal. The factor :math:`T^2` keeps the gradient of the
KL term the same size as :math:`T` changes, because that gradient is
:math:`\frac{1}{T}(\sigma(z_s/T) - \sigma(z_t/T))`.

NumPy versions (``soft_targets``, ``distillation_terms``, ``distillation_loss``,
``distillation_grad``) are the reference, checked against ``torch.nn.functional`` in
``tests/test_distill.py``; ``distillation_loss_torch`` is the same loss for training. Notebook 13.
"""
from __future__ import annotations

import numpy as np

from helpers.core.checks import check_array, check_range, check_tensor

__all__ = ["soft_targets", "distillation_terms", "distillation_loss", "distillation_grad",
           "distillation_loss_torch"]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # Subtracting the row maximum (log-sum-exp trick) keeps exp() <= 1: no overflow at z = 1e4.
    shifted = z - z.max(axis=1, keepdims=True)                       # (N, K)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _check_logits(z: np.ndarray, name: str) -> np.ndarray:
    return check_array(z, name, ndim=2)


def _check_inputs(student_logits, teacher_logits, labels, T):
    zs = _check_logits(student_logits, "student_logits")
    zt = check_array(teacher_logits, "teacher_logits", shape=zs.shape)
    y = check_array(labels, "labels", shape=(zs.shape[0],), dtype="int")
    if y.min() < 0 or y.max() >= zs.shape[1]:
        raise ValueError(f"labels must lie in [0, {zs.shape[1] - 1}] (K = {zs.shape[1]} classes), "
                         f"got values from {y.min()} to {y.max()}")
    check_range(T, "T", 0.0, None, low_inclusive=False)
    return zs, zt, y


def soft_targets(logits: np.ndarray, T: float = 1.0) -> np.ndarray:
    r"""The softmax at temperature ``T``: :math:`p_k = e^{z_k/T} / \sum_j e^{z_j/T}`.

    Args:
        logits: unnormalised scores :math:`z`.
        T: temperature > 0; ``T = 1`` is the ordinary softmax, larger ``T`` is flatter.

    Shape:
        logits: (N, K) -> (N, K), each row sums to 1.

    Example:
        >>> soft_targets(np.array([[2.0, 0.0]]), T=2.0).round(3)
        array([[0.731, 0.269]])
    """
    z = _check_logits(logits, "logits")
    check_range(T, "T", 0.0, None, low_inclusive=False)
    return np.exp(_log_softmax(z / T))


def distillation_terms(student_logits: np.ndarray, teacher_logits: np.ndarray, labels: np.ndarray,
                       T: float = 4.0) -> tuple[float, float]:
    r"""The two ingredients of the loss, each averaged over the batch: (CE, KL).

    .. math::
        \mathrm{CE} = -\tfrac1N \sum_n \log \sigma(z_s)_{n, y_n}, \qquad
        \mathrm{KL} = \tfrac1N \sum_n \sum_k p^t_{nk} (\log p^t_{nk} - \log p^s_{nk}),

    with :math:`p^t = \sigma(z_t/T)`, :math:`p^s = \sigma(z_s/T)`. The KL is computed from
    log-softmaxes (never ``log(softmax)``), so a probability that underflows to 0 gives a finite
    term; a zero teacher probability contributes exactly 0 (:math:`0 \log 0 = 0`).

    Shape:
        student_logits, teacher_logits: (N, K); labels: (N,) ints in [0, K).
    """
    zs, zt, y = _check_inputs(student_logits, teacher_logits, labels, T)
    n = zs.shape[0]
    ce = -_log_softmax(zs)[np.arange(n), y].mean()
    log_pt, log_ps = _log_softmax(zt / T), _log_softmax(zs / T)      # (N, K) each
    kl = (np.exp(log_pt) * (log_pt - log_ps)).sum(axis=1).mean()
    return float(ce), float(kl)


def distillation_loss(student_logits: np.ndarray, teacher_logits: np.ndarray, labels: np.ndarray,
                      T: float = 4.0, alpha: float = 0.5) -> float:
    r""":math:`L = \alpha\,\mathrm{CE} + (1-\alpha)\,T^2\,\mathrm{KL}` (see :func:`distillation_terms`).

    Args:
        T: temperature > 0.
        alpha: weight of the hard-label cross-entropy, in [0, 1] (1 = ordinary training).

    Shape:
        student_logits, teacher_logits: (N, K); labels: (N,) -> a scalar.
    """
    check_range(alpha, "alpha", 0.0, 1.0)
    ce, kl = distillation_terms(student_logits, teacher_logits, labels, T)
    return alpha * ce + (1 - alpha) * T ** 2 * kl


def distillation_grad(student_logits: np.ndarray, teacher_logits: np.ndarray, labels: np.ndarray,
                      T: float = 4.0, alpha: float = 0.5) -> np.ndarray:
    r"""Gradient of :func:`distillation_loss` with respect to the student logits.

    .. math::
        \frac{\partial L}{\partial z_s} = \frac{1}{N}\Big[\alpha\,(\sigma(z_s) - e_y)
            + (1-\alpha)\,T\,\big(\sigma(z_s/T) - \sigma(z_t/T)\big)\Big].

    The teacher is fixed, so there is no gradient for it.

    Shape:
        (N, K), like ``student_logits``.
    """
    check_range(alpha, "alpha", 0.0, 1.0)
    zs, zt, y = _check_inputs(student_logits, teacher_logits, labels, T)
    n = zs.shape[0]
    hard = np.exp(_log_softmax(zs))                                  # (N, K)
    hard[np.arange(n), y] -= 1.0
    soft = np.exp(_log_softmax(zs / T)) - np.exp(_log_softmax(zt / T))
    return (alpha * hard + (1 - alpha) * T * soft) / n


def _check_torch_inputs(student_logits, teacher_logits, labels, T: float, alpha: float) -> None:
    check_range(alpha, "alpha", 0.0, 1.0)
    check_range(T, "T", 0.0, None, low_inclusive=False)
    check_tensor(student_logits, "student_logits")
    check_tensor(teacher_logits, "teacher_logits")
    if student_logits.shape != teacher_logits.shape or student_logits.ndim != 2:
        raise ValueError(f"student_logits and teacher_logits must both have shape (N, K), got "
                         f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}")
    check_tensor(labels, "labels", shape=(student_logits.shape[0],), dtype="int")
    if labels.min() < 0 or labels.max() >= student_logits.shape[1]:
        raise ValueError(f"labels must lie in [0, {student_logits.shape[1] - 1}] (K = {student_logits.shape[1]} "
                         f"classes), got values from {labels.min().item()} to {labels.max().item()}")


def distillation_loss_torch(student_logits, teacher_logits, labels, T: float = 4.0, alpha: float = 0.5):
    r"""The same loss with ``torch.nn.functional`` (for training); the teacher is detached.

    ``F.kl_div(input, target)`` expects the student's *log*-probabilities as ``input``; with
    ``log_target=True`` the target is the teacher's log-probabilities, which is the stable form.

    Shape:
        student_logits, teacher_logits: (N, K) tensors; labels: (N,) int64 -> a scalar tensor.
    """
    import torch.nn.functional as F

    _check_torch_inputs(student_logits, teacher_logits, labels, T, alpha)
    ce = F.cross_entropy(student_logits, labels)
    kl = F.kl_div(F.log_softmax(student_logits / T, dim=1), F.log_softmax(teacher_logits.detach() / T, dim=1),
                  reduction="batchmean", log_target=True)
    return alpha * ce + (1 - alpha) * T ** 2 * kl
