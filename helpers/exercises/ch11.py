r"""Exercises for notebook 11 (attention and the transformer): checks and solutions.

1. :func:`check_causal_mask`: build the mask that stops a language model from reading the future.
2. :func:`check_attention_weights`: :math:`\mathrm{softmax}(QK^\top/\sqrt{d_k})` for one head.
3. :func:`check_mha_parameter_count`: count the weights of a multi-head attention layer.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.transformer.attention import causal_mask, masked_softmax
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["causal_mask_solution", "check_causal_mask", "attention_weights_solution", "check_attention_weights",
           "MHA_SIZE", "mha_parameter_count_solution", "check_mha_parameter_count"]


# ----------------------------------------------------------------------------- exercise 1
def causal_mask_solution(T: int) -> np.ndarray:
    """The causal mask: ``mask[t, s]`` is True when query t may attend to key s, i.e. when s <= t.

    Row t is the position being computed, column s a position it might read. A language model
    predicting the character after position t must not read any later position, so row t keeps
    columns 0..t: the lower triangle, diagonal included (a position may read itself).
    ``np.tril`` keeps exactly that part of an all-True matrix.

    Shape: T -> (T, T) booleans.
    """
    return np.tril(np.ones((T, T), dtype=bool))   # row t: True for s = 0..t


def check_causal_mask(fn: Callable[[int], np.ndarray]) -> Feedback:
    """Try ``fn(T)`` for several T against the lower-triangular boolean mask."""
    def check():
        for T in (1, 2, 5):
            got = answer(fn(T))
            got = np.asarray(got)
            want = causal_mask(T)
            if got.shape != want.shape:
                return f"for T = {T} the mask should have shape {want.shape}, got {got.shape}."
            if got.dtype != bool:
                return f"the mask should hold booleans (True = may attend), got dtype {got.dtype}."
            if np.array_equal(got, want.T) and T > 1:
                return "it is transposed: row t is the query, and it may look at columns s <= t (the past)."
            if np.array_equal(got, ~want):
                return "True and False are swapped: True should mean 'may attend'."
            if np.array_equal(got, np.tril(np.ones((T, T), dtype=bool), -1)):
                return "the diagonal is missing: a position may attend to itself."
            if not np.array_equal(got, want):
                return f"for T = {T} expected\n{want.astype(int)}\n   got\n{got.astype(int)}"
        return None
    return run_check("causal mask", check, hints=(
        "row t is the query. Which columns s are in its past or present? Draw the T = 3 case as a "
        "grid of True/False first.",
        "the lower triangle, diagonal included: np.tril(np.ones((T, T), dtype=bool))"))


# ----------------------------------------------------------------------------- exercise 2
def attention_weights_solution(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    r"""Attention weights :math:`P = \mathrm{softmax}(QK^\top/\sqrt{d_k})`, one row per query.

    ``q @ k.T`` compares every query with every key by a dot product, (T_q, d_k) @ (d_k, T_k). The
    division by :math:`\sqrt{d_k}` keeps the scores' variance near 1, so the softmax does not
    saturate. The softmax runs along each row (over the keys), so each query's weights sum to 1.
    Subtracting the row maximum first changes nothing mathematically (it cancels in the ratio) but
    keeps ``np.exp`` from overflowing when scores are in the thousands.

    Shape: q (T_q, d_k), k (T_k, d_k) -> (T_q, T_k).
    """
    scores = q @ k.T / np.sqrt(q.shape[-1])             # (T_q, T_k)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_attention_weights(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Call ``fn(q, k)`` with q (3, 4) and k (5, 4) (plus a large-score case) and compare the weights."""
    def check():
        rng = np.random.default_rng(11)
        q, k = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
        got = np.asarray(answer(fn(q, k)), dtype=np.float64)
        want = masked_softmax(q @ k.T / 2.0)
        if got.shape == (5, 3):
            return "the shape is (T_k, T_q): rows should be queries, so compute q @ k.T."
        if got.shape == want.shape and np.allclose(got, masked_softmax(q @ k.T)):
            return "forgot the scaling: divide the scores by sqrt(d_k) = 2 before the softmax."
        if got.shape == want.shape and np.allclose(got.sum(axis=0), 1):
            return "the softmax runs over the wrong axis: each ROW (one query) should sum to 1."
        problem = close_enough(got, want, "attention weights")
        if problem:
            return problem
        with np.errstate(over="ignore", invalid="ignore"):  # the NaN is reported in words below
            big = np.asarray(fn(q * 1e3, k * 1e3), dtype=np.float64)
        if not np.all(np.isfinite(big)):
            return "scores in the thousands give NaN: subtract each row's maximum before np.exp."
        return None
    return run_check("attention weights", check, hints=(
        "first the scores: every query against every key, scaled by sqrt(d_k). Then a softmax in which "
        "each query's row sums to 1, computed so that exp never sees a huge number.",
        "scores = q @ k.T / np.sqrt(q.shape[1]); e = np.exp(scores - scores.max(axis=1, keepdims=True)); "
        "return e / e.sum(axis=1, keepdims=True)"))


# ----------------------------------------------------------------------------- exercise 3
MHA_SIZE = dict(D=64, h=4)  # the layer exercise 3 asks about


def mha_parameter_count_solution(D: int = 64, h: int = 4) -> int:
    r"""Parameters of multi-head attention with width D and h heads: :math:`4D^2 + 4D`.

    The queries, keys and values each come from a D x D projection with a bias of length D
    (PyTorch stacks them in one (3D, D) ``in_proj_weight``), and the output projection is one more
    D x D matrix with a bias. The number of heads does not change the count: the heads split the
    D columns of each projection into h slices of D/h, they do not add weights.
    """
    projections = 3 * (D * D + D)    # W_Q, W_K, W_V and their biases
    output = D * D + D               # W_O and its bias
    return projections + output


def check_mha_parameter_count(count: int) -> Feedback:
    """Check the number of parameters of ``torch.nn.MultiheadAttention(64, 4)``."""
    def check():
        got = answer(count)
        D, h = MHA_SIZE["D"], MHA_SIZE["h"]
        want = mha_parameter_count_solution(D, h)
        if not isinstance(got, (int, np.integer)):
            return f"give a whole number, got {got!r}."
        if got == 4 * D * D:
            return "the four projections are right; now add their biases (D numbers each)."
        if got == 3 * D * D + 3 * D:
            return "that covers Q, K and V; the output projection W_O (D x D + D) is missing."
        if got in (h * (4 * D * D + 4 * D), 4 * D * D // h + 4 * D):
            return "the heads do not multiply (or divide) the count: they split D into h slices."
        if got != want:
            return f"expected a different count than {got}: list the weight matrices and biases."
        return None
    return run_check("parameters of multi-head attention", check, hints=(
        "list every matrix and bias the layer needs to turn x into queries, keys and values, and to mix "
        "the heads' outputs. Does the number of heads change any of their shapes?",
        "four D x D matrices (Q, K, V and output) and four bias vectors of length D: 4*64*64 + 4*64."))
