"""Notebook 06 (weight initialization): self-checks and reference solutions.

Each ``check_*`` prints specific feedback and returns a :class:`~helpers.exercises.Feedback`; it
never raises, and an answer still set to ``...`` reads as "not attempted yet".
"""
from __future__ import annotations

import math
from typing import Callable

from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_xavier_bound", "check_he_std", "check_relu_variance", "solution_xavier_bound",
           "solution_he_std", "solution_relu_variance"]

_FANS = [(1, 1), (64, 64), (784, 256), (10, 500), (3, 7)]


# ----------------------------------------------------------------------------- 1. Xavier bound
def solution_xavier_bound(n_in: int, n_out: int) -> float:
    r"""The Glorot uniform bound :math:`a` such that :math:`U(-a, a)` has variance :math:`2/(n_\text{in} + n_\text{out})`.

    A uniform distribution on :math:`(-a, a)` has variance :math:`a^2/3` (the integral of
    :math:`x^2/(2a)` from :math:`-a` to :math:`a`). Xavier wants variance :math:`2/(n_\text{in} + n_\text{out})`,
    the compromise between the forward pass (:math:`1/n_\text{in}`) and the backward pass
    (:math:`1/n_\text{out}`). Solve :math:`a^2/3 = 2/(n_\text{in} + n_\text{out})` for :math:`a`.
    """
    return math.sqrt(6.0 / (n_in + n_out))  # a = sqrt(3 * 2 / (n_in + n_out))


def check_xavier_bound(fn: Callable[[int, int], float]) -> Feedback:
    """The bound for several (n_in, n_out) pairs."""
    def check() -> str | None:
        for n_in, n_out in _FANS:
            got = answer(fn(n_in, n_out))
            want = solution_xavier_bound(n_in, n_out)
            if math.isclose(float(got), math.sqrt(2.0 / (n_in + n_out)), rel_tol=1e-6):
                return "that is the standard deviation sqrt(2/(n_in+n_out)); a uniform U(-a, a) has std a/sqrt(3)."
            problem = close_enough(got, want, f"the bound for n_in={n_in}, n_out={n_out}")
            if problem:
                return problem
        return None
    return run_check("Xavier uniform bound", check, hints=("the bound a is not the standard deviation: what is the "
                                                          "variance of a uniform U(-a, a)?",
                                                          "Var(U(-a, a)) = a**2 / 3; solve a**2 / 3 = 2 / (n_in + n_out): "
                                                          "a = math.sqrt(6 / (n_in + n_out))."))


# ----------------------------------------------------------------------------- 2. He std
def solution_he_std(n_in: int) -> float:
    r"""The He/Kaiming standard deviation for a ReLU layer with ``n_in`` inputs.

    A unit sums :math:`n_\text{in}` terms :math:`w_i h_i`, so :math:`\operatorname{Var}(z) =
    n_\text{in}\operatorname{Var}(w)\,\mathbb{E}[h^2]`. ReLU zeroes the negative half of a symmetric
    input, so :math:`\mathbb{E}[h^2] = \operatorname{Var}(z_\text{prev})/2`. Keeping
    :math:`\operatorname{Var}(z)` equal to :math:`\operatorname{Var}(z_\text{prev})` needs
    :math:`n_\text{in}\operatorname{Var}(w)/2 = 1`: variance :math:`2/n_\text{in}`, and the standard
    deviation is its square root.
    """
    return math.sqrt(2.0 / n_in)  # std = sqrt(variance)


def check_he_std(fn: Callable[[int], float]) -> Feedback:
    """The std for several fan-ins."""
    def check() -> str | None:
        for n_in in (64, 1000, 1, 2):
            got = answer(fn(n_in))
            if n_in > 2 and math.isclose(float(got), 2.0 / n_in, rel_tol=1e-6):
                return "that is the variance 2/n_in; the standard deviation is its square root."
            problem = close_enough(got, solution_he_std(n_in), f"the std for n_in={n_in}")
            if problem:
                return problem
        return None
    return run_check("He normal std", check, hints=("write Var(z) = n_in Var(w) E[h^2]; what does ReLU do to "
                                                   "E[h^2] when its input is symmetric around 0?",
                                                   "ReLU halves E[h^2], so Var(w) = 2 / n_in keeps the variance; "
                                                   "the std is math.sqrt(2 / n_in)."))


# ----------------------------------------------------------------------------- 3. variance in a ReLU stack
def solution_relu_variance(std: float, n: int, depth: int) -> float:
    r"""Variance of the pre-activation :math:`z_L` of a stack of ``depth`` ReLU layers of width
    ``n``, weights :math:`\mathcal{N}(0, \text{std}^2)`, zero biases, unit-variance inputs.

    Layer 1: :math:`\operatorname{Var}(z_1) = n\,\text{std}^2`. Each further layer sees
    :math:`\mathbb{E}[h^2] = \operatorname{Var}(z)/2` (ReLU keeps the positive half), so it
    multiplies the variance by :math:`n\,\text{std}^2/2`:
    :math:`\operatorname{Var}(z_L) = n\,\text{std}^2\,(n\,\text{std}^2/2)^{L-1}`.
    The first layer sees the raw inputs (no ReLU before it), the later ``depth - 1`` layers see
    ReLU outputs: that is why the first factor has no 1/2. With He's :math:`\text{std}^2 = 2/n`
    every later factor is exactly 1.
    """
    gain = n * std ** 2                         # layer 1: Var(z_1) = n std^2 * E[x^2], E[x^2] = 1
    return gain * (gain / 2.0) ** (depth - 1)   # each later layer: times n std^2 * 1/2


def check_relu_variance(fn: Callable[[float, int, int], float]) -> Feedback:
    """The predicted variance for several (std, n, depth)."""
    def check() -> str | None:
        for std, n, depth in [(0.1, 64, 1), (0.1, 64, 10), (math.sqrt(2 / 64), 64, 30), (1.0, 16, 5), (0.01, 100, 3)]:
            got = answer(fn(std, n, depth))
            want = solution_relu_variance(std, n, depth)
            if math.isclose(float(got), (n * std ** 2) ** depth, rel_tol=1e-6) and depth > 1:
                return (f"for std={std:.3g}, n={n}, depth={depth} you returned (n std^2)^depth: that forgets "
                        "that ReLU halves E[h^2] at every layer after the first.")
            problem = close_enough(got, want, f"Var(z) for std={std:.3g}, n={n}, depth={depth}", atol=0, rtol=1e-6)
            if problem:
                return problem
        return None
    return run_check("variance through a ReLU stack", check,
                     hints=("start with one layer: Var(z_1) = n std^2 E[x^2] with E[x^2] = 1. What does "
                            "the ReLU between layers do to E[h^2], and so to the factor per layer?",
                            "Var(z_1) = n std^2; each later layer multiplies it by n std^2 / 2: "
                            "return n * std**2 * (n * std**2 / 2) ** (depth - 1)."))
