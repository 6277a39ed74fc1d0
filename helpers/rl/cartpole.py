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
    feats = np.zeros((max_steps, n_episodes, 4))
    actions = np.zeros((max_steps, n_episodes), dtype=np.int64)
    alive = np.zeros((max_steps, n_episodes), dtype=bool)
    running = np.ones(n_episodes, dtype=bool)
    for t in range(max_steps):
        feats[t] = obs / FEATURE_SCALE
        actions[t] = policy(feats[t])
        alive[t] = running
        obs, _, terminated, truncated, _ = env.step(actions[t])
        running &= ~(terminated | truncated)    # an episode that ended stays ended (the env restarts it: ignored)
        if not running.any():
            break
    T = t + 1
    env.close()
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
