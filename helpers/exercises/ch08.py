"""Exercises of notebook 08 (regularization and normalization): checks and reference solutions."""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.training.batchnorm import batchnorm_forward
from helpers.training.regularization import dropout_forward, smooth_labels
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_inverted_dropout", "check_smooth_labels", "check_batchnorm_train",
           "solution_inverted_dropout", "solution_smooth_labels", "solution_batchnorm_train"]


# ----------------------------------------------------------------------------- solutions
def solution_inverted_dropout(x: np.ndarray, keep: np.ndarray, p: float) -> np.ndarray:
    """Zero the dropped units and scale the kept ones by 1 / (1 - p), so the mean is unchanged."""
    return x * keep / (1 - p)


def solution_smooth_labels(y: np.ndarray, num_classes: int, eps: float) -> np.ndarray:
    """(1 - eps) * one-hot + eps / K: every class gets eps / K, the true one 1 - eps + eps / K."""
    onehot = np.eye(num_classes)[y]
    return (1 - eps) * onehot + eps / num_classes


def solution_batchnorm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Standardise each column with the batch's mean and (biased) variance, then scale and shift."""
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


# ----------------------------------------------------------------------------- checks
def check_inverted_dropout(fn: Callable) -> Feedback:
    """``fn(x, keep, p)`` must apply the boolean mask ``keep`` with inverted-dropout scaling."""
    def check() -> str | None:
        rng = np.random.default_rng(80)
        for p in (0.5, 0.2, 0.9):
            x = rng.normal(size=(6, 5))
            keep = rng.random(x.shape) >= p
            got = answer(fn(x.copy(), keep.copy(), p))
            if np.shape(got) == x.shape and np.allclose(got, x * keep):
                return f"at p = {p} the kept units are not rescaled: divide by (1 - p) so the expected output equals x."
            problem = close_enough(got, dropout_forward(x, p, keep=keep)[0], f"dropout output at p = {p}")
            if problem:
                return problem
        return None
    return run_check("inverted dropout", check, hint="x * keep / (1 - p)")


def check_smooth_labels(fn: Callable) -> Feedback:
    """``fn(y, num_classes, eps)`` must return the smoothed targets (N, K)."""
    def check() -> str | None:
        y = np.array([0, 2, 1, 2])
        for k, eps in ((3, 0.1), (10, 0.3)):
            got = answer(fn(y.copy(), k, eps))
            want = smooth_labels(y, k, eps)
            wrong = (1 - eps) * np.eye(k)[y] + eps / (k - 1) * (1 - np.eye(k)[y])
            if np.shape(got) == want.shape and np.allclose(got, wrong):
                return "you spread eps over the K - 1 wrong classes; the formula spreads eps / K over all K classes."
            problem = close_enough(got, want, f"targets for K = {k}, eps = {eps}")
            if problem:
                return problem
        return None
    return run_check("label smoothing", check, hint="(1 - eps) * np.eye(K)[y] + eps / K")


def check_batchnorm_train(fn: Callable) -> Feedback:
    """``fn(x, gamma, beta, eps)`` must return batch norm's training-mode output."""
    def check() -> str | None:
        rng = np.random.default_rng(81)
        for n, d in ((8, 3), (2, 4), (50, 1)):
            x = rng.normal(3.0, 2.0, size=(n, d))
            gamma, beta = rng.normal(size=d), rng.normal(size=d)
            got = answer(fn(x.copy(), gamma.copy(), beta.copy(), 1e-5))
            want = batchnorm_forward(x, gamma, beta, np.zeros(d), np.ones(d))[0]
            unbiased = gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + 1e-5) + beta
            if np.shape(got) == want.shape and np.allclose(got, unbiased):
                return "you normalised with the unbiased variance (ddof=1); batch norm divides by N."
            problem = close_enough(got, want, f"output for a batch of shape {x.shape}", atol=1e-6)
            if problem:
                return problem
        return None
    return run_check("batch norm (training mode)", check,
                     hint="mean and variance over axis 0 (the batch), then gamma * x_hat + beta")
