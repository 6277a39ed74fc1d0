r"""Exercises for notebook 16 (VAEs and diffusion): checks with specific feedback, and the solutions.

1. :func:`check_gaussian_kl`: the KL term of a VAE, :math:`\frac12\sum_k(\sigma_k^2 + \mu_k^2 - 1 - \log\sigma_k^2)`.
2. :func:`check_add_noise`: one forward-noising jump, :math:`\mathbf x_t = \sqrt{\bar\alpha_t}\mathbf x_0 + \sqrt{1-\bar\alpha_t}\boldsymbol\epsilon`.
3. :func:`check_reverse_step`: one ancestral step :math:`\mathbf x_t \to \mathbf x_{t-1}`.

The learner works in NumPy; each check compares with the torch implementation in
:mod:`helpers.generative`, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from helpers.exercises import Feedback, answer, close_enough, run_check
from helpers.generative.latent import gaussian_kl
from helpers.generative.schedules import add_noise, make_schedule, reverse_step

__all__ = ["solution_gaussian_kl", "check_gaussian_kl", "solution_add_noise", "check_add_noise",
           "solution_reverse_step", "check_reverse_step"]


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().double().numpy()


# ----------------------------------------------------------------------------- 1. the KL term
def solution_gaussian_kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(mu, exp(logvar)) || N(0, I)) per row: 0.5 * sum(exp(logvar) + mu^2 - 1 - logvar)."""
    return 0.5 * np.sum(np.exp(logvar) + mu ** 2 - 1.0 - logvar, axis=-1)


def check_gaussian_kl(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(mu (N, K), logvar (N, K)) -> (N,)`` against :func:`helpers.generative.latent.gaussian_kl`."""
    rng = np.random.default_rng(16)
    mu, logvar = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))

    def check() -> str | None:
        got = np.asarray(answer(fn(mu.copy(), logvar.copy())), dtype=float)
        want = _np(gaussian_kl(torch.tensor(mu), torch.tensor(logvar)))
        if got.shape == mu.shape:
            return f"sum over the latent axis: one KL per row, shape {want.shape}, not {got.shape}."
        if got.shape == want.shape:
            if np.allclose(got, 2 * want):
                return "you forgot the factor 1/2 in front of the sum."
            if np.allclose(got, 0.5 * np.sum(logvar + mu ** 2 - 1 - np.log(np.abs(logvar) + 1e-300), axis=-1)) or \
                    np.allclose(got, 0.5 * np.sum(logvar + mu ** 2 - 1 - logvar, axis=-1)):
                return "logvar is log σ²: the variance itself is np.exp(logvar)."
            if np.allclose(got, 0.5 * np.sum(np.exp(logvar) + mu ** 2 - 1 - 0.5 * logvar, axis=-1)):
                return "the last term is log σ² = logvar itself (not half of it)."
        problem = close_enough(got, want, "KL per row", atol=1e-9)
        if problem is None:
            zero = np.asarray(answer(fn(np.zeros((2, 4)), np.zeros((2, 4)))), dtype=float)
            problem = close_enough(zero, np.zeros(2), "KL of the prior to itself", atol=1e-12)
        return problem

    return run_check("Gaussian KL term", check, hints=(
        "each latent coordinate k contributes σ² + μ² − 1 − log σ², with σ² = exp(logvar); add them up and halve.",
        "0.5 * np.sum(np.exp(logvar) + mu**2 - 1 - logvar, axis=-1)"))


# ----------------------------------------------------------------------------- 2. one forward jump
def solution_add_noise(x0: np.ndarray, noise: np.ndarray, alpha_bar_t: float) -> np.ndarray:
    """x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise."""
    return np.sqrt(alpha_bar_t) * x0 + np.sqrt(1.0 - alpha_bar_t) * noise


def check_add_noise(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> Feedback:
    """Check ``fn(x0 (N, D), noise (N, D), alpha_bar_t) -> x_t`` against ``schedules.add_noise`` at three steps."""
    rng = np.random.default_rng(7)
    schedule = make_schedule("linear", 100)
    x0, noise = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))

    def check() -> str | None:
        for t in (0, 40, 99):
            ab = float(schedule.alpha_bar[t])
            got = np.asarray(answer(fn(x0.copy(), noise.copy(), ab)), dtype=float)
            want = _np(add_noise(schedule, torch.tensor(x0), torch.tensor(noise), t))
            if got.shape == want.shape and np.allclose(got, ab * x0 + (1 - ab) * noise):
                return ("ᾱ_t and 1 − ᾱ_t are the *variances* of the two parts; the sample scales by their "
                        "square roots.")
            if got.shape == want.shape and np.allclose(got, np.sqrt(ab) * x0 + (1 - ab) * noise):
                return "the noise is scaled by √(1 − ᾱ_t), not 1 − ᾱ_t: take the square root there too."
            problem = close_enough(got, want, f"x_t at t = {t} (ᾱ_t = {ab:.4g})", atol=1e-10)
            if problem:
                return problem
        return None

    return run_check("forward noising", check, hints=(
        "q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I): a scaled copy of x_0 plus scaled noise.",
        "np.sqrt(alpha_bar_t) * x0 + np.sqrt(1 - alpha_bar_t) * noise"))


# ----------------------------------------------------------------------------- 3. one reverse step
def solution_reverse_step(x_t: np.ndarray, eps: np.ndarray, noise: np.ndarray, beta_t: float,
                          alpha_bar_t: float, alpha_bar_prev: float) -> np.ndarray:
    """x0_hat from eps, then the posterior mean and variance, then one Gaussian draw."""
    x0_hat = (x_t - np.sqrt(1 - alpha_bar_t) * eps) / np.sqrt(alpha_bar_t)
    mean = (np.sqrt(alpha_bar_prev) * beta_t / (1 - alpha_bar_t) * x0_hat
            + np.sqrt(1 - beta_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t) * x_t)
    variance = (1 - alpha_bar_prev) / (1 - alpha_bar_t) * beta_t
    return mean + np.sqrt(variance) * noise


def check_reverse_step(fn: Callable[..., np.ndarray]) -> Feedback:
    """Check ``fn(x_t, eps, noise, beta_t, alpha_bar_t, alpha_bar_prev) -> x_{t-1}`` against ``schedules.reverse_step``."""
    rng = np.random.default_rng(11)
    schedule = make_schedule("cosine", 50)
    x_t, eps, noise = rng.normal(size=(3, 5, 2))

    def check() -> str | None:
        for t in (30, 1):
            args = (float(schedule.betas[t]), float(schedule.alpha_bar[t]), float(schedule.alpha_bar_prev[t]))
            got = np.asarray(answer(fn(x_t.copy(), eps.copy(), noise.copy(), *args)), dtype=float)
            want = _np(reverse_step(schedule, torch.tensor(x_t), torch.tensor(eps), t, torch.tensor(noise))[0])
            mean_only = _np(reverse_step(schedule, torch.tensor(x_t), torch.tensor(eps), t, torch.zeros(5, 2))[0])
            if got.shape == want.shape and np.allclose(got, mean_only):
                return "that is the posterior mean: a step of the sampler also adds √β̃_t times the noise."
            if got.shape == want.shape and np.allclose(got, mean_only + np.sqrt(args[0]) * noise):
                return ("you added √β_t · noise (the 'large' variance); this sampler uses the posterior's "
                        "β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t.")
            problem = close_enough(got, want, f"x_(t-1) at t = {t}", atol=1e-10)
            if problem:
                return problem
        return None

    return run_check("reverse step", check, hints=(
        "three lines: estimate x_0 from eps (invert the forward jump), take the posterior mean μ̃_t of "
        "x_0-hat and x_t, add √β̃_t · noise.",
        "x0 = (x_t − √(1−ᾱ_t) eps)/√ᾱ_t; mean = √ᾱ_prev β_t/(1−ᾱ_t) x0 + √(1−β_t)(1−ᾱ_prev)/(1−ᾱ_t) x_t; "
        "var = (1−ᾱ_prev)/(1−ᾱ_t) β_t."))
