r"""Transfer learning on the digits: pre-train on one task, reuse the features for 5-9 with few labels.

The tasks (:func:`make_tasks`, from scikit-learn's bundled 8×8 digits, no download):

* **target task**: classify the digits 5-9 from only ``n_per_class`` labelled images per class,
  drawn (seeded) from a *pool*; tested on a fixed, disjoint set of 5-9 images;
* **source task A, supervised**: classify the digits 0-4, with all their labels;
* **source task B, a pretext task**: *denoising*, rebuild a clean digit from a noisy copy
  (Vincent et al., 2008, "Extracting and composing robust features with denoising
  autoencoders"). It needs no labels, so it can use every image we have except the test images:
  the 0-4 images and the 5-9 pool, labels removed. Unlabelled images are cheap; labels are not.

One architecture throughout: :class:`FeatureMLP` (64 -> 128 -> 128, ReLU) and a linear head.
On the target, with the same labelled images, head initialisation, minibatches and number of
steps, :func:`compare_transfer` trains it

* from **scratch** (random features, everything trained);
* as a **linear probe**: pre-trained features frozen, only the head trained;
* **fine-tuned**: pre-trained features as the starting point, everything trained (the features
  at a 10× smaller learning rate than the new head, so the few labels adjust them gently).

Notebook 15, section 3.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.loop import History, OnStep, check_class_labels, check_loop_args, new_history, record_step, steps_range
from helpers.core.checks import check_array, check_choice, check_range, check_seed, check_type
from helpers.core.metrics import accuracy

__all__ = ["Tasks", "make_tasks", "FeatureMLP", "make_classifier", "train",
           "pretrain_supervised", "pretrain_denoising", "few_shot_subset", "compare_transfer"]

MODES = ("scratch", "probe", "finetune")


@dataclass(frozen=True)
class Tasks:
    """Flattened digits as float32 tensors (pixels in [0, 1]) and int64 labels 0-4.

    Target labels are shifted (digit 5 -> 0, ..., 9 -> 4) so both tasks have a 5-way head.

    Shape:
        ``X_*``: (N, 64); ``y_*``: (N,).
    """

    X_source: torch.Tensor
    y_source: torch.Tensor
    X_source_test: torch.Tensor
    y_source_test: torch.Tensor
    X_pool: torch.Tensor
    y_pool: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    def unlabelled(self) -> torch.Tensor:
        """Every image except the target test images, for a pretext task. Shape: (N, 64)."""
        return torch.cat([self.X_source, self.X_source_test, self.X_pool])


def make_tasks(test: float = 0.5, seed: int = 0) -> Tasks:
    """Split the digits into the source task (0-4: train / test) and the target task (5-9: pool / test).

    ``test`` is the held-out fraction in both tasks (stratified by digit, seeded).
    """
    check_seed(seed)
    from sklearn.model_selection import train_test_split

    from helpers.core.data import load_digits

    check_range(test, "test", 0.0, 1.0, low_inclusive=False)
    X, labels = load_digits(flatten=True)                              # (1797, 64) in [0, 1]
    src, tgt = labels < 5, labels >= 5
    Xs, Xst, ys, yst = train_test_split(X[src], labels[src], test_size=test, random_state=seed,
                                        stratify=labels[src])
    Xp, Xt, yp, yt = train_test_split(X[tgt], labels[tgt] - 5, test_size=test, random_state=seed,
                                      stratify=labels[tgt])
    def f(a: np.ndarray) -> torch.Tensor:
        return torch.tensor(a, dtype=torch.float32)

    return Tasks(f(Xs), torch.tensor(ys), f(Xst), torch.tensor(yst), f(Xp), torch.tensor(yp), f(Xt), torch.tensor(yt))


class FeatureMLP(nn.Sequential):
    """The shared feature extractor: Linear(64, 128) → ReLU → Linear(128, 128) → ReLU.

    Shape:
        x: (N, 64) -> features (N, 128).
    """

    dim = 128

    def __init__(self, D: int = 64) -> None:
        check_range(D, "D", 1, None, integer=True)
        super().__init__(nn.Linear(D, self.dim), nn.ReLU(), nn.Linear(self.dim, self.dim), nn.ReLU())


def make_classifier(features: FeatureMLP | None = None, classes: int = 5, seed: int = 0) -> nn.Sequential:
    """A copy of ``features`` (fresh random ones if None) followed by a new linear head, seeded.

    The head is drawn first, so for one seed it is the same whatever the features are.

    Shape:
        x: (N, 64) -> logits (N, classes).
    """
    check_seed(seed)
    check_range(classes, "classes", 2, None, integer=True)
    if features is not None and not isinstance(features, FeatureMLP):
        raise ValueError(f"features must be a FeatureMLP or None, got {type(features).__name__}")
    torch.manual_seed(seed)
    head = nn.Linear(FeatureMLP.dim, classes)
    body = FeatureMLP() if features is None else copy.deepcopy(features)
    return nn.Sequential(body, head)


def train(model: nn.Sequential, X: torch.Tensor, y: torch.Tensor, steps: int = 200, lr: float = 3e-3,
          mode: str = "scratch", batch_size: int = 64, seed: int = 0, progress: bool = False,
          on_step: OnStep | None = None) -> History:
    r"""Adam on the cross-entropy for ``steps`` minibatch steps (seeded); returns the history of
    every step's loss (:mod:`helpers.core.loop`).

    ``mode``: "scratch" trains everything at ``lr``; "probe" freezes ``model[0]`` (the features)
    and trains the head only; "finetune" trains the head at ``lr`` and the features at ``lr / 10``.

    Shape:
        X: (N, 64); y: (N,) int64.
    """
    check_choice(mode, "mode", MODES)
    check_loop_args(steps, batch_size, lr, seed, on_step)
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise ValueError(f"X and y must be torch tensors, got {type(X).__name__} and {type(y).__name__}")
    if X.ndim != 2 or tuple(y.shape) != (X.shape[0],) or len(X) == 0:
        raise ValueError(f"X must have shape (N, D) and y (N,) with N >= 1, got {tuple(X.shape)} and {tuple(y.shape)}")
    if not bool(torch.isfinite(X).all()):
        raise ValueError("X must be finite, got NaN/inf values")
    if y.dtype != torch.int64:
        raise ValueError(f"y must hold int64 class labels, got dtype {y.dtype}")
    check_class_labels(model, X, y)
    body, head = model[0], model[1]
    for p in body.parameters():  # a probe computes no gradients for the frozen features at all
        p.requires_grad_(mode != "probe")
    groups = [{"params": list(head.parameters()), "lr": lr}]
    if mode != "probe":
        groups.append({"params": list(body.parameters()), "lr": lr / 10 if mode == "finetune" else lr})
    opt = torch.optim.Adam(groups)
    gen = torch.Generator().manual_seed(seed)
    history = new_history()
    for step in steps_range(steps, progress):
        idx = torch.randint(0, len(X), (min(batch_size, len(X)),), generator=gen)
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        record_step(history, step, on_step, loss=loss.item())
    for p in body.parameters():
        p.requires_grad_(True)
    return history


def pretrain_supervised(tasks: Tasks, steps: int = 400, seed: int = 0) -> tuple[FeatureMLP, float]:
    """Source task A: train a classifier of 0-4 from scratch. Returns its features and its
    accuracy on the held-out 0-4 images."""
    check_type(tasks, "tasks", Tasks, "the Tasks of make_tasks")
    model = make_classifier(None, classes=5, seed=seed)
    train(model, tasks.X_source, tasks.y_source, steps=steps, mode="scratch", seed=seed)
    return model[0], accuracy(model, tasks.X_source_test, tasks.y_source_test)


def pretrain_denoising(X: torch.Tensor, steps: int = 1500, noise: float = 0.5, lr: float = 3e-3,
                       batch_size: int = 128, seed: int = 0, progress: bool = False,
                       on_step: OnStep | None = None) -> tuple[FeatureMLP, History]:
    r"""Source task B: a denoising autoencoder. The encoder is a :class:`FeatureMLP`, the decoder
    128 -> 128 -> 64; each step adds Gaussian noise :math:`\tilde{\mathbf x} = \mathbf x + \sigma\boldsymbol\epsilon`
    and minimises :math:`\lVert \mathrm{dec}(\mathrm{enc}(\tilde{\mathbf x})) - \mathbf x \rVert^2`
    (mean over pixels). To undo the noise the features must capture what digits look like.

    Shape:
        X: (N, 64) unlabelled images. Returns (encoder, history of every step's loss).
    """
    check_seed(seed)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_loop_args(steps, batch_size, lr, seed, on_step)
    check_range(noise, "noise", 0.0, None)
    if not isinstance(X, torch.Tensor):
        raise ValueError(f"X must be a torch.Tensor of shape (N, D), got {type(X).__name__}")
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (N, D) with N >= 1, got {tuple(X.shape)}")
    if not bool(torch.isfinite(X).all()):
        raise ValueError("X must be finite, got NaN/inf values")
    torch.manual_seed(seed)
    encoder = FeatureMLP(X.shape[1])
    decoder = nn.Sequential(nn.Linear(FeatureMLP.dim, FeatureMLP.dim), nn.ReLU(), nn.Linear(FeatureMLP.dim, X.shape[1]))
    opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = new_history()
    for step in steps_range(steps, progress):
        clean = X[torch.randint(0, len(X), (min(batch_size, len(X)),), generator=gen)]   # (B, 64)
        noisy = clean + noise * torch.randn(clean.shape, generator=gen)
        loss = ((decoder(encoder(noisy)) - clean) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        record_step(history, step, on_step, loss=loss.item())
    return encoder, history


def few_shot_subset(y: torch.Tensor, n_per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``n_per_class`` examples of every class of ``y``, drawn without replacement (seeded).

    Shape:
        y: (N,) -> (n_per_class × classes,) int64, sorted.
    """
    labels = check_array(y.numpy() if isinstance(y, torch.Tensor) else y, "y", ndim=1, dtype="int")
    check_range(n_per_class, "n_per_class", 1, None, integer=True)
    rng = np.random.default_rng(check_seed(seed))
    picks = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < n_per_class:
            raise ValueError(f"class {c} has only {len(members)} examples, fewer than n_per_class = {n_per_class}")
        picks.append(rng.choice(members, n_per_class, replace=False))
    return torch.as_tensor(np.sort(np.concatenate(picks)))


def compare_transfer(starts: dict[str, FeatureMLP], tasks: Tasks, seeds=(0, 1, 2, 3, 4), n_per_class: int = 5,
                     steps: int = 200, lr: float = 3e-3) -> dict[str, np.ndarray]:
    """Target-task test accuracy of every way of training, one entry per seed.

    For each seed: draw ``n_per_class`` labelled images per class, train from scratch, and for
    every pre-trained start (``{name: features}``) as a probe and fine-tuned; everything else
    (labelled images, head initialisation, minibatches, steps) is the same within a seed.

    Returns:
        ``{"scratch": (S,), "<name> probe": (S,), "<name> fine-tune": (S,), ...}`` with S = len(seeds).
    """
    check_type(starts, "starts", dict, "a dict name -> FeatureMLP")
    check_type(tasks, "tasks", Tasks, "the Tasks of make_tasks")
    seeds = [check_seed(s, "seeds[i]") for s in check_type(seeds, "seeds", (list, tuple, range), "a tuple of seeds")]
    runs = [("scratch", None, "scratch")]
    for name, features in starts.items():
        runs += [(f"{name} probe", features, "probe"), (f"{name} fine-tune", features, "finetune")]
    acc: dict[str, list[float]] = {key: [] for key, _, _ in runs}
    for seed in seeds:
        idx = few_shot_subset(tasks.y_pool, n_per_class, seed)
        X, y = tasks.X_pool[idx], tasks.y_pool[idx]
        for key, features, mode in runs:
            model = make_classifier(features, seed=seed)
            train(model, X, y, steps=steps, lr=lr, mode=mode, seed=seed)
            acc[key].append(accuracy(model, tasks.X_test, tasks.y_test))
    return {key: np.array(values) for key, values in acc.items()}
