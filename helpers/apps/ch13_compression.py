"""Notebook 13's explorer: how temperature T and weight alpha shape the distillation targets and loss.

Axes, ticks, legend and grid are drawn once (a :class:`helpers.ui.backdrop.Backdrop`); a control
move redraws only the 20 bars and the title.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib as mpl
import numpy as np

from helpers.compression.distill import distillation_terms, soft_targets
from helpers.core.checks import check_array
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, float_slider
from helpers.core.figures import OKABE_ITO, new_figure

# Illustrative logits for three digits (a teacher that is sure but sees a resemblance, and a
# less trained student). Rows: a 3 that looks a bit like an 8 / 5, a 7 like a 1, a 4 like a 9.
_TEACHER = np.array([[-2.0, -1.0, 0.5, 9.0, -3.0, 4.0, -2.5, -1.0, 5.5, 1.0],
                     [-1.5, 6.0, 1.0, -0.5, -1.0, -2.0, -3.0, 10.0, -0.5, 2.0],
                     [-1.0, -0.5, -2.0, -2.5, 8.5, -1.0, 0.0, 1.5, -0.5, 6.0]])
_STUDENT = np.array([[0.5, 0.0, 1.0, 3.0, -0.5, 0.5, 0.0, 0.5, 1.0, 0.5],
                     [0.0, 2.5, 0.5, 0.0, -0.5, -0.5, -1.0, 2.0, 0.0, 0.5],
                     [0.0, 0.0, -0.5, -0.5, 2.0, 0.5, 0.5, 0.0, 0.0, 2.5]])
_LABELS = np.array([3, 7, 4])


class DistillExplorer(App):
    """Teacher vs student probabilities at temperature T for one example, and the loss terms."""

    def __init__(self, teacher_logits: np.ndarray | None = None, student_logits: np.ndarray | None = None,
                 labels: np.ndarray | None = None) -> None:
        self.zt = check_array(_TEACHER if teacher_logits is None else teacher_logits, "teacher_logits", ndim=2)
        self.zs = check_array(_STUDENT if student_logits is None else student_logits, "student_logits",
                              shape=self.zt.shape)
        self.y = check_array(_LABELS if labels is None else labels, "labels", shape=(self.zt.shape[0],),
                             dtype="int")
        K = self.zt.shape[1]
        self.fig = new_figure(6.4, 2.6)
        self.ax = self.fig.add_subplot()
        x = np.arange(K)
        self.t_bars = self.ax.bar(x - 0.2, np.zeros(K), 0.4, label="teacher  softmax(z_t / T)", color=OKABE_ITO["blue"])
        self.s_bars = self.ax.bar(x + 0.2, np.zeros(K), 0.4, label="student  softmax(z_s / T)",
                                  color=OKABE_ITO["orange"], hatch="//", edgecolor="white")
        self.ax.set(xticks=x, xlabel="class k", ylabel="probability", ylim=(0, 1.05))
        self.ax.legend(loc="upper left", fontsize=9)
        self.ax.grid(alpha=0.3, axis="y")
        # where ax.set_title puts a title, as a plain text (a real title repositions itself against
        # the tick labels the backdrop hides)
        self.title = self.ax.annotate("true label 0: the teacher's runner-up, class 0, gets p = 0.000", (0.5, 1.0),
                                      xycoords="axes fraction", xytext=(0, mpl.rcParams["axes.titlepad"]),
                                      textcoords="offset points", ha="center", va="baseline",
                                      fontsize=mpl.rcParams["axes.titlesize"])
        self.fig.tight_layout()  # laid out with a title in place, so the one update() writes fits
        self.backdrop = Backdrop(self.fig, [*self.t_bars, *self.s_bars, self.title])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        options = {f"example {i} (label {int(c)})": i for i, c in enumerate(self.y)}
        return {"T": float_slider(4.0, 1.0, 20.0, 0.5, "temperature T", unit="no unit", fmt=".1f"),
                "alpha": float_slider(0.3, 0.0, 1.0, 0.05, "α (weight of hard labels)", unit="no unit"),
                "example": dropdown(options, 0, "example")}

    def update(self, T: float = 4.0, alpha: float = 0.3, example: int = 0) -> str:
        zt, zs, y = self.zt[example:example + 1], self.zs[example:example + 1], self.y[example:example + 1]
        pt, ps = soft_targets(zt, T)[0], soft_targets(zs, T)[0]
        for bar, h in zip(self.t_bars, pt):
            bar.set_height(h)
        for bar, h in zip(self.s_bars, ps):
            bar.set_height(h)
        ce, kl = distillation_terms(zs, zt, y, T)
        loss = alpha * ce + (1 - alpha) * T ** 2 * kl
        runner_up = int(np.argsort(pt)[-2])
        self.title.set_text(f"true label {int(y[0])}: the teacher's runner-up, class {runner_up}, gets p = {pt[runner_up]:.3f}")
        note = " (α = 1: the teacher is ignored)" if alpha == 1 else ""
        return (f"T = {T:.1f}, α = {alpha:.2f}: CE = {ce:.3f}, T²·KL = {T ** 2 * kl:.3f}, "
                f"ℒ = {loss:.3f}; teacher's runner-up: class {runner_up} ({pt[runner_up]:.1%}){note}")
