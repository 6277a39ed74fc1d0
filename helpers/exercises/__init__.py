"""Self-check exercises, one module per chapter (``helpers.exercises.ch01`` ...).

A check takes the learner's answer (a value or a function), prints specific feedback and
returns a :class:`Feedback` (truthy when correct). It never raises on a wrong answer, so a
notebook with unanswered exercises still runs top to bottom. Each chapter module also holds the
reference solutions, which the notebook shows in collapsed cells with ``helpers.show``.

Writing a check::

    def check_xor_weights(fn):
        return run_check("XOR weights", lambda: _compare(fn(), expected), hint="...")
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["Feedback", "run_check", "NOT_DONE", "close_enough"]

NOT_DONE = Ellipsis  # the placeholder learners replace: `return ...`


@dataclass(frozen=True)
class Feedback:
    """The result of a check: ``ok`` plus the message that was printed."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:  # the notebook shows the message, not a dataclass dump
        return self.message


_WRONG_ATTEMPTS: dict[str, int] = {}  # per check title: wrong answers so far (for progressive hints)


def run_check(title: str, check: Callable[[], str | None], hint: str = "",
              hints: tuple[str, ...] = ()) -> Feedback:
    """Run ``check()``, which returns None when the answer is right or a string saying what is wrong.

    An answer still set to ``...`` reads as "not attempted yet" and gets no hint: the learner tries
    first. Each wrong attempt shows the next of ``hints`` (a gentle one, then a stronger one; the
    last repeats); ``hint`` is the older single-hint form. Any exception raised by the learner's
    code is reported with its type and message (the learner's bug, shown plainly).
    """
    attempted = True
    try:
        problem = check()
    except NotImplementedError:
        problem, attempted = "not attempted yet: replace the `...` with your answer, then run the cell.", False
    except Exception as exc:
        problem = f"your code raised {type(exc).__name__}: {exc}"
    if problem is None:
        _WRONG_ATTEMPTS.pop(title, None)
        msg = f"✅ {title}: correct."
        ok = True
    else:
        ladder = tuple(hints) or ((hint,) if hint else ())
        shown = ""
        if attempted and ladder:
            n = _WRONG_ATTEMPTS[title] = _WRONG_ATTEMPTS.get(title, 0) + 1
            shown = ladder[min(n, len(ladder)) - 1]
            label = "hint" if n == 1 or len(ladder) == 1 else "stronger hint"
            shown = f"\n   {label}: {shown}"
        msg = f"❌ {title}: {problem}" + shown
        ok = False
    print(msg)
    return Feedback(ok, msg)


def answer(value: Any) -> Any:
    """Raise ``NotImplementedError`` for the ``...`` placeholder, else return ``value``."""
    if value is NOT_DONE:
        raise NotImplementedError
    return value


def close_enough(got: Any, want: Any, name: str = "result", atol: float = 1e-6, rtol: float = 1e-6) -> str | None:
    """None if ``got`` matches ``want`` (shape and values), else a specific message."""
    got = answer(got)
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return f"{name} should have shape {w.shape}, got {g.shape}."
    if not np.all(np.isfinite(g)):
        return f"{name} contains NaN or inf."
    if not np.allclose(g, w, atol=atol, rtol=rtol):
        i = np.unravel_index(np.argmax(np.abs(g - w)), w.shape) if w.shape else ()
        return (f"{name} differs from the expected value by up to {np.max(np.abs(g - w)):.3g}"
                + (f" (at index {tuple(int(j) for j in i)}: got {g[i]:.6g}, expected {w[i]:.6g})." if w.shape else
                   f" (got {float(g):.6g}, expected {float(w):.6g})."))
    return None
