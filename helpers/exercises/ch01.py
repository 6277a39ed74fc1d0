"""Exercises of notebook 01 (the neuron): checks with specific feedback, and reference solutions."""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.basics.neuron import logic_gate, perceptron_predict, perceptron_update
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_weighted_sum", "check_nand_weights", "check_perceptron_update",
           "solution_weighted_sum", "solution_nand_weights", "solution_perceptron_update"]


# ----------------------------------------------------------------------------- solutions
def solution_weighted_sum(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """All N weighted sums at once: z = X w + b.

    Row n of X is one example, so (X @ w)[n] = sum_i X[n, i] * w[i] is exactly the dot product
    w . x_n that a loop over the rows would compute. The bias is one number; NumPy adds it to
    every entry (broadcasting). Shape: X (N, D), w (D,) -> z (N,).
    """
    return X @ w + b


def solution_nand_weights() -> tuple[np.ndarray, float]:
    """NAND is 1 unless both inputs are 1.

    Read the truth table as conditions on z = w1 x1 + w2 x2 + b:
    (0, 0) -> 1 needs b > 0, so the neuron starts "on";
    (0, 1) and (1, 0) -> 1 need b + w2 > 0 and b + w1 > 0: one input alone must not switch it off;
    (1, 1) -> 0 needs b + w1 + w2 <= 0: both together must.
    Negative weights of -1 and a bias of 1.5 satisfy all four: 1.5 > 0, 1.5 - 1 > 0, 1.5 - 2 < 0.
    (Any b with 1 < b <= 2 works with these weights: at b = 2, z = 0 at (1, 1) and H(0) = 0.)
    """
    return np.array([-1.0, -1.0]), 1.5


def solution_perceptron_update(x: np.ndarray, y: int, w: np.ndarray, b: float,
                               lr: float) -> tuple[np.ndarray, float]:
    """One perceptron step: predict, then correct by the error.

    The error y - y_hat is 0 (right: nothing changes), +1 (a missed 1: add x, which raises z for
    this input next time) or -1 (a false 1: subtract x). The bias moves as if it were the weight
    of a constant input 1. The step function says H(0) = 0, hence the strict ``> 0``.
    """
    y_hat = 1 if x @ w + b > 0 else 0
    error = y - y_hat
    return w + lr * error * x, b + lr * error


# ----------------------------------------------------------------------------- checks
def check_weighted_sum(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> Feedback:
    """``fn(X, w, b)`` must return the (N,) weighted sums X w + b."""
    def check() -> str | None:
        rng = np.random.default_rng(11)
        for n, d in [(5, 2), (1, 3), (7, 4)]:
            X, w, b = rng.normal(size=(n, d)), rng.normal(size=d), float(rng.normal())
            problem = close_enough(fn(X, w, b), X @ w + b, f"weighted_sum for X of shape {X.shape}")
            if problem:
                return problem
        return None
    return run_check("weighted sum", check, hints=(
        "each row of X is one example; which single NumPy operation takes the dot product of every "
        "row with w at once?",
        "a matrix-vector product X @ w gives shape (N,); then add the bias b to every entry"))


def check_nand_weights(fn: Callable[[], tuple[np.ndarray, float]]) -> Feedback:
    """``fn()`` must return ``(w, b)`` such that a step neuron computes NAND."""
    def check() -> str | None:
        got = answer(fn())
        if not (isinstance(got, tuple) and len(got) == 2):
            return f"return a pair (w, b), got {type(got).__name__}"
        w, b = np.asarray(got[0], dtype=np.float64), float(got[1])
        if w.shape != (2,):
            return f"w should have shape (2,), got {w.shape}"
        X, y = logic_gate("NAND")
        pred = perceptron_predict(X, w, b)
        wrong = [f"{tuple(int(v) for v in X[i])} -> {int(pred[i])} (want {int(y[i])})"
                 for i in range(4) if pred[i] != y[i]]
        return None if not wrong else "wrong outputs: " + "; ".join(wrong)
    return run_check("NAND weights", check, hints=(
        "write the four rows of the truth table as inequalities on z = w1 x1 + w2 x2 + b; what does "
        "the input (0, 0) alone tell you about b?",
        "b must be positive, each weight negative, and one input alone must not bring z to 0 while "
        "both together do: try w = (-1, -1) and a b between 1 and 2"))


def check_perceptron_update(fn: Callable[..., tuple[np.ndarray, float]]) -> Feedback:
    """``fn(x, y, w, b, lr)`` must return the new ``(w, b)`` after one perceptron step."""
    def check() -> str | None:
        cases = [(np.array([1.0, 2.0]), 1, np.array([0.5, -1.0]), 0.0, 0.5),   # missed a 1
                 (np.array([1.0, 1.0]), 0, np.array([1.0, 1.0]), 0.0, 1.0),    # false 1
                 (np.array([2.0, 0.0]), 1, np.array([1.0, 0.0]), 0.0, 1.0),    # already right
                 (np.array([0.0, 0.0]), 1, np.array([1.0, 1.0]), 0.0, 1.0)]    # z = 0 is class 0
        for x, y, w, b, lr in cases:
            got = answer(fn(x.copy(), y, w.copy(), b, lr))
            want_w, want_b = perceptron_update(x, y, w, b, lr)
            if not (isinstance(got, tuple) and len(got) == 2):
                return f"return a pair (w, b), got {type(got).__name__}"
            problem = (close_enough(got[0], want_w, f"w after an update on x={x.tolist()}, y={y}")
                       or close_enough(got[1], want_b, f"b after an update on x={x.tolist()}, y={y}"))
            if problem:
                return problem
        return None
    return run_check("perceptron update", check,
                     hints=(
        "first predict y_hat with the step function (remember H(0) = 0), then change w and b only by "
        "an amount proportional to the error y - y_hat",
        "y_hat = 1 if x @ w + b > 0 else 0; return w + lr * (y - y_hat) * x and b + lr * (y - y_hat)"))
