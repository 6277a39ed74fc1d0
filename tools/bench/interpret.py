"""Notebook 20: time per attribution, ours vs captum, for each method on the digits CNN (float32,
one thread, one held-out digit, the notebook's settings).

    python -m tools.bench --only interpret
"""
from __future__ import annotations

import warnings

SECTION = "interpret: time per attribution, ours / captum (digits CNN, float32, 1 thread)"


def run(report) -> None:
    import numpy as np
    import torch
    from captum._utils.models.linear_model import SkLearnLinearRegression
    from captum.attr import InputXGradient, IntegratedGradients, KernelShap, Lime, Occlusion, Saliency

    from helpers.interpret import gradients, models, occlusion, shapley, surrogate

    warnings.filterwarnings("ignore", category=UserWarning)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        m = models.train_digit_models(seed=0, epochs=3)
        net, b = m.cnn, float(m.baseline.flat[0])
        x, t = torch.as_tensor(m.split.X_test[:1]), int(m.split.y_test[0])
        mask = surrogate.superpixels()
        fmask = torch.as_tensor(mask)[None]
        cases = [
            ("saliency", lambda: gradients.saliency(net, x, t), lambda: Saliency(net).attribute(x, target=t)),
            ("gradient x input", lambda: gradients.gradient_x_input(net, x, t),
             lambda: InputXGradient(net).attribute(x, target=t)),
            ("Integrated Gradients, 32 steps", lambda: gradients.integrated_gradients(net, x, t, b, 32, "gausslegendre"),
             lambda: IntegratedGradients(net).attribute(x, baselines=b, target=t, n_steps=32)),
            ("occlusion 2x2, stride 1", lambda: occlusion.occlusion(net, x, t, (1, 2, 2), 1, b),
             lambda: Occlusion(net).attribute(x, sliding_window_shapes=(1, 2, 2), baselines=b, target=t,
                                              perturbations_per_eval=64)),
            ("LIME, 16 superpixels, 256 draws", lambda: surrogate.lime(net, x, t, mask, b, 256),
             lambda: Lime(net, interpretable_model=SkLearnLinearRegression()).attribute(
                 x, target=t, feature_mask=fmask, baselines=b, n_samples=256, perturbations_per_eval=64)),
            ("Kernel SHAP, 16 superpixels, 256 draws", lambda: shapley.kernel_shap(net, x, t, mask, b, 256),
             lambda: KernelShap(net).attribute(x, target=t, feature_mask=fmask, baselines=b, n_samples=256,
                                               perturbations_per_eval=64)),
        ]
        for name, ours, ref in cases:
            report.ratio(SECTION, name, ours, ref, repeat=10 if "draws" in name else 20, ref_name="captum")
        report.time(SECTION, "exact Shapley, 8 superpixels (256 coalitions)",
                    lambda: shapley.exact_shapley(net, x, t, surrogate.superpixels((1, 8, 8), (4, 2)), b), repeat=10)
        report.add(SECTION, "note", "captum's Occlusion / Lime / KernelShap run with perturbations_per_eval=64 "
                   f"(default 1 is far slower); {np.prod(x.shape)} pixels")
    finally:
        torch.set_num_threads(threads)
