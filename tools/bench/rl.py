"""Notebook 19: wall time and environment steps to "solved" on CartPole-v1 for REINFORCE and DQN
(five seeds each, one thread), and our hand-written gradients against torch autograd.

    python -m tools.bench --only rl
"""
from __future__ import annotations

import time

import numpy as np

SECTION = "Notebook 19: reinforcement learning (CartPole-v1, 1 thread)"


def _solve(report, name: str, make_agent, train, seeds) -> None:
    steps, seconds, solved = [], [], []
    for seed in seeds:
        start = time.perf_counter()
        history = train(make_agent(seed), seed)
        seconds.append(time.perf_counter() - start)
        steps.append(history["env_steps"][-1])
        solved.append(history["eval_return"][-1] >= 475)
        report.add(SECTION, f"{name}, seed {seed}",
                   f"{'solved' if solved[-1] else 'NOT solved'} after {steps[-1]} env steps, {seconds[-1]:.1f} s")
    report.add(SECTION, f"{name}, {len(seeds)} seeds",
               f"{sum(solved)}/{len(seeds)} solved; env steps median {int(np.median(steps))} "
               f"(min {min(steps)}, max {max(steps)}); wall time median {np.median(seconds):.1f} s "
               f"(min {min(seconds):.1f}, max {max(seconds):.1f})")


def run(report) -> None:
    import torch

    from helpers.rl import dqn, networks, policy_gradient, reference
    from helpers.rl.cartpole import run_episodes

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seeds = range(5)
        _solve(report, "REINFORCE + baseline (16 episodes/update)", lambda s: policy_gradient.PolicyAgent(seed=s),
               lambda agent, s: policy_gradient.train_reinforce(agent, steps=150, seed=s), seeds)
        _solve(report, "DQN (2 envs, 1 minibatch/step)", lambda s: dqn.QAgent(seed=s),
               lambda agent, s: dqn.train_dqn(agent, steps=30_000, seed=s), seeds)

        agent = policy_gradient.PolicyAgent(seed=1)
        for p in agent.policy + agent.value:
            p += 0.3 * np.random.default_rng(2).normal(size=p.shape)
        batch = run_episodes(agent.actor(np.random.default_rng(3)), 16, seed=4)
        x, a, adv, _ = policy_gradient.reinforce_inputs(agent, batch, 0.99)
        report.ratio(SECTION, f"REINFORCE gradient, {len(x)} steps (vs torch autograd incl. weight copy)",
                     lambda: policy_gradient.policy_gradient(agent.policy, x, a, adv),
                     lambda: reference.torch_policy_gradient(agent.policy, x, a, adv), repeat=30)
        rng = np.random.default_rng(0)
        q = dqn.QAgent(seed=0)
        fixed = (rng.normal(size=(64, 4)), rng.integers(0, 2, 64), np.ones(64), rng.normal(size=(64, 4)),
                 rng.random(64) < 0.1)
        report.ratio(SECTION, "DQN loss + gradient, batch 64 (vs torch, incl. weight copy and Adam step)",
                     lambda: dqn.dqn_gradients(q.q, q.target, fixed, 0.99),
                     lambda: reference.torch_dqn_update(networks.copy_params(q.q), q.target, fixed, 0.99, 1e-3),
                     repeat=30)
    finally:
        torch.set_num_threads(threads)
