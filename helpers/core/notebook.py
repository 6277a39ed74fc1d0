"""Notebook plumbing: seeding everything, showing a helper's source, the first cell's setup."""
from __future__ import annotations

import inspect
import os
import random
from typing import Any

import numpy as np

__all__ = ["seed_everything", "setup_notebook", "show", "markdown_table"]


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


def setup_notebook(seed: int = 0) -> np.random.Generator:
    """The first line of every notebook: seed everything and make figures reproducible.

    Sets the inline backend to tight, 100-dpi PNGs without a version stamp (so re-running a
    notebook stores byte-identical images), applies the course figure style
    (:func:`helpers.core.figures.apply_style`) and seeds Python, NumPy and PyTorch. Returns the
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
    from helpers.core.figures import apply_style

    apply_style(force=True)
    np.set_printoptions(precision=4, suppress=True)
    return seed_everything(seed)


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (for ``IPython.display.Markdown``); floats shown with 3 significant digits."""
    def cell(v: object) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    if any(len(r) != len(header) for r in rows):
        raise ValueError(f"every row must have {len(header)} cells, got lengths {[len(r) for r in rows]}")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
