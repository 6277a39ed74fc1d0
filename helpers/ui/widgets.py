"""Interactive building blocks: a figure redrawn in place, a chapter "app", and a training player.

Design (measured in tools/bench.py): a figure is built **once**; a slider move only updates the
artists (``line.set_data``, ``image.set_data``) and re-renders the canvas to PNG, shown in an
``ipywidgets.Image``. That keeps a slider response well under 100 ms on a laptop CPU, where
re-creating a figure with ``interact`` costs 100-250 ms.

Every chapter's widget is an :class:`App` subclass living in ``helpers/apps/``:

* ``controls()`` returns the widgets (name -> slider/dropdown), each showing its value and unit;
* ``update(**values) -> str`` is an ordinary function of those values: it updates the figure and
  returns a one-line status (e.g. ``"diverged after 12 steps: lower the learning rate"``);
* ``inactive(**values) -> {name: reason}`` (optional) names the controls that can do nothing for
  these values (Adam's β1 while SGD is selected): the panel greys them out, with the reason as
  their tooltip, so every control that can be moved visibly does something.

The notebook calls ``app.update(**app.defaults())`` implicitly when it shows ``app.panel()``, so
a headless run (nbval) produces the figure; the tests call ``update`` at every slider's extremes.
An exception inside ``update`` is shown as a readable message in the panel, never lost.
"""
from __future__ import annotations

import base64
import math
import re
import time
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from helpers.core.figures import OKABE_ITO, new_figure
from helpers.ui.frames import frame_png

__all__ = ["App", "Panel", "FigureBox", "log_slider", "float_slider", "int_slider", "dropdown", "format_error", "control_extremes"]

_STYLE = {"description_width": "initial"}
_LAYOUT = W.Layout(width="360px")


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

    def inactive(self, **values: Any) -> dict[str, str]:
        """``{control name: reason}`` for the controls that cannot change anything for ``values``.

        The default: none. Override it where a control only matters for some settings; the reason
        says when it does (``"only Adam uses β1: choose Adam"``).
        """
        return {}

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


class FigureBox(W.VBox):
    """Rows of controls above a status line and a figure image: what :class:`Panel` and the
    training player both display.

    In JupyterLab it is a live widget; for viewers without a kernel (a code host, nbval's text
    comparison) it also carries a static PNG of the figure and the status line as plain text
    (``"<label>: <status>"``).
    """

    def __init__(self, rows: list[W.Widget], label: str) -> None:
        self.status = W.HTML(layout=W.Layout(min_height="1.6em"))
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.label = label
        super().__init__([*rows, self.status, self.image])
        # CSS hooks for the browser test (tests/test_browser.py) and for styling.
        self.status.add_class("course-status")
        self.image.add_class("course-image")

    def set_status(self, text: str, ok: bool = True) -> None:
        """Show ``text`` (escaped) in the page's text colour, or in the palette's vermillion when
        ``ok`` is false (the words say what went wrong: colour is never the only signal)."""
        colour = "inherit" if ok else OKABE_ITO["vermillion"]
        self.status.value = f"<span style='color:{colour}'>{escape_html(text)}</span>"

    def status_text(self) -> str:
        """The status line without markup."""
        return strip_tags(self.status.value)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"{self.label}: {self.status_text()}"
        return bundle


class Panel(FigureBox):
    """Controls + status line + figure for an :class:`App`; redraws on every control change.

    ``last_latency_ms`` holds the time of the last update + render (used by the benchmarks).
    """

    def __init__(self, app: App, columns: int = 2) -> None:
        self.app = app
        self.controls = app.controls()
        self.last_latency_ms = float("nan")
        boxes = [W.VBox(list(self.controls.values())[i::columns]) for i in range(columns)]
        super().__init__([W.HBox(boxes)], label=f"{type(app).__name__} panel")
        self.add_class("course-app-panel")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict[str, Any]:
        return {name: c.value for name, c in self.controls.items()}

    def refresh(self) -> None:
        """Update the app for the controls' values, repaint, and grey out the inactive controls.

        The figure is blitted over the app's ``backdrop`` when it has one and sent as a small PNG
        (:func:`helpers.ui.frames.frame_png`); an unchanged frame sends nothing.
        """
        start = time.perf_counter()
        values = self.values()
        text, ok = self.app.safe_update(**values)
        self.image.value = frame_png(self.app.fig, getattr(self.app, "backdrop", None))
        self.last_latency_ms = (time.perf_counter() - start) * 1e3
        self.set_status(text, ok)
        self._grey_out(self.app.inactive(**values))

    def _grey_out(self, inactive: dict[str, str]) -> None:
        unknown = set(inactive) - set(self.controls)
        if unknown:
            raise ValueError(f"{type(self.app).__name__}.inactive names unknown controls {sorted(unknown)}; "
                             f"the controls are {sorted(self.controls)}")
        for name, control in self.controls.items():
            reason = inactive.get(name)
            control.disabled = reason is not None
            control.tooltip = reason

    def _on_change(self, _change: dict) -> None:
        self.refresh()


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


