"""Notebook 12's interactive pieces: a GAN on the ring watched live, the two generator losses side
by side, and a walk through the latent space of a digit generator.

* :class:`GANTrainingSession` is a :class:`helpers.ui.player.TrainingSession` for
  :class:`helpers.ui.player.TrainingPlayer` (play / pause / step / reset, learning rate live).
* :class:`GeneratorLossExplorer` and :class:`LatentInterpolation` are :class:`helpers.ui.widgets.App` s.
"""
from __future__ import annotations

from typing import Callable

import ipywidgets as W
import numpy as np
import torch

from helpers.basics.activations import sigmoid
from helpers.ui.backdrop import Backdrop, grown
from helpers.gan.losses import (generator_loss_minimax, generator_loss_minimax_grad,
                                generator_loss_nonsaturating, generator_loss_nonsaturating_grad)
from helpers.core.data import RingMixture
from helpers.gan.metrics import interpolate_latent, mode_coverage
from helpers.gan.models import Generator
from helpers.gan.train import GANTrainer, ring_gan_config, tiny_digit_generator
from helpers.core.plotting import grid_2d
from helpers.core.checks import check_choice, check_range
from helpers.ui.widgets import App, dropdown, float_slider, int_slider
from helpers.core.figures import DIVERGING_CMAP, OKABE_ITO, new_figure

__all__ = ["GANTrainingSession", "GeneratorLossExplorer", "LatentInterpolation"]


class GANTrainingSession:
    """A GAN learning the ring of Gaussians, drawn like GAN Lab: the discriminator's opinion of the
    plane as a background (red: "real", blue: "fake", with a colour bar), the real data in grey, a
    fixed set of generated points in orange (the same noise vectors every frame, so you see them move), and
    the two losses (one point per round, or per manual move of that player).

    The player's "step" is one round (``n_critic`` D updates, then one G update); its "step D" and
    "step G" buttons (:attr:`actions`) move one player alone, as in GAN Lab.

    Args:
        loss: "vanilla", "minimax" or "wgan-gp" (see :class:`helpers.gan.train.GANConfig`).
        seed: seeds the weights, noise and data.
        ring: the target distribution (default: 8 modes, radius 2, std 0.05).
        n_critic: discriminator steps per generator step (the other settings:
            :func:`helpers.gan.train.ring_gan_config`).
    """

    def __init__(self, loss: str = "vanilla", seed: int = 0, ring: RingMixture | None = None,
                 n_critic: int = 5, batch_size: int = 128, n_show: int = 400) -> None:
        self.ring = ring if ring is not None else RingMixture()
        self.config = ring_gan_config(loss, n_critic=n_critic, batch_size=batch_size, seed=seed)
        self.trainer = GANTrainer(self.config, self.ring.sample)
        self.n_show = n_show
        real = self.ring.sample_numpy(n_show, seed=seed + 1)
        self.xx, self.yy, self.grid = grid_2d((-3, 3), (-3, 3), 60)
        self.fig = new_figure(7.6, 3.3)
        ax, self.ax_loss = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
        self.image = ax.imshow(np.zeros((60, 60)), origin="lower", extent=(-3, 3, -3, 3), cmap=DIVERGING_CMAP,
                               vmin=0, vmax=1, alpha=0.45)
        bar = self.fig.colorbar(self.image, ax=ax, fraction=0.046, pad=0.02, ticks=[0, 0.5, 1])
        bar.set_label("D's opinion: fake → real", fontsize=9)
        real_dots = ax.scatter(real[:, 0], real[:, 1], s=3, c="0.35", label="real")
        self.points = ax.scatter(np.zeros(n_show), np.zeros(n_show), s=4, c=OKABE_ITO["orange"], marker="^", label="generated")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[], yticks=[])
        legend = ax.legend(loc="upper right", fontsize=9, markerscale=3)
        # a text, not ax.set_title: an Axes title repositions itself against hidden artists (Backdrop)
        self.ax_title = ax.text(0.5, 1.03, "vanilla, 0 G updates: 0/8 modes", transform=ax.transAxes,
                                ha="center", va="bottom", fontsize=9)
        (self.d_line,) = self.ax_loss.plot([], [], label="discriminator / critic")
        (self.g_line,) = self.ax_loss.plot([], [], label="generator")
        self.ax_loss.set(xlabel="update", ylabel="loss", xlim=(0, 50), ylim=(0, 2))
        self.ax_loss.grid(alpha=0.3)
        self.ax_loss.legend(fontsize=9, loc="upper right")
        self.fig.tight_layout()
        # axes, ticks and the loss legend drawn once; the background image covers the left panel,
        # so everything drawn over it (real points, legend, title) is redrawn with it
        self.backdrop = Backdrop(self.fig, [self.image, real_dots, self.points, legend, self.ax_title,
                                            self.d_line, self.g_line])
        self.backdrop.capture()
        self.reset()

    def reset(self) -> None:
        self.trainer.reset()
        self.history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}  # one entry per round or move
        self.d_updates = 0
        self.z_show = self.trainer.G.sample_z(self.n_show, torch.Generator().manual_seed(12345))

    def step(self, lr: float) -> float:
        """One round: ``n_critic`` discriminator updates, then one generator update."""
        losses = self.trainer.step(lr)
        self.d_updates += self.config.n_critic
        for key, value in losses.items():
            self.history[key].append(value)
        total = losses["d_loss"] + losses["g_loss"]
        return total if np.isfinite(total) else float("nan")

    @property
    def actions(self) -> dict:
        """GAN Lab's manual moves, one update of one player each (buttons of the player)."""
        return {"step D": self.step_d, "step G": self.step_g}

    def step_d(self, lr: float) -> float:
        """One discriminator update alone; the generator stays put."""
        loss = self.trainer.step_d(lr)
        self.d_updates += 1
        self.history["d_loss"].append(loss)
        return loss

    def step_g(self, lr: float) -> float:
        """One generator update alone, against the current discriminator."""
        loss = self.trainer.step_g(lr)
        self.history["g_loss"].append(loss)
        return loss

    def draw(self) -> str:
        with torch.no_grad():
            fake = self.trainer.G(self.z_show).double().numpy()                    # (N, 2)
            score = self.trainer.D(torch.as_tensor(self.grid, dtype=torch.float32)).double().numpy()
        if self.config.loss == "wgan-gp":  # unbounded critic scores: show them relative to each other
            span = score.max() - score.min()
            score = (score - score.min()) / span if span > 0 else np.full_like(score, 0.5)
        else:
            score = sigmoid(score)  # the probability of "real" from the logit
        self.image.set_data(score.reshape(self.xx.shape))                        # (3600,) -> (60, 60)
        self.points.set_offsets(np.clip(fake, -3.5, 3.5))
        for line, key in ((self.d_line, "d_loss"), (self.g_line, "g_loss")):
            line.set_data(np.arange(1, len(self.history[key]) + 1), self.history[key])
        self._fit_loss_axes()
        # Scored on fixed noise from a separate stream, so drawing never changes the training run.
        cov = mode_coverage(self.trainer.sample(1000, torch.Generator().manual_seed(777)),
                            self.ring.centers, self.ring.std)
        self.ax_title.set_text(f"{self.config.loss}, {self.trainer.steps} G updates: {cov.covered}/{cov.modes} modes")
        d, g = self.history["d_loss"], self.history["g_loss"]
        if not d and not g:
            return f"{self.config.loss} GAN, untrained: press play, step, step D or step G"
        d_text = f"D loss {d[-1]:.2f}" if d else "D untrained"
        g_text = f"G loss {g[-1]:.2f}" if g else "G untrained"
        return (f"{self.config.loss} GAN after {self.d_updates} D and {self.trainer.steps} G updates: "
                f"{d_text}, {g_text}; {cov}")

    def _fit_loss_axes(self) -> None:
        """Loss limits in whole units and a doubling step axis: they change rarely, so most
        frames reuse the cached axes (``Backdrop``)."""
        values = np.array([v for key in ("d_loss", "g_loss") for v in self.history[key]], dtype=float)
        values = values[np.isfinite(values)]
        lo, hi = (np.floor(min(values.min(), 0)), np.ceil(values.max() + 1e-9)) if values.size else (0.0, 2.0)
        n = max(len(self.history["d_loss"]), len(self.history["g_loss"]))
        self.backdrop.set_limits(self.ax_loss, xlim=(0, grown(n, 50)), ylim=(lo, max(hi, lo + 1)))


class GeneratorLossExplorer(App):
    """Why the original generator loss stalls: both losses and their gradients versus D(G(z))."""

    def __init__(self) -> None:
        self.logits = np.linspace(-10, 10, 200)
        p = sigmoid(self.logits)  # D(G(z)) for each logit
        per_point = [(generator_loss_minimax_grad, "minimax  log(1 - D)"),
                     (generator_loss_nonsaturating_grad, "non-saturating  -log D")]
        self.fig = new_figure(7.0, 2.8)
        ax_loss, ax_grad = self.fig.subplots(1, 2)
        ax_loss.plot(p, [generator_loss_minimax(np.array([z])) for z in self.logits], label=per_point[0][1])
        ax_loss.plot(p, [generator_loss_nonsaturating(np.array([z])) for z in self.logits], label=per_point[1][1])
        for fn, label in per_point:  # gradient with respect to the logit, for one sample (M = 1)
            ax_grad.plot(p, [abs(fn(np.array([z]))[0]) for z in self.logits], label=label)
        ax_loss.set(xlabel="D(G(z)): how real D finds the fake", ylabel="generator loss", ylim=(-5, 5))
        ax_grad.set(xlabel="D(G(z))", ylabel="|gradient| wrt the logit", yscale="log", ylim=(1e-5, 2))
        for ax in (ax_loss, ax_grad):
            ax.set_xscale("logit")
            ax.set_xlim(1e-4, 1 - 1e-4)
            ax.set_xticks([1e-4, 1e-2, 0.5, 0.99, 0.9999], ["0.0001", "0.01", "0.5", "0.99", "0.9999"])
            ax.grid(alpha=0.3)
        ax_loss.legend(fontsize=9, loc="lower left")
        self.markers = [ax.axvline(0.5, color="k", lw=1, ls="--") for ax in (ax_loss, ax_grad)]
        self.fig.tight_layout()
        self.backdrop = Backdrop(self.fig, self.markers)   # the curves never change: drawn once
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"logit": float_slider(-4.0, -9.0, 9.0, 0.5, "D's logit on a fake", unit="nats")}

    def update(self, logit: float = -4.0) -> str:
        check_range(logit, "logit", -50, 50)
        p = float(sigmoid(np.array(logit)))  # D(G(z))
        for m in self.markers:
            m.set_xdata([p, p])
        g_mm = abs(generator_loss_minimax_grad(np.array([logit]))[0])
        g_ns = abs(generator_loss_nonsaturating_grad(np.array([logit]))[0])
        return (f"D(G(z)) = {p:.4f}: |gradient| minimax {g_mm:.2e}, non-saturating {g_ns:.2e} "
                f"({g_ns / g_mm:.1f}× {'stronger' if g_ns >= g_mm else 'weaker'})")


Classifier = Callable[[np.ndarray], np.ndarray]


class LatentInterpolation(App):
    """Walk from one noise vector to another and watch the generated digit morph.

    Args:
        generator: a trained digit :class:`helpers.gan.models.Generator` (64 sigmoid outputs).
            If None, a tiny one is trained when the app is built (about a second, blurry
            digits; for tests and for trying the app alone), and the status line says so.
        classifier: optional ``probs = classifier(images (N, 64))``; the status names the digit.
    """

    def __init__(self, generator: Generator | None = None, classifier: Classifier | None = None) -> None:
        if generator is None:
            generator, self.source = tiny_digit_generator(), "a tiny generator trained when the app was built"
        else:
            self.source = "the generator trained in this notebook"
        if not isinstance(generator, Generator) or generator.d_out != 64 or generator.members != 1:
            got = (f"a Generator with {generator.d_out} outputs and {generator.members} member(s)"
                   if isinstance(generator, Generator) else type(generator).__name__)
            raise ValueError(f"generator must be a one-member Generator with 64 outputs (8×8 images), got {got}")
        self.G, self.classifier, self.n_path = generator, classifier, 9
        self.fig = new_figure(6.0, 3.0)
        grid = self.fig.add_gridspec(3, 6, wspace=0.15, hspace=0.35)
        big = self.fig.add_subplot(grid[:, :3])
        # "nearest" is what the default does for an 8 x 8 image enlarged this much, said explicitly
        self.big = big.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        # where the Axes title goes, but a text: an Axes title repositions itself against hidden artists (Backdrop)
        self.big_title = big.text(0.5, 1.0, "", transform=big.title.get_transform(), ha="center", va="baseline",
                                  fontsize=10)
        big.set_axis_off()
        self.thumbs, self.frames = [], []
        for i in range(self.n_path):  # the path as a 3 x 3 grid of thumbnails, read like text
            ax = self.fig.add_subplot(grid[i // 3, 3 + i % 3])
            self.thumbs.append(ax.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1,
                                         interpolation="nearest"))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"t = {i / (self.n_path - 1):.3g}", fontsize=9, pad=2)
            self.frames.append(ax)
        # the thumbnails' titles drawn once; the images, the big title and the highlighted frame change
        self.backdrop = Backdrop(self.fig, [self.big, self.big_title, *self.thumbs,
                                            *(spine for ax in self.frames for spine in ax.spines.values())])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"t": float_slider(0.5, 0.0, 1.0, 0.05, "t (0 = start, 1 = end)"),
                "seed_start": int_slider(0, 0, 49, "start noise seed"),
                "seed_end": int_slider(1, 0, 49, "end noise seed"),
                "path": dropdown(["linear", "slerp"], "slerp", "path")}

    def _images(self, z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.G(torch.as_tensor(z, dtype=torch.float32)).double().numpy()  # (T, 64)

    def update(self, t: float = 0.5, seed_start: int = 0, seed_end: int = 1, path: str = "slerp") -> str:
        check_range(t, "t", 0.0, 1.0)
        check_choice(path, "path", ["linear", "slerp"])
        z0 = np.random.default_rng(seed_start).standard_normal(self.G.z_dim)
        z1 = np.random.default_rng(seed_end).standard_normal(self.G.z_dim)
        ts = np.append(np.linspace(0, 1, self.n_path), t)                     # (n_path + 1,)
        images = self._images(interpolate_latent(z0, z1, ts, path)).reshape(-1, 8, 8)  # (T, 64) -> (T, 8, 8)
        for thumb, img in zip(self.thumbs, images[:-1]):
            thumb.set_data(img)
        self.big.set_data(images[-1])
        nearest = int(round(t * (self.n_path - 1)))
        for i, ax in enumerate(self.frames):
            for spine in ax.spines.values():
                spine.set_color(OKABE_ITO["vermillion"] if i == nearest else "0.7")
                spine.set_linewidth(2.5 if i == nearest else 0.8)
        reading = ""
        if self.classifier is not None:
            probs = np.asarray(self.classifier(images[-1].reshape(1, 64)))[0]  # (8, 8) -> (1, 64)
            reading = f"; the classifier reads a {int(probs.argmax())} (p = {probs.max():.2f})"
        self.big_title.set_text(f"t = {t:.2f}")
        same = " (same seed: the path is a single point)" if seed_start == seed_end else ""
        return f"t = {t:.2f} on the {path} path from seed {seed_start} to seed {seed_end}{same}{reading}; {self.source}"
