"""Notebook 10's explorers and figures: gradients flowing back through time, and sampling text.

``GradientFlowExplorer`` (cell, recurrent gain, forget-gate bias, sequence length) redraws
:math:`\\|\\partial L/\\partial h_t\\|` against t from the NumPy BPTT of :mod:`helpers.rnn.bptt`.
``CharSampler`` is the course's sampling panel (:mod:`helpers.ui.sampling`) on a character LSTM,
sampled step by step as :func:`helpers.rnn.charlm.generate` does, through a NumPy copy of the
network (:class:`helpers.rnn.decoding.LSTMDecoder`: the same samples, without a torch call per
character). The static figures of the notebook are plain functions returning a ``Figure``.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure

from helpers.core.checks import check_range
from helpers.core.data import CharVocab
from helpers.core.figures import new_figure
from helpers.rnn.bptt import hidden_grad_norms
from helpers.rnn.charlm import TextSampler, load_char_corpus, train_char_model
from helpers.rnn.decoding import LSTMDecoder
from helpers.ui.backdrop import Backdrop
from helpers.rnn.models import CharLSTM
from helpers.ui.sampling import SamplingPanel
from helpers.ui.widgets import App, dropdown, float_slider, int_slider

__all__ = ["GradientFlowExplorer", "CharSampler", "gradient_flow_figure", "clipping_figure",
           "describe_flow", "CELL_NAMES"]

CELL_NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
_FLOOR, _CEIL = 1e-30, 1e30  # plotting range: beyond it the words in the status say it


def describe_flow(ratio: float) -> str:
    """Words for ||dL/dh_1|| / ||dL/dh_T||: vanished, exploded or carried."""
    if ratio < 1e-6:
        return f"vanished ({ratio:.0e} of the last step's)"
    if ratio > 1e3:
        return f"exploded ({ratio:.0e}× the last step's)"
    return f"carried back ({ratio:.2g}× the last step's)"


def gradient_flow_figure(gains: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0), forget_bias: float = 0.0,
                         seq_len: int = 100, seed: int = 0) -> Figure:
    """One panel per cell: relative ||dL/dh_t|| against t for several recurrent gains (log scale)."""
    check_range(seq_len, "seq_len", 2, 1000, integer=True)
    fig = new_figure(9, 2.9)
    axes = fig.subplots(1, 3, sharey=True)
    t = np.arange(1, seq_len + 1)
    for ax, (cell, title) in zip(axes, CELL_NAMES.items()):
        for gain in gains:
            norms = hidden_grad_norms(cell, seq_len, gain, forget_bias=forget_bias, seed=seed)
            ax.semilogy(t, np.clip(norms, _FLOOR, _CEIL), label=f"g = {gain:g}")
        bias = "" if cell == "rnn" else f", gate bias {forget_bias:+g}"
        ax.set(title=f"{title}{bias}", xlabel="time step t", ylim=(_FLOOR, _CEIL))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("‖∂ℒ/∂h_t‖ / ‖∂ℒ/∂h_T‖")
    axes[-1].legend(loc="lower right")
    fig.tight_layout()
    return fig


def clipping_figure(runs: dict[str, dict[str, list[float]]], clip: float = 1.0) -> Figure:
    """Training loss and gradient norm per step for runs labelled e.g. "no clipping" / "clipped"."""
    fig = new_figure(8, 2.8)
    ax_loss, ax_norm = fig.subplots(1, 2)
    for label, hist in runs.items():
        ax_loss.plot(hist["loss"], label=label)
        ax_norm.semilogy(hist["grad_norm"], label=label, lw=1)
    ax_loss.axhline(np.log(4), color="grey", ls=":", lw=1, label="chance (ln 4)")
    ax_norm.axhline(clip, color="grey", ls="--", lw=1, label=f"clip at {clip:g}")
    ax_loss.set(xlabel="SGD step", ylabel="cross-entropy", title="training loss")
    ax_norm.set(xlabel="SGD step", ylabel="‖g‖ before clipping", title="gradient norm")
    for ax in (ax_loss, ax_norm):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


class GradientFlowExplorer(App):
    """How much of the error signal at the last step reaches each earlier step, for a random cell.

    The network (32 units, 8 standard-normal inputs per step, batch 16) is re-drawn from the same
    seed at every move, so only the knob you move changes the curve.
    """

    def __init__(self) -> None:
        self.fig = new_figure(7, 3.0)
        self.ax = self.fig.add_subplot()
        (self.line,) = self.ax.semilogy([1, 2], [1, 1], lw=2)
        self.ax.axhline(1.0, color="grey", lw=0.8)
        self.ax.set(ylim=(_FLOOR, _CEIL), xlabel="time step t", ylabel="‖∂ℒ/∂h_t‖ / ‖∂ℒ/∂h_T‖",
                    title="gradient reaching step t from a loss at the last step")
        self.ax.grid(alpha=0.3)
        self.fig.tight_layout()
        # everything but the curve and the time axis drawn once: the sequence length moves the
        # time axis's ticks and grid lines, and redrawing that axis is cheaper than a re-capture
        self.backdrop = Backdrop(self.fig, [self.line, self.ax.xaxis])
        self.fig.canvas.draw()   # places the axis label below the tick labels: pin it there, so that
        label = self.ax.xaxis.label   # redrawing the axis skips placing it again
        self.ax.xaxis.set_label_coords(*self.ax.transAxes.inverted().transform(
            label.get_transform().transform(label.get_position())))
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        # gain first: it is the knob of this figure for every cell (the gate bias only for LSTM/GRU)
        return {"gain": float_slider(1.0, 0.25, 4.0, 0.05, "recurrent gain g", unit="≈ spectral radius"),
                "cell": dropdown({v: k for k, v in CELL_NAMES.items()}, "rnn", "cell"),
                "forget_bias": float_slider(0.0, -2.0, 6.0, 0.5, "forget/update gate bias", unit="logit"),
                "seq_len": int_slider(100, 10, 200, "sequence length T", unit="steps", step=10)}

    def inactive(self, cell: str = "rnn", **_values) -> dict[str, str]:
        """The vanilla RNN has no gates, so no gate bias."""
        return {"forget_bias": "the vanilla RNN has no gates: choose the LSTM or the GRU"} if cell == "rnn" else {}

    def update(self, cell: str = "rnn", gain: float = 1.0, forget_bias: float = 0.0, seq_len: int = 100) -> str:
        norms = hidden_grad_norms(cell, seq_len, gain, forget_bias=forget_bias)
        self.line.set_data(np.arange(1, seq_len + 1), np.clip(norms, _FLOOR, _CEIL))
        self.ax.set_xlim(1, seq_len)   # the x axis is a dynamic artist of the backdrop: no re-capture
        bias = "" if cell == "rnn" else f", gate bias {forget_bias:+.1f}"
        return f"{CELL_NAMES[cell]}, g = {gain:.2f}{bias}: the gradient at t = 1 has {describe_flow(norms[0])}"


class CharSampler(SamplingPanel):
    """The sampling panel (:class:`helpers.ui.sampling.SamplingPanel`) on a character LSTM.

    Args:
        model: a trained :class:`helpers.rnn.models.CharLSTM`. If None, a tiny one is trained for
            about a second at construction (a demo that knows little more than character
            frequencies); the status line says which model is used.
        vocab: the model's :class:`helpers.core.data.CharVocab` (required with ``model``).
        description: how to name the model in the status line.
    """

    def __init__(self, model: CharLSTM | None = None, vocab: CharVocab | None = None,
                 description: str | None = None) -> None:
        if model is None:
            model, vocab = _tiny_char_lstm()
            description = description or "a tiny CharLSTM trained for 1 s at start-up (demo quality)"
        if not isinstance(model, CharLSTM) or vocab is None or len(vocab) != model.vocab_size:
            raise ValueError("CharSampler needs a CharLSTM and its vocabulary (same size), got "
                             f"{type(model).__name__} and {type(vocab).__name__}")
        # sampled through a NumPy copy of the LSTM: generate()'s samples, without a torch call per character
        super().__init__(TextSampler(model, vocab, decoder=LSTMDecoder), description or "the given CharLSTM",
                         temperature=0.8)


def _tiny_char_lstm() -> tuple[CharLSTM, CharVocab]:
    """A seconds-old CharLSTM on the course corpus: enough to show what temperature does."""
    corpus = load_char_corpus()
    torch.manual_seed(0)
    model = CharLSTM(len(corpus.vocab), embed_dim=16, hidden_size=48)
    train_char_model(model, corpus, steps=40, lr=2e-2, batch_size=16, seq_len=32, eval_every=10**6,
                     plot=False, progress=False)
    return model, corpus.vocab
