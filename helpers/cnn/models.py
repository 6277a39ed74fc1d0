r"""Notebook 09's PyTorch models: a small CNN for the 8×8 digits, an MLP of similar size, plain and
residual deep stacks, parameter counting, and a compact training loop.

* :class:`DigitsCNN`: two stages of 3×3 convolution + batch norm + ReLU + 2×2 max pooling, then
  a linear classifier (about 15 k parameters).
* :class:`DigitsMLP`: the comparison, a two-hidden-layer perceptron with batch norm (about 17 k).
* :class:`DeepConvNet`: ``blocks`` blocks of two 3×3 convolutions, either plain
  :math:`h \mapsto f(h)` or residual :math:`h \mapsto h + f(h)` (He et al., 2016, "Identity
  mappings in deep residual networks": the pre-activation form), to compare gradient flow.
* :func:`dense_params` / :func:`conv_params` / :func:`separable_params`: parameter counts, checked
  in the notebook against the ``numel`` of the matching PyTorch modules.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.loop import History, OnStep, check_class_labels, check_loop_args, new_history, record_step, steps_range
from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.core.data import Split
from helpers.core.metrics import accuracy

__all__ = ["dense_params", "conv_params", "separable_params", "DepthwiseSeparableConv",
           "gradient_footprint", "DigitsCNN", "DigitsMLP", "ResidualBlock", "DeepConvNet", "fit",
           "train_and_test", "predict", "confusion_matrix", "conv_grad_norms"]


# ----------------------------------------------------------------------------- parameter counts
def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    r"""A fully connected layer: every input feeds every output, :math:`n_\text{in} n_\text{out} + n_\text{out}`."""
    check_range(n_in, "n_in", 1, None, integer=True)
    check_range(n_out, "n_out", 1, None, integer=True)
    return n_in * n_out + (n_out if bias else 0)


def conv_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    r"""A k×k convolution: one kernel per (output, input) channel pair, shared over all positions,
    :math:`C_\text{out} C_\text{in} k^2 + C_\text{out}`, independent of the image size."""
    check_range(c_in, "c_in", 1, None, integer=True)
    check_range(c_out, "c_out", 1, None, integer=True)
    check_range(k, "k", 1, None, integer=True)
    return c_out * c_in * k * k + (c_out if bias else 0)


def separable_params(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    r"""Depthwise-separable convolution (MobileNet): a k×k filter per input channel, then a 1×1
    convolution that mixes channels, :math:`C_\text{in} k^2 + C_\text{in} + C_\text{in} C_\text{out} + C_\text{out}`."""
    return conv_params(1, c_in, k, bias) + conv_params(c_in, c_out, 1, bias)


def gradient_footprint(kernel_sizes: list[int], strides: list[int] | None = None,
                       dilations: list[int] | None = None, size: int = 64) -> int:
    """Receptive field *measured*: the width of the set of input pixels whose gradient is non-zero
    for one central output pixel of a stack of all-ones convolutions (compare with
    :func:`helpers.cnn.conv.receptive_field`)."""
    if not isinstance(kernel_sizes, (list, tuple)) or not kernel_sizes:
        raise ValueError(f"kernel_sizes must be a non-empty list of kernel widths, got {kernel_sizes!r}")
    n = len(kernel_sizes)
    strides, dilations = strides or [1] * n, dilations or [1] * n
    if len(strides) != n or len(dilations) != n:
        raise ValueError(f"strides and dilations need one entry per layer ({n}), got {len(strides)} and {len(dilations)}")
    for name, values in (("kernel_sizes", kernel_sizes), ("strides", strides), ("dilations", dilations)):
        for v in values:
            check_range(v, name, 1, None, integer=True)
    check_range(size, "size", 1, None, integer=True)
    span = 1 + sum((k - 1) * d * int(np.prod(strides[:i])) for i, (k, d) in enumerate(zip(kernel_sizes, dilations)))
    if span > size:
        raise ValueError(f"size must be at least the stack's receptive field ({span} pixels) to measure it, got {size}")
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    h = x
    for k, s, d in zip(kernel_sizes, strides, dilations):
        h = F.conv2d(h, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, dilation=d)
    h[0, 0, h.shape[2] // 2, h.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()  # input rows that matter
    return int(rows.max() - rows.min() + 1)


class DepthwiseSeparableConv(nn.Sequential):
    """A depthwise k×k convolution (``groups=c_in``: each channel filtered on its own) then a
    pointwise 1×1 convolution. Shape: (N, C_in, H, W) -> (N, C_out, H, W) with ``padding=k//2``."""

    def __init__(self, c_in: int, c_out: int, k: int = 3, **factory) -> None:
        check_range(c_in, "c_in", 1, None, integer=True)
        check_range(c_out, "c_out", 1, None, integer=True)
        check_range(k, "k", 1, None, integer=True)
        if k % 2 == 0:
            raise ValueError(f"k must be odd (padding k//2 keeps H and W only for odd k), got {k}")
        super().__init__(nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, **factory),
                         nn.Conv2d(c_in, c_out, 1, **factory))


# ----------------------------------------------------------------------------- digit classifiers
class DigitsCNN(nn.Module):
    """conv3×3 → BN → ReLU → conv3×3 → BN → ReLU → maxpool 2, twice over (8×8 → 4×4 → 2×2), then linear.

    Shape:
        x: (N, 1, 8, 8) standardised images -> logits (N, 10).
    """

    def __init__(self, c1: int = 16, c2: int = 32, classes: int = 10) -> None:
        check_range(c1, "c1", 1, None, integer=True)
        check_range(c2, "c2", 1, None, integer=True)
        check_range(classes, "classes", 1, None, integer=True)
        super().__init__()

        def unit(a: int, b: int) -> nn.Sequential:  # bias-free: batch norm's shift replaces it
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU())

        self.stages = nn.ModuleList([nn.Sequential(unit(1, c1), unit(c1, c2), nn.MaxPool2d(2)),
                                     nn.Sequential(unit(c2, c2), nn.MaxPool2d(2))])
        self.head = nn.Linear(c2 * 2 * 2, classes)

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The activations after each conv unit's ReLU: [(N, c1, 8, 8), (N, c2, 8, 8), (N, c2, 4, 4)]."""
        maps = []
        for stage in self.stages:
            for layer in stage:
                x = layer(x)
                if isinstance(layer, nn.Sequential):
                    maps.append(x)
        return maps

    def first_layer_kernels(self) -> np.ndarray:
        """The first convolution's weights as an array. Shape: (c1, 1, 3, 3)."""
        return self.stages[0][0][0].weight.detach().numpy().copy()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)                                # (N, c2, 2, 2) after both stages
        return self.head(x.flatten(1))                  # (N, c2·4) -> (N, classes)


class DigitsMLP(nn.Sequential):
    """Flatten → (linear → BN → ReLU) × 2 → linear: the CNN's comparison at a similar size.

    Shape:
        x: (N, 1, 8, 8) -> logits (N, 10).
    """

    def __init__(self, hidden: int = 96, classes: int = 10, pixels: int = 64) -> None:
        check_range(hidden, "hidden", 1, None, integer=True)
        check_range(classes, "classes", 1, None, integer=True)
        check_range(pixels, "pixels", 1, None, integer=True)
        super().__init__(nn.Flatten(),                  # (N, 1, 8, 8) -> (N, 64)
                         nn.Linear(pixels, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, classes))


# ----------------------------------------------------------------------------- plain vs residual
class ResidualBlock(nn.Module):
    r"""Two 3×3 convolutions :math:`f(h) = W_2 * \mathrm{ReLU}(W_1 * \mathrm{ReLU}(h))`, returning
    :math:`h + f(h)` if ``residual`` else :math:`f(h)` (the same layers without the skip).

    The skip makes the block's Jacobian :math:`I + \partial f/\partial h`: the gradient reaches
    earlier layers through the identity even when :math:`\partial f/\partial h` is tiny.
    """

    def __init__(self, width: int, residual: bool = True) -> None:
        check_range(width, "width", 1, None, integer=True)
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.residual = bool(residual)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        f = self.conv2(F.relu(self.conv1(F.relu(h))))
        return h + f if self.residual else f


class DeepConvNet(nn.Module):
    """A stem convolution, ``blocks`` :class:`ResidualBlock` s (2·blocks convolutions), global
    average pooling and a linear classifier; no normalisation, PyTorch's default initialisation.

    Shape:
        x: (N, 1, H, W) -> logits (N, classes).
    """

    def __init__(self, blocks: int = 8, width: int = 8, residual: bool = True, classes: int = 10) -> None:
        check_range(width, "width", 1, None, integer=True)
        check_range(classes, "classes", 1, None, integer=True)
        super().__init__()
        check_range(blocks, "blocks", 1, None, integer=True)
        self.stem = nn.Conv2d(1, width, 3, padding=1)
        self.blocks = nn.Sequential(*[ResidualBlock(width, residual) for _ in range(blocks)])
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.blocks(self.stem(x)))           # (N, width, H, W)
        return self.head(h.mean(dim=(2, 3)))            # (N, width) -> (N, classes)


def conv_grad_norms(model: nn.Module, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""The norm :math:`\lVert \partial L / \partial W_l \rVert` of every convolution's weight
    gradient, input to output, for the cross-entropy on (X, y). Shape: (number of convolutions,)."""
    X, y = _tensors(X, y)
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    norms = [m.weight.grad.norm().item() for m in model.modules() if isinstance(m, nn.Conv2d)]
    model.zero_grad()
    return np.array(norms)


# ----------------------------------------------------------------------------- training
def _tensors(X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    X = check_array(X, "X", ndim=(2, 4))
    y = check_array(y, "y", ndim=1, shape=(X.shape[0],), dtype="int")
    return torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)


def fit(model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int = 10, lr: float = 1e-2,
        batch_size: int = 64, seed: int = 0, progress: bool = False, on_step: OnStep | None = None) -> History:
    """Train with Adam and a one-cycle learning-rate schedule (warm-up, then cosine decay to ~0)
    for a fixed number of epochs; a seeded shuffle makes runs repeatable.

    The course's loop shape (:mod:`helpers.core.loop`), counted in ``epochs`` (whole passes over
    the data) rather than steps: ``on_step(step, {"loss": ...})`` is called after every update
    (e.g. to feed a LivePlot); a progress bar over epochs shows progress if ``progress``. Returns the
    history ``{"step": [...], "loss": [...]}`` of every update. Leaves the model in eval mode.

    Shape:
        X: (N, 1, H, W) or (N, D); y: (N,) integer classes.
    """
    X, y = _tensors(X, y)
    check_range(epochs, "epochs", 1, None, integer=True)
    check_loop_args(batch_size=batch_size, lr=lr, seed=seed, on_step=on_step)
    check_class_labels(model, X, y)
    from helpers.core.progress import Progress

    generator = torch.Generator().manual_seed(seed)
    batches = (len(X) + batch_size - 1) // batch_size
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * batches)
    history = new_history()
    model.train()
    for _ in Progress(range(epochs), desc=f"training {type(model).__name__}", unit="epoch", show=progress):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            record_step(history, len(history["step"]) + 1, on_step, loss=loss.item())
    model.eval()
    return history


def train_and_test(make_model: Callable[[], nn.Module], split, seed: int = 0, **fit_kwargs) -> float:
    """Seed PyTorch, build ``make_model()``, :func:`fit` it on ``split``'s training set (no progress
    bar) and return its test accuracy: one run of a seeded comparison."""
    check_seed(seed)
    check_type(split, "split", Split, "a helpers.core.data.Split")
    if not callable(make_model):
        raise TypeError(f"make_model must be a function returning a new model, got {type(make_model).__name__}")
    torch.manual_seed(seed)
    model = make_model()
    fit(model, split.X_train, split.y_train, seed=seed, progress=False, **fit_kwargs)
    return accuracy(model, split.X_test, split.y_test)


@torch.no_grad()
def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """Predicted classes in eval mode. Shape: X (N, ...) -> (N,) int64."""
    X = check_array(X, "X", ndim=(2, 4))
    model.eval()
    return model(torch.as_tensor(X, dtype=torch.float32)).argmax(dim=1).numpy()


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts ``M[t, p]`` of samples of true class t predicted as p. Shape: (classes, classes) int64."""
    y_true = check_array(y_true, "y_true", ndim=1, dtype="int")
    y_pred = check_array(y_pred, "y_pred", ndim=1, shape=y_true.shape, dtype="int")
    check_range(classes, "classes", 1, None, integer=True)
    for name, v in (("y_true", y_true), ("y_pred", y_pred)):
        if v.min() < 0 or v.max() >= classes:
            raise ValueError(f"{name} must lie in [0, {classes}), got range [{v.min()}, {v.max()}]")
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)
