"""The six methods of notebook 20 behind one call, with the chapter's settings.

==================  ===================================================================
``"saliency"``      :func:`helpers.interpret.gradients.saliency`, :math:`|\\nabla f_t|`
``"grad_x_input"``  :func:`helpers.interpret.gradients.gradient_x_input`
``"integrated"``    :func:`helpers.interpret.gradients.integrated_gradients`, 32-node trapezoid, blank baseline
``"occlusion"``     :func:`helpers.interpret.occlusion.occlusion`, 2×2 window, stride 1
``"lime"``          :func:`helpers.interpret.surrogate.lime`, 2×2 superpixels (16 features), 256 draws
``"kernel_shap"``   :func:`helpers.interpret.shapley.kernel_shap`, the same superpixels and draws
==================  ===================================================================

Every method returns a map shaped like the input, so maps can be drawn, compared and fed to
:func:`helpers.interpret.evaluation.deletion_curves` alike.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from helpers.core.checks import check_choice
from helpers.interpret.gradients import gradient_x_input, integrated_gradients, saliency
from helpers.interpret.occlusion import occlusion
from helpers.interpret.scores import apply_model, as_batch, check_baseline, check_model, check_targets
from helpers.interpret.shapley import kernel_shap
from helpers.interpret.surrogate import lime, paint, superpixels

__all__ = ["METHODS", "SHORT", "attribute"]

METHODS = {"saliency": "gradient saliency", "grad_x_input": "gradient × input",
           "integrated": "Integrated Gradients", "occlusion": "occlusion (2×2)",
           "lime": "LIME (2×2 superpixels)", "kernel_shap": "Kernel SHAP (2×2 superpixels)"}
SHORT = {"saliency": "saliency", "grad_x_input": "grad × input", "integrated": "IG", "occlusion": "occlusion",
         "lime": "LIME", "kernel_shap": "Kernel SHAP"}   # for panel titles


def attribute(method: str, model: Any, x: Any, target: Any, baseline: Any = 0.0, seed: int = 0,
              n_samples: int = 256, ig_steps: int = 32) -> np.ndarray:
    """Attribution maps of ``method`` (a key of :data:`METHODS`) for a batch, one per example.

    Args:
        method: which method; the settings are those in the module docstring.
        model, x, target, baseline: as in :func:`helpers.interpret.gradients.integrated_gradients`.
        seed: seeds LIME's and Kernel SHAP's draws (example n uses ``seed + n``).
        n_samples: draws for LIME and Kernel SHAP.
        ig_steps: path points for Integrated Gradients.

    Shape:
        x: (N, C, H, W) -> (N, C, H, W) float64

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)).double().eval()
        >>> attribute("lime", net, np.ones((2, 1, 8, 8)), [3, 5]).shape
        (2, 1, 8, 8)
    """
    check_choice(method, "method", list(METHODS))
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    if xb.ndim != 4:
        raise ValueError(f"x must be a batch of images (N, C, H, W), got shape {tuple(xb.shape)}")
    with torch.no_grad():
        t = check_targets(target, xb.shape[0], apply_model(model, xb[:1]).shape[1]).numpy()
    if method == "saliency":
        return saliency(model, xb, t)
    if method == "grad_x_input":
        return gradient_x_input(model, xb, t)
    if method == "integrated":
        return integrated_gradients(model, xb, t, baseline, n_steps=ig_steps)
    if method == "occlusion":
        return occlusion(model, xb, t, window=(1, 2, 2), stride=1, baseline=baseline)
    mask = superpixels(tuple(xb.shape[1:]), (2, 2))                            # (C, H, W) ids 0..15
    explain = lime if method == "lime" else kernel_shap
    x0 = check_baseline(baseline, xb)                                          # (N, C, H, W)
    maps = [paint(explain(model, xb[i:i + 1], int(t[i]), mask, x0[i:i + 1], n_samples=n_samples, seed=seed + i), mask)
            for i in range(xb.shape[0])]
    return np.concatenate(maps)                                                # (N, C, H, W)
