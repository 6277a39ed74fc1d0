"""Notebook 11's explorers: attention maps of the digit-reversal transformer, and sampling a tiny
GPT at a chosen temperature; plus the chapter's static figures and a training session for
:class:`helpers.ui.player.TrainingPlayer` that shows attention forming while the model learns.

Built with no arguments, each app trains its own small model in about a second (seeded, so the
same every time); the notebook passes in the models it trained properly instead.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch
from matplotlib.figure import Figure
from torch.nn import functional as F

from helpers.ui.backdrop import Backdrop, grown
from helpers.transformer.attention import positional_encoding
from helpers.core.data import CharVocab
from helpers.rnn.charlm import TextSampler, load_char_corpus, train_char_model
from helpers.transformer.tasks import make_reversal_data, predict, train_reversal
from helpers.transformer.gpt import GPT, GPTConfig
from helpers.transformer.decoding import GPTDecoder
from helpers.core.checks import check_array
from helpers.ui.sampling import SamplingPanel
from helpers.ui.widgets import App, int_slider
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure

__all__ = ["reversal_model", "AttentionExplorer", "SamplingExplorer", "ReversalSession",
           "plot_positional_encoding", "plot_attention_grid", "bpc_comparison_figure"]



def reversal_model(length: int = 10, n_layer: int = 2, n_head: int = 2, pos: str = "learned", seed: int = 0) -> GPT:
    """The chapter's reversal transformer: an encoder (no causal mask), D = 32, untrained."""
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=10, block_size=length, n_layer=n_layer, n_head=n_head, n_embd=32,
                         pos=pos, causal=False))


def _mirror_mass(att: np.ndarray) -> float:
    """Mean attention that output position t puts on input position T-1-t. att: (..., T, T)."""
    T = att.shape[-1]
    return float(att[..., np.arange(T), T - 1 - np.arange(T)].mean())


class AttentionExplorer(App):
    """Pick a layer, a head and an input; see where each output position looks.

    Rows are the positions being computed (queries), columns the input positions (keys); for
    reversal, a head that has learned the task shows the anti-diagonal.
    """

    def __init__(self, model: GPT | None = None, x: np.ndarray | None = None) -> None:
        if model is None:  # a quick, seeded model so the app works on its own
            model = reversal_model(length=8)
            x_val, y_val = make_reversal_data(200, 8, seed=1)
            train_reversal(model, x_val, y_val, steps=80, plot=False, progress=False)
        T = model.config.block_size
        self.x = check_array(make_reversal_data(8, T, seed=2)[0] if x is None else x, "x", ndim=2, dtype="int")
        self.pred = predict(model, self.x)                                     # (n, T)
        self.maps = model.attention_maps(torch.from_numpy(self.x)).numpy()     # (L, n, h, T, T)
        L, _, h, T, _ = self.maps.shape
        self.n_layer, self.n_head, self.T = L, h, T
        self.fig = new_figure(5.4, 4.8)
        self.ax = self.fig.add_subplot()
        # "nearest" is what the default does for a T x T map enlarged this much, said explicitly
        self.im = self.ax.imshow(self.maps[0, 0, 0], cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        self.fig.colorbar(self.im, ax=self.ax, label="attention weight")
        self.ax.set(xticks=range(T), yticks=range(T), xlabel="input position (key): digit",
                    ylabel="output position (query): predicted digit")
        self.fig.tight_layout()
        # where the Axes title goes, but a text: an Axes title repositions itself against hidden artists (Backdrop)
        self.title = self.ax.text(0.5, 1.0, "", transform=self.ax.title.get_transform(), ha="center",
                                  va="baseline", fontsize=10)
        # axes, ticks and colour bar drawn once; the map, the title and the tick labels (the input's
        # digits and the predictions) change with the controls, and the spines are drawn over the map.
        # The tick positions never change, so their label texts are redrawn alone, not the whole axes.
        self._tick_labels = [t.label1 for axis in (self.ax.xaxis, self.ax.yaxis) for t in axis.get_major_ticks()]
        self.update()            # tick labels of the kind shown ("t:digit"), then
        self.fig.canvas.draw()   # place the axis labels clear of them and pin them there, since
        for axis in (self.ax.xaxis, self.ax.yaxis):   # the static layer is drawn without the tick labels
            label = axis.label
            xy = self.ax.transAxes.inverted().transform(label.get_transform().transform(label.get_position()))
            axis.set_label_coords(*xy)
        self.backdrop = Backdrop(self.fig, [self.im, self.title, *self._tick_labels, *self.ax.spines.values()])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"layer": int_slider(0, 0, self.n_layer - 1, "layer", unit="0 = first"),
                "head": int_slider(0, 0, self.n_head - 1, "head", unit="index"),
                "example": int_slider(0, 0, len(self.x) - 1, "input", unit="held-out example")}

    def update(self, layer: int = 0, head: int = 0, example: int = 0) -> str:
        att = self.maps[layer, example, head]                                  # (T, T)
        self.im.set_data(att)
        x, p = self.x[example], self.pred[example]
        self.ax.set_xticklabels([f"{t}:{d}" for t, d in enumerate(x)], rotation=90)
        self.ax.set_yticklabels([f"{t}:{d}" for t, d in enumerate(p)])
        wrong = int(np.sum(p != x[::-1]))
        self.title.set_text(f"layer {layer}, head {head}")
        verdict = "reversed correctly" if wrong == 0 else f"{wrong} of {self.T} digits wrong"
        return (f"input {''.join(map(str, x))} -> output {''.join(map(str, p))} ({verdict}); this head puts "
                f"{_mirror_mass(att):.0%} of its attention on the mirror position (uniform would be {1 / self.T:.0%})")


def _tiny_char_gpt() -> tuple[GPT, CharVocab]:
    """A seconds-old GPT on the course corpus: enough to show what temperature does."""
    corpus = load_char_corpus()
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(corpus.vocab), block_size=128, n_layer=1, n_head=2, n_embd=32))
    train_char_model(model, corpus, steps=80, lr=1e-2, batch_size=32, seq_len=32, eval_every=10**6,
                     plot=False, progress=False)
    return model, corpus.vocab


class SamplingExplorer(SamplingPanel):
    """The sampling panel (:class:`helpers.ui.sampling.SamplingPanel`) on a character GPT.

    Args:
        model, vocab: a trained :class:`helpers.transformer.gpt.GPT` and its vocabulary; both or
            neither (then a tiny GPT is trained for about a second at construction).
        length: the length slider's initial value (characters sampled).
    """

    def __init__(self, model: GPT | None = None, vocab: CharVocab | None = None, length: int = 100) -> None:
        if (model is None) != (vocab is None):
            raise ValueError("give both model and vocab, or neither")
        description = "the given GPT"
        if model is None:
            model, vocab = _tiny_char_gpt()
            description = "a tiny GPT trained for 1 s at start-up (demo quality)"
        # sampled through a NumPy copy of the GPT with a key/value cache: generate()'s samples, faster
        decoder = GPTDecoder if isinstance(model, GPT) and model.config.causal else None
        super().__init__(TextSampler(model, vocab, decoder=decoder), description, temperature=1.0, length=length)


class ReversalSession:
    """A :class:`helpers.ui.player.TrainingSession`: train the reversal model step by step and watch the
    first layer's attention (head 0, one held-out input) turn into the anti-diagonal."""

    def __init__(self, length: int = 8, batch_size: int = 64, seed: int = 0) -> None:
        self.length, self.batch_size, self.seed = length, batch_size, seed
        self.x_val, self.y_val = make_reversal_data(200, length, seed=1)
        self.fig = new_figure(7.0, 3.0)
        self.ax_loss, self.ax_att = self.fig.subplots(1, 2)
        (self.line,) = self.ax_loss.plot([], [], lw=1)
        self.ax_loss.set(xlabel="step", ylabel="train loss (nats)", yscale="log")
        self.ax_loss.grid(alpha=0.3)
        self.im = self.ax_att.imshow(np.zeros((length, length)), vmin=0, vmax=1, cmap="viridis")
        self.fig.colorbar(self.im, ax=self.ax_att, label="attention weight")
        self.ax_att.set(xlabel="input position", ylabel="output position", title="layer 0, head 0")
        self.ax_loss.set(xlim=(0, 50), ylim=(1e-3, 5))
        self.fig.tight_layout()
        self.backdrop = Backdrop(self.fig, [self.line, self.im])  # axes and ticks drawn once
        self.backdrop.capture()
        self.reset()

    def reset(self) -> None:
        self.model = reversal_model(self.length, seed=self.seed)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.rng = np.random.default_rng(self.seed)
        self.losses: list[float] = []

    def step(self, lr: float) -> float:
        for group in self.opt.param_groups:
            group["lr"] = lr  # the player's slider takes effect at the next step
        x = torch.from_numpy(self.rng.integers(0, 10, size=(self.batch_size, self.length)))
        loss = F.cross_entropy(self.model(x).reshape(-1, 10), x.flip(1).reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.losses.append(loss.item())
        return self.losses[-1]

    def draw(self) -> str:
        steps = np.arange(1, len(self.losses) + 1)
        self.line.set_data(steps, np.maximum(self.losses, 1e-6) if self.losses else [])
        self.backdrop.set_limits(self.ax_loss, xlim=(0, grown(len(self.losses), 50)))
        att = self.model.attention_maps(torch.from_numpy(self.x_val[:1])).numpy()[0, 0, 0]  # (T, T)
        self.im.set_data(att)
        acc = float(np.mean(np.all(predict(self.model, self.x_val) == self.y_val, axis=1)))
        loss = f"loss {self.losses[-1]:.3f}" if self.losses else "untrained"
        return f"{loss}; held-out strings reversed exactly: {acc:.0%}; mirror attention {_mirror_mass(att):.0%}"


def plot_positional_encoding(T: int = 64, D: int = 32) -> Figure:
    """The sinusoidal table as an image, and a few of its columns as curves over position."""
    pe = positional_encoding(T, D)                                            # (T, D)
    fig = new_figure(8.6, 3.0)
    ax_img, ax_curves = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    im = ax_img.imshow(pe.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, origin="lower")
    fig.colorbar(im, ax=ax_img, label="PE value")
    ax_img.set(xlabel="position pos", ylabel="dimension j", title=f"PE for T = {T}, D = {D}")
    for j in (0, 2, 8, 16):
        if j < D:
            ax_curves.plot(pe[:, j], label=f"j = {j}")
    ax_curves.set(xlabel="position pos", ylabel="PE(pos, j)", title="sin columns: slower with j")
    ax_curves.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="dimension")  # beside the curves, not on them
    fig.tight_layout()
    return fig


def plot_attention_grid(model: GPT, x: np.ndarray) -> Figure:
    """Every layer's and head's attention for one input ``x`` of shape (T,), one panel each, on one
    shared 0-to-1 colour scale (its colour bar on the right)."""
    x = check_array(x, "x", ndim=1, dtype="int")
    maps = model.attention_maps(torch.from_numpy(x)[None]).numpy()[:, 0]      # (L, h, T, T)
    L, h = maps.shape[:2]
    fig = new_figure(2.4 * h + 1.2, 2.4 * L + 0.3)
    axes = fig.subplots(L, h, squeeze=False)
    for (l_idx, h_idx), ax in np.ndenumerate(axes):
        im = ax.imshow(maps[l_idx, h_idx], vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"layer {l_idx}, head {h_idx}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set(xlabel="input position", ylabel="output position")
    fig.tight_layout(rect=(0, 0, 0.86, 1))                                   # room for the colour bar
    fig.colorbar(im, cax=fig.add_axes((0.89, 0.12, 0.025, 0.76)), label="attention weight")
    return fig


def bpc_comparison_figure(histories: dict[str, dict[str, list[float]]], baselines: dict[str, float],
                          eval_every: int) -> Figure:
    """Held-out bits per character of each model (``histories[name]["val_bpc"]``, measured every
    ``eval_every`` steps) on one chart, with the counting baselines as horizontal lines."""
    fig = new_figure(6.4, 3.4)
    ax = fig.add_subplot()
    for i, (name, hist) in enumerate(histories.items()):
        val = np.asarray(hist["val_bpc"], dtype=float)
        steps = np.minimum(np.arange(1, len(val) + 1) * eval_every, len(hist["step"]))
        ax.plot(steps, val, color=PALETTE[i], ls=LINESTYLES[i], marker=MARKERS[i], label=f"{name} (ends {val[-1]:.2f})")
    for j, (name, value) in enumerate(baselines.items()):
        ax.axhline(value, color="gray", ls=LINESTYLES[2 + j], lw=1, label=f"{name} counts ({value:.2f})")
    ax.set(xlabel="training step", ylabel="held-out bits per character",
           title="held-out bits per character (lower is better)")
    ax.set_xticks(steps)                     # the steps where held-out text was scored
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig
