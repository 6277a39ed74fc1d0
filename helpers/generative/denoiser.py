r"""The network of a diffusion model, its loss, its training loop and ancestral sampling (notebook 16).

The network :math:`\hat{\boldsymbol\epsilon}_\theta(\mathbf x_t, t)` is told a noisy sample and
the step, and guesses the noise that was added. Ho et al. (2020) train it on the simple loss

.. math:: \mathcal L(\theta) = \mathbb E_{\mathbf x_0, t, \boldsymbol\epsilon}\,
          \big\|\boldsymbol\epsilon - \hat{\boldsymbol\epsilon}_\theta(\sqrt{\bar\alpha_t}\mathbf x_0
          + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon,\ t)\big\|^2,

a reweighted ELBO; sampling starts from :math:`\mathbf x_{T-1} \sim \mathcal N(0, I)` and runs
:func:`helpers.generative.schedules.reverse_step` down to :math:`t = 0`.

Here the network is a small MLP (notebook 12's :class:`helpers.gan.models.MLP`, which can train
``S`` independent copies at once, one per seed) fed three things side by side:

* the sample :math:`\mathbf x_t`;
* optionally **Fourier features** :math:`\sin(2^k x), \cos(2^k x)` of each coordinate, so a small
  ReLU network can draw the sharp modes of a 2-D toy distribution (Tancik et al., 2020);
* a **sinusoidal time embedding** of :math:`t` (the transformer's positional encoding, notebook 11).

Shape: ``S`` members, ``N`` batch, ``D`` data features, ``E`` embedding size, ``T`` steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_array, check_range, check_seed, check_tensor, check_type
from helpers.representation.pca import PCA, fit_pca
from helpers.gan.models import MLP
from helpers.generative.schedules import NoiseSchedule, add_noise, reverse_step

__all__ = ["time_embedding", "fourier_features", "Denoiser", "noise_prediction_loss", "train_denoiser",
           "sample", "Sampler", "WhitenedPCA"]

Sampler = Callable[[int, torch.Generator], torch.Tensor]


def time_embedding(t: torch.Tensor, dim: int, T: int) -> torch.Tensor:
    r"""Sinusoidal embedding of the step: :math:`[\sin(\omega_i t/T), \cos(\omega_i t/T)]_{i < E/2}`,
    frequencies :math:`\omega_i = 100^{1 - 2i/E}` from 100 down to about 1 (fast ones tell
    neighbouring steps apart, slow ones say "early" or "late").

    Shape: t (...) int -> (..., E) float32.

    Example:
        >>> time_embedding(torch.tensor([0, 5]), 4, 10).shape
        torch.Size([2, 4])
    """
    check_tensor(t, "t", dtype="int", allow_empty=True)
    check_range(dim, "dim", 2, None, integer=True)
    check_range(T, "T", 1, None, integer=True)
    if dim % 2:
        raise ValueError(f"dim must be even (sines and cosines in pairs), got {dim}")
    freqs = 100.0 ** (1 - torch.arange(dim // 2, dtype=torch.float32) / (dim // 2))     # (E/2,)
    angle = (t.to(torch.float32) / T)[..., None] * freqs                               # (..., E/2)
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)                     # (..., E)


def fourier_features(x: torch.Tensor, n_freq: int) -> torch.Tensor:
    r""":math:`[\mathbf x, \sin(2^k\mathbf x), \cos(2^k\mathbf x)]_{k < F}` (nothing added for ``n_freq = 0``).

    Shape: (..., D) -> (..., D (1 + 2F)). A NaN in ``x`` propagates to its features on purpose
    (the map is elementwise; the denoiser's callers validate their data).

    Example:
        >>> fourier_features(torch.zeros(3, 2), 4).shape
        torch.Size([3, 18])
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor (..., D), got {type(x).__name__}")
    check_range(n_freq, "n_freq", 0, None, integer=True)
    if n_freq == 0:
        return x
    angle = x[..., None] * 2.0 ** torch.arange(n_freq, dtype=x.dtype)                  # (..., D, F)
    return torch.cat([x, torch.sin(angle).flatten(-2), torch.cos(angle).flatten(-2)], dim=-1)


class Denoiser(nn.Module):
    r""":math:`\hat{\boldsymbol\epsilon}_\theta(\mathbf x_t, t)`: an MLP on [x, Fourier features, time embedding].

    Args:
        data_dim: D. T: number of diffusion steps (scales the time embedding).
        hidden, depth: the MLP's width and number of hidden layers (ReLU).
        emb_dim: size E of the time embedding. n_freq: Fourier frequencies per coordinate (0: none).
        members: independent copies trained at once (``S``, one per seed).
        generator: seeds the initial weights.

    Shape:
        x_t (N, D) with t (N,), or (S, N, D) with t (S, N) -> predicted noise like x_t.

    Example:
        >>> net = Denoiser(2, T=10, hidden=8, members=3)
        >>> net(torch.zeros(3, 5, 2), torch.zeros(3, 5, dtype=torch.long)).shape
        torch.Size([3, 5, 2])
    """

    def __init__(self, data_dim: int = 2, T: int = 100, hidden: int = 64, depth: int = 3, emb_dim: int = 16,
                 n_freq: int = 0, members: int = 1, generator: torch.Generator | None = None) -> None:
        super().__init__()
        check_range(data_dim, "data_dim", 1, None, integer=True)
        check_range(T, "T", 2, None, integer=True)
        check_range(n_freq, "n_freq", 0, 12, integer=True)
        self.data_dim, self.T, self.emb_dim, self.n_freq, self.members = data_dim, T, emb_dim, n_freq, members
        d_in = data_dim * (1 + 2 * n_freq) + emb_dim
        self.mlp = MLP(d_in, data_dim, hidden=hidden, depth=depth, members=members, generator=generator)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        want = (self.members, None, self.data_dim) if self.members > 1 else (None, self.data_dim)
        if x_t.ndim != len(want) or x_t.shape[-1] != self.data_dim or (self.members > 1 and x_t.shape[0] != self.members):
            raise ValueError(f"x_t must have shape {want} (None: any batch size), got {tuple(x_t.shape)}")
        if tuple(t.shape) != tuple(x_t.shape[:-1]):
            raise ValueError(f"t must have shape {tuple(x_t.shape[:-1])} (one step per sample), got {tuple(t.shape)}")
        features = torch.cat([fourier_features(x_t, self.n_freq), time_embedding(t, self.emb_dim, self.T)], dim=-1)
        return self.mlp(features)


def _check_model_schedule(model, schedule) -> None:
    check_type(model, "model", Denoiser)
    check_type(schedule, "schedule", NoiseSchedule, "a NoiseSchedule (see make_schedule)")


def _check_loss_inputs(model, schedule, x0) -> None:
    _check_model_schedule(model, schedule)
    check_tensor(x0, "x0", ndim=(2, 3))


def noise_prediction_loss(model: Denoiser, schedule: NoiseSchedule, x0: torch.Tensor,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Ho et al.'s simple loss on one batch: a random step per sample, a random noise, the MSE
    between the noise and the network's guess (module docstring).

    Shape: x0 (N, D) or (S, N, D) -> a scalar tensor (mean over everything).
    """
    _check_loss_inputs(model, schedule, x0)
    t = torch.randint(0, schedule.T, x0.shape[:-1], generator=generator)              # (N,) or (S, N)
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    x_t = add_noise(schedule, x0, eps, t)
    return ((model(x_t, t) - eps) ** 2).mean()


def train_denoiser(model: Denoiser, schedule: NoiseSchedule, sample_data: Sampler, steps: int = 1000,
                   batch_size: int = 128, lr: float = 3e-3, seed: int = 0, progress: bool = False,
                   on_step: Callable[[int, dict], None] | None = None) -> dict[str, list[float]]:
    """Adam on :func:`noise_prediction_loss`, the learning rate decayed to 0 along a cosine.

    Args:
        sample_data: ``sample_data(n, generator) -> (n, D)`` float32 clean samples (e.g.
            ``RingMixture().sample``); ``S * batch_size`` are drawn per step and split between members.
        progress: show a progress bar. on_step: called as ``on_step(step, record)`` after every update.

    Returns:
        ``{"step": [...], "loss": [...]}`` (the loss averaged over members).
    """
    check_range(steps, "steps", 1, None, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    check_range(lr, "lr", 0.0, 1.0, low_inclusive=False)
    _check_model_schedule(model, schedule)
    gen = torch.Generator().manual_seed(check_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    S, history = model.members, {"step": [], "loss": []}
    loop = range(1, steps + 1)
    if progress:
        from helpers.core.progress import Progress
        loop = Progress(loop, desc="denoiser")
    for step in loop:
        x0 = sample_data(S * batch_size, gen)                                          # (S N, D)
        if tuple(x0.shape) != (S * batch_size, model.data_dim):
            raise ValueError(f"sample_data must return shape ({S * batch_size}, {model.data_dim}), got {tuple(x0.shape)}")
        x0 = x0.view(S, batch_size, -1) if S > 1 else x0                               # (S, N, D) or (N, D)
        loss = noise_prediction_loss(model, schedule, x0, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        decay.step()
        record = {"step": step, "loss": loss.item()}
        for key in history:
            history[key].append(record[key])
        if on_step is not None:
            on_step(step, record)
    return history


@torch.no_grad()
def sample(model: Denoiser, schedule: NoiseSchedule, n: int, seed: int = 0, clip: float | None = None,
           keep: tuple[int, ...] = ()) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    r"""Ancestral sampling: :math:`\mathbf x_{T-1} \sim \mathcal N(0, I)`, then :func:`reverse_step` down to 0.

    Args:
        n: samples per member. seed: seeds the start noise and every step's noise.
        clip: clamp each :math:`\hat{\mathbf x}_0` to ``[-clip, clip]``.
        keep: steps ``t`` whose :math:`\mathbf x_t` (before the step) to return as well.

    Returns:
        ``(x, kept)``: the samples, (n, D) or (S, n, D), and ``{t: x_t}``.
    """
    check_range(n, "n", 1, None, integer=True)
    _check_model_schedule(model, schedule)
    gen = torch.Generator().manual_seed(check_seed(seed))
    shape = (n, model.data_dim) if model.members == 1 else (model.members, n, model.data_dim)
    x = torch.randn(shape, generator=gen)
    kept = {}
    for t in range(schedule.T - 1, -1, -1):
        if t in keep:
            kept[t] = x.clone()
        eps = model(x, torch.full(shape[:-1], t, dtype=torch.long))
        noise = torch.randn(shape, generator=gen) if t > 0 else None
        x, _ = reverse_step(schedule, x, eps, t, noise, clip)
    return x, kept


@dataclass(frozen=True)
class WhitenedPCA:
    r"""Digits <-> a few whitened principal-component coordinates, :math:`\mathbf c = V_k(\mathbf x - \bar{\mathbf x})/\boldsymbol s`
    (notebook 15's PCA; :math:`\boldsymbol s` the components' standard deviations, so every
    coordinate has variance 1 like the noise it will be mixed with).

    Diffusing in this small space instead of on 64 pixels is latent diffusion in miniature: the
    network only has to model the ``k`` directions where digits vary, and whatever noise it leaves
    behind is decoded into smooth strokes rather than speckle.

    Shape: ``encode`` (N, 64) -> (N, k) float32 tensor; ``decode`` (N, k) -> (N, 64) in [0, 1].
    """

    pca: PCA
    scale: np.ndarray          # (k,)

    @classmethod
    def fit(cls, X: np.ndarray, k: int = 16) -> "WhitenedPCA":
        pca = fit_pca(check_array(X, "X", ndim=2), k)
        return cls(pca, np.sqrt(pca.explained_variance))

    def encode(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(self.pca.transform(X) / self.scale, dtype=torch.float32)   # (N, k)

    def decode(self, codes: torch.Tensor | np.ndarray) -> np.ndarray:
        codes = codes.double().numpy() if isinstance(codes, torch.Tensor) else np.asarray(codes, dtype=np.float64)
        return np.clip(self.pca.inverse_transform(codes * self.scale), 0.0, 1.0)          # (N, 64)
