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
    r"""Output length of a convolution: :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1`.

    Build it in three steps. Padding makes the input :math:`n + 2p` long. Dilation spreads the
    :math:`k` taps :math:`d` apart, so the kernel spans :math:`d(k-1) + 1` pixels and fits at
    :math:`n + 2p - d(k-1)` start positions. A stride :math:`s` keeps positions 0, s, 2s, ...:
    counting the first one, that is :math:`\lfloor (\text{positions} - 1)/s \rfloor + 1`.
    Integer division ``//`` is the floor: a window that would run off the edge is not used.
    """
    padded = n + 2 * p               # zeros on both sides
    span = d * (k - 1) + 1           # pixels covered by the dilated kernel
    positions = padded - span + 1    # start positions with stride 1
    return (positions - 1) // s + 1  # every s-th of them, the first one included


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
    return run_check("output size", check, hints=(
        "draw it for s = 1 first: how many start positions does a kernel spanning `span` pixels have on "
        "a row of n + 2p pixels? Then keep every s-th one.",
        "span = d*(k-1) + 1; positions = n + 2*p - span + 1; answer = (positions - 1) // s + 1."))


# ----------------------------------------------------------------------------- 2. correlate2d
def correlate2d_solution(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    r"""Valid cross-correlation: :math:`y[i, j] = \sum_{u, v} w[u, v]\, x[i + u, j + v]`.

    The output pixel (i, j) is the dot product of the kernel with the window of the image whose
    top-left corner is (i, j). "Valid" means the window must fit entirely inside the image, so
    there are H - kH + 1 rows and W - kW + 1 columns of windows. The kernel is used as it is, not
    flipped: this is what deep-learning libraries call convolution.

    Shape: image (H, W), kernel (kH, kW) -> (H - kH + 1, W - kW + 1).
    """
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
    return run_check("2-D sliding dot product", check, hints=(
        "make an output of shape (H - kH + 1, W - kW + 1), then fill each (i, j) with the dot product of "
        "the kernel and the window whose top-left corner is (i, j).",
        "two loops over i and j; inside: out[i, j] = np.sum(image[i:i + kH, j:j + kW] * kernel)."))


# ----------------------------------------------------------------------------- 3. separable params
def separable_params_solution(c_in: int, c_out: int, k: int) -> int:
    r"""Parameters of a depthwise-separable convolution, biases included.

    It is two layers. The depthwise layer (``groups=c_in``) gives every input channel its own
    :math:`k \times k` kernel and one bias, and never mixes channels: :math:`C_\text{in}(k^2 + 1)`.
    The pointwise layer is a 1×1 convolution that mixes them: each of the :math:`C_\text{out}` outputs
    has one weight per input channel and a bias, :math:`C_\text{out}(C_\text{in} + 1)`. A full
    convolution would need :math:`C_\text{out} C_\text{in} k^2 + C_\text{out}`, about :math:`k^2` times more.
    """
    depthwise = c_in * (k * k + 1)     # one k×k kernel + one bias per input channel
    pointwise = c_out * (c_in + 1)     # a 1×1 convolution: c_in weights + one bias per output
    return depthwise + pointwise


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
    return run_check("depthwise-separable parameters", check, hints=(
        "count the two layers apart: a depthwise k×k layer that never mixes channels, then a pointwise "
        "1×1 layer that does. Do not forget a bias per output channel of each.",
        "depthwise: c_in * (k*k + 1); pointwise: c_out * (c_in + 1); add them."))
