r"""Exercises for notebook 12 (GANs): checks with specific feedback, and the reference solutions.

1. :func:`check_optimal_discriminator`: the best discriminator for a fixed generator,
   :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_G(x))`.
2. :func:`check_generator_loss`: the non-saturating generator loss from logits, finite for any logit.
3. :func:`check_linear_penalty`: the WGAN-GP penalty of a linear critic, in closed form.

Each check takes the learner's function, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.gan.losses import generator_loss_nonsaturating
from helpers.gan.penalty import linear_critic_penalty
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["solution_optimal_discriminator", "check_optimal_discriminator", "solution_generator_loss",
           "check_generator_loss", "solution_linear_penalty", "check_linear_penalty"]


# ----------------------------------------------------------------------------- 1. optimal D
def solution_optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """The best discriminator for a fixed generator: D*(x) = p_data(x) / (p_data(x) + p_G(x)).

    At each point ``x`` the discriminator maximises ``p_data log D + p_g log(1 - D)``; setting the
    derivative ``p_data / D - p_g / (1 - D)`` to zero gives the share of the density at ``x`` that
    comes from the data. Where the two densities are equal it is 1/2: a perfect generator leaves the
    discriminator guessing. Works elementwise on arrays of any shape.
    """
    return p_data / (p_data + p_g)


def check_optimal_discriminator(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(p_data, p_g)`` on densities of two 1-D Gaussians, including where they are equal."""
    x = np.linspace(-3, 3, 13)
    p_data = np.exp(-0.5 * (x - 1) ** 2) / np.sqrt(2 * np.pi)
    p_g = np.exp(-0.5 * (x + 1) ** 2) / np.sqrt(2 * np.pi)

    def check() -> str | None:
        got = answer(fn(p_data, p_g))
        if np.allclose(np.asarray(got, dtype=float), p_g / (p_data + p_g)):
            return "you returned the probability of *fake*: D says how likely x is to be real."
        problem = close_enough(got, solution_optimal_discriminator(p_data, p_g), "D*(x)")
        if problem is None:
            same = answer(fn(p_data, p_data))
            problem = close_enough(same, np.full_like(p_data, 0.5), "D*(x) when p_G = p_data")
        return problem

    return run_check("optimal discriminator", check,
                     hints=("maximise p_data·log D + p_G·log(1 - D) at one point x: where is its derivative zero?",
                            "at each x, D* is the share of the density there that comes from the data: "
                            "p_data / (p_data + p_G), elementwise."))


# ----------------------------------------------------------------------------- 2. generator loss
def solution_generator_loss(fake_logits: np.ndarray) -> np.ndarray:
    """The non-saturating generator loss -mean_j log σ(f_j), from the fakes' logits f.

    ``-log sigmoid(f) = log(1 + e^{-f}) = softplus(-f)``. Written that way, ``exp(800)`` overflows;
    the stable form splits off the large part: ``softplus(u) = max(u, 0) + log1p(exp(-|u|))``,
    where the exponent is never positive (so ``exp`` stays in (0, 1]) and ``log1p`` keeps precision
    when ``exp(-|u|)`` is tiny.
    """
    u = -fake_logits  # softplus(-f), one entry per fake
    return np.mean(np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u))))


def check_generator_loss(fn: Callable[[np.ndarray], float]) -> Feedback:
    """Check ``fn(fake_logits)`` on ordinary logits and on logits of ±800 (must stay finite)."""
    cases = [np.array([0.0, 0.0]), np.array([-2.0, 0.5, 3.0]), np.array([-800.0, 800.0])]

    def check() -> str | None:
        for logits in cases:
            with np.errstate(all="ignore"):
                got = answer(fn(logits.copy()))
            want = generator_loss_nonsaturating(logits)
            if np.isfinite(want) and np.ndim(got) == 0 and np.isclose(float(got), -want):
                return "the sign is flipped: the generator *minimises* -log D(G(z))."
            problem = close_enough(got, want, f"the loss for logits {logits.tolist()}", atol=1e-9)
            if problem is not None:
                if not np.all(np.isfinite(np.asarray(got, dtype=float))):
                    return (f"the loss for logits {logits.tolist()} is not finite: "
                            "log(sigmoid(-800)) underflows to log(0)")
                return problem
        return None

    return run_check("non-saturating generator loss", check,
                     hints=("-log σ(f) = log(1 + e^(-f)): which part of that overflows for f = -800, and can "
                            "you take the large part out of the exponential?",
                            "-log σ(f) = softplus(-f); compute softplus(u) as max(u, 0) + log1p(exp(-|u|)), "
                            "then take the mean."))


# ----------------------------------------------------------------------------- 3. linear critic
def solution_linear_penalty(w: np.ndarray, weight: float) -> float:
    """The WGAN-GP penalty of a linear critic f(x) = w·x + c, in closed form.

    The gradient of ``f`` with respect to ``x`` is ``w`` at every point, so the expectation over the
    interpolated points is over a constant: the penalty is ``weight * (||w|| - 1)^2``. It is zero
    exactly when the critic's slope has norm 1 (a 1-Lipschitz linear function that is as steep as
    allowed). Note the norm, not the squared norm.
    """
    return weight * (np.linalg.norm(w) - 1.0) ** 2


def check_linear_penalty(fn: Callable[[np.ndarray, float], float]) -> Feedback:
    """Check ``fn(w, weight)`` against the closed form on a few weight vectors."""
    cases = [(np.array([3.0, 4.0]), 10.0), (np.array([0.6, 0.8]), 10.0), (np.array([0.1, -0.2, 0.2]), 0.5)]

    def check() -> str | None:
        for w, lam in cases:
            got = answer(fn(w.copy(), lam))
            want = linear_critic_penalty(w, lam)
            if np.isclose(float(np.asarray(got, dtype=float)), lam * (np.sum(w ** 2) - 1.0) ** 2) \
                    and not np.isclose(want, lam * (np.sum(w ** 2) - 1.0) ** 2):
                return "you used the squared norm ||w||²; the penalty uses the norm ||w|| itself."
            problem = close_enough(got, want, f"the penalty for w = {w.tolist()}, weight = {lam}")
            if problem is not None:
                return problem
        return None

    return run_check("gradient penalty of a linear critic", check,
                     hints=("what is the gradient of w·x + c with respect to x? Does it depend on x?",
                            "the gradient is w everywhere, so the penalty is weight * (||w|| - 1)²; "
                            "||w|| is np.linalg.norm(w)."))
