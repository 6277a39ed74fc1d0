r"""Post-training int8 quantization: store each weight as an 8-bit integer plus a scale.

An affine quantizer maps a real interval :math:`[x_{\min}, x_{\max}]` (widened to contain 0, so
that 0 is represented exactly) onto the integers :math:`[q_{\min}, q_{\max}] = [-128, 127]`:

.. math::
    s = \frac{x_{\max} - x_{\min}}{q_{\max} - q_{\min}}, \qquad
    z = q_{\min} - \mathrm{round}(x_{\min}/s),

.. math::
    q = \mathrm{clamp}\big(\mathrm{round}(x/s + z),\; q_{\min}, q_{\max}\big), \qquad
    \hat x = s\,(q - z).

*Per tensor*: one :math:`(s, z)` for the whole weight matrix. *Per channel*: one pair per output
row, which helps when rows have very different ranges. The rounding error of each element is at
most :math:`s/2`. ``round`` is round-half-to-even, like PyTorch's ``nearbyint``; tests compare with
``torch.quantize_per_tensor``, ``torch.quantize_per_channel`` and
``torch.fake_quantize_per_tensor_affine`` (``tests/test_quantize.py``). Notebook 13.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_choice, check_range, check_type

__all__ = ["QMIN", "QMAX", "affine_params", "quantize", "dequantize", "fake_quantize",
           "QuantizedTensor", "quantize_tensor", "quantize_model", "model_size_bytes",
           "int8_linear_model", "buffers_size_bytes"]

QMIN, QMAX = -128, 127


def affine_params(x_min, x_max, qmin: int = QMIN, qmax: int = QMAX) -> tuple[np.ndarray, np.ndarray]:
    r"""Scale :math:`s` and zero point :math:`z` for the range(s) ``[x_min, x_max]``.

    The range is widened to include 0. A zero-width range (an all-zero row) gets :math:`s = 1`
    rather than a division by zero.

    Shape:
        x_min, x_max: () or (C,) -> scale float64 and zero_point int64 of the same shape.
    """
    x_min, x_max = _check_affine(x_min, x_max, qmin, qmax)
    lo, hi = np.minimum(x_min, 0.0), np.maximum(x_max, 0.0)
    scale = (hi - lo) / (qmax - qmin)
    # A range so narrow that 1/s would overflow is treated like a zero-width one; floor the
    # scale at float32's smallest normal number (PyTorch's observers also floor the scale).
    scale = np.where(scale > 0, np.maximum(scale, np.finfo(np.float32).tiny), 1.0)
    zero_point = np.clip(qmin - np.round(lo / scale), qmin, qmax).astype(np.int64)
    return scale, zero_point


def _check_affine(x_min, x_max, qmin: int, qmax: int) -> tuple[np.ndarray, np.ndarray]:
    """x_min <= x_max as float64 arrays of one shape, and a valid integer grid."""
    x_min = check_array(x_min, "x_min", allow_empty=False).astype(np.float64)
    x_max = check_array(x_max, "x_max", shape=np.shape(x_min)).astype(np.float64)
    if np.any(x_min > x_max):
        raise ValueError(f"x_min must not exceed x_max, got x_min - x_max up to {np.max(x_min - x_max):g}")
    _check_grid(qmin, qmax)
    return x_min, x_max


def _check_grid(qmin: int, qmax: int) -> None:
    """The integer grid: int8 by default, any other range must fit the int16 the result is stored in."""
    check_range(qmin, "qmin", -2**15, 2**15 - 1, integer=True)
    check_range(qmax, "qmax", -2**15, 2**15 - 1, integer=True)
    if qmax <= qmin:
        raise ValueError(f"need qmin < qmax, got qmin={qmin}, qmax={qmax}")


def _inv(scale: np.ndarray, dtype) -> np.ndarray:
    # PyTorch multiplies by 1/s computed in the input's precision instead of dividing by s;
    # doing the same makes ties round identically, so our integers match torch's exactly.
    return np.asarray(1.0, dtype) / np.asarray(scale, dtype)


def _broadcast(p: np.ndarray, x: np.ndarray, axis: int | None) -> np.ndarray:
    if axis is None or np.ndim(p) == 0:
        return np.asarray(p)
    shape = [1] * x.ndim
    shape[axis] = -1
    return np.asarray(p).reshape(shape)                                # (1, .., C, .., 1)


def _check_quantize(x, scale, zero_point, axis: int | None, qmin: int, qmax: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = check_array(x, "x")
    _check_grid(qmin, qmax)
    scale = check_array(scale, "scale")
    if np.any(scale <= 0):
        raise ValueError(f"scale must be > 0, got min {scale.min()}")
    if axis is not None and np.shape(scale) != (x.shape[axis],):
        raise ValueError(f"per-channel scale must have shape ({x.shape[axis]},), got {np.shape(scale)}")
    zp = check_array(zero_point, "zero_point", dtype="int")
    if np.any(zp < qmin) or np.any(zp > qmax):
        raise ValueError(f"zero_point must lie in [{qmin}, {qmax}] (it is a value of the integer grid), "
                         f"got values from {zp.min()} to {zp.max()}")
    if axis is not None and np.ndim(zp) and np.shape(zp) != (x.shape[axis],):
        raise ValueError(f"per-channel zero_point must have shape ({x.shape[axis]},), got {np.shape(zp)}")
    return x, scale, zp


def quantize(x: np.ndarray, scale, zero_point, axis: int | None = None,
             qmin: int = QMIN, qmax: int = QMAX) -> np.ndarray:
    r""":math:`q = \mathrm{clamp}(\mathrm{round}(x/s + z), q_{\min}, q_{\max})` as int8 (or int16 for other ranges).

    Args:
        axis: ``None`` for per-tensor parameters (scalars); the channel axis for per-channel ones.

    Shape:
        x: any; scale, zero_point: () or (x.shape[axis],) -> same shape as x.
    """
    x, scale, zp = _check_quantize(x, scale, zero_point, axis, qmin, qmax)
    s, z = _broadcast(scale, x, axis), _broadcast(zp, x, axis)
    # PyTorch adds z *before* rounding half to even: rint(x / s + z), not rint(x / s) + z. The two
    # differ on values exactly halfway between two levels when z is odd (2.5 + 1 rounds to 4,
    # rint(2.5) + 1 = 3). Its per-tensor kernel computes x * (1/s) + z as one fused multiply-add
    # (one rounding; emulated exactly in float64, then rounded once to the input's precision),
    # its per-channel kernel as a product and a sum in the input's precision: we do the same, so
    # every integer matches (tests/test_quantize.py checks ties and random values).
    inv = _inv(s, x.dtype)
    if axis is None:
        v = (x.astype(np.float64) * inv.astype(np.float64) + z).astype(x.dtype)
    else:
        v = x * inv + z.astype(x.dtype)
    q = np.clip(np.rint(v), qmin, qmax)
    return q.astype(np.int8 if (qmin, qmax) == (QMIN, QMAX) else np.int16)


def dequantize(q: np.ndarray, scale, zero_point, axis: int | None = None) -> np.ndarray:
    r""":math:`\hat x = s\,(q - z)` in float64.

    Shape:
        q: any; scale, zero_point: () or (q.shape[axis],) -> same shape as q.
    """
    q = check_array(q, "q", dtype="int")
    scale = check_array(scale, "scale")
    if np.any(scale <= 0):
        raise ValueError(f"scale must be > 0, got min {scale.min()}")
    zero_point = check_array(zero_point, "zero_point", dtype="int")
    s, z = _broadcast(np.asarray(scale, np.float64), q, axis), _broadcast(np.asarray(zero_point), q, axis)
    return s * (q - z)


def fake_quantize(x: np.ndarray, scale, zero_point, axis: int | None = None,
                  qmin: int = QMIN, qmax: int = QMAX) -> np.ndarray:
    """Quantize then dequantize: the float values an int8 model really computes with.

    Shape:
        same as x, in x's dtype.
    """
    x = check_array(x, "x")
    q = quantize(x, scale, zero_point, axis, qmin, qmax)
    return dequantize(q, scale, zero_point, axis).astype(x.dtype)


@dataclass(frozen=True)
class QuantizedTensor:
    """int8 values plus their scale(s) and zero point(s); ``axis`` is None for per-tensor."""

    q: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None

    def dequantize(self) -> np.ndarray:
        return dequantize(self.q, self.scale, self.zero_point, self.axis)

    @property
    def nbytes(self) -> int:
        """Bytes to store it: one per value, plus a float32 scale and an int32 zero point each."""
        return int(self.q.nbytes + 4 * np.size(self.scale) + 4 * np.size(self.zero_point))


def quantize_tensor(x: np.ndarray, per_channel: bool = False, axis: int = 0) -> QuantizedTensor:
    """Choose the parameters from the min and max of ``x`` (per row of ``axis`` if ``per_channel``).

    Shape:
        x: (C, ...) with ``axis = 0`` -> q of the same shape; scale, zero_point () or (C,).
    """
    x = check_array(x, "x")
    if not per_channel:
        scale, zp = affine_params(x.min(), x.max())
        return QuantizedTensor(quantize(x, scale, zp), scale, zp, None)
    check_range(axis, "axis", -x.ndim, x.ndim - 1, integer=True)
    axis = axis % x.ndim
    rest = tuple(a for a in range(x.ndim) if a != axis)
    scale, zp = affine_params(x.min(axis=rest), x.max(axis=rest))     # (C,) each
    return QuantizedTensor(quantize(x, scale, zp, axis), scale, zp, axis)


def quantize_model(model, mode: str = "per_channel"):
    """A copy of a PyTorch model whose weight matrices are replaced by their int8 round trip.

    Only parameters named ``*weight`` with two or more dimensions are quantized (biases are tiny and
    stay float32). Returns ``(copy, sizes)`` where ``sizes`` is ``{name: bytes}`` for the int8
    storage of every parameter (float32 bytes for those left alone).
    """
    import copy

    import torch

    check_type(model, "model", torch.nn.Module, "a torch.nn.Module")
    check_choice(mode, "mode", ["per_tensor", "per_channel"])
    qmodel = copy.deepcopy(model)
    sizes: dict[str, int] = {}
    with torch.no_grad():
        for name, p in qmodel.named_parameters():
            if name.endswith("weight") and p.ndim >= 2:
                qt = quantize_tensor(p.detach().numpy(), per_channel=mode == "per_channel", axis=0)
                p.copy_(torch.from_numpy(qt.dequantize()).to(p.dtype))
                sizes[name] = qt.nbytes
            else:
                sizes[name] = p.numel() * p.element_size()
    return qmodel, sizes


def _check_module(model) -> None:
    import torch

    check_type(model, "model", torch.nn.Module, "a torch.nn.Module")


def model_size_bytes(model) -> int:
    """Bytes of all parameters as stored (float32: 4 per value)."""
    _check_module(model)
    return int(sum(p.numel() * p.element_size() for p in model.parameters()))


def int8_linear_model(model):
    """A copy of a ``nn.Sequential`` whose ``nn.Linear`` layers *store* int8 weights (per channel).

    Each forward pass computes :math:`y = s \\odot \\big(x\\,(q - z)^\\top\\big) + b`, converting the
    int8 matrix to float on the fly: the memory is 4x smaller, but without int8 matrix kernels
    this is not faster on a CPU (notebook 13 measures it).
    """
    import torch
    from torch import nn

    class Int8Linear(nn.Module):
        def __init__(self, layer: nn.Linear) -> None:
            super().__init__()
            qt = quantize_tensor(layer.weight.detach().numpy(), per_channel=True, axis=0)
            self.register_buffer("q", torch.from_numpy(qt.q))                        # (K, D) int8
            self.register_buffer("zp", torch.from_numpy(qt.zero_point.astype(np.float32)))
            self.register_buffer("scale", torch.from_numpy(qt.scale.astype(np.float32)))
            self.register_buffer("bias", layer.bias.detach().clone())

        def forward(self, x):
            w = self.q.to(x.dtype) - self.zp[:, None]                                  # (K, D)
            return (x @ w.T) * self.scale + self.bias                                  # (N, K)

    if not isinstance(model, nn.Sequential):
        raise ValueError(f"int8_linear_model expects an nn.Sequential, got {type(model).__name__}")
    return nn.Sequential(*[Int8Linear(m) if isinstance(m, nn.Linear) else m for m in model])


def buffers_size_bytes(model) -> int:
    """Bytes of all parameters and buffers (int8 buffers count 1 byte per value)."""
    _check_module(model)
    return int(sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers())))
