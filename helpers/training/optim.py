r"""Optimizers from scratch: SGD, momentum, Nesterov, RMSProp, Adam and AdamW (notebook 07).

Each optimizer holds a list of NumPy parameter arrays and updates them **in place** when
:meth:`Optimizer.step` is given their gradients, exactly as ``torch.optim`` does with tensors:
same hyperparameter names, same defaults, same order of operations, so 50 steps of ours and of
PyTorch's agree to ~1e-15 in float64 (``tests/test_optim.py``).

Writing :math:`\theta` for a parameter, :math:`g_t = \nabla_\theta J(\theta_{t-1})` for its
gradient, :math:`\eta` for the learning rate and :math:`\lambda` for ``weight_decay``:

.. math::
    \text{SGD:}\quad & \theta_t = \theta_{t-1} - \eta\, g_t \\
    \text{momentum:}\quad & b_t = \mu b_{t-1} + (1 - \tau) g_t, \quad \theta_t = \theta_{t-1} - \eta\, b_t \\
    \text{Nesterov:}\quad & \theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t) \\
    \text{RMSProp:}\quad & v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon) \\
    \text{Adam:}\quad & m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        & \theta_t = \theta_{t-1} - \eta\, \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

Weight decay: SGD, RMSProp and Adam add :math:`\lambda\theta` to the gradient (an L2 penalty
:math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2`); AdamW instead shrinks the weights directly,
:math:`\theta \leftarrow (1 - \eta\lambda)\theta`, before the Adam step (Loshchilov & Hutter, 2019),
so the decay is not rescaled by Adam's :math:`1/\sqrt{v_t}`.

Shape: every parameter may have any shape; its gradient and state arrays have the same shape.

Example:
    >>> import numpy as np
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step([2 * w])          # the gradient of ||w||^2
    >>> np.round(w, 3)             # Adam's first step moves every coordinate by lr
    array([ 0.9, -1.9])
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from helpers.core.checks import check_array, check_choice, check_range

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "OPTIMIZERS", "make_optimizer"]


def _check_params(params: Any) -> list[np.ndarray]:
    if isinstance(params, np.ndarray) or not isinstance(params, (list, tuple)):
        raise ValueError(f"params must be a list of NumPy arrays, got {type(params).__name__}")
    if not params:
        raise ValueError("params must be a non-empty list of NumPy arrays, got an empty list")
    for i, p in enumerate(params):
        # In-place updates only reach the caller's array if it *is* a float ndarray.
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            got = p.dtype if isinstance(p, np.ndarray) else type(p).__name__
            raise ValueError(f"params[{i}] must be a float NumPy array (updated in place), got {got}")
        check_array(p, f"params[{i}]")
    return list(params)


def _buffer(state: dict[str, np.ndarray], key: str, like: np.ndarray) -> np.ndarray:
    """The state array ``key``, created as zeros the first time (PyTorch's initial state)."""
    if key not in state:
        state[key] = np.zeros_like(like)
    return state[key]


class Optimizer:
    """Base class: holds the parameters, the hyperparameters and one state dict per parameter.

    Args:
        params: list of float arrays, updated in place by :meth:`step`.
        lr: learning rate :math:`\\eta \\ge 0` (a schedule may change ``self.lr`` between steps).
        weight_decay: :math:`\\lambda \\ge 0`.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float, weight_decay: float = 0.0) -> None:
        self.params = _check_params(params)
        self.lr = float(check_range(lr, "lr", 0.0))
        self.weight_decay = float(check_range(weight_decay, "weight_decay", 0.0))
        self.t = 0  # number of steps taken (Adam's bias correction needs it)
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]

    def step(self, grads: Sequence[np.ndarray] | None = None) -> None:
        """Update every parameter in place from its gradient (one array per parameter).

        The course's one optimizer contract (the autograd engine's ``SGD`` keeps it too):
        ``step(grads)`` takes the gradients in the order of ``params``; ``step()`` without them
        reads each parameter's own ``.grad``, which only parameters that carry one have
        (NumPy arrays do not, so here the gradients are passed).
        """
        if grads is None:
            raise ValueError("step() needs the gradients: NumPy arrays carry no .grad, so call "
                             f"step(grads) with a list of {len(self.params)} arrays, one per parameter")
        if not isinstance(grads, (list, tuple)) or len(grads) != len(self.params):
            n = len(grads) if isinstance(grads, (list, tuple)) else type(grads).__name__
            raise ValueError(f"grads must be a list of {len(self.params)} arrays (one per parameter), got {n}")
        checked = [check_array(g, f"grads[{i}]", shape=p.shape, allow_empty=True).astype(p.dtype, copy=False)
                   for i, (g, p) in enumerate(zip(grads, self.params))]
        check_range(self.lr, "lr", 0.0)
        self.t += 1
        for p, g, state in zip(self.params, checked, self.state):
            self._update(p, g, state)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    .. math:: b_t = \mu b_{t-1} + (1-\tau) g_t \ (b_1 = g_1), \qquad
              \theta_t = \theta_{t-1} - \eta \cdot \begin{cases} g_t + \mu b_t & \text{Nesterov} \\
              b_t & \text{otherwise} \end{cases}

    Args:
        momentum: :math:`\mu \in [0, 1)`; 0 gives plain SGD.
        dampening: :math:`\tau`; scales the new gradient's share of the buffer.
        nesterov: look ahead along the momentum (needs ``momentum > 0`` and ``dampening = 0``).
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = float(check_range(momentum, "momentum", 0.0, 1.0))
        self.dampening = float(check_range(dampening, "dampening", 0.0, 1.0))
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(f"nesterov needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                             f"dampening={dampening}")
        self.nesterov = bool(nesterov)

    def _update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            if "momentum_buffer" not in state:  # PyTorch starts the buffer at g_1, not at 0
                state["momentum_buffer"] = np.array(g, dtype=p.dtype)  # an array even for a 0-d p: np.float64 has no in-place ops
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            buf = state["momentum_buffer"]
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g


class RMSprop(Optimizer):
    r"""RMSProp (Hinton, 2012), as ``torch.optim.RMSprop``: divide by a running RMS of the gradient.

    .. math:: v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \qquad
              \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t - \bar g_t^2} + \epsilon}

    where :math:`\bar g_t` (the running mean of :math:`g`) is used only if ``centered``. With
    ``momentum`` :math:`\mu > 0` the scaled step goes through a buffer
    :math:`b_t = \mu b_{t-1} + g_t / (\ldots)` first.

    :math:`\epsilon` is added *outside* the square root, as PyTorch does; it keeps the step finite
    when a coordinate's gradients have all been zero.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, lr, weight_decay)
        self.alpha = float(check_range(alpha, "alpha", 0.0, 1.0))
        self.eps = float(check_range(eps, "eps", 0.0))
        self.momentum = float(check_range(momentum, "momentum", 0.0, 1.0))
        self.centered = bool(centered)

    def _update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = _buffer(state, "square_avg", p)
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        if self.centered:
            g_avg = _buffer(state, "grad_avg", p)
            g_avg *= self.alpha
            g_avg += (1 - self.alpha) * g
            avg = np.sqrt(v - g_avg * g_avg) + self.eps
        else:
            avg = np.sqrt(v) + self.eps
        if self.momentum:
            buf = _buffer(state, "momentum_buffer", p)
            buf *= self.momentum
            buf += g / avg
            p -= self.lr * buf
        else:
            p -= self.lr * (g / avg)


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``: momentum plus RMSProp, bias-corrected.

    .. math:: m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
              \quad \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
              \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    :math:`m_0 = v_0 = 0` biases both averages toward 0 early on; dividing by
    :math:`1-\beta^t` removes that bias (at :math:`t = 1`, :math:`m_1/(1-\beta_1) = g_1` exactly).

    Args:
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1).
        eps: added to the denominator, outside the square root (as PyTorch).
        weight_decay: L2 penalty added to the gradient (see :class:`AdamW` for decoupled decay).
        amsgrad: use the running maximum of :math:`v_t` (Reddi et al., 2018).
    """

    decoupled = False

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (float(check_range(betas[0], "beta1", 0.0, 1.0)), float(check_range(betas[1], "beta2", 0.0, 1.0)))
        if max(self.betas) >= 1:
            raise ValueError(f"betas must each be in [0, 1), got {betas!r}")
        self.eps = float(check_range(eps, "eps", 0.0))
        self.amsgrad = bool(amsgrad)

    def _update(self, p, g, state):
        beta1, beta2 = self.betas
        if self.weight_decay and self.decoupled:
            p *= 1 - self.lr * self.weight_decay
        elif self.weight_decay:
            g = g + self.weight_decay * p
        m = _buffer(state, "exp_avg", p)
        v = _buffer(state, "exp_avg_sq", p)
        m += (1 - beta1) * (g - m)  # = beta1 m + (1 - beta1) g, PyTorch's lerp form
        v *= beta2
        v += (1 - beta2) * g * g
        if self.amsgrad:
            v_max = _buffer(state, "max_exp_avg_sq", p)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        step_size = self.lr / (1 - beta1 ** self.t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** self.t) + self.eps
        p -= step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    .. math:: \theta \leftarrow (1 - \eta\lambda)\,\theta, \text{ then the Adam step with } \lambda = 0.

    Unlike L2 in Adam, every weight shrinks by the same factor, whatever its gradient history.
    Default ``weight_decay=0.01`` (PyTorch's).
    """

    decoupled = True

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


# name -> (class, fixed keyword arguments). "momentum" and "nesterov" are SGD settings.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}


def make_optimizer(name: str, params: Sequence[np.ndarray], **hyper: Any) -> Optimizer:
    """Build an optimizer by name (see :data:`OPTIMIZERS`); ``hyper`` overrides its defaults.

    Example:
        >>> import numpy as np
        >>> make_optimizer("nesterov", [np.zeros(3)], lr=0.1, momentum=0.8).momentum
        0.8
    """
    check_choice(name, "optimizer", OPTIMIZERS)
    cls, fixed = OPTIMIZERS[name]
    return cls(params, **{**fixed, **hyper})
