r"""Exercises for notebook 19 (reinforcement learning): checks with specific feedback, and the solutions.

1. :func:`check_bellman_backup`: :math:`Q(s,a) = R(s,a) + \gamma \sum_{s'} P(s'|s,a) V(s')`.
2. :func:`check_discounted_returns`: rewards to go :math:`G_t = r_t + \gamma G_{t+1}`.
3. :func:`check_reinforce_gradient`: the REINFORCE gradient of a linear softmax policy.

Each check takes the learner's function, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.basics.losses import softmax
from helpers.exercises import Feedback, answer, close_enough, run_check
from helpers.rl.gridworld import bellman_backup, make_gridworld
from helpers.rl.policy_gradient import discounted_returns

__all__ = ["solution_bellman_backup", "check_bellman_backup", "solution_discounted_returns",
           "check_discounted_returns", "solution_reinforce_gradient", "check_reinforce_gradient"]


# ----------------------------------------------------------------------------- 1. Bellman backup
def solution_bellman_backup(V: np.ndarray, P: np.ndarray, R: np.ndarray, gamma: float) -> np.ndarray:
    """Expected next value under every (state, action): P @ V contracts the last axis of P."""
    return R + gamma * P @ V


def check_bellman_backup(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]) -> Feedback:
    """Check ``fn(V (S,), P (S, A, S), R (S, A), gamma) -> Q (S, A)`` on the slippery grid world."""
    world = make_gridworld(slip=0.2)
    V = np.random.default_rng(19).normal(size=world.n_states)

    def check() -> str | None:
        got = np.asarray(answer(fn(V.copy(), world.P.copy(), world.R.copy(), 0.9)), dtype=float)
        want = bellman_backup(V, world.P, world.R, 0.9)
        if got.shape == (world.n_states,):
            return ("that is one number per state: the backup keeps one value per (state, action), shape "
                    f"{want.shape}; take the max over actions only afterwards.")
        if got.shape == want.shape and np.allclose(got, world.R + 0.9 * V[:, None]):
            return "the next value must be averaged over the next states s' with P[s, a, s'], not V of the current state."
        if got.shape == want.shape and np.allclose(got, world.R + world.P @ V):
            return "the future is discounted: multiply the expected next value by gamma."
        return close_enough(got, want, "Q")

    return run_check("Bellman backup", check, hints=(
        "Q[s, a] = R[s, a] + gamma * sum over s' of P[s, a, s'] * V[s'].",
        "P @ V multiplies the last axis of P (S, A, S) with V (S,) and gives (S, A): return R + gamma * P @ V."))


# ----------------------------------------------------------------------------- 2. discounted returns
def solution_discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """One backward pass: the return from t is the reward at t plus the discounted return from t + 1."""
    G = np.zeros(len(rewards))
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        G[t] = running
    return G


def check_discounted_returns(fn: Callable[[np.ndarray, float], np.ndarray]) -> Feedback:
    """Check ``fn(rewards (T,), gamma) -> G (T,)`` with ``G[t] = sum_k gamma**k rewards[t + k]``."""
    cases = [(np.array([0.0, 0.0, 1.0]), 0.9), (np.array([1.0, -2.0, 0.5, 3.0, 1.0]), 0.5)]

    def check() -> str | None:
        for rewards, gamma in cases:
            got = np.asarray(answer(fn(rewards.copy(), gamma)), dtype=float)
            want = discounted_returns(rewards, gamma)
            if got.shape == ():
                return f"return one value per time step, shape {want.shape} (G_t for every t), not the single G_0."
            if got.shape == want.shape and np.allclose(got, np.cumsum(rewards * gamma ** np.arange(len(rewards)))):
                return "that sums the rewards *before* t; G_t counts the rewards from t onwards (the rewards to go)."
            if got.shape == want.shape and np.allclose(got, discounted_returns(rewards, 1.0)):
                return "the rewards are not discounted: a reward k steps ahead counts gamma**k times."
            problem = close_enough(got, want, f"G for rewards {rewards.tolist()}, gamma = {gamma}")
            if problem:
                return problem
        return None

    return run_check("discounted returns", check, hints=(
        "work backwards from the last step: G[T-1] = r[T-1], then G[t] = r[t] + gamma * G[t+1].",
        "G = np.zeros(T); running = 0.0; for t in reversed(range(T)): running = rewards[t] + gamma * running; G[t] = running"))


# ----------------------------------------------------------------------------- 3. REINFORCE gradient
def solution_reinforce_gradient(X: np.ndarray, W: np.ndarray, actions: np.ndarray,
                                advantages: np.ndarray) -> np.ndarray:
    """Gradient of -mean(A * log softmax(X W)[a]) with respect to W: X^T (pi - onehot) A / N."""
    logits = X @ W                                                              # (N, K)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(actions)), actions] -= 1.0                                  # pi - onehot
    return X.T @ (p * advantages[:, None]) / len(actions)


def check_reinforce_gradient(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(X (N, D), W (D, K), actions (N,), advantages (N,)) -> dW (D, K)``, the gradient of
    :math:`\\mathcal L = -\\frac1N \\sum_n A_n \\log \\mathrm{softmax}(x_n W)_{a_n}`."""
    rng = np.random.default_rng(7)
    X, W = rng.normal(size=(6, 4)), 0.5 * rng.normal(size=(4, 2))
    actions, adv = rng.integers(0, 2, 6), rng.normal(size=6)

    def check() -> str | None:
        got = np.asarray(answer(fn(X.copy(), W.copy(), actions.copy(), adv.copy())), dtype=float)
        want = solution_reinforce_gradient(X, W, actions, adv)
        if got.shape == want.T.shape and got.shape != want.shape:
            return f"dW has the shape of W, {want.shape}; yours is transposed {got.shape}."
        if got.shape == want.shape and np.allclose(got, -want):
            return ("the sign is flipped: this is the gradient of the loss -mean(A log pi), which gradient "
                    "*descent* follows; d(-log pi)/dz = pi - onehot.")
        if got.shape == want.shape and np.allclose(got, want * len(actions)):
            return "divide by N: the loss is a mean over the N steps."
        onehot = np.eye(2)[actions]
        p = softmax(X @ W)
        if got.shape == want.shape and np.allclose(got, X.T @ (p - onehot) / len(actions)):
            return "every step's term is weighted by its advantage A_n: multiply (pi - onehot) by advantages[:, None]."
        return close_enough(got, want, "dW")

    return run_check("REINFORCE gradient", check, hints=(
        "the logits are z = X W; for the loss -A log softmax(z)[a], dL/dz = A (softmax(z) - onehot(a)); then dW = X^T dz.",
        "p = softmax(X @ W); p[np.arange(N), actions] -= 1; return X.T @ (p * advantages[:, None]) / N"))
