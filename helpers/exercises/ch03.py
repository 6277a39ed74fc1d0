"""Exercises of notebook 03 (losses and gradient descent): checks and reference solutions."""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.basics import losses
from helpers.basics.losses import cross_entropy_grad, softmax
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_softmax", "check_cross_entropy_grad", "check_critical_lr",
           "solution_softmax", "solution_cross_entropy_grad", "solution_critical_lr"]


# ----------------------------------------------------------------------------- solutions
def solution_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax that survives logits of +-1000.

    Softmax does not change when the same number is subtracted from a whole row (the factor
    e^{-m} cancels between numerator and denominator). Subtracting the row maximum m makes every
    exponent <= 0, so nothing overflows, and the largest term exactly e^0 = 1, so the sum cannot
    underflow to 0. keepdims=True keeps shape (N, 1) so the subtraction and the division line up
    row by row. Shape: (N, K) -> (N, K).
    """
    shifted = logits - logits.max(axis=1, keepdims=True)   # (N, K), every row's maximum is 0
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def solution_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to the logits: (p - y) / N.

    p is the softmax of each row and y the one-hot label. Subtracting a one-hot row only changes
    the true class's entry, so instead of building y we subtract 1 at (n, labels[n]) for every n
    (fancy indexing with two index arrays). The loss is a *mean* over the N examples, hence the / N.
    Shape: logits (N, K), labels (N,) -> (N, K); every row sums to 0.
    """
    n = logits.shape[0]
    grad = losses.softmax(logits)            # p, (N, K): section 2's stable softmax (or your my_softmax)
    grad[np.arange(n), labels] -= 1.0        # p - y
    return grad / n


def solution_critical_lr(hessian: np.ndarray) -> float:
    """The largest stable learning rate on J = 1/2 theta^T H theta: 2 / lambda_max(H).

    Along an eigenvector of H with eigenvalue lambda the problem is 1-D with curvature lambda,
    and one step multiplies the error there by 1 - eta lambda. Every direction must shrink,
    |1 - eta lambda| < 1, i.e. eta < 2 / lambda for every eigenvalue: the steepest direction
    (largest eigenvalue) sets the limit. eigvalsh is the eigenvalue routine for symmetric matrices.
    """
    return 2.0 / float(np.linalg.eigvalsh(hessian).max())


# ----------------------------------------------------------------------------- checks
def check_softmax(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """``fn(logits)`` must return row-wise softmax probabilities, finite even for huge logits."""
    def check() -> str | None:
        rng = np.random.default_rng(33)
        cases = [rng.normal(size=(4, 3)), np.array([[1000.0, 0.0, -1000.0]]), np.array([[-800.0, -801.0]])]
        for z in cases:
            problem = close_enough(fn(z.copy()), softmax(z), f"softmax of logits {np.round(z[0], 1).tolist()}...")
            if problem:
                return problem
        return None
    return run_check("stable softmax", check, hints=(
        "np.exp(1000) is inf. What can you subtract from every logit of a row without changing its "
        "softmax?",
        "subtract each row's maximum, logits.max(axis=1, keepdims=True), then exponentiate and divide "
        "by the row sums (keepdims=True again)"))


def check_cross_entropy_grad(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """``fn(logits, labels)`` must return the mean cross-entropy's gradient (p - y) / N."""
    def check() -> str | None:
        rng = np.random.default_rng(44)
        for n, k in [(5, 3), (1, 4), (8, 2)]:
            z, labels = rng.normal(size=(n, k)), rng.integers(0, k, n)
            got, want = answer(fn(z.copy(), labels)), cross_entropy_grad(z, labels)
            if n > 1 and np.shape(got) == want.shape and np.allclose(got, n * want):
                return "your gradient is N times too large: the loss is a mean over the N examples"
            problem = close_enough(got, want, f"gradient for logits of shape {z.shape}")
            if problem:
                return problem
        return None
    return run_check("cross-entropy gradient", check, hints=(
        "section 3 derived it: the gradient of one example's loss is prediction minus truth; and the "
        "loss here is a mean over N examples",
        "p = softmax of each row; subtract 1 at [np.arange(N), labels]; divide everything by N"))


def check_critical_lr(fn: Callable[[np.ndarray], float]) -> Feedback:
    """``fn(H)`` must return the largest stable learning rate 2 / lambda_max(H)."""
    def check() -> str | None:
        c, s = np.cos(0.6), np.sin(0.6)
        R = np.array([[c, -s], [s, c]])
        for H in (np.diag([1.0, 10.0]), np.diag([4.0]), R @ np.diag([2.0, 8.0]) @ R.T):
            problem = close_enough(fn(H.copy()), solution_critical_lr(H), f"critical learning rate for H = {np.round(H, 2).tolist()}")
            if problem:
                return problem
        return None
    return run_check("critical learning rate", check, hints=(
        "along each eigenvector of H the loss is a 1-D quadratic with that eigenvalue as its "
        "curvature; which direction runs out of room first as eta grows?",
        "the steepest direction decides: 2 / np.linalg.eigvalsh(H).max()"))
