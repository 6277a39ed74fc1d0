r"""Latent-variable models: the evidence lower bound, the Gaussian KL in closed form, the
reparameterisation trick, and a model small enough to check the ELBO against the truth (notebook 16).

A latent-variable model draws :math:`\mathbf z \sim p(\mathbf z)` and then :math:`\mathbf x \sim p(\mathbf x\mid\mathbf z)`.
For any distribution :math:`q(\mathbf z)` (in a VAE, the encoder's :math:`q(\mathbf z\mid\mathbf x)`),

.. math:: \log p(\mathbf x) = \underbrace{\mathbb E_q[\log p(\mathbf x\mid\mathbf z)] - \mathrm{KL}(q(\mathbf z)\,\|\,p(\mathbf z))}_{\text{ELBO}(q)}
          \;+\; \mathrm{KL}(q(\mathbf z)\,\|\,p(\mathbf z\mid\mathbf x)),

and the last term is :math:`\ge 0`, so the ELBO is a lower bound on the evidence, tight exactly
when :math:`q` is the true posterior. :class:`LinearGaussian` is a model where all three terms
have closed forms, so the identity can be checked to the last digit.

Shape: ``N`` batch, ``K`` latent size (``k`` in the text), ``D`` data size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from helpers.core.checks import check_array, check_range, check_tensor

__all__ = ["gaussian_kl", "reparameterize", "LinearGaussian"]


def gaussian_kl(mu_q: torch.Tensor, logvar_q: torch.Tensor, mu_p: torch.Tensor | float = 0.0,
                logvar_p: torch.Tensor | float = 0.0) -> torch.Tensor:
    r"""KL divergence between diagonal Gaussians, summed over the last axis (nats).

    .. math:: \mathrm{KL}\big(\mathcal N(\boldsymbol\mu_q, \operatorname{diag}\boldsymbol\sigma_q^2)\,\|\,
              \mathcal N(\boldsymbol\mu_p, \operatorname{diag}\boldsymbol\sigma_p^2)\big)
              = \frac12\sum_k \Big(\frac{\sigma_{q,k}^2}{\sigma_{p,k}^2} + \frac{(\mu_{q,k}-\mu_{p,k})^2}{\sigma_{p,k}^2}
              - 1 + \log\sigma_{p,k}^2 - \log\sigma_{q,k}^2\Big).

    With the defaults :math:`p = \mathcal N(0, I)` this is a VAE's KL term,
    :math:`\frac12\sum_k(\sigma_k^2 + \mu_k^2 - 1 - \log\sigma_k^2)`. Computed from log-variances:
    :math:`\sigma_q^2/\sigma_p^2 = e^{\log\sigma_q^2 - \log\sigma_p^2}` never divides two tiny or two
    huge numbers, and a network can output any real log-variance.

    Args:
        mu_q, logvar_q: mean and log-variance of q. mu_p, logvar_p: those of p (tensors that
            broadcast, or numbers; default the standard normal).

    Shape: (..., K) -> (...).

    Example:
        >>> gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2)).tolist()
        [0.0, 0.0, 0.0]
    """
    _check_pair(mu_q, logvar_q, "mu_q", "logvar_q")
    _check_prior(mu_p, logvar_p, mu_q)
    ratio = torch.exp(logvar_q - logvar_p)                                     # sigma_q^2 / sigma_p^2
    return 0.5 * (ratio + (mu_q - mu_p) ** 2 * torch.exp(-torch.as_tensor(logvar_p, dtype=mu_q.dtype))
                  - 1 - (logvar_q - logvar_p)).sum(-1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    r"""The reparameterisation trick: :math:`\mathbf z = \boldsymbol\mu + \boldsymbol\sigma \odot \boldsymbol\epsilon`,
    :math:`\boldsymbol\epsilon \sim \mathcal N(0, I)`, :math:`\boldsymbol\sigma = e^{\frac12\log\boldsymbol\sigma^2}`.

    The randomness sits in :math:`\boldsymbol\epsilon`, which does not depend on the encoder, so
    :math:`\mathbf z` is a differentiable function of :math:`\boldsymbol\mu, \boldsymbol\sigma` and
    autograd carries gradients through the sample (Kingma & Welling, 2014).

    Shape: mu, logvar, eps (..., K) -> (..., K).

    Example:
        >>> reparameterize(torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0])).tolist()
        [3.0]
    """
    _check_pair(mu, logvar, "mu", "logvar")
    check_tensor(eps, "eps")
    if eps.shape != mu.shape:
        raise ValueError(f"eps must have the shape of mu {tuple(mu.shape)}, got {tuple(eps.shape)}")
    return mu + torch.exp(0.5 * logvar) * eps


def _check_prior(mu_p, logvar_p, mu_q: torch.Tensor) -> None:
    for value, name in ((mu_p, "mu_p"), (logvar_p, "logvar_p")):
        if isinstance(value, torch.Tensor):
            check_tensor(value, name)
            try:
                fits = torch.broadcast_shapes(value.shape, mu_q.shape) == mu_q.shape
            except RuntimeError:
                fits = False
            if not fits:
                raise ValueError(f"{name} must broadcast to the shape of mu_q {tuple(mu_q.shape)}, "
                                 f"got {tuple(value.shape)}")
        else:
            check_range(value, name)


def _check_pair(mu, logvar, name_mu: str, name_logvar: str) -> None:
    for x, name in ((mu, name_mu), (logvar, name_logvar)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise ValueError(f"{name} must be a floating-point torch tensor, got {type(x).__name__}")
        if x.ndim == 0:
            raise ValueError(f"{name} must have a latent axis (shape (..., K)), got a 0-d tensor")
    if mu.shape != logvar.shape:
        raise ValueError(f"{name_logvar} must have the shape of {name_mu} {tuple(mu.shape)}, got {tuple(logvar.shape)}")
    if not (torch.isfinite(mu).all() and torch.isfinite(logvar).all()):
        raise ValueError(f"{name_mu} and {name_logvar} must be finite")


@dataclass(frozen=True)
class LinearGaussian:
    r"""Probabilistic PCA: :math:`p(\mathbf z) = \mathcal N(0, I_K)`,
    :math:`p(\mathbf x\mid\mathbf z) = \mathcal N(W\mathbf z + \mathbf b, s^2 I_D)`.

    Everything is closed form (NumPy, float64):

    * evidence :math:`p(\mathbf x) = \mathcal N(\mathbf b, WW^\top + s^2 I)`;
    * posterior :math:`p(\mathbf z\mid\mathbf x) = \mathcal N(\Sigma W^\top(\mathbf x - \mathbf b)/s^2,\ \Sigma)`,
      :math:`\Sigma = (I + W^\top W/s^2)^{-1}`;
    * the ELBO of a Gaussian :math:`q = \mathcal N(\mathbf m, C)`:
      :math:`-\frac D2\log 2\pi s^2 - \frac{\|\mathbf x - W\mathbf m - \mathbf b\|^2 + \operatorname{tr}(W C W^\top)}{2s^2}
      - \frac12\big(\operatorname{tr}C + \mathbf m^\top\mathbf m - K - \log\det C\big)`.

    Shape: W (D, K), b (D,), x (D,), m (K,), C (K, K).

    Example:
        >>> model = LinearGaussian(np.array([[1.0], [0.5]]), np.zeros(2), 0.3)
        >>> x = np.array([0.4, -0.2]); m, C = model.posterior(x)
        >>> bool(abs(model.elbo(x, m, C) - model.log_evidence(x)) < 1e-12)
        True
    """

    W: np.ndarray
    b: np.ndarray
    noise_std: float

    def __post_init__(self) -> None:
        W = check_array(self.W, "W", ndim=2).astype(np.float64)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", check_array(self.b, "b", shape=(W.shape[0],)).astype(np.float64))
        check_range(self.noise_std, "noise_std", 0.0, None, low_inclusive=False)

    def _x(self, x: np.ndarray) -> np.ndarray:
        return check_array(x, "x", shape=(self.W.shape[0],)).astype(np.float64)

    def log_evidence(self, x: np.ndarray) -> float:
        r""":math:`\log p(\mathbf x) = \log\mathcal N(\mathbf x;\ \mathbf b,\ WW^\top + s^2 I)`, via a Cholesky factor
        (a triangular solve and the log of its diagonal, no explicit inverse or determinant)."""
        x = self._x(x)
        D = len(x)
        L = np.linalg.cholesky(self.W @ self.W.T + self.noise_std ** 2 * np.eye(D))  # (D, D)
        r = np.linalg.solve(L, x - self.b)                                          # L^{-1}(x - b)
        return float(-0.5 * (D * math.log(2 * math.pi) + r @ r) - np.log(np.diag(L)).sum())

    def posterior(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (K,) and covariance (K, K) of the exact posterior :math:`p(\\mathbf z\\mid\\mathbf x)`."""
        x = self._x(x)
        s2 = self.noise_std ** 2
        cov = np.linalg.inv(np.eye(self.W.shape[1]) + self.W.T @ self.W / s2)       # (K, K), small
        return cov @ self.W.T @ (x - self.b) / s2, cov

    def elbo(self, x: np.ndarray, m: np.ndarray, C: np.ndarray) -> float:
        """The ELBO of :math:`q = \\mathcal N(\\mathbf m, C)` (class docstring): expected log-likelihood minus KL to the prior."""
        x = self._x(x)
        K = self.W.shape[1]
        m = check_array(m, "m", shape=(K,))
        C = check_array(C, "C", shape=(K, K))
        try:
            logdet = 2 * np.log(np.diag(np.linalg.cholesky(C))).sum()     # log det C from its Cholesky factor
        except np.linalg.LinAlgError:
            raise ValueError("C must be a symmetric positive-definite covariance matrix (Cholesky failed)") from None
        s2, D = self.noise_std ** 2, len(x)
        r = x - self.W @ m - self.b
        expected_loglik = -0.5 * D * math.log(2 * math.pi * s2) - (r @ r + np.trace(self.W @ C @ self.W.T)) / (2 * s2)
        kl_prior = 0.5 * (np.trace(C) + m @ m - K - logdet)
        return float(expected_loglik - kl_prior)
