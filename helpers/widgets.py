"""Interactive building blocks: a figure redrawn in place, a chapter "app", and a training player.

Design (measured in tools/bench.py): a figure is built **once**; a slider move only updates the
artists (``line.set_data``, ``image.set_data``) and re-renders the canvas to PNG, shown in an
``ipywidgets.Image``. That keeps a slider response well under 100 ms on a laptop CPU, where
re-creating a figure with ``interact`` costs 100-250 ms.

Every chapter's widget is an :class:`App` subclass living in ``helpers/apps/``:

* ``controls()`` returns the widgets (name -> slider/dropdown), each showing its value and unit;
* ``update(**values) -> str`` is an ordinary function of those values: it updates the figure and
  returns a one-line status (e.g. ``"diverged after 12 steps: lower the learning rate"``).

The notebook calls ``app.update(**app.defaults())`` implicitly when it shows ``app.panel()``, so
a headless run (nbval) produces the figure; the tests call ``update`` at every slider's extremes.
An exception inside ``update`` is shown as a readable message in the panel, never lost.
"""
from __future__ import annotations

import base64
import io
import math
import re
import time
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

__all__ = ["new_figure", "render_png", "App", "Panel", "TrainingSession", "TrainingPlayer",
           "log_slider", "float_slider", "int_slider", "dropdown", "format_error", "control_extremes"]

_STYLE = {"description_width": "initial"}
_LAYOUT = W.Layout(width="360px")


def new_figure(width: float = 6.4, height: float = 3.6, dpi: int = 100) -> Figure:
    """A matplotlib ``Figure`` with an Agg canvas, not registered with pyplot.

    Not going through ``pyplot`` matters: the inline backend would otherwise show a second, stale
    copy of the figure at the end of the cell.
    """
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def render_png(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes (no timestamp metadata, so identical figures give identical bytes).

    ``fig.tight_layout()`` leaves a placeholder layout engine behind, and with any engine set
    ``savefig`` draws the whole figure twice (once to lay it out, once to paint). The layout is
    already done, so we drop the placeholder: the same pixels, a third less time.
    """
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buf.getvalue()


def format_error(exc: BaseException) -> str:
    """One readable line for an exception raised inside a widget callback."""
    return f"⚠ {type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------------- control factories
def float_slider(value: float, low: float, high: float, step: float, description: str,
                 unit: str = "", fmt: str = ".2f") -> W.FloatSlider:
    """A float slider that shows its value (and unit) next to it and clamps typed values."""
    label = f"{description} ({unit})" if unit else description
    return W.FloatSlider(value=value, min=low, max=high, step=step, description=label,
                         readout=True, readout_format=fmt, continuous_update=True,
                         style=_STYLE, layout=_LAYOUT)


def log_slider(value: float, low: float, high: float, description: str, unit: str = "",
               steps_per_decade: int = 10) -> W.FloatLogSlider:
    """A base-10 log slider from ``low`` to ``high`` (for learning rates, weight decay, ...)."""
    if not (0 < low < high):
        raise ValueError(f"log_slider needs 0 < low < high, got low={low}, high={high}")
    if not (low <= value <= high):
        raise ValueError(f"log_slider value must lie in [{low}, {high}], got {value}")
    label = f"{description} ({unit})" if unit else description
    # Anchor the slider's grid of exponents at the initial value: the browser snaps a slider's
    # value to its grid, and an unanchored grid would silently change, say, lr = 0.3 to 0.316.
    step = 1 / steps_per_decade
    exp0 = math.log10(value)
    lo = exp0 - math.floor((exp0 - math.log10(low)) / step + 1e-9) * step
    hi = exp0 + math.floor((math.log10(high) - exp0) / step + 1e-9) * step
    return W.FloatLogSlider(value=value, base=10, min=lo, max=hi,
                            step=step, description=label, readout=True,
                            readout_format=".2e", continuous_update=True, style=_STYLE, layout=_LAYOUT)


def int_slider(value: int, low: int, high: int, description: str, unit: str = "",
               step: int = 1) -> W.IntSlider:
    """An integer slider that shows its value (and unit)."""
    label = f"{description} ({unit})" if unit else description
    return W.IntSlider(value=value, min=low, max=high, step=step, description=label,
                       continuous_update=True, style=_STYLE, layout=_LAYOUT)


def dropdown(options: list[Any] | dict[str, Any], value: Any, description: str) -> W.Dropdown:
    """A dropdown; ``options`` may be a list or a ``{label: value}`` dict."""
    return W.Dropdown(options=options, value=value, description=description, style=_STYLE,
                      layout=_LAYOUT)


def control_extremes(control: W.Widget) -> list[Any]:
    """The values a test should try for a control: both ends of a slider, every dropdown option."""
    if isinstance(control, W.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    if hasattr(control, "_options_values"):  # selection widgets: the values, not the labels
        return list(control._options_values)
    if isinstance(control, (W.Checkbox, W.ToggleButton)):
        return [False, True]
    return [control.value]


# ----------------------------------------------------------------------------- apps and panels
class App:
    """Base class of a chapter's interactive explorer (see the module docstring).

    Subclasses build ``self.fig`` (with :func:`new_figure`) and its artists in ``__init__`` and
    implement :meth:`controls` and :meth:`update`.
    """

    fig: Figure

    def controls(self) -> dict[str, W.ValueWidget]:
        """Fresh control widgets, keyed by the argument names of :meth:`update`."""
        raise NotImplementedError

    def update(self, **values: Any) -> str:
        """Update the figure for these control values; return a one-line status."""
        raise NotImplementedError

    def defaults(self) -> dict[str, Any]:
        """The controls' initial values."""
        return {name: c.value for name, c in self.controls().items()}

    def panel(self) -> "Panel":
        """The widget to display: controls, a status line and the figure."""
        return Panel(self)

    def safe_update(self, **values: Any) -> tuple[str, bool]:
        """Call :meth:`update`, turning an exception into a readable message. Returns (text, ok)."""
        try:
            status = self.update(**values)
        except Exception as exc:  # shown to the learner, not swallowed
            return format_error(exc), False
        if not isinstance(status, str):
            return format_error(TypeError(f"{type(self).__name__}.update must return a str, "
                                          f"got {type(status).__name__}")), False
        return status, True


class Panel(W.VBox):
    """Controls + status line + figure for an :class:`App`; redraws on every control change.

    ``last_latency_ms`` holds the time of the last update + render (used by the benchmarks).
    """

    def __init__(self, app: App, columns: int = 2) -> None:
        self.app = app
        self.controls = app.controls()
        self.status = W.HTML(layout=W.Layout(min_height="1.6em"))
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.last_latency_ms = float("nan")
        boxes = [W.VBox(list(self.controls.values())[i::columns]) for i in range(columns)]
        super().__init__([W.HBox(boxes), self.status, self.image])
        # CSS hooks for the browser test (tests/test_browser.py) and for styling.
        self.add_class("course-app-panel")
        self.status.add_class("course-status")
        self.image.add_class("course-image")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict[str, Any]:
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self) -> None:
        start = time.perf_counter()
        text, ok = self.app.safe_update(**self.values())
        self.image.value = render_png(self.app.fig)
        self.last_latency_ms = (time.perf_counter() - start) * 1e3
        colour = "#1a7f37" if ok else "#b42318"
        self.status.value = f"<span style='color:{colour}'>{_escape(text)}</span>"

    def _on_change(self, _change: dict) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        # Live widget in JupyterLab; a static PNG for viewers without a kernel (code hosts).
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle = dict(bundle)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"{type(self.app).__name__} panel: {self.status_text()}"
        return bundle

    def status_text(self) -> str:
        """The status line without markup."""
        return _strip_tags(self.status.value)


class _StaticFallbackBox(W.VBox):
    """A VBox that also carries a PNG of its figure, for viewers without a kernel."""

    fallback_image: W.Image

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = base64.b64encode(self.fallback_image.value).decode("ascii")
        status = getattr(self, "fallback_status", None)
        if status is not None:  # e.g. "BatchSizeRace player: step 40: after 40 updates ..."
            bundle["text/plain"] = f"{self.fallback_label}: {_strip_tags(status.value)}"
        return bundle


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# ----------------------------------------------------------------------------- training player
# The player lives in helpers/player.py; imported here so ``from helpers.widgets import TrainingPlayer`` works.
from .player import TrainingPlayer, TrainingSession  # noqa: E402  (player.py imports the factories above)
