"""Notebook 19's figures: the grid world's values with the policy as arrows, value iteration's
convergence, learning curves over seeds, and the cart-pole drawn with matplotlib (no renderer needed).

Each ``plot_*`` function returns a matplotlib ``Figure``; :class:`GridWorldView` and
:class:`CartPoleView` keep their artists so the widgets can update them in place.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from helpers.core.checks import check_array, check_range, check_type
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure
from helpers.rl.cartpole import SOLVED_MEAN
from helpers.rl.gridworld import ARROWS, GridWorld

__all__ = ["GridWorldView", "plot_gridworld", "plot_convergence", "plot_learning_curves", "CartPoleView"]


class GridWorldView:
    """State values as a heat map (with a colour bar), the greedy action as an arrow in every
    non-terminal cell, walls in dark grey, G and T labelled. :meth:`show` updates it in place."""

    def __init__(self, fig: Figure, ax: Axes, world: GridWorld, vmax: float = 1.0) -> None:
        check_type(fig, "fig", Figure, "a matplotlib Figure")
        check_type(ax, "ax", Axes, "a matplotlib Axes")
        check_type(world, "world", GridWorld, "a GridWorld (see make_gridworld)")
        check_range(vmax, "vmax", 0.0, None, low_inclusive=False)
        self.world, self.ax = world, ax
        ax.set_facecolor("0.92")
        H, W = world.shape
        self.image = ax.imshow(np.zeros((H, W)), cmap="viridis", vmin=-vmax, vmax=vmax)
        fig.colorbar(self.image, ax=ax, fraction=0.035, pad=0.02, label="value V(s)")
        walls = np.array([[ch == "#" for ch in row] for row in world.layout], dtype=float)
        ax.imshow(np.where(walls > 0, 1.0, np.nan), cmap="Greys", vmin=0, vmax=1.3)
        for r, row in enumerate(world.layout):
            for c, ch in enumerate(row):
                if ch in "GTS":
                    label = {"G": "goal +1", "T": "trap -1", "S": "start"}[ch]
                    ax.text(c, r + 0.36, label, ha="center", va="center", fontsize=9, color="white",
                            bbox={"boxstyle": "round,pad=0.1", "fc": "black", "alpha": 0.5, "lw": 0})
        live = ~world.terminal
        self.rows, self.cols = world.cells[live, 0], world.cells[live, 1]
        self.live = live
        self.arrows = ax.quiver(self.cols, self.rows, np.zeros(live.sum()), np.zeros(live.sum()),
                                pivot="middle", scale=1, scale_units="xy", width=0.012, color="white",
                                edgecolor="black", linewidth=0.6)
        self.value_texts = [ax.text(c, r - 0.33, "", ha="center", va="center", fontsize=9, color="white",
                                    bbox={"boxstyle": "round,pad=0.1", "fc": "black", "alpha": 0.45, "lw": 0})
                            for r, c in world.cells]
        ax.set(xticks=range(W), yticks=range(H), xlabel="column", ylabel="row")
        # a text, not ax.set_title: an Axes title moves itself against hidden artists (ui.backdrop)
        self.title = ax.text(0.5, 1.03, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)

    @property
    def dynamic(self) -> list:
        """The artists :meth:`show` changes (for a :class:`helpers.ui.backdrop.Backdrop`)."""
        return [self.image, self.arrows, *self.value_texts, self.title]

    def show(self, V: np.ndarray, policy: np.ndarray, title: str = "") -> None:
        """Values (S,) as colours and numbers, the actions (S,) as arrows."""
        V = check_array(V, "V", shape=(self.world.n_states,))
        policy = check_array(policy, "policy", shape=(self.world.n_states,), dtype="int")
        if policy.min() < 0 or policy.max() >= len(ARROWS):
            raise ValueError(f"policy must hold actions in [0, {len(ARROWS) - 1}], got values from "
                             f"{policy.min()} to {policy.max()}")
        self.image.set_data(self.world.to_grid(np.where(self.world.terminal, np.nan, V)))  # ends: labels only
        moves = np.array(ARROWS)[np.asarray(policy)[self.live]]                # (S_live, 2) (row, col)
        self.arrows.set_UVC(0.55 * moves[:, 1], -0.55 * moves[:, 0])            # y points up in quiver
        for text, v, term in zip(self.value_texts, V, self.world.terminal):
            text.set_text("" if term else f"{v:.2f}")
        self.title.set_text(title)


def plot_gridworld(world: GridWorld, V: np.ndarray, policy: np.ndarray, title: str) -> Figure:
    """One :class:`GridWorldView` as a figure."""
    fig = new_figure(5.2, 3.2)
    view = GridWorldView(fig, fig.add_subplot(), world)
    view.show(V, policy, title)
    fig.tight_layout()
    return fig


def plot_convergence(deltas: list[float], gamma: float) -> Figure:
    """Value iteration's largest change per sweep (log scale) against the contraction bound
    :math:`\\gamma^k \\cdot \\Delta_0`."""
    deltas = check_array(deltas, "deltas", ndim=1)
    check_range(gamma, "gamma", 0.0, 1.0)
    fig = new_figure(4.6, 2.6)
    ax = fig.add_subplot()
    k = np.arange(1, len(deltas) + 1)
    ax.semilogy(k, deltas, "o-", ms=3, color=PALETTE[0], label="largest change in V per sweep")
    ax.semilogy(k, deltas[0] * gamma ** (k - 1), "--", color=PALETTE[1], label=f"bound $\\gamma^{{k-1}}\\Delta_1$, $\\gamma$ = {gamma}")
    ax.set(xlabel="sweep k", ylabel="max |V_k - V_(k-1)|", title="Value iteration converges geometrically")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_learning_curves(runs: dict[str, list[dict[str, list]]], solved: float = SOLVED_MEAN) -> Figure:
    """Left: training return against environment steps, one thin line per seed and method, the
    mean over seeds bold where every seed is still training. Right: environment steps to solved,
    one marker per seed.

    Args:
        runs: ``{method: [history, ...]}``, each history with ``env_steps``, ``return`` and
            ``eval_return`` lists (as returned by the course's training loops).
    """
    if not isinstance(runs, dict) or not 1 <= len(runs) <= len(MARKERS):
        raise ValueError(f"runs must map 1 to {len(MARKERS)} method names to lists of histories, got {type(runs).__name__}")
    for name, histories in runs.items():
        if not isinstance(histories, (list, tuple)) or not histories:
            raise ValueError(f"runs[{name!r}] must be a non-empty list of histories, got {type(histories).__name__}")
        for h in histories:
            missing = [k for k in ("env_steps", "return", "eval_return") if not isinstance(h, dict) or k not in h]
            if missing or not len(h["env_steps"]) or len(h["env_steps"]) != len(h["return"]):
                raise ValueError(f"each history in runs[{name!r}] must be a dict of equally long, non-empty "
                                 f"'env_steps', 'return' and 'eval_return' lists; missing or empty: {missing or 'lengths'}")
    check_range(solved, "solved")
    fig = new_figure(8.0, 3.0)
    ax, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    for i, (name, histories) in enumerate(runs.items()):
        color, style = PALETTE[i], LINESTYLES[i]
        ends = []
        for j, h in enumerate(histories):
            x, y = np.asarray(h["env_steps"], float), np.asarray(h["return"], float)
            ax.plot(x / 1e3, y, color=color, ls=style, lw=0.8, alpha=0.45, label=None)
            ends.append(x[-1])
        grid = np.linspace(0, min(ends), 50)
        mean = np.mean([np.interp(grid, np.asarray(h["env_steps"], float), np.asarray(h["return"], float))
                        for h in histories], axis=0)
        ax.plot(grid / 1e3, mean, color=color, ls=style, lw=2.2, label=f"{name}: mean of {len(histories)} seeds")
        solved_at = [h["env_steps"][-1] / 1e3 for h in histories if h["eval_return"][-1] >= solved]
        ax_bar.plot(solved_at, np.full(len(solved_at), i) + np.linspace(-0.15, 0.15, len(solved_at)),
                    MARKERS[i], color=color, ls="none", ms=6)
    ax.axhline(solved, color="0.3", lw=1, ls=":", label=f"solved: {solved:.0f}")
    ax.set(xlabel="environment steps (thousands)", ylabel="mean training-episode return",
           title="Learning curves: every seed (thin) and their mean (bold)", ylim=(0, 520))
    ax.legend(fontsize=9, loc="upper left")
    ax.grid(alpha=0.3)
    ax_bar.set(yticks=range(len(runs)), yticklabels=list(runs), xlabel="env steps to solved (thousands)",
               title="Spread across seeds", ylim=(-0.6, len(runs) - 0.4))
    ax_bar.set_xlim(left=0)
    ax_bar.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


class CartPoleView:
    """The cart and its pole, drawn from the state :math:`(x, \\dot x, \\theta, \\dot\\theta)`: the
    track from -2.4 to 2.4 m, the cart as a box, the pole (1 m long, as gymnasium's physics has it)
    as a thick line leaning by :math:`\\theta` (positive: to the right)."""

    def __init__(self, ax: Axes) -> None:
        check_type(ax, "ax", Axes, "a matplotlib Axes")
        self.ax = ax
        ax.plot([-2.4, 2.4], [0, 0], color="0.3", lw=2)
        for end in (-2.4, 2.4):
            ax.plot([end, end], [-0.1, 0.1], color=PALETTE[3], lw=2)
        self.cart = Rectangle((-0.25, -0.075), 0.5, 0.15, fc=PALETTE[0], ec="black", zorder=3)
        ax.add_patch(self.cart)
        (self.pole,) = ax.plot([0, 0], [0, 1], color=PALETTE[1], lw=4, solid_capstyle="round", zorder=4)
        ax.set(xlim=(-2.6, 2.6), ylim=(-0.3, 1.2), aspect="equal", yticks=[], xlabel="cart position x (m)")

    @property
    def artists(self) -> list:
        return [self.cart, self.pole]

    def set_state(self, state: np.ndarray) -> None:
        """Move the drawing to ``state`` (4,): position x and pole angle theta (radians from upright)."""
        x, _, theta, _ = np.asarray(state, dtype=float)
        self.cart.set_x(x - 0.25)
        self.pole.set_data([x, x + np.sin(theta)], [0.0, np.cos(theta)])
