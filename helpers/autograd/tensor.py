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

from helpers.core.checks import check_array

__all__ = ["Tensor", "unbroadcast", "topological_order"]

Backward = Callable[[np.ndarray], Sequence[Any]]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    r"""Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    If :math:`a` (shape ``shape``) was broadcast to :math:`\tilde a` (shape ``grad.shape``), each
    entry of :math:`a` appears in several entries of :math:`\tilde a`, so
    :math:`\partial L/\partial a = \sum_{\text{copies}} \partial L/\partial \tilde a`.

    Shape: ``grad`` (*, ...) -> ``shape``. Example: (N, D) -> (D,) sums over N; (N, D) -> (N, 1)
    sums over D keeping the axis.
    """
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
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis must be an int in [{-ndim}, {ndim - 1}] for a {ndim}-D tensor, got {axis!r}")
    return tuple(sorted(int(a) % max(ndim, 1) for a in axes))


class Tensor:
    """An array that records how it was computed, so that ``backward()`` can find its gradients.

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
        self._backward: Backward | None = None

    @classmethod
    def _from_op(cls, data: np.ndarray, parents: tuple["Tensor", ...], op: str, backward: Backward) -> "Tensor":
        # Results of operations skip validation (fast path; may legitimately hold inf while diverging).
        out = cls.__new__(cls)
        out.data, out.grad, out.name, out.op = data, None, "", op
        out.requires_grad = any(p.requires_grad for p in parents)
        out._parents = parents if out.requires_grad else ()
        out._backward = backward if out.requires_grad else None
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
        if not self.requires_grad:
            raise ValueError("backward() called on a tensor that does not require grad "
                             "(no input of its graph has requires_grad=True)")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"backward() without an upstream gradient needs a one-element tensor, "
                                 f"got shape {self.shape}; pass grad= of that shape")
            grad = np.ones_like(self.data)
        grad = check_array(grad, "grad", shape=self.shape, allow_empty=True)
        order = topological_order(self)
        # Intermediate gradients belong to this pass only: clearing them makes a second backward()
        # add exactly one more gradient to the leaves (as PyTorch does) instead of compounding.
        for node in order:
            if node._parents:
                node.grad = None
        self._accumulate(grad)
        for node in reversed(order):  # outputs before inputs: each node's grad is complete here
            if node._backward is None or node.grad is None:
                continue
            for parent, g in zip(node._parents, node._backward(node.grad)):
                if parent.requires_grad and g is not None:
                    parent._accumulate(g)

    def _accumulate(self, g: np.ndarray) -> None:
        g = unbroadcast(np.asarray(g, dtype=self.dtype), self.shape)
        if self.grad is None:
            self.grad = g.copy()  # a copy: `g` may be shared with another node's gradient
        else:
            self.grad += g  # accumulate, never overwrite: fan-out adds up

    # ------------------------------------------------------------------ elementwise binary ops
    def _binary(self, other: Any, op: str, fn: Callable, backward: Callable) -> "Tensor":
        b = self._lift(other)
        try:
            np.broadcast_shapes(self.shape, b.shape)
        except ValueError:
            raise ValueError(f"{op}: shapes {self.shape} and {b.shape} do not broadcast "
                             "(trailing sizes must match or be 1)") from None
        a = self
        out_data = fn(a.data, b.data)
        return Tensor._from_op(out_data, (a, b), op, lambda g: backward(g, a.data, b.data, out_data))

    def __add__(self, other: Any) -> "Tensor":
        return self._binary(other, "+", np.add, lambda g, a, b, o: (g, g))

    def __sub__(self, other: Any) -> "Tensor":
        return self._binary(other, "-", np.subtract, lambda g, a, b, o: (g, -g))

    def __mul__(self, other: Any) -> "Tensor":
        return self._binary(other, "*", np.multiply, lambda g, a, b, o: (g * b, g * a))

    def __truediv__(self, other: Any) -> "Tensor":
        return self._binary(other, "/", np.divide, lambda g, a, b, o: (g / b, -g * o / b))

    def __pow__(self, exponent: Any) -> "Tensor":
        r""":math:`a^p`: :math:`\partial/\partial a = p a^{p-1}`, :math:`\partial/\partial p = a^p \ln a`
        (the second only for a tensor exponent, and defined only where :math:`a > 0`)."""
        def backward(g, a, p, o):
            gp = None
            if isinstance(exponent, Tensor) and exponent.requires_grad:
                with np.errstate(divide="ignore", invalid="ignore"):
                    gp = g * o * np.log(a)
            return g * p * a ** (p - 1), gp
        return self._binary(exponent, "**", np.power, backward)

    def __neg__(self) -> "Tensor":
        return Tensor._from_op(-self.data, (self,), "neg", lambda g: (-g,))

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
        a, b = self, self._lift(other)
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match: the last axis of the "
                             f"first must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of "
                             "the second")
        out = np.matmul(a.data, b.data)

        def backward(g):
            a2 = a.data[None, :] if a.ndim == 1 else a.data  # (…, N, D)
            b2 = b.data[:, None] if b.ndim == 1 else b.data  # (…, D, K)
            g2 = g[..., None] if b.ndim == 1 else g  # restore the K axis a vector b dropped
            g2 = np.expand_dims(g2, -2) if a.ndim == 1 else g2  # and the N axis of a vector a: (…, N, K)
            ga = g2 @ np.swapaxes(b2, -1, -2) if a.requires_grad else None  # (…, N, D)
            gb = np.swapaxes(a2, -1, -2) @ g2 if b.requires_grad else None  # (…, D, K)
            if ga is not None and a.ndim == 1:
                ga = ga[..., 0, :]  # (…, D)
            if gb is not None and b.ndim == 1:
                gb = gb[..., 0]  # (…, D)
            return ga, gb
        return Tensor._from_op(out, (a, b), "@", backward)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return self._lift(other) @ self

    # ------------------------------------------------------------------ reductions
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> "Tensor":
        r""":math:`\sum` over ``axis``; the gradient copies :math:`\partial L/\partial\text{out}` back to
        every summed entry. Shape: (N, D) -> (D,) for ``axis=0``; -> () for ``axis=None``."""
        axes = _normalise_axes(axis, self.ndim)
        shape = self.shape

        def backward(g):
            g = g if keepdims else np.expand_dims(g, axes)  # restore the summed axes as size 1
            return (np.broadcast_to(g, shape),)
        return Tensor._from_op(self.data.sum(axis=axes, keepdims=keepdims), (self,), "sum", backward)

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
        x = self.data

        def backward(g):
            g = g if keepdims else np.expand_dims(g, axes)
            winners = (x == kept)
            return (g * winners / winners.sum(axis=axes, keepdims=True),)
        out = kept if keepdims else kept.reshape([s for i, s in enumerate(x.shape) if i not in axes])  # reduced axes dropped
        return Tensor._from_op(out, (self,), "max", backward)

    # ------------------------------------------------------------------ elementwise functions
    def _unary(self, out: np.ndarray, op: str, local: Callable[[np.ndarray], np.ndarray]) -> "Tensor":
        return Tensor._from_op(out, (self,), op, lambda g: (g * local(out),))

    def exp(self) -> "Tensor":
        r""":math:`e^x`, with :math:`\frac{d}{dx}e^x = e^x` (the output itself)."""
        with np.errstate(over="ignore"):  # overflow to inf is reported by the caller, not warned
            return self._unary(np.exp(self.data), "exp", lambda o: o)

    def log(self) -> "Tensor":
        r"""Natural log, :math:`\frac{d}{dx}\ln x = 1/x`. Needs :math:`x > 0`."""
        if np.any(self.data <= 0):
            raise ValueError(f"log needs positive inputs, got minimum {self.data.min():.3g}; "
                             "for probabilities use log_softmax on the logits instead")
        x = self.data
        return Tensor._from_op(np.log(x), (self,), "log", lambda g: (g / x,))

    def tanh(self) -> "Tensor":
        r""":math:`\tanh x`, with :math:`\frac{d}{dx}\tanh x = 1 - \tanh^2 x`."""
        return self._unary(np.tanh(self.data), "tanh", lambda o: 1.0 - o * o)

    def sigmoid(self) -> "Tensor":
        r""":math:`\sigma(x) = 1/(1+e^{-x})`, with :math:`\sigma' = \sigma(1-\sigma)`."""
        # exp(-log(1 + e^{-x})) computed with logaddexp never overflows, at either end.
        return self._unary(np.exp(-np.logaddexp(0.0, -self.data)), "sigmoid", lambda o: o * (1.0 - o))

    def relu(self) -> "Tensor":
        r""":math:`\max(0, x)`; derivative 1 for :math:`x > 0`, else 0 (0 at the kink, as PyTorch)."""
        mask = self.data > 0
        return Tensor._from_op(self.data * mask, (self,), "relu", lambda g: (g * mask,))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        r"""Log-probabilities :math:`x_k - \log\sum_j e^{x_j}` along ``axis``.

        Stable form: subtracting :math:`m = \max_j x_j` first gives
        :math:`(x_k - m) - \log\sum_j e^{x_j - m}`, the same number without overflow (every
        exponent is :math:`\le 0`). Backward: :math:`g - \mathrm{softmax}(x)\sum_j g_j`.

        Shape: (N, K) -> (N, K).
        """
        (ax,) = _normalise_axes(axis, self.ndim)
        shifted = self.data - self.data.max(axis=ax, keepdims=True)  # (N, K), every entry <= 0
        out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))
        return Tensor._from_op(out, (self,), "log_softmax",
                               lambda g: (g - np.exp(out) * g.sum(axis=ax, keepdims=True),))

    # ------------------------------------------------------------------ shape ops
    def reshape(self, *shape: int) -> "Tensor":
        """Same entries, new shape; the gradient is reshaped back."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self.data.reshape(shape)  # (*shape), same entries in the same (C) order
        except ValueError:
            raise ValueError(f"reshape: cannot view {self.size} entries of shape {self.shape} as shape {shape}") from None
        old = self.shape
        return Tensor._from_op(out, (self,), "reshape", lambda g: (g.reshape(old),))  # back to (*old)

    def transpose(self, *axes: int) -> "Tensor":
        """Permute axes (reverse them if none are given); the gradient is permuted back."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if not axes:
            perm = tuple(range(self.ndim))[::-1]
        elif len(axes) == self.ndim and _normalise_axes(axes, self.ndim) == tuple(range(self.ndim)):
            perm = tuple(int(a) % self.ndim for a in axes)
        else:
            raise ValueError(f"transpose: axes must be a permutation of {tuple(range(self.ndim))}, got {axes}")
        inverse = np.argsort(perm)
        # forward: axis i of the output is axis perm[i] of the input; backward undoes it
        return Tensor._from_op(self.data.transpose(perm), (self,), "transpose",
                               lambda g: (g.transpose(inverse),))

    T = property(lambda self: self.transpose())

    def __getitem__(self, index: Any) -> "Tensor":
        """NumPy indexing (ints, slices, integer arrays). The gradient is scattered back with
        ``np.add.at``, so an entry picked twice (``x[[0, 0]]``) gets both gradients."""
        if isinstance(index, Tensor) or (isinstance(index, tuple) and any(isinstance(i, Tensor) for i in index)):
            raise ValueError("index a Tensor with ints, slices or integer NumPy arrays, got a Tensor")
        x = self.data

        def backward(g):
            full = np.zeros_like(x)
            np.add.at(full, index, g)  # plain `full[index] += g` would drop repeated indices
            return (full,)
        return Tensor._from_op(x[index], (self,), "index", backward)


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor that ``root`` depends on (and requires grad), inputs before the tensors made
    from them. Iterative depth-first search, so deep graphs cannot hit Python's recursion limit."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or not node.requires_grad:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents)
    return order
