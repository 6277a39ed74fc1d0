r"""Occlusion: cover a patch with the baseline and watch the score drop (Zeiler & Fergus, 2014).

A window slides over the input; at each position the covered values are replaced by the baseline
and the drop :math:`f_t(\mathbf x) - f_t(\mathbf x_{\setminus\text{window}})` is shared out to the
covered pixels. A pixel's attribution is the average drop over the windows that cover it,

.. math::
    A_i = \frac{\sum_{p \ni i} \big(f_t(\mathbf x) - f_t(\mathbf x_{\setminus p})\big)}{\#\{p \ni i\}},

which is captum's ``Occlusion`` (``sliding_window_shapes``, ``strides``, ``baselines``). No
gradient is involved: only forward passes, one per window position.
"""
from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import torch

from helpers.interpret.scores import apply_model, as_batch, check_baseline, check_model, check_targets

__all__ = ["window_masks", "occlusion"]


def window_masks(shape: tuple[int, ...], window: tuple[int, ...], stride: tuple[int, ...] | int = 1) -> np.ndarray:
    r"""Every window position as a boolean mask over one example, in captum's order.

    Along a dimension of size :math:`D` a window of size :math:`w` and stride :math:`s` takes
    :math:`\lceil (D - w)/s \rceil + 1` positions :math:`0, s, 2s, \dots`; a last position that
    overhangs the edge is cut off there (as in captum). The first dimension varies fastest.

    Shape:
        -> (P, *shape) with P the number of positions.

    Example:
        >>> window_masks((1, 4, 4), (1, 2, 2), (1, 2, 2)).shape
        (4, 1, 4, 4)
    """
    shape, window = tuple(int(s) for s in shape), tuple(int(w) for w in window)
    stride = (int(stride),) * len(shape) if np.ndim(stride) == 0 else tuple(int(s) for s in stride)
    if not (len(window) == len(stride) == len(shape)):
        raise ValueError(f"window and stride need one entry per input dimension {shape} (no batch axis), "
                         f"got window {window} and stride {stride}")
    for d, w, s in zip(shape, window, stride):
        if not 1 <= w <= d:
            raise ValueError(f"every window size must lie in [1, input size]: window {window} for input {shape}")
        if s < 1 or (s > w and w < d):
            raise ValueError(f"every stride must lie in [1, window size] (else pixels are skipped): "
                             f"stride {stride}, window {window}")
    starts = [range(0, (math.ceil((d - w) / s)) * s + 1, s) for d, w, s in zip(shape, window, stride)]
    masks = []
    for corner in itertools.product(*reversed(starts)):              # captum: dimension 0 fastest
        m = np.zeros(shape, dtype=bool)
        m[tuple(slice(c, c + w) for c, w in zip(reversed(corner), window))] = True
        masks.append(m)
    return np.stack(masks)


def occlusion(model: Any, x: Any, target: Any, window: tuple[int, ...], stride: tuple[int, ...] | int = 1,
              baseline: Any = 0.0, batch_size: int = 512) -> np.ndarray:
    r"""Occlusion attributions (see the module docstring), one forward pass per window position.

    Args:
        model, x, target: as in :func:`helpers.interpret.gradients.input_gradient`.
        window: the patch shape over one example's dimensions, e.g. (1, 2, 2) for (1, 8, 8) digits.
        stride: the step between positions, per dimension or one int.
        baseline: what covers the patch (captum's ``baselines``).
        batch_size: occluded inputs per forward pass (memory only).

    Shape:
        x: (N, ...) -> (N, ...)

    Example:
        >>> lin = torch.nn.Linear(3, 1, bias=False).double().eval()
        >>> x = np.array([[1.0, 2.0, 3.0]])
        >>> bool(np.allclose(occlusion(lin, x, 0, window=(1,)), lin.weight.detach().numpy() * x))
        True
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    x0 = check_baseline(baseline, xb)
    masks = torch.as_tensor(window_masks(tuple(xb.shape[1:]), window, stride))   # (P, ...)
    with torch.no_grad():
        full = apply_model(model, xb)                                                        # (N, K)
        t = check_targets(target, xb.shape[0], full.shape[1])
        f_x = full.gather(1, t[:, None])[:, 0]                                  # (N,)
        covered = torch.where(masks[:, None], x0[None], xb[None])               # (P, N, ...)
        covered = covered.reshape(-1, *xb.shape[1:])                            # (P·N, ...)
        targets = t.repeat(len(masks))                                          # (P·N,)
        scores = torch.cat([model(covered[i:i + batch_size]).gather(1, targets[i:i + batch_size, None])[:, 0]
                            for i in range(0, len(covered), batch_size)])
    drop = (f_x[None] - scores.reshape(len(masks), -1)).double()                 # (P, N)
    m = masks.reshape(len(masks), -1).double()                                  # (P, D)
    total = drop.T @ m                                                          # (N, D) summed drops
    return (total / m.sum(0)).reshape(xb.shape).numpy()                         # average over windows
