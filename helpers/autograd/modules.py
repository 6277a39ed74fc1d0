r"""Layers, a multi-layer perceptron, a loss and plain SGD on top of :mod:`helpers.autograd.tensor` (notebook 04).

As in micrograd's ``nn.py``: the engine does the calculus, this module only arranges tensors.
A network is a list of :class:`Linear` layers with an activation in between; training is

.. math::
    \theta \leftarrow \theta - \eta\, \nabla_\theta\, \mathrm{CE}(f_\theta(X), y)

with the gradient from ``loss.backward()``. :func:`to_torch` builds the same network in PyTorch
with the same weights, so the two can be trained side by side.

Shape: inputs ``X`` are (N, D), logits (N, K), integer labels ``y`` (N,).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from helpers.autograd.tensor import Tensor
from helpers.core.checks import check_array, check_choice, check_range, check_seed, check_type

__all__ = ["Module", "Linear", "MLP", "SGD", "cross_entropy", "to_torch"]

ACTIVATIONS = ("tanh", "relu", "sigmoid")


class Module:
    """Base class: a module owns parameters and can reset their gradients."""

    def parameters(self) -> list[Tensor]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()


class Linear(Module):
    r"""Affine layer :math:`y = x W + b`.

    ``W`` is stored as (D_in, D_out) so the forward pass reads ``x @ W`` (PyTorch stores the
    transpose). Initialised like ``torch.nn.Linear``: :math:`W, b \sim U(-1/\sqrt{D_{in}}, 1/\sqrt{D_{in}})`.

    Shape: (N, D_in) -> (N, D_out).
    """

    def __init__(self, d_in: int, d_out: int, rng: np.random.Generator) -> None:
        check_range(d_in, "d_in", 1, None, integer=True)
        check_range(d_out, "d_out", 1, None, integer=True)
        check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
        bound = 1.0 / np.sqrt(d_in)
        self.W = Tensor(rng.uniform(-bound, bound, size=(d_in, d_out)), name="W")
        self.b = Tensor(rng.uniform(-bound, bound, size=d_out), name="b")

    def __call__(self, x: Tensor) -> Tensor:
        return x @ self.W + self.b  # (N, D_out): b is broadcast over the batch, its grad summed

    def parameters(self) -> list[Tensor]:
        return [self.W, self.b]


class MLP(Module):
    r"""A multi-layer perceptron :math:`f(x) = W_L\,\phi(\cdots \phi(x W_1 + b_1)\cdots) + b_L`.

    Args:
        sizes: layer widths, e.g. ``[2, 16, 16, 2]`` (input D, hidden widths, output K).
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"`` between layers (none after the last).
        seed: seed of the initialisation, so two MLPs built with the same seed are identical.

    Shape: (N, sizes[0]) -> (N, sizes[-1]) logits.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh", seed: int = 0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
        check_choice(activation, "activation", ACTIVATIONS)
        rng = np.random.default_rng(check_seed(seed))
        self.sizes = list(sizes)
        self.activation = activation
        self.layers = [Linear(a, b, rng) for a, b in zip(sizes[:-1], sizes[1:])]
        for i, layer in enumerate(self.layers, start=1):
            layer.W.name, layer.b.name = f"W{i}", f"b{i}"

    def __call__(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(check_array(x, "x", ndim=2, shape=(None, self.sizes[0])), requires_grad=False)
        elif x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (N, {self.sizes[0]}), got {x.shape}")
        for layer in self.layers[:-1]:
            x = getattr(layer(x), self.activation)()
        return self.layers[-1](x)

    def parameters(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities softmax(f(X)) as a plain array, shape (N, K)."""
        return np.exp(self(X).log_softmax(axis=1).data)


def _check_logits_and_labels(logits: Tensor, y: Any) -> np.ndarray:
    if not isinstance(logits, Tensor) or logits.ndim != 2:
        raise ValueError(f"logits must be a 2-D Tensor of shape (N, K), got "
                         f"{getattr(logits, 'shape', type(logits).__name__)}")
    n, k = logits.shape
    y = check_array(y, "y", ndim=1, shape=(n,), dtype="int")
    if y.min() < 0 or y.max() >= k:
        raise ValueError(f"labels y must lie in [0, {k}), got range [{y.min()}, {y.max()}]")
    return y


def cross_entropy(logits: Tensor, y: Any) -> Tensor:
    r"""Mean cross-entropy :math:`-\frac1N\sum_n \log \mathrm{softmax}(z_n)_{y_n}`.

    Built from engine ops: a stable ``log_softmax`` and integer-array indexing that picks each
    row's true-class entry, so the gradient :math:`(\mathrm{softmax}(z) - \mathrm{onehot}(y))/N`
    comes out of the engine by itself.

    Shape: logits (N, K), y (N,) int in [0, K) -> scalar.
    """
    y = _check_logits_and_labels(logits, y)
    n = len(y)
    return -logits.log_softmax(axis=1)[np.arange(n), y].mean()  # (N,) picked, then averaged


class SGD:
    r"""Plain gradient descent :math:`\theta \leftarrow \theta - \eta\, g`, in place.

    ``lr`` may be changed between steps (the training player does, mid-run).
    """

    def __init__(self, params: Sequence[Tensor], lr: float = 0.1) -> None:
        self.params = list(params)
        if not self.params or not all(isinstance(p, Tensor) for p in self.params):
            raise ValueError(f"SGD needs a non-empty list of Tensors, got {len(self.params)} item(s)")
        self.lr = check_range(lr, "lr", 0.0, None, low_inclusive=False)

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self, grads: Sequence[np.ndarray | None] | None = None) -> None:
        """One update. The course's one optimizer contract (as ``helpers.training.optim``):
        ``step(grads)`` takes the gradients in the order of ``params``; ``step()`` reads each
        Tensor's own ``.grad``, filled by ``backward()``. A parameter without a gradient is skipped.
        """
        if grads is None:
            grads = [p.grad for p in self.params]
        elif not isinstance(grads, (list, tuple)) or len(grads) != len(self.params):
            n = len(grads) if isinstance(grads, (list, tuple)) else type(grads).__name__
            raise ValueError(f"grads must be a list of {len(self.params)} arrays (one per parameter), got {n}")
        for p, g in zip(self.params, grads):
            if g is not None:
                p.data -= self.lr * np.asarray(g)


def to_torch(mlp: MLP) -> Any:
    """The same network as a ``torch.nn.Sequential`` in float64 with copied weights.

    ``torch.nn.Linear`` stores its weight as (D_out, D_in), so ours is transposed on the way.
    """
    import torch

    check_type(mlp, "mlp", MLP, "a helpers.autograd.modules.MLP")
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}[mlp.activation]
    modules: list[Any] = []
    for i, layer in enumerate(mlp.layers):
        lin = torch.nn.Linear(*layer.W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.data.T.copy()))  # (D_out, D_in)
            lin.bias.copy_(torch.from_numpy(layer.b.data.copy()))
        modules += [lin] if i == len(mlp.layers) - 1 else [lin, act()]
    return torch.nn.Sequential(*modules)
