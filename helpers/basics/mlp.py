r"""Layers as matrix products: a small NumPy multi-layer perceptron, forward pass (notebook 02).

A layer applies one weighted sum per unit, all at once, as a matrix product, then an activation
:math:`\sigma`. Stacking :math:`L` of them gives

.. math:: f(\mathbf{x}) = W_L\,\sigma\bigl(W_{L-1}\,\sigma(\cdots\sigma(W_1\mathbf{x} + \mathbf{b}_1)\cdots)
          + \mathbf{b}_{L-1}\bigr) + \mathbf{b}_L .

We store examples as rows, so in code a layer reads :math:`H_l = \sigma(H_{l-1} W_l +
\mathbf{b}_l)` with :math:`W_l` of shape :math:`(D_{l-1}, D_l)`: a whole batch goes through in
one product. (``torch.nn.Linear`` stores the transpose, :math:`(D_l, D_{l-1})`.) The last layer
has no activation. Training comes in notebook 04; here the weights are set by hand, drawn at
random, or (for the output layer only) solved for by least squares, which is enough to show
universal approximation in practice.

Shape: ``X`` (N, D_0); ``layers[l].W`` (D_l, D_{l+1}), ``layers[l].b`` (D_{l+1},); output (N, D_L).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from helpers.basics.activations import relu, sigmoid, tanh
from helpers.core.checks import check_array, check_choice, check_range, check_type

__all__ = ["Layer", "dense", "mlp_forward", "mlp_trace", "init_mlp", "mlp_params",
           "xor_network", "TARGETS", "target_function", "ReluFit", "fit_relu_network",
           "random_relu_layer", "fit_output_layer", "rms_error"]

_HIDDEN_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": relu, "tanh": tanh, "sigmoid": sigmoid}


@dataclass
class Layer:
    """One dense layer: weights ``W`` (D_in, D_out) and biases ``b`` (D_out,)."""

    W: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        self.W = check_array(self.W, "W", ndim=2)
        self.b = check_array(self.b, "b", ndim=1, shape=(self.W.shape[1],))


def dense(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""A dense (fully connected) layer without activation, :math:`XW + \mathbf{b}`.

    Row ``n`` and column ``j`` of the result is unit ``j``'s weighted sum for example ``n``:
    :math:`\sum_i x_{ni} W_{ij} + b_j`, one neuron of notebook 01 per column.

    Shape: ``X`` (N, D_in), ``W`` (D_in, D_out), ``b`` (D_out,) -> (N, D_out).
    """
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2, shape=(X.shape[1], None))
    b = check_array(b, "b", ndim=1, shape=(W.shape[1],))
    return X @ W + b  # (N, D_in) @ (D_in, D_out) + (D_out,) -> (N, D_out)


def mlp_trace(X: np.ndarray, layers: Sequence[Layer], activation: str = "relu") -> list[np.ndarray]:
    """Every layer's output on the way through the network; the last entry is the network's output.

    Shape: ``X`` (N, D_0) -> a list of L arrays, entry ``l`` of shape (N, D_{l+1}).
    """
    act = _HIDDEN_ACTIVATIONS[check_choice(activation, "activation", _HIDDEN_ACTIVATIONS)]
    if len(layers) == 0:
        raise ValueError("layers must hold at least one Layer, got an empty list")
    outs, h = [], X
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise ValueError(f"layers[{i}] must be a Layer, got {type(layer).__name__}")
        z = dense(h, layer.W, layer.b)
        h = act(z) if i < len(layers) - 1 else z  # no activation on the output layer
        outs.append(h)
    return outs


def mlp_forward(X: np.ndarray, layers: Sequence[Layer], activation: str = "relu") -> np.ndarray:
    r"""The network's output :math:`f(X)`: hidden layers use ``activation`` ("relu", "tanh" or
    "sigmoid"), the last layer is linear. Shape: (N, D_0) -> (N, D_L)."""
    return mlp_trace(X, layers, activation)[-1]


def init_mlp(sizes: Sequence[int], rng: np.random.Generator) -> list[Layer]:
    r"""Random layers for widths ``sizes = [D_0, D_1, ..., D_L]``: weights drawn from
    :math:`\mathcal{N}(0, 2/D_{l-1})` (He et al., 2015: keeps ReLU signals from shrinking or
    growing layer after layer; notebook 06 derives it), biases zero."""
    check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
    sizes = [check_range(s, "sizes[i]", 1, None, integer=True) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes}")
    return [Layer(rng.normal(0.0, np.sqrt(2.0 / d_in), size=(d_in, d_out)), np.zeros(d_out))
            for d_in, d_out in zip(sizes[:-1], sizes[1:])]


def mlp_params(sizes: Sequence[int]) -> int:
    r"""Weights plus biases of a dense network: :math:`\sum_l (D_{l-1} + 1)\,D_l`."""
    sizes = [check_range(s, "sizes[i]", 1, None, integer=True) for s in sizes]
    return int(sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:])))


def xor_network() -> list[Layer]:
    r"""Two ReLU units that compute XOR on {0, 1} inputs, set by hand (Goodfellow et al.,
    *Deep Learning*, section 6.1):

    .. math:: h_1 = \mathrm{ReLU}(x_1 + x_2), \quad h_2 = \mathrm{ReLU}(x_1 + x_2 - 1), \quad
              f = h_1 - 2h_2 .

    :math:`h_1` counts the ones, :math:`h_2` fires only when both are on, so the output is
    0, 1, 1, 0. Shapes: ``W1`` (2, 2), ``W2`` (2, 1).
    """
    return [Layer(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),
            Layer(np.array([[1.0], [-2.0]]), np.array([0.0]))]


# ----------------------------------------------------------------------------- universal approximation
TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "wave": lambda x: np.sin(3 * np.pi * x) * (1 - 0.5 * x),
    "bump": lambda x: np.exp(-20 * x ** 2),
    "step": lambda x: (x > 0.2).astype(np.float64),
    "|x|": np.abs,
}


def target_function(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """One of the 1-D targets on [-1, 1] used in notebook 02 (``TARGETS``)."""
    return TARGETS[check_choice(name, "name", TARGETS)]


@dataclass
class ReluFit:
    r"""A one-hidden-layer ReLU network for 1-D inputs,
    :math:`f(x) = \sum_{i=1}^{M} v_i\,\mathrm{ReLU}(s_i(x - c_i)) + v_0`.

    Unit ``i`` is flat on one side of its kink :math:`c_i` and a ramp on the other
    (:math:`s_i = \pm 1` picks the side), so :math:`f` is piecewise linear with kinks at the
    :math:`c_i`. ``v`` holds :math:`(v_1, \dots, v_M, v_0)`.
    """

    knots: np.ndarray   # (M,)
    signs: np.ndarray   # (M,)
    v: np.ndarray       # (M + 1,), output weights then output bias

    def as_layers(self) -> list[Layer]:
        """The same network as two :class:`Layer` objects, for :func:`mlp_forward`."""
        W1 = self.signs[None, :]                          # (M,) -> (1, M)
        return [Layer(W1, -self.signs * self.knots), Layer(self.v[:-1, None], self.v[-1:])]  # (M, 1)

    def features(self, x: np.ndarray) -> np.ndarray:
        """Hidden activations with a column of ones for the bias. Shape: (N,) -> (N, M + 1)."""
        x = check_array(x, "x", ndim=1)
        H = relu(self.signs[None, :] * (x[:, None] - self.knots[None, :]))  # (N, 1) - (1, M) -> (N, M)
        return np.concatenate([H, np.ones((x.shape[0], 1))], axis=1)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Shape: (N,) -> (N,)."""
        return self.features(x) @ self.v  # (N, M + 1) @ (M + 1,) -> (N,)


def fit_relu_network(x: np.ndarray, y: np.ndarray, n_units: int, kind: str = "grid",
                     rng: np.random.Generator | None = None) -> ReluFit:
    r"""Place ``n_units`` ReLU units and solve for the output layer by least squares.

    ``kind="grid"``: kinks evenly spaced from the left end of the data, all ramps facing right;
    the span of these units is every continuous piecewise-linear function with those kinks, so
    least squares finds the best such approximation, and doubling ``n_units`` keeps every old
    kink, so the error can only go down. ``kind="random"``: kinks uniform over the data range and
    random sides (needs ``rng``), as in a randomly initialised network.

    The output layer minimises :math:`\|H\mathbf{v} - \mathbf{y}\|^2`, a linear problem
    (``np.linalg.lstsq``, which uses an SVD and copes with redundant units).

    Shape: ``x`` (N,), ``y`` (N,).
    """
    x = check_array(x, "x", ndim=1)
    y = check_array(y, "y", ndim=1, shape=x.shape)
    check_range(n_units, "n_units", 1, 10_000, integer=True)
    check_choice(kind, "kind", ("grid", "random"))
    lo, hi = float(x.min()), float(x.max())
    if kind == "grid":
        knots = lo + (hi - lo) * np.arange(n_units) / n_units
        signs = np.ones(n_units)
    else:
        if rng is None:
            raise ValueError("kind='random' needs an rng (np.random.Generator), got None")
        knots = rng.uniform(lo, hi, n_units)
        signs = rng.choice([-1.0, 1.0], n_units)
    fit = ReluFit(knots, signs, np.zeros(n_units + 1))
    fit.v = np.linalg.lstsq(fit.features(x), y, rcond=None)[0]
    return fit


def random_relu_layer(n_units: int, X: np.ndarray, rng: np.random.Generator) -> Layer:
    r"""A hidden layer of ReLU units with random directions whose boundaries cross the data.

    Unit ``j`` computes :math:`\mathrm{ReLU}(\mathbf{u}_j\cdot(\mathbf{x} - \mathbf{c}_j))` with a
    random unit vector :math:`\mathbf{u}_j` and a random data point :math:`\mathbf{c}_j` on its
    boundary, so every unit splits the data somewhere (a unit whose boundary missed the data
    would be constant or linear on it, and useless).

    Shape: ``X`` (N, D) -> ``W`` (D, n_units), ``b`` (n_units,).
    """
    X = check_array(X, "X", ndim=2)
    check_range(n_units, "n_units", 1, None, integer=True)
    U = rng.standard_normal((X.shape[1], n_units))
    U /= np.linalg.norm(U, axis=0, keepdims=True)                    # (D, M), unit columns
    C = X[rng.integers(0, X.shape[0], n_units)]                      # (M, D)
    return Layer(U, -np.einsum("dm,md->m", U, C))                    # (D, M), (M, D) -> (M,)


def fit_output_layer(H: np.ndarray, Y: np.ndarray) -> Layer:
    r"""The linear output layer that best maps hidden activations to targets (least squares).

    Shape: ``H`` (N, M), ``Y`` (N, K) -> ``W`` (M, K), ``b`` (K,).
    """
    H = check_array(H, "H", ndim=2)
    Y = check_array(Y, "Y", ndim=2, shape=(H.shape[0], None))
    A = np.concatenate([H, np.ones((H.shape[0], 1))], axis=1)       # (N, M + 1)
    sol = np.linalg.lstsq(A, Y, rcond=None)[0]                       # (M + 1, K)
    return Layer(sol[:-1], sol[-1])


def rms_error(pred: np.ndarray, target: np.ndarray) -> float:
    r"""Root-mean-square error :math:`\sqrt{\frac1N\sum_n (\hat y_n - y_n)^2}`. Shape: (N,), (N,) -> float."""
    pred = check_array(pred, "pred", ndim=1)
    target = check_array(target, "target", ndim=1, shape=pred.shape)
    return float(np.sqrt(np.mean((pred - target) ** 2)))
