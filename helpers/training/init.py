r"""Weight initializers for dense layers, and the variance argument behind them (notebook 06).

A dense layer computes :math:`z_j = \sum_{i=1}^{n_\text{in}} x_i W_{ij}` (here ``z = x @ W`` with
``W`` of shape ``(n_in, n_out)``). With independent, zero-mean weights and inputs,

.. math:: \operatorname{Var}(z_j) = n_\text{in}\,\operatorname{Var}(W)\,\mathbb{E}[x_i^2].

To keep the signal's scale constant from layer to layer we want
:math:`n_\text{in}\operatorname{Var}(W)\,\mathbb{E}[x^2] = \operatorname{Var}(z_\text{prev})`.

* **Xavier / Glorot** (Glorot & Bengio, 2010), for tanh-like units (:math:`\mathbb{E}[x^2]
  \approx \operatorname{Var}(z)`) and balancing the forward pass (:math:`n_\text{in}`) against the
  backward pass (:math:`n_\text{out}`): :math:`\operatorname{Var}(W) = 2/(n_\text{in} +
  n_\text{out})`; as a uniform :math:`U(-a, a)` (variance :math:`a^2/3`) that is
  :math:`a = \sqrt{6/(n_\text{in} + n_\text{out})}`.
* **He / Kaiming** (He et al., 2015), for ReLU, which zeroes half of a symmetric input so that
  :math:`\mathbb{E}[x^2] = \operatorname{Var}(z)/2`: :math:`\operatorname{Var}(W) =
  2/n_\text{in}`; uniform bound :math:`\sqrt{6/n_\text{in}}`.

**Layout.** Our weights are ``(n_in, n_out)`` because our layers compute ``x @ W``. PyTorch's
``nn.Linear.weight`` is ``(out, in)`` (it computes ``x @ W.T``), so copy ``W.T`` into it
(:func:`copy_into_linear` does that); ``torch.nn.init`` reads fan-in as ``weight.shape[1]``.

Shape: every initializer returns an array of shape ``(n_in, n_out)``, float64.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import numpy as np

from helpers.core.checks import check_choice, check_range, check_type

__all__ = ["zeros", "constant", "normal", "xavier_uniform", "xavier_normal", "he_uniform",
           "he_normal", "xavier_std", "he_std", "calculate_gain", "Initializer", "INITIALIZERS", "get_initializer",
           "init_weights", "copy_into_linear"]


def _check_fans(n_in: int, n_out: int) -> None:
    check_range(n_in, "n_in", 1, None, integer=True)
    check_range(n_out, "n_out", 1, None, integer=True)


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
                         f"got {type(rng).__name__}")
    return rng


def zeros(n_in: int, n_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    r"""All weights 0. Every hidden unit then computes the same thing and receives the same
    gradient, so they can never become different (the *symmetry* problem). ``rng`` is unused."""
    _check_fans(n_in, n_out)
    return np.zeros((n_in, n_out))


def constant(n_in: int, n_out: int, rng: np.random.Generator | None = None,
             value: float = 0.5) -> np.ndarray:
    r"""All weights equal to ``value``: the same symmetry problem as :func:`zeros`, but the units
    do move (in lock-step). ``rng`` is unused."""
    _check_fans(n_in, n_out)
    check_range(value, "value")
    return np.full((n_in, n_out), float(value))


def normal(n_in: int, n_out: int, rng: np.random.Generator, std: float = 0.01) -> np.ndarray:
    r""":math:`W_{ij} \sim \mathcal{N}(0, \text{std}^2)` with a fixed std that ignores the layer
    size: too small and a deep stack's signal shrinks by :math:`\sqrt{n_\text{in}}\,\text{std}`
    per layer; too large and it grows."""
    _check_fans(n_in, n_out)
    check_range(std, "std", 0.0, None)
    return _check_rng(rng).normal(0.0, std, size=(n_in, n_out))


def calculate_gain(activation: str, negative_slope: float = 0.01) -> float:
    r"""The factor by which to scale a unit-variance init for a given activation (as
    ``torch.nn.init.calculate_gain``): 1 for linear/sigmoid, 5/3 for tanh, :math:`\sqrt2` for ReLU,
    :math:`\sqrt{2/(1 + a^2)}` for Leaky ReLU with slope :math:`a`."""
    check_choice(activation, "activation", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
    check_range(negative_slope, "negative_slope", 0.0, None)
    if activation == "tanh":
        return 5.0 / 3.0
    if activation == "relu":
        return math.sqrt(2.0)
    if activation == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + negative_slope ** 2))
    return 1.0


def xavier_uniform(n_in: int, n_out: int, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Glorot uniform: :math:`W_{ij} \sim U(-a, a)`, :math:`a = \text{gain}\sqrt{6/(n_\text{in} + n_\text{out})}`,
    so :math:`\operatorname{Var}(W) = a^2/3 = \text{gain}^2 \cdot 2/(n_\text{in} + n_\text{out})`."""
    _check_fans(n_in, n_out)
    check_range(gain, "gain", 0.0, None)
    bound = gain * math.sqrt(6.0 / (n_in + n_out))
    return _check_rng(rng).uniform(-bound, bound, size=(n_in, n_out))


def xavier_normal(n_in: int, n_out: int, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    r"""Glorot normal: :math:`W_{ij} \sim \mathcal{N}(0, \sigma^2)`, :math:`\sigma = \text{gain}\sqrt{2/(n_\text{in} + n_\text{out})}`."""
    _check_fans(n_in, n_out)
    check_range(gain, "gain", 0.0, None)
    return _check_rng(rng).normal(0.0, gain * math.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def _he_fan(n_in: int, n_out: int, mode: str) -> int:
    check_choice(mode, "mode", ["fan_in", "fan_out"])
    return n_in if mode == "fan_in" else n_out


def he_uniform(n_in: int, n_out: int, rng: np.random.Generator, mode: str = "fan_in",
               gain: float = math.sqrt(2.0)) -> np.ndarray:
    r"""He/Kaiming uniform: :math:`U(-a, a)`, :math:`a = \text{gain}\sqrt{3/n}` with
    :math:`n = n_\text{in}` (``mode="fan_in"``, keeps the forward pass's scale) or
    :math:`n_\text{out}` (``"fan_out"``, the backward pass's). For ReLU (gain :math:`\sqrt2`)
    :math:`a = \sqrt{6/n_\text{in}}` and :math:`\operatorname{Var}(W) = 2/n_\text{in}`."""
    _check_fans(n_in, n_out)
    check_range(gain, "gain", 0.0, None)
    bound = gain * math.sqrt(3.0 / _he_fan(n_in, n_out, mode))
    return _check_rng(rng).uniform(-bound, bound, size=(n_in, n_out))


def he_normal(n_in: int, n_out: int, rng: np.random.Generator, mode: str = "fan_in",
              gain: float = math.sqrt(2.0)) -> np.ndarray:
    r"""He/Kaiming normal: :math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = \text{gain}/\sqrt{n}`;
    for ReLU :math:`\sigma^2 = 2/n_\text{in}`."""
    _check_fans(n_in, n_out)
    check_range(gain, "gain", 0.0, None)
    return _check_rng(rng).normal(0.0, gain / math.sqrt(_he_fan(n_in, n_out, mode)), size=(n_in, n_out))


def xavier_std(n_in: int, n_out: int) -> float:
    r"""The std Xavier/Glorot targets: :math:`\sqrt{2/(n_\text{in} + n_\text{out})}`."""
    _check_fans(n_in, n_out)
    return math.sqrt(2.0 / (n_in + n_out))


def he_std(n_in: int, n_out: int) -> float:
    r"""The std He/Kaiming targets for ReLU (fan-in mode): :math:`\sqrt{2/n_\text{in}}`."""
    _check_fans(n_in, n_out)
    return math.sqrt(2.0 / n_in)


def _fixed_std(n_in: int, n_out: int, std: float) -> float:
    return std


@dataclass(frozen=True)
class Initializer:
    """A named initializer: ``fn(n_in, n_out, rng) -> W`` of shape (n_in, n_out) and
    ``std(n_in, n_out)``, the standard deviation its weights have in theory."""

    name: str
    label: str
    fn: Callable[[int, int, np.random.Generator], np.ndarray]
    std: Callable[[int, int], float]


INITIALIZERS: dict[str, Initializer] = {
    "zeros": Initializer("zeros", "zeros", zeros, partial(_fixed_std, std=0.0)),
    "small": Initializer("small", "N(0, 0.01²)", partial(normal, std=0.01), partial(_fixed_std, std=0.01)),
    "large": Initializer("large", "N(0, 1)", partial(normal, std=1.0), partial(_fixed_std, std=1.0)),
    "xavier": Initializer("xavier", "Xavier uniform", xavier_uniform, xavier_std),
    "he": Initializer("he", "He normal", he_normal, he_std),
}


def get_initializer(name: str) -> Initializer:
    """Look up an initializer by name, with a clear error listing the choices."""
    check_choice(name, "init", list(INITIALIZERS))
    return INITIALIZERS[name]


def init_weights(name: str, widths: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    """Weights of a stack of dense layers ``widths[0] -> widths[1] -> ... -> widths[-1]``.

    Returns one ``(widths[l], widths[l+1])`` array per layer, drawn with the named initializer.
    """
    init = get_initializer(name)
    if len(widths) < 2:
        raise ValueError(f"widths must list at least an input and an output size, got {widths}")
    return [init.fn(int(a), int(b), _check_rng(rng)) for a, b in zip(widths[:-1], widths[1:])]


def copy_into_linear(layer: Any, W: np.ndarray, b: np.ndarray | None = None) -> None:
    """Copy our ``(n_in, n_out)`` weights into a ``torch.nn.Linear`` (whose weight is (out, in)).

    The bias is set to ``b`` (shape ``(n_out,)``), or to zeros when ``b`` is None.
    """
    import torch

    check_type(layer, "layer", torch.nn.Linear)
    W = np.asarray(W, dtype=np.float64)
    expected = (layer.in_features, layer.out_features)
    if W.shape != expected:
        raise ValueError(f"W must have shape (n_in, n_out) = {expected} for this layer, got {W.shape}")
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W.T.copy()))  # (out, in)
        if layer.bias is not None:
            bias = np.zeros(W.shape[1]) if b is None else np.asarray(b, dtype=np.float64)
            if bias.shape != (W.shape[1],):
                raise ValueError(f"b must have shape ({W.shape[1]},), got {bias.shape}")
            layer.bias.copy_(torch.from_numpy(bias))
