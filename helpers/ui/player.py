"""A play / pause / step / reset player for anything that trains, as in TensorFlow Playground.

The thing being trained is a :class:`TrainingSession`: a small object with ``reset()``,
``step(lr) -> loss``, ``draw() -> status`` and a matplotlib ``fig`` that ``draw`` updates in
place. :class:`TrainingPlayer` only drives it and repaints:

* **play / pause** is an ``ipywidgets.Play``; every tick message from it is one *frame*: ``speed``
  updates (the "updates / frame" slider; fewer when they would take the frame past its time
  budget, ``frame_budget_ms``, which the status then says), one ``draw`` and one PNG render
  (blitted over the session's ``backdrop`` when it has one, :func:`helpers.ui.frames.frame_png`). Ticks never pile
  up: the browser sends at most one tick message while the kernel is busy (ipywidgets keeps one
  message in flight per widget and merges the rest), and a message that skipped ticks is still
  one frame, so a slow frame drops ticks instead of making the next frame longer; a pause click
  is handled after at most one frame;
* **step** runs exactly one update, **reset** restores the seeded initial state;
* the **learning rate** slider is read at every update, so a change takes effect from the next
  one, without a restart; moving it (or the speed, or a session control) says so in the status
  line at once;
* a session may offer extra one-update buttons through an ``actions`` attribute, a dict
  ``{label: fn(lr) -> loss}`` (the GAN's "step D" and "step G");
* a non-finite loss, or one above ``max_loss``, **stops** the player and says so in words
  ("diverged at step k ..."); nothing is drawn from NaNs.

Headless (nbval, tests) :meth:`TrainingPlayer.run` advances a fixed number of updates, so a stored
notebook shows a trained state. ``frame_ms`` keeps the kernel time of every frame (benchmarks).
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Protocol

import ipywidgets as W
from matplotlib.figure import Figure

from helpers.ui.frames import frame_png
from helpers.ui.widgets import FigureBox, format_error, int_slider, log_slider

__all__ = ["TrainingSession", "TrainingPlayer"]


class TrainingSession(Protocol):
    """What :class:`TrainingPlayer` drives. ``step`` returns the loss (may be inf/NaN if diverging).

    Optional: ``actions``, a dict ``{button label: fn(lr) -> loss}`` of other single updates.
    """

    fig: Figure

    def reset(self) -> None: ...

    def step(self, lr: float) -> float: ...

    def draw(self) -> str: ...


class TrainingPlayer:
    """Play / pause / step / reset controls, a speed control and a learning-rate slider around a
    :class:`TrainingSession` (see the module docstring).

    Args:
        session: the thing being trained.
        lr: the initial learning rate; ``lr_range`` bounds the slider (log scale). ``None``: the
            session has its own learning-rate sliders in a ``controls`` dict (shown in the panel,
            read by ``step`` itself), and ``step`` receives ``None``.
        steps_per_tick: updates per frame at start (the speed slider goes from 1 to ``max_speed``).
        max_steps: the player stops after this many updates (a run never goes on forever).
        interval_ms: time between frames while playing (the default, 50 ms, allows 20 frames per
            second; a frame that takes longer makes the next tick wait, it is not queued).
        max_loss: a loss above this bound counts as divergence.
        frame_budget_ms: while playing, a frame's updates stop early (after at least one) when the
            next would take them past this many ms, so that the picture keeps up at any speed
            (about 10 frames per second or more in the browser); the status says when a frame
            ran fewer updates than asked. ``None``: always the full ``steps_per_tick``. Step,
            the action buttons and :meth:`run` are never cut short.
    """

    def __init__(self, session: TrainingSession, lr: float | None = 0.1, lr_range: tuple[float, float] = (1e-4, 10.0),
                 steps_per_tick: int = 1, max_steps: int = 2000, interval_ms: int = 50,
                 max_loss: float = 1e12, max_speed: int | None = None,
                 frame_budget_ms: float | None = 40.0) -> None:
        low, high = lr_range
        if lr is not None and not (0 < low <= lr <= high):
            raise ValueError(f"lr must lie in lr_range {lr_range}, got {lr}")
        if lr is None and not getattr(session, "controls", None):
            raise ValueError("lr=None needs a session with its own learning-rate controls (session.controls)")
        if steps_per_tick < 1 or max_steps < 1 or interval_ms < 10:
            raise ValueError("steps_per_tick and max_steps must be >= 1 and interval_ms >= 10, got "
                             f"{steps_per_tick}, {max_steps}, {interval_ms}")
        if not max_loss > 0:
            raise ValueError(f"max_loss must be > 0, got {max_loss}")
        if frame_budget_ms is not None and not frame_budget_ms > 0:
            raise ValueError(f"frame_budget_ms must be > 0 ms (or None), got {frame_budget_ms}")
        self.frame_budget_ms = None if frame_budget_ms is None else float(frame_budget_ms)
        self.session = session
        self.max_steps, self.max_loss = int(max_steps), float(max_loss)
        self.step_count, self.diverged, self.losses = 0, False, []
        self.frame_ms: list[float] = []
        self.lr_slider = None if lr is None else log_slider(lr, low, high, "learning rate")
        top = max(int(steps_per_tick), 25) if max_speed is None else int(max_speed)
        if not 1 <= steps_per_tick <= top:
            raise ValueError(f"steps_per_tick must lie in [1, max_speed={top}], got {steps_per_tick}")
        self.speed = int_slider(int(steps_per_tick), 1, top, "updates / frame")
        self.play = W.Play(value=0, min=0, max=max_steps, step=1, interval=interval_ms,
                           description="play / pause", show_repeat=False)
        self.step_button = W.Button(description="step", tooltip="one update")
        self.reset_button = W.Button(description="reset", tooltip="back to the seeded initial state")
        self.action_buttons: dict[str, W.Button] = {}
        for label, fn in getattr(session, "actions", {}).items():
            button = W.Button(description=label, tooltip=f"one update: {label}")
            button.on_click(lambda _b, fn=fn: self._advance(1, fn))
            self.action_buttons[label] = button
        buttons = [self.play, self.step_button, *self.action_buttons.values(), self.reset_button]
        sliders = [self.speed] if self.lr_slider is None else [self.lr_slider, self.speed]
        extra = list(getattr(session, "controls", {}).values())
        rows = [W.HBox(buttons), W.HBox(sliders)]
        if extra:
            rows.append(W.HBox(extra, layout=W.Layout(flex_flow="row wrap")))
        self.box = FigureBox(rows, label=f"{type(session).__name__} player")
        self.box.add_class("course-training-player")
        self.status, self.image = self.box.status, self.box.image
        self._last_tick = 0
        self.play.observe(self._on_tick, names="value")
        self.play.observe(self._on_play_pressed, names="playing")
        for control in [*sliders, *extra]:
            control.observe(self._acknowledge, names="value")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button.on_click(lambda _b: self.reset())
        self.session.reset()
        self._redraw(self.session.draw())

    @property
    def lr(self) -> float | None:
        return None if self.lr_slider is None else float(self.lr_slider.value)

    @property
    def steps_per_tick(self) -> int:
        return int(self.speed.value)

    def reset(self) -> None:
        """Re-initialise the session and rewind the player."""
        self.session.reset()
        self.step_count, self.diverged, self.losses = 0, False, []
        self._last_tick = 0
        self.play.playing = False
        self.play.value = 0
        self._redraw(self.session.draw())

    def run(self, n_steps: int) -> str:
        """Advance ``n_steps`` updates (stopping early on divergence) and draw once; return the status."""
        if not isinstance(n_steps, int) or n_steps < 0:
            raise ValueError(f"n_steps must be an int >= 0, got {n_steps!r}")
        return self._advance(n_steps)

    def step(self) -> str:
        """Exactly one update (the "step" button)."""
        return self._advance(1)

    def act(self, label: str) -> str:
        """One update of the session's action ``label`` (e.g. ``"step D"``)."""
        actions = getattr(self.session, "actions", {})
        if label not in actions:
            raise ValueError(f"unknown action {label!r}; this session offers {sorted(actions)}")
        return self._advance(1, actions[label])

    def _advance(self, n_steps: int, update: Callable[[float], Any] | None = None,
                 budget_ms: float | None = None) -> str:
        start = time.perf_counter()
        if self.diverged:
            return self._redraw("diverged: press reset and lower the learning rate")
        update = update if update is not None else self.session.step
        done, last_ms = 0, 0.0
        for _ in range(n_steps):
            if self.step_count >= self.max_steps:
                break
            if budget_ms is not None and done and (time.perf_counter() - start) * 1e3 + last_ms > budget_ms:
                break   # the next update would hold this frame back: show what there is
            note = ""
            begun = time.perf_counter()
            try:
                loss = float(update(self.lr))
            except (FloatingPointError, OverflowError, ValueError, RuntimeError) as exc:
                loss, note = float("nan"), f" ({format_error(exc)})"
            self.step_count += 1
            if not math.isfinite(loss) or abs(loss) > self.max_loss:
                self.diverged = True
                self.play.playing = False
                bound = "" if not math.isfinite(loss) else f", above the bound {self.max_loss:.0e}"
                with_lr = "" if self.lr is None else f" with learning rate {self.lr:.2g}"
                return self._redraw(f"diverged at step {self.step_count}{with_lr}: the loss became "
                                    f"{loss:.3g}{bound}{note}. Press reset and lower the learning rate.", start)
            self.losses.append(loss)
            done += 1
            last_ms = (time.perf_counter() - begun) * 1e3
        try:
            text = self.session.draw()
        except Exception as exc:  # a drawing bug must not kill the player: show it in words
            text = format_error(exc)
        if done < n_steps and self.step_count < self.max_steps:
            text += (f" (this frame ran {done} of the {n_steps} updates asked: more would make the picture "
                     f"lag; lower the updates / frame to match)")
        if self.step_count >= self.max_steps:
            self.play.playing = False
            text += f" (stopped at the {self.max_steps}-step limit: press reset)"
        return self._redraw(text, start)

    def _on_play_pressed(self, change: dict) -> None:
        # Play at the step limit (e.g. after the notebook's headless run(N)) would show nothing
        # new: start again from the seeded initial state and play, and say so.
        if change["new"] and self.step_count >= self.max_steps and not self.diverged:
            self.reset()
            self._redraw(f"restarted from the beginning (the run had reached its {self.max_steps}-step limit)")
            self.play.playing = True

    def _on_tick(self, change: dict) -> None:
        new = int(change["new"])
        # One frame per tick message, however many ticks it skipped (a busy kernel drops ticks);
        # a rewind of the Play widget (stop) only re-arms it.
        if new > self._last_tick:
            self._advance(self.steps_per_tick, budget_ms=self.frame_budget_ms)
        self._last_tick = new

    def _acknowledge(self, change: dict) -> None:
        """Say at once that a slider moved, and from when it acts (the figure changes only then)."""
        control = change["owner"]
        label = control.description.split(" (")[0]
        shown = f"{change['new']:.2e}" if isinstance(control, W.FloatLogSlider) else \
            f"{change['new']:.3g}" if isinstance(change["new"], float) else f"{change['new']}"
        if self.diverged:
            when = "press reset to start again with it"
        elif self.play.playing:
            when = "applies from the next update"
        else:
            when = "applies from the next update (press play or step)"
        self.box.set_status(f"step {self.step_count}: {label} set to {shown}, {when}", ok=True)

    def _redraw(self, text: str, start: float | None = None) -> str:
        self.image.value = frame_png(self.session.fig, getattr(self.session, "backdrop", None))
        if start is not None:
            self.frame_ms.append((time.perf_counter() - start) * 1e3)
        self.box.set_status(f"step {self.step_count}: {text}", ok=not self.diverged)
        self._grey_out_steps()
        return text

    def _grey_out_steps(self) -> None:
        """At the step limit or after divergence an update is impossible: grey out the one-update
        buttons and say why (play still restarts, reset still resets)."""
        reason = ("diverged: press reset" if self.diverged else
                  f"the run reached its {self.max_steps}-step limit: press reset or play"
                  if self.step_count >= self.max_steps else None)
        for button, tip in [(self.step_button, "one update"),
                            *[(b, f"one update: {label}") for label, b in self.action_buttons.items()]]:
            button.disabled = reason is not None
            button.tooltip = reason or tip

    def panel(self) -> FigureBox:
        """The player widget: buttons, speed and learning-rate sliders, status and the figure."""
        return self.box
