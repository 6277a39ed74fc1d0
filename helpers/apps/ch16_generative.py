"""Notebook 16's interactive pieces: the β knob of a VAE, the noise level of a diffusion model, and
its reverse process played step by step.

* :class:`BetaExplorer` and :class:`NoiseLevelExplorer` are :class:`helpers.ui.widgets.App` s: every
  model is trained (and every picture computed) before the slider moves, so a move only selects.
* :class:`ReverseProcessSession` is a :class:`helpers.ui.player.TrainingSession` whose "step" is
  one reverse step :math:`x_t \\to x_{t-1}` (the player's learning rate is not used: ``lr=None``).
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Circle

from helpers.core.checks import check_choice, check_range
from helpers.core.data import RingMixture, load_digits, train_val_test_split
from helpers.core.figures import CLASS_COLOURS, OKABE_ITO, new_figure
from helpers.gan.metrics import mode_coverage
from helpers.generative.denoiser import Denoiser, train_denoiser
from helpers.generative.schedules import NoiseSchedule, make_schedule, predict_x0, reverse_step
from helpers.generative.vae import VAE, VAEView, describe_vae, train_vae
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, float_slider, int_slider

__all__ = ["BetaExplorer", "NoiseLevelExplorer", "ReverseProcessSession", "tiny_ring_denoiser"]

_LIM = 3.2          # half-width of the ring panels
_CODE_LIM = 3.5     # half-width of the latent panel


def tiny_ring_denoiser(steps: int = 400, seed: int = 0) -> tuple[Denoiser, NoiseSchedule, RingMixture]:
    """A small ring denoiser trained in about a second (for the apps on their own, and the tests)."""
    ring, schedule = RingMixture(), make_schedule("linear", 100)
    model = Denoiser(2, T=100, hidden=64, depth=3, n_freq=4, generator=torch.Generator().manual_seed(seed))
    train_denoiser(model, schedule, ring.sample, steps=steps, batch_size=128, lr=3e-3, seed=seed)
    return model, schedule, ring


def _ring_axes(ax, ring: RingMixture) -> None:
    for cx, cy in ring.centers:
        ax.add_patch(Circle((cx, cy), 3 * ring.std, fill=False, lw=1.0, color="0.3"))
    ax.set(xlim=(-_LIM, _LIM), ylim=(-_LIM, _LIM), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")


def _check_ring_model(model: Denoiser, schedule: NoiseSchedule) -> None:
    if not isinstance(model, Denoiser) or model.data_dim != 2:
        raise ValueError(f"model must be a Denoiser of 2-D points, got {type(model).__name__}")
    if not isinstance(schedule, NoiseSchedule) or schedule.T != model.T:
        raise ValueError(f"schedule must be a NoiseSchedule with the model's T = {model.T}")


def _member(model: Denoiser, member: int):
    """``x (N, 2), t (N,) -> eps (N, 2)`` for one member of a (possibly multi-member) denoiser."""
    check_range(member, "member", 0, model.members - 1, integer=True)
    if model.members == 1:
        return model
    return lambda x, t: model(x.expand(model.members, *x.shape), t.expand(model.members, *t.shape))[member]


# ----------------------------------------------------------------------------- the beta knob
class BetaExplorer(App):
    """A VAE's 2-D latent space, its decoded plane and its reconstructions, for each trained β.

    Args:
        views: one :class:`helpers.generative.vae.VAEView` per β (from ``describe_vae``). None:
            four tiny VAEs are trained when the app is built (a few seconds of blurry digits, for
            tests and for trying the app alone), and the status says so.
        labels: (N,) the classes of the images the views encode (to label the latent clusters).
        images: (N, 64) those images (the first six are shown above their reconstructions).
    """

    def __init__(self, views: list[VAEView] | None = None, labels: np.ndarray | None = None,
                 images: np.ndarray | None = None) -> None:
        if views is None:
            X, y = load_digits(flatten=True)
            split = train_val_test_split(X, y, val=0.0, test=0.25, seed=0)
            betas = [0.1, 0.3, 1.0, 2.0]
            model = VAE(hidden=64, members=len(betas), generator=torch.Generator().manual_seed(0))
            train_vae(model, split.X_train, betas, steps=400, batch_size=64, lr=5e-3)
            views, labels, images = describe_vae(model, split.X_test, betas), split.y_test, split.X_test
            self.source = "tiny VAEs trained when the app was built"
        else:
            self.source = "the VAEs trained in this notebook"
        if not views or not all(isinstance(v, VAEView) for v in views):
            raise ValueError("views must be a non-empty list of VAEView (from describe_vae)")
        if labels is None or images is None or len(labels) != len(views[0].codes) or len(images) != len(labels):
            raise ValueError(f"labels and images must describe the {len(views[0].codes)} encoded images")
        self.views = {v.beta: v for v in views}
        self.labels, self.images = np.asarray(labels), np.asarray(images)
        self._build_figure()

    def _build_figure(self) -> None:
        self.fig = new_figure(8.4, 3.1)
        ax_code = self.fig.add_axes((0.05, 0.14, 0.28, 0.7))
        ax_grid = self.fig.add_axes((0.37, 0.14, 0.28, 0.7))
        ax_rec = self.fig.add_axes((0.76, 0.3, 0.23, 0.38))
        first = next(iter(self.views.values()))
        self.points = ax_code.scatter(first.codes[:, 0], first.codes[:, 1], s=4, c=self.labels,
                                      cmap=ListedColormap(CLASS_COLOURS), vmin=-0.5, vmax=9.5, alpha=0.6)
        # the digit itself at each class's centre: the picture reads without telling colours apart
        self.names = [ax_code.text(0, 0, str(k), fontsize=11, weight="bold", ha="center", va="center",
                                   bbox=dict(boxstyle="round,pad=0.1", fc="white", alpha=0.7, lw=0)) for k in range(10)]
        ax_code.add_patch(Circle((0, 0), 2.0, fill=False, ls="--", color="0.3", lw=1))
        ax_code.set(xlim=(-_CODE_LIM, _CODE_LIM), ylim=(-_CODE_LIM, _CODE_LIM), aspect="equal",
                    xlabel="$z_1$", ylabel="$z_2$")
        ax_code.set_title("codes of held-out digits\n(dashed: 2 std of the prior)", fontsize=9)
        span = 2.5
        self.grid = ax_grid.imshow(first.grid, cmap="gray_r", vmin=0, vmax=1, extent=(-span, span, -span, span))
        ax_grid.set(xlabel="$z_1$", ylabel="$z_2$")
        ax_grid.set_title("decoder's digit at each code", fontsize=9)
        self.strip = ax_rec.imshow(self._strip(first), cmap="gray_r", vmin=0, vmax=1)
        ax_rec.set_xticks([])
        ax_rec.set_yticks([4, 12], ["input", "recon."], fontsize=9)
        ax_rec.set_title("six held-out digits", fontsize=9)
        self.title = self.fig.text(0.5, 0.97, "", ha="center", va="top", fontsize=10)
        self.backdrop = Backdrop(self.fig, [self.points, *self.names, self.grid, self.strip, self.title])
        self.backdrop.capture()

    def _strip(self, view: VAEView) -> np.ndarray:
        top = self.images[:6].reshape(6, 8, 8).transpose(1, 0, 2).reshape(8, 48)         # (6, 64) -> (8, 48)
        bottom = view.recon[:6].reshape(6, 8, 8).transpose(1, 0, 2).reshape(8, 48)
        return np.vstack([top, bottom])                                                   # (16, 48)

    def controls(self) -> dict[str, W.ValueWidget]:
        options = [(f"{b:g}", b) for b in sorted(self.views)]
        default = 1.0 if 1.0 in self.views else options[len(options) // 2][1]
        return {"beta": W.SelectionSlider(options=options, value=default, description="β (weight of the KL)",
                                          continuous_update=True, style={"description_width": "initial"},
                                          layout=W.Layout(width="360px"))}

    def update(self, beta: float = 1.0) -> str:
        check_choice(beta, "beta", sorted(self.views))
        view = self.views[beta]
        codes = np.clip(view.codes, -_CODE_LIM, _CODE_LIM)
        self.points.set_offsets(codes)
        for k, name in enumerate(self.names):
            name.set_position(codes[self.labels == k].mean(axis=0) if np.any(self.labels == k) else (0, 0))
        self.grid.set_data(view.grid)
        self.strip.set_data(self._strip(view))
        spread = float(np.sqrt((view.codes ** 2).sum(axis=1).mean()))
        self.title.set_text(f"β = {beta:g}: reconstruction error {view.recon_error:.2f}, KL {view.kl:.2f} nats")
        betas = sorted(self.views)
        where = ("the smallest β here: sharpest reconstructions, codes least tied to the prior"
                 if beta == betas[0] else "the largest β here: codes pulled hardest towards the prior, "
                 "blurriest digits" if beta == betas[-1] else "between the extremes")
        return (f"β = {beta:g} ({where}): squared error {view.recon_error:.2f} per digit, KL {view.kl:.2f} nats, "
                f"codes at RMS radius {spread:.2f} (the prior's is 1.41); {self.source}")


# ----------------------------------------------------------------------------- the noise level
class NoiseLevelExplorer(App):
    """Slide the noise level t: the noisy points :math:`x_t` and the model's estimate of :math:`x_0` from them.

    Every :math:`x_t` and estimate is computed for all t when the app is built (fixed points, fixed
    noise), so the slider only selects.

    Args:
        model, schedule, ring: a trained 2-D :class:`Denoiser` (member ``member`` is used), its
            schedule and the data's :class:`RingMixture`. None: :func:`tiny_ring_denoiser`.
        n: points shown. seed: seeds the points and the noise.
    """

    def __init__(self, model: Denoiser | None = None, schedule: NoiseSchedule | None = None,
                 ring: RingMixture | None = None, member: int = 0, n: int = 400, seed: int = 0) -> None:
        if model is None:
            model, schedule, ring = tiny_ring_denoiser()
            self.source = "a tiny denoiser trained when the app was built"
        else:
            self.source = "the denoiser trained in this notebook"
        _check_ring_model(model, schedule)
        self.schedule, self.ring = schedule, ring if ring is not None else RingMixture()
        gen = torch.Generator().manual_seed(seed)
        x0 = self.ring.sample(n, gen)                                                       # (n, 2)
        noise = torch.randn(schedule.T, n, 2, generator=gen)                                 # (T, n, 2)
        t = torch.arange(schedule.T)[:, None].expand(-1, n)                                  # (T, n)
        ab = schedule.alpha_bar.float()[:, None, None]
        x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise                                       # (T, n, 2)
        with torch.no_grad():
            eps = _member(model, member)(x_t.reshape(-1, 2), t.reshape(-1)).reshape(x_t.shape)
        self.x_t = x_t.double().numpy()
        self.x0_hat = predict_x0(schedule, x_t, eps, t).double().numpy()
        self.near = np.array([mode_coverage(x, self.ring.centers, self.ring.std).quality for x in self.x0_hat])
        self.fig = new_figure(7.2, 3.5)
        ax_t, ax_0 = self.fig.subplots(1, 2)
        self.noisy = ax_t.scatter(self.x_t[0, :, 0], self.x_t[0, :, 1], s=5, c=OKABE_ITO["blue"], marker="o")
        self.guess = ax_0.scatter(self.x0_hat[0, :, 0], self.x0_hat[0, :, 1], s=5, c=OKABE_ITO["vermillion"], marker="^")
        for ax in (ax_t, ax_0):
            _ring_axes(ax, self.ring)
        self.title_t = ax_t.text(0.5, 1.02, "", transform=ax_t.transAxes, ha="center", va="bottom", fontsize=9)
        self.title_0 = ax_0.text(0.5, 1.02, "", transform=ax_0.transAxes, ha="center", va="bottom", fontsize=9)
        self.fig.tight_layout(rect=(0, 0, 1, 0.94))                # room for the titles drawn as texts
        self.backdrop = Backdrop(self.fig, [self.noisy, self.guess, self.title_t, self.title_0])
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"t": int_slider(self.schedule.T // 5, 0, self.schedule.T - 1, "noise level t (step)")}

    def update(self, t: int = 20) -> str:
        check_range(t, "t", 0, self.schedule.T - 1, integer=True)
        self.noisy.set_offsets(np.clip(self.x_t[t], -_LIM, _LIM))
        self.guess.set_offsets(np.clip(self.x0_hat[t], -_LIM, _LIM))
        ab = float(self.schedule.alpha_bar[t])
        self.title_t.set_text(f"$x_t$ at t = {t}: signal ×{np.sqrt(ab):.2f}, noise ×{np.sqrt(1 - ab):.2f}")
        self.title_0.set_text(f"model's estimate of $x_0$: {self.near[t]:.0%} near a mode")
        edge = (" (the first step: barely any noise)" if t == 0 else
                " (the last step: almost pure noise, so the best guess is close to the data's mean)"
                if t == self.schedule.T - 1 else "")
        return (f"t = {t}{edge}: ᾱ_t = {ab:.3g}; {self.near[t]:.0%} of the estimates of x_0 lie within "
                f"3σ of a mode; {self.source}")


# ----------------------------------------------------------------------------- the reverse process, played
class ReverseProcessSession:
    """Ancestral sampling on the ring, one reverse step per "step" of the player.

    The figure shows the current points :math:`x_t` over the eight modes, and the share of them
    within 3σ of a mode after every step. ``controls`` holds a "noise scale" slider read by every
    step: 1 is DDPM's sampler; 0 drops the fresh noise (every step goes to the posterior mean).

    Args:
        model, schedule, ring: as :class:`NoiseLevelExplorer` (None: :func:`tiny_ring_denoiser`).
        n: number of points. seed: seeds the start noise and the step noises (reset replays them).
    """

    def __init__(self, model: Denoiser | None = None, schedule: NoiseSchedule | None = None,
                 ring: RingMixture | None = None, member: int = 0, n: int = 500, seed: int = 0) -> None:
        if model is None:
            model, schedule, ring = tiny_ring_denoiser()
        _check_ring_model(model, schedule)
        self.model, self.schedule, self.ring = _member(model, member), schedule, ring if ring is not None else RingMixture()
        self.n, self.seed = n, seed
        self.controls = {"noise_scale": float_slider(1.0, 0.0, 1.5, 0.1, "noise scale (1 = DDPM)")}
        self.fig = new_figure(7.2, 3.3)
        ax, self.ax_curve = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        _ring_axes(ax, self.ring)
        self.points = ax.scatter(np.zeros(n), np.zeros(n), s=5, c=OKABE_ITO["blue"], marker="o")
        self.ax_title = ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=9)
        (self.curve,) = self.ax_curve.plot([], [], color=OKABE_ITO["vermillion"], marker="o", ms=2.5, lw=1.2)
        self.ax_curve.set(xlim=(0, schedule.T), ylim=(0, 1), xlabel="reverse steps taken",
                          ylabel="share of points within 3σ of a mode")
        self.ax_curve.grid(alpha=0.3)
        self.fig.tight_layout(rect=(0, 0, 1, 0.95))
        self.backdrop = Backdrop(self.fig, [self.points, self.ax_title, self.curve])
        self.backdrop.capture()
        self.reset()

    def reset(self) -> None:
        self.gen = torch.Generator().manual_seed(self.seed)
        self.x = torch.randn(self.n, 2, generator=self.gen)
        self.t = self.schedule.T - 1                       # the next step to take
        self.near: list[float] = []

    @property
    def done(self) -> bool:
        return self.t < 0

    def _near(self) -> float:
        return mode_coverage(self.x.double().numpy(), self.ring.centers, self.ring.std).quality

    def step(self, lr: float | None = None) -> float:
        """One reverse step (``lr`` is ignored); returns the mean distance of the points to their nearest mode."""
        if not self.done:
            scale = float(self.controls["noise_scale"].value)
            with torch.no_grad():
                eps = self.model(self.x, torch.full((self.n,), self.t, dtype=torch.long))
            noise = scale * torch.randn(self.n, 2, generator=self.gen) if self.t > 0 else None
            self.x, _ = reverse_step(self.schedule, self.x, eps, self.t, noise)
            self.t -= 1
            self.near.append(self._near())
        dist = np.linalg.norm(self.x.double().numpy()[:, None] - self.ring.centers[None], axis=2).min(axis=1)
        return float(dist.mean())

    def draw(self) -> str:
        self.points.set_offsets(np.clip(self.x.double().numpy(), -_LIM, _LIM))
        taken = len(self.near)
        self.curve.set_data(np.arange(1, taken + 1), self.near)
        cov = mode_coverage(self.x.double().numpy(), self.ring.centers, self.ring.std)
        self.ax_title.set_text(f"$x_{{{max(self.t, 0)}}}$ after {taken} of {self.schedule.T} steps: {cov.covered}/8 modes")
        scale = float(self.controls["noise_scale"].value)
        if taken == 0:
            return f"pure noise x_{self.schedule.T - 1}: press play or step to run the reverse process"
        note = (" (noise scale 0: no fresh noise, each step jumps to the posterior mean)" if scale == 0 else
                " (noise scale above 1: more noise than DDPM's sampler adds)" if scale > 1 else "")
        if self.done:
            return f"finished at t = 0: {cov}{note}; press reset for the same start noise again"
        return f"t = {self.t + 1} -> {self.t}: {cov}{note}"
