"""Notebook 19's maths: the grid world and value iteration, Q-learning, the tanh MLP, the REINFORCE and
DQN gradients (twins against torch autograd and torch.optim.Adam), the replay buffer, the exercises."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import ch19
from helpers.rl import dqn, gridworld as gw, networks, policy_gradient as pg, reference, tabular
from helpers.training.optim import Adam
from tests.torch_twin import assert_close, torch_value_and_grads

SHAPES = [(1, 4, 3, 2), (7, 4, 16, 2), (32, 3, 8, 5)]   # (N, D, H, K)


# ----------------------------------------------------------------------------- grid world
@pytest.mark.parametrize("slip", [0.0, 0.1, 0.5, 1.0])
def test_gridworld_is_a_valid_mdp(slip):
    world = gw.make_gridworld(slip=slip)
    assert np.allclose(world.P.sum(axis=2), 1.0) and world.P.min() >= 0
    assert np.all(world.R[world.terminal] == 0)
    for s in np.nonzero(world.terminal)[0]:          # absorbing
        assert np.all(world.P[s, :, s] == 1)


def test_deterministic_moves_and_walls():
    world = gw.make_gridworld(slip=0.0)
    start = world.start                                  # (3, 0): left edge, bottom row
    assert world.P[start, 3, start] == 1                 # left: into the edge, stays
    assert world.P[start, 0, world.state_of(2, 0)] == 1  # up
    below_wall = world.state_of(2, 1)
    assert world.P[below_wall, 0, below_wall] == 1       # up: into a wall, stays
    assert np.isclose(world.R[start, 1], -0.04 - 1.0)   # right: into the trap


def test_value_iteration_solves_the_bellman_equation_and_matches_a_linear_solve():
    world = gw.make_gridworld()
    for gamma in (0.0, 0.5, 0.9, 0.99):
        V, Q, deltas = gw.value_iteration(world.P, world.R, gamma)
        assert gw.bellman_residual(V, world.P, world.R, gamma) < 1e-8
        pi = gw.greedy_policy(Q)
        assert np.allclose(gw.policy_evaluation(world.P, world.R, pi, gamma), V, atol=1e-8)
        assert all(d2 <= gamma * d1 + 1e-12 for d1, d2 in zip(deltas, deltas[1:]))   # a contraction


def test_optimal_policy_beats_every_single_action_change():
    world = gw.make_gridworld(slip=0.2)
    V, Q, _ = gw.value_iteration(world.P, world.R, 0.9)
    pi = gw.greedy_policy(Q)
    for s in np.nonzero(~world.terminal)[0]:
        for a in range(4):
            other = pi.copy()
            other[s] = a
            assert np.all(gw.policy_evaluation(world.P, world.R, other, 0.9) <= V + 1e-9)


def test_bellman_backup_edge_cases():
    P = np.ones((1, 1, 1))
    assert gw.bellman_backup(np.array([5.0]), P, np.array([[1.0]]), 0.0)[0, 0] == 1.0
    with pytest.raises(ValueError, match="P must have shape"):
        gw.bellman_backup(np.zeros(2), np.ones((2, 1, 3)), np.zeros((2, 1)), 0.9)
    with pytest.raises(ValueError, match="V must have shape"):
        gw.bellman_backup(np.zeros(3), np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), 0.9)
    with pytest.raises(ValueError, match="gamma must be < 1"):
        gw.value_iteration(P, np.array([[1.0]]), 1.0)
    with pytest.raises(ValueError, match="layout"):
        gw.make_gridworld(layout=("S.", "G"))
    with pytest.raises(ValueError, match="slip"):
        gw.make_gridworld(slip=1.5)


def test_q_learning_finds_value_iterations_policy():
    world = gw.make_gridworld()
    V, Q_star, _ = gw.value_iteration(world.P, world.R, 0.9)
    optimal = Q_star >= Q_star.max(axis=1, keepdims=True) - 1e-9
    Q, hist = tabular.q_learning(world, 0.9, steps=4000, seed=0)
    live = ~world.terminal
    assert optimal[np.arange(world.n_states), gw.greedy_policy(Q)][live].all()
    assert len(hist["return"]) == 4000 and np.all(Q[world.terminal] == 0)


def test_epsilon_greedy_extremes():
    rng = np.random.default_rng(0)
    q = np.array([0.0, 1.0, 0.5])
    assert all(tabular.epsilon_greedy(q, 0.0, rng) == 1 for _ in range(20))
    picks = {tabular.epsilon_greedy(q, 1.0, rng) for _ in range(200)}
    assert picks == {0, 1, 2}
    with pytest.raises(ValueError, match="epsilon"):
        tabular.epsilon_greedy(q, 1.5, rng)


# ----------------------------------------------------------------------------- the tanh MLP
@pytest.mark.parametrize("N,D,H,K", SHAPES)
def test_tanh_mlp_matches_torch(N, D, H, K):
    rng = np.random.default_rng(N + H)
    params = [rng.normal(size=(D, H)), rng.normal(size=H), rng.normal(size=(H, K)), rng.normal(size=K)]
    x, dy = rng.normal(size=(N, D)), rng.normal(size=(N, K))
    y, cache = networks.tanh_mlp_forward(x, params)
    grads = networks.tanh_mlp_backward(dy, cache)
    value, t_grads = torch_value_and_grads(lambda x, W1, b1, W2, b2: torch.tanh(x @ W1 + b1) @ W2 + b2,
                                           x, *params, upstream=dy)
    assert_close(y, value)
    assert_close(networks.mlp_output(x, params), value)
    for ours, theirs, name in zip(grads, t_grads, ["dx", "dW1", "db1", "dW2", "db2"]):
        assert_close(ours, theirs, what=name)


def test_tanh_mlp_saturates_without_nan_and_rejects_bad_input():
    params = networks.init_tanh_mlp(4, 8, 2, np.random.default_rng(0))
    y, cache = networks.tanh_mlp_forward(np.full((2, 4), 1e6), params)
    assert np.all(np.isfinite(networks.tanh_mlp_backward(np.ones((2, 2)), cache)[1]))
    with pytest.raises(ValueError, match="x must have shape"):
        networks.tanh_mlp_forward(np.zeros((2, 3)), params)
    with pytest.raises(ValueError, match="params must be a list"):
        networks.tanh_mlp_forward(np.zeros((2, 4)), params[:3])
    with pytest.raises(ValueError, match="dy must have shape"):
        networks.tanh_mlp_backward(np.ones((3, 2)), cache)


# ----------------------------------------------------------------------------- REINFORCE
def test_discounted_returns_against_the_definition():
    rng = np.random.default_rng(3)
    r = rng.normal(size=(9, 3))
    G = pg.discounted_returns(r, 0.8)
    want = np.array([[np.sum(0.8 ** np.arange(9 - t) * r[t:, n]) for n in range(3)] for t in range(9)])
    assert_close(G, want)
    assert_close(pg.discounted_returns(np.ones(4), 0.0), np.ones(4))
    with pytest.raises(ValueError, match="rewards"):
        pg.discounted_returns(np.ones((2, 2, 2)), 0.9)


@pytest.mark.parametrize("N,K", [(1, 2), (10, 2), (6, 5)])
def test_policy_loss_matches_torch(N, K):
    rng = np.random.default_rng(N * K)
    logits, a, adv = 3 * rng.normal(size=(N, K)), rng.integers(0, K, N), rng.normal(size=N)
    loss, cache = pg.policy_loss_forward(logits, a, adv)
    value, (t_grad, _, _) = torch_value_and_grads(
        lambda z, a, A: -(A * F.log_softmax(z, 1).gather(1, a[:, None])[:, 0]).mean(), logits, a, adv,
        requires_grad=[True, False, False])
    assert_close(loss, value)
    assert_close(pg.policy_loss_backward(1.0, cache), t_grad)


def test_policy_loss_is_finite_for_extreme_logits():
    loss, cache = pg.policy_loss_forward(np.array([[1e4, -1e4]]), np.array([1]), np.array([1.0]))
    assert np.isfinite(loss) and np.all(np.isfinite(pg.policy_loss_backward(1.0, cache)))
    with pytest.raises(ValueError, match="actions must lie"):
        pg.policy_loss_forward(np.zeros((2, 2)), np.array([0, 2]), np.ones(2))


def test_reinforce_estimator_matches_autograd_on_an_episode_batch():
    from helpers.rl.cartpole import run_episodes
    agent = pg.PolicyAgent(hidden=16, seed=1)
    for p in agent.policy + agent.value:          # non-zero output layers, so every gradient is non-trivial
        p += 0.3 * np.random.default_rng(2).normal(size=p.shape)
    batch = run_episodes(agent.actor(np.random.default_rng(3)), 6, seed=4)
    x, a, adv, _ = pg.reinforce_inputs(agent, batch, 0.99)
    loss, grads = pg.policy_gradient(agent.policy, x, a, adv)
    t_loss, t_grads = reference.torch_policy_gradient(agent.policy, x, a, adv)
    assert_close(loss, t_loss)
    for ours, theirs in zip(grads, t_grads):
        assert_close(ours, theirs, atol=1e-12)


def test_baseline_leaves_the_expected_gradient_unchanged():
    """E_a[grad log pi(a|s)] = 0, so a constant baseline adds nothing in expectation: with every action
    weighted by its exact probability the gradient of a constant advantage vanishes."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 3))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    total = np.zeros_like(logits)
    for a in range(3):
        _, cache = pg.policy_loss_forward(logits, np.full(5, a), np.ones(5))
        total += p[:, a:a + 1] * pg.policy_loss_backward(1.0, cache)
    assert np.abs(total).max() < 1e-12


# ----------------------------------------------------------------------------- DQN
def test_replay_buffer_ring_and_sampling():
    buf = dqn.ReplayBuffer(5, 2)
    for k in range(3):
        buf.add(np.full((3, 2), k), np.full(3, k), np.ones(3), np.zeros((3, 2)), np.zeros(3, bool))
    assert len(buf) == 5 and sorted(buf.actions.tolist()) == [1, 1, 2, 2, 2]
    s, a, r, s2, term = buf.sample(64, np.random.default_rng(0))
    assert s.shape == (64, 2) and set(a.tolist()) <= {1, 2} and np.all(s[:, 0] == a)
    with pytest.raises(ValueError, match="empty"):
        dqn.ReplayBuffer(3, 2).sample(1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="a must have shape"):
        buf.add(np.zeros((2, 2)), np.zeros(3), np.zeros(2), np.zeros((2, 2)), np.zeros(2, bool))


def _assert_td_loss_matches_torch(q, a, y):
    """The TD loss and its gradient in q equal torch's smooth L1 on the chosen actions' values."""
    loss, cache = dqn.td_loss_forward(q, a, y)
    value, (t_grad, _, _) = torch_value_and_grads(
        lambda q, a, y: F.smooth_l1_loss(q.gather(1, a[:, None])[:, 0], y), q, a, y,
        requires_grad=[True, False, False])
    assert_close(loss, value)
    assert_close(dqn.td_loss_backward(1.0, cache), t_grad)


@pytest.mark.parametrize("scale", [0.1, 5.0])
def test_td_loss_matches_smooth_l1(scale):
    rng = np.random.default_rng(int(scale * 10))
    q, a, y = scale * rng.normal(size=(12, 3)), rng.integers(0, 3, 12), scale * rng.normal(size=12)
    _assert_td_loss_matches_torch(q, a, y)


def test_td_loss_at_the_huber_kinks_and_greedy_ties_match_torch():
    """TD errors exactly at -1, 0 and 1 (where the Huber loss changes form, and where its derivative
    is 0), and tied action values, whose greedy action is the first one, as torch.argmax picks it."""
    q = np.array([[1.0, 5.0], [2.0, 2.0], [0.0, -3.0], [4.0, 4.0]])
    a = np.array([0, 1, 0, 1])
    y = np.array([2.0, 2.0, -1.0, 4.0])                                   # errors q - y: -1, 0, 1, 0
    _assert_td_loss_matches_torch(q, a, y)
    Q = np.array([[1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [2.0, 3.0, 3.0, 1.0]])
    assert gw.greedy_policy(Q).tolist() == torch.argmax(torch.tensor(Q), dim=1).tolist() == [0, 0, 1]


def test_td_targets_do_not_bootstrap_past_termination():
    y = dqn.td_targets(np.array([[1.0, 2.0], [5.0, 4.0]]), np.array([1.0, 1.0]), np.array([True, False]), 0.9)
    assert_close(y, np.array([1.0, 1.0 + 0.9 * 5.0]))


def test_dqn_update_matches_torch_on_a_fixed_batch():
    rng = np.random.default_rng(5)
    agent = dqn.QAgent(hidden=16, seed=0)
    for p in agent.q:
        p += 0.3 * rng.normal(size=p.shape)
    agent.target = [p + 0.1 * rng.normal(size=p.shape) for p in agent.q]      # a stale target network
    B = 32
    batch = (rng.normal(size=(B, 4)), rng.integers(0, 2, B), np.ones(B), rng.normal(size=(B, 4)), rng.random(B) < 0.2)
    before = networks.copy_params(agent.q)
    loss, grads = dqn.dqn_gradients(agent.q, agent.target, batch, 0.99)
    Adam(agent.q, lr=1e-2).step(grads)
    t_loss, t_grads, t_new = reference.torch_dqn_update(before, agent.target, batch, 0.99, 1e-2)
    assert_close(loss, t_loss)
    for ours, theirs in zip(grads, t_grads):
        assert_close(ours, theirs, atol=1e-12)
    for ours, theirs in zip(agent.q, t_new):
        assert_close(ours, theirs, atol=1e-12)


def test_q_agent_target_sync_and_epsilon():
    agent = dqn.QAgent(hidden=8, seed=0)
    agent.q[3] += 1.0
    assert not np.allclose(agent.q[3], agent.target[3])
    agent.sync_target()
    assert np.allclose(agent.q[3], agent.target[3]) and agent.q[3] is not agent.target[3]
    with pytest.raises(ValueError, match="epsilon"):
        agent.actor(np.random.default_rng(0), epsilon=-0.1)


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check,solution", [
    (ch19.check_bellman_backup, ch19.solution_bellman_backup),
    (ch19.check_discounted_returns, ch19.solution_discounted_returns),
    (ch19.check_reinforce_gradient, ch19.solution_reinforce_gradient)])
def test_exercise_solutions_pass(check, solution):
    assert check(solution).ok


def test_exercise_wrong_answers_get_specific_feedback():
    fb = ch19.check_bellman_backup(lambda V, P, R, g: (R + g * P @ V).max(axis=1))
    assert not fb.ok and "one number per state" in fb.message
    fb = ch19.check_bellman_backup(lambda V, P, R, g: R + P @ V)
    assert not fb.ok and "discounted" in fb.message
    fb = ch19.check_discounted_returns(lambda r, g: np.cumsum(r * g ** np.arange(len(r))))
    assert not fb.ok and "before" in fb.message
    fb = ch19.check_discounted_returns(lambda r, g: float(np.sum(r * g ** np.arange(len(r)))))
    assert not fb.ok and "one value per time step" in fb.message
    fb = ch19.check_reinforce_gradient(lambda X, W, a, A: -ch19.solution_reinforce_gradient(X, W, a, A))
    assert not fb.ok and "sign" in fb.message
    fb = ch19.check_reinforce_gradient(lambda X, W, a, A: ...)
    assert not fb.ok and "not attempted" in fb.message


def test_dqn_trainer_fast_path_equals_dqn_gradients():
    agent = dqn.QAgent(hidden=8, seed=0)
    trainer = dqn.DQNTrainer(agent, learning_starts=50, seed=0)
    trainer.update(n_steps=30)
    state = np.random.default_rng(0).bit_generator.state
    trainer.rng.bit_generator.state = state
    batch = trainer.buffer.sample(trainer.batch_size, trainer.rng)
    loss_checked, _ = dqn.dqn_gradients(agent.q, agent.target, batch, trainer.gamma)
    trainer.rng.bit_generator.state = state
    assert np.isclose(trainer._learn(), loss_checked, atol=1e-12)
