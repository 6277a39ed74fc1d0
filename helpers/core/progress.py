"""A progress line for training loops that a stored notebook shows finished.

A ``tqdm`` widget stores the text of its first frame ("0%| 0/300") in the notebook file, so a code
host shows every finished run as not started. :class:`Progress` draws a plain HTML ``<progress>``
bar through a display handle, updates it at most every ``min_interval`` seconds, and always makes a
last update when the loop ends: the stored output is the finished state ("training: 300/300,
done"). Outside a Jupyter kernel (tests, scripts) it shows nothing and costs nothing. Nothing here
imports ipywidgets.
"""
from __future__ import annotations

import html
import time
from typing import Any, Iterable, Iterator

from helpers.core.checks import check_range

__all__ = ["Progress"]


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class Progress:
    """Wrap an iterable (or count by hand with :meth:`update`) and show how far a loop got.

    Args:
        iterable: what to loop over; ``total`` defaults to its ``len``.
        total: the number of steps, when ``iterable`` is None or has no length.
        desc: what is running, e.g. ``"training"``.
        show: False draws nothing (the loop's ``progress=False``).
        unit: what one step is (``"step"``, ``"epoch"``, ``"run"``).
        min_interval: seconds between redraws (the last one always happens).

    Example:
        >>> bar = Progress(range(3), desc="demo", show=False)
        >>> [i for i in bar], bar.n, bar.finished_text()
        ([0, 1, 2], 3, 'demo: 3/3 steps, done')
    """

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 show: bool = True, unit: str = "step", min_interval: float = 0.5) -> None:
        if iterable is None and total is None:
            raise ValueError("Progress needs an iterable or a total, got neither")
        if total is None:
            try:
                total = len(iterable)  # type: ignore[arg-type]
            except TypeError:
                raise ValueError(f"Progress needs total= for an iterable without a length "
                                 f"({type(iterable).__name__})") from None
        check_range(total, "total", 0, None, integer=True)
        check_range(min_interval, "min_interval", 0.0, None)
        self.iterable, self.total, self.desc, self.unit = iterable, int(total), desc, unit
        self.n = 0
        self.postfix = ""
        self._interval = float(min_interval)
        self._last = 0.0
        self._handle = None
        if show and _in_kernel():
            from IPython.display import display

            self._handle = display(self._bundle(done=False), raw=True, display_id=True)
            self._last = time.perf_counter()

    def __iter__(self) -> Iterator[Any]:
        if self.iterable is None:
            raise ValueError("this Progress counts by hand: call update(), do not iterate it")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more steps; redraw if ``min_interval`` has passed."""
        self.n += n
        if self._handle is not None and time.perf_counter() - self._last >= self._interval:
            self._handle.update(self._bundle(done=False), raw=True)
            self._last = time.perf_counter()

    def set_postfix(self, **values: Any) -> None:
        """Show ``name=value`` pairs after the count (e.g. the running loss)."""
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def finished_text(self) -> str:
        units = self.unit if self.total == 1 else self.unit + "s"
        extra = f" ({self.postfix})" if self.postfix else ""
        return f"{self.desc}: {self.n}/{self.total} {units}, done{extra}"

    def close(self) -> None:
        """The last redraw: the finished state (the one a stored notebook keeps)."""
        if self._handle is not None:
            self._handle.update(self._bundle(done=True), raw=True)
            self._handle = None

    def _bundle(self, done: bool) -> dict[str, str]:
        if done:
            text = self.finished_text()
        else:
            pct = 100 * self.n // max(self.total, 1)
            extra = f" ({self.postfix})" if self.postfix else ""
            text = f"{self.desc}: {pct}% ({self.n}/{self.total} {self.unit}s){extra}"
        bar = (f'<progress value="{self.n}" max="{max(self.total, 1)}" style="width: 12em"></progress> '
               f"<span>{html.escape(text)}</span>")
        return {"text/plain": text, "text/html": bar}
