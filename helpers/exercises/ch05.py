"""Notebook 05 (activation functions): self-checks and reference solutions.

Each ``check_*`` prints specific feedback and returns a :class:`~helpers.exercises.Feedback`; it
never raises, and an answer still set to ``...`` reads as "not attempted yet".
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_softplus", "check_sigmoid_chain", "check_dead_fraction", "solution_softplus",
           "solution_sigmoid_chain", "solution_dead_fraction"]


# ----------------------------------------------------------------------------- 1. stable softplus
def solution_softplus(x: np.ndarray) -> np.ndarray:
    r"""Softplus :math:`\log(1 + e^{x})`, a smooth ReLU, in a form that never overflows.

    The textbook formula overflows: :math:`e^{1000}` is ``inf`` in float64. Take the larger of
    :math:`0` and :math:`x` out of the logarithm, :math:`\log(1 + e^x) = \max(x, 0) + \log(1 + e^{-|x|})`
    (for :math:`x > 0` factor out :math:`e^x`; for :math:`x \le 0` nothing changes). Now the
    exponent :math:`-|x|` is never positive, so ``exp`` lies in (0, 1], and ``log1p`` keeps the
    tiny values :math:`\log(1 + \epsilon) \approx \epsilon` accurate far out in the tails.
    """
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))  # exp(-|x|) <= 1: never overflows


def check_softplus(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Softplus must match the reference, stay finite at ±1000 and raise no overflow warning."""
    def check() -> str | None:
        x = np.array([-1000.0, -30.0, -1.0, 0.0, 1e-8, 2.0, 30.0, 1000.0])
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                got = answer(fn(x))
            except RuntimeWarning as w:
                return f"computing it raised a warning ({w}): some exp() overflowed."
        got = np.asarray(got, dtype=np.float64)
        if got.shape != x.shape:
            return f"the output should have the input's shape {x.shape}, got {got.shape}."
        if not np.all(np.isfinite(got)):
            bad = x[~np.isfinite(got)]
            return f"the result is not finite at x = {bad.tolist()}: exp(x) overflowed there."
        return close_enough(got, solution_softplus(x), "softplus(x)", atol=1e-9, rtol=1e-9)
    return run_check("stable softplus", check,
                     hints=("e^1000 overflows. Can you rewrite log(1 + e^x) so that exp is only ever "
                            "given a number <= 0? (Try factoring e^x out of 1 + e^x when x > 0.)",
                            "log(1 + e^x) = max(x, 0) + log(1 + e^(-|x|)): return "
                            "np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))."))


# ----------------------------------------------------------------------------- 2. sigmoid's chain
def solution_sigmoid_chain() -> float:
    r"""The largest value the product :math:`\sigma'(z_1)\cdots\sigma'(z_{10})` can take.

    :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))` is a product :math:`p(1-p)` of two numbers that add
    up to 1, largest when both are 1/2, that is at :math:`z = 0`: :math:`\sigma'(z) \le 1/4`. Ten
    such factors multiply to at most :math:`(1/4)^{10} \approx 9.5 \times 10^{-7}`. This bounds the
    activation factors only: the weight matrices are separate factors of the backward pass and can
    be larger than 1, so a real network's gradient can lose less than this.
    """
    return 0.25 ** 10  # sigma'(0) = 1/4 at every one of the ten layers


def check_sigmoid_chain(value: float) -> Feedback:
    """The largest factor 10 sigmoid derivatives can multiply a gradient by."""
    def check() -> str | None:
        got = float(answer(value))
        want = solution_sigmoid_chain()
        if np.isclose(got, 0.5 ** 10, rtol=1e-3):
            return "0.5 is the value of sigma(0), not of its derivative sigma'(0)."
        return close_enough(got, want, "the factor", atol=0, rtol=1e-3)
    return run_check("sigmoid chain", check, hints=("each layer contributes one factor sigma'(z) = sigma(z)(1 - sigma(z)). "
                                                  "What is the largest value one such factor can take?",
                                                  "sigma'(z) is largest at z = 0, where sigma(0) = 1/2 and "
                                                  "sigma'(0) = 1/4; ten layers give 0.25 ** 10."))


# ----------------------------------------------------------------------------- 3. dead units
def solution_dead_fraction(Z: np.ndarray) -> float:
    """Fraction of ReLU units (columns of the pre-activations ``Z``, shape (N, D)) that are dead.

    A unit is dead when :math:`z \\le 0` for *every* sample (every row of its column): it then
    outputs 0 and, since :math:`\\mathrm{ReLU}'(z) = 0` there (0 included, by convention), passes no
    gradient to its weights for any input. One sample with :math:`z > 0` keeps it alive. So: test
    each column with ``all`` over the samples (axis 0), then average over the D units.
    """
    Z = np.asarray(Z, dtype=np.float64)
    dead = np.all(Z <= 0, axis=0)  # (D,) True where the unit is off for all N samples
    return float(np.mean(dead))


def check_dead_fraction(fn: Callable[[np.ndarray], float]) -> Feedback:
    """The dead fraction on a few (N, D) matrices, edge cases included."""
    def check() -> str | None:
        rng = np.random.default_rng(5)
        Z = rng.normal(size=(50, 40))
        Z[:, ::4] = -np.abs(Z[:, ::4])  # every 4th unit never fires
        cases = {"a random matrix": Z,
                 "a matrix with zeros (z = 0 counts as dead: ReLU'(0) = 0)": np.array([[0.0, 1.0, -1.0], [0.0, -2.0, -3.0]]),
                 "a matrix with no dead unit": np.abs(rng.normal(size=(5, 7))) + 0.1,
                 "one sample only": np.array([[-1.0, 2.0, -3.0, 4.0]])}
        for name, Z in cases.items():
            got = answer(fn(Z.copy()))
            problem = close_enough(got, solution_dead_fraction(Z), f"the fraction for {name}")
            if problem:
                if np.isclose(float(got), float(np.mean(Z <= 0))):
                    return problem + " You counted entries, not units (columns) that are off for *every* sample."
                return problem
        return None
    return run_check("dead ReLU fraction", check, hints=("a unit is one column of Z; it is dead only if it is off "
                                                         "(z <= 0) for every row. Which numpy reduction says "
                                                         "'for every'?",
                                                         "np.all(Z <= 0, axis=0) marks the dead columns; "
                                                         "return its mean as a float."))
