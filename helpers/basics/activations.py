"""Activation functions and their derivatives, in numerically stable form (notebook 05).

Each activation is a pair ``f(x)`` / ``f_grad(x)`` (the derivative df/dx evaluated at x), both
elementwise, shape-preserving and dtype-preserving for float32/float64 inputs, and finite without
overflow warnings for inputs as large as ±1000 (and beyond). ``ACTIVATIONS`` maps a name to an
:class:`Activation` record so that widgets and experiments can loop over them.

At a kink (ReLU and Leaky ReLU at 0, ELU at 0 when alpha != 1) we return the derivative PyTorch's
autograd uses, so our backward pass matches ``torch.nn.functional`` exactly; each docstring says
which value that is.

Shape: every function maps an array of any shape ``(*)`` (empty allowed) to an array of the same
shape ``(*)``. Inputs must be real numbers; ±inf is accepted, NaN raises ``ValueError``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import erf, erfc

from helpers.core.checks import check_array, check_range

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "step", "sigmoid", "sigmoid_grad",
           "tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "elu",
           "elu_grad", "gelu", "gelu_grad", "swish", "swish_grad", "silu", "silu_grad"]

# Python floats, not NumPy scalars: under NumPy 2's promotion rules a np.float64 constant would
# silently turn a float32 input into a float64 output.
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


def _x(x: np.ndarray) -> np.ndarray:
    # Elementwise maps accept any shape, including empty arrays (empty in, empty out, as in
    # PyTorch) and +-inf (every activation has a well-defined limit there); NaN is refused
    # because it always means an upstream bug.
    x = check_array(x, "x", allow_empty=True, finite=False)
    if x.dtype.kind == "f" and np.isnan(x).any():
        raise ValueError(f"x must not contain NaN, got {int(np.isnan(x).sum())} NaN value(s) "
                         f"in an array of shape {x.shape}")
    return x


def step(x: np.ndarray) -> np.ndarray:
    r"""Heaviside step :math:`H(x) = 1` if :math:`x > 0` else 0 (the perceptron's activation).

    Shape: any -> same. ``H(0) = 0``, so a point exactly on the boundary is classed 0.
    """
    x = _x(x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`.

    Stable form: with :math:`e = e^{-|x|}` (an exponent that is never positive, so it cannot
    overflow), :math:`\sigma(x) = 1/(1 + e)` for :math:`x \ge 0` and :math:`e/(1 + e)` for
    :math:`x < 0`. The textbook formula overflows ``exp(-x)`` at x = -1000; this form is exact in
    both tails and needs one ``exp`` per element.

    Shape: any -> same.

    Example:
        >>> sigmoid(np.array([0.0]))
        array([0.5])
    """
    x = _x(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`; at most 0.25 (at x = 0)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    r""":math:`\tanh(x) = (e^{x} - e^{-x}) / (e^{x} + e^{-x})`, via ``np.tanh`` (finite for all x;
    the literal formula gives inf/inf = NaN at x = 1000)."""
    return np.tanh(_x(x))


def tanh_grad(x: np.ndarray) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2(x)`."""
    t = tanh(x)
    return 1.0 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{ReLU}(x) = \max(0, x)`. Shape: any -> same."""
    x = _x(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x: np.ndarray) -> np.ndarray:
    r"""1 for x > 0, 0 for x < 0, and **0 at the kink x = 0** (PyTorch's convention too)."""
    x = _x(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: :math:`x` for :math:`x > 0`, :math:`\alpha x` otherwise.

    The small slope :math:`\alpha` for negative inputs keeps a gradient flowing through units
    that a plain ReLU would switch off for good ("dead" units). ``alpha = 0`` gives ReLU.

    Args:
        x: input of any shape ``(*)``.
        alpha: negative slope, :math:`0 \le \alpha < 1` (PyTorch's default 0.01).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
        array([-0.2,  3. ])
    """
    x = _x(x)
    check_range(alpha, "alpha", 0.0, 1.0)
    return np.where(x > 0, x, alpha * x).astype(x.dtype, copy=False)


def leaky_relu_grad(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    r"""1 for :math:`x > 0` and :math:`\alpha` for :math:`x < 0`; **at the kink x = 0 we return
    alpha** (PyTorch's convention, consistent with ``relu_grad(0) = 0`` when alpha = 0)."""
    x = _x(x)
    check_range(alpha, "alpha", 0.0, 1.0)
    return np.where(x > 0, 1.0, alpha).astype(x.dtype, copy=False)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    r"""Exponential linear unit (Clevert et al., 2015).

    .. math:: \mathrm{ELU}(x) = x \text{ for } x > 0, \qquad \alpha\,(e^{x} - 1) \text{ for } x \le 0.

    Smooth for ``alpha = 1``, saturates at :math:`-\alpha` for very negative inputs, so the mean
    activation is pushed towards zero.

    Stable form: ``np.expm1`` computes :math:`e^{x} - 1` without the cancellation that
    ``exp(x) - 1`` suffers for small :math:`|x|`, and we feed it :math:`\min(x, 0)` so that
    ``exp`` never sees a large positive argument (``exp(1000)`` overflows even though that branch
    is discarded).

    Args:
        x: input of any shape ``(*)``.
        alpha: the negative saturation value, :math:`\alpha > 0` (default 1.0).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> elu(np.array([0.0, 1.0]))
        array([0., 1.])
    """
    x = _x(x)
    check_range(alpha, "alpha", 0.0, None, low_inclusive=False)
    neg = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, neg).astype(x.dtype, copy=False)


def elu_grad(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    r""":math:`1` for :math:`x > 0` and :math:`\alpha e^{x}` for :math:`x \le 0`.

    **At x = 0 we return alpha** (the left derivative, as PyTorch does); it equals 1, so the
    derivative is continuous, only when alpha = 1.
    """
    x = _x(x)
    check_range(alpha, "alpha", 0.0, None, low_inclusive=False)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


def _zero_where(x: np.ndarray, factor: np.ndarray) -> np.ndarray:
    # x * factor where factor has underflowed to exactly 0: the product's limit is 0, but
    # (+-inf) * 0 is NaN, so zero those x first.
    return np.where(factor == 0, 0.0, x).astype(x.dtype, copy=False)


def _check_approximate(approximate: str) -> None:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def _gelu_tanh_inner(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Beyond |x| = 10 the tanh is exactly +-1 in floating point; clipping first keeps x**3 from
    # overflowing (and inf * 0 from producing NaN in the derivative).
    xc = np.clip(x, -10, 10)
    return xc, np.tanh(_SQRT_2_OVER_PI * (xc + _GELU_C * xc ** 3))


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    r"""Gaussian error linear unit (Hendrycks & Gimpel, 2016): the input times the probability
    that a standard normal variable is below it.

    .. math:: \mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\Bigl(1 + \operatorname{erf}\bigl(x/\sqrt{2}\bigr)\Bigr)

    With ``approximate="tanh"`` (as in GPT-2):
    :math:`\frac{x}{2}\bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\bigr)\bigr)`.

    Stable form: :math:`\Phi(x) = \tfrac12\operatorname{erfc}(-x/\sqrt2)`, which keeps full
    relative precision in the far left tail where ``1 + erf`` would cancel to 0 too early.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> gelu(np.array([0.0]))
        array([0.])
    """
    x = _x(x)
    _check_approximate(approximate)
    if approximate == "tanh":
        _, t = _gelu_tanh_inner(x)
        return (0.5 * _zero_where(x, 1.0 + t) * (1.0 + t)).astype(x.dtype, copy=False)
    cdf = 0.5 * erfc(-x / _SQRT2)
    return (_zero_where(x, cdf) * cdf).astype(x.dtype, copy=False)


def gelu_grad(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    r""":math:`\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x)` with the normal density
    :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}` (for ``approximate="tanh"``, the derivative of the
    tanh formula). Smooth everywhere; slightly negative (minimum about -0.13) near x = -0.75.
    """
    x = _x(x)
    _check_approximate(approximate)
    if approximate == "tanh":
        xc, t = _gelu_tanh_inner(x)
        dinner = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * xc * xc)
        return (0.5 * (1.0 + t) + 0.5 * xc * (1.0 - t * t) * dinner).astype(x.dtype, copy=False)
    # phi(x) is exactly 0 in floating point beyond |x| ~ 39; clipping keeps x*x finite in float32.
    xc = np.clip(x, -40, 40)
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)
    return (0.5 * erfc(-x / _SQRT2) + xc * pdf).astype(x.dtype, copy=False)


def swish(x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    r"""Swish (Ramachandran et al., 2017): :math:`x\,\sigma(\beta x)`; with :math:`\beta = 1` it
    is SiLU (see :func:`silu`).

    Stable form: reuses the branch-wise :func:`sigmoid`, so nothing overflows at :math:`\pm 1000`.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> swish(np.array([0.0]))
        array([0.])
    """
    x = _x(x)
    check_range(beta, "beta", 0.0, None, low_inclusive=False)
    s = sigmoid(beta * x)
    return (_zero_where(x, s) * s).astype(x.dtype, copy=False)


def swish_grad(x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    r""":math:`\frac{d}{dx}\,x\sigma(\beta x) = \sigma(\beta x) + \beta x\,\sigma(\beta x)\bigl(1 - \sigma(\beta x)\bigr)`.

    Smooth everywhere; 1/2 at x = 0 and slightly negative for moderately negative x.
    """
    x = _x(x)
    check_range(beta, "beta", 0.0, None, low_inclusive=False)
    s = sigmoid(beta * x)
    x_safe = _zero_where(_zero_where(x, s), 1.0 - s)  # x (1 - s) is 0 where s is exactly 0 or 1
    return (s * (1.0 + beta * x_safe * (1.0 - s))).astype(x.dtype, copy=False)


def silu(x: np.ndarray) -> np.ndarray:
    r"""Sigmoid linear unit :math:`\mathrm{SiLU}(x) = x\,\sigma(x)` (Swish with :math:`\beta = 1`,
    PyTorch's ``F.silu``). Shape: ``(*)`` -> ``(*)``."""
    return swish(x, 1.0)


def silu_grad(x: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{SiLU}'(x) = \sigma(x)\bigl(1 + x(1 - \sigma(x))\bigr)`; 1/2 at x = 0."""
    return swish_grad(x, 1.0)


@dataclass(frozen=True)
class Activation:
    """A named activation: the function, its derivative and the formula as LaTeX.

    ``fn`` and ``grad`` take one array (default hyper-parameters, e.g. Leaky ReLU's alpha = 0.01);
    ``label`` is the display name used in figures and tables.
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    formula: str
    label: str = ""

    @property
    def title(self) -> str:
        """The display name (``label``, or ``name`` when no label was given)."""
        return self.label or self.name


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_grad, r"\sigma(x) = \frac{1}{1 + e^{-x}}", "sigmoid"),
    "tanh": Activation("tanh", tanh, tanh_grad, r"\tanh(x)", "tanh"),
    "relu": Activation("relu", relu, relu_grad, r"\max(0, x)", "ReLU"),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_grad, r"\max(0.01x, x)", "Leaky ReLU"),
    "elu": Activation("elu", elu, elu_grad, r"x \text{ if } x > 0 \text{ else } e^{x} - 1", "ELU"),
    "gelu": Activation("gelu", gelu, gelu_grad, r"x\,\Phi(x)", "GELU"),
    "silu": Activation("silu", silu, silu_grad, r"x\,\sigma(x)", "SiLU / Swish"),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name, with a clear error listing the choices."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]
