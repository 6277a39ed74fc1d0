"""Exercises of notebook 03 (losses and gradient descent): checks and reference solutions."""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.basics.losses import cross_entropy_grad, softmax
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_softmax", "check_cross_entropy_grad", "check_critical_lr",
           "solution_softmax", "solution_cross_entropy_grad", "solution_critical_lr"]


# ----------------------------------------------------------------------------- solutions
def solution_softmax(logits: np.ndarray) -> np.ndarray:
    """Subtract each row's maximum before exponentiating: same result, no overflow."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def solution_cross_entropy_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(p - y) / N with p the softmax and y the one-hot labels."""
    n = logits.shape[0]
    grad = solution_softmax(logits)
    grad[np.arange(n), labels] -= 1.0
    return grad / n


def solution_critical_lr(hessian: np.ndarray) -> float:
    """Gradient descent on a quadratic is stable iff eta < 2 / (largest eigenvalue of the Hessian)."""
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
    return run_check("stable softmax", check, hint="np.exp(1000) is inf: subtract each row's maximum first "
                                                    "(keepdims=True keeps the shapes lined up)")


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
    return run_check("cross-entropy gradient", check, hint="softmax(logits) minus the one-hot labels, divided by N")


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
    return run_check("critical learning rate", check, hint="the steepest direction decides: np.linalg.eigvalsh(H).max()")
