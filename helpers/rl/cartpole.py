r"""gymnasium's CartPole-v1: batches of episodes, evaluation, and the "solved" test (notebook 19).

A pole is hinged on a cart that moves on a track; the agent pushes the cart left or right (actions
0 and 1) and gets a reward of +1 for every step the pole stays up. An episode ends when the pole
leans more than 12 degrees or the cart leaves the track (:math:`|x| > 2.4`) -- *terminated* -- or
after 500 steps -- *truncated*. So the return of an episode is its length, at most 500, and
CartPole-v1 counts as **solved** when the mean return over 100 consecutive episodes is at least
475 (gymnasium's ``reward_threshold``).

The observation is :math:`(x, \dot x, \theta, \dot\theta)`. The networks see it divided by a fixed
scale (:data:`FEATURE_SCALE`, roughly each quantity's range while the pole is up) so that every
input is of order 1, which is all the feature engineering there is.

Many episodes run side by side in gymnasium's own vectorised CartPole (``gymnasium.make_vec``
with ``vectorization_mode="vector_entry_point"``): the same physics as ``gymnasium.make
("CartPole-v1")`` (``tests/test_rl_cartpole.py`` checks it step by step) with one NumPy call per
step for all of them. That is what makes training take seconds instead of minutes here.
:func:`run_episodes` resets that environment (gymnasium seeds the starting states) and then steps
its state with ``_Physics``, gymnasium's step written out without the per-step checks and
copies around it: the same operations in the same order, so bit for bit the same episodes, in a
third of the time (the live training player of notebook 19 runs 8 x 500 such steps per frame).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import gymnasium as gym
import numpy as np

from helpers.core.checks import check_array, check_range, check_seed

__all__ = ["FEATURE_SCALE", "SOLVED_MEAN", "MAX_STEPS", "EpisodeBatch", "make_cartpole", "features",
           "run_episodes", "evaluate", "evaluate_sequential"]

FEATURE_SCALE = np.array([2.4, 3.0, 0.21, 3.0])     # x (m), x' (m/s), theta (rad), theta' (rad/s)
SOLVED_MEAN = 475.0
MAX_STEPS = 500

Policy = Callable[[np.ndarray], np.ndarray]          # features (N, 4) -> actions (N,) in {0, 1}


@dataclass(frozen=True)
class EpisodeBatch:
    """N episodes run side by side, padded to the longest one (T steps).

    Shape:
        ``features`` (T, N, 4), ``actions`` (T, N) int, ``alive`` (T, N) bool: whether episode n
        was still running at step t (the padding is False). Every live step earned reward 1.
    """

    features: np.ndarray
    actions: np.ndarray
    alive: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """Each episode's length, which in CartPole is also its (undiscounted) return. Shape: (N,)."""
        return self.alive.sum(axis=0)

    @property
    def rewards(self) -> np.ndarray:
        """+1 at every live step, 0 in the padding. Shape: (T, N)."""
        return self.alive.astype(float)


def make_cartpole(num_envs: int = 1):
    """``num_envs`` copies of CartPole-v1 stepped together (gymnasium's vectorised CartPole)."""
    check_range(num_envs, "num_envs", 1, None, integer=True)
    return gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="vector_entry_point")


def features(obs: np.ndarray) -> np.ndarray:
    """Observations divided by :data:`FEATURE_SCALE`, as float64. Shape: (N, 4) -> (N, 4)."""
    obs = check_array(obs, "obs", shape=(None, 4))
    return obs / FEATURE_SCALE


def _check_policy(policy) -> None:
    if not callable(policy):
        raise ValueError(f"policy must be a function features (N, 4) -> actions (N,), got {type(policy).__name__}")


class _Physics:
    """gymnasium's ``CartPoleVectorEnv.step`` physics, with ``env``'s constants, for a state (4, N),
    without the action check, reward, time limit and restarts around it (:func:`run_episodes`
    handles those it needs). The arithmetic is gymnasium's, operation by operation, so the numbers
    are identical (``tests/test_rl_cartpole.py`` compares whole batches bit for bit)."""

    def __init__(self, env) -> None:
        self.env = env
        self.force = np.sign(np.array([0, 1]) - 0.5) * env.force_mag        # force of action 0 and 1
        self.limits = np.array([[env.x_threshold], [env.theta_threshold_radians]])   # (2, 1)

    def step(self, state: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The next state (4, N) and whether each episode terminated (N,)."""
        env = self.env
        theta, theta_dot = state[2], state[3]                             # state = (x, x', theta, theta')
        force = self.force.take(actions, mode="clip")                     # (run_episodes rejects actions not 0 or 1)
        costheta, sintheta = np.cos(theta), np.sin(theta)
        temp = (force + env.polemass_length * np.square(theta_dot) * sintheta) / env.total_mass
        thetaacc = (env.gravity * sintheta - costheta * temp) / (
            env.length * (4.0 / 3.0 - env.masspole * np.square(costheta) / env.total_mass))
        xacc = temp - env.polemass_length * thetaacc * costheta / env.total_mass
        rates = np.empty_like(state)                                      # (4, N): d/dt of the state
        rates[0::2], rates[1], rates[3] = state[1::2], xacc, thetaacc
        new = state + env.tau * rates                                     # Euler, gymnasium's default
        out = np.abs(new[0::2]) > self.limits                             # (2, N): |x| or |theta| too large
        return new, out[0] | out[1]


def run_episodes(policy: Policy, n_episodes: int, seed: int, max_steps: int = MAX_STEPS) -> EpisodeBatch:
    """Run ``n_episodes`` fresh episodes side by side until every one has ended.

    Args:
        policy: ``actions = policy(features)``, features (N, 4) -> actions (N,) in {0, 1}.
            It is called once per step for all N episodes (ended ones too; their actions are ignored).
        n_episodes: N. seed: seeds the starting states. max_steps: cap on an episode's length.

    Example:
        >>> batch = run_episodes(lambda f: (f[:, 2] > 0).astype(int), 5, seed=0)  # push towards the lean
        >>> batch.features.shape[1:], bool(batch.lengths.min() > 20)
        ((5, 4), True)
    """
    check_range(n_episodes, "n_episodes", 1, None, integer=True)
    check_range(max_steps, "max_steps", 1, MAX_STEPS, integer=True)
    check_seed(seed)
    _check_policy(policy)
    env = make_cartpole(n_episodes)
    obs, _ = env.reset(seed=int(seed))
    sim = env.unwrapped
    physics, state = _Physics(sim), sim.state                             # (4, N) float64, as gymnasium keeps it
    feats = np.zeros((max_steps, n_episodes, 4))
    actions = np.zeros((max_steps, n_episodes), dtype=np.int64)
    alive = np.zeros((max_steps, n_episodes), dtype=bool)
    running = np.ones(n_episodes, dtype=bool)
    ended = np.zeros(n_episodes, dtype=bool)                              # ended at the previous step
    for t in range(max_steps):
        np.divide(obs, FEATURE_SCALE, out=feats[t])
        actions[t] = policy(feats[t])
        alive[t] = running
        state, terminated = physics.step(state, actions[t])
        if np.count_nonzero(ended):   # gymnasium restarts an ended episode one step later, from its own stream
            state[:, ended] = sim.np_random.uniform(low=sim.low, high=sim.high, size=(4, ended.sum()))
            terminated[ended] = False
        obs = state.T.astype(np.float32)                                  # gymnasium's observations are float32
        ended = terminated    # (the 500-step time limit can only end the last step of the loop)
        running &= ~terminated                  # an episode that ended stays ended (the restart is ignored)
        if not np.count_nonzero(running):       # (count_nonzero: .any() without its Python overhead)
            break
    T = t + 1
    env.close()
    if actions[:T].min() < 0 or actions[:T].max() > 1:
        raise ValueError(f"policy must return actions in {{0, 1}}, got {actions[:T].min()}..{actions[:T].max()}")
    return EpisodeBatch(feats[:T], actions[:T], alive[:T])


def evaluate(policy: Policy, n_episodes: int = 100, seed: int = 10_000) -> np.ndarray:
    """The returns of ``n_episodes`` fresh evaluation episodes (run side by side, capped at 500
    steps). Shape: -> (n_episodes,). Solved: ``evaluate(...).mean() >= SOLVED_MEAN`` with 100 episodes."""
    return run_episodes(policy, n_episodes, seed).lengths.astype(float)


def evaluate_sequential(policy: Policy, n_episodes: int = 100, seed: int = 10_000) -> np.ndarray:
    """The same test the slow, standard way: 100 consecutive episodes of ``gymnasium.make("CartPole-v1")``,
    one step at a time (the first reset seeded, the next ones continuing its random stream).
    Shape: -> (n_episodes,)."""
    check_range(n_episodes, "n_episodes", 1, None, integer=True)
    check_seed(seed)
    _check_policy(policy)
    env = gym.make("CartPole-v1")
    returns = []
    obs, _ = env.reset(seed=int(seed))
    for _ in range(n_episodes):
        total, done = 0.0, False
        while not done:
            action = int(policy((np.asarray(obs, dtype=float) / FEATURE_SCALE)[None])[0])  # (4,) -> (1, 4)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        returns.append(total)
        obs, _ = env.reset()
    env.close()
    return np.array(returns)
