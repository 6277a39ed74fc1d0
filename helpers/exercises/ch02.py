"""Exercises of notebook 02 (networks and forward propagation): checks and reference solutions."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from helpers.basics.mlp import Layer, mlp_params, mlp_forward
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_dense_relu", "check_parameter_count", "check_xnor_network",
           "solution_dense_relu", "solution_parameter_count", "solution_xnor_network"]


# ----------------------------------------------------------------------------- solutions
def solution_dense_relu(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ReLU(X W + b). Shape: (N, D_in), (D_in, D_out), (D_out,) -> (N, D_out)."""
    return np.maximum(X @ W + b, 0.0)


def solution_parameter_count(sizes: Sequence[int]) -> int:
    """Each layer has D_in * D_out weights and D_out biases."""
    return sum(d_in * d_out + d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))


def solution_xnor_network() -> list[Layer]:
    """Keep the XOR network's hidden layer; XNOR = 1 - XOR, so flip the output layer:
    f = 1 - (h1 - 2 h2) = -h1 + 2 h2 + 1."""
    return [Layer(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),
            Layer(np.array([[-1.0], [2.0]]), np.array([1.0]))]


# ----------------------------------------------------------------------------- checks
def check_dense_relu(fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """``fn(X, W, b)`` must return ReLU(X W + b) with shape (N, D_out)."""
    def check() -> str | None:
        rng = np.random.default_rng(22)
        for n, d_in, d_out in [(4, 3, 5), (1, 2, 1), (6, 4, 3)]:
            X, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
            problem = close_enough(fn(X, W, b), np.maximum(X @ W + b, 0),
                                   f"layer output for X {X.shape}, W {W.shape}")
            if problem:
                return problem
        return None
    return run_check("dense ReLU layer", check, hint="X @ W has shape (N, D_out); add b, then np.maximum(..., 0)")


def check_parameter_count(fn: Callable[[Sequence[int]], int]) -> Feedback:
    """``fn(sizes)`` must count the weights and biases of a dense network with those widths."""
    def check() -> str | None:
        for sizes in ([2, 16, 16, 3], [784, 128, 10], [1, 1], [3, 5, 7, 2]):
            got = answer(fn(list(sizes)))
            want = mlp_params(sizes)
            if got != want:
                weights_only = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
                extra = " (did you forget the biases?)" if got == weights_only else ""
                return f"for sizes {sizes} expected {want}, got {got}{extra}"
        return None
    return run_check("parameter count", check, hint="layer l has D_{l-1} * D_l weights plus D_l biases")


def check_xnor_network(fn: Callable[[], list[Layer]]) -> Feedback:
    """``fn()`` must return layers whose outputs on (0,0), (0,1), (1,0), (1,1) are 1, 0, 0, 1."""
    def check() -> str | None:
        layers = answer(fn())
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
        return close_enough(mlp_forward(X, layers)[:, 0], [1.0, 0.0, 0.0, 1.0], "outputs on the truth table")
    return run_check("XNOR network", check, hint="XNOR = 1 - XOR: keep the hidden layer, change the output layer")
