"""Plumbing shared by every chapter: seeding, showing source, and input validation.

Validation lives here so that every public function can say, in one line, what it expected
and what it received, instead of letting a NumPy broadcasting error surface from deep inside.
"""
from __future__ import annotations

import inspect
import os
import random
from typing import Any, Iterable

import numpy as np

__all__ = ["seed_everything", "setup_notebook", "show", "check_array", "check_choice", "check_range"]


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (if imported).

    The only global state the helpers touch. Returns a fresh ``np.random.Generator`` seeded with
    the same value, which is what helpers that need randomness take as their ``rng`` argument.

    Example:
        >>> rng = seed_everything(0)
        >>> float(rng.normal()) == float(seed_everything(0).normal())
        True
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:  # torch is heavy to import; seed it only if installed
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a course requirement
        pass
    return np.random.default_rng(seed)


def show(obj: Any) -> Any:
    """Display the source of a helper function or class, syntax-highlighted.

    Notebooks use this instead of pasting code: the implementation lives in ``helpers`` and is
    shown where it is taught, so there is one copy of it.
    """
    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise ValueError(f"show() needs a function, class or module defined in Python source, "
                         f"got {type(obj).__name__}: {exc}") from None
    try:
        from IPython.display import Code

        return Code(source, language="python")
    except ImportError:  # pragma: no cover - outside Jupyter
        print(source)
        return None


def _shape_str(shape: Iterable[Any]) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"


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
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape} ({arr.ndim}-D)")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            raise ValueError(f"{name} must have shape {_shape_str(shape)}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
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


def setup_notebook(seed: int = 0) -> np.random.Generator:
    """The first line of every notebook: seed everything and make figures reproducible.

    Sets the inline backend to tight, 100-dpi PNGs without a version stamp (so re-running a
    notebook stores byte-identical images) and seeds Python, NumPy and PyTorch. Returns the
    NumPy ``Generator`` the notebook passes to helpers that take an ``rng``.
    """
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover
        ip = None
    if ip is not None:
        ip.run_line_magic("matplotlib", "inline")
        ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
        ip.run_line_magic("config", "InlineBackend.print_figure_kwargs = "
                                    "{'bbox_inches': 'tight', 'metadata': {'Software': None}}")
        ip.run_line_magic("config", "InlineBackend.rc = {'figure.dpi': 100}")
    np.set_printoptions(precision=4, suppress=True)
    return seed_everything(seed)
