r"""Notebook 13's experiment: a teacher, a student trained alone and a distilled student, on digits.

The set-up: a wide teacher MLP is trained on the full digits training split; a small student
only sees a few labelled examples (``n_student`` of them). Trained alone it learns from one-hot
labels; distilled, it also learns from the teacher's softened predictions on those same
examples (:func:`helpers.compression.distill.distillation_loss_torch`). Same student, same examples, same
number of steps, same seed: the only difference is the loss.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from helpers.compression.distill import distillation_loss_torch
from helpers.core.progress import Progress
from helpers.core.loop import History, OnStep, check_loop_args, new_history, record_step, steps_range
from helpers.core.checks import check_range, check_seed, check_type
from helpers.core.metrics import accuracy

__all__ = ["DigitsTensors", "digits_tensors", "make_mlp", "train_classifier",
           "StudentRow", "compare_students", "plot_students", "latency_ms"]


@dataclass(frozen=True)
class DigitsTensors:
    """Flattened 8x8 digits as float32 tensors. Shape: ``X_*`` (N, 64), ``y_*`` (N,) int64."""

    X_train: object
    y_train: object
    X_test: object
    y_test: object


def digits_tensors(test: float = 0.4, seed: int = 0) -> DigitsTensors:
    """scikit-learn's digits (pixels in [0, 1]) as a stratified train/test split of torch tensors."""
    check_seed(seed)
    import torch
    from sklearn.model_selection import train_test_split

    from helpers.core.data import load_digits

    check_range(test, "test", 0.0, 1.0, low_inclusive=False)
    X, y = load_digits(flatten=True)                                  # (1797, 64), (1797,)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test, random_state=seed, stratify=y)
    f = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return DigitsTensors(f(Xtr), torch.tensor(ytr), f(Xte), torch.tensor(yte))


def make_mlp(hidden: int, D: int = 64, K: int = 10, seed: int = 0):
    """A one-hidden-layer ReLU network D -> hidden -> K with seeded initial weights."""
    check_seed(seed)
    import torch
    from torch import nn

    check_range(hidden, "hidden", 1, None, integer=True)
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(D, hidden), nn.ReLU(), nn.Linear(hidden, K))


def _check_inputs(X, y=None) -> None:
    """X a non-empty finite float tensor (N, ...); y, if given, (N,) int64 labels."""
    import torch

    if not isinstance(X, torch.Tensor) or not X.is_floating_point() or X.dim() < 2 or len(X) == 0:
        got = f"{X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) else type(X).__name__
        raise ValueError(f"X must be a non-empty float tensor (N, ...) (see digits_tensors), got {got}")
    if not bool(torch.isfinite(X).all()):
        raise ValueError("X must be finite, got NaN/inf values")
    if y is not None and (not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or tuple(y.shape) != (len(X),)):
        got = f"{y.dtype} tensor of shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y must be an int64 tensor of shape ({len(X)},), got {got}")


def _check_labels(model, X, y) -> None:
    """y in [0, K) for the model's K outputs (one forward pass in eval mode: no dropout draw, no
    batch-norm update)."""
    import torch

    check_type(model, "model", torch.nn.Module, "a torch.nn.Module")
    was_training = model.training
    with torch.no_grad():
        K = model.eval()(X[:1]).shape[-1]
    model.train(was_training)
    if y.min() < 0 or y.max() >= K:
        raise ValueError(f"y must hold class labels in [0, {K - 1}] (the model has {K} outputs), got values "
                         f"from {y.min().item()} to {y.max().item()}")


def train_classifier(model, X, y, steps: int = 400, teacher_logits=None, T: float = 4.0,
                     alpha: float = 0.3, lr: float = 3e-3, batch_size: int = 64, seed: int = 0,
                     progress: bool = False, on_step: OnStep | None = None) -> History:
    """Adam on minibatches for a fixed number of steps; returns the history of every step's loss
    (the course's loop shape, :mod:`helpers.core.loop`).

    With ``teacher_logits`` (one row per training example) the loss is the distillation loss,
    otherwise plain cross-entropy. ``progress`` shows a progress bar with the running loss.

    Shape:
        X: (N, D); y: (N,); teacher_logits: (N, K) or None.
    """
    import torch
    import torch.nn.functional as F

    check_loop_args(steps, batch_size, lr, seed, on_step)
    _check_inputs(X, y)
    _check_labels(model, X, y)
    if teacher_logits is not None and tuple(teacher_logits.shape[:1]) != tuple(X.shape[:1]):
        raise ValueError(f"teacher_logits must have one row per example ({X.shape[0]}), "
                         f"got shape {tuple(teacher_logits.shape)}")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = new_history()
    bar = Progress(range(1, steps + 1), desc="training", show=progress)
    for step in bar:
        idx = torch.randint(0, len(X), (min(batch_size, len(X)),), generator=gen)
        z = model(X[idx])
        if teacher_logits is None:
            loss = F.cross_entropy(z, y[idx])
        else:
            loss = distillation_loss_torch(z, teacher_logits[idx], y[idx], T=T, alpha=alpha)
        opt.zero_grad()
        loss.backward()
        opt.step()
        record_step(history, step, on_step, loss=loss.item())
        if progress and step % 50 == 0:
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}")
    return history


@dataclass(frozen=True)
class StudentRow:
    """One seed of the comparison: test accuracy of the student alone and distilled."""

    seed: int
    alone: float
    distilled: float


def _check_comparison(teacher, data, seeds, n_student: int) -> None:
    import torch

    check_type(teacher, "teacher", torch.nn.Module, "a torch.nn.Module")
    check_type(data, "data", DigitsTensors, "a DigitsTensors (see digits_tensors)")
    check_type(seeds, "seeds", (list, tuple, range), "a list, tuple or range of seeds")
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got an empty sequence")
    for s in seeds:
        check_seed(s, "each of seeds")
    check_range(n_student, "n_student", 1, len(data.X_train), integer=True)


def compare_students(teacher, data: DigitsTensors, seeds=(0, 1, 2), n_student: int = 100,
                     hidden: int = 16, steps: int = 400, T: float = 4.0, alpha: float = 0.3) -> list[StudentRow]:
    """For each seed: pick ``n_student`` training examples, train the same student twice, test both."""
    import torch

    _check_comparison(teacher, data, seeds, n_student)
    rows = []
    for seed in seeds:
        sub = torch.tensor(np.random.default_rng(seed).choice(len(data.X_train), n_student, replace=False))
        X, y = data.X_train[sub], data.y_train[sub]
        with torch.no_grad():
            z_t = teacher(X)                                          # (n_student, K)
        alone = make_mlp(hidden, seed=seed)
        train_classifier(alone, X, y, steps, seed=seed)
        distilled = make_mlp(hidden, seed=seed)
        train_classifier(distilled, X, y, steps, teacher_logits=z_t, T=T, alpha=alpha, seed=seed)
        rows.append(StudentRow(seed, accuracy(alone, data.X_test, data.y_test),
                               accuracy(distilled, data.X_test, data.y_test)))
    return rows


def plot_students(rows: list[StudentRow]):
    """Grouped bars of test accuracy per seed: student alone vs distilled (a ``Figure``)."""
    from helpers.core.figures import PALETTE, new_figure

    if not rows:
        raise ValueError("rows must hold at least one StudentRow, got an empty list")
    for row in rows:
        check_type(row, "each of rows", StudentRow)
    fig = new_figure(6, 2.6)
    ax = fig.add_subplot()
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r.alone for r in rows], 0.4, label="student alone", color=PALETTE[0])
    ax.bar(x + 0.2, [r.distilled for r in rows], 0.4, label="student distilled", color=PALETTE[1], hatch="//",
           edgecolor="white")
    lo = min(min(r.alone, r.distilled) for r in rows)
    ax.set(xticks=x, xticklabels=[f"seed {r.seed}" for r in rows], ylabel="test accuracy",
           ylim=(max(0.0, lo - 0.1), 1.04), title="The same 16-unit student, 100 labelled digits: alone vs distilled")
    ax.legend(loc="upper left", fontsize=9, ncol=2)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def latency_ms(model, X, repeat: int = 50) -> float:
    """Median wall time of one forward pass on ``X`` in milliseconds (no gradients, 2 warm-ups)."""
    import torch

    check_range(repeat, "repeat", 1, None, integer=True)
    _check_inputs(X)
    times = []
    with torch.no_grad():
        for i in range(repeat + 2):
            start = time.perf_counter()
            model(X)
            if i >= 2:
                times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)
