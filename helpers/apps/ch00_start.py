"""Notebook 00's warm-up widget: a wave whose amplitude, frequency and shape the sliders set."""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, float_slider, int_slider
from helpers.core.figures import new_figure

_SHAPES = {"sine": np.sin, "square": lambda t: np.sign(np.sin(t)), "sawtooth": lambda t: (t / np.pi) % 2 - 1}


class WaveExplorer(App):
    """y = A · shape(2π f x): drag a slider and watch the curve follow."""

    def __init__(self) -> None:
        self.x = np.linspace(0, 1, 500)
        self.fig = new_figure(6, 2.6)
        self.ax = self.fig.add_subplot()
        (self.line,) = self.ax.plot(self.x, np.zeros_like(self.x), lw=2)
        self.ax.set(xlim=(0, 1), ylim=(-2.1, 2.1), xlabel="x (seconds)", ylabel="y")
        self.ax.grid(alpha=0.3)
        self.fig.tight_layout()
        # axes, ticks and grid drawn once: a move redraws the curve, and the frame over it (as a
        # full draw would)
        self.backdrop = Backdrop(self.fig, [self.line, *self.ax.spines.values()])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"amplitude": float_slider(1.0, 0.0, 2.0, 0.05, "amplitude A"),
                "frequency": int_slider(2, 1, 10, "frequency f", unit="Hz"),
                "shape": dropdown(list(_SHAPES), "sine", "shape")}

    def update(self, amplitude: float = 1.0, frequency: int = 2, shape: str = "sine") -> str:
        y = amplitude * _SHAPES[shape](2 * np.pi * frequency * self.x)
        self.line.set_ydata(y)
        return f"{shape} wave: A = {amplitude:.2f}, f = {frequency} Hz, peak y = {np.max(y):.2f}"
