"""Notebook 19's CartPole pieces: gymnasium's vectorised CartPole against the standard one, episode
batches and evaluation, short training runs, and the training player's session."""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from helpers.core.figures import render_png
from helpers.rl import cartpole as cp, dqn, policy_gradient as pg


def test_vector_env_has_the_physics_of_gym_make():
    single = gym.make("CartPole-v1").unwrapped
    vec = cp.make_cartpole(1)
    single.reset(seed=0)
    vec.reset(seed=0)
    start = np.array([0.01, -0.02, 0.03, 0.04])
    single.state, vec.unwrapped.state = start.copy(), start.copy()[:, None]     # (4,) and (4, 1)
    for action in [1, 1, 0, 1, 0, 0, 1, 1, 1, 0]:
        o1, r1, t1, _, _ = single.step(action)
        o2, r2, t2, _, _ = vec.step(np.array([action]))
        assert np.allclose(o1, o2[0], atol=1e-6) and r1 == r2[0] and t1 == t2[0]


def test_run_episodes_masks_finished_episodes():
    batch = cp.run_episodes(lambda f: np.zeros(len(f), dtype=np.int64), 4, seed=0)   # always push left
    assert batch.features.shape[1:] == (4, 4) and batch.alive.shape == batch.actions.shape
    lengths = batch.lengths
    assert np.all((lengths >= 8) & (lengths <= 12))          # falls within a dozen steps
    for n, L in enumerate(lengths):                           # alive is a prefix of ones
        assert batch.alive[:L, n].all() and not batch.alive[L:, n].any()
    assert np.array_equal(batch.rewards.sum(0), lengths)


def test_evaluate_caps_at_500_and_is_reproducible():
    lean = lambda f: (f[:, 2] + 0.5 * f[:, 3] > 0).astype(np.int64)   # noqa: E731 - a hand-written controller
    r1, r2 = cp.evaluate(lean, 10, seed=3), cp.evaluate(lean, 10, seed=3)
    assert np.array_equal(r1, r2) and r1.max() <= 500 and r1.mean() > 100
    with pytest.raises(ValueError, match="n_episodes"):
        cp.evaluate(lean, 0)


def test_sequential_evaluation_agrees_in_kind():
    lean = lambda f: (f[:, 2] + 0.5 * f[:, 3] > 0).astype(np.int64)   # noqa: E731
    r = cp.evaluate_sequential(lean, 3, seed=0)
    assert r.shape == (3,) and np.all((r > 100) & (r <= 500))


def test_reinforce_improves_quickly_and_is_seeded():
    runs = []
    for _ in range(2):
        agent = pg.PolicyAgent(hidden=16, seed=0)
        runs.append(pg.train_reinforce(agent, steps=8, batch_size=8, seed=0, stop_when_solved=False))
    assert runs[0]["return"] == runs[1]["return"]
    assert np.mean(runs[0]["return"][-3:]) > np.mean(runs[0]["return"][:2])
    assert set(runs[0]) >= {"step", "loss", "return", "env_steps", "eval_return"}


def test_dqn_trainer_skips_restart_steps_and_learns_after_warmup():
    agent = dqn.QAgent(hidden=16, seed=0)
    trainer = dqn.DQNTrainer(agent, n_envs=2, learning_starts=100, seed=0)
    assert np.isnan(trainer.update(n_steps=40))
    trainer.update(n_steps=100)
    assert len(trainer.buffer) == trainer.env_steps and np.isfinite(trainer.last_loss)
    assert 0.05 < trainer.epsilon < 1.0 and trainer.finished     # some episodes ended
    assert np.all(np.abs(trainer.buffer.states[: len(trainer.buffer), 2]) < 0.25 / 0.21)  # no post-reset junk


def test_train_dqn_history_shape():
    h = dqn.train_dqn(dqn.QAgent(hidden=16, seed=0), steps=600, eval_every=300, learning_starts=200, seed=1)
    assert h["env_steps"][-1] >= 600 and len(h["eval_return"]) == len(h["step"]) == 2


def test_cartpole_session_steps_draws_and_resets():
    from helpers.apps.ch19_rl import CartPoleSession
    session = CartPoleSession(seed=0, batch_size=4)
    first = session.draw()
    assert "untrained" in first and render_png(session.fig).startswith(b"\x89PNG")
    losses = [session.step(0.01) for _ in range(3)]
    status = session.draw()
    assert all(np.isfinite(losses)) and status.startswith("update 3")
    session.watch_one()
    session.reset()
    assert session.draw() == first                         # the seeded initial state again
    session.step(10.0)                                     # an absurd learning rate: still a finite picture
    assert "update 1" in session.draw() and len(render_png(session.fig)) > 1000


def _run_episodes_with_gym_step(policy, n_episodes, seed, max_steps=cp.MAX_STEPS):
    """run_episodes as it was written first: every step through gymnasium's own ``env.step``."""
    env = cp.make_cartpole(n_episodes)
    obs, _ = env.reset(seed=seed)
    feats = np.zeros((max_steps, n_episodes, 4))
    actions = np.zeros((max_steps, n_episodes), dtype=np.int64)
    alive = np.zeros((max_steps, n_episodes), dtype=bool)
    running = np.ones(n_episodes, dtype=bool)
    for t in range(max_steps):
        feats[t] = obs / cp.FEATURE_SCALE
        actions[t] = policy(feats[t])
        alive[t] = running
        obs, _, terminated, truncated, _ = env.step(actions[t])
        running &= ~(terminated | truncated)
        if not running.any():
            break
    return cp.EpisodeBatch(feats[:t + 1], actions[:t + 1], alive[:t + 1])


@pytest.mark.parametrize("n_episodes, seed, max_steps, kind", [
    (8, 0, 500, "sampled"), (5, 5, 500, "sampled"), (16, 7, 500, "controller"), (1, 2, 500, "random"),
    (8, 11, 60, "random"), (3, 5, 500, "controller")])
def test_run_episodes_is_bit_for_bit_gymnasiums_vector_env(n_episodes, seed, max_steps, kind):
    """run_episodes steps the physics itself (no per-step checks): features (padding and restarts
    included), actions and lengths must equal those of gymnasium's env.step exactly."""
    def make_policy():
        rng = np.random.default_rng(seed + 100)
        if kind == "random":
            return lambda f: rng.integers(0, 2, len(f))
        if kind == "controller":                      # long episodes, some of them the full 500 steps
            return lambda f: (f[:, 2] + 0.5 * f[:, 3] + 0.3 * rng.normal(size=len(f)) > 0).astype(np.int64)
        agent = pg.PolicyAgent(hidden=16, seed=seed)
        for p in agent.policy:
            p += 0.5 * np.random.default_rng(seed).normal(size=p.shape)
        return agent.actor(rng)
    ours = cp.run_episodes(make_policy(), n_episodes, seed=seed, max_steps=max_steps)
    theirs = _run_episodes_with_gym_step(make_policy(), n_episodes, seed=seed, max_steps=max_steps)
    assert len(np.unique(theirs.lengths)) > 1 or n_episodes == 1     # episodes restarted while others ran
    assert kind != "controller" or theirs.lengths.max() == 500        # the time limit was reached
    for name in ("features", "actions", "alive"):
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name


def test_run_episodes_rejects_actions_other_than_0_and_1():
    with pytest.raises(ValueError, match="actions in"):
        cp.run_episodes(lambda f: np.full(len(f), 2), 2, seed=0)
