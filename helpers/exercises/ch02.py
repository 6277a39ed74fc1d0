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
    """A dense layer followed by ReLU: H = ReLU(X W + b).

    X @ W computes every unit's weighted sum for every example at once: entry (n, j) is
    example n's dot product with column j of W (unit j's weights). Adding b, of shape (D_out,),
    broadcasts one bias per unit over all N rows. np.maximum(., 0) is ReLU, applied entrywise
    (not np.max, which would reduce the array to one number).
    Shape: X (N, D_in), W (D_in, D_out), b (D_out,) -> (N, D_out).
    """
    Z = X @ W + b                # (N, D_out) pre-activations
    return np.maximum(Z, 0.0)


def solution_parameter_count(sizes: Sequence[int]) -> int:
    """Weights and biases of a dense network with layer widths ``sizes`` = [D_0, D_1, ..., D_L].

    Layer l connects D_{l-1} inputs to D_l units: a (D_{l-1}, D_l) weight matrix plus one bias
    per unit. Pairing each width with the next, zip(sizes[:-1], sizes[1:]), walks the L layers.
    For [784, 128, 10]: 784 * 128 + 128 + 128 * 10 + 10 = 101,770.
    """
    return sum(d_in * d_out + d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))


def solution_xnor_network() -> list[Layer]:
    """XNOR = 1 - XOR, and the hidden layer of the XOR network can stay as it is.

    Hidden: h1 = ReLU(x1 + x2) counts the inputs that are on, h2 = ReLU(x1 + x2 - 1) fires only
    when both are. XOR's output is h1 - 2 h2; for XNOR take one minus it,
    f = 1 - (h1 - 2 h2) = -h1 + 2 h2 + 1: negate the output weights, and set the output bias to 1.
    Check: (0,0) -> h = (0,0) -> 1; (0,1) -> (1,0) -> 0; (1,1) -> (2,1) -> -2 + 2 + 1 = 1.
    """
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
    return run_check("dense ReLU layer", check, hints=(
        "this is notebook 01's weighted sum with a matrix of weights instead of a vector: one matrix "
        "product, a bias per unit, then ReLU entrywise; check the shape of each piece",
        "X @ W has shape (N, D_out); add b (it broadcasts over the rows), then np.maximum(..., 0) "
        "(not np.max)"))


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
    return run_check("parameter count", check, hints=(
        "count layer by layer: a layer from D_in inputs to D_out units has how many weights, and how "
        "many biases?",
        "layer l has D_{l-1} * D_l weights plus D_l biases; sum over the pairs "
        "zip(sizes[:-1], sizes[1:])"))


def check_xnor_network(fn: Callable[[], list[Layer]]) -> Feedback:
    """``fn()`` must return layers whose outputs on (0,0), (0,1), (1,0), (1,1) are 1, 0, 0, 1."""
    def check() -> str | None:
        layers = answer(fn())
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
        return close_enough(mlp_forward(X, layers)[:, 0], [1.0, 0.0, 0.0, 1.0], "outputs on the truth table")
    return run_check("XNOR network", check, hints=(
        "XNOR is 1 exactly where XOR is 0: how can one output layer turn f into 1 - f?",
        "keep the hidden layer of mlp.xor_network(); the output 1 - (h1 - 2 h2) has weights (-1, 2) "
        "and bias 1"))
