"""Notebook 19's interactive pieces: the grid world's values under your discount and slip, and a
CartPole agent trained live by REINFORCE while you watch it balance.

* :class:`GridWorldApp` is an :class:`helpers.ui.widgets.App` (value iteration on every move).
* :class:`CartPoleSession` is a :class:`helpers.ui.player.TrainingSession` for
  :class:`helpers.ui.player.TrainingPlayer`: play / pause / step / reset, the learning rate live,
  and a "watch 1 step" button that moves the shown episode without training.
"""
from __future__ import annotations

import gymnasium as gym
import ipywidgets as W
import numpy as np

from helpers.core.checks import check_range
from helpers.core.figures import PALETTE, new_figure
from helpers.rl.cartpole import FEATURE_SCALE, MAX_STEPS, SOLVED_MEAN
from helpers.rl.gridworld import ACTIONS, bellman_residual, greedy_policy, make_gridworld, value_iteration
from helpers.rl.plots import CartPoleView, GridWorldView
from helpers.rl.policy_gradient import PolicyAgent, ReinforceTrainer
from helpers.ui.backdrop import Backdrop, grown
from helpers.ui.widgets import App, float_slider

__all__ = ["GridWorldApp", "CartPoleSession"]


class GridWorldApp(App):
    """Move the discount, the slip probability and the cost of a move; value iteration reruns
    (well under a millisecond per sweep) and the values and arrows follow."""

    def __init__(self) -> None:
        self.fig = new_figure(5.6, 3.3)
        self.view = GridWorldView(self.fig, self.fig.add_subplot(), make_gridworld())
        self.fig.tight_layout()
        self.backdrop = Backdrop(self.fig, self.view.dynamic)   # walls, labels, colour bar drawn once
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"gamma": float_slider(0.9, 0.0, 0.99, 0.01, "discount γ"),
                "slip": float_slider(0.1, 0.0, 0.5, 0.05, "slip probability"),
                "step_reward": float_slider(-0.04, -0.3, 0.0, 0.01, "reward per move")}

    def update(self, gamma: float = 0.9, slip: float = 0.1, step_reward: float = -0.04) -> str:
        check_range(gamma, "gamma", 0.0, 0.99)
        world = make_gridworld(slip=slip, step_reward=step_reward)
        V, Q, deltas = value_iteration(world.P, world.R, gamma, tol=1e-8)
        policy = greedy_policy(Q)
        self.view.show(V, policy, f"γ = {gamma:.2f}, slip = {slip:.2f}, move = {step_reward:+.2f}")
        short = " (γ = 0: only the next reward counts)" if gamma == 0 else ""
        return (f"V(start) = {V[world.start]:.3f}; from the start the optimal agent {self.route(world, policy)}; "
                f"value iteration: {len(deltas)} sweeps, Bellman residual "
                f"{bellman_residual(V, world.P, world.R, gamma):.1e}{short}")

    @staticmethod
    def route(world, policy: np.ndarray) -> str:
        """Where the greedy policy's intended moves lead from the start, in words."""
        s, seen, rows = world.start, set(), []
        while s not in seen and not world.terminal[s]:
            seen.add(s)
            rows.append(int(world.cells[s, 0]))
            s = int(np.argmax(world.P[s, policy[s]]))      # the intended move (the likeliest next state)
        if s in seen:
            first = ACTIONS[policy[world.start]]
            return f"pushes {first} and stays put unless it slips (moving on is too risky)"
        end = world.layout[world.cells[s, 0]][world.cells[s, 1]]
        if end == "T":
            return "heads straight into a trap (ending the episode beats paying for every move)"
        return "takes the long way round, over the top" if 0 in rows else "walks the short way, beside the traps"


class CartPoleSession:
    """REINFORCE with a baseline on CartPole, one update (``batch_size`` episodes) per player step,
    and one episode of the current policy shown as it goes: the cart, the policy's action
    probabilities and the value network's estimate beside it, the learning curve on the right.

    Args:
        seed: seeds the networks, the training episodes and the shown episode.
        batch_size: training episodes per update.
        watch_steps: how many steps the shown episode advances per update.
    """

    def __init__(self, seed: int = 0, batch_size: int = 8, watch_steps: int = 10, hidden: int = 32) -> None:
        self.seed, self.batch_size, self.watch_steps, self.hidden = seed, batch_size, watch_steps, hidden
        self.gamma = 0.99
        self.fig = new_figure(7.6, 3.4)
        grid = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.5], height_ratios=[1, 1.1])
        ax_cart = self.fig.add_subplot(grid[0, :2])
        self.cart = CartPoleView(ax_cart)
        ax_p = self.fig.add_subplot(grid[1, 0])
        self.bars = ax_p.bar([0, 1], [0.5, 0.5], color=[PALETTE[0], PALETTE[1]], hatch=None)
        self.bars[1].set_hatch("//")
        ax_p.set(ylim=(0, 1), xticks=[0, 1], xticklabels=["push\nleft", "push\nright"], ylabel="π(a | s)")
        ax_p.tick_params(labelsize=9)
        ax_v = self.fig.add_subplot(grid[1, 1])
        self.value_bar = ax_v.barh([0], [0.0], color=PALETTE[2])
        ax_v.set(xlim=(0, 1.0 / (1 - self.gamma)), yticks=[], xlabel="V(s), discounted\nsteps to come")
        ax_v.tick_params(labelsize=9)
        self.ax_curve = self.fig.add_subplot(grid[:, 2])
        (self.curve,) = self.ax_curve.plot([], [], "-", color=PALETTE[0], lw=1.2, label="training batches")
        (self.evals,) = self.ax_curve.plot([], [], "s", color=PALETTE[3], ms=4, label="shown episodes")
        self.ax_curve.axhline(SOLVED_MEAN, color="0.3", ls=":", lw=1)
        self.ax_curve.set(xlabel="update", ylabel="episode return", ylim=(0, 520), xlim=(0, 20))
        self.ax_curve.legend(fontsize=9, loc="lower right")
        self.ax_curve.grid(alpha=0.3)
        self.cart_title = ax_cart.text(0.5, 1.02, "", transform=ax_cart.transAxes, ha="center", fontsize=9)
        self.fig.tight_layout()
        self.backdrop = Backdrop(self.fig, [*self.cart.artists, *self.bars, *self.value_bar, self.curve,
                                            self.evals, self.cart_title])
        self.backdrop.capture()
        self.env = gym.make("CartPole-v1")
        self.reset()

    def reset(self) -> None:
        self.agent = PolicyAgent(hidden=self.hidden, seed=self.seed)
        self.trainer = ReinforceTrainer(self.agent, batch_size=self.batch_size, gamma=self.gamma, seed=self.seed)
        self.watch_rng = np.random.default_rng(self.seed + 1)
        self.returns: list[float] = []
        self.shown: list[tuple[int, float]] = []   # (update, return) of every finished shown episode
        self.obs, _ = self.env.reset(seed=self.seed)
        self.t, self.last_return = 0, None

    @property
    def actions(self) -> dict:
        """Extra player buttons: move the shown episode one step, without training."""
        return {"watch 1 step": self.watch_one}

    def _features(self) -> np.ndarray:
        return (np.asarray(self.obs, dtype=float) / FEATURE_SCALE)[None]        # (4,) -> (1, 4)

    def watch_one(self, lr: float | None = None) -> float:
        """One step of the shown episode with the current policy (sampled); a new one starts after the end."""
        probs = self.agent.probs(self._features())[0]
        action = int(self.watch_rng.random() < probs[1])
        self.obs, _, terminated, truncated, _ = self.env.step(action)
        self.t += 1
        if terminated or truncated:
            self.last_return = float(self.t)
            self.shown.append((len(self.returns), float(self.t)))
            self.obs, _ = self.env.reset()
            self.t = 0
        return self.returns[-1] if self.returns else 0.0

    def step(self, lr: float) -> float:
        """One REINFORCE update at learning rate ``lr``, then ``watch_steps`` steps of the shown episode.
        Returns the policy's surrogate loss (finite unless training blew up)."""
        record = self.trainer.update(lr)
        self.returns.append(record["return"])
        for _ in range(self.watch_steps):
            self.watch_one()
        return record["loss"]

    def draw(self) -> str:
        feats = self._features()
        probs, value = self.agent.probs(feats)[0], float(self.agent.values(feats)[0]) / (1 - self.gamma)
        self.cart.set_state(self.obs)
        for bar, p in zip(self.bars, probs):
            bar.set_height(p)
        self.value_bar[0].set_width(float(np.clip(value, 0, 1 / (1 - self.gamma))))
        n = len(self.returns)
        self.curve.set_data(np.arange(1, n + 1), self.returns)
        if self.shown:
            u, r = zip(*self.shown)
            self.evals.set_data(u, r)
        self.backdrop.set_limits(self.ax_curve, xlim=(0, grown(max(n, 1), 20)))
        self.cart_title.set_text(f"shown episode, step {self.t} of at most {MAX_STEPS}")
        done = f"; last shown episode lasted {self.last_return:.0f} steps" if self.last_return else ""
        if not n:
            return (f"untrained policy: π(left) = {probs[0]:.2f}, π(right) = {probs[1]:.2f}, V(s) = {value:.1f}; "
                    f"press play, step or watch 1 step{done}")
        return (f"update {n}: training batch mean return {self.returns[-1]:.0f} "
                f"({self.trainer.env_steps} env steps so far); now π(left) = {probs[0]:.2f}, "
                f"π(right) = {probs[1]:.2f}, V(s) = {value:.1f}{done}")
