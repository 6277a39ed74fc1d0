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
import time
from typing import Any, Callable, Protocol

import ipywidgets as W
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
    """Render ``fig`` to PNG bytes (no timestamp metadata, so identical figures give identical bytes)."""
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
        import re

        return re.sub(r"<[^>]+>", "", self.status.value).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _StaticFallbackBox(W.VBox):
    """A VBox that also carries a PNG of its figure, for viewers without a kernel."""

    fallback_image: W.Image

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = base64.b64encode(self.fallback_image.value).decode("ascii")
        return bundle


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ----------------------------------------------------------------------------- training player
class TrainingSession(Protocol):
    """What :class:`TrainingPlayer` drives. ``step`` returns the loss (may be inf/NaN if diverging)."""

    fig: Figure

    def reset(self) -> None: ...

    def step(self, lr: float) -> float: ...

    def draw(self) -> str: ...


class TrainingPlayer:
    """Play / pause / step / reset controls around a :class:`TrainingSession`, as in TensorFlow
    Playground: the learning rate can be changed mid-run and takes effect at the next step.

    The Play widget ticks in the browser; each tick runs ``steps_per_tick`` steps and redraws.
    A non-finite loss stops the run and says so ("diverged at step k"), instead of drawing NaNs.
    Headless, :meth:`run` advances a fixed number of steps (what the notebook and the tests call).
    """

    def __init__(self, session: TrainingSession, lr: float = 0.1, lr_range: tuple[float, float] = (1e-4, 10.0),
                 steps_per_tick: int = 1, max_steps: int = 2000, interval_ms: int = 100) -> None:
        low, high = lr_range
        if not (0 < low <= lr <= high):
            raise ValueError(f"lr must lie in lr_range {lr_range}, got {lr}")
        if steps_per_tick < 1 or max_steps < 1:
            raise ValueError(f"steps_per_tick and max_steps must be >= 1, got {steps_per_tick}, {max_steps}")
        self.session = session
        self.steps_per_tick = int(steps_per_tick)
        self.max_steps = int(max_steps)
        self.step_count = 0
        self.diverged = False
        self.losses: list[float] = []
        self.lr_slider = log_slider(lr, low, high, "learning rate")
        self.play = W.Play(value=0, min=0, max=max_steps, step=1, interval=interval_ms,
                           description="play / pause")
        self.step_button = W.Button(description="step", tooltip="run one tick of training")
        self.reset_button = W.Button(description="reset", tooltip="re-initialise the model")
        self.status = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self._last_tick = 0
        self.play.observe(self._on_tick, names="value")
        self.step_button.on_click(lambda _b: self._advance(self.steps_per_tick))
        self.reset_button.on_click(lambda _b: self.reset())
        self.session.reset()
        self._redraw(self.session.draw())

    @property
    def lr(self) -> float:
        return float(self.lr_slider.value)

    def reset(self) -> None:
        """Re-initialise the session and rewind the player."""
        self.session.reset()
        self.step_count, self.diverged, self.losses = 0, False, []
        self._last_tick = 0
        self.play.playing = False
        self.play.value = 0
        self._redraw(self.session.draw())

    def run(self, n_steps: int) -> str:
        """Advance ``n_steps`` training steps (stopping early on divergence); return the status."""
        if n_steps < 0:
            raise ValueError(f"n_steps must be >= 0, got {n_steps}")
        return self._advance(n_steps)

    def _advance(self, n_steps: int) -> str:
        if self.diverged:
            return self._redraw(f"diverged at step {self.step_count}: press reset and lower the learning rate")
        for _ in range(n_steps):
            if self.step_count >= self.max_steps:
                break
            try:
                loss = float(self.session.step(self.lr))
            except (FloatingPointError, OverflowError, ValueError) as exc:
                loss = float("nan")
                note = f" ({exc})"
            else:
                note = ""
            self.step_count += 1
            if not math.isfinite(loss) or abs(loss) > 1e12:
                self.diverged = True
                self.play.playing = False
                return self._redraw(f"diverged at step {self.step_count} with learning rate "
                                    f"{self.lr:.2g}: the loss became {loss:.3g}{note}. "
                                    "Press reset and lower the learning rate.")
            self.losses.append(loss)
        try:
            text = self.session.draw()
        except Exception as exc:
            text = format_error(exc)
        if self.step_count >= self.max_steps:
            self.play.playing = False
            text += f" (stopped at the {self.max_steps}-step limit)"
        return self._redraw(text)

    def _on_tick(self, change: dict) -> None:
        new = int(change["new"])
        if new > self._last_tick:
            self._advance(self.steps_per_tick * (new - self._last_tick))
        self._last_tick = new

    def _redraw(self, text: str) -> str:
        self.image.value = render_png(self.session.fig)
        colour = "#b42318" if self.diverged else "#1a7f37"
        self.status.value = f"<span style='color:{colour}'>step {self.step_count}: {_escape(text)}</span>"
        return text

    def panel(self) -> W.VBox:
        """The player widget: buttons, learning-rate slider, status and the session's figure."""
        box = _StaticFallbackBox([W.HBox([self.play, self.step_button, self.reset_button]),
                                  self.lr_slider, self.status, self.image])
        box.fallback_image = self.image
        box.add_class("course-training-player")
        return box
