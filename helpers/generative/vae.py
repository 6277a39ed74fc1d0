r"""A variational autoencoder on the 8×8 digits, with a knob :math:`\beta` on its KL term (notebook 16).

The encoder maps a digit :math:`\mathbf x` to the mean and log-variance of
:math:`q(\mathbf z\mid\mathbf x) = \mathcal N(\boldsymbol\mu, \operatorname{diag}\boldsymbol\sigma^2)`;
a sample :math:`\mathbf z = \boldsymbol\mu + \boldsymbol\sigma\odot\boldsymbol\epsilon` goes through the
decoder, which outputs one logit per pixel (a Bernoulli likelihood on grey levels in [0, 1], as
in Kingma & Welling's experiments). Training minimises the negative ELBO with a weight on the KL
(Higgins et al., 2017, "β-VAE"):

.. math:: \mathcal L_\beta = \underbrace{\textstyle\sum_d \operatorname{BCE}(\text{logit}_d, x_d)}_{-\log p(\mathbf x\mid\mathbf z)}
          + \beta\,\mathrm{KL}\big(q(\mathbf z\mid\mathbf x)\,\|\,\mathcal N(0, I)\big).

:math:`\beta = 1` is the ELBO itself; a small :math:`\beta` buys sharper reconstructions with codes
spread wherever the encoder likes, a large one pulls every code towards the prior (a smooth,
well-covered latent space, blurrier digits). Several :math:`\beta` values train at once, one
independent copy ("member") each, through notebook 12's batched layers.

Shape: ``S`` members (one per β), ``N`` batch, ``D = 64`` pixels, ``K`` latent size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checks import check_array, check_range, check_seed, check_tensor
from helpers.gan.models import MLP
from helpers.generative.latent import gaussian_kl, reparameterize

__all__ = ["VAE", "vae_loss", "train_vae", "log_likelihood", "VAEView", "describe_vae"]


class VAE(nn.Module):
    r"""Encoder :math:`\mathbf x \mapsto (\boldsymbol\mu, \log\boldsymbol\sigma^2)` and decoder :math:`\mathbf z \mapsto` pixel logits, ``members`` copies.

    Args:
        data_dim: D. latent_dim: K (2 to draw the latent space). hidden, depth: both MLPs' size.
        members: independent copies (one per β). generator: seeds the weights.

    Shape:
        ``encode``: (S, N, D) -> two (S, N, K); ``decode``: (S, N, K) -> (S, N, D) logits.
        With ``members == 1`` the leading S axis may be dropped.

    Example:
        >>> vae = VAE(latent_dim=2, hidden=8, members=3)
        >>> [t.shape for t in vae.encode(torch.zeros(3, 5, 64))]
        [torch.Size([3, 5, 2]), torch.Size([3, 5, 2])]
    """

    def __init__(self, data_dim: int = 64, latent_dim: int = 2, hidden: int = 128, depth: int = 2,
                 members: int = 1, generator: torch.Generator | None = None) -> None:
        super().__init__()
        check_range(latent_dim, "latent_dim", 1, data_dim, integer=True)
        self.data_dim, self.latent_dim, self.members = data_dim, latent_dim, members
        self.encoder = MLP(data_dim, 2 * latent_dim, hidden, depth, members=members, generator=generator)
        self.decoder = MLP(latent_dim, data_dim, hidden, depth, members=members, generator=generator)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.encoder(x)                                                          # (..., 2K)
        return out[..., :self.latent_dim], out[..., self.latent_dim:]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits of the reconstruction from one sample :math:`\\mathbf z`, and the (mu, logvar) it came from."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, eps)), mu, logvar


def _check_vae(model) -> None:
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a helpers.generative.vae.VAE, got {type(model).__name__}")


def vae_loss(model: VAE, x: torch.Tensor, beta: torch.Tensor | float,
             generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r""":math:`\mathcal L_\beta` (module docstring) on one batch, one :math:`\mathbf z` per image.

    Returns ``(loss, recon, kl)``: ``loss`` a scalar (summed over members, so every member gets
    its own gradient), ``recon`` and ``kl`` per member, averaged over the batch, nats per image.

    Shape: x (S, N, D) (or (N, D) with one member); beta a number or (S,).
    """
    _check_vae(model)
    if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3) or x.shape[-1] != model.data_dim or x.numel() == 0:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor (N, {model.data_dim}) or (S, N, {model.data_dim}), got {got}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x must be finite, got NaN/inf pixels")
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    logits = model.decode(reparameterize(mu, logvar, eps))
    # -log p(x|z) = BCE with logits: softplus form, finite for any logit
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1).mean(-1)  # (S,) or ()
    kl = gaussian_kl(mu, logvar).mean(-1)                                                       # (S,) or ()
    beta = torch.as_tensor(beta, dtype=x.dtype)
    return (recon + beta * kl).sum(), recon.detach(), kl.detach()


def train_vae(model: VAE, X: np.ndarray, betas: tuple[float, ...] | list[float] = (1.0,), steps: int = 1500,
              batch_size: int = 128, lr: float = 2e-3, warmup: float = 0.3, seed: int = 0,
              progress: bool = False, on_step: Callable[[int, dict], None] | None = None) -> dict[str, list]:
    """Adam on :func:`vae_loss`, member ``s`` with ``betas[s]``, its own minibatches; cosine-decayed learning rate.

    Args:
        X: training images in [0, 1].
        warmup: fraction of the steps over which every β ramps up from 0 ("KL warm-up", Bowman
            et al., 2016): a KL at full weight from the first step can switch a latent
            dimension off (its code equals the prior, "posterior collapse") before the decoder
            has learned to use it.

    Returns:
        ``{"step": [...], "loss": [...], "recon": [[per member], ...], "kl": [[per member], ...]}``.

    Shape: X (N, D); ``len(betas) == model.members``.
    """
    _check_vae(model)
    X = check_array(X, "X", shape=(None, model.data_dim))
    if X.min() < 0 or X.max() > 1:
        raise ValueError(f"X must hold pixel values in [0, 1], got [{X.min():.3g}, {X.max():.3g}]")
    betas = check_array(betas, "betas", shape=(model.members,))
    if np.any(betas < 0):
        raise ValueError(f"betas must be >= 0, got {betas.tolist()}")
    check_range(steps, "steps", 1, None, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    check_range(warmup, "warmup", 0.0, 1.0)
    data = torch.as_tensor(X, dtype=torch.float32)
    beta = torch.as_tensor(betas, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    history: dict[str, list] = {"step": [], "loss": [], "recon": [], "kl": []}
    loop = range(1, steps + 1)
    if progress:
        from helpers.core.progress import Progress
        loop = Progress(loop, desc="VAE")
    S = model.members
    for step in loop:
        idx = torch.randint(0, len(data), (S, batch_size), generator=gen)
        xb = data[idx] if S > 1 else data[idx[0]]                                     # (S, N, D) or (N, D)
        ramp = min(1.0, step / (warmup * steps)) if warmup > 0 else 1.0
        loss, recon, kl = vae_loss(model, xb, ramp * (beta if S > 1 else beta[0]), gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        decay.step()
        record = {"step": step, "loss": loss.item() / S, "recon": recon.reshape(-1).tolist(),
                  "kl": kl.reshape(-1).tolist()}
        for key in history:
            history[key].append(record[key])
        if on_step is not None:
            on_step(step, record)
    return history


def log_likelihood(model: VAE, x: torch.Tensor, z: torch.Tensor, member: int = 0) -> torch.Tensor:
    r""":math:`\log p(\mathbf x\mid\mathbf z_i)` under member ``member``'s decoder, for many codes of one image
    (a Bernoulli log-likelihood: minus the BCE with logits, summed over pixels).

    Shape: x (D,), z (n, K) -> (n,).
    """
    _check_vae(model)
    check_range(member, "member", 0, model.members - 1, integer=True)
    check_tensor(x, "x")
    check_tensor(z, "z")
    if x.shape != (model.data_dim,) or z.ndim != 2 or z.shape[1] != model.latent_dim:
        raise ValueError(f"x must be ({model.data_dim},) and z (n, {model.latent_dim}), got {tuple(x.shape)} and {tuple(z.shape)}")
    zs = z.expand(model.members, *z.shape) if model.members > 1 else z                # (S, n, K): same codes for all
    logits = model.decode(zs)
    logits = logits[member] if model.members > 1 else logits                           # (n, D)
    return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)


@dataclass(frozen=True)
class VAEView:
    """What one trained member shows: codes, reconstructions, the decoded latent plane, prior samples.

    ``recon_error`` is the mean squared error per image (sum over pixels) of the decoded posterior
    mean; ``kl`` the mean KL to the prior per image (nats).
    """

    beta: float
    codes: np.ndarray        # (N, K) posterior means
    recon: np.ndarray        # (N, D) decoded posterior means, in [0, 1]
    grid: np.ndarray         # (G * 8, G * 8) the decoder's image at a G x G lattice of codes
    samples: np.ndarray      # (M, D) decoded draws from the prior
    recon_error: float
    kl: float


@torch.no_grad()
def describe_vae(model: VAE, X: np.ndarray, betas: list[float] | tuple[float, ...], grid: int = 9,
                 span: float = 2.5, n_samples: int = 20, seed: int = 0) -> list[VAEView]:
    r"""One :class:`VAEView` per member on held-out images ``X``; the lattice covers
    :math:`[-\text{span}, \text{span}]^2` (2-D latents only), the prior samples are seeded.

    Shape: X (N, D) -> ``len(betas)`` views.
    """
    _check_vae(model)
    check_range(grid, "grid", 1, None, integer=True)
    check_range(span, "span", 0.0, None, low_inclusive=False)
    check_range(n_samples, "n_samples", 1, None, integer=True)
    check_seed(seed)
    X = check_array(X, "X", shape=(None, model.data_dim))
    if model.latent_dim != 2:
        raise ValueError(f"describe_vae draws the latent plane: it needs latent_dim = 2, got {model.latent_dim}")
    betas = check_array(betas, "betas", shape=(model.members,))
    S = model.members
    x = torch.as_tensor(X, dtype=torch.float32).expand(S, *X.shape)                      # (S, N, D)
    mu, logvar = model.encode(x)
    recon = torch.sigmoid(model.decode(mu))
    axis = torch.linspace(span, -span, grid)                                             # top row = high z2
    z2, z1 = torch.meshgrid(axis, -axis, indexing="ij")
    lattice = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=-1)                      # (G*G, 2)
    tiles = torch.sigmoid(model.decode(lattice.expand(S, *lattice.shape)))               # (S, G*G, D)
    tiles = tiles.reshape(S, grid, grid, 8, 8).permute(0, 1, 3, 2, 4).reshape(S, grid * 8, grid * 8)
    prior = torch.randn(n_samples, 2, generator=torch.Generator().manual_seed(seed))
    samples = torch.sigmoid(model.decode(prior.expand(S, *prior.shape)))                 # (S, M, D)
    err = ((recon - x) ** 2).sum(-1).mean(-1)                                            # (S,)
    kl = gaussian_kl(mu, logvar).mean(-1)                                                # (S,)
    views = []
    for s in range(S):
        views.append(VAEView(float(betas[s]), mu[s].double().numpy(), recon[s].double().numpy(),
                             tiles[s].double().numpy(), samples[s].double().numpy(), float(err[s]), float(kl[s])))
    return views
