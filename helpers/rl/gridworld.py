r"""A small grid world as a Markov decision process, and value iteration on it (notebook 19, section 1).

A Markov decision process (MDP) is a set of states :math:`s`, actions :math:`a`, transition
probabilities :math:`P(s' \mid s, a)`, rewards and a discount :math:`\gamma \in [0, 1)`. Here every
piece is an array, so the Bellman equations become array expressions:

* ``P`` (S, A, S'): :math:`P[s, a, s'] = P(s' \mid s, a)`, each ``P[s, a]`` sums to 1;
* ``R`` (S, A): the expected immediate reward :math:`R(s, a) = \sum_{s'} P(s' \mid s, a)\, r(s, a, s')`.

The Bellman **backup** of a value function :math:`V` gives action values

.. math:: Q(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, V(s'),

and the optimal value function is the fixed point of the Bellman **optimality** equation
:math:`V^*(s) = \max_a Q^*(s, a)`. Value iteration applies the backup and the max until nothing
moves; the backup is a :math:`\gamma`-contraction in the max norm, so the error shrinks by at
least :math:`\gamma` per sweep (Bellman, 1957; Sutton & Barto, 2018, ch. 4).

The world (:func:`make_gridworld`): walls ``#``, a start ``S``, a goal ``G`` (+1, episode ends), a
trap ``T`` (-1, episode ends), a small cost per move, and slippery moves: with probability
``slip`` the agent goes to one of the two perpendicular directions instead (half each). Bumping
into a wall or the edge leaves it in place.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range

__all__ = ["ACTIONS", "ARROWS", "LAYOUT", "GridWorld", "make_gridworld", "bellman_backup",
           "bellman_residual", "value_iteration", "greedy_policy", "policy_evaluation"]

ACTIONS = ("up", "right", "down", "left")
ARROWS = ((-1, 0), (0, 1), (1, 0), (0, -1))          # (row, column) move of each action
LAYOUT = ("......",
          ".####.",
          ".....G",
          "STTTT.")


@dataclass(frozen=True)
class GridWorld:
    """A grid world as arrays. Build it with :func:`make_gridworld`.

    Shape:
        ``P`` (S, A, S) transition probabilities; ``R`` (S, A) expected rewards; ``cells`` (S, 2)
        the (row, column) of every state; ``terminal`` (S,) bool. S counts the non-wall cells,
        A = 4 (:data:`ACTIONS`).
    """

    layout: tuple[str, ...]
    P: np.ndarray
    R: np.ndarray
    cells: np.ndarray
    terminal: np.ndarray
    start: int
    slip: float
    step_reward: float
    entry_reward: np.ndarray

    def __post_init__(self) -> None:
        # cumulative transition probabilities, for sampling a move by inverse CDF in :meth:`step`
        object.__setattr__(self, "_cdf", np.cumsum(self.P, axis=2))                # (S, A, S)

    @property
    def n_states(self) -> int:
        return len(self.cells)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.layout), len(self.layout[0])

    def state_of(self, row: int, col: int) -> int:
        """The state index of a (non-wall) cell."""
        hit = np.nonzero((self.cells[:, 0] == row) & (self.cells[:, 1] == col))[0]
        if not len(hit):
            raise ValueError(f"cell ({row}, {col}) is a wall or outside the {self.shape} grid")
        return int(hit[0])

    def step(self, state: int, action: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """Sample one move: ``(next_state, reward, done)``, drawn from ``P[state, action]``.

        The reward of a move is what :func:`make_gridworld` put in ``R``, recomputed for the
        sampled next state (entering the goal +1, the trap -1, plus the step reward).
        """
        if self.terminal[state]:
            return state, 0.0, True
        # inverse-CDF sampling: the first state whose cumulative probability exceeds u
        nxt = int(np.searchsorted(self._cdf[state, action], rng.random(), side="right"))
        nxt = min(nxt, self.n_states - 1)  # u within rounding of 1.0
        return nxt, float(self.entry_reward[nxt]), bool(self.terminal[nxt])

    def to_grid(self, values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """Per-state values laid out on the grid, walls filled with ``fill``. Shape: (S,) -> (H, W)."""
        values = check_array(values, "values", shape=(self.n_states,), finite=False)
        grid = np.full(self.shape, fill, dtype=float)
        grid[self.cells[:, 0], self.cells[:, 1]] = values
        return grid


def make_gridworld(slip: float = 0.1, step_reward: float = -0.04,
                   layout: tuple[str, ...] = LAYOUT) -> GridWorld:
    """Build the arrays of a grid world (see the module docstring for the rules).

    Args:
        slip: probability of sliding to one of the two perpendicular directions, in [0, 1].
        step_reward: reward added to every move (negative: a cost of time).
        layout: rows of ``.`` (floor), ``#`` (wall), ``S`` (start), ``G`` (goal), ``T`` (trap).

    Example:
        >>> world = make_gridworld(slip=0.0)
        >>> world.P.shape, bool(np.allclose(world.P.sum(axis=2), 1))
        ((20, 4, 20), True)
    """
    check_range(slip, "slip", 0.0, 1.0)
    check_range(step_reward, "step_reward", -1.0, 1.0)
    if not layout or len({len(row) for row in layout}) != 1 or set("".join(layout)) - set(".#SGT"):
        raise ValueError(f"layout must be equal-length rows of '.#SGT', got {layout!r}")
    if "".join(layout).count("S") != 1 or "G" not in "".join(layout):
        raise ValueError("layout needs exactly one start 'S' and at least one goal 'G'")
    cells = np.array([(r, c) for r, row in enumerate(layout) for c, ch in enumerate(row) if ch != "#"])
    index = {(int(r), int(c)): s for s, (r, c) in enumerate(cells)}
    S, A = len(cells), len(ACTIONS)
    terminal = np.array([layout[r][c] in "GT" for r, c in cells])
    P = np.zeros((S, A, S))
    for s, (r, c) in enumerate(cells):
        if terminal[s]:
            P[s, :, s] = 1.0  # absorbing, and no reward from here on
            continue
        for a in range(A):
            # intended direction with 1 - slip, each perpendicular one with slip / 2
            for direction, prob in ((a, 1 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                dr, dc = ARROWS[direction]
                P[s, a, index.get((int(r) + dr, int(c) + dc), s)] += prob   # blocked: stay
    bonus = {"G": 1.0, "T": -1.0}
    entry_reward = np.array([step_reward + bonus.get(layout[r][c], 0.0) for r, c in cells])   # (S,)
    R = np.where(terminal[:, None], 0.0, P @ entry_reward)                      # (S, A, S) @ (S,) -> (S, A)
    start = next(index[(r, c)] for r, row in enumerate(layout) for c, ch in enumerate(row) if ch == "S")
    return GridWorld(tuple(layout), P, R, cells, terminal, start, float(slip), float(step_reward), entry_reward)


def _check_mdp(V: np.ndarray | None, P: np.ndarray, R: np.ndarray, gamma: float):
    P = check_array(P, "P", ndim=3)
    S, A, S2 = P.shape
    if S2 != S:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    R = check_array(R, "R", shape=(S, A))
    check_range(gamma, "gamma", 0.0, 1.0)
    if V is not None:
        V = check_array(V, "V", shape=(S,))
    return V, P, R


def bellman_backup(V: np.ndarray, P: np.ndarray, R: np.ndarray, gamma: float) -> np.ndarray:
    r"""One Bellman backup: action values from state values.

    .. math:: Q(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, V(s')

    Args:
        V: state values. P: transitions. R: expected rewards. gamma: discount in [0, 1].

    Shape:
        V (S,), P (S, A, S), R (S, A) -> Q (S, A).

    Example:
        >>> P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])   # 2 states, 1 action, both lead to state 1
        >>> bellman_backup(np.array([0.0, 10.0]), P, np.array([[1.0], [0.0]]), 0.9)
        array([[10.],
               [ 9.]])
    """
    V, P, R = _check_mdp(V, P, R, gamma)
    return R + gamma * (P @ V)                                                   # (S, A, S) @ (S,) -> (S, A)


def bellman_residual(V: np.ndarray, P: np.ndarray, R: np.ndarray, gamma: float) -> float:
    r"""How far ``V`` is from satisfying the Bellman optimality equation:
    :math:`\max_s \lvert V(s) - \max_a Q(s, a) \rvert`, with :math:`Q` the backup of :math:`V`.
    Zero exactly for :math:`V^*`. Shape: V (S,), P (S, A, S), R (S, A) -> scalar.
    """
    return float(np.max(np.abs(V - bellman_backup(V, P, R, gamma).max(axis=1))))


def value_iteration(P: np.ndarray, R: np.ndarray, gamma: float = 0.9, tol: float = 1e-10,
                    max_sweeps: int = 10_000) -> tuple[np.ndarray, np.ndarray, list[float]]:
    r"""Value iteration: :math:`V_{k+1}(s) = \max_a \big[R(s,a) + \gamma \sum_{s'} P(s'|s,a) V_k(s')\big]`
    from :math:`V_0 = 0`, until the largest change is below ``tol``.

    Returns:
        ``(V, Q, deltas)``: the values (S,), the action values (S, A) of the last backup, and the
        largest change of every sweep (it falls at least geometrically, by a factor :math:`\gamma`).

    Example:
        >>> world = make_gridworld(slip=0.0, step_reward=0.0)
        >>> V, Q, deltas = value_iteration(world.P, world.R, gamma=0.9)
        >>> round(float(V[world.start]), 4), bellman_residual(V, world.P, world.R, 0.9) < 1e-9
        (0.5905, True)
    """
    _, P, R = _check_mdp(None, P, R, gamma)
    check_range(tol, "tol", 0.0, None, low_inclusive=False)
    check_range(max_sweeps, "max_sweeps", 1, None, integer=True)
    if gamma >= 1.0:
        raise ValueError("gamma must be < 1 for value iteration to converge, got 1.0")
    V = np.zeros(P.shape[0])
    deltas = []
    for _ in range(max_sweeps):
        Q = R + gamma * (P @ V)                                                  # (S, A)
        V_new = Q.max(axis=1)
        deltas.append(float(np.max(np.abs(V_new - V))))
        V = V_new
        if deltas[-1] < tol:
            break
    return V, R + gamma * (P @ V), deltas


def greedy_policy(Q: np.ndarray) -> np.ndarray:
    """The action of highest value in every state; ties go to the first action (as ``argmax``).
    Shape: Q (S, A) -> (S,) int."""
    Q = check_array(Q, "Q", ndim=2)
    return np.argmax(Q, axis=1)


def policy_evaluation(P: np.ndarray, R: np.ndarray, policy: np.ndarray, gamma: float) -> np.ndarray:
    r"""The exact value of a deterministic policy, from the linear Bellman *expectation* equation
    :math:`V_\pi = R_\pi + \gamma P_\pi V_\pi`, solved as :math:`(I - \gamma P_\pi) V_\pi = R_\pi`.

    A second, independent route to the values (a linear solve, no iteration), used to check
    value iteration. Shape: P (S, A, S), R (S, A), policy (S,) int -> V (S,).
    """
    _, P, R = _check_mdp(None, P, R, gamma)
    S, A, _ = P.shape
    policy = check_array(policy, "policy", shape=(S,), dtype="int")
    if policy.min() < 0 or policy.max() >= A:
        raise ValueError(f"policy entries must be actions in [0, {A - 1}], got {policy.min()}..{policy.max()}")
    rows = np.arange(S)
    return np.linalg.solve(np.eye(S) - gamma * P[rows, policy], R[rows, policy])  # (S, S) x = (S,)
