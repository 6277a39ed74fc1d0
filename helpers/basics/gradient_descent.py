r"""Gradient descent on 1-D and 2-D loss surfaces, and batch vs mini-batch vs stochastic updates
(notebook 03).

Gradient descent repeats one step, downhill along the negative gradient:

.. math:: \theta_{k+1} = \theta_k - \eta\,\nabla J(\theta_k).

On a quadratic :math:`J(\theta) = \frac{L}{2}(\theta - \theta^*)^2` the step is
:math:`\theta_{k+1} - \theta^* = (1 - \eta L)(\theta_k - \theta^*)`: the distance to the minimum
is multiplied by :math:`1 - \eta L` every step. It shrinks iff :math:`|1 - \eta L| < 1`, i.e.
:math:`0 < \eta < 2/L`; for :math:`1/L < \eta < 2/L` the factor is negative and the iterates
hop from side to side while converging; at exactly :math:`2/L` they bounce between two points
for ever; above, they run away. In several dimensions the largest curvature decides
(:math:`L = \lambda_{\max}` of the Hessian), while the smallest sets how slow the slow direction is.

With a loss that averages over :math:`N` examples, :math:`J = \frac1N\sum_n \ell_n`, a step may
use the gradient of a random mini-batch of :math:`B` examples instead: an unbiased but noisy
estimate whose variance (sampling without replacement) is

.. math:: \mathbb{E}\,\|\mathbf{g}_B - \nabla J\|^2 = \frac{N - B}{B\,(N - 1)}\;
          \frac1N\sum_n \|\nabla\ell_n - \nabla J\|^2 .

Shape: a point ``theta`` (D,) with D = 1 or 2; a path (S + 1, D) for S steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from helpers.basics.losses import mse, mse_grad
from helpers.core.checks import check_array, check_choice, check_range, check_seed, check_type

__all__ = ["Surface", "SURFACES", "get_surface", "DescentPath", "gradient_descent",
           "critical_learning_rate", "LinearProblem", "make_linear_problem", "epoch_batches",
           "MinibatchRun", "minibatch_sgd", "gradient_noise", "gradient_noise_theory"]


@dataclass(frozen=True)
class Surface:
    r"""A loss surface :math:`J(\theta)` with its gradient.

    ``f`` and ``grad`` take points with the coordinates on the last axis, shape (..., D), and use
    only arithmetic, so ``f`` also runs on ``torch`` tensors (the tests check ``grad`` against
    autograd). ``curvature`` is :math:`L`, the largest eigenvalue of the Hessian, for the
    quadratics (``None`` otherwise).
    """

    name: str
    formula: str                                  # LaTeX
    f: Callable[[Any], Any]                       # (..., D) -> (...)
    grad: Callable[[np.ndarray], np.ndarray]      # (..., D) -> (..., D)
    bounds: tuple[tuple[float, float], ...]       # plotting box, one (low, high) per coordinate
    minimum_value: float                          # the global minimum of f
    curvature: float | None = None

    @property
    def dim(self) -> int:
        return len(self.bounds)


def _quad1(p):
    return 2.0 * (p[..., 0] - 1.0) ** 2


def _well(p):
    x = p[..., 0]
    return 0.25 * x ** 4 - x ** 2 + 0.3 * x


def _bowl(p):
    return 0.5 * (p[..., 0] ** 2 + 10.0 * p[..., 1] ** 2)


def _himmelblau(p):
    x, y = p[..., 0], p[..., 1]
    return 0.1 * ((x ** 2 + y - 11.0) ** 2 + (x + y ** 2 - 7.0) ** 2)


def _himmelblau_grad(p):
    x, y = p[..., 0], p[..., 1]
    a, c = x ** 2 + y - 11.0, x + y ** 2 - 7.0
    return 0.1 * np.stack([4 * x * a + 2 * c, 2 * a + 4 * y * c], axis=-1)  # (..., 2)


def _well_minimum() -> float:
    # The minimisers solve x^3 - 2x + 0.3 = 0; evaluate J at the real roots instead of hard-coding.
    roots = np.roots([1.0, 0.0, -2.0, 0.3])
    return float(min(_well(np.array([[r.real]]))[0] for r in roots if abs(r.imag) < 1e-12))


SURFACES: dict[str, Surface] = {
    "quadratic": Surface("quadratic", r"J(x) = 2(x - 1)^2", _quad1,
                         lambda p: 4.0 * (p - 1.0), ((-2.0, 4.0),), 0.0, curvature=4.0),
    "double well": Surface("double well", r"J(x) = \frac{1}{4}x^4 - x^2 + 0.3x", _well,
                           lambda p: p ** 3 - 2.0 * p + 0.3, ((-2.5, 2.5),), _well_minimum(), None),
    "bowl": Surface("bowl", r"J(x, y) = \frac{1}{2}(x^2 + 10y^2)", _bowl,
                    lambda p: p * np.array([1.0, 10.0]), ((-4.0, 4.0), (-2.0, 2.0)), 0.0, curvature=10.0),
    "himmelblau": Surface("himmelblau", r"J(x, y) = \frac{1}{10}[(x^2 + y - 11)^2 + (x + y^2 - 7)^2]",
                          _himmelblau, _himmelblau_grad, ((-5.0, 5.0), (-5.0, 5.0)), 0.0, None),
}


def get_surface(name: str) -> Surface:
    """Look up one of ``SURFACES`` ("quadratic", "double well", "bowl", "himmelblau")."""
    return SURFACES[check_choice(name, "name", SURFACES)]


def critical_learning_rate(curvature: float) -> float:
    r"""The stability limit :math:`\eta^* = 2/L` of gradient descent on a quadratic of curvature
    :math:`L`: converges for :math:`\eta < \eta^*`, bounces at :math:`\eta^*`, diverges above."""
    check_range(curvature, "curvature", 0.0, None, low_inclusive=False)
    return 2.0 / curvature


@dataclass
class DescentPath:
    """The iterates of :func:`gradient_descent` and what became of them.

    ``status`` is "converged" (gradient norm below ``tol``), "diverged" (an iterate left the
    ``blowup`` box or became non-finite: the run stops there, and ``points`` holds only the finite
    iterates before it), "diverging" (still finite, but the loss ended higher than it started) or
    "not converged yet". ``oscillating`` says whether the last steps mostly reversed direction
    (zig-zag).
    """

    points: np.ndarray    # (S + 1, D), finite iterates only
    values: np.ndarray    # (S + 1,)
    status: str
    oscillating: bool
    lr: float

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    def describe(self) -> str:
        """One line for a widget's status."""
        where = np.array2string(self.points[-1], precision=3, separator=", ")
        if self.status == "diverged":
            return (f"diverged after {self.steps} steps with η = {self.lr:.3g}: the iterates ran away "
                    f"(last finite point {where}); lower the learning rate")
        zig = ", zig-zagging" if self.oscillating else ""
        if self.status == "diverging":
            return (f"diverging{zig}: J grew from {self.values[0]:.4g} to {self.values[-1]:.4g} in "
                    f"{self.steps} steps with η = {self.lr:.3g}; lower the learning rate")
        return f"{self.status} ({self.steps} steps{zig}): θ = {where}, J = {self.values[-1]:.4g}"


def gradient_descent(grad: Callable[[np.ndarray], np.ndarray], theta0: np.ndarray, lr: float,
                     n_steps: int, f: Callable[[np.ndarray], Any] | None = None, tol: float = 1e-5,
                     blowup: float = 1e6) -> DescentPath:
    r"""Run :math:`\theta_{k+1} = \theta_k - \eta\nabla J(\theta_k)` for ``n_steps`` steps.

    Stops early only on divergence: at the first iterate that is non-finite or has a coordinate
    beyond ``blowup`` in absolute value, so a caller never receives NaN or inf to draw.
    ``f`` (optional) records :math:`J` along the path; without it ``values`` is NaN, a placeholder
    that propagates on purpose (nothing was recorded).

    Shape: ``theta0`` (D,) -> ``points`` (S + 1, D), ``values`` (S + 1,).
    """
    theta = check_array(theta0, "theta0", ndim=1).astype(np.float64)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_range(n_steps, "n_steps", 0, 1_000_000, integer=True)
    points, status = [theta.copy()], "not converged yet"
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected and reported below
        for _ in range(n_steps):
            theta = theta - lr * np.asarray(grad(theta), dtype=np.float64)
            if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > blowup:
                status = "diverged"
                break
            points.append(theta.copy())
        P = np.array(points)                                         # (S + 1, D)
        values = np.asarray(f(P), dtype=np.float64) if f is not None else np.full(len(P), np.nan)
    if status != "diverged" and np.linalg.norm(grad(P[-1])) < tol:
        status = "converged"
    elif status != "diverged" and f is not None and values[-1] > values[0] * (1 + 1e-9) + 1e-12:
        status = "diverging"
    moves = np.diff(P, axis=0)                                       # (S, D)
    moves = moves[np.linalg.norm(moves, axis=1) > 0][-10:]           # (<= 10, D) last real moves
    turns = np.einsum("sd,sd->s", moves[1:], moves[:-1]) < 0         # (<= 9,) step reversed?
    return DescentPath(P, values, status, bool(turns.size and turns.mean() > 0.5), float(lr))


# ----------------------------------------------------------------------------- mini-batches
@dataclass(frozen=True)
class LinearProblem:
    r"""Fit :math:`\hat y = w_0 + w_1 x` to points :math:`(x_n, y_n)` by mean squared error.

    Two parameters, so the loss surface and every optimiser's path can be drawn in the plane.
    """

    x: np.ndarray   # (N,)
    y: np.ndarray   # (N,)

    def __post_init__(self) -> None:
        x = check_array(self.x, "x", ndim=1)
        object.__setattr__(self, "x", x)  # frozen dataclass: set the validated arrays once
        object.__setattr__(self, "y", check_array(self.y, "y", ndim=1, shape=x.shape))

    @property
    def n(self) -> int:
        return self.x.shape[0]

    def design(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Rows :math:`(1, x_n)`. Shape: (B, 2)."""
        return np.stack([np.ones_like(self.x[idx]), self.x[idx]], axis=1)

    def loss(self, w: np.ndarray) -> float:
        """Full-batch MSE at ``w`` (2,)."""
        return mse(self.design() @ check_array(w, "w", shape=(2,)), self.y)

    def loss_grid(self, W: np.ndarray) -> np.ndarray:
        """MSE at many parameter pairs at once (for contour plots). Shape: (..., 2) -> (...)."""
        pred = W[..., 0, None] + W[..., 1, None] * self.x     # (..., 1) + (..., 1) * (N,) -> (..., N)
        return np.mean((pred - self.y) ** 2, axis=-1)

    def grad(self, w: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        r"""Gradient of the MSE over the examples ``idx``: :math:`A^\top \frac{\partial J}{\partial \hat y}`.
        Shape: (2,) -> (2,)."""
        A = self.design(idx)                                   # (B, 2)
        w = check_array(w, "w", shape=(2,))
        return A.T @ mse_grad(A @ w, self.y[idx])              # (2, B) @ (B,) -> (2,)

    def per_example_grads(self, w: np.ndarray) -> np.ndarray:
        r""":math:`\nabla \ell_n = 2(\hat y_n - y_n)(1, x_n)` for every example. Shape: (N, 2)."""
        A = self.design()
        w = check_array(w, "w", shape=(2,))
        return 2.0 * (A @ w - self.y)[:, None] * A             # (N, 1) * (N, 2)

    def solution(self) -> np.ndarray:
        """The exact least-squares minimiser. Shape: (2,)."""
        return np.linalg.lstsq(self.design(), self.y, rcond=None)[0]


def make_linear_problem(n: int = 200, slope: float = 2.0, intercept: float = -1.0, noise: float = 0.5,
                        seed: int = 0) -> LinearProblem:
    """Noisy points on a line, :math:`y = \\text{intercept} + \\text{slope}\\cdot x + \\varepsilon`,
    with :math:`x \\sim \\mathcal{N}(1, 1)` (off-centre, so intercept and slope are correlated and
    the loss surface is a tilted ellipse) and :math:`\\varepsilon \\sim \\mathcal{N}(0, \\text{noise}^2)`."""
    check_seed(seed)
    check_range(n, "n", 2, None, integer=True)
    check_range(noise, "noise", 0.0, None)
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 1.0, n)
    return LinearProblem(x, intercept + slope * x + noise * rng.standard_normal(n))


def epoch_batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Indices of one epoch's mini-batches: a fresh shuffle, cut into ``batch_size`` pieces (the
    last may be smaller). ``batch_size = n`` is full-batch gradient descent (no shuffle needed,
    but the same code path); ``batch_size = 1`` is stochastic gradient descent."""
    check_range(n, "n", 1, None, integer=True)
    check_range(batch_size, "batch_size", 1, n, integer=True)
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


@dataclass
class MinibatchRun:
    """Parameters after every update and the full-batch loss there."""

    batch_size: int
    points: np.ndarray   # (S + 1, 2)
    losses: np.ndarray   # (S + 1,)
    epochs: np.ndarray   # (S + 1,) epochs of data seen at each point (fractional)


def minibatch_sgd(problem: LinearProblem, w0: np.ndarray, lr: float, batch_size: int, n_epochs: float,
                  rng: np.random.Generator) -> MinibatchRun:
    """Mini-batch gradient descent on ``problem`` for ``n_epochs`` passes over the data.

    Every update uses the gradient of one mini-batch from :func:`epoch_batches`; the run stops
    early if the parameters stop being finite (too large a learning rate).
    """
    check_type(problem, "problem", LinearProblem)
    check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
    w = check_array(w0, "w0", shape=(2,)).astype(np.float64)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_range(n_epochs, "n_epochs", 0.0, 1000.0, low_inclusive=False)
    budget = int(round(n_epochs * problem.n))  # examples to process
    points, seen, used = [w.copy()], [0.0], 0
    while used < budget:
        for idx in epoch_batches(problem.n, batch_size, rng):
            if used >= budget:
                break
            w = w - lr * problem.grad(w, idx)
            if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > 1e6:
                used = budget
                break
            used += len(idx)
            points.append(w.copy())
            seen.append(used / problem.n)
    P = np.array(points)
    return MinibatchRun(batch_size, P, problem.loss_grid(P), np.array(seen))


def gradient_noise(problem: LinearProblem, w: np.ndarray, batch_size: int, n_draws: int,
                   rng: np.random.Generator) -> float:
    r"""Monte-Carlo estimate of :math:`\mathbb{E}\|\mathbf{g}_B - \nabla J\|^2` at ``w``: the mean
    squared distance between a random mini-batch gradient and the full gradient."""
    check_type(problem, "problem", LinearProblem)
    check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
    w = check_array(w, "w", shape=(2,))
    check_range(batch_size, "batch_size", 1, problem.n, integer=True)
    check_range(n_draws, "n_draws", 1, None, integer=True)
    full = problem.grad(w)
    sq = [np.sum((problem.grad(w, rng.choice(problem.n, batch_size, replace=False)) - full) ** 2)
          for _ in range(n_draws)]
    return float(np.mean(sq))


def gradient_noise_theory(problem: LinearProblem, w: np.ndarray, batch_size: int) -> float:
    r"""The exact value of what :func:`gradient_noise` estimates (formula in the module docstring)."""
    check_type(problem, "problem", LinearProblem)
    w = check_array(w, "w", shape=(2,))
    check_range(batch_size, "batch_size", 1, problem.n, integer=True)
    G = problem.per_example_grads(w)                                    # (N, 2)
    spread = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    n = problem.n
    return float((n - batch_size) / (batch_size * (n - 1)) * spread) if n > 1 else 0.0
