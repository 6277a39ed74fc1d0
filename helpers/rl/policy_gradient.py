r"""REINFORCE with a learned baseline, from scratch in NumPy (Williams, 1992; notebook 19, section 2).

A stochastic policy :math:`\pi_\theta(a \mid s)` (here a softmax over a tiny network's two logits)
is improved by gradient ascent on the expected return :math:`J(\theta) = \mathbb E_\tau[G(\tau)]`.
The **log-derivative trick** :math:`\nabla_\theta p = p\, \nabla_\theta \log p` turns the gradient of
an expectation into an expectation we can sample:

.. math:: \nabla_\theta J = \mathbb E_\tau\Big[\sum_t \nabla_\theta \log \pi_\theta(a_t \mid s_t)\,
          \big(G_t - b(s_t)\big)\Big], \qquad G_t = \sum_{k \ge t} \gamma^{k-t} r_k ,

where the *reward to go* :math:`G_t` replaces the whole return (a reward cannot be caused by later
actions) and any **baseline** :math:`b(s_t)` may be subtracted without bias, because
:math:`\mathbb E_{a}[\nabla \log \pi(a \mid s)] = \nabla \sum_a \pi(a \mid s) = \nabla 1 = 0`.
The baseline here is a learned value :math:`V_\phi(s) \approx \mathbb E[G_t \mid s_t = s]` (a second
network fitted by least squares), so :math:`A_t = G_t - V_\phi(s_t)`, the *advantage*, says whether
:math:`a_t` did better or worse than usual from :math:`s_t`.

In code the estimator is the gradient of a **surrogate loss** over the N live steps of a batch,

.. math:: \mathcal L(\theta) = -\frac1N \sum_{n} A_n \log \pi_\theta(a_n \mid s_n), \qquad
          \frac{\partial \mathcal L}{\partial z_{n,k}} = -\frac{A_n}{N}\big(\mathbb 1[k = a_n] - \pi_{n,k}\big)

with :math:`A_n` held fixed (:math:`z`: logits), and the chain rule through the network
(:func:`helpers.rl.networks.tanh_mlp_backward`) does the rest.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from helpers.basics.losses import log_softmax
from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.rl.cartpole import SOLVED_MEAN, EpisodeBatch, evaluate, run_episodes
from helpers.rl.networks import init_tanh_mlp, mlp_output, tanh_mlp_backward, tanh_mlp_forward
from helpers.training.optim import Adam

__all__ = ["discounted_returns", "PolicyLossCache", "policy_loss_forward", "policy_loss_backward",
           "policy_gradient", "PolicyAgent", "reinforce_inputs", "ReinforceTrainer", "train_reinforce"]


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    r"""Rewards to go :math:`G_t = r_t + \gamma G_{t+1}` (with :math:`G_T = 0`), computed backwards
    in one pass instead of the :math:`O(T^2)` sum :math:`\sum_{k \ge t} \gamma^{k-t} r_k`.

    Shape:
        rewards (T,) or (T, N) (time first; zeros after an episode's end change nothing) -> same.

    Example:
        >>> discounted_returns(np.array([1.0, 1.0, 1.0]), 0.5)
        array([1.75, 1.5 , 1.  ])
    """
    rewards = check_array(rewards, "rewards", ndim=(1, 2))
    check_range(gamma, "gamma", 0.0, 1.0)
    G = np.zeros_like(rewards, dtype=float)
    running = np.zeros(rewards.shape[1:])
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        G[t] = running
    return G


@dataclass(frozen=True)
class PolicyLossCache:
    probs: np.ndarray
    actions: np.ndarray
    advantages: np.ndarray


def _check_loss_inputs(logits, actions, advantages):
    logits = check_array(logits, "logits", ndim=2)
    actions = check_array(actions, "actions", shape=(logits.shape[0],), dtype="int")
    if actions.min() < 0 or actions.max() >= logits.shape[1]:
        raise ValueError(f"actions must lie in [0, {logits.shape[1] - 1}], got {actions.min()}..{actions.max()}")
    advantages = check_array(advantages, "advantages", shape=(logits.shape[0],))
    return logits, actions, advantages


def policy_loss_forward(logits: np.ndarray, actions: np.ndarray,
                        advantages: np.ndarray) -> tuple[float, PolicyLossCache]:
    r"""The REINFORCE surrogate loss :math:`-\frac1N \sum_n A_n \log \pi(a_n \mid s_n)`, with
    :math:`\log\pi` from a log-softmax of the logits (stable: no :math:`\log` of a probability that
    underflowed to 0).

    Shape:
        logits (N, K), actions (N,) int, advantages (N,) -> a scalar.

    Example:
        >>> loss, _ = policy_loss_forward(np.zeros((2, 2)), np.array([0, 1]), np.array([1.0, 1.0]))
        >>> round(loss, 4)                              # -log(1/2)
        0.6931
    """
    logits, actions, advantages = _check_loss_inputs(logits, actions, advantages)
    logp = log_softmax(logits)                                                  # (N, K)
    chosen = logp[np.arange(len(actions)), actions]                             # (N,)
    return float(-np.mean(advantages * chosen)), PolicyLossCache(np.exp(logp), actions, advantages)


def policy_loss_backward(dy: float, cache: PolicyLossCache) -> np.ndarray:
    r"""Gradient of :func:`policy_loss_forward` with respect to the logits:
    :math:`-\frac{A_n}{N}(\mathbb 1[k = a_n] - \pi_{n,k})`, times the incoming scalar ``dy``.
    Shape: -> (N, K)."""
    check_range(dy, "dy")
    check_type(cache, "cache", PolicyLossCache, "a PolicyLossCache (from policy_loss_forward)")
    N = len(cache.actions)
    d = cache.probs.copy()                                                      # pi_{n,k}
    d[np.arange(N), cache.actions] -= 1.0                                      # pi - onehot
    return float(dy) * d * (cache.advantages / N)[:, None]


def policy_gradient(params: list[np.ndarray], x: np.ndarray, actions: np.ndarray,
                    advantages: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Our REINFORCE estimator on a batch of steps: the surrogate loss and its gradient with respect
    to the policy network's ``[W1, b1, W2, b2]``: forward, the loss, the loss's backward, the
    network's backward. Shape: x (N, 4), actions (N,), advantages (N,)."""
    logits, cache = tanh_mlp_forward(x, params)                                 # (N, 2)
    loss, loss_cache = policy_loss_forward(logits, actions, advantages)
    _, *grads = tanh_mlp_backward(policy_loss_backward(1.0, loss_cache), cache)
    return loss, grads


class PolicyAgent:
    """A softmax policy network (4 -> hidden -> 2 logits) and a value network (4 -> hidden -> 1),
    both :func:`helpers.rl.networks.tanh_mlp_forward`.

    The value network predicts :math:`(1-\\gamma)\\,G_t`, the return in units where a return that
    goes on forever is 1, so its targets stay in [0, 1] (see :func:`reinforce_inputs`).
    """

    def __init__(self, hidden: int = 32, seed: int = 0) -> None:
        check_seed(seed)
        rng = np.random.default_rng(seed)
        self.policy = init_tanh_mlp(4, hidden, 2, rng)
        self.value = init_tanh_mlp(4, hidden, 1, rng)

    def probs(self, feats: np.ndarray) -> np.ndarray:
        """Action probabilities :math:`\\pi(\\cdot \\mid s)`. Shape: (N, 4) -> (N, 2)."""
        logits, _ = tanh_mlp_forward(feats, self.policy)
        return np.exp(log_softmax(logits))

    def values(self, feats: np.ndarray) -> np.ndarray:
        """The baseline :math:`V(s)`, in units of :math:`(1-\\gamma) G`. Shape: (N, 4) -> (N,)."""
        out, _ = tanh_mlp_forward(feats, self.value)
        return out[:, 0]

    def actor(self, rng: np.random.Generator, greedy: bool = False) -> Callable[[np.ndarray], np.ndarray]:
        """A policy function for :func:`helpers.rl.cartpole.run_episodes`: sample from :math:`\\pi`
        (or take its most likely action when ``greedy``)."""
        def act(feats: np.ndarray) -> np.ndarray:
            logits = mlp_output(feats, self.policy)                             # (N, 2)
            if greedy:
                return np.argmax(logits, axis=1)
            # P(right) = sigmoid(z1 - z0) = 1 / (1 + exp(z0 - z1)); clipped to [-50, 50] so exp cannot
            # overflow (minimum/maximum: np.clip's result, without its Python overhead once per env step)
            p_right = 1.0 / (1.0 + np.exp(np.minimum(np.maximum(logits[:, 0] - logits[:, 1], -50.0), 50.0)))
            return (rng.random(len(feats)) < p_right).astype(np.int64)
        return act


def reinforce_inputs(agent: PolicyAgent, batch: EpisodeBatch,
                     gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""What one REINFORCE update needs, from a batch of episodes: the live steps' features (N, 4),
    actions (N,), advantages :math:`A = (1-\gamma)G - V(s)` (N,) and value targets :math:`(1-\gamma)G` (N,).

    The advantages are then standardised (mean 0, std 1 over the batch): a second, batch-level
    baseline plus a step size that does not depend on how long the episodes have become.
    """
    check_type(agent, "agent", PolicyAgent)
    check_type(batch, "batch", EpisodeBatch, "an EpisodeBatch (see run_episodes)")
    check_range(gamma, "gamma", 0.0, 1.0)
    G = discounted_returns(batch.rewards, gamma) * (1.0 - gamma)                # (T, N)
    live = batch.alive
    x, a, target = batch.features[live], batch.actions[live], G[live]           # (N_live, ...)
    adv = target - agent.values(x)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    return x, a, adv, target


class ReinforceTrainer:
    """One REINFORCE-with-baseline update per call of :meth:`update`: run ``batch_size`` episodes
    with the current (sampled) policy, then one Adam step on the policy and one on the value net.

    Args:
        agent: the :class:`PolicyAgent` to train (updated in place).
        batch_size: episodes per update. gamma: discount. lr: the policy's learning rate (Adam).
        value_lr: the value network's learning rate. seed: seeds the episodes and the actions.
    """

    def __init__(self, agent: PolicyAgent, batch_size: int = 16, gamma: float = 0.99, lr: float = 0.01,
                 value_lr: float = 0.01, seed: int = 0) -> None:
        check_type(agent, "agent", PolicyAgent)
        check_range(batch_size, "batch_size", 1, None, integer=True)
        check_range(lr, "lr", 0.0, None, low_inclusive=False)
        check_range(value_lr, "value_lr", 0.0, None, low_inclusive=False)
        check_seed(seed)
        check_range(gamma, "gamma", 0.0, 1.0, low_inclusive=True)
        if gamma >= 1.0:
            raise ValueError("gamma must be < 1 (the value targets are scaled by 1 - gamma), got 1.0")
        self.agent, self.batch_size, self.gamma = agent, batch_size, gamma
        self.rng = np.random.default_rng(seed)
        self.policy_opt = Adam(agent.policy, lr=lr)
        self.value_opt = Adam(agent.value, lr=value_lr)
        self.env_steps = 0

    def update(self, lr: float | None = None) -> dict[str, float]:
        """Collect a batch, take one step on each network; returns the batch's numbers."""
        if lr is not None:
            self.policy_opt.lr = float(check_range(lr, "lr", 0.0, None))
        batch = run_episodes(self.agent.actor(self.rng), self.batch_size, seed=int(self.rng.integers(2**31)))
        x, a, adv, target = reinforce_inputs(self.agent, batch, self.gamma)
        loss, grads = policy_gradient(self.agent.policy, x, a, adv)
        self.policy_opt.step(grads)
        v, v_cache = tanh_mlp_forward(x, self.agent.value)
        value_loss = float(np.mean((v[:, 0] - target) ** 2))
        _, *v_grads = tanh_mlp_backward(2.0 * (v - target[:, None]) / len(x), v_cache)  # d mean(err^2) / dv
        self.value_opt.step(v_grads)
        self.env_steps += int(batch.alive.sum())
        return {"loss": loss, "value_loss": value_loss, "return": float(batch.lengths.mean()),
                "env_steps": self.env_steps}


def train_reinforce(agent: PolicyAgent, steps: int = 200, batch_size: int = 16, seed: int = 0,
                    lr: float = 0.01, gamma: float = 0.99, eval_gate: float = 450.0, stop_when_solved: bool = True,
                    progress: bool = False, on_step: Callable[[int, dict], None] | None = None) -> dict[str, list]:
    """Train ``agent`` by REINFORCE with a baseline (:class:`ReinforceTrainer`), one update per step.

    Whenever a training batch averages at least ``eval_gate``, the updated (sampled) policy plays 100
    fresh evaluation episodes (evaluating only then saves most of the cost); with
    ``stop_when_solved`` training stops at the first evaluation whose mean return is >= 475.

    Returns:
        A history with one entry per update: ``step``, ``loss``, ``value_loss``, ``return`` (mean
        training-episode return), ``env_steps`` (cumulative), ``seconds`` (cumulative wall time)
        and ``eval_return`` (NaN, propagated on purpose, when there was no evaluation at that update).
    """
    check_range(steps, "steps", 1, None, integer=True)
    check_range(eval_gate, "eval_gate", 0.0, None)
    trainer = ReinforceTrainer(agent, batch_size=batch_size, gamma=gamma, lr=lr, seed=seed)
    eval_rng = np.random.default_rng(seed + 12345)
    history: dict[str, list] = {k: [] for k in ("step", "loss", "value_loss", "return", "env_steps",
                                                "seconds", "eval_return")}
    start = time.perf_counter()
    for step in range(steps):
        record = trainer.update()
        score = float("nan")
        if record["return"] >= eval_gate:
            score = float(evaluate(agent.actor(eval_rng), 100, seed=int(eval_rng.integers(2**31))).mean())
        record.update(step=step, seconds=time.perf_counter() - start, eval_return=score)
        for key in history:
            history[key].append(record[key])
        if on_step is not None:
            on_step(step, record)
        if stop_when_solved and score >= SOLVED_MEAN:
            break
    return history
