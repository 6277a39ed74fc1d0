r"""DDPM noise schedules and the three formulas a diffusion model runs on (notebook 16, section 4).

The forward process adds a little Gaussian noise at each of :math:`T` steps,
:math:`q(\mathbf x_t \mid \mathbf x_{t-1}) = \mathcal N(\sqrt{1-\beta_t}\,\mathbf x_{t-1}, \beta_t I)`.
With :math:`\alpha_t = 1 - \beta_t` and :math:`\bar\alpha_t = \prod_{s \le t} \alpha_s`, any step can
be reached from the data in one jump (Ho et al., 2020, eq. 4):

.. math:: q(\mathbf x_t \mid \mathbf x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,\mathbf x_0,\ (1-\bar\alpha_t) I\big),
          \qquad \mathbf x_t = \sqrt{\bar\alpha_t}\,\mathbf x_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon .

Given :math:`\mathbf x_0`, the step back is Gaussian too (eqs. 6-7), with

.. math:: \tilde{\boldsymbol\mu}_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\mathbf x_0
          + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf x_t, \qquad
          \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t ,

and a sampler replaces the unknown :math:`\mathbf x_0` by the network's estimate. Time steps are
numbered :math:`t = 0, \dots, T-1` as in ``diffusers`` (:math:`\bar\alpha_{-1} = 1`), the reference
twin these functions are tested against (``DDPMScheduler``, ``variance_type="fixed_small"``).

Everything is torch, float64 for the schedule itself; the per-sample formulas keep the dtype of
the samples (float32 in training, float64 in the tests).

Shape: ``T`` time steps; samples ``(N, D)`` or ``(S, N, D)``; ``t`` an int or one per sample.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from helpers.core.checks import check_choice, check_range, check_type

__all__ = ["NoiseSchedule", "linear_betas", "cosine_betas", "make_schedule", "add_noise", "predict_x0",
           "posterior_mean_variance", "reverse_step"]


def linear_betas(T: int = 1000, beta_start: float | None = None, beta_end: float | None = None) -> torch.Tensor:
    r"""Ho et al.'s linear schedule: :math:`\beta_t` evenly spaced from ``beta_start`` to ``beta_end``.

    Args:
        T: number of steps.
        beta_start, beta_end: default :math:`10^{-4}\cdot 1000/T` and :math:`0.02\cdot 1000/T`: the
            paper's values for :math:`T = 1000`, scaled so a shorter chain ends just as noisy.

    Shape: (T,) float64.

    Example:
        >>> linear_betas(5, 0.1, 0.5).tolist()
        [0.1, 0.2, 0.3, 0.4, 0.5]
    """
    check_range(T, "T", 2, None, integer=True)
    start = 1e-4 * 1000 / T if beta_start is None else beta_start
    end = 0.02 * 1000 / T if beta_end is None else beta_end
    check_range(start, "beta_start", 0.0, 1.0, low_inclusive=False)
    check_range(end, "beta_end", start, 1.0)
    if end >= 1.0:
        raise ValueError(f"beta_end must be < 1 (a step may not destroy the signal completely), got {end}")
    return torch.linspace(start, end, T, dtype=torch.float64)


def cosine_betas(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    r"""Nichol & Dhariwal's cosine schedule ("squaredcos_cap_v2" in diffusers).

    .. math:: \bar\alpha(u) = \cos^2\!\Big(\frac{u + s}{1 + s}\cdot\frac{\pi}{2}\Big), \qquad
              \beta_t = \min\Big(1 - \frac{\bar\alpha((t+1)/T)}{\bar\alpha(t/T)},\ \beta_{max}\Big).

    :math:`\bar\alpha_t` falls like a cosine instead of dropping fast early on: fewer steps are
    spent on images that are already almost pure noise. The cap keeps the last
    :math:`\beta` (where :math:`\bar\alpha \to 0`) from being 1.

    Shape: (T,) float64.

    Example:
        >>> b = cosine_betas(10)
        >>> bool(b[0] < b[5] < b[-1] <= 0.999)
        True
    """
    check_range(T, "T", 2, None, integer=True)
    check_range(s, "s", 0.0, 1.0)
    check_range(max_beta, "max_beta", 0.0, 1.0, low_inclusive=False)
    if max_beta >= 1.0:
        raise ValueError(f"max_beta must be < 1, got {max_beta}")
    u = np.arange(T + 1) / T                                      # (T + 1,)
    abar = np.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return torch.as_tensor(np.minimum(1 - abar[1:] / abar[:-1], max_beta), dtype=torch.float64)


@dataclass(frozen=True)
class NoiseSchedule:
    r"""Everything derived from :math:`\beta_1..\beta_T`, computed once in float64.

    ``alpha_bar`` (:math:`\bar\alpha_t`), ``one_minus_alpha_bar`` (:math:`1-\bar\alpha_t`),
    ``alpha_bar_prev`` (:math:`\bar\alpha_{t-1}`, 1 for the first step) and ``posterior_variance``
    (:math:`\tilde\beta_t`, 0 for the first step). Build it with :func:`make_schedule`.
    """

    betas: torch.Tensor
    alphas: torch.Tensor
    alpha_bar: torch.Tensor
    one_minus_alpha_bar: torch.Tensor
    alpha_bar_prev: torch.Tensor
    posterior_variance: torch.Tensor

    @property
    def T(self) -> int:
        return int(self.betas.shape[0])


def make_schedule(betas: torch.Tensor | np.ndarray | str = "linear", T: int = 100) -> NoiseSchedule:
    r"""A :class:`NoiseSchedule` from explicit ``betas`` or a name ("linear", "cosine") and ``T``.

    :math:`\bar\alpha_t = \exp\sum_{s\le t}\log(1-\beta_s)` and :math:`1-\bar\alpha_t =
    -\operatorname{expm1}(\cdot)`: the textbook ``1 - cumprod(1 - beta)`` loses digits where
    :math:`\bar\alpha_t \approx 1` (the first steps), which is where :math:`\tilde\beta_t` divides by it.

    Shape: betas (T,) -> every field (T,).

    Example:
        >>> sched = make_schedule("linear", T=100)
        >>> sched.T, round(float(sched.alpha_bar[-1]), 6)
        (100, 2e-05)
    """
    if isinstance(betas, str):
        check_choice(betas, "betas", ["linear", "cosine"])
        betas = linear_betas(T) if betas == "linear" else cosine_betas(T)
    b = torch.as_tensor(np.asarray(betas) if not isinstance(betas, torch.Tensor) else betas).double()
    if b.ndim != 1 or b.numel() < 2:
        raise ValueError(f"betas must be a 1-D sequence of at least 2 values, got shape {tuple(b.shape)}")
    if not torch.all((b > 0) & (b < 1)):
        raise ValueError(f"betas must lie in (0, 1), got values in [{b.min().item():.3g}, {b.max().item():.3g}]")
    log_abar = torch.cumsum(torch.log1p(-b), 0)                    # (T,)
    abar = torch.exp(log_abar)
    one_minus = -torch.expm1(log_abar)
    abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
    one_minus_prev = torch.cat([torch.zeros(1, dtype=torch.float64), one_minus[:-1]])
    return NoiseSchedule(b, 1 - b, abar, one_minus, abar_prev, one_minus_prev / one_minus * b)


# ----------------------------------------------------------------------------- per-sample formulas
def _tensor(x, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor or array, got "
                         f"{type(x).__name__}{'' if not hasattr(x, 'dtype') else f' of dtype {x.dtype}'}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite, got NaN/inf in a tensor of shape {tuple(x.shape)}")
    return x


def _coef(values: torch.Tensor, t, x: torch.Tensor, name: str = "t") -> torch.Tensor:
    """``values[t]`` in ``x``'s dtype, shaped to broadcast over ``x``: a scalar for an int ``t``, and
    ``t.shape + (1, ...)`` for one step per sample (``t.shape`` must lead ``x.shape``)."""
    T = values.shape[0]
    if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
        check_range(int(t), name, 0, T - 1, integer=True)
        return values[int(t)].to(x.dtype)
    try:
        t = torch.as_tensor(t)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(f"{name} must be an int or an integer tensor of time steps, got {type(t).__name__}") from None
    if t.is_floating_point() or t.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer time steps, got dtype {t.dtype}")
    if t.numel() and (t.min() < 0 or t.max() >= T):
        raise ValueError(f"{name} must lie in [0, {T - 1}], got values in [{t.min().item()}, {t.max().item()}]")
    if tuple(x.shape[:t.ndim]) != tuple(t.shape):
        raise ValueError(f"{name} of shape {tuple(t.shape)} must match the leading axes of the samples "
                         f"{tuple(x.shape)}")
    return values[t].to(x.dtype).reshape(*t.shape, *([1] * (x.ndim - t.ndim)))


def _check_schedule(schedule) -> None:
    check_type(schedule, "schedule", NoiseSchedule, "a NoiseSchedule (see make_schedule)")


def _same_shape(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_b} must have the shape of {name_a} {tuple(a.shape)}, got {tuple(b.shape)}")


def add_noise(schedule: NoiseSchedule, x0, noise, t) -> torch.Tensor:
    r"""Sample :math:`q(\mathbf x_t\mid\mathbf x_0)` in one jump: :math:`\sqrt{\bar\alpha_t}\,\mathbf x_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon`.

    Args:
        schedule: a :class:`NoiseSchedule`.
        x0: clean samples; noise: :math:`\boldsymbol\epsilon \sim \mathcal N(0, I)`, same shape.
        t: one step for all (an int) or one per sample (an int tensor leading ``x0``'s shape).

    Shape: x0, noise (N, D) or (S, N, D); t int, (N,) or (S, N) -> x_t like x0.

    Example:
        >>> sched = make_schedule("linear", T=100)
        >>> x_t = add_noise(sched, torch.ones(3, 2, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64),
        ...                 torch.tensor([0, 50, 99]))
        >>> [round(v, 3) for v in x_t[:, 0].tolist()]  # sqrt(alpha_bar_t): the signal left at each step
        [0.999, 0.258, 0.005]
    """
    _check_schedule(schedule)
    x0, noise = _tensor(x0, "x0"), _tensor(noise, "noise")
    _same_shape(x0, noise, "x0", "noise")
    return _coef(schedule.alpha_bar.sqrt(), t, x0) * x0 + _coef(schedule.one_minus_alpha_bar.sqrt(), t, x0) * noise


def predict_x0(schedule: NoiseSchedule, x_t, eps, t) -> torch.Tensor:
    r"""Invert :func:`add_noise` with a predicted noise: :math:`\hat{\mathbf x}_0 = (\mathbf x_t - \sqrt{1-\bar\alpha_t}\,\hat{\boldsymbol\epsilon})/\sqrt{\bar\alpha_t}`.

    Shape: x_t, eps (N, D) or (S, N, D); t as in :func:`add_noise` -> like x_t.
    """
    _check_schedule(schedule)
    x_t, eps = _tensor(x_t, "x_t"), _tensor(eps, "eps")
    _same_shape(x_t, eps, "x_t", "eps")
    return (x_t - _coef(schedule.one_minus_alpha_bar.sqrt(), t, x_t) * eps) / _coef(schedule.alpha_bar.sqrt(), t, x_t)


def posterior_mean_variance(schedule: NoiseSchedule, x0, x_t, t) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Mean :math:`\tilde{\boldsymbol\mu}_t(\mathbf x_t, \mathbf x_0)` and variance :math:`\tilde\beta_t`
    of :math:`q(\mathbf x_{t-1}\mid\mathbf x_t, \mathbf x_0)` (module docstring). At ``t = 0`` the
    variance is 0 and the mean is ``x0``: the chain ends on the estimate.

    Shape: x0, x_t (N, D) or (S, N, D) -> mean like x_t, variance broadcastable to it.
    """
    _check_schedule(schedule)
    x0, x_t = _tensor(x0, "x0"), _tensor(x_t, "x_t")
    _same_shape(x_t, x0, "x_t", "x0")
    s = schedule
    c0 = s.alpha_bar_prev.sqrt() * s.betas / s.one_minus_alpha_bar                   # (T,)
    ct = s.alphas.sqrt() * (1 - s.alpha_bar_prev) / s.one_minus_alpha_bar          # (T,)
    mean = _coef(c0, t, x_t) * x0 + _coef(ct, t, x_t) * x_t
    return mean, _coef(s.posterior_variance, t, x_t)


def reverse_step(schedule: NoiseSchedule, x_t, eps, t: int, noise=None,
                 clip: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    r"""One ancestral step :math:`\mathbf x_t \to \mathbf x_{t-1}` from a predicted noise ``eps``.

    .. math:: \hat{\mathbf x}_0 = \text{predict\_x0}(\mathbf x_t, \hat{\boldsymbol\epsilon}), \qquad
              \mathbf x_{t-1} = \tilde{\boldsymbol\mu}_t(\mathbf x_t, \hat{\mathbf x}_0) + \sqrt{\tilde\beta_t}\,\mathbf z,
              \quad \mathbf z \sim \mathcal N(0, I),

    with no noise at the last step (``t = 0``). ``diffusers``' ``DDPMScheduler.step`` with
    ``variance_type="fixed_small"`` computes the same thing.

    Args:
        t: the current step (one for the whole batch, as in diffusers).
        noise: :math:`\mathbf z`, same shape as ``x_t`` (needed for ``t > 0``).
        clip: if given, clamp :math:`\hat{\mathbf x}_0` to ``[-clip, clip]`` (data known to lie there).

    Returns:
        ``(x_prev, x0_hat)``, both like ``x_t``.

    Shape: x_t, eps, noise (N, D) or (S, N, D).
    """
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
        raise ValueError(f"t must be one int time step for the whole batch, got {t!r}")
    x0_hat = predict_x0(schedule, x_t, eps, int(t))
    if clip is not None:
        check_range(clip, "clip", 0.0, None, low_inclusive=False)
        x0_hat = x0_hat.clamp(-clip, clip)
    mean, var = posterior_mean_variance(schedule, x0_hat, x_t, int(t))
    if t == 0:
        return mean, x0_hat
    if noise is None:
        raise ValueError(f"noise (a standard normal draw shaped like x_t) is needed for t = {t} > 0")
    noise = _tensor(noise, "noise")
    _same_shape(mean, noise, "x_t", "noise")
    return mean + var.sqrt() * noise, x0_hat
