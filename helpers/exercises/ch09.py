r"""Exercises for notebook 09 (convolutional networks): self-checks and reference solutions.

1. :func:`check_output_size`: the output-size formula with padding, stride and dilation.
2. :func:`check_correlate2d`: a one-channel "valid" convolution (a sliding dot product) with loops.
3. :func:`check_separable_params`: the parameter count of a depthwise-separable convolution.

Each ``check_*`` prints specific feedback and returns a :class:`~helpers.exercises.Feedback`; it
never raises, and an answer still set to ``...`` reads as "not attempted yet".
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from helpers.cnn.conv import conv2d, conv_output_size
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_output_size", "output_size_solution", "check_correlate2d", "correlate2d_solution",
           "check_separable_params", "separable_params_solution"]


# ----------------------------------------------------------------------------- 1. output size
def output_size_solution(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    r""":math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1`: the dilated kernel spans :math:`d(k-1)+1`
    pixels, fits at :math:`n + 2p - d(k-1)` positions, and every :math:`s`-th one is used."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def check_output_size(fn: Callable[..., int]) -> Feedback:
    """``fn(n, k, s, p, d)`` must give the output length for every combination tried."""
    def check() -> str | None:
        for n, k, s, p, d in itertools.product([5, 8, 28], [1, 3, 4], [1, 2, 3], [0, 1, 2], [1, 2]):
            if d * (k - 1) + 1 > n + 2 * p:
                continue
            want = conv_output_size(n, k, s, p, d)
            got = answer(fn(n, k, s, p, d))
            if isinstance(got, float) and not float(got).is_integer():
                return f"for n={n}, k={k}, s={s}, p={p}, d={d} you return {got}: round down (floor) to a whole pixel count."
            if got == want:
                continue
            where = f"for n={n}, k={k}, s={s}, p={p}, d={d} you give {got}, expected {want}"
            if got == (n + 2 * p - k) // s + 1:
                return f"{where}: dilation d spreads the kernel over d(k-1)+1 pixels."
            if got == (n + p - d * (k - 1) - 1) // s + 1:
                return f"{where}: padding is added on both sides (2p)."
            if got == want - 1:
                return f"{where}: one short; count the first position too (the + 1)."
            return f"{where}."
        return None
    return run_check("output size", check, hint="the dilated kernel spans d(k-1)+1 pixels of the padded input n + 2p.")


# ----------------------------------------------------------------------------- 2. correlate2d
def correlate2d_solution(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    r"""Valid cross-correlation: :math:`y[i, j] = \sum_{u, v} w[u, v]\, x[i + u, j + v]`, the kernel
    not flipped (what deep-learning libraries call convolution). Shape: (H, W), (kH, kW) ->
    (H - kH + 1, W - kW + 1)."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def check_correlate2d(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """``fn(image, kernel)`` on non-square images and kernels, compared with :func:`helpers.cnn.conv.conv2d`."""
    def check() -> str | None:
        rng = np.random.default_rng(9)
        for shape, kshape in (((6, 6), (3, 3)), ((5, 8), (2, 3)), ((7, 4), (4, 1))):
            x, w = rng.normal(size=shape), rng.normal(size=kshape)
            want = conv2d(x[None, None], w[None, None])[0, 0]
            got = np.asarray(answer(fn(x, w)), dtype=np.float64)
            if got.shape == shape:
                return f"the output has the input's shape {shape}; without padding it shrinks to {want.shape}."
            if got.shape == want.shape and np.allclose(got, conv2d(x[None, None], w[::-1, ::-1][None, None])[0, 0]):
                return ("you flipped the kernel: that is the mathematician's convolution. Deep-learning "
                        "'convolution' slides the kernel as it is (a cross-correlation).")
            problem = close_enough(got, want, f"the output for a {shape} image and a {kshape} kernel", atol=1e-9)
            if problem:
                return problem
        return None
    return run_check("2-D sliding dot product", check,
                     hint="y[i, j] = np.sum(image[i:i+kH, j:j+kW] * kernel) for every valid (i, j).")


# ----------------------------------------------------------------------------- 3. separable params
def separable_params_solution(c_in: int, c_out: int, k: int) -> int:
    r"""Depthwise: one :math:`k \times k` kernel and one bias per input channel,
    :math:`C_\text{in}(k^2 + 1)`; pointwise: a 1×1 convolution, :math:`C_\text{out}(C_\text{in} + 1)`."""
    return c_in * (k * k + 1) + c_out * (c_in + 1)


def check_separable_params(fn: Callable[[int, int, int], int]) -> Feedback:
    """``fn(c_in, c_out, k)``: parameters (biases included) of a depthwise-separable convolution."""
    def check() -> str | None:
        for c_in, c_out, k in ((3, 8, 3), (32, 64, 3), (16, 16, 5), (1, 4, 7)):
            got, want = answer(fn(c_in, c_out, k)), separable_params_solution(c_in, c_out, k)
            if got == want:
                continue
            where = f"for c_in={c_in}, c_out={c_out}, k={k} you give {got}, expected {want}"
            if got == c_out * c_in * k * k + c_out:
                return f"{where}: that is a full convolution; the depthwise part has one k×k kernel per input channel only."
            if got == c_in * k * k + c_in * c_out:
                return f"{where}: add the biases, one per depthwise channel and one per output channel."
            return f"{where}."
        return None
    return run_check("depthwise-separable parameters", check,
                     hint="count the two layers apart: depthwise k×k (groups = c_in), then pointwise 1×1.")
