"""The text sampling panel of notebooks 10 (LSTM) and 11 (transformer): one widget for any language model.

The panel draws and words; the maths is the sampler's. A sampler is any object with

* ``labels``: the K tokens as strings,
* ``next_probs(prompt, temperature) -> (K,)``: :math:`\\mathrm{softmax}(\\text{logits}/\\tau)` of the
  token after ``prompt``,
* ``entropy(prompt, temperature) -> float``: that distribution's entropy in bits,
* ``sample(prompt, length, temperature, seed) -> str``: the prompt and ``length`` sampled tokens,

which :class:`helpers.rnn.charlm.TextSampler` provides for a character model. Each chapter's app
(``apps.ch10_rnn.CharSampler``, ``apps.ch11_transformer.SamplingExplorer``) only chooses the model.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np

from helpers.core.checks import check_range
from helpers.core.figures import PALETTE, new_figure
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, int_slider, log_slider

__all__ = ["SamplingPanel"]

_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}  # how whitespace tokens are labelled on the bar chart
_WIDTH, _LINES = 62, 22                        # the sample's text box, in characters and lines


class SamplingPanel(App):
    """Temperature τ reshapes the next-token distribution softmax(logits / τ): see it, and a sample.

    Args:
        sampler: the model behind the panel (see the module docstring).
        description: how the status line names the model.
        temperature: the temperature slider's initial value.
        length: the length slider's initial value (characters sampled).
        top: how many of the likeliest next tokens (ranked at τ = 1) get a bar.
    """

    prompts = ("def ", "class ", "import ", "    return ", "# ")

    def __init__(self, sampler: Any, description: str, temperature: float = 1.0, length: int = 150,
                 top: int = 12) -> None:
        missing = [m for m in ("labels", "next_probs", "entropy", "sample") if not hasattr(sampler, m)]
        if missing:
            raise ValueError(f"sampler must have labels, next_probs, entropy and sample; "
                             f"{type(sampler).__name__} lacks {', '.join(missing)}")
        check_range(length, "length", 20, 200, integer=True)
        self.sampler, self.description = sampler, description
        self.temperature, self.length = temperature, length
        self.top = min(top, len(sampler.labels))
        self.fig = new_figure(9, 3.4)
        self.ax_p, self.ax_t = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        self.bars = self.ax_p.bar(np.arange(self.top), np.zeros(self.top), color=PALETTE[0])
        self.ax_p.set(ylim=(0, 1), ylabel="probability", xticks=np.arange(self.top))
        self.ax_p.set_title(f"next character (the {self.top} likeliest at τ = 1)", fontsize=9)
        self.ax_p.grid(alpha=0.3, axis="y")
        self.ax_t.set_axis_off()
        self.text = self.ax_t.text(0, 1, "", va="top", ha="left", family="monospace", fontsize=9,
                                   parse_math=False, transform=self.ax_t.transAxes)  # a '$' is a character
        self.ax_t.set_title("sample (prompt + generated)", fontsize=9)
        self.fig.tight_layout()
        # axes and the bars' labels drawn once per ranking of the next characters: a temperature,
        # seed or length move redraws only the bars and the text
        self.backdrop = Backdrop(self.fig, [*self.bars, self.text])
        self._order = np.arange(self.top)

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"temperature": log_slider(self.temperature, 0.05, 5.0, "temperature τ", unit="× logit scale⁻¹"),
                "seed": int_slider(0, 0, 20, "sampling seed"),
                "length": int_slider(self.length, 20, 200, "length", unit="chars", step=10),
                "prompt": dropdown(list(self.prompts), self.prompts[0], "prompt")}

    def next_char_probs(self, prompt: str, temperature: float) -> np.ndarray:
        """The sampler's next-character distribution after ``prompt`` at ``temperature``; shape (K,)."""
        return self.sampler.next_probs(prompt, temperature)

    def next_char_entropy(self, prompt: str, temperature: float) -> float:
        """The entropy (bits) of :meth:`next_char_probs`."""
        return self.sampler.entropy(prompt, temperature)

    def update(self, temperature: float | None = None, seed: int = 0, length: int | None = None,
               prompt: str = "def ") -> str:
        temperature = self.temperature if temperature is None else temperature
        length = self.length if length is None else length
        probs = self.next_char_probs(prompt, temperature)
        # the bars' order is fixed by tau = 1's ranking, per prompt (and per model state: a model
        # trained further may rank differently); each order's tick labels are drawn once and kept
        self._order = np.argsort(-self.next_char_probs(prompt, 1.0))[:self.top]
        labels = [_VISIBLE.get(self.sampler.labels[k], self.sampler.labels[k]) for k in self._order]
        self.backdrop.use_layer(tuple(labels), lambda: self.ax_p.set_xticklabels(
            labels, family="monospace", fontsize=9, parse_math=False))
        for bar, p in zip(self.bars, probs[self._order]):
            bar.set_height(p)
        text = self.sampler.sample(prompt, length, temperature, seed).expandtabs(4)
        # hard-wrap long lines without touching spaces: in code, indentation is content
        lines = [ln[k:k + _WIDTH] for ln in text.split("\n") for k in range(0, max(len(ln), 1), _WIDTH)]
        self.text.set_text("\n".join(lines[:_LINES]))
        entropy = self.next_char_entropy(prompt, temperature)
        kind = "near-greedy: repetitive" if temperature < 0.4 else "close to uniform noise" if temperature > 2.5 else "varied"
        return (f"τ = {temperature:.2f}: next-character entropy {entropy:.2f} bits, top choice {probs.max():.0%}; "
                f"{length} characters sampled, {kind}; model: {self.description}")
