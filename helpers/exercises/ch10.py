"""Self-checks and reference solutions for notebook 10 (recurrent networks).

Each ``check_*`` takes the learner's function, runs it on random inputs, compares it with the
reference solution below and prints specific feedback (never raises).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.exercises import answer, close_enough, run_check

__all__ = ["rnn_step_solution", "lstm_update_solution", "clip_by_global_norm_solution",
           "check_rnn_step", "check_lstm_update", "check_clip_by_global_norm"]


# ----------------------------------------------------------------------------- reference solutions
def rnn_step_solution(x: np.ndarray, h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                      b: np.ndarray) -> np.ndarray:
    r"""One vanilla RNN step: :math:`h' = \tanh(x W_{ih}^\top + h W_{hh}^\top + b)`.

    The new state mixes what arrives now (x, through :math:`W_{ih}`) with what the network
    remembers (h, through :math:`W_{hh}`), then squashes it into (-1, 1) with tanh. The batch is the
    first axis and PyTorch stores weights as (out, in), so each product uses the transpose: (N, D)
    @ (D, H) gives (N, H). The bias (H,) broadcasts over the batch.

    Shape: x (N, D), h (N, H), W_ih (H, D), W_hh (H, H), b (H,) -> (N, H).
    """
    pre = x @ W_ih.T + h @ W_hh.T + b    # (N, H): input and memory, added
    return np.tanh(pre)


def lstm_update_solution(i: np.ndarray, f: np.ndarray, g: np.ndarray, o: np.ndarray,
                         c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""The LSTM's state update from its gate values: :math:`c' = f \odot c + i \odot g`,
    :math:`h' = o \odot \tanh(c')`.

    The forget gate f (in (0, 1)) decides how much of the old cell to keep, the input gate i how
    much of the candidate g to write; the cell is changed only by these elementwise products,
    never by a matrix, which is why its gradient can travel far back. The output gate o decides
    how much of the squashed cell to show as the hidden state. All products are elementwise.

    Shape: every array (N, H) -> (c', h'), both (N, H).
    """
    c_new = f * c + i * g            # keep part of the old cell, write part of the candidate
    h_new = o * np.tanh(c_new)       # show part of the squashed cell
    return c_new, h_new


def clip_by_global_norm_solution(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    r"""Clip by global norm: scale every gradient by :math:`\min(1, c / \|g\|)`, one factor for all.

    :math:`\|g\|` is the norm of all the arrays together, as if they were one long vector: the
    square root of the sum of squares of every entry of every array. Using one scale for all of
    them keeps the direction of the whole update and caps only its length; a gradient already
    short enough is returned unchanged (the scale is 1). The small ``1e-6`` avoids dividing by 0.
    """
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads]


# ----------------------------------------------------------------------------- checks
def check_rnn_step(fn: Callable) -> object:
    """Check one vanilla RNN step against :func:`rnn_step_solution` on random inputs."""
    def check():
        rng = np.random.default_rng(10)
        x, h = rng.normal(size=(3, 4)), rng.normal(size=(3, 5))
        W_ih, W_hh, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 5)) * 0.5, rng.normal(size=5)
        got = answer(fn(x, h, W_ih, W_hh, b))
        pre = x @ W_ih.T + h @ W_hh.T + b
        if np.shape(got) == pre.shape and np.allclose(got, pre):
            return "that is the pre-activation; apply tanh to it."
        return close_enough(got, rnn_step_solution(x, h, W_ih, W_hh, b), "h'")
    return run_check("one RNN step", check, hints=(
        "the new state mixes the input and the old state, each through its own weights, then squashes "
        "the sum. Check the shapes: x is (N, D) but W_ih is (H, D).",
        "np.tanh(x @ W_ih.T + h @ W_hh.T + b)"))


def check_lstm_update(fn: Callable) -> object:
    """Check the LSTM cell/hidden update against :func:`lstm_update_solution`."""
    def check():
        rng = np.random.default_rng(11)
        i, f, o = (rng.uniform(0, 1, size=(2, 6)) for _ in range(3))
        g, c = rng.uniform(-1, 1, size=(2, 6)), rng.normal(size=(2, 6))
        got = answer(fn(i, f, g, o, c))
        if not isinstance(got, tuple) or len(got) != 2:
            return f"return a pair (c_new, h_new), got {type(got).__name__}."
        c_want, h_want = lstm_update_solution(i, f, g, o, c)
        problem = close_enough(got[0], c_want, "c_new")
        if problem:
            return problem
        if np.allclose(np.asarray(got[1], dtype=float), o * got[0]):
            return "h_new = o * tanh(c_new): the cell state goes through tanh before the output gate."
        return close_enough(got[1], h_want, "h_new")
    return run_check("LSTM state update", check, hints=(
        "the forget gate scales the old cell, the input gate scales the candidate g; the output gate "
        "scales a squashed copy of the new cell. All products are elementwise.",
        "c_new = f * c + i * g; h_new = o * np.tanh(c_new); return c_new, h_new"))


def check_clip_by_global_norm(fn: Callable) -> object:
    """Check global-norm clipping (one scale for all gradients) against the reference."""
    def check():
        rng = np.random.default_rng(12)
        big = [rng.normal(size=(4, 3)) * 10, rng.normal(size=5) * 10]
        small = [g * 1e-3 for g in big]
        for grads, label in ((big, "a large gradient"), (small, "a small gradient")):
            got = answer(fn([g.copy() for g in grads], 1.0))
            want = clip_by_global_norm_solution(grads, 1.0)
            if not isinstance(got, (list, tuple)) or len(got) != len(want):
                return f"return a list of {len(want)} arrays, got {type(got).__name__}."
            for k, (a, b) in enumerate(zip(got, want)):
                problem = close_enough(a, b, f"grads[{k}] for {label}", atol=1e-9)
                if problem:
                    each = [g * min(1.0, 1.0 / np.linalg.norm(g)) for g in grads]
                    if np.allclose(np.asarray(a, dtype=float), each[k]):
                        return "you clipped each array on its own; use one norm over all of them together."
                    return problem
        return None
    return run_check("clip by global norm", check, hints=(
        "compute ONE norm over all the arrays together, then multiply every array by the same factor, "
        "which is never above 1 (small gradients stay as they are).",
        "total = np.sqrt(sum(np.sum(g**2) for g in grads)); scale = min(1, max_norm / total); "
        "return [g * scale for g in grads]"))
