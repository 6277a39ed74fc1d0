r"""Two unbiased Monte-Carlo estimates of :math:`\nabla_{\boldsymbol\mu}\,\mathbb E_{q}[f(\mathbf z)]`,
:math:`q = \mathcal N(\boldsymbol\mu, \operatorname{diag}\boldsymbol\sigma^2)`, and how noisy each is (notebook 16).

* **Score function** (REINFORCE, Williams 1992): move the gradient onto the density,
  :math:`\nabla_{\boldsymbol\mu}\mathbb E_q f = \mathbb E_q\big[f(\mathbf z)\,\nabla_{\boldsymbol\mu}\log q(\mathbf z)\big]
  = \mathbb E_q\big[f(\mathbf z)\,(\mathbf z - \boldsymbol\mu)/\boldsymbol\sigma^2\big]`.
  It needs only values of :math:`f` (no derivative), and pays for it: every sample multiplies
  the *size* of :math:`f` (tens of nats for a log-likelihood) by a random sign-changing factor.
* **Reparameterisation** (pathwise): write :math:`\mathbf z = \boldsymbol\mu + \boldsymbol\sigma\odot\boldsymbol\epsilon`,
  then :math:`\nabla_{\boldsymbol\mu}\mathbb E_q f = \mathbb E_{\boldsymbol\epsilon}\big[\nabla_{\mathbf z} f(\mathbf z)\big]`.
  It uses the *slope* of :math:`f`, which does not grow with :math:`f`'s offset.

Both are averages of per-sample estimates; the functions return the per-sample estimates so the
notebook can compare their spread (:func:`gradient_variance`).

Shape: ``n`` samples, ``K`` latent size; ``f`` maps (n, K) -> (n,).
"""
from __future__ import annotations

from typing import Callable

import torch

from helpers.core.checks import check_range, check_tensor

__all__ = ["score_function_gradients", "reparam_gradients", "gradient_variance"]

Objective = Callable[[torch.Tensor], torch.Tensor]


def _draw(mu: torch.Tensor, logvar: torch.Tensor, n: int, generator: torch.Generator | None) -> torch.Tensor:
    check_tensor(mu, "mu")
    check_tensor(logvar, "logvar")
    if mu.ndim != 1 or logvar.shape != mu.shape:
        raise ValueError(f"mu and logvar must be 1-D of the same length K, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    check_range(n, "n", 1, None, integer=True)
    return torch.randn(n, mu.shape[0], generator=generator, dtype=mu.dtype)            # (n, K)


def _values(f: Objective, z: torch.Tensor) -> torch.Tensor:
    out = f(z)
    if out.shape != (z.shape[0],):
        raise ValueError(f"f must map z of shape (n, K) to one value per sample (n,) = ({z.shape[0]},), "
                         f"got {tuple(out.shape)}")
    return out


def score_function_gradients(f: Objective, mu: torch.Tensor, logvar: torch.Tensor, n: int,
                             generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Per-sample REINFORCE estimates :math:`f(\mathbf z_i)\,(\mathbf z_i - \boldsymbol\mu)/\boldsymbol\sigma^2`.

    Shape: mu, logvar (K,) -> (n, K).

    Example:
        >>> g = score_function_gradients(lambda z: (z ** 2).sum(-1), torch.tensor([1.0]), torch.tensor([0.0]),
        ...                              20000, torch.Generator().manual_seed(0))
        >>> round(g.mean().item(), 1)  # d/dmu E[z^2] = 2 mu = 2
        2.0
    """
    eps = _draw(mu, logvar, n, generator)
    z = mu + torch.exp(0.5 * logvar) * eps                                            # (n, K)
    with torch.no_grad():
        # (z - mu) / sigma^2 = eps / sigma: the score of a diagonal Gaussian with respect to its mean
        return _values(f, z)[:, None] * eps * torch.exp(-0.5 * logvar)


def reparam_gradients(f: Objective, mu: torch.Tensor, logvar: torch.Tensor, n: int,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Per-sample pathwise estimates :math:`\nabla_{\mathbf z} f(\boldsymbol\mu + \boldsymbol\sigma\odot\boldsymbol\epsilon_i)`.

    One backward pass gives all ``n`` rows: the samples are independent, so the gradient of the
    sum with respect to :math:`\mathbf z_i` is :math:`\nabla f(\mathbf z_i)` (and
    :math:`\partial\mathbf z_i/\partial\boldsymbol\mu = I`).

    Shape: mu, logvar (K,) -> (n, K).

    Example:
        >>> g = reparam_gradients(lambda z: (z ** 2).sum(-1), torch.tensor([1.0]), torch.tensor([0.0]),
        ...                       20000, torch.Generator().manual_seed(0))
        >>> round(g.mean().item(), 1)
        2.0
    """
    eps = _draw(mu, logvar, n, generator)
    z = (mu.detach() + torch.exp(0.5 * logvar.detach()) * eps).requires_grad_(True)    # (n, K)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(_values(f, z).sum(), z)
    return grad


def gradient_variance(grads: torch.Tensor) -> float:
    r"""Total variance of per-sample estimates, :math:`\sum_k \operatorname{Var}_i[g_{ik}]`: the expected squared
    distance of one estimate from their mean (divide by the number of samples averaged for a minibatch's).

    Shape: (n, K) -> a number.
    """
    if not isinstance(grads, torch.Tensor):
        raise ValueError(f"grads must be a torch.Tensor of shape (n, K), got {type(grads).__name__}")
    if grads.ndim != 2 or grads.shape[0] < 2:
        raise ValueError(f"grads must be (n, K) with n >= 2, got {tuple(grads.shape)}")
    if not bool(torch.isfinite(grads).all()):
        raise ValueError("grads must be finite, got NaN/inf in the per-sample estimates")
    return float(grads.double().var(dim=0).sum())
