r"""Tabular Q-learning on the grid world: learning :math:`Q^*` from sampled moves alone (notebook 19, section 1).

Value iteration needs the model (``P`` and ``R``). Q-learning (Watkins, 1989) never looks at them:
it only sees transitions :math:`(s, a, r, s')` sampled by acting, and nudges one table entry
towards a one-sample Bellman target:

.. math:: Q(s, a) \leftarrow Q(s, a) + \alpha \big[\, r + \gamma \max_{a'} Q(s', a') - Q(s, a) \,\big]

(the max is dropped, target :math:`r`, when :math:`s'` ends the episode). It is *off-policy*: the
target uses the greedy action whatever the agent did next, so the agent may explore with an
:math:`\varepsilon`-greedy policy (a random action with probability :math:`\varepsilon`) and still
learn the values of the greedy one. With every pair visited infinitely often and step sizes
:math:`\alpha_n` with :math:`\sum \alpha_n = \infty`, :math:`\sum \alpha_n^2 < \infty`, it converges to
:math:`Q^*`; we use :math:`\alpha = 1 / n(s, a)^{0.6}` (n: visits so far).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.rl.gridworld import GridWorld

__all__ = ["epsilon_greedy", "q_learning"]


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    r"""A random action with probability :math:`\varepsilon`, else the best one (first on ties).

    Shape: q_values (A,) -> an action index.

    Example:
        >>> epsilon_greedy(np.array([0.0, 2.0, 1.0]), 0.0, np.random.default_rng(0))
        1
    """
    q_values = check_array(q_values, "q_values", ndim=1)
    check_range(epsilon, "epsilon", 0.0, 1.0)
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


def q_learning(world: GridWorld, gamma: float = 0.9, steps: int = 4000, epsilon: float = 0.2,
               max_moves: int = 100, seed: int = 0, progress: bool = False,
               on_step: Callable[[int, dict], None] | None = None) -> tuple[np.ndarray, dict[str, list]]:
    r"""Learn :math:`Q` by Q-learning from sampled episodes (see the module docstring).

    Each episode starts in a random non-terminal cell (so every cell gets visited; the learned
    greedy policy is compared with value iteration's everywhere) and ends at the goal, the trap,
    or after ``max_moves`` moves. The agent acts :math:`\varepsilon`-greedily.

    Args:
        world: the grid world (only ``world.step`` is used to act: no ``P``, no ``R``).
        gamma: discount. steps: number of episodes. epsilon: exploration rate.
        max_moves: cap on the length of an episode. seed: seeds the start cells, moves and exploration.
        progress: unused (the loop takes well under a second); kept for the course's loop signature.
        on_step: called as ``on_step(episode, record)`` after every episode.

    Returns:
        ``(Q, history)``: the table (S, A) and ``{"step", "return", "moves"}`` per episode.

    Example:
        >>> from helpers.rl.gridworld import make_gridworld
        >>> Q, hist = q_learning(make_gridworld(), steps=10, seed=0)
        >>> Q.shape, len(hist["return"])
        ((20, 4), 10)
    """
    check_range(gamma, "gamma", 0.0, 1.0)
    check_range(steps, "steps", 1, None, integer=True)
    check_range(epsilon, "epsilon", 0.0, 1.0)
    check_range(max_moves, "max_moves", 1, None, integer=True)
    check_type(world, "world", GridWorld, "a GridWorld (see make_gridworld)")
    rng = np.random.default_rng(check_seed(seed))
    S, A = world.R.shape
    Q = np.zeros((S, A))
    visits = np.zeros((S, A))
    starts = np.nonzero(~world.terminal)[0]
    history: dict[str, list] = {"step": [], "return": [], "moves": []}
    for episode in range(steps):
        s, total, discount = int(rng.choice(starts)), 0.0, 1.0
        for move in range(1, max_moves + 1):
            a = epsilon_greedy(Q[s], epsilon, rng)
            s_next, r, done = world.step(s, a, rng)
            target = r if done else r + gamma * Q[s_next].max()                 # one-sample Bellman target
            visits[s, a] += 1
            Q[s, a] += visits[s, a] ** -0.6 * (target - Q[s, a])
            total += discount * r
            discount *= gamma
            s = s_next
            if done:
                break
        record = {"step": episode, "return": total, "moves": move}
        for key, value in record.items():
            history[key].append(value)
        if on_step is not None:
            on_step(episode, record)
    return Q, history
