r"""2-D convolution and pooling from scratch (notebook 09), forward and backward, in NumPy.

Deep-learning "convolution" is a sliding dot product (strictly a cross-correlation: the kernel
is not flipped, as in ``torch.nn.functional.conv2d``). For an input ``x`` of shape (N, C, H, W),
weights ``w`` of shape (C_out, C, kH, kW) and a bias ``b`` of shape (C_out,):

.. math::
    y[n, o, i, j] = b[o] + \sum_{c, u, v} w[o, c, u, v]\; x_p[n, c,\; i s_h + u d_h,\; j s_w + v d_w]

where :math:`x_p` is ``x`` zero-padded by ``padding``, :math:`s` the stride and :math:`d` the
dilation. Two implementations compute it:

* :func:`conv2d_naive` / :func:`conv2d_naive_backward`: four loops, one dot product per output
  pixel, written to be read;
* :func:`conv2d_forward` / :func:`conv2d_backward`: **im2col**, which copies every receptive field
  into a column (:func:`im2col`) so that the whole layer is one matrix product, and scatters the
  columns' gradient back with :func:`col2im` (a loop over the kH·kW kernel offsets, each a strided
  slice-add, which is much faster than ``np.add.at``).

Max and average pooling reuse the same columns. Layout NCHW; ``stride``, ``padding`` and
``dilation`` are an int or an (h, w) pair, as in PyTorch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from helpers.core.checks import check_array, check_range, check_type

__all__ = ["conv_output_size", "receptive_field", "conv2d_naive", "NaiveConvCache", "conv2d_naive_forward",
           "conv2d_naive_backward", "im2col",
           "col2im", "ConvCache", "conv2d_forward", "conv2d_backward", "conv2d", "PoolCache", "maxpool2d_forward",
           "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward"]

Pair = tuple[int, int]


# ----------------------------------------------------------------------------- arithmetic
def _pair(value: Any, name: str, low: int) -> Pair:
    """An int or an (h, w) pair of ints >= ``low`` -> (h, w)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
    for v in values:
        check_range(v, name, low, None, integer=True)
    return int(values[0]), int(values[1])


def _check_conv_geometry(size: int, kernel_size: int, stride: int, padding: int, dilation: int) -> None:
    check_range(size, "size", 1, None, integer=True)
    check_range(kernel_size, "kernel_size", 1, None, integer=True)
    check_range(stride, "stride", 1, None, integer=True)
    check_range(padding, "padding", 0, None, integer=True)
    check_range(dilation, "dilation", 1, None, integer=True)
    span = dilation * (kernel_size - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(f"the kernel spans {span} pixels (kernel_size={kernel_size}, dilation={dilation}) "
                         f"but the padded input has only {size + 2 * padding} (size={size}, padding={padding}): "
                         "expected a kernel span <= size + 2*padding")


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    r"""Length of a convolution's (or pooling's) output along one axis.

    .. math::
        n_\text{out} = \left\lfloor \frac{n + 2p - d(k - 1) - 1}{s} \right\rfloor + 1

    The dilated kernel spans :math:`d(k-1)+1` pixels; it fits at
    :math:`n + 2p - d(k-1)` positions, of which every :math:`s`-th is used.

    Raises:
        ValueError: if the dilated kernel is larger than the padded input (no output at all).

    Example:
        >>> conv_output_size(28, 3, stride=2, padding=1)
        14
    """
    _check_conv_geometry(size, kernel_size, stride, padding, dilation)
    span = dilation * (kernel_size - 1) + 1  # pixels the dilated kernel covers
    return (size + 2 * padding - span) // stride + 1


def receptive_field(kernel_sizes: list[int], strides: list[int] | None = None,
                    dilations: list[int] | None = None) -> int:
    r"""Receptive field (in input pixels, along one axis) of one output pixel of a stack of layers.

    .. math::
        r_L = 1 + \sum_{l=1}^{L} (k_l - 1)\, d_l \prod_{m<l} s_m

    Each layer widens the field by its kernel's dilated reach, measured in the input pixels that
    one step of its own input corresponds to (the product of the earlier strides).

    Example:
        >>> receptive_field([3, 3, 3])             # three 3x3 convolutions see 7x7
        7
        >>> receptive_field([3, 3, 3], dilations=[1, 2, 4])
        15
    """
    if len(kernel_sizes) == 0:
        raise ValueError("kernel_sizes must list at least one layer, got an empty list")
    n = len(kernel_sizes)
    strides = [1] * n if strides is None else list(strides)
    dilations = [1] * n if dilations is None else list(dilations)
    if len(strides) != n or len(dilations) != n:
        raise ValueError(f"expected {n} strides and {n} dilations (one per kernel), "
                         f"got {len(strides)} and {len(dilations)}")
    field, jump = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        check_range(k, "kernel size", 1, None, integer=True)
        check_range(s, "stride", 1, None, integer=True)
        check_range(d, "dilation", 1, None, integer=True)
        field += (k - 1) * d * jump
        jump *= s
    return int(field)


def _check_conv(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any):
    """Validate a convolution's arguments; return arrays in one float dtype and the geometry."""
    x = check_array(x, "x", ndim=4)
    w = check_array(w, "w", ndim=4)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have shape (C_out, C={x.shape[1]}, kH, kW) to match x's {x.shape[1]} "
                         f"channel(s), got w.shape = {w.shape}")
    dtype = np.result_type(x, w)
    if b is not None:
        b = check_array(b, "b", shape=(w.shape[0],))
        dtype = np.result_type(dtype, b)
        b = b.astype(dtype, copy=False)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    out = tuple(conv_output_size(x.shape[2 + a], w.shape[2 + a], s[a], p[a], d[a]) for a in (0, 1))
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, s, p, d, out


def _pad(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    if padding == (0, 0):
        return x
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


# ----------------------------------------------------------------------------- loops, to read
def conv2d_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int | Pair = 1,
                 padding: int | Pair = 0, dilation: int | Pair = 1) -> np.ndarray:
    r"""2-D convolution with explicit loops: one dot product per output pixel (slow; for teaching).

    .. math::
        y[n, o, i, j] = b[o] + \sum_{c, u, v} w[o, c, u, v]\, x_p[n, c, i s_h + u d_h, j s_w + v d_w]

    Shape:
        x: (N, C, H, W); w: (C_out, C, kH, kW); b: (C_out,) or None;
        output: (N, C_out, H_out, W_out), sizes from :func:`conv_output_size`.
    """
    x, w, b, (sh, sw), p, (dh, dw), (Ho, Wo) = _check_conv(x, w, b, stride, padding, dilation)
    N, C_out = x.shape[0], w.shape[0]
    kh, kw = w.shape[2:]
    xp = _pad(x, p)
    y = np.zeros((N, C_out, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for o in range(C_out):
            for i in range(Ho):
                for j in range(Wo):
                    # the receptive field: kH x kW pixels, dilation apart, in every channel
                    patch = xp[n, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    y[n, o, i, j] = np.sum(patch * w[o])
    return y if b is None else y + b[None, :, None, None]


@dataclass(frozen=True)
class NaiveConvCache:
    """What :func:`conv2d_naive_backward` needs: the inputs and the geometry."""

    x: np.ndarray        # (N, C, H, W)
    w: np.ndarray        # (C_out, C, kH, kW)
    stride: Pair
    padding: Pair
    dilation: Pair


def conv2d_naive_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int | Pair = 1,
                         padding: int | Pair = 0, dilation: int | Pair = 1) -> tuple[np.ndarray, NaiveConvCache]:
    """:func:`conv2d_naive` returning ``(y, cache)`` for :func:`conv2d_naive_backward`."""
    x, w, _, s, p, d, _ = _check_conv(x, w, b, stride, padding, dilation)
    return conv2d_naive(x, w, b, stride, padding, dilation), NaiveConvCache(x, w, s, p, d)


def conv2d_naive_backward(dy: np.ndarray, cache: NaiveConvCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`conv2d_naive` with the same loops, run backwards.

    Each output pixel used one patch and the whole kernel, so it sends
    :math:`\partial L/\partial y \cdot w` back into its patch (added: patches overlap) and
    :math:`\partial L/\partial y \cdot \text{patch}` into the kernel; the bias gets the sum of ``dy``.

    Shape:
        dy: (N, C_out, H_out, W_out); returns dx (N, C, H, W), dw (C_out, C, kH, kW), db (C_out,).
    """
    if not isinstance(cache, NaiveConvCache):
        raise ValueError(f"cache must be the NaiveConvCache that conv2d_naive_forward returned, got {type(cache).__name__}")
    x, w, stride, padding, dilation = cache.x, cache.w, cache.stride, cache.padding, cache.dilation
    x, w, _, (sh, sw), p, (dh, dw), out_hw = _check_conv(x, w, None, stride, padding, dilation)
    dy = check_array(dy, "dy", shape=(x.shape[0], w.shape[0], *out_hw))
    kh, kw = w.shape[2:]
    xp = _pad(x, p)
    dxp, dW = np.zeros_like(xp), np.zeros_like(w)
    for n in range(dy.shape[0]):
        for o in range(dy.shape[1]):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    dxp[n, :, rows, cols] += dy[n, o, i, j] * w[o]
                    dW[o] += dy[n, o, i, j] * xp[n, :, rows, cols]
    H, W = x.shape[2:]
    return dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W], dW, dy.sum(axis=(0, 2, 3))


# ----------------------------------------------------------------------------- im2col, to run
def _windows(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
    """For each kernel offset (u, v): the strided row and column slices it touches in the padded input."""
    (kh, kw), (sh, sw), (dh, dw), (Ho, Wo) = kernel, stride, dilation, out_hw
    for u in range(kh):
        for v in range(kw):
            yield u, v, slice(u * dh, u * dh + sh * (Ho - 1) + 1, sh), slice(v * dw, v * dw + sw * (Wo - 1) + 1, sw)


def im2col(x: np.ndarray, kernel_size: int | Pair, stride: int | Pair = 1, padding: int | Pair = 0,
           dilation: int | Pair = 1, pad_value: float = 0.0) -> np.ndarray:
    r"""Copy every receptive field of ``x`` into a column, so a convolution becomes a matrix product.

    Row :math:`(c, u, v)` of column :math:`(i, j)` holds :math:`x_p[n, c, i s_h + u d_h, j s_w + v d_w]`.
    Built with one strided slice per kernel offset (kH·kW copies), not one per output pixel.

    Shape:
        x: (N, C, H, W) -> columns (N, C·kH·kW, H_out·W_out).
    """
    x = check_array(x, "x", ndim=4)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    N, C, H, W = x.shape
    out_hw = (conv_output_size(H, kh, s[0], p[0], d[0]), conv_output_size(W, kw, s[1], p[1], d[1]))
    xp = _pad(x, p, pad_value)
    cols = np.empty((N, C, kh, kw, *out_hw), dtype=x.dtype)
    for u, v, rows, columns in _windows((kh, kw), s, d, out_hw):
        cols[:, :, u, v] = xp[:, :, rows, columns]  # (N, C, H_out, W_out)
    return cols.reshape(N, C * kh * kw, out_hw[0] * out_hw[1])  # (N, C·kH·kW, H_out·W_out)


def col2im(cols: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: int | Pair,
           stride: int | Pair = 1, padding: int | Pair = 0, dilation: int | Pair = 1) -> np.ndarray:
    r"""The adjoint of :func:`im2col`: add every column entry back onto the pixel it was copied from.

    Overlapping receptive fields make several entries land on one pixel; their sum is exactly the
    gradient with respect to that pixel. A loop over the kH·kW offsets, each a strided slice-add.

    Shape:
        cols: (N, C·kH·kW, H_out·W_out) -> (N, C, H, W) = ``x_shape``.
    """
    N, C, H, W = (int(v) for v in x_shape)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    s, p, d = _pair(stride, "stride", 1), _pair(padding, "padding", 0), _pair(dilation, "dilation", 1)
    out_hw = (conv_output_size(H, kh, s[0], p[0], d[0]), conv_output_size(W, kw, s[1], p[1], d[1]))
    cols = check_array(cols, "cols", shape=(N, C * kh * kw, out_hw[0] * out_hw[1]))
    # Why the transposes: a slice-add whose innermost axis is a short image row (W_out pixels)
    # spends most of its time in loop overhead. With (N, C) innermost every add runs over long
    # contiguous blocks; the two transposing copies cost less than they save (about 5x here).
    cols = np.ascontiguousarray(cols.reshape(N, C, kh, kw, *out_hw).transpose(2, 3, 4, 5, 0, 1))
    #      ^ (kH, kW, H_out, W_out, N, C)
    xp = np.zeros((H + 2 * p[0], W + 2 * p[1], N, C), dtype=cols.dtype)  # (H_pad, W_pad, N, C)
    for u, v, rows, columns in _windows((kh, kw), s, d, out_hw):
        xp[rows, columns] += cols[u, v]
    return np.ascontiguousarray(xp[p[0]:p[0] + H, p[1]:p[1] + W].transpose(2, 3, 0, 1))  # (N, C, H, W)


@dataclass(frozen=True)
class ConvCache:
    """What :func:`conv2d_backward` needs from the forward pass."""

    x_shape: tuple[int, int, int, int]
    w: np.ndarray
    cols: np.ndarray
    stride: Pair
    padding: Pair
    dilation: Pair
    has_bias: bool


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int | Pair = 1,
                   padding: int | Pair = 0, dilation: int | Pair = 1) -> tuple[np.ndarray, ConvCache]:
    r"""2-D convolution by im2col: :math:`Y_n = W_\text{mat}\, \text{cols}(x_n) + b`.

    Same definition as :func:`conv2d_naive`; the kernel becomes a (C_out, C·kH·kW) matrix and
    every receptive field a column, so one (batched) matrix product does all the dot products.

    Shape:
        x: (N, C, H, W); w: (C_out, C, kH, kW); b: (C_out,) or None;
        returns y (N, C_out, H_out, W_out) and the cache for :func:`conv2d_backward`.

    Example:
        >>> y, cache = conv2d_forward(np.ones((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), padding=1)
        >>> y.shape, y[0, 0, 2, 2]
        ((1, 2, 5, 5), np.float64(9.0))
    """
    x, w, b, s, p, d, (Ho, Wo) = _check_conv(x, w, b, stride, padding, dilation)
    cols = im2col(x, w.shape[2:], s, p, d)                  # (N, C·kH·kW, H_out·W_out)
    y = w.reshape(w.shape[0], -1) @ cols                    # (N, C_out, H_out·W_out)
    if b is not None:
        y += b[:, None]
    cache = ConvCache(x.shape, w, cols, s, p, d, b is not None)
    return y.reshape(x.shape[0], w.shape[0], Ho, Wo), cache  # (N, C_out, H_out, W_out)


def conv2d_backward(dy: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Gradients of :func:`conv2d_forward` given :math:`\partial L/\partial y`.

    .. math::
        \frac{\partial L}{\partial W_\text{mat}} = \sum_n \frac{\partial L}{\partial Y_n}\,\text{cols}_n^\top,\qquad
        \frac{\partial L}{\partial \text{cols}_n} = W_\text{mat}^\top \frac{\partial L}{\partial Y_n},\qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \frac{\partial L}{\partial y_{n,o,i,j}}

    and :func:`col2im` folds the columns' gradient back onto the input.

    Shape:
        dy: (N, C_out, H_out, W_out); returns dx (N, C, H, W), dw (C_out, C, kH, kW),
        db (C_out,) (None if the forward pass had no bias).
    """
    if not isinstance(cache, ConvCache):
        raise ValueError(f"cache must be the ConvCache returned by conv2d_forward, got {type(cache).__name__}")
    C_out, L = cache.w.shape[0], cache.cols.shape[2]
    dy = check_array(dy, "dy", ndim=4)
    if dy.shape[:2] != (cache.x_shape[0], C_out) or dy.shape[2] * dy.shape[3] != L:
        raise ValueError(f"dy must have the forward output's shape (N={cache.x_shape[0]}, C_out={C_out}, "
                         f"H_out, W_out) with H_out·W_out = {L}, got {dy.shape}")
    dy = dy.astype(cache.cols.dtype, copy=False).reshape(dy.shape[0], C_out, L)  # (N, C_out, H_out·W_out)
    w_mat = cache.w.reshape(C_out, -1)                                           # (C_out, C·kH·kW)
    # a batched product summed over N: much faster than einsum/tensordot, which copy both operands
    dw = (dy @ cache.cols.transpose(0, 2, 1)).sum(axis=0).reshape(cache.w.shape)  # (C_out, C, kH, kW)
    dcols = w_mat.T @ dy                                                         # (N, C·kH·kW, H_out·W_out)
    dx = col2im(dcols, cache.x_shape, cache.w.shape[2:], cache.stride, cache.padding, cache.dilation)
    db = dy.sum(axis=(0, 2)) if cache.has_bias else None
    return dx, dw, db


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int | Pair = 1,
           padding: int | Pair = 0, dilation: int | Pair = 1) -> np.ndarray:
    """The output of :func:`conv2d_forward` alone (the drop-in for ``torch.nn.functional.conv2d``)."""
    return conv2d_forward(x, w, b, stride, padding, dilation)[0]


# ----------------------------------------------------------------------------- pooling
def _check_pool(x: Any, kernel_size: Any, stride: Any, padding: Any):
    x = check_array(x, "x", ndim=4)
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding must be at most half the kernel size (<= {(k[0] // 2, k[1] // 2)}) "
                         f"so that no window is all padding, got {p}")
    return x, k, s, p


def _pool_columns(x: np.ndarray, k: Pair, s: Pair, p: Pair, pad_value: float) -> np.ndarray:
    """Every channel pooled on its own: treat (N, C) as N·C one-channel images."""
    N, C, H, W = x.shape
    # x as (N·C, 1, H, W) -> columns (N·C, kH·kW, H_out·W_out)
    return im2col(x.reshape(N * C, 1, H, W), k, s, p, 1, pad_value)


@dataclass(frozen=True)
class PoolCache:
    """What the pooling backward passes need (``arg`` only for max pooling)."""

    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    out_hw: tuple[int, int]             # (H_out, W_out)
    kernel: Pair
    stride: Pair
    padding: Pair
    arg: np.ndarray | None = None       # (N·C, H_out·W_out) index of each window's maximum


def maxpool2d_forward(x: np.ndarray, kernel_size: int | Pair = 2, stride: int | Pair | None = None,
                      padding: int | Pair = 0) -> tuple[np.ndarray, PoolCache]:
    r"""Max pooling: :math:`y[n, c, i, j] = \max_{u, v} x_p[n, c, i s_h + u, j s_w + v]`.

    Padding counts as :math:`-\infty` (never the maximum). ``stride`` defaults to the kernel size.

    Shape:
        x: (N, C, H, W) -> y (N, C, H_out, W_out), and a cache for :func:`maxpool2d_backward`.
    """
    x, k, s, p = _check_pool(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    cols = _pool_columns(x, k, s, p, -np.inf)
    arg = cols.argmax(axis=1)                   # (N·C, H_out·W_out): first maximum, as in PyTorch
    y = np.take_along_axis(cols, arg[:, None, :], axis=1)[:, 0]
    out_hw = (conv_output_size(H, k[0], s[0], p[0]), conv_output_size(W, k[1], s[1], p[1]))
    return y.reshape(N, C, *out_hw), PoolCache(x.shape, out_hw, k, s, p, arg)  # (N, C, H_out, W_out)


def maxpool2d_backward(dy: np.ndarray, cache: PoolCache) -> np.ndarray:
    r"""Gradient of max pooling: each window's gradient goes to its maximum (the arg-max), all
    other pixels get 0; a pixel that is the maximum of several overlapping windows gets the sum.

    Shape:
        dy: (N, C, H_out, W_out) -> dx (N, C, H, W).
    """
    check_type(cache, "cache", PoolCache, "the PoolCache from maxpool2d_forward")
    x_shape, out_hw, arg, k, s, p = cache.x_shape, cache.out_hw, cache.arg, cache.kernel, cache.stride, cache.padding
    N, C, H, W = x_shape
    dy = check_array(dy, "dy", ndim=4)
    if dy.shape != (N, C, *out_hw):
        raise ValueError(f"dy must have the pooled output's shape {(N, C, *out_hw)}, got {dy.shape}")
    dcols = np.zeros((N * C, k[0] * k[1], arg.shape[1]), dtype=dy.dtype)  # (N·C, kH·kW, H_out·W_out)
    np.put_along_axis(dcols, arg[:, None, :], dy.reshape(N * C, 1, -1), axis=1)  # dy as (N·C, 1, H_out·W_out)
    return col2im(dcols, (N * C, 1, H, W), k, s, p).reshape(x_shape)  # (N·C, 1, H, W) -> (N, C, H, W)


def avgpool2d_forward(x: np.ndarray, kernel_size: int | Pair = 2, stride: int | Pair | None = None,
                      padding: int | Pair = 0) -> tuple[np.ndarray, PoolCache]:
    r"""Average pooling: :math:`y[n, c, i, j] = \frac{1}{k_h k_w} \sum_{u, v} x_p[n, c, i s_h + u, j s_w + v]`.

    Zero padding counts in the average (PyTorch's default ``count_include_pad=True``).

    Shape:
        x: (N, C, H, W) -> y (N, C, H_out, W_out), and a cache for :func:`avgpool2d_backward`.
    """
    x, k, s, p = _check_pool(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    y = _pool_columns(x, k, s, p, 0.0).mean(axis=1)  # (N·C, H_out·W_out)
    out_hw = (conv_output_size(H, k[0], s[0], p[0]), conv_output_size(W, k[1], s[1], p[1]))
    return y.reshape(N, C, *out_hw), PoolCache(x.shape, out_hw, k, s, p)  # (N, C, H_out, W_out)


def avgpool2d_backward(dy: np.ndarray, cache: PoolCache) -> np.ndarray:
    r"""Gradient of average pooling: each window shares its gradient equally, :math:`1/(k_h k_w)`
    per pixel, summed where windows overlap.

    Shape:
        dy: (N, C, H_out, W_out) -> dx (N, C, H, W).
    """
    check_type(cache, "cache", PoolCache, "the PoolCache from avgpool2d_forward")
    x_shape, out_hw, k, s, p = cache.x_shape, cache.out_hw, cache.kernel, cache.stride, cache.padding
    N, C, H, W = x_shape
    dy = check_array(dy, "dy", ndim=4)
    if dy.shape != (N, C, *out_hw):
        raise ValueError(f"dy must have the pooled output's shape {(N, C, *out_hw)}, got {dy.shape}")
    share = dy.reshape(N * C, 1, -1) / (k[0] * k[1])                     # (N·C, 1, H_out·W_out)
    dcols = np.broadcast_to(share, (N * C, k[0] * k[1], share.shape[2]))  # (N·C, kH·kW, H_out·W_out)
    return col2im(dcols, (N * C, 1, H, W), k, s, p).reshape(x_shape)  # (N·C, 1, H, W) -> (N, C, H, W)
