"""The two numbers every chapter reports about a PyTorch model: its size and its accuracy.

Both take any ``torch.nn.Module`` (torch is imported inside :func:`accuracy` only, so ``core``
stays importable without it). Chapters 05-15 all use these two; none keeps its own copy.
"""
from __future__ import annotations

import numpy as np

from helpers.core.checks import check_array

__all__ = ["count_parameters", "accuracy", "logits_accuracy"]


def count_parameters(model) -> int:
    """Number of trainable scalars of a PyTorch module.

    A shared (tied) weight counts once, because ``parameters()`` yields each tensor once; frozen
    parameters (``requires_grad=False``) do not count. Works on ``device="meta"`` modules too,
    which have shapes but no memory.

    Example:
        >>> import torch
        >>> count_parameters(torch.nn.Linear(3, 2))  # 3 x 2 weights + 2 biases
        8
    """
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(f"model must be a torch.nn.Module (with .parameters()), got {type(model).__name__}")
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def accuracy(model, X, y) -> float:
    r"""Fraction of rows of ``X`` whose arg-max logit equals the label:
    :math:`\frac{1}{N}\sum_n [\arg\max_k f(x_n)_k = y_n]`.

    Evaluated without gradients and in eval mode (dropout off, batch norm on its running
    statistics); the model's training mode is restored afterwards.

    Shape:
        - X: (N, ...) float array or tensor (NumPy input is converted to float32)
        - y: (N,) integer labels (array or tensor)
        - ``model(X)``: logits (N, K)

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(2, 2, bias=False)
        >>> _ = torch.nn.init.eye_(model.weight)  # logits = inputs: the larger coordinate wins
        >>> accuracy(model, np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), np.array([0, 1, 1]))
        0.6666666666666666
    """
    import torch

    y = check_array(y, "y", ndim=1, dtype="int")
    if not isinstance(X, torch.Tensor):
        X = torch.as_tensor(check_array(X, "X", ndim=(2, 3, 4, 5)), dtype=torch.float32)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(X)                                 # (N, K)
    finally:
        model.train(was_training)
    return logits_accuracy(logits, y)


def logits_accuracy(logits, y) -> float:
    r"""Fraction of rows whose largest logit is the label, from logits already computed (NumPy or
    torch): :math:`\frac{1}{N}\sum_n [\arg\max_k z_{nk} = y_n]`. Counted exactly (33/34 is
    33/34, not a float32 rounding of it). Rows with a non-finite logit count as wrong.

    Shape: logits (N, K), y (N,) -> a scalar.

    Example:
        >>> logits_accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1]))
        0.6666666666666666
    """
    if hasattr(logits, "detach"):
        logits = logits.detach().cpu().numpy()
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    z = check_array(logits, "logits", ndim=2, finite=False)
    y = check_array(y, "y", ndim=1, shape=(z.shape[0],), dtype="int")
    if y.size and (y.min() < 0 or y.max() >= z.shape[1]):
        raise ValueError(f"y must hold class labels in [0, {z.shape[1]}) for logits of shape {z.shape}, "
                         f"got range [{y.min()}, {y.max()}]")
    # A row with a NaN or infinite logit (a diverged model) makes no prediction: it counts as wrong,
    # rather than as whatever class argmax happens to return for NaN.
    right = (z.argmax(axis=1) == y) & np.all(np.isfinite(z), axis=1)
    return int(np.count_nonzero(right)) / len(y)
