"""Notebook 16's static figures: noise schedules side by side, and the spread of two gradient estimators.

Samples on the ring and grids of digits reuse notebook 12's :mod:`helpers.gan.plots`. Every
function returns a ``Figure`` from :func:`helpers.core.figures.new_figure`.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_array
from helpers.core.figures import LINESTYLES, PALETTE, new_figure
from helpers.generative.schedules import NoiseSchedule

__all__ = ["plot_schedules", "plot_estimator_spread"]


def plot_schedules(schedules: dict[str, NoiseSchedule]) -> Figure:
    r"""Left: :math:`\bar\alpha_t` (the share of the signal's variance left) against :math:`t/T`; right:
    :math:`\beta_t` on a log axis. One colour and line style per schedule.

    Example:
        >>> from helpers.generative.schedules import make_schedule
        >>> len(plot_schedules({"linear": make_schedule("linear", 100)}).axes)
        2
    """
    if not isinstance(schedules, dict) or not schedules or not all(isinstance(s, NoiseSchedule) for s in schedules.values()):
        got = ({k: type(v).__name__ for k, v in schedules.items()} if isinstance(schedules, dict)
               else type(schedules).__name__)
        raise ValueError(f"schedules must map names to NoiseSchedule objects (make_schedule), got {got}")
    fig = new_figure(7.0, 2.7)
    ax_ab, ax_b = fig.subplots(1, 2)
    for i, (name, s) in enumerate(schedules.items()):
        u = (np.arange(s.T) + 1) / s.T
        style = dict(color=PALETTE[i % len(PALETTE)], ls=LINESTYLES[i % len(LINESTYLES)], lw=1.8, label=name)
        ax_ab.plot(u, s.alpha_bar.numpy(), **style)
        ax_b.plot(u, s.betas.numpy(), **style)
    ax_ab.set(xlabel="t / T (fraction of the chain)", ylabel=r"$\bar\alpha_t$ (signal variance left)", ylim=(0, 1.02),
              title="how fast the signal fades")
    ax_b.set(xlabel="t / T (fraction of the chain)", ylabel=r"$\beta_t$ (noise added per step)", yscale="log",
             title="noise added at each step")
    for ax in (ax_ab, ax_b):
        ax.grid(alpha=0.3)
        ax.title.set_fontsize(10)
    ax_ab.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_estimator_spread(reparam: np.ndarray, score: np.ndarray, coordinate: int = 0) -> Figure:
    """Histograms of one coordinate of the per-sample gradient estimates (log counts), and their means.

    Shape: reparam, score (n, K).
    """
    reparam = check_array(reparam, "reparam", ndim=2)
    score = check_array(score, "score", ndim=2, shape=(None, reparam.shape[1]))
    a, b = reparam[:, coordinate], score[:, coordinate]
    lim = float(np.quantile(np.abs(b), 0.995))
    bins = np.linspace(-lim, lim, 81)
    fig = new_figure(6.0, 2.8)
    ax = fig.add_subplot()
    ax.hist(np.clip(b, -lim, lim), bins=bins, color=PALETTE[1], alpha=0.6, label="score function (REINFORCE)",
            hatch="//", edgecolor=PALETTE[1])
    ax.hist(np.clip(a, -lim, lim), bins=bins, color=PALETTE[0], alpha=0.8, label="reparameterisation")
    for value, i, ls in ((a.mean(), 0, "-"), (b.mean(), 1, "--")):
        ax.axvline(value, color=PALETTE[i], ls=ls, lw=1.5)
    ax.set(yscale="log", xlabel=f"one-sample estimate of ∂/∂μ_{coordinate + 1} of E_q[log p(x|z)] (nats per unit)",
           ylabel="count (log scale)", title="same gradient, same samples: very different spreads")
    ax.title.set_fontsize(10)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
