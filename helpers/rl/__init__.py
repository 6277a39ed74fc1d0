"""Notebook 19: reinforcement learning, from a grid world's Bellman equation to CartPole.

    gridworld        a small Markov decision process (walls, a goal, a trap, slippery moves) as
                     arrays P (S, A, S') and R (S, A); value iteration, the Bellman backup and residual
    tabular          tabular Q-learning with epsilon-greedy exploration on the grid world
    networks         a tiny tanh MLP in NumPy with a hand-written backward pass (policies, values, Q)
    cartpole         gymnasium's CartPole-v1: batches of episodes, evaluation, the "solved" test
    policy_gradient  discounted returns, the REINFORCE loss and its gradient, a trainer with a baseline
    dqn              replay buffer, target network, the TD loss and its gradient, a DQN trainer
    plots            the grid world's values and arrows, learning curves, the cart drawn with matplotlib
"""
