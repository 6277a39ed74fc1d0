r"""Training a GAN: alternating discriminator and generator steps, watched live (notebook 12).

One training step of :class:`GANTrainer`:

1. ``n_critic`` times: draw real samples and fakes :math:`G(z)`, and take an Adam step on the
   discriminator's loss (:func:`helpers.gan.losses.discriminator_loss_torch`, or for WGAN-GP the critic
   loss plus :func:`helpers.gan.penalty.gradient_penalty`);
2. once: draw fresh noise and take an Adam step on the generator's loss, with the
   discriminator held fixed.

Everything is seeded by ``GANConfig.seed`` through one ``torch.Generator`` (weights, noise, data),
so a run is repeatable. With ``members = S`` the trainer runs ``S`` independent GANs side by side
(see :mod:`helpers.gan.models`): each model's loss only involves its own weights, so summing the
``S`` losses gives every model exactly the gradient it would get alone.

:func:`train_gan` runs a fixed number of steps with a progress bar, a live loss plot
(:class:`helpers.core.plotting.LivePlot`) and a live view of the samples updated in place
(:class:`SampleView`: a scatter for 2-D data, an image grid for 8×8 digits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from helpers.gan.losses import LOSSES, critic_loss_torch, discriminator_loss_torch, generator_loss_torch
from helpers.gan.models import Discriminator, Generator
from helpers.gan.penalty import gradient_penalty
from helpers.core.plotting import LivePlot
from helpers.core.loop import check_loop_args
from helpers.core.checks import check_array, check_choice, check_range, check_type
from helpers.core.figures import PALETTE, new_figure, show_figure

__all__ = ["GANConfig", "GANTrainer", "ArraySampler", "SampleView", "train_gan", "ring_gan_config",
           "digit_gan_config", "tiny_digit_generator"]

Sampler = Callable[[int, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class GANConfig:
    r"""Everything that defines a GAN training run.

    ``loss``: one of :data:`helpers.gan.losses.LOSSES`, "vanilla" (cross-entropy D, non-saturating
    G: the standard GAN), "minimax" (cross-entropy D, the original saturating G loss) or "wgan-gp"
    (critic + gradient penalty).
    ``n_critic``: discriminator (critic) updates per generator update. ``gp_weight``: the
    gradient penalty's :math:`\lambda` (WGAN-GP only; 10 in the paper, 0.1 for its 2-D toys).
    ``members``: how many independent copies to train at once (one per seed of an experiment).
    """

    loss: str = "vanilla"
    data_dim: int = 2
    z_dim: int = 2
    hidden: int = 64
    depth: int = 2
    g_out: str = "identity"
    batch_size: int = 256
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1
    gp_weight: float = 10.0
    members: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice(self.loss, "loss", LOSSES)
        for name in ("data_dim", "z_dim", "hidden", "batch_size", "n_critic", "members"):
            check_range(getattr(self, name), name, 1, None, integer=True)
        check_range(self.lr, "lr", 0.0, 1.0, low_inclusive=False)
        check_range(self.gp_weight, "gp_weight", 0.0, None)
        check_range(self.seed, "seed", 0, None, integer=True)


class GANTrainer:
    """Holds the two players, their Adam optimisers and the seeded random stream of one run.

    Args:
        config: a :class:`GANConfig`.
        sample_real: ``sample_real(n, generator) -> Tensor (n, D)``: draws real data.

    Example:
        >>> from helpers.core.data import RingMixture
        >>> trainer = GANTrainer(GANConfig(batch_size=8), RingMixture().sample)
        >>> sorted(trainer.step())
        ['d_loss', 'g_loss']
    """

    def __init__(self, config: GANConfig, sample_real: Sampler) -> None:
        if not isinstance(config, GANConfig):
            raise ValueError(f"config must be a GANConfig, got {type(config).__name__}")
        self.config = config
        self.sample_real = sample_real
        self.reset()

    def reset(self) -> None:
        """Fresh weights, optimisers and random stream (same seed: the same run again)."""
        c = self.config
        self.rng = torch.Generator().manual_seed(c.seed)
        self.G = Generator(c.z_dim, c.data_dim, c.hidden, c.depth, c.g_out, c.members, self.rng)
        self.D = Discriminator(c.data_dim, c.hidden, c.depth, c.members, self.rng)
        # foreach: one vectorised update for all parameter tensors (same numbers as the loop)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c.lr, betas=c.betas, foreach=True)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c.lr, betas=c.betas, foreach=True)
        self.steps = 0

    def _real(self) -> torch.Tensor:
        c = self.config
        x = self.sample_real(c.members * c.batch_size, self.rng)
        if x.shape != (c.members * c.batch_size, c.data_dim):
            raise ValueError(f"sample_real must return shape ({c.members * c.batch_size}, {c.data_dim}), "
                             f"got {tuple(x.shape)}")
        return x.view(c.members, c.batch_size, c.data_dim) if c.members > 1 else x  # (S, N, D) or (N, D)

    def _d_step(self) -> float:
        c = self.config
        real = self._real()
        fake = self.G.sample(c.batch_size, self.rng)           # no gradient into G here
        # One forward pass over real and fake rows together: same result, half the overhead.
        scores = self.D(torch.cat([real, fake], dim=-2))       # (..., 2N)
        real_s, fake_s = scores[..., :c.batch_size], scores[..., c.batch_size:]  # (..., N) each
        if c.loss == "wgan-gp":
            loss = critic_loss_torch(real_s, fake_s) \
                + gradient_penalty(self.D, real, fake, c.gp_weight, self.rng)  # (S,) or ()
        else:
            loss = discriminator_loss_torch(real_s, fake_s)
        self.opt_d.zero_grad()
        loss.sum().backward()  # a sum of independent models' losses: each gets its own gradient
        self.opt_d.step()
        return float(loss.detach().mean())

    def _g_step(self) -> float:
        c = self.config
        fake = self.G(self.G.sample_z(c.batch_size, self.rng))
        loss = generator_loss_torch(self.D(fake), c.loss)
        self.opt_g.zero_grad()
        loss.sum().backward()  # also fills D's .grad; harmless, D's step zeroes it first
        self.opt_g.step()
        return float(loss.detach().mean())

    def step(self, lr: float | None = None) -> dict[str, float]:
        """One round of the game; ``lr`` (if given) becomes both players' learning rate from now on.

        Returns the losses averaged over members: ``{"d_loss": ..., "g_loss": ...}`` (the last
        critic step's loss for ``n_critic > 1``).
        """
        self._set_lr(lr)
        for _ in range(self.config.n_critic):
            d_loss = self._d_step()
        g_loss = self._g_step()
        self.steps += 1
        return {"d_loss": d_loss, "g_loss": g_loss}

    def step_d(self, lr: float | None = None) -> float:
        """One discriminator (critic) update alone, as GAN Lab's "step D" button; returns its loss."""
        self._set_lr(lr)
        return self._d_step()

    def step_g(self, lr: float | None = None) -> float:
        """One generator update alone ("step G"); returns its loss. Counts as a round in ``steps``."""
        self._set_lr(lr)
        loss = self._g_step()
        self.steps += 1
        return loss

    def _set_lr(self, lr: float | None) -> None:
        if lr is None:
            return
        check_range(lr, "lr", 0.0, None, low_inclusive=False)
        for opt in (self.opt_d, self.opt_g):
            for group in opt.param_groups:
                group["lr"] = float(lr)

    def sample(self, n: int, generator: torch.Generator | None = None) -> np.ndarray:
        """``n`` samples per member as float64 NumPy: (N, D), or (S, N, D) if ``members > 1``.

        The noise comes from ``generator`` if given, else from the run's own random stream (which
        then moves on: pass a separate generator to look at samples without changing the run).
        """
        return self.G.sample(n, generator if generator is not None else self.rng).double().numpy()


class ArraySampler:
    """Real samples for a GAN from a fixed data set: rows drawn uniformly, with replacement.

    Shape: X (N, D) -> ``sampler(n, generator)`` returns a float32 tensor (n, D).
    """

    def __init__(self, X: np.ndarray) -> None:
        self.X = torch.as_tensor(check_array(X, "X", ndim=2), dtype=torch.float32)

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        idx = torch.randint(0, len(self.X), (n,), generator=generator)
        return self.X[idx]


def ring_gan_config(loss: str = "vanilla", **overrides) -> GANConfig:
    """The chapter's ring experiment: both players get 5 discriminator (critic) updates per
    generator update, Adam at 2e-3, batches of 128; WGAN-GP with the toy-problem settings of
    Gulrajani et al. (penalty weight 0.1, Adam betas (0.5, 0.9))."""
    base = dict(loss=loss, n_critic=5, lr=2e-3, batch_size=128, gp_weight=0.1,
                betas=(0.5, 0.9) if loss == "wgan-gp" else (0.5, 0.999))
    return GANConfig(**dict(base, **overrides))


def digit_gan_config(**overrides) -> GANConfig:
    """The chapter's digit GAN: WGAN-GP (penalty weight 10, 5 critic steps), 16-D noise -> 64 pixels
    in [0, 1] (sigmoid), two hidden layers of 128 units, batches of 64."""
    base = dict(loss="wgan-gp", data_dim=64, z_dim=16, hidden=128, depth=2, g_out="sigmoid",
                batch_size=64, lr=1e-3, betas=(0.5, 0.9), n_critic=5, gp_weight=10.0)
    return GANConfig(**dict(base, **overrides))


def tiny_digit_generator(steps: int = 150, seed: int = 0) -> Generator:
    """A quickly trained digit generator (under a second: WGAN-GP with 2 critic steps and 64
    hidden units): blurry digits. For building :class:`helpers.apps.ch12_gan.LatentInterpolation`
    without a notebook's generator.
    """
    from helpers.core.data import load_digits

    check_range(steps, "steps", 0, None, integer=True)
    X, _ = load_digits(flatten=True)
    trainer = GANTrainer(digit_gan_config(n_critic=2, hidden=64, seed=seed), ArraySampler(X))
    for _ in range(steps):
        trainer.step()
    return trainer.G.eval()


class SampleView:
    """The generator's current samples, drawn once and then updated in place.

    2-D data: a scatter of ``n`` fakes (orange) over real samples (grey). Image data
    (``data_dim = H*W``): a grid of ``rows × cols`` images whose pixels are replaced.
    With ``members > 1`` only member 0 is drawn.
    """

    def __init__(self, trainer: GANTrainer, real: np.ndarray | None = None, n: int = 500,
                 image_shape: tuple[int, int] = (8, 8), rows: int = 3, cols: int = 8) -> None:
        check_type(trainer, "trainer", GANTrainer)
        for value, name in ((n, "n"), (rows, "rows"), (cols, "cols")):
            check_range(value, name, 1, None, integer=True)
        if real is not None:
            real = check_array(real, "real", shape=(None, trainer.config.data_dim))
        self.trainer = trainer
        self.images = trainer.config.data_dim != 2
        self.fig = new_figure(3.4, 3.4) if not self.images else new_figure(cols * 0.55, rows * 0.6 + 0.35)
        if self.images:
            self.shape, self.n = image_shape, rows * cols
            axes = self.fig.subplots(rows, cols)
            self.artists = [ax.imshow(np.zeros(image_shape), cmap="gray_r", vmin=0, vmax=1)
                            for ax in axes.ravel()]
            for ax in axes.ravel():
                ax.set_axis_off()
            self.fig.subplots_adjust(0.01, 0.01, 0.99, 1 - 0.35 / (rows * 0.6 + 0.35), 0.05, 0.05)
        else:
            self.n = n
            ax = self.fig.add_subplot()
            if real is not None:
                ax.scatter(real[:, 0], real[:, 1], s=4, c="0.6", label="real")
            self.artists = [ax.scatter(np.zeros(n), np.zeros(n), s=4, c=PALETTE[1], alpha=0.6, label="generated")]
            ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal")
            ax.legend(loc="upper right", fontsize=9, markerscale=3)
            self.fig.tight_layout()
        self.title = self.fig.suptitle("", fontsize=9)
        self.refresh()

    def refresh(self) -> None:
        # Fixed noise from its own stream: the same points every frame, and watching a run
        # never changes it (the trainer's random stream is left alone).
        x = self.trainer.sample(self.n, torch.Generator().manual_seed(2024))
        x = x[0] if x.ndim == 3 else x  # member 0 of an ensemble: (N, D)
        if self.images:
            for artist, img in zip(self.artists, x):
                artist.set_data(np.clip(img.reshape(self.shape), 0, 1))  # (D,) -> (H, W)
        else:
            self.artists[0].set_offsets(x)
        self.title.set_text(f"samples after {self.trainer.steps} steps")

    def alt_text(self) -> str:
        """One sentence for the stored figure: what it shows and after how many steps."""
        if self.images:
            return (f"A grid of {self.n} images drawn by the generator from fixed noise after "
                    f"{self.trainer.steps} generator steps (dark = ink).")
        return (f"{self.n} generated points (orange) over real samples (grey) after {self.trainer.steps} "
                f"generator steps.")


def train_gan(trainer: GANTrainer, steps: int, live: bool = True, every: int = 100,
              real: np.ndarray | None = None, progress: bool = True,
              anneal: bool = False, on_step=None) -> dict[str, list[float]]:
    """Run ``steps`` training steps; with ``live``, show losses and samples updating in place.

    ``anneal``: keep the configured learning rate for the first half, then decay it linearly
    towards 0. The two players of a GAN chase each other and often circle instead of settling;
    shrinking the steps at the end damps the circling, so the final samples reflect where the
    game has been heading rather than a random point on its last lap.

    The course's loop shape (:mod:`helpers.core.loop`) for a game of two losses:
    ``on_step(step, {"d_loss": ..., "g_loss": ...})`` after every round; returns the history
    ``{"step": [...], "d_loss": [...], "g_loss": [...]}`` (one value per round). The seed lives
    in the trainer's config.
    """
    check_type(trainer, "trainer", GANTrainer)
    check_range(steps, "steps", 0, None, integer=True)
    check_range(every, "every", 1, None, integer=True)
    check_loop_args(on_step=on_step)
    rounds: list[int] = []
    plot = LivePlot(["d_loss", "g_loss"], every=every, show=live, width=5.0, height=2.6,
                    title=f"{trainer.config.loss} GAN losses")
    view, handle = None, None
    if live:
        from IPython.display import display

        view = SampleView(trainer, real)
        handle = display(show_figure(view.fig, view.alt_text()), display_id=True)
    iterator = range(steps)
    if progress:
        from helpers.core.progress import Progress

        iterator = Progress(iterator, desc=f"{trainer.config.loss} GAN")
    for i in iterator:
        lr = trainer.config.lr * min(1.0, 2.0 * (1.0 - i / steps)) if anneal else None
        losses = trainer.step(lr)
        plot.update(trainer.steps, **losses)
        rounds.append(trainer.steps)
        if on_step is not None:
            on_step(trainer.steps, losses)
        if view is not None and trainer.steps % every == 0:
            view.refresh()
            handle.update(show_figure(view.fig, view.alt_text()))
    plot.close()
    if view is not None:
        view.refresh()
        handle.update(show_figure(view.fig, view.alt_text()))
    return {"step": rounds, **{k: list(v) for k, v in plot.history.items()}}
