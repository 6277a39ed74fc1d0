"""Input validation shared by every chapter.

Validation lives here so that every public function can say, in one line, what it expected
and what it received, instead of letting a NumPy broadcasting error surface from deep inside.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

__all__ = ["check_array", "check_choice", "check_range", "check_seed", "check_tensor",
           "check_type"]


def _shape_str(shape: Iterable[Any]) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"


def _check_layout(name: str, got: tuple[int, ...], ndim: int | tuple[int, ...] | None,
                  shape: tuple[int | None, ...] | None, allow_empty: bool) -> None:
    """The dimension, shape and emptiness rules shared by :func:`check_array` and :func:`check_tensor`."""
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(got) not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {got} ({len(got)}-D)")
    if shape is not None:
        if len(got) != len(shape) or any(s is not None and s != a for s, a in zip(shape, got)):
            raise ValueError(f"{name} must have shape {_shape_str(shape)}, got {got}")
    if not allow_empty and 0 in got:
        raise ValueError(f"{name} must not be empty, got shape {got}")


def check_array(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None,
                shape: tuple[int | None, ...] | None = None, dtype: str = "float",
                allow_empty: bool = False, finite: bool = True) -> np.ndarray:
    """Convert ``x`` to an ndarray and validate it, raising a ``ValueError`` that names the problem.

    Args:
        x: array-like input.
        name: the argument's name, used in the message.
        ndim: required number of dimensions (an int or a tuple of allowed ints).
        shape: required shape; ``None`` entries match any size.
        dtype: ``"float"`` (any real number; ints and bools are converted to float64, float32 is
            kept), ``"int"`` (integer labels/indices), or ``"any"``.
        allow_empty: whether a zero-size array is acceptable.
        finite: reject NaN and infinity.

    Returns:
        The validated array (float arrays as float32 or float64).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise ValueError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists etc.
        raise ValueError(f"{name} must be array-like with a regular shape: {exc}") from None
    if arr.dtype == object:
        raise ValueError(f"{name} must be a regular numeric array, got an object array "
                         f"(ragged lists or mixed types?) of shape {arr.shape}")
    if dtype == "float":
        if arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
        elif arr.dtype.kind != "f":
            raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        elif arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
    elif dtype == "int":
        if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iub":
            raise ValueError(f"{name} must hold integers (class labels or indices), got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
    elif dtype != "any":
        raise ValueError(f"unknown dtype requirement {dtype!r}")
    _check_layout(name, tuple(arr.shape), ndim, shape, allow_empty)
    if finite and arr.dtype.kind == "f" and arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s) in an array of shape {arr.shape}")
    return arr


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Raise a ``ValueError`` unless ``value`` is one of ``choices``."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_range(value: Any, name: str, low: float | None = None, high: float | None = None,
                *, integer: bool = False, low_inclusive: bool = True) -> Any:
    """Raise a ``ValueError`` unless ``low <= value <= high`` (and an int if ``integer``)."""
    if integer:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    if too_low or (high is not None and value > high):
        lo = "(-inf" if low is None else ("[" if low_inclusive else "(") + f"{low}"
        hi = "inf" if high is None else f"{high}"
        raise ValueError(f"{name} must be in {lo}, {hi}], got {value!r}")
    return value


def check_seed(seed: Any, name: str = "seed") -> int:
    """Raise a ``ValueError`` unless ``seed`` is an integer in [0, 2**32 - 1] (what NumPy, torch and
    scikit-learn all accept); returns it as a plain ``int``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{name} must be a non-negative integer, got {seed!r}")
    if not 0 <= seed <= 2**32 - 1:
        raise ValueError(f"{name} must be in [0, 2**32 - 1], got {seed!r}")
    return int(seed)


def check_tensor(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None,
                 shape: tuple[int | None, ...] | None = None, dtype: str = "float",
                 allow_empty: bool = False, finite: bool = True) -> Any:
    """:func:`check_array` for a ``torch.Tensor``, which is returned as it is (same device, dtype and
    autograd graph). ``dtype``: ``"float"`` (floating point), ``"int"`` (integer labels/indices) or
    ``"any"``. A NumPy array is rejected rather than converted, so no dtype changes silently."""
    import torch  # lazily: core is imported by chapters that never need torch

    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if dtype == "float" and not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if dtype == "int" and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise ValueError(f"{name} must hold integers (class labels or indices), got dtype {x.dtype}")
    _check_layout(name, tuple(x.shape), ndim, shape, allow_empty)
    if finite and x.is_floating_point() and x.numel() and not bool(torch.isfinite(x).all()):
        bad = int(x.numel() - torch.isfinite(x).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s) in a tensor of shape {tuple(x.shape)}")
    return x


def check_type(value: Any, name: str, types: type | tuple[type, ...], what: str | None = None) -> Any:
    """Raise a ``TypeError`` unless ``value`` is an instance of ``types``; returns it unchanged.

    ``what`` describes the expected value in the message (e.g. ``"the cache from softmax_forward"``);
    by default the type names are used.

    Example:
        >>> check_type(3, "n", int)
        3
        >>> check_type("3", "n", (int, float))
        Traceback (most recent call last):
        ...
        TypeError: n must be an instance of int or float, got str
    """
    if not isinstance(value, types):
        if what is None:
            names = types if isinstance(types, tuple) else (types,)
            what = "an instance of " + " or ".join(t.__name__ for t in names)
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value
