r"""Deep Q-learning (DQN) from scratch in NumPy: replay buffer, target network, epsilon-greedy
(Mnih et al., 2015; notebook 19, section 3).

Q-learning of section 1 with the table replaced by a network :math:`Q_\theta(s, \cdot)` (one output
per action). A gradient step pulls :math:`Q_\theta(s, a)` towards the one-sample Bellman target

.. math:: y = r + \gamma\,(1 - \text{terminated})\,\max_{a'} Q_{\bar\theta}(s', a'),

minimising the Huber loss :math:`\ell_\delta(Q_\theta(s,a) - y)` (quadratic within
:math:`\pm\delta = 1`, linear outside, so one surprising transition cannot produce a huge step).
Two tricks make it stable enough to work:

* a **replay buffer** stores the last transitions; each step trains on a random minibatch of
  them, which breaks the correlation between consecutive steps and reuses every transition many times;
* a **target network** :math:`Q_{\bar\theta}`, a copy of :math:`Q_\theta` refreshed only every few
  hundred steps, computes the targets, so the target does not move with every step it is chased by.

An episode cut off at 500 steps was *truncated*, not terminated: its target still bootstraps
from :math:`s'` (the pole was up; the world did not end there).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.rl.cartpole import FEATURE_SCALE, SOLVED_MEAN, evaluate, make_cartpole
from helpers.rl.networks import (_backward, _forward, copy_params, init_tanh_mlp, mlp_output, tanh_mlp_backward,
                                 tanh_mlp_forward)
from helpers.training.optim import Adam

__all__ = ["ReplayBuffer", "td_targets", "TDLossCache", "td_loss_forward", "td_loss_backward", "dqn_gradients", "QAgent",
           "DQNTrainer", "train_dqn"]


class ReplayBuffer:
    """A ring buffer of the last ``capacity`` transitions :math:`(s, a, r, s', \\text{terminated})`.

    Shape:
        stored features (capacity, D); :meth:`sample` returns ``(s (B, D), a (B,), r (B,), s2 (B, D),
        terminated (B,))`` drawn uniformly with replacement from what is stored.

    Example:
        >>> buf = ReplayBuffer(3, 2)
        >>> buf.add(np.zeros((4, 2)), np.arange(4), np.ones(4), np.ones((4, 2)), np.zeros(4, bool))
        >>> len(buf), buf.actions.tolist()                     # the 4th overwrote the oldest
        (3, [3, 1, 2])
    """

    def __init__(self, capacity: int, dim: int) -> None:
        check_range(capacity, "capacity", 1, None, integer=True)
        check_range(dim, "dim", 1, None, integer=True)
        self.capacity, self.size, self.next = capacity, 0, 0
        self.states, self.next_states = np.zeros((capacity, dim)), np.zeros((capacity, dim))
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards, self.terminated = np.zeros(capacity), np.zeros(capacity, dtype=bool)

    def __len__(self) -> int:
        return self.size

    def add(self, s: np.ndarray, a: np.ndarray, r: np.ndarray, s2: np.ndarray, terminated: np.ndarray) -> None:
        """Store B transitions (oldest ones overwritten once full). Shapes: (B, D), (B,), (B,), (B, D), (B,)."""
        s = check_array(s, "s", shape=(None, self.states.shape[1]), allow_empty=True)
        B = len(s)
        for arr, name in ((a, "a"), (r, "r"), (terminated, "terminated")):
            if np.shape(arr) != (B,):
                raise ValueError(f"{name} must have shape ({B},) to match s, got {np.shape(arr)}")
        s2 = check_array(s2, "s2", shape=s.shape, allow_empty=True)
        idx = (self.next + np.arange(B)) % self.capacity                        # (B,) ring positions
        self.states[idx], self.actions[idx], self.rewards[idx] = s, a, r
        self.next_states[idx], self.terminated[idx] = s2, terminated
        self.next = int((self.next + B) % self.capacity)
        self.size = min(self.size + B, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator):
        """A uniform random minibatch (with replacement)."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        j = rng.integers(0, self.size, batch_size)                              # (B,)
        return self.states[j], self.actions[j], self.rewards[j], self.next_states[j], self.terminated[j]


def td_targets(q_next: np.ndarray, rewards: np.ndarray, terminated: np.ndarray, gamma: float) -> np.ndarray:
    r""":math:`y = r + \gamma (1 - \text{terminated}) \max_{a'} Q_{\bar\theta}(s', a')`.

    Shape:
        q_next (B, A) from the target network, rewards (B,), terminated (B,) bool -> y (B,).

    Example:
        >>> td_targets(np.array([[1.0, 3.0], [2.0, 0.0]]), np.ones(2), np.array([False, True]), 0.5)
        array([2.5, 1. ])
    """
    q_next = check_array(q_next, "q_next", ndim=2)
    rewards = check_array(rewards, "rewards", shape=(len(q_next),))
    terminated = check_array(terminated, "terminated", shape=(len(q_next),), dtype="any")
    check_range(gamma, "gamma", 0.0, 1.0)
    return rewards + gamma * (1.0 - terminated.astype(float)) * q_next.max(axis=1)


@dataclass(frozen=True)
class TDLossCache:
    diff: np.ndarray
    actions: np.ndarray
    n_actions: int


def td_loss_forward(q: np.ndarray, actions: np.ndarray, targets: np.ndarray) -> tuple[float, TDLossCache]:
    r"""The mean Huber loss (:math:`\delta = 1`, PyTorch's ``smooth_l1_loss``) between
    :math:`Q(s_n, a_n)` and the targets: :math:`\ell(d) = d^2/2` for :math:`|d| \le 1`, else :math:`|d| - 1/2`.

    Shape:
        q (B, A), actions (B,) int, targets (B,) -> a scalar.

    Example:
        >>> loss, _ = td_loss_forward(np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([1, 0]), np.array([0.0, 3.0]))
        >>> loss                                      # (0.5 * 1**2 + (3 - 0.5)) / 2
        1.5
    """
    q = check_array(q, "q", ndim=2)
    actions = check_array(actions, "actions", shape=(len(q),), dtype="int")
    if actions.min() < 0 or actions.max() >= q.shape[1]:
        raise ValueError(f"actions must lie in [0, {q.shape[1] - 1}], got {actions.min()}..{actions.max()}")
    return _td_loss(q, actions, check_array(targets, "targets", shape=(len(q),)))


def _td_loss(q: np.ndarray, actions: np.ndarray, targets: np.ndarray) -> tuple[float, TDLossCache]:
    diff = q[np.arange(len(q)), actions] - targets                              # (B,)
    absd = np.abs(diff)
    loss = np.where(absd <= 1.0, 0.5 * diff ** 2, absd - 0.5)
    return float(loss.mean()), TDLossCache(diff, actions, q.shape[1])


def td_loss_backward(dy: float, cache: TDLossCache) -> np.ndarray:
    r"""Gradient of :func:`td_loss_forward` with respect to ``q``: :math:`\mathrm{clip}(d, -1, 1) / B` in
    the taken action's column, 0 elsewhere (no gradient flows into the target). Shape: -> (B, A)."""
    check_range(dy, "dy")
    check_type(cache, "cache", TDLossCache, "a TDLossCache (from td_loss_forward)")
    B = len(cache.diff)
    dq = np.zeros((B, cache.n_actions))
    dq[np.arange(B), cache.actions] = float(dy) * np.clip(cache.diff, -1.0, 1.0) / B
    return dq


def dqn_gradients(q_params: list[np.ndarray], target_params: list[np.ndarray], batch: tuple,
                  gamma: float) -> tuple[float, list[np.ndarray]]:
    """The TD loss of a replay batch ``(s, a, r, s2, terminated)`` and its gradient with respect to
    the online network's ``[W1, b1, W2, b2]``: targets from the target network (no gradient), then
    the Huber loss, then back through the network."""
    s, a, r, s2, term = batch
    y = td_targets(tanh_mlp_forward(s2, target_params)[0], r, term, gamma)       # (B,), held fixed
    q, cache = tanh_mlp_forward(s, q_params)                                     # (B, A)
    loss, loss_cache = td_loss_forward(q, a, y)
    _, *grads = tanh_mlp_backward(td_loss_backward(1.0, loss_cache), cache)
    return loss, grads


class QAgent:
    """A Q-network (4 -> hidden -> 2 action values) and its target copy.

    Example:
        >>> agent = QAgent(seed=0)
        >>> agent.q_values(np.zeros((1, 4))).tolist()      # zero output layer at the start
        [[0.0, 0.0]]
    """

    def __init__(self, hidden: int = 64, seed: int = 0) -> None:
        check_seed(seed)
        self.q = init_tanh_mlp(4, hidden, 2, np.random.default_rng(seed))
        self.target = copy_params(self.q)

    def q_values(self, feats: np.ndarray) -> np.ndarray:
        """:math:`Q(s, \\cdot)`. Shape: (N, 4) -> (N, 2)."""
        return tanh_mlp_forward(feats, self.q)[0]

    def sync_target(self) -> None:
        """Copy the online weights into the target network."""
        for t, p in zip(self.target, self.q):
            t[...] = p

    def actor(self, rng: np.random.Generator, epsilon: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
        """Epsilon-greedy on :math:`Q`: a random action with probability ``epsilon``, else the best."""
        check_range(epsilon, "epsilon", 0.0, 1.0)

        def act(feats: np.ndarray) -> np.ndarray:
            a = np.argmax(mlp_output(feats, self.q), axis=1)
            explore = rng.random(len(feats)) < epsilon
            a[explore] = rng.integers(0, 2, int(explore.sum()))
            return a
        return act


class DQNTrainer:
    """DQN on a stream of CartPole experience (``n_envs`` copies running without pause).

    Each environment step of all copies is followed by one gradient step on a replay minibatch
    (after ``learning_starts`` transitions). :math:`\\varepsilon` falls linearly from 1 to
    ``epsilon_end`` over ``epsilon_steps`` transitions (or is fixed by :meth:`update`'s argument).

    Args:
        agent: the :class:`QAgent` (updated in place). n_envs: environments side by side.
        batch_size: replay minibatch. lr: Adam's learning rate. gamma: discount.
        capacity: replay buffer size. learning_starts: transitions before the first update.
        target_every: transitions between target-network refreshes. seed: seeds everything.
    """

    def __init__(self, agent: QAgent, n_envs: int = 2, batch_size: int = 64, lr: float = 1e-3,
                 gamma: float = 0.99, capacity: int = 50_000, learning_starts: int = 1000,
                 target_every: int = 500, epsilon_steps: int = 15_000, epsilon_end: float = 0.05,
                 seed: int = 0) -> None:
        check_type(agent, "agent", QAgent)
        check_range(batch_size, "batch_size", 1, None, integer=True)
        check_range(gamma, "gamma", 0.0, 1.0)
        check_range(epsilon_end, "epsilon_end", 0.0, 1.0)
        check_range(lr, "lr", 0.0, None, low_inclusive=False)
        check_range(learning_starts, "learning_starts", 0, None, integer=True)
        check_range(target_every, "target_every", 1, None, integer=True)
        check_range(epsilon_steps, "epsilon_steps", 0, None, integer=True)
        check_seed(seed)
        self.agent, self.batch_size, self.gamma = agent, batch_size, gamma
        self.learning_starts, self.target_every = learning_starts, target_every
        self.epsilon_steps, self.epsilon_end = epsilon_steps, epsilon_end
        self.rng = np.random.default_rng(seed)
        self.opt = Adam(agent.q, lr=lr)
        self.buffer = ReplayBuffer(capacity, 4)
        self.env = make_cartpole(n_envs)
        self.obs = self.env.reset(seed=int(seed))[0] / FEATURE_SCALE
        self.was_done = np.zeros(n_envs, dtype=bool)     # the env restarts these on the next step
        self.episode_return = np.zeros(n_envs)
        self.finished: list[float] = []                   # returns of completed training episodes
        self.env_steps, self.last_sync, self.last_loss = 0, 0, float("nan")

    @property
    def epsilon(self) -> float:
        """The scheduled exploration rate at the current step."""
        frac = min(1.0, self.env_steps / max(self.epsilon_steps, 1))
        return 1.0 + frac * (self.epsilon_end - 1.0)

    def update(self, lr: float | None = None, epsilon: float | None = None, n_steps: int = 1) -> float:
        """Advance every environment ``n_steps`` steps, each followed by one gradient step; returns
        the last TD loss (NaN before learning starts)."""
        if lr is not None:
            self.opt.lr = float(check_range(lr, "lr", 0.0, None))
        for _ in range(n_steps):
            eps = self.epsilon if epsilon is None else float(check_range(epsilon, "epsilon", 0.0, 1.0))
            a = self.agent.actor(self.rng, eps)(self.obs)
            obs, r, terminated, truncated, _ = self.env.step(a)
            nxt = obs / FEATURE_SCALE
            ok = ~self.was_done                           # skip the restart step after an episode's end
            self.buffer.add(self.obs[ok], a[ok], r[ok].astype(float), nxt[ok], terminated[ok])
            self.env_steps += int(ok.sum())
            self.episode_return += r * ok
            done = (terminated | truncated) & ok
            self.finished.extend(self.episode_return[done].tolist())
            self.episode_return[done] = 0.0
            self.was_done, self.obs = terminated | truncated, nxt
            if len(self.buffer) >= self.learning_starts:
                self.last_loss = self._learn()
            if self.env_steps - self.last_sync >= self.target_every:
                self.agent.sync_target()
                self.last_sync = self.env_steps
        return self.last_loss

    def _learn(self) -> float:
        # dqn_gradients without the input checks: this runs once per environment step, on arrays
        # the trainer made itself (tests/test_rl.py checks that both paths agree with torch)
        s, a, r, s2, term = self.buffer.sample(self.batch_size, self.rng)
        y = r + self.gamma * (1.0 - term) * mlp_output(s2, self.agent.target).max(axis=1)   # (B,)
        q, cache = _forward(s, self.agent.q)
        loss, loss_cache = _td_loss(q, a, y)
        _, *grads = _backward(td_loss_backward(1.0, loss_cache), cache)
        self.opt.step(grads)
        return loss


def train_dqn(agent: QAgent, steps: int = 60_000, batch_size: int = 64, seed: int = 0, lr: float = 1e-3,
              eval_every: int = 2000, stop_when_solved: bool = True, progress: bool = False,
              on_step: Callable[[int, dict], None] | None = None, **options) -> dict[str, list]:
    """Train ``agent`` with :class:`DQNTrainer` for up to ``steps`` environment steps.

    Every ``eval_every`` environment steps the greedy policy plays 100 fresh evaluation episodes;
    with ``stop_when_solved`` training stops at the first evaluation averaging >= 475.
    ``options`` go to :class:`DQNTrainer`.

    Returns:
        One entry per evaluation: ``step`` (index), ``env_steps``, ``loss`` (last TD loss),
        ``return`` (mean of the last 20 training episodes), ``epsilon``, ``seconds``, ``eval_return``.
        ``loss`` is NaN until learning starts and ``return`` until a training episode has ended: these
        NaN propagate on purpose (a plot leaves a gap).
    """
    check_range(steps, "steps", 1, None, integer=True)
    check_range(eval_every, "eval_every", 1, None, integer=True)
    trainer = DQNTrainer(agent, batch_size=batch_size, lr=lr, seed=seed, **options)
    eval_rng = np.random.default_rng(seed + 12345)
    history: dict[str, list] = {k: [] for k in ("step", "env_steps", "loss", "return", "epsilon", "seconds",
                                                "eval_return")}
    start, step = time.perf_counter(), 0
    while trainer.env_steps < steps:
        mark = trainer.env_steps
        while trainer.env_steps - mark < eval_every and trainer.env_steps < steps:
            trainer.update()
        score = float(evaluate(agent.actor(eval_rng), 100, seed=int(eval_rng.integers(2**31))).mean())
        recent = trainer.finished[-20:]
        record = {"step": step, "env_steps": trainer.env_steps, "loss": trainer.last_loss,
                  "return": float(np.mean(recent)) if recent else float("nan"), "epsilon": trainer.epsilon,
                  "seconds": time.perf_counter() - start, "eval_return": score}
        for key in history:
            history[key].append(record[key])
        if on_step is not None:
            on_step(step, record)
        step += 1
        if stop_when_solved and score >= SOLVED_MEAN:
            break
    return history
