r"""Gradient attributions: saliency, gradient × input and Integrated Gradients (notebook 20, section 1).

* :func:`input_gradient`: :math:`\nabla_{\mathbf x} f_t(\mathbf x)`, backpropagation carried one
  step further than training does, to the input instead of the weights (notebook 04).
* :func:`saliency`: its absolute value (Simonyan et al., 2014), captum's ``Saliency``.
* :func:`gradient_x_input`: :math:`\mathbf x \odot \nabla f_t(\mathbf x)`, captum's ``InputXGradient``.
* :func:`integrated_gradients`: the gradient averaged along the straight path from a baseline
  (Sundararajan et al., 2017), captum's ``IntegratedGradients``, with the quadrature nodes of
  :func:`ig_nodes`. It satisfies **completeness**: the attributions add up to
  :math:`f_t(\mathbf x) - f_t(\mathbf x')` (see :func:`completeness_gap`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from helpers.core.checks import check_choice, check_range
from helpers.interpret.scores import apply_model, as_batch, check_baseline, check_model, check_targets, target_scores

__all__ = ["input_gradient", "saliency", "gradient_x_input", "ig_nodes", "integrated_gradients",
           "completeness_gap", "completeness_by_steps", "IG_METHODS"]

IG_METHODS = ["trapezoid", "gausslegendre", "left", "middle", "right"]


def _gradient(model: Any, xb: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """d f_t / d x for a batch whose examples do not interact (eval mode): the gradient of the
    *sum* of the scores is every example's own gradient."""
    xb = xb.detach().requires_grad_(True)
    scores = apply_model(model, xb).gather(1, t[:, None])                     # (N, 1)
    (grad,) = torch.autograd.grad(scores.sum(), xb)
    return grad


def input_gradient(model: Any, x: Any, target: Any) -> np.ndarray:
    r"""The gradient of the target score with respect to the input, :math:`\partial f_t / \partial \mathbf x`.

    Args:
        model: a module in eval mode, (N, ...) -> logits (N, K).
        x: the inputs.
        target: a class, or one per example.

    Shape:
        x: (N, ...) -> (N, ...), like ``x``.

    Example:
        >>> lin = torch.nn.Linear(2, 3, bias=False).double().eval()
        >>> g = input_gradient(lin, np.ones((1, 2)), 2)
        >>> bool(np.allclose(g[0], lin.weight[2].detach().numpy()))   # a linear score's gradient is its weight row
        True
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype).requires_grad_(True)
    logits = apply_model(model, xb)                              # (N, K)
    t = check_targets(target, xb.shape[0], logits.shape[1])
    (grad,) = torch.autograd.grad(logits.gather(1, t[:, None]).sum(), xb)
    return grad.double().numpy()


def saliency(model: Any, x: Any, target: Any, absolute: bool = True) -> np.ndarray:
    r"""Gradient saliency :math:`|\partial f_t / \partial x_i|`: how much a tiny change of pixel
    :math:`i` would move the score (captum ``Saliency``, whose ``abs=True`` default is ours).

    Shape:
        x: (N, ...) -> (N, ...)

    Example:
        >>> lin = torch.nn.Linear(2, 1, bias=False).double().eval()
        >>> bool((saliency(lin, np.ones((1, 2)), 0) >= 0).all())
        True
    """
    g = input_gradient(model, x, target)
    return np.abs(g) if absolute else g


def gradient_x_input(model: Any, x: Any, target: Any) -> np.ndarray:
    r"""Gradient × input, :math:`x_i\,\partial f_t / \partial x_i` (captum ``InputXGradient``).

    For a linear score :math:`f = \mathbf w^\top \mathbf x + b` it is exactly each pixel's share
    :math:`w_i x_i` of the score (minus the bias): Integrated Gradients from a zero baseline.

    Shape:
        x: (N, ...) -> (N, ...)

    Example:
        >>> lin = torch.nn.Linear(2, 1).double().eval()
        >>> x = np.array([[1.0, -2.0]])
        >>> bool(np.allclose(gradient_x_input(lin, x, 0), lin.weight.detach().numpy() * x))
        True
    """
    x = as_batch(x).numpy()
    return x * input_gradient(model, x, target)


def ig_nodes(n_steps: int, method: str = "trapezoid") -> tuple[np.ndarray, np.ndarray]:
    r"""Quadrature nodes :math:`\alpha_k` and weights :math:`w_k` with
    :math:`\int_0^1 g(\alpha)\,d\alpha \approx \sum_k w_k\, g(\alpha_k)`.

    * ``"trapezoid"``: :math:`\alpha_k = k/(n-1)`, :math:`w = \tfrac{1}{n-1}(\tfrac12, 1, \dots, 1, \tfrac12)`.
      (captum's ``riemann_trapezoid`` uses the same nodes with step :math:`1/n`, so its weights
      add up to :math:`(n-1)/n`, not 1.)
    * ``"gausslegendre"``: Gauss-Legendre nodes mapped from [-1, 1] to [0, 1] (captum's default);
      exact for polynomials of degree :math:`2n-1`, but a ReLU network's path gradient is
      piecewise constant, and there every rule converges like :math:`1/n`.
    * ``"left"``, ``"middle"``, ``"right"``: Riemann sums with step :math:`1/n`, as in captum.

    Shape:
        -> alphas (n,), weights (n,), float64; the weights add up to 1.

    Example:
        >>> a, w = ig_nodes(5)
        >>> a.tolist(), float(w.sum())
        ([0.0, 0.25, 0.5, 0.75, 1.0], 1.0)
    """
    check_choice(method, "method", IG_METHODS)
    check_range(n_steps, "n_steps", 1 if method == "gausslegendre" else 2, None, integer=True)
    n = n_steps
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)         # on [-1, 1]
        return 0.5 * (1 + nodes), 0.5 * weights
    if method == "trapezoid":
        w = np.full(n, 1 / (n - 1))
        w[[0, -1]] /= 2
        return np.linspace(0, 1, n), w
    start = {"left": 0.0, "middle": 0.5, "right": 1.0}[method]
    return (np.arange(n) + start) / n, np.full(n, 1 / n)


def integrated_gradients(model: Any, x: Any, target: Any, baseline: Any = 0.0, n_steps: int = 64,
                         method: str = "trapezoid", chunk: int = 256) -> np.ndarray:
    r"""Integrated Gradients: the input's difference from the baseline times the gradient
    averaged along the straight path between them,

    .. math::
        \mathrm{IG}_i(\mathbf x) = (x_i - x'_i) \int_0^1
        \frac{\partial f_t}{\partial x_i}\big(\mathbf x' + \alpha(\mathbf x - \mathbf x')\big)\, d\alpha
        \approx (x_i - x'_i) \sum_k w_k\, \frac{\partial f_t}{\partial x_i}\big(\mathbf x' + \alpha_k(\mathbf x - \mathbf x')\big).

    By the fundamental theorem of calculus for path integrals, the exact attributions add up to
    :math:`f_t(\mathbf x) - f_t(\mathbf x')` (completeness); the sum differs only by the
    quadrature error of :func:`ig_nodes`.

    Args:
        model, x, target: as in :func:`input_gradient`.
        baseline: the reference input :math:`\mathbf x'` (default 0, captum's default).
        n_steps: number of quadrature nodes (path points).
        method: the quadrature rule, see :func:`ig_nodes`.
        chunk: path points per forward/backward pass (memory only, no effect on the result).

    Shape:
        x: (N, ...) -> (N, ...)

    Example:
        >>> lin = torch.nn.Linear(3, 2).double().eval()
        >>> x = np.array([[1.0, 2.0, -1.0]])
        >>> ig = integrated_gradients(lin, x, 1, n_steps=4)
        >>> bool(np.allclose(ig, lin.weight[1].detach().numpy() * x))   # linear: exact with any rule
        True
    """
    alphas, weights = ig_nodes(n_steps, method)
    grads, xb, x0 = _path_gradients(model, x, target, baseline, alphas, chunk)     # (S, N, ...)
    w = torch.as_tensor(weights).view(-1, *[1] * (grads.ndim - 1))               # (S, 1, 1, ...)
    return ((xb - x0).double() * (w * grads).sum(0)).numpy()                      # (N, ...)


def _path_gradients(model: Any, x: Any, target: Any, baseline: Any, alphas: np.ndarray, chunk: int):
    """The target score's gradient at every path point. Returns grads (S, N, ...) float64, x, x'."""
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    x0 = check_baseline(baseline, xb)
    check_range(chunk, "chunk", 1, None, integer=True)
    with torch.no_grad():
        classes = apply_model(model, xb[:1]).shape[1]
    t = check_targets(target, xb.shape[0], classes)
    n, shape = xb.shape[0], tuple(xb.shape[1:])
    a = torch.as_tensor(alphas, dtype=dtype).view(-1, 1, *[1] * len(shape))  # (S, 1, 1, ...)
    path = x0[None] + a * (xb - x0)[None]                        # (S, N, ...) points on the path
    path = path.reshape(-1, *shape)                              # (S·N, ...)
    targets = t.repeat(len(alphas))                              # (S·N,) same order as path
    grads = torch.cat([_gradient(model, path[i:i + chunk], targets[i:i + chunk])
                       for i in range(0, len(path), chunk)])     # (S·N, ...)
    return grads.double().reshape(len(alphas), n, *shape), xb, x0   # (S, N, ...)


def completeness_gap(model: Any, x: Any, target: Any, attributions: Any, baseline: Any = 0.0) -> np.ndarray:
    r"""How far the attributions are from adding up to the score difference:
    :math:`\sum_i \mathrm{IG}_i - \big(f_t(\mathbf x) - f_t(\mathbf x')\big)` per example
    (captum's ``return_convergence_delta``).

    Shape:
        x, attributions: (N, ...) -> (N,)

    Example:
        >>> lin = torch.nn.Linear(3, 2).double().eval()
        >>> x = np.ones((2, 3))
        >>> float(np.abs(completeness_gap(lin, x, 0, integrated_gradients(lin, x, 0))).max()) < 1e-12
        True
    """
    dtype = check_model(model)
    xb = as_batch(x, dtype)
    attr = as_batch(attributions, torch.float64, "attributions").numpy()
    if attr.shape != tuple(xb.shape):
        raise ValueError(f"attributions must have x's shape {tuple(xb.shape)}, got {attr.shape}")
    x0 = check_baseline(baseline, xb)
    diff = target_scores(model, xb, target) - target_scores(model, x0, target)  # (N,)
    return attr.reshape(len(attr), -1).sum(1) - diff


def completeness_by_steps(model: Any, x: Any, target: Any, baseline: Any = 0.0,
                          steps: tuple[int, ...] = (17, 65, 257, 1025, 4097), chunk: int = 256) -> np.ndarray:
    r"""The completeness gap of trapezoid-rule Integrated Gradients for several numbers of nodes,
    at the cost of the finest one: the grid of :math:`n` nodes is a subset of the grid of
    :math:`N` nodes whenever :math:`n - 1` divides :math:`N - 1`, so the gradients are computed once.

    Shape:
        x: (N, ...) -> (len(steps), N)

    Example:
        >>> lin = torch.nn.Linear(3, 2).double().eval()
        >>> completeness_by_steps(lin, np.ones((2, 3)), 0, steps=(2, 3, 5)).shape
        (3, 2)
    """
    steps = [int(check_range(n, "steps", 2, None, integer=True)) for n in steps]
    finest = max(steps)
    if any((finest - 1) % (n - 1) for n in steps):
        raise ValueError(f"every n - 1 must divide {finest - 1} (nested grids), got steps {steps}")
    grads, xb, x0 = _path_gradients(model, x, target, baseline, np.linspace(0, 1, finest), chunk)
    diff = target_scores(model, xb, target) - target_scores(model, x0, target)        # (N,)
    gaps = []
    for n in steps:
        w = torch.as_tensor(ig_nodes(n, "trapezoid")[1]).view(-1, *[1] * (grads.ndim - 1))
        ig = (xb - x0).double() * (w * grads[:: (finest - 1) // (n - 1)]).sum(0)    # (N, ...)
        gaps.append(ig.reshape(len(ig), -1).sum(1).numpy() - diff)
    return np.array(gaps)
