r"""What every attribution method shares: the score being explained and the checks on its inputs.

An attribution explains one number, the **score** :math:`f_t(\mathbf x)`: the logit of class
:math:`t` that a classifier gives input :math:`\mathbf x` (the method's ``target``). Every method
here takes the same arguments, with captum's conventions:

* ``model``: a PyTorch module in eval mode mapping (N, ...) to logits (N, K);
* ``x``: a batch (N, ...) as a NumPy array or a tensor;
* ``target``: one class for the whole batch, or one per example (N,);
* ``baseline``: the "absent" input, a number or an array broadcastable to ``x`` (captum's
  ``baselines``); for the digits, the blank image.

Inputs are validated here once, so a wrong class or shape is a ``ValueError`` that says what was
expected instead of an index error from inside PyTorch.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from helpers.core.checks import check_array, check_tensor

__all__ = ["apply_model", "as_batch", "check_model", "check_targets", "check_baseline", "target_scores"]


def check_model(model: Any) -> torch.dtype:
    """Raise unless ``model`` is callable and, if a module, in eval mode; return its float dtype.

    Eval mode matters: batch norm in training mode normalises with the statistics of the batch,
    so the score of one input would depend on the other inputs evaluated with it (every path
    point of Integrated Gradients, every perturbed copy of LIME).
    """
    if not callable(model):
        raise ValueError(f"model must be a callable PyTorch module, got {type(model).__name__}")
    if isinstance(model, torch.nn.Module):
        if model.training:
            raise ValueError("model must be in eval mode (call model.eval()): in training mode batch norm "
                             "mixes the examples of a batch and every score would depend on the others")
        for p in model.parameters():
            return p.dtype
    return torch.float64


def as_batch(x: Any, dtype: torch.dtype = torch.float64, name: str = "x") -> torch.Tensor:
    """A finite batch (N, ...) with N >= 1 as a tensor of ``dtype`` (no gradient attached)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = check_array(x, name)
    if arr.ndim < 2:
        raise ValueError(f"{name} must be a batch (N, ...) with at least 2 dimensions, got shape {arr.shape}; "
                         f"add a batch axis with x[None]")
    return torch.as_tensor(np.ascontiguousarray(arr), dtype=dtype)


def apply_model(model: Any, xb: torch.Tensor, name: str = "x") -> torch.Tensor:
    """``model(xb)``, with a shape mismatch between the model and the batch reported as a
    ``ValueError`` naming the input instead of a matrix-multiplication error from inside torch."""
    check_tensor(xb, name)
    try:
        return model(xb)
    except RuntimeError as exc:
        raise ValueError(f"model cannot be applied to {name} of shape {tuple(xb.shape)}: {exc}") from None


def check_targets(target: Any, n: int, classes: int) -> torch.Tensor:
    """One class index per example, (N,) int64, each in [0, classes)."""
    t = check_array(target, "target", dtype="int")
    t = np.full(n, int(t)) if t.ndim == 0 else t
    if t.shape != (n,):
        raise ValueError(f"target must be one class or one per example, shape ({n},), got shape {t.shape}")
    if t.min() < 0 or t.max() >= classes:
        bad = int(t[(t < 0) | (t >= classes)][0])
        raise ValueError(f"target must be a class in [0, {classes - 1}] (the model has {classes} outputs), got {bad}")
    return torch.as_tensor(t)


def check_baseline(baseline: Any, x: torch.Tensor) -> torch.Tensor:
    """The baseline broadcast to ``x``'s shape (a number, one example (1, ...) or (N, ...))."""
    check_tensor(x, "x")
    b = as_batch(np.reshape(np.asarray(baseline, dtype=np.float64), (1,) * x.ndim) if np.ndim(baseline) == 0
                 else baseline, x.dtype, "baseline")
    try:
        return torch.broadcast_to(b, x.shape).clone()
    except RuntimeError:
        raise ValueError(f"baseline must be a number or broadcastable to x's shape {tuple(x.shape)}, "
                         f"got shape {tuple(b.shape)}") from None


def target_scores(model: Any, x: Any, target: Any) -> np.ndarray:
    r"""The explained score :math:`f_t(\mathbf x)`, the target class's logit, for every example.

    Shape:
        x: (N, ...) -> (N,)

    Example:
        >>> lin = torch.nn.Linear(3, 2).double().eval()
        >>> target_scores(lin, np.zeros((4, 3)), 1).shape
        (4,)
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    with torch.no_grad():
        out = apply_model(model, xb)                             # (N, K)
    t = check_targets(target, xb.shape[0], out.shape[1])
    return out.gather(1, t[:, None])[:, 0].double().numpy()
