"""Notebook 18's interactive pieces: what temperature and augmentation strength do to SimCLR, a
tiny CLIP trained live, and its zero-shot classifier driven by a prompt you type.

* :class:`ContrastiveExplorer` (App): pick τ and the augmentation strength s from a grid of
  pre-trained encoders; see the batch's softmax similarity matrix and the encoder's probe accuracy.
* :class:`ZeroShotExplorer` (App): type a prompt template; see the zero-shot accuracy per digit
  and one held-out digit's class probabilities.
* :class:`CLIPTrainingSession`: a :class:`helpers.ui.player.TrainingSession` for the player.

Everything a slider selects is computed when the app is built; a move only updates artists.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch

from helpers.core.checks import check_array, check_range
from helpers.core.data import load_digits
from helpers.core.figures import PALETTE, new_figure
from helpers.selfsupervised.clip import (NAMES, TEMPLATES, ClipSteps, TinyCLIP, check_prompt, embed_images,
                                         embed_prompts, train_clip, zero_shot_predict)
from helpers.selfsupervised.contrastive import positive_index, similarity_logits
from helpers.selfsupervised.simclr import Sweep, sweep
from helpers.selfsupervised.views import two_views
from helpers.ui.backdrop import Backdrop, grown
from helpers.ui.widgets import App, int_slider

__all__ = ["ContrastiveExplorer", "ZeroShotExplorer", "CLIPTrainingSession", "digits_split"]

_STYLE = {"description_width": "initial"}


def _selection(options: tuple[float, ...], value: float, description: str) -> W.SelectionSlider:
    return W.SelectionSlider(options=[(f"{v:g}", v) for v in options], value=value, description=description,
                             continuous_update=True, style=_STYLE, layout=W.Layout(width="360px"))


def digits_split(seed: int = 0, test: float = 0.3):
    """The digits split stratified into train and test (images (N, 8, 8), labels), for CLIP."""
    from sklearn.model_selection import train_test_split

    X, y = load_digits()
    return train_test_split(X, y, test_size=test, random_state=seed, stratify=y)


class ContrastiveExplorer(App):
    """Temperature τ and augmentation strength s → the batch's similarity softmax and the probe accuracy.

    Left: for ``n_show`` held-out digits, two views each (strength s), encoded by the encoder
    trained at (τ, s); row i is the softmax of view i's similarities over the other views, divided
    by τ (the outlined cells are the partners). Right: every grid point's probe accuracy, the
    current one framed.

    Args:
        grid: a :func:`helpers.selfsupervised.simclr.sweep` result. Default: a quick sweep of
            15 steps per grid point (so the app builds in seconds); the notebook passes its own.
        n_show: digits in the batch (2·n_show views).
        seed: seeds the views.
    """

    def __init__(self, grid: Sweep | None = None, n_show: int = 10, seed: int = 0) -> None:
        self.grid = grid if grid is not None else sweep((0.1, 0.5, 1.0), (0.0, 0.5, 1.0), steps=15, seed=seed)
        check_range(n_show, "n_show", 2, len(self.grid.task.test), integer=True)
        images = self.grid.task.test[:n_show]                              # (n, 8, 8)
        self.n_show = n_show
        self.probs, self.partner = {}, {}
        for (i, j), (encoder, head) in self.grid.models.items():
            v1, v2 = two_views(images, np.random.default_rng(seed), self.grid.strengths[j])
            with torch.no_grad():
                z1, z2 = (head(encoder(torch.as_tensor(v, dtype=torch.float32))).double().numpy() for v in (v1, v2))
            logits = similarity_logits(z1, z2, self.grid.temperatures[i])   # (2n, 2n), -inf on the diagonal
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            self.probs[(i, j)] = p
            self.partner[(i, j)] = float(p[np.arange(2 * n_show), positive_index(n_show)].mean())
        self._build_figure()

    def _build_figure(self) -> None:
        g, n2 = self.grid, 2 * self.n_show
        self.fig = new_figure(8.4, 3.5)
        ax = self.fig.add_axes((0.07, 0.15, 0.36, 0.72))
        self.heat = ax.imshow(np.zeros((n2, n2)), cmap="viridis", vmin=0, vmax=1)
        self.fig.colorbar(self.heat, ax=ax, fraction=0.046, pad=0.03, label="softmax weight")
        pos = positive_index(self.n_show)
        (partners,) = ax.plot(pos, np.arange(n2), "s", mfc="none", mec="w", ms=4.5, lw=0)
        ax.set(xlabel="view j (first views, then second)", ylabel="anchor view i")
        ax.set_xticks(range(0, n2, 5))
        ax.set_yticks(range(0, n2, 5))
        # a text, not ax.set_title: an Axes title repositions itself against hidden artists (Backdrop)
        self.heat_title = ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=9)
        ax2 = self.fig.add_axes((0.6, 0.15, 0.3, 0.72))
        acc = g.accuracy * 100
        im = ax2.imshow(acc, cmap="cividis", origin="lower", aspect="auto")
        self.fig.colorbar(im, ax=ax2, fraction=0.07, pad=0.03, label="probe accuracy (%)")
        for i in range(acc.shape[0]):
            for j in range(acc.shape[1]):
                ax2.text(j, i, f"{acc[i, j]:.0f}", ha="center", va="center", fontsize=9,
                         color="k" if acc[i, j] > acc.mean() else "w")
        ax2.set_xticks(range(len(g.strengths)), [f"{s:g}" for s in g.strengths])
        ax2.set_yticks(range(len(g.temperatures)), [f"{t:g}" for t in g.temperatures])
        ax2.set(xlabel="augmentation strength s", ylabel="temperature τ")
        ax2.set_title("probe accuracy, 90 labels", fontsize=9)
        from matplotlib.patches import Rectangle

        self.frame = ax2.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, ec=PALETTE[3], lw=2.5))
        # axes, colour bars and the accuracy grid are drawn once; a move repaints only these
        self.backdrop = Backdrop(self.fig, [self.heat, partners, self.heat_title, self.frame])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        g = self.grid
        t0 = g.temperatures[len(g.temperatures) // 2]
        s0 = g.strengths[len(g.strengths) // 2]
        return {"temperature": _selection(g.temperatures, t0, "temperature τ"),
                "strength": _selection(g.strengths, s0, "augmentation strength s")}

    def update(self, temperature: float = 0.5, strength: float = 0.5) -> str:
        g = self.grid
        if temperature not in g.temperatures or strength not in g.strengths:
            raise ValueError(f"temperature must be one of {g.temperatures} and strength one of {g.strengths}, "
                             f"got {temperature} and {strength}")
        i, j = g.temperatures.index(temperature), g.strengths.index(strength)
        self.heat.set_data(self.probs[(i, j)])
        self.heat_title.set_text(f"softmax of similarity / τ, τ = {temperature:g}, s = {strength:g}")
        self.frame.set_xy((j - 0.5, i - 0.5))
        base = g.baselines
        note = " (s = 0: both views are the same image, so there is nothing to become invariant to)" if strength == 0 else ""
        return (f"τ = {temperature:g}, s = {strength:g}: probe accuracy {g.accuracy[i, j]:.1%} with 90 labels "
                f"(pixels {base['pixels']:.1%}, random encoder {base['random encoder']:.1%}); a view gives its "
                f"partner {self.partner[(i, j)]:.0%} of its softmax weight on average{note}")


class ZeroShotExplorer(App):
    """Type a prompt template: the ten prompts it makes classify the held-out digits, no labels used.

    Left: one held-out digit; middle: its class probabilities, the softmax of the scaled
    similarities to the ten prompts; right: the zero-shot accuracy per digit over all held-out images.

    Args:
        model: a trained :class:`helpers.selfsupervised.clip.TinyCLIP`. Default: one trained for
            100 steps on the training split (a couple of seconds).
        images, labels: held-out digits (default: the test split of :func:`digits_split`).
    """

    def __init__(self, model: TinyCLIP | None = None, images: np.ndarray | None = None,
                 labels: np.ndarray | None = None, seed: int = 0) -> None:
        if model is None or images is None:
            X_train, X_test, y_train, y_test = digits_split(seed)
            model = model if model is not None else train_clip(X_train, y_train, steps=100, seed=seed)[0]
            images, labels = (X_test, y_test) if images is None else (images, labels)
        self.images = check_array(images, "images", ndim=3)
        self.labels = check_array(labels, "labels", shape=(self.images.shape[0],), dtype="int")
        self.model = model
        self.image_emb = embed_images(model, self.images)                    # (N, D)
        self.scale = float(model.scale().detach())
        self._build_figure()

    def _build_figure(self) -> None:
        self.fig = new_figure(8.6, 2.9)
        ax = self.fig.add_axes((0.01, 0.2, 0.16, 0.62))
        self.picture = ax.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
        self.picture_title = ax.text(0.5, 1.03, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=9)
        x = np.arange(10)
        self.ax_p = self.fig.add_axes((0.25, 0.3, 0.33, 0.55))
        self.p_bars = self.ax_p.bar(x, np.zeros(10), color=PALETTE[0])
        self.ax_p.set(ylim=(0, 1), ylabel="probability", title="this digit: class probabilities")
        self.ax_p.set_xticks(x, NAMES, rotation=60, fontsize=9)
        self.ax_a = self.fig.add_axes((0.65, 0.3, 0.33, 0.55))
        self.a_bars = self.ax_a.bar(x, np.zeros(10), color=PALETTE[2], hatch="//", edgecolor="w")
        chance = self.ax_a.axhline(0.1, color="0.3", ls=":", lw=1)
        self.ax_a.set(ylim=(0, 1), ylabel="zero-shot accuracy", title="all held-out digits, per class (dotted: chance)")
        self.ax_a.set_xticks(x, NAMES, rotation=60, fontsize=9)
        for a in (self.ax_p, self.ax_a):
            a.title.set_fontsize(9)
        self.backdrop = Backdrop(self.fig, [self.picture, self.picture_title, *self.p_bars, *self.a_bars, chance])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"prompt": W.Text(value=TEMPLATES[0], description="prompt ({} = the digit's name)",
                                 continuous_update=False, style=_STYLE, layout=W.Layout(width="360px")),
                "digit": int_slider(0, 0, len(self.images) - 1, "held-out digit")}

    def update(self, prompt: str = TEMPLATES[0], digit: int = 0) -> str:
        check_range(digit, "digit", 0, len(self.images) - 1, integer=True)
        label = int(self.labels[digit])
        self.picture.set_data(self.images[digit])
        self.picture_title.set_text(f"held-out digit #{digit}: a {label}")
        problem = check_prompt(prompt)
        if problem:
            for bar in (*self.p_bars, *self.a_bars):
                bar.set_height(0.0)
            return f"⚠ {problem}"
        prompts = embed_prompts(self.model, prompt)                            # (10, D)
        pred = zero_shot_predict(self.image_emb, prompts)                       # (N,)
        per_class = np.array([np.mean(pred[self.labels == k] == k) for k in range(10)])
        logits = self.scale * (self.image_emb[digit] @ prompts.T).numpy()      # (10,)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        for bar, p in zip(self.p_bars, probs):
            bar.set_height(p)
        for bar, a in zip(self.a_bars, per_class):
            bar.set_height(a)
        top = int(np.argmax(probs))
        verdict = "right" if top == label else f"wrong, it is a {NAMES[label]}"
        return (f"prompt {prompt!r}: zero-shot accuracy {np.mean(pred == self.labels):.1%} on "
                f"{len(self.labels)} held-out digits (chance 10 %); digit #{digit} is read as "
                f"{prompt.format(NAMES[top])!r} with p = {probs[top]:.2f} ({verdict})")


class CLIPTrainingSession:
    """A tiny CLIP learning to pair digits with their captions, for the training player.

    Left: the loss; right: for the held-out digits of each class (rows), the mean zero-shot
    probability of each prompt ``template.format(name)`` (columns). Training pulls the weight onto
    the diagonal. One player step is one :class:`helpers.selfsupervised.clip.ClipSteps` update
    (the same updates as :func:`helpers.selfsupervised.clip.train_clip` with the same seed and lr).
    """

    def __init__(self, seed: int = 0, batch_size: int = 64, template: str = TEMPLATES[0], split=None) -> None:
        problem = check_prompt(template)
        if problem:
            raise ValueError(problem)
        self.seed, self.batch_size, self.template = seed, batch_size, template
        self.X_train, self.X_test, self.y_train, self.y_test = split if split is not None else digits_split(seed)
        self.fig = new_figure(7.6, 3.0)
        self.ax_loss, ax = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        (self.loss_line,) = self.ax_loss.plot([], [], color=PALETTE[0])
        self.ax_loss.set(xlabel="update", ylabel="CLIP loss", xlim=(0, 50), ylim=(0, 6), title="contrastive loss")
        self.ax_loss.grid(alpha=0.3)
        self.heat = ax.imshow(np.zeros((10, 10)), cmap="viridis", vmin=0, vmax=1)
        self.fig.colorbar(self.heat, ax=ax, fraction=0.046, pad=0.03, label="mean probability")
        ax.set_xticks(range(10), NAMES, rotation=60, fontsize=9)
        ax.set_yticks(range(10), range(10), fontsize=9)
        ax.set(xlabel="prompt", ylabel="true digit", title="zero-shot, held-out digits")
        for a in (self.ax_loss, ax):
            a.title.set_fontsize(9)
        self.fig.tight_layout()
        # axes, ticks and the colour bar drawn once; a frame repaints the heat map and the loss line
        self.backdrop = Backdrop(self.fig, [self.heat, self.loss_line])
        self.backdrop.capture()
        self.reset()

    def reset(self) -> None:
        torch.manual_seed(self.seed)
        self.model = TinyCLIP()
        self.steps = ClipSteps(self.model, self.X_train, self.y_train, batch_size=self.batch_size, seed=self.seed)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=3e-3)
        self.losses: list[float] = []

    def step(self, lr: float) -> float:
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.losses.append(self.steps.step(self.opt))
        return self.losses[-1]

    def zero_shot(self) -> tuple[float, np.ndarray]:
        """(accuracy, (10, 10) mean probabilities per true class) on the held-out digits."""
        img = embed_images(self.model, self.X_test)
        logits = float(self.model.scale().detach()) * (img @ embed_prompts(self.model, self.template).T).numpy()
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)                                # (N, 10)
        mean = np.stack([probs[self.y_test == k].mean(axis=0) for k in range(10)])
        return float(np.mean(probs.argmax(axis=1) == self.y_test)), mean

    def draw(self) -> str:
        acc, mean = self.zero_shot()
        self.heat.set_data(mean)
        n = len(self.losses)
        self.loss_line.set_data(np.arange(1, n + 1), self.losses)
        top = max(self.losses) if self.losses else 5.0
        self.backdrop.set_limits(self.ax_loss, xlim=(0, grown(max(n, 1), 50)), ylim=(0, grown(top, 6.0)))
        if n == 0:
            return f"untrained: zero-shot accuracy {acc:.1%} with the prompt {self.template!r} (chance 10 %)"
        return (f"{n} updates, loss {self.losses[-1]:.3f}: zero-shot accuracy {acc:.1%} on "
                f"{len(self.y_test)} held-out digits with the prompt {self.template!r} (chance 10 %)")
