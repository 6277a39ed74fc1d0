r"""The WGAN-GP gradient penalty, in PyTorch and by hand for a tiny critic (notebook 12).

The Wasserstein critic :math:`f` must be 1-Lipschitz. Gulrajani et al. (2017, "Improved Training
of Wasserstein GANs") ask for it softly: on points :math:`\hat x = \epsilon x + (1-\epsilon)\tilde x`
drawn on straight lines between a real sample :math:`x` and a fake :math:`\tilde x`
(:math:`\epsilon \sim U[0, 1]`), penalise gradient norms away from 1,

.. math:: P = \lambda\, \mathbb{E}_{\hat x}\big(\|\nabla_{\hat x} f(\hat x)\|_2 - 1\big)^2 .

The penalty contains a gradient, so training the critic on it differentiates *through* a
gradient ("double backprop"): in PyTorch ``torch.autograd.grad(..., create_graph=True)``. For a
one-hidden-layer critic :math:`f(x) = \mathbf{v}^\top \tanh(W x + \mathbf{b}) + c` everything is
small enough to write by hand, which :func:`tanh_critic_penalty_grads` does and the tests check
against autograd. For a linear critic :math:`f(x) = \mathbf{w}^\top x + c` the gradient is
:math:`\mathbf{w}` everywhere, so :math:`P = \lambda(\|\mathbf{w}\| - 1)^2` exactly.

Shape: ``N`` points, ``D`` features, ``H`` hidden units; ``S`` independent critics in PyTorch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from helpers.core.checks import check_array, check_range, check_tensor

__all__ = ["gradient_penalty", "interpolate_real_fake", "tanh_critic", "tanh_critic_input_grad",
           "penalty_from_grads", "tanh_critic_penalty_grads", "linear_critic_penalty"]

_TINY = 1e-12  # inside the square root: d||g||/dg = g/||g|| is undefined at g = 0


def interpolate_real_fake(real: torch.Tensor, fake: torch.Tensor,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    r""":math:`\hat x = \epsilon x + (1 - \epsilon)\tilde x`, one :math:`\epsilon \sim U[0,1]` per row.

    Shape: real, fake (N, D) or (S, N, D) -> the same shape (detached from both inputs).
    """
    if not isinstance(real, torch.Tensor) or not isinstance(fake, torch.Tensor) or real.shape != fake.shape \
            or real.dim() not in (2, 3):
        got = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (real, fake)]
        raise ValueError(f"real and fake must be tensors of the same shape (N, D) or (S, N, D), got {got}")
    eps = torch.rand(*real.shape[:-1], 1, generator=generator, dtype=real.dtype)  # (..., N, 1)
    return (eps * real.detach() + (1 - eps) * fake.detach())


def _check_penalty(weight: float, points) -> None:
    check_range(weight, "weight", 0.0, None)
    if points is not None:
        check_tensor(points, "points", ndim=(2, 3))


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, weight: float = 10.0,
                     generator: torch.Generator | None = None,
                     points: torch.Tensor | None = None) -> torch.Tensor:
    r"""The WGAN-GP penalty :math:`\lambda\,\frac{1}{N}\sum_n (\|\nabla_{\hat x} f(\hat x_n)\|_2 - 1)^2`.

    Args:
        critic: maps (N, D) or (S, N, D) to scores (N,) or (S, N); each score must depend on its
            own row only (no batch norm), which is why one ``grad`` of the summed scores gives
            every per-row gradient at once.
        real, fake: samples of the same shape; ignored if ``points`` is given.
        weight: :math:`\lambda` (10 in the paper).
        generator: seeds the interpolation coefficients.
        points: evaluate at these :math:`\hat x` instead of random interpolates (for tests).

    Returns:
        The penalty, differentiable with respect to the critic's parameters
        (``create_graph=True``). Shape () for (N, D) inputs, (S,) for (S, N, D).
    """
    _check_penalty(weight, points)
    x_hat = interpolate_real_fake(real, fake, generator) if points is None else points.detach()
    x_hat = x_hat.clone().requires_grad_(True)
    scores = critic(x_hat)  # (..., N)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (..., N, D)
    norm = torch.sqrt((grad ** 2).sum(-1) + _TINY)  # (..., N)
    return weight * ((norm - 1.0) ** 2).mean(-1)


# ----------------------------------------------------------------------------- by hand, NumPy
def _tanh_params(X, W, b, v) -> tuple[np.ndarray, ...]:
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2, shape=(None, X.shape[1]))
    b = check_array(b, "b", ndim=1, shape=(W.shape[0],))
    v = check_array(v, "v", ndim=1, shape=(W.shape[0],))
    return X, W, b, v


def tanh_critic(X: np.ndarray, W: np.ndarray, b: np.ndarray, v: np.ndarray, c: float = 0.0) -> np.ndarray:
    r"""A one-hidden-layer critic :math:`f(x) = \mathbf{v}^\top \tanh(W x + \mathbf{b}) + c`.

    Shape: X (N, D), W (H, D), b (H,), v (H,) -> scores (N,).
    """
    X, W, b, v = _tanh_params(X, W, b, v)
    return np.tanh(X @ W.T + b) @ v + c  # (N, H) @ (H,) -> (N,)


def tanh_critic_input_grad(X: np.ndarray, W: np.ndarray, b: np.ndarray, v: np.ndarray) -> np.ndarray:
    r""":math:`\nabla_x f = W^\top\big(\mathbf{v} \odot (1 - \tanh^2(W x + \mathbf{b}))\big)`, one row per point.

    Shape: X (N, D) -> gradients (N, D).
    """
    X, W, b, v = _tanh_params(X, W, b, v)
    s = 1.0 - np.tanh(X @ W.T + b) ** 2  # (N, H): tanh'(z)
    return (s * v) @ W                   # (N, H) @ (H, D) -> (N, D)


def penalty_from_grads(grads: np.ndarray, weight: float = 10.0) -> float:
    r""":math:`\lambda\,\frac{1}{N}\sum_n (\|\mathbf{g}_n\|_2 - 1)^2` for given gradients (N, D) -> float."""
    grads = check_array(grads, "grads", ndim=2)
    check_range(weight, "weight", 0.0, None)
    norm = np.sqrt((grads ** 2).sum(axis=1) + _TINY)  # (N,)
    return float(weight * np.mean((norm - 1.0) ** 2))


def tanh_critic_penalty_grads(X: np.ndarray, W: np.ndarray, b: np.ndarray, v: np.ndarray,
                              weight: float = 10.0) -> tuple[float, dict[str, np.ndarray]]:
    r"""The penalty of :func:`tanh_critic` at points ``X`` and its gradient with respect to the
    critic's parameters, by hand (the double backprop that ``create_graph=True`` automates).

    With :math:`t = \tanh(W x_n + \mathbf{b})`, :math:`s = 1 - t^2`, :math:`\mathbf{g}_n =
    W^\top(\mathbf{v}\odot s)` and :math:`\mathbf{u}_n = \partial P/\partial \mathbf{g}_n =
    \frac{2\lambda}{N}(\|\mathbf{g}_n\| - 1)\,\mathbf{g}_n/\|\mathbf{g}_n\|`, the chain rule gives,
    with :math:`a_{nh} = \mathbf{u}_n \cdot W_h` and :math:`\partial s/\partial z = -2ts`:

    .. math:: \frac{\partial P}{\partial v_h} = \sum_n a_{nh} s_{nh}, \quad
              \frac{\partial P}{\partial b_h} = \sum_n a_{nh} v_h (-2 t_{nh} s_{nh}), \quad
              \frac{\partial P}{\partial W_{hd}} = \sum_n \big(u_{nd} v_h s_{nh}
              + a_{nh} v_h (-2 t_{nh} s_{nh}) x_{nd}\big).

    ``c`` does not move the gradient, so its derivative is 0.

    Shape: X (N, D), W (H, D), b (H,), v (H,) -> (float, {"W": (H, D), "b": (H,), "v": (H,)}).
    """
    X, W, b, v = _tanh_params(X, W, b, v)
    check_range(weight, "weight", 0.0, None)
    n = X.shape[0]
    t = np.tanh(X @ W.T + b)                         # (N, H)
    s = 1.0 - t ** 2                                 # (N, H)
    g = (s * v) @ W                                  # (N, D)
    norm = np.sqrt((g ** 2).sum(axis=1) + _TINY)     # (N,)
    penalty = float(weight * np.mean((norm - 1.0) ** 2))
    u = (2 * weight / n) * ((norm - 1.0) / norm)[:, None] * g  # (N, D)
    a = u @ W.T                                      # (N, D) @ (D, H) -> (N, H)
    dz = a * v * (-2.0 * t * s)                      # (N, H): through s = tanh'(z)
    grads = {"v": (a * s).sum(axis=0),
             "b": dz.sum(axis=0),
             "W": (s * v).T @ u + dz.T @ X}          # (H, N) @ (N, D) -> (H, D), twice
    return penalty, grads


def linear_critic_penalty(w: np.ndarray, weight: float = 10.0) -> float:
    r"""Closed form for :math:`f(x) = \mathbf{w}^\top x + c`: :math:`\nabla_x f = \mathbf{w}` at every
    point, so :math:`P = \lambda(\|\mathbf{w}\|_2 - 1)^2`. Shape: w (D,) -> float."""
    w = check_array(w, "w", ndim=1)
    check_range(weight, "weight", 0.0, None)
    return float(weight * (np.linalg.norm(w) - 1.0) ** 2)
