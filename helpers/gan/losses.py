r"""GAN losses: the minimax game, the non-saturating generator loss and WGAN-GP (notebook 12).

A discriminator :math:`D` (output: a logit :math:`\ell`, probability :math:`\sigma(\ell)` that its
input is real) and a generator :math:`G` play the game of Goodfellow et al. (2014):

.. math:: \min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_{data}}[\log D(x)]
          + \mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))].

* :func:`discriminator_loss` is :math:`-V`, i.e. binary cross-entropy with "real" = 1 and
  "fake" = 0. For the best possible :math:`D` it equals :math:`2\log 2 - 2\,\mathrm{JSD}(p_{data}
  \| p_G)`: :math:`2\log 2 \approx 1.386` exactly when the generator matches the data.
* :func:`generator_loss_minimax` is the generator's side of the game, :math:`\mathbb{E}\log(1 -
  D(G(z)))`. It *saturates*: when :math:`D` confidently rejects a fake its gradient vanishes.
* :func:`generator_loss_nonsaturating` is :math:`-\mathbb{E}\log D(G(z))`, same fixed point,
  strong gradient exactly where the generator is losing. Everyone uses this one.
* :func:`critic_loss` is the WGAN critic's :math:`\mathbb{E}[f(G(z))] - \mathbb{E}[f(x)]`
  (Arjovsky et al., 2017), made a Wasserstein-1 estimate by the gradient penalty
  :math:`\lambda\, \mathbb{E}_{\hat x}(\|\nabla_{\hat x} f(\hat x)\|_2 - 1)^2` of Gulrajani et al.
  (2017) on random points :math:`\hat x` between real and fake samples (:mod:`helpers.gan.penalty`).

Each loss works on the discriminator's outputs (logits), in NumPy with a hand-written gradient,
and the ``*_torch`` twins are what the training loop (:mod:`helpers.gan.train`) uses.

Shape: ``real`` logits (N,), ``fake`` logits (M,) -> a float. The torch twins also accept
(S, N) for ``S`` independent models and return one loss per model, shape (S,).

The rest of the chapter: :mod:`helpers.gan.models` (the two players),
:mod:`helpers.gan.penalty` (the WGAN-GP penalty), :mod:`helpers.gan.train` (training loop, live
views), :mod:`helpers.gan.metrics` (ring data, mode coverage, digit scores, latent walks) and
:mod:`helpers.gan.plots`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from helpers.basics.activations import sigmoid
from helpers.core.checks import check_array, check_choice

__all__ = ["softplus", "discriminator_loss", "discriminator_loss_grad", "generator_loss_minimax",
           "generator_loss_minimax_grad", "generator_loss_nonsaturating",
           "generator_loss_nonsaturating_grad", "critic_loss", "critic_loss_grad",
           "discriminator_loss_torch", "generator_loss_torch", "critic_loss_torch", "LOSSES"]

# The chapter's three games, one name each, used by the losses here and by GANConfig.loss:
# "vanilla" (cross-entropy D, non-saturating G: the standard GAN), "minimax" (cross-entropy D, the
# original saturating G loss) and "wgan-gp" (a critic with the gradient penalty, G maximises f).
LOSSES = ("vanilla", "minimax", "wgan-gp")


def _logits(x: np.ndarray, name: str) -> np.ndarray:
    return check_array(x, name, ndim=1).astype(np.float64)


def softplus(x: np.ndarray) -> np.ndarray:
    r""":math:`\operatorname{softplus}(x) = \log(1 + e^{x}) = -\log \sigma(-x)`, computed stably.

    The textbook form overflows: ``exp(800)`` is inf. The identity
    :math:`\log(1+e^{x}) = \max(x, 0) + \log(1 + e^{-|x|})` only ever exponentiates a non-positive
    number, and ``log1p`` keeps full precision when :math:`e^{-|x|}` is tiny.

    Shape: any -> same.
    """
    x = check_array(x, "x", allow_empty=True)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def discriminator_loss(real: np.ndarray, fake: np.ndarray) -> float:
    r""":math:`L_D = -\frac{1}{N}\sum_i \log\sigma(r_i) - \frac{1}{M}\sum_j \log(1 - \sigma(f_j))`.

    With :math:`-\log\sigma(x) = \operatorname{softplus}(-x)` and :math:`-\log(1 - \sigma(x)) =
    \operatorname{softplus}(x)` this is :math:`\overline{\operatorname{softplus}(-r)} +
    \overline{\operatorname{softplus}(f)}`, finite for any logits (``log(sigmoid(x))`` would give
    ``log(0) = -inf`` already at x = -800).

    Shape: real (N,), fake (M,) -> float.

    Example: all logits 0 (D says "50/50") gives :math:`2\log 2`.
        >>> discriminator_loss(np.zeros(3), np.zeros(2)), float(2 * np.log(2))
        (1.3862943611198906, 1.3862943611198906)
    """
    real, fake = _logits(real, "real"), _logits(fake, "fake")
    return float(softplus(-real).mean() + softplus(fake).mean())


def discriminator_loss_grad(real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\partial L_D/\partial r_i = (\sigma(r_i) - 1)/N`, :math:`\partial L_D/\partial f_j =
    \sigma(f_j)/M`: the familiar "prediction minus target" of cross-entropy.

    Shape: real (N,), fake (M,) -> ((N,), (M,)).
    """
    real, fake = _logits(real, "real"), _logits(fake, "fake")
    return (sigmoid(real) - 1.0) / real.size, sigmoid(fake) / fake.size


def generator_loss_minimax(fake: np.ndarray) -> float:
    r"""The generator's original objective, to be *minimised*:
    :math:`L_G = \frac{1}{M}\sum_j \log(1 - \sigma(f_j)) = -\overline{\operatorname{softplus}(f)}`.

    Shape: fake (M,) -> float (always negative).
    """
    fake = _logits(fake, "fake")
    return float(-softplus(fake).mean())


def generator_loss_minimax_grad(fake: np.ndarray) -> np.ndarray:
    r""":math:`\partial L_G/\partial f_j = -\sigma(f_j)/M`: about :math:`-e^{f_j}/M`, vanishing when
    the discriminator confidently rejects the fake (:math:`f_j \ll 0`). That is the saturation.

    Shape: (M,) -> (M,).
    """
    fake = _logits(fake, "fake")
    return -sigmoid(fake) / fake.size


def generator_loss_nonsaturating(fake: np.ndarray) -> float:
    r"""The non-saturating generator loss :math:`L_G = -\frac{1}{M}\sum_j \log\sigma(f_j) =
    \overline{\operatorname{softplus}(-f)}`: "make D call the fakes real".

    Shape: fake (M,) -> float (always positive).
    """
    fake = _logits(fake, "fake")
    return float(softplus(-fake).mean())


def generator_loss_nonsaturating_grad(fake: np.ndarray) -> np.ndarray:
    r""":math:`\partial L_G/\partial f_j = (\sigma(f_j) - 1)/M`: close to :math:`-1/M` exactly when the
    discriminator rejects the fake, i.e. when the generator most needs a push.

    Shape: (M,) -> (M,).
    """
    fake = _logits(fake, "fake")
    return (sigmoid(fake) - 1.0) / fake.size


def critic_loss(real: np.ndarray, fake: np.ndarray) -> float:
    r"""The WGAN critic loss (without penalty) :math:`L_f = \frac{1}{M}\sum_j f_j -
    \frac{1}{N}\sum_i r_i`, where :math:`r_i, f_j` are the critic's raw scores.

    Its negative estimates the Wasserstein-1 distance when the critic is 1-Lipschitz. The
    generator minimises :math:`-\frac{1}{M}\sum_j f_j`.

    Shape: real (N,), fake (M,) -> float.
    """
    real, fake = _logits(real, "real"), _logits(fake, "fake")
    return float(fake.mean() - real.mean())


def critic_loss_grad(real: np.ndarray, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\partial L_f/\partial r_i = -1/N`, :math:`\partial L_f/\partial f_j = 1/M`: no
    sigmoid, so nothing ever saturates. Shape: ((N,), (M,))."""
    real, fake = _logits(real, "real"), _logits(fake, "fake")
    return np.full_like(real, -1.0 / real.size), np.full_like(fake, 1.0 / fake.size)


# ----------------------------------------------------------------------------- PyTorch twins
def _check_tensor(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() not in (1, 2) or x.numel() == 0:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a tensor of logits of shape (N,) or (S, N), got {got}")


def _check_pair(real: torch.Tensor, fake: torch.Tensor) -> None:
    _check_tensor(real, "real")
    _check_tensor(fake, "fake")
    if real.shape[:-1] != fake.shape[:-1]:
        raise ValueError(f"real and fake must both be (N,)/(M,) or both (S, N)/(S, M) with the same S, "
                         f"got {tuple(real.shape)} and {tuple(fake.shape)}")


def discriminator_loss_torch(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """:func:`discriminator_loss` with ``F.binary_cross_entropy_with_logits`` (targets 1 and 0).

    Shape: (N,) and (M,) -> () ; (S, N) and (S, M) -> (S,): one loss per independent model.
    A NaN score propagates to the loss on purpose (as in PyTorch): a diverged model shows as NaN.
    """
    _check_pair(real, fake)
    bce = F.binary_cross_entropy_with_logits
    return (bce(real, torch.ones_like(real), reduction="none").mean(-1)
            + bce(fake, torch.zeros_like(fake), reduction="none").mean(-1))


def generator_loss_torch(fake: torch.Tensor, loss: str = "vanilla") -> torch.Tensor:
    """The generator's loss in game ``loss`` (one of :data:`LOSSES`) on the discriminator's (or
    critic's) outputs for its samples.

    "vanilla": the non-saturating :math:`-\\log\\sigma(f)` (:func:`generator_loss_nonsaturating`),
    "minimax": :math:`\\log(1-\\sigma(f))` (:func:`generator_loss_minimax`), "wgan-gp": :math:`-f`.
    Shape: (M,) -> () ; (S, M) -> (S,). A NaN score propagates to the loss on purpose (as in
    PyTorch): a diverged model shows as NaN.
    """
    _check_tensor(fake, "fake")
    check_choice(loss, "loss", LOSSES)
    if loss == "vanilla":
        return F.softplus(-fake).mean(-1)
    if loss == "minimax":
        return -F.softplus(fake).mean(-1)
    return -fake.mean(-1)


def critic_loss_torch(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """:func:`critic_loss` in PyTorch. Shape: (N,) and (M,) -> () ; (S, N) and (S, M) -> (S,).

    A NaN score propagates to the loss on purpose (as in PyTorch): a diverged critic shows as NaN.
    """
    _check_pair(real, fake)
    return fake.mean(-1) - real.mean(-1)
