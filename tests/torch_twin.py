"""The one helper every "ours vs PyTorch" test uses (tinygrad's helper_test_op pattern).

``torch_value_and_grads(fn, *arrays, upstream)`` runs a PyTorch function on float64 copies of
the inputs and back-propagates a given upstream gradient, so the test can compare our forward
value and our backward pass with PyTorch's on exactly the same numbers.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def torch_value_and_grads(fn: Callable, *arrays: np.ndarray, upstream: np.ndarray | None = None,
                          requires_grad: Sequence[bool] | None = None):
    """Returns (value as ndarray, [grad of each input as ndarray or None])."""
    import torch

    flags = list(requires_grad) if requires_grad is not None else [True] * len(arrays)
    tensors = [torch.tensor(np.asarray(a), dtype=torch.float64 if np.asarray(a).dtype.kind == "f" else None,
                            requires_grad=flag and np.asarray(a).dtype.kind == "f")
               for a, flag in zip(arrays, flags)]
    out = fn(*tensors)
    value = out.detach().numpy().copy()
    if any(t.requires_grad for t in tensors):
        g = torch.ones_like(out) if upstream is None else torch.tensor(upstream, dtype=out.dtype)
        out.backward(g)
    grads = [t.grad.numpy().copy() if t.grad is not None else None for t in tensors]
    return value, grads


def assert_close(ours: np.ndarray, theirs: np.ndarray, atol: float = 1e-10, rtol: float = 1e-8,
                 what: str = "value") -> None:
    """Shape-checked allclose with a message giving the worst difference."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    diff = np.max(np.abs(ours - theirs)) if ours.size else 0.0
    assert np.allclose(ours, theirs, atol=atol, rtol=rtol), f"{what}: max abs difference {diff:.3g}"
