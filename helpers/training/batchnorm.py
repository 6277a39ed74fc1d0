r"""Batch normalization from scratch, forward and backward, train and eval (notebook 08).

Ioffe & Szegedy (2015). For a mini-batch :math:`x \in \mathbb{R}^{N \times D}`, each feature is
standardised with the batch's own statistics and then rescaled by learned :math:`\gamma, \beta`:

.. math::
    \mu_d = \frac1N \sum_n x_{nd}, \quad \sigma_d^2 = \frac1N \sum_n (x_{nd} - \mu_d)^2, \quad
    \hat x_{nd} = \frac{x_{nd} - \mu_d}{\sqrt{\sigma_d^2 + \epsilon}}, \quad y_{nd} = \gamma_d \hat x_{nd} + \beta_d .

Training also tracks running averages for evaluation, where a single example has no batch:
:math:`r_\mu \leftarrow (1-m) r_\mu + m \mu`,
:math:`r_{\sigma^2} \leftarrow (1-m) r_{\sigma^2} + m \tfrac{N}{N-1}\sigma^2`
(PyTorch's convention: the *unbiased* variance goes into the running average, the biased one
normalises the batch). In eval mode :math:`\hat x = (x - r_\mu)/\sqrt{r_{\sigma^2} + \epsilon}`.

Backward in training mode (every :math:`x_n` also moves :math:`\mu` and :math:`\sigma`, hence the two
correction terms; :math:`g = \partial L/\partial y`):

.. math::
    \frac{\partial L}{\partial x_{nd}} = \frac{\gamma_d}{N \sqrt{\sigma_d^2 + \epsilon}}
    \Bigl(N g_{nd} - \sum_{n'} g_{n'd} - \hat x_{nd} \sum_{n'} g_{n'd} \hat x_{n'd}\Bigr), \quad
    \frac{\partial L}{\partial \gamma_d} = \sum_n g_{nd} \hat x_{nd}, \quad
    \frac{\partial L}{\partial \beta_d} = \sum_n g_{nd}.

``tests/test_batchnorm.py`` checks values, all three gradients and the running statistics
against ``torch.nn.BatchNorm1d``.

Shape: ``x`` (N, D); ``gamma``, ``beta``, running statistics (D,); output (N, D).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range, check_type

__all__ = ["BatchNormCache", "batchnorm_forward", "batchnorm_backward", "BatchNorm1d"]


@dataclass(frozen=True)
class BatchNormCache:
    """What the backward pass needs from the forward pass."""

    x_hat: np.ndarray    # (N, D) normalised input
    inv_std: np.ndarray  # (D,) 1 / sqrt(var + eps), of the batch (training) or the running var (eval)
    gamma: np.ndarray    # (D,)
    training: bool
    running_mean: np.ndarray  # (D,) the running statistics after this step (unchanged in eval mode)
    running_var: np.ndarray   # (D,)


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                      running_var: np.ndarray, training: bool = True, momentum: float = 0.1,
                      eps: float = 1e-5) -> tuple[np.ndarray, BatchNormCache]:
    """Batch norm forward pass; pure (returns the new running statistics instead of editing them).

    Args:
        x: a mini-batch, (N, D); training needs N >= 2 (one example has no variance).
        gamma, beta: scale and shift, (D,).
        running_mean, running_var: the running statistics, (D,).
        training: normalise with the batch statistics (True) or the running ones (False).
        momentum: weight :math:`m` of the new batch in the running averages.
        eps: added to the variance so a constant feature does not divide by 0.

    Returns:
        ``(y, cache)``. ``cache.running_mean`` and ``cache.running_var`` are the new running
        statistics (in eval mode, the old ones unchanged); the function never edits its inputs.
    """
    x = check_array(x, "x", ndim=2)
    d = x.shape[1]
    gamma = check_array(gamma, "gamma", shape=(d,))
    beta = check_array(beta, "beta", shape=(d,))
    running_mean = check_array(running_mean, "running_mean", shape=(d,))
    running_var = check_array(running_var, "running_var", shape=(d,))
    check_range(momentum, "momentum", 0.0, 1.0)
    check_range(eps, "eps", 0.0, None, low_inclusive=False)
    if training:
        n = x.shape[0]
        if n < 2:
            raise ValueError("batch norm in training mode needs at least 2 examples per batch, "
                             f"got x of shape {x.shape}")
        mean = x.mean(axis=0)  # (D,)
        centred = x - mean      # (N, D)
        # two-pass variance: E[x^2] - E[x]^2 cancels catastrophically when |mean| >> std
        var = np.mean(centred ** 2, axis=0)  # (D,), biased: normalises this batch
        inv_std = 1.0 / np.sqrt(var + eps)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        centred = x - running_mean
        inv_std = 1.0 / np.sqrt(running_var + eps)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = centred * inv_std  # (N, D)
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, gamma, bool(training), new_mean, new_var)


def batchnorm_backward(dy: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the loss with respect to ``x``, ``gamma`` and ``beta`` (formulas above), given
    ``dy`` = the gradient with respect to the output.

    Shape: ``dy`` (N, D) -> ``(dx (N, D), dgamma (D,), dbeta (D,))``.
    """
    check_type(cache, "cache", BatchNormCache, "the BatchNormCache from batchnorm_forward")
    g = check_array(dy, "dy", shape=cache.x_hat.shape)
    grad_gamma = np.sum(g * cache.x_hat, axis=0)
    grad_beta = np.sum(g, axis=0)
    if not cache.training:  # running statistics are constants: a per-feature affine map
        return g * cache.gamma * cache.inv_std, grad_gamma, grad_beta
    n = g.shape[0]
    grad_x = (cache.gamma * cache.inv_std / n) * (n * g - grad_beta - cache.x_hat * grad_gamma)
    return grad_x, grad_gamma, grad_beta


class BatchNorm1d:
    """A batch-norm layer with state, like ``torch.nn.BatchNorm1d(D)`` on (N, D) inputs.

    ``gamma`` starts at 1 and ``beta`` at 0 (the layer starts as a pure standardisation);
    ``running_mean`` at 0 and ``running_var`` at 1. Call :meth:`train` / :meth:`eval` to switch
    mode, :meth:`forward` then :meth:`backward`, which stores ``grad_gamma`` and ``grad_beta``.

    Example:
        >>> import numpy as np
        >>> bn = BatchNorm1d(3)
        >>> y = bn.forward(np.random.default_rng(0).normal(5.0, 2.0, size=(64, 3)))
        >>> np.round(y.mean(axis=0), 6) + 0.0, np.round(y.std(axis=0), 3)
        (array([0., 0., 0.]), array([1., 1., 1.]))
    """

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        check_range(num_features, "num_features", 1, None, integer=True)
        self.momentum = float(check_range(momentum, "momentum", 0.0, 1.0))
        self.eps = float(check_range(eps, "eps", 0.0, None, low_inclusive=False))
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.training = True
        self._cache: BatchNormCache | None = None
        self.grad_gamma = np.zeros(num_features)
        self.grad_beta = np.zeros(num_features)

    def train(self) -> "BatchNorm1d":
        self.training = True
        return self

    def eval(self) -> "BatchNorm1d":
        self.training = False
        return self

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, self._cache = batchnorm_forward(x, self.gamma, self.beta, self.running_mean, self.running_var,
                                           self.training, self.momentum, self.eps)
        self.running_mean, self.running_var = self._cache.running_mean, self._cache.running_var
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._cache is None:
            raise ValueError("backward() needs a forward() first")
        dx, self.grad_gamma, self.grad_beta = batchnorm_backward(dy, self._cache)
        return dx
