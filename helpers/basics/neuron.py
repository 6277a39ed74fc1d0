r"""The artificial neuron and the perceptron learning rule (notebook 01).

A neuron weighs its ``D`` inputs, adds a bias and squashes the result with an activation
:math:`f`:

.. math:: z = \mathbf{w} \cdot \mathbf{x} + b = \sum_{i=1}^{D} w_i x_i + b, \qquad a = f(z).

The set of inputs where :math:`z = 0` is a straight line (a hyperplane in ``D`` dimensions), the
neuron's *decision boundary*: the weights set its direction, the bias shifts it. The perceptron
(Rosenblatt, 1958) learns ``w`` and ``b`` for the step activation by nudging them towards every
example it gets wrong; on linearly separable data it stops after finitely many mistakes
(Novikoff, 1962), on XOR it never does, because no line separates XOR.

The activations themselves come from :mod:`helpers.basics.activations` (stable forms, tested there).

Shape: inputs ``X`` (N, D), weights ``w`` (D,), bias ``b`` a number; outputs (N,).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.basics.activations import relu, relu_grad, sigmoid, sigmoid_grad, step, tanh, tanh_grad
from helpers.core.plotting import CLASS_COLOURS, plot_decision_boundary
from helpers.core.checks import check_array, check_choice, check_range, check_type
from helpers.core.figures import MARKERS, new_figure

__all__ = ["NEURON_ACTIVATIONS", "weighted_sum", "NeuronCache", "neuron_forward", "neuron_backward", "logic_gate",
           "perceptron_predict", "perceptron_update", "PerceptronResult", "train_perceptron",
           "LinearSearchResult", "best_linear_accuracy", "plot_weight_and_bias", "plot_perceptron",
           "plot_gate_lines"]

NEURON_ACTIVATIONS = ("step", "sigmoid", "tanh", "relu", "identity")
GATES = ("AND", "OR", "NAND", "NOR", "XOR")


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _activation_pair(name: str) -> tuple[Callable, Callable | None]:
    check_choice(name, "activation", NEURON_ACTIVATIONS)
    pairs = {"step": (step, None), "sigmoid": (sigmoid, sigmoid_grad), "tanh": (tanh, tanh_grad),
             "relu": (relu, relu_grad), "identity": (_identity, np.ones_like)}
    return pairs[name]


def _check_inputs(X: np.ndarray, w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray, float]:
    X = check_array(X, "X", ndim=2)
    w = check_array(w, "w", ndim=1, shape=(X.shape[1],))
    check_range(b, "b")
    return X, w, float(b)


def _check_labels(y: np.ndarray, n: int) -> np.ndarray:
    y = check_array(y, "y", ndim=1, shape=(n,), dtype="int")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold class labels 0 and 1, got values {np.unique(y)[:5].tolist()}")
    return y


def weighted_sum(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    r"""The pre-activation :math:`z = X\mathbf{w} + b`: one dot product per row of ``X``.

    Args:
        X: inputs, one example per row.
        w: one weight per input feature.
        b: the bias (a negative bias is a threshold the weighted inputs must exceed).

    Shape: ``X`` (N, D), ``w`` (D,) -> (N,).

    Example:
        >>> weighted_sum(np.array([[1.0, 2.0]]), np.array([0.5, -1.0]), 0.25)
        array([-1.25])
    """
    X, w, b = _check_inputs(X, w, b)
    return X @ w + b  # (N, D) @ (D,) -> (N,)


@dataclass(frozen=True)
class NeuronCache:
    """What :func:`neuron_backward` needs from the forward pass."""

    X: np.ndarray        # (N, D) inputs
    w: np.ndarray        # (D,) weights
    z: np.ndarray        # (N,) weighted sums
    activation: str


def neuron_forward(X: np.ndarray, w: np.ndarray, b: float, activation: str = "sigmoid"
                   ) -> tuple[np.ndarray, NeuronCache]:
    r"""A neuron's output :math:`a = f(X\mathbf{w} + b)`, and the cache for :func:`neuron_backward`.

    Args:
        activation: one of ``NEURON_ACTIVATIONS`` ("step", "sigmoid", "tanh", "relu",
            "identity"). The stable forms live in :mod:`helpers.basics.activations`, so a saturated
            sigmoid returns exactly 0 or 1 rather than overflowing.

    Shape: ``X`` (N, D), ``w`` (D,) -> ``a`` (N,).

    Example:
        >>> a, cache = neuron_forward(np.array([[1.0, 2.0]]), np.array([0.5, -0.25]), 0.0)
        >>> float(a[0]), float(cache.z[0])
        (0.5, 0.0)
    """
    fn, _ = _activation_pair(activation)
    z = weighted_sum(X, w, b)
    return fn(z), NeuronCache(np.asarray(X, dtype=float), np.asarray(w, dtype=float), z, activation)


def neuron_backward(dy: np.ndarray, cache: NeuronCache) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Gradients of the loss by the chain rule, given ``dy`` :math:`= g = \partial\mathcal{L}/\partial a`.

    .. math:: \frac{\partial \mathcal{L}}{\partial z_n} = g_n f'(z_n), \quad
              \frac{\partial \mathcal{L}}{\partial \mathbf{w}} = X^\top \frac{\partial \mathcal{L}}{\partial \mathbf{z}}, \quad
              \frac{\partial \mathcal{L}}{\partial b} = \sum_n \frac{\partial \mathcal{L}}{\partial z_n}, \quad
              \frac{\partial \mathcal{L}}{\partial X} = \frac{\partial \mathcal{L}}{\partial \mathbf{z}}\,\mathbf{w}^\top .

    The step activation has derivative 0 wherever it is defined, so it has no useful gradient
    (that is why the perceptron uses its own rule); asking for it raises ``ValueError``.

    Shape: ``dy`` (N,) -> ``dX`` (N, D), ``dw`` (D,), ``db`` float.
    """
    check_type(cache, "cache", NeuronCache, "the NeuronCache from neuron_forward")
    fn_grad = _activation_pair(cache.activation)[1]
    if fn_grad is None:
        raise ValueError("activation must be differentiable (sigmoid, tanh, relu or identity), "
                         "got 'step', whose derivative is 0 everywhere except at the jump")
    g = check_array(dy, "dy", ndim=1, shape=(cache.z.shape[0],))
    dz = g * fn_grad(cache.z)           # (N,)
    dX = np.outer(dz, cache.w)          # (N,) x (D,) -> (N, D)
    dw = cache.X.T @ dz                 # (D, N) @ (N,) -> (D,)
    return dX, dw, float(dz.sum())


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input logic gate ("AND", "OR", "NAND", "NOR" or "XOR").

    Shape: ``X`` (4, 2) with rows (0,0), (0,1), (1,0), (1,1) as float64; ``y`` (4,) int64 in {0, 1}.
    """
    check_choice(name, "name", GATES)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    a, c = X[:, 0].astype(bool), X[:, 1].astype(bool)
    out = {"AND": a & c, "OR": a | c, "NAND": ~(a & c), "NOR": ~(a | c), "XOR": a ^ c}[name]
    return X, out.astype(np.int64)


def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    r"""Class 1 where :math:`z = X\mathbf{w} + b > 0`, else 0 (``step(0) = 0``). Shape: (N, D) -> (N,) int64."""
    return step(weighted_sum(X, w, b)).astype(np.int64)


def perceptron_update(x: np.ndarray, y: int, w: np.ndarray, b: float,
                      lr: float = 1.0) -> tuple[np.ndarray, float]:
    r"""One step of the perceptron rule on one example:

    .. math:: \hat y = H(\mathbf{w}\cdot\mathbf{x} + b), \qquad
              \mathbf{w} \leftarrow \mathbf{w} + \eta\,(y - \hat y)\,\mathbf{x}, \qquad
              b \leftarrow b + \eta\,(y - \hat y).

    A correct prediction changes nothing; a missed 1 adds the input to the weights, a false 1
    subtracts it. Returns new arrays (the inputs are not modified).

    Shape: ``x`` (D,), ``w`` (D,) -> (``w`` (D,), ``b`` float).
    """
    x = check_array(x, "x", ndim=1)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    if y not in (0, 1):
        raise ValueError(f"y must be a class label 0 or 1, got {y!r}")
    y_hat = int(perceptron_predict(x[None, :], w, b)[0])  # x[None, :]: (D,) -> (1, D)
    err = int(y) - y_hat
    return np.asarray(w, dtype=np.float64) + lr * err * x, float(b) + lr * err


@dataclass
class PerceptronResult:
    """What :func:`train_perceptron` learned, and how many mistakes it made in each epoch."""

    w: np.ndarray                                        # (D,)
    b: float
    errors: list[int] = field(default_factory=list)      # mistakes made during each epoch
    converged: bool = False                              # an epoch with no mistake happened


def train_perceptron(X: np.ndarray, y: np.ndarray, lr: float = 1.0, max_epochs: int = 50,
                     rng: np.random.Generator | None = None) -> PerceptronResult:
    """Run the perceptron rule over the data until an epoch makes no mistake (or ``max_epochs``).

    Starts from ``w = 0, b = 0``; with that start the learning rate only rescales ``w`` and ``b``
    and never changes the predictions. Examples are visited in order, or shuffled every epoch
    when an ``rng`` is given.

    Shape: ``X`` (N, D), ``y`` (N,) in {0, 1}.
    """
    X = check_array(X, "X", ndim=2)
    y = _check_labels(y, X.shape[0])
    check_range(max_epochs, "max_epochs", 1, None, integer=True)
    if rng is not None:
        check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed)) or None")
    w, b = np.zeros(X.shape[1]), 0.0
    result = PerceptronResult(w, b)
    for _ in range(max_epochs):
        order = rng.permutation(len(y)) if rng is not None else np.arange(len(y))
        mistakes = 0
        for i in order:
            mistakes += int(perceptron_predict(X[i:i + 1], w, b)[0] != y[i])  # X[i:i+1]: (1, D)
            w, b = perceptron_update(X[i], int(y[i]), w, b, lr)
        result.errors.append(mistakes)
        if mistakes == 0:
            result.converged = True
            break
    result.w, result.b = w, b
    return result


@dataclass(frozen=True)
class LinearSearchResult:
    """The best single linear threshold unit found by :func:`best_linear_accuracy`."""

    accuracy: float
    w: np.ndarray   # (2,) unit vector
    b: float


def best_linear_accuracy(X: np.ndarray, y: np.ndarray, n_angles: int = 720) -> LinearSearchResult:
    r"""Best accuracy of any rule "class 1 iff :math:`\mathbf{w}\cdot\mathbf{x} + b > 0`" on 2-D data.

    A brute-force search, no training: ``n_angles`` directions :math:`\mathbf{w} = (\cos\theta,
    \sin\theta)` around the full circle (so both orientations of every line are tried) and, for
    each, every threshold that makes a difference (between consecutive projections, and beyond
    both ends). For a handful of points this covers every way a line can split them. Among the
    lines with the best accuracy it returns the one with the widest margin to the nearest point.

    Shape: ``X`` (N, 2), ``y`` (N,) in {0, 1}.
    """
    X = check_array(X, "X", ndim=2, shape=(None, 2))
    y = _check_labels(y, X.shape[0])
    check_range(n_angles, "n_angles", 4, 20000, integer=True)
    theta = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    U = np.stack([np.cos(theta), np.sin(theta)], axis=1)          # (A, 2)
    proj = X @ U.T                                                  # (N, A)
    order = np.argsort(proj, axis=0)                                # (N, A)
    s = np.take_along_axis(proj, order, axis=0).T                   # (A, N), sorted per direction
    ys = y[order].T                                                 # (A, N), labels in that order
    # Cut t puts the first t sorted points in class 0 and the rest in class 1: count the hits with
    # running sums instead of comparing every point with every cut.
    zero = np.zeros((len(theta), 1))
    zeros_below = np.concatenate([zero, np.cumsum(ys == 0, axis=1)], axis=1)              # (A, N+1)
    ones_above = ys.sum(axis=1, keepdims=True) - np.concatenate([zero, np.cumsum(ys, axis=1)], axis=1)
    acc = (zeros_below + ones_above) / len(y)                                              # (A, N+1)
    cuts = np.concatenate([s[:, :1] - 1, (s[:, 1:] + s[:, :-1]) / 2, s[:, -1:] + 1], axis=1)  # (A, N+1)
    # The cut's distance to its nearest point; (near) 0 means it would split tied points, which no
    # threshold can do in this direction, so such cuts are not candidates.
    margin = np.concatenate([zero + 1, np.diff(s, axis=1) / 2, zero + 1], axis=1)          # (A, N+1)
    acc = np.where(margin > 1e-12, acc, -1.0)
    # Many lines tie on accuracy; prefer the one farthest from its nearest point (the safest).
    score = np.where(acc == acc.max(), margin, -np.inf)
    a, t = np.unravel_index(np.argmax(score), score.shape)
    return LinearSearchResult(float(acc[a, t]), U[a].copy(), float(-cuts[a, t]))


# ----------------------------------------------------------------------------- figures
def plot_weight_and_bias(activation: str = "sigmoid", weights: tuple[float, ...] = (0.5, 1.0, 4.0),
                         biases: tuple[float, ...] = (-2.0, 0.0, 2.0)) -> Figure:
    """A one-input neuron :math:`a = f(wx + b)`: the weight sets the steepness, the bias shifts it.

    Left: several weights with ``b = 0``. Right: several biases with ``w = 1`` (the curve crosses
    its midpoint where :math:`x = -b/w`).
    """
    fn, _ = _activation_pair(activation)
    x = np.linspace(-6, 6, 400)
    fig = new_figure(7.5, 2.8)
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    for w in weights:
        ax1.plot(x, fn(w * x), label=f"w = {w:g}")
    for b in biases:
        ax2.plot(x, fn(x + b), label=f"b = {b:g}")
    ax1.set(title=f"{activation}(w·x), b = 0", xlabel="input x", ylabel="output a")
    ax2.set(title=f"{activation}(x + b), w = 1", xlabel="input x")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_perceptron(X: np.ndarray, y: np.ndarray, result: PerceptronResult, title: str = "") -> Figure:
    """The learned boundary over the data (left) and the mistakes made in each epoch (right)."""
    check_type(result, "result", PerceptronResult, "the PerceptronResult from train_perceptron")
    fig = new_figure(7.5, 3.0)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    plot_decision_boundary(ax1, lambda P: perceptron_predict(P, result.w, result.b).astype(float),
                           X, y, title=title or "perceptron boundary")
    epochs = np.arange(1, len(result.errors) + 1)
    ax2.plot(epochs, result.errors, "o-")
    ax2.set(xlabel="epoch", ylabel="mistakes in the epoch", title="mistakes per epoch")
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))   # mistakes are counted: no half ticks
    ax1.set(xlabel="x1", ylabel="x2")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_gate_lines(lines: dict[str, tuple[np.ndarray, float]]) -> Figure:
    r"""One panel per logic gate: its four inputs coloured by the true output, and the line
    :math:`\mathbf{w}\cdot\mathbf{x} + b = 0` of the given unit, with the accuracy it reaches."""
    check_type(lines, "lines", dict, "a dict gate name -> (w, b)")
    fig = new_figure(2.6 * len(lines), 3.0)
    axes = np.atleast_1d(fig.subplots(1, len(lines)))
    t = np.linspace(-0.5, 1.5, 2)
    for ax, (name, (w, b)) in zip(axes, lines.items()):
        X, y = logic_gate(name)
        acc = float(np.mean(perceptron_predict(X, w, b) == y))
        for k in (0, 1):  # colour and marker both say the gate's output
            ax.scatter(X[y == k, 0], X[y == k, 1], color=CLASS_COLOURS[k], marker=MARKERS[k], s=120,
                       edgecolors="k", zorder=3, label=f"output {k}")
        if abs(w[1]) > 1e-12:
            ax.plot(t, -(w[0] * t + b) / w[1], "k--")
        elif abs(w[0]) > 1e-12:
            ax.axvline(-b / w[0], color="k", ls="--")
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="x1", title=f"{name}: accuracy {acc:.2f}")
        ax.set_aspect("equal")
    axes[0].set_ylabel("x2")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
