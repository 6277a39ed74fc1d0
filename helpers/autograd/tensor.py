r"""A tensor-level reverse-mode autograd engine on NumPy arrays (notebook 04).

In the spirit of micrograd, but every node holds a whole array. A :class:`Tensor` remembers the
operation that made it and its parents, so the computation builds a graph as it runs. Calling
``loss.backward()`` visits that graph from the output back to the leaves (reverse topological
order) and applies the chain rule at every node:

.. math::
    \frac{\partial L}{\partial a} \mathrel{+}= \frac{\partial L}{\partial \text{out}}
    \cdot \frac{\partial\, \text{out}}{\partial a}
    \quad\text{for every parent } a \text{ of every node.}

Two details make it correct for arrays:

* **Broadcasting**: if ``a`` of shape (D,) was broadcast against (N, D), ``a`` was used N times,
  so its gradient is the *sum* of the N row gradients (:func:`unbroadcast`).
* **Fan-out**: a tensor used twice (``c = c + c * x``) receives a gradient from each use; they
  are *added* (``+=``), never overwritten.

Shape: every op follows NumPy's shape rules; ``N`` is the batch, ``D`` the features, ``K`` the
classes. Gradients always have the shape of the tensor they belong to.

Example:
    >>> x = Tensor([1.0, 2.0])
    >>> y = (x * x).sum()        # y = x0^2 + x1^2
    >>> y.backward()
    >>> x.grad                   # dy/dx = 2x
    array([2., 4.])
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from helpers.basics.activations import sigmoid
from helpers.core.checks import check_array

__all__ = ["Tensor", "unbroadcast", "topological_order"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    r"""Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    If :math:`a` (shape ``shape``) was broadcast to :math:`\tilde a` (shape ``grad.shape``), each
    entry of :math:`a` appears in several entries of :math:`\tilde a`, so
    :math:`\partial L/\partial a = \sum_{\text{copies}} \partial L/\partial \tilde a`.

    Shape: ``grad`` (*, ...) -> ``shape``: (N, D) -> (D,) sums over N; (N, D) -> (N, 1) sums over D
    keeping the axis.

    Example:
        >>> unbroadcast(np.ones((4, 3)), (3,))  # a bias of shape (3,) was added to 4 rows
        array([4., 4., 4.])

    NaN and inf in ``grad`` propagate to the result unchecked: this runs inside every backward pass.
    """
    if not isinstance(grad, (np.ndarray, np.generic)):
        raise TypeError(f"grad must be an ndarray, got {type(grad).__name__}")
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"cannot unbroadcast a gradient of shape {grad.shape} to the larger shape {shape}")
    # Leading axes that broadcasting added, then axes where the input had size 1.
    axes = tuple(range(extra)) + tuple(extra + i for i, s in enumerate(shape)
                                       if s == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)  # (*shape)


def _normalise_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)  # a 0-D tensor has one axis to name, as in torch
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not lo <= a <= hi:
            raise ValueError(f"axis must be an int in [{lo}, {hi}] for a {ndim}-D tensor, got {axis!r}")
    if ndim == 0:
        return ()  # reducing a 0-D tensor along "its" axis leaves it as it is, as torch does
    return tuple(sorted(int(a) % ndim for a in axes))


def _check_broadcast(op: str, a: "Tensor", b: "Tensor") -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast "
                         "(trailing sizes must match or be 1)") from None


def _check_matmul(a: "Tensor", b: "Tensor") -> None:
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match: the last axis of the "
                         f"first must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of "
                         "the second")


def _nothing() -> None:
    """The ``_backward`` of a leaf: it has no inputs to pass a gradient on to."""


class Tensor:
    """An array that records how it was computed, so that ``backward()`` can find its gradients.

    Every operation makes its output ``out`` with the inputs as parents and gives it a
    ``_backward`` closure: the chain rule for that operation, adding ``out.grad`` times the local
    derivative to each input's ``.grad``.

    Args:
        data: array-like of real numbers (ints are converted to float64; float32 is kept).
        requires_grad: whether ``backward()`` fills ``.grad`` for this tensor (default True: in this
            engine every tensor you create is a thing you may want the gradient of).
        name: a label for drawing the graph (``"x"``, ``"W1"``).

    Attributes:
        data: the ndarray. grad: ndarray of the same shape (or None before ``backward``).
        op: the operation that produced the tensor (``""`` for a leaf).
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "op", "_parents", "_backward")
    __array_ufunc__ = None  # make `ndarray + Tensor` call Tensor.__radd__ instead of looping

    def __init__(self, data: Any, requires_grad: bool = True, name: str = "") -> None:
        self.data = check_array(data, "data")
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = str(name)
        self.op = ""
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Callable[[], None] = _nothing

    @classmethod
    def _make(cls, data: np.ndarray, parents: tuple["Tensor", ...], op: str) -> "Tensor":
        """The output of operation ``op``. It needs a gradient if any input does, and only then
        remembers its inputs. Not validated: while training diverges it may hold inf."""
        out = cls.__new__(cls)
        out.data, out.grad, out.name, out.op = data, None, "", op
        out.requires_grad = any(p.requires_grad for p in parents)
        out._parents = parents if out.requires_grad else ()
        out._backward = _nothing
        return out

    # ------------------------------------------------------------------ basics
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else (f", op={self.op!r}" if self.op else "")
        return f"Tensor(shape={self.shape}{label})" if self.size > 6 else f"Tensor({self.data!r}{label})"

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return float(self.data.reshape(()))  # (1, …, 1) -> ()

    def numpy(self) -> np.ndarray:
        """A copy of the data."""
        return self.data.copy()

    def zero_grad(self) -> None:
        """Reset the accumulated gradient to zeros (call before each new ``backward``)."""
        self.grad = np.zeros_like(self.data)

    def _lift(self, other: Any) -> "Tensor":
        # Python numbers take our dtype (so float32 stays float32); arrays become constants.
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Tensor(np.asarray(other, dtype=self.dtype), requires_grad=False)
        return Tensor(other, requires_grad=False)

    # ------------------------------------------------------------------ backward pass
    def backward(self, grad: Any = None) -> None:
        r"""Accumulate :math:`\partial\,\text{self} / \partial t` into ``t.grad`` for every tensor ``t``
        in the graph that requires a gradient.

        Args:
            grad: the upstream gradient, shape ``self.shape``; may be omitted for a one-element
                tensor (a loss), where it is 1.
        """
        grad = self._check_backward(grad)
        order = topological_order(self)  # inputs before the tensors made from them
        for node in order:
            # This pass's buffers start at zero; a leaf keeps what earlier passes gave it (as in
            # PyTorch), so a second backward() adds exactly one more gradient.
            if node._parents or not node.requires_grad or node.grad is None:
                node.grad = np.zeros_like(node.data)
        self.grad += grad
        for node in reversed(order):  # outputs first: every use of a node has sent its share
            if node.requires_grad:
                node._backward()      # node.grad times the local derivative, added to each input
        for node in order:
            if not node.requires_grad:
                node.grad = None      # constants take part in the pass but keep no gradient

    def _check_backward(self, grad: Any) -> np.ndarray:
        if not self.requires_grad:
            raise ValueError("backward() called on a tensor that does not require grad "
                             "(no input of its graph has requires_grad=True)")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"backward() without an upstream gradient needs a one-element tensor, "
                                 f"got shape {self.shape}; pass grad= of that shape")
            return np.ones_like(self.data)
        return check_array(grad, "grad", shape=self.shape, allow_empty=True)

    # ------------------------------------------------------------------ elementwise binary ops
    # Each input's gradient is summed back to its own shape (unbroadcast): an input broadcast
    # over N rows was used N times.
    def __add__(self, other: Any) -> "Tensor":
        other = self._lift(other)
        _check_broadcast("+", self, other)
        out = Tensor._make(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(out.grad, other.shape)
        out._backward = _backward
        return out

    def __sub__(self, other: Any) -> "Tensor":
        other = self._lift(other)
        _check_broadcast("-", self, other)
        out = Tensor._make(self.data - other.data, (self, other), "-")

        def _backward():  # d(a - b)/da = 1, d(a - b)/db = -1
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(-out.grad, other.shape)
        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> "Tensor":
        other = self._lift(other)
        _check_broadcast("*", self, other)
        out = Tensor._make(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += unbroadcast(other.data * out.grad, self.shape)
            other.grad += unbroadcast(self.data * out.grad, other.shape)
        out._backward = _backward
        return out

    def __truediv__(self, other: Any) -> "Tensor":
        other = self._lift(other)
        _check_broadcast("/", self, other)
        out = Tensor._make(self.data / other.data, (self, other), "/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b
            self.grad += unbroadcast(out.grad / other.data, self.shape)
            other.grad += unbroadcast(-out.grad * out.data / other.data, other.shape)
        out._backward = _backward
        return out

    def __pow__(self, exponent: Any) -> "Tensor":
        r""":math:`a^p`: :math:`\partial/\partial a = p a^{p-1}`, :math:`\partial/\partial p = a^p \ln a`
        (the second matters only for a tensor exponent, and exists only where :math:`a > 0`)."""
        p = self._lift(exponent)
        _check_broadcast("**", self, p)
        out = Tensor._make(self.data ** p.data, (self, p), "**")

        def _backward():
            # At p = 0 the derivative p a^(p-1) is 0 even where a^(p-1) is infinite (a = 0): the
            # product would be 0 * inf = nan, so it is set to 0 there, as PyTorch does.
            with np.errstate(divide="ignore", invalid="ignore"):
                da = np.where(p.data == 0, 0.0, p.data * self.data ** (p.data - 1))
                # a^p ln a -> 0 as a -> 0 for p >= 0 (0 * -inf would be nan): 0 there, as PyTorch
                dp = np.where((self.data == 0) & (p.data >= 0), 0.0, out.data * np.log(self.data))
            self.grad += unbroadcast(da * out.grad, self.shape)
            p.grad += unbroadcast(dp * out.grad, p.shape)
        out._backward = _backward
        return out

    def __neg__(self) -> "Tensor":
        out = Tensor._make(-self.data, (self,), "neg")

        def _backward():  # d(-a)/da = -1
            self.grad += -out.grad
        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Any) -> "Tensor":
        return self._lift(other) - self

    def __rtruediv__(self, other: Any) -> "Tensor":
        return self._lift(other) / self

    # ------------------------------------------------------------------ matrix product
    def __matmul__(self, other: Any) -> "Tensor":
        r"""Matrix product :math:`C = AB`: :math:`\partial L/\partial A = G B^\top`,
        :math:`\partial L/\partial B = A^\top G` (batched over leading axes, 1-D operands as vectors).

        Shape: (N, D) @ (D, K) -> (N, K); (D,) @ (D, K) -> (K,); (N, D) @ (D,) -> (N,).
        """
        other = self._lift(other)
        _check_matmul(self, other)
        out = Tensor._make(np.matmul(self.data, other.data), (self, other), "@")

        def _backward():
            A = self.data[None, :] if self.ndim == 1 else self.data        # (…, N, D)
            B = other.data[:, None] if other.ndim == 1 else other.data     # (…, D, K)
            G = out.grad[..., None] if other.ndim == 1 else out.grad       # restore the K axis a vector b dropped
            G = np.expand_dims(G, -2) if self.ndim == 1 else G              # and the N axis of a vector a: (…, N, K)
            dA = G @ np.swapaxes(B, -1, -2)                                 # (…, N, D)
            dB = np.swapaxes(A, -1, -2) @ G                                 # (…, D, K)
            self.grad += unbroadcast(dA[..., 0, :] if self.ndim == 1 else dA, self.shape)
            other.grad += unbroadcast(dB[..., 0] if other.ndim == 1 else dB, other.shape)
        out._backward = _backward
        return out

    def __rmatmul__(self, other: Any) -> "Tensor":
        return self._lift(other) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        r""":math:`\sum` over ``axis``; the gradient copies :math:`\partial L/\partial\text{out}` back to
        every summed entry. Shape: (N, D) -> (D,) for ``axis=0``; -> () for ``axis=None``."""
        axes = _normalise_axes(axis, self.ndim)
        out = Tensor._make(self.data.sum(axis=axes, keepdims=keepdims), (self,), "sum")

        def _backward():
            g = out.grad if keepdims else np.expand_dims(out.grad, axes)  # the summed axes back, size 1
            self.grad += np.broadcast_to(g, self.shape)
        out._backward = _backward
        return out

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        r"""Mean over ``axis``: :math:`\frac1n\sum`, so each entry's gradient is :math:`\frac1n`
        of the upstream one."""
        axes = _normalise_axes(axis, self.ndim)
        n = int(np.prod([self.shape[a] for a in axes]))
        if n == 0:
            raise ValueError(f"mean over an empty axis of a tensor of shape {self.shape}")
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / n)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        r"""Maximum over ``axis``. The gradient goes to the arg-max entries; ties share it equally
        (as ``torch.amax``). Shape: as :meth:`sum`."""
        axes = _normalise_axes(axis, self.ndim)
        kept = self.data.max(axis=axes, keepdims=True)
        dropped = kept.reshape([s for i, s in enumerate(self.shape) if i not in axes])  # reduced axes removed
        out = Tensor._make(kept if keepdims else dropped, (self,), "max")

        def _backward():
            g = out.grad if keepdims else np.expand_dims(out.grad, axes)
            winners = self.data == kept
            self.grad += g * winners / winners.sum(axis=axes, keepdims=True)
        out._backward = _backward
        return out

    # ------------------------------------------------------------------ elementwise functions
    def exp(self) -> "Tensor":
        r""":math:`e^x`, with :math:`\frac{d}{dx}e^x = e^x` (the output itself)."""
        with np.errstate(over="ignore"):  # overflow to inf is reported by the caller, not warned
            out = Tensor._make(np.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self) -> "Tensor":
        r"""Natural log, :math:`\frac{d}{dx}\ln x = 1/x`. Needs :math:`x > 0`."""
        if np.any(self.data <= 0):
            raise ValueError(f"log needs positive inputs, got minimum {self.data.min():.3g}; "
                             "for probabilities use log_softmax on the logits instead")
        out = Tensor._make(np.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self) -> "Tensor":
        r""":math:`\tanh x`, with :math:`\frac{d}{dx}\tanh x = 1 - \tanh^2 x`."""
        out = Tensor._make(np.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self) -> "Tensor":
        r""":math:`\sigma(x) = 1/(1+e^{-x})`, with :math:`\sigma' = \sigma(1-\sigma)`; the forward
        is notebook 05's overflow-free :func:`helpers.basics.activations.sigmoid`."""
        out = Tensor._make(sigmoid(self.data), (self,), "sigmoid")

        def _backward():
            self.grad += out.data * (1.0 - out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self) -> "Tensor":
        r""":math:`\max(0, x)`; derivative 1 for :math:`x > 0`, else 0 (0 at the kink, as PyTorch)."""
        out = Tensor._make(np.maximum(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def log_softmax(self, axis: int = -1) -> "Tensor":
        r"""Log-probabilities :math:`x_k - \log\sum_j e^{x_j}` along ``axis``.

        Stable form: subtracting :math:`m = \max_j x_j` first gives
        :math:`(x_k - m) - \log\sum_j e^{x_j - m}`, the same number without overflow (every
        exponent is :math:`\le 0`). Backward: :math:`g - \mathrm{softmax}(x)\sum_j g_j`.

        Shape: (N, K) -> (N, K).
        """
        if self.ndim == 0:  # one entry: log 1 = 0 (torch's answer), gradient 0 through the same ops
            return self.reshape(1).log_softmax(0).reshape(())
        (ax,) = _normalise_axes(axis, self.ndim)
        shifted = self.data - self.data.max(axis=ax, keepdims=True)  # (N, K), every entry <= 0
        out = Tensor._make(shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True)), (self,), "log_softmax")

        def _backward():
            softmax = np.exp(out.data)                                    # (N, K)
            self.grad += out.grad - softmax * out.grad.sum(axis=ax, keepdims=True)
        out._backward = _backward
        return out

    # ------------------------------------------------------------------ shape ops
    def reshape(self, *shape: int) -> "Tensor":
        """Same entries, new shape; the gradient is reshaped back."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            data = self.data.reshape(shape)  # (*shape), same entries in the same (C) order
        except ValueError:
            raise ValueError(f"reshape: cannot view {self.size} entries of shape {self.shape} as shape {shape}") from None
        out = Tensor._make(data, (self,), "reshape")

        def _backward():
            self.grad += out.grad.reshape(self.shape)  # back to (*self.shape)
        out._backward = _backward
        return out

    def transpose(self, *axes: int) -> "Tensor":
        """Permute axes (reverse them if none are given); the gradient is permuted back."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if not axes:
            perm = tuple(range(self.ndim))[::-1]
        elif len(axes) == self.ndim and _normalise_axes(axes, self.ndim) == tuple(range(self.ndim)):
            perm = tuple(int(a) % self.ndim for a in axes)
        else:
            raise ValueError(f"transpose: axes must be a permutation of {tuple(range(self.ndim))}, got {axes}")
        # forward: axis i of the output is axis perm[i] of the input; backward undoes it
        out = Tensor._make(self.data.transpose(perm), (self,), "transpose")

        def _backward():
            self.grad += out.grad.transpose(np.argsort(perm))
        out._backward = _backward
        return out

    T = property(lambda self: self.transpose())

    def __getitem__(self, index: Any) -> "Tensor":
        """NumPy indexing (ints, slices, integer arrays). The gradient is scattered back with
        ``np.add.at``, so an entry picked twice (``x[[0, 0]]``) gets both gradients."""
        if isinstance(index, Tensor) or (isinstance(index, tuple) and any(isinstance(i, Tensor) for i in index)):
            raise ValueError("index a Tensor with ints, slices or integer NumPy arrays, got a Tensor")
        out = Tensor._make(self.data[index], (self,), "index")

        def _backward():
            np.add.at(self.grad, index, out.grad)  # += that adds repeated indices (self.grad[index] += would not)
        out._backward = _backward
        return out


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` depends on, inputs (constants included) before the tensors made
    from them. Iterative depth-first search, so deep graphs cannot hit Python's recursion limit."""
    if not isinstance(root, Tensor):
        raise TypeError(f"root must be a Tensor, got {type(root).__name__}")
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents)
    return order
