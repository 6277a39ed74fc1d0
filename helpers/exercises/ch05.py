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
    r"""Softplus :math:`\log(1 + e^{x})`, a smooth ReLU, in a form that never overflows:
    :math:`\max(x, 0) + \log(1 + e^{-|x|})` (the exponent is never positive)."""
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


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
                     hint="log(1 + e^x) = max(x, 0) + log(1 + e^(-|x|)); np.log1p is accurate near 0.")


# ----------------------------------------------------------------------------- 2. sigmoid's chain
def solution_sigmoid_chain() -> float:
    r"""Each sigmoid layer multiplies the gradient by :math:`\sigma'(z) \le 1/4`, so ten of them
    shrink it by at least :math:`4^{10}`: the factor is at most :math:`0.25^{10} \approx 9.5 \times 10^{-7}`."""
    return 0.25 ** 10


def check_sigmoid_chain(value: float) -> Feedback:
    """The largest factor 10 sigmoid derivatives can multiply a gradient by."""
    def check() -> str | None:
        got = float(answer(value))
        want = solution_sigmoid_chain()
        if np.isclose(got, 0.5 ** 10, rtol=1e-3):
            return "0.5 is the value of sigma(0), not of its derivative sigma'(0)."
        return close_enough(got, want, "the factor", atol=0, rtol=1e-3)
    return run_check("sigmoid chain", check, hint="the largest value of sigma'(z) = sigma(z)(1 - sigma(z)) is at z = 0.")


# ----------------------------------------------------------------------------- 3. dead units
def solution_dead_fraction(Z: np.ndarray) -> float:
    """Fraction of ReLU units (columns of the pre-activations ``Z``, shape (N, D)) with
    :math:`z \\le 0` for every sample: they output 0 and pass no gradient for any input."""
    Z = np.asarray(Z, dtype=np.float64)
    return float(np.mean(np.all(Z <= 0, axis=0)))


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
    return run_check("dead ReLU fraction", check, hint="np.all(Z <= 0, axis=0) marks the dead columns.")
