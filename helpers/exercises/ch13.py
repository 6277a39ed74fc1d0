r"""Exercises for notebook 13 (compression): checks with specific feedback, and the reference solutions.

1. :func:`check_soft_targets`: the softmax at temperature :math:`T`, stable for large logits.
2. :func:`check_quantize_int8`: per-tensor affine int8 quantization of a vector.

Each check takes the learner's function, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.compression.distill import soft_targets
from helpers.compression.quantize import affine_params, quantize
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["solution_soft_targets", "check_soft_targets", "solution_quantize_int8", "check_quantize_int8"]


# ----------------------------------------------------------------------------- 1. soft targets
def solution_soft_targets(z: np.ndarray, T: float) -> np.ndarray:
    """The softmax at temperature T along the last axis: p_k = exp(z_k / T) / sum_j exp(z_j / T).

    Dividing by T > 1 shrinks the gaps between logits, so the runner-up classes get a visible share.
    Subtracting each row's maximum changes nothing mathematically (it cancels between numerator and
    denominator) but keeps every exponent <= 0, so exp(4000) never overflows to inf.
    """
    u = z / T
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def check_soft_targets(fn: Callable[[np.ndarray, float], np.ndarray]) -> Feedback:
    """Check ``fn(z, T)`` for T = 1, 4, 20 on ordinary logits and on logits of ±4000."""
    z = np.array([[2.0, 1.0, -1.0, 0.5], [4000.0, -4000.0, 3996.0, 0.0]])

    def check() -> str | None:
        for T in (1.0, 4.0, 20.0):
            got = answer(fn(z[:1], T))
            if T != 1.0 and np.allclose(np.asarray(got, dtype=float), soft_targets(z[:1], 1.0)):
                return f"at T = {T} you returned the ordinary softmax: divide the logits by T first."
            problem = close_enough(got, soft_targets(z[:1], T), f"soft targets at T = {T}")
            if problem:
                return problem
        return close_enough(answer(fn(z, 4.0)), soft_targets(z, 4.0), "soft targets for logits of ±4000")

    return run_check("soft targets", check,
                     hints=("two steps: scale the logits by the temperature, then an ordinary softmax; what keeps "
                            "exp from overflowing at 4000?",
                            "u = z / T; e = np.exp(u - u.max(axis=-1, keepdims=True)); "
                            "return e / e.sum(axis=-1, keepdims=True)."))


# ----------------------------------------------------------------------------- 2. int8 quantization
def solution_quantize_int8(x: np.ndarray) -> np.ndarray:
    """Per-tensor affine int8 codes q = clamp(round(x / s) + z, -128, 127).

    The range [lo, hi] is widened to contain 0 (so a weight of exactly 0 gets an exact code); the
    scale s spreads it over the 255 steps between -128 and 127, and the zero point z is the code that
    0 maps to, chosen so that lo lands on -128. A constant-zero input would give s = 0, so it gets
    s = 1. Rounding moves each value by at most s / 2.
    """
    lo, hi = min(x.min(), 0.0), max(x.max(), 0.0)
    s = (hi - lo) / 255 if hi > lo else 1.0
    z = -128 - np.round(lo / s)
    return np.clip(np.round(x / s) + z, -128, 127).astype(np.int8)


def check_quantize_int8(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(x)`` (int8 codes) on a mixed-sign vector and on an all-positive one."""
    cases = [np.array([-1.0, -0.25, 0.0, 0.4, 2.0]), np.array([0.5, 1.0, 3.0])]

    def check() -> str | None:
        for x in cases:
            got = np.asarray(answer(fn(x)))
            scale, zp = affine_params(x.min(), x.max())
            want = quantize(x, scale, zp)
            if got.shape == want.shape and np.all(np.abs(got.astype(np.int64) - want) <= 1) and got.min() >= -128 \
                    and got.max() <= 127:
                continue  # a rounding tie may go either way
            if got.shape == want.shape and (got.min() < -128 or got.max() > 127):
                return f"codes must lie in [-128, 127], got {got.min()} to {got.max()}: clamp them."
            return close_enough(got, want, f"codes of {x.tolist()}", atol=0.5, rtol=0) or "wrong codes."
        return None

    return run_check("int8 quantization", check,
                     hints=("the smallest value (or 0, whichever is lower) must map to -128 and the largest (or 0) "
                            "to 127: what scale and zero point do that?",
                            "lo, hi = min(x.min(), 0), max(x.max(), 0); s = (hi - lo) / 255; z = -128 - round(lo / s); "
                            "q = clip(round(x / s) + z, -128, 127) as int8."))
