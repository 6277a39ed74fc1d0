r"""SimCLR on the 8×8 digits: contrastive pre-training without labels, judged by a linear probe (notebook 18).

The recipe (Chen et al., 2020, "A simple framework for contrastive learning of visual
representations"):

1. draw a batch of :math:`N` unlabelled images and two random views of each
   (:func:`helpers.selfsupervised.views.two_views`);
2. encode every view, :math:`\mathbf h = f(\mathbf x)` (:class:`DigitEncoder`, the representation we
   keep), then project it, :math:`\mathbf z = g(\mathbf h)` (:class:`ProjectionHead`, thrown away
   afterwards);
3. minimise the NT-Xent loss of the :math:`2N` projections
   (:func:`helpers.selfsupervised.contrastive.nt_xent_torch`): each view must pick out its partner
   among the :math:`2N - 1` others.

**The linear probe** judges a representation by what a linear classifier can read from it with
few labels: standardised features, scikit-learn's ``LogisticRegression``, trained on 5 % of the
digits' labels (:func:`make_probe_task`) and tested on held-out digits. The same probe runs on
the raw pixels and on a randomly initialised :class:`DigitEncoder`, the two baselines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.core.data import load_digits
from helpers.representation.transfer import few_shot_subset
from helpers.selfsupervised.contrastive import nt_xent_torch
from helpers.selfsupervised.views import two_views

__all__ = ["DigitEncoder", "ProjectionHead", "ProbeTask", "make_probe_task", "train_simclr", "encode",
           "linear_probe", "random_encoder", "compare_probes", "Sweep", "sweep"]


class DigitEncoder(nn.Sequential):
    """The representation f: Flatten → Linear(64, 128) → BatchNorm → ReLU → Linear(128, 64) → BatchNorm → ReLU.

    Shape:
        x: (N, 8, 8) -> features (N, 64).
    """

    dim = 64

    def __init__(self, hidden: int = 128) -> None:
        check_range(hidden, "hidden", 1, None, integer=True)
        super().__init__(nn.Flatten(), nn.Linear(64, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, self.dim), nn.BatchNorm1d(self.dim), nn.ReLU())


class ProjectionHead(nn.Sequential):
    """The projection g used by the loss only: Linear(64, 64) → ReLU → Linear(64, 32).

    Shape:
        h: (N, 64) -> z: (N, 32).
    """

    def __init__(self, out: int = 32) -> None:
        check_range(out, "out", 1, None, integer=True)
        super().__init__(nn.Linear(DigitEncoder.dim, 64), nn.ReLU(), nn.Linear(64, out))


@dataclass(frozen=True)
class ProbeTask:
    """The digits split for self-supervised learning: an unlabelled pool and a held-out test set.

    ``labelled`` indexes the few pool images whose labels the probe may use.

    Shape:
        ``pool``: (N_pool, 8, 8); ``pool_labels``: (N_pool,); ``labelled``: (n_labels,);
        ``test``: (N_test, 8, 8); ``test_labels``: (N_test,).
    """

    pool: np.ndarray
    pool_labels: np.ndarray
    labelled: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray


def make_probe_task(seed: int = 0, label_fraction: float = 0.05, test: float = 0.3,
                    digits: tuple[np.ndarray, np.ndarray] | None = None) -> ProbeTask:
    """Split the 1,797 digits (stratified, seeded) into a pool and a test set, and pick
    ``label_fraction`` of all the digits' worth of labels from the pool, the same number per class.

    ``digits``: (images (N, 8, 8), labels (N,)) if already loaded (default: ``load_digits()``).

    Example:
        >>> task = make_probe_task(seed=0)
        >>> task.pool.shape, len(task.labelled), task.test.shape
        ((1257, 8, 8), 90, (540, 8, 8))
    """
    check_seed(seed)
    from sklearn.model_selection import train_test_split

    check_range(label_fraction, "label_fraction", 0.0, 0.5, low_inclusive=False)
    check_range(test, "test", 0.05, 0.9)
    images, labels = load_digits() if digits is None else digits      # (1797, 8, 8) in [0, 1], (1797,)
    images = check_array(images, "images", ndim=3)
    labels = check_array(labels, "labels", shape=(images.shape[0],), dtype="int")
    pool, test_x, pool_y, test_y = train_test_split(images, labels, test_size=test, random_state=seed,
                                                    stratify=labels)
    per_class = max(1, round(label_fraction * len(images) / 10))
    labelled = few_shot_subset(pool_y, per_class, seed=seed).numpy()
    return ProbeTask(pool, pool_y, labelled, test_x, test_y)


def train_simclr(images: np.ndarray, *, steps: int = 150, batch_size: int = 64, temperature: float = 0.5,
                 strength: float = 0.5, lr: float = 3e-3, seed: int = 0, progress: bool = False,
                 on_step: Callable[[int, dict], None] | None = None) -> tuple[DigitEncoder, ProjectionHead, dict]:
    """Contrastive pre-training of a :class:`DigitEncoder` (+ :class:`ProjectionHead`) on unlabelled images.

    Args:
        images: (N, 8, 8) unlabelled digits in [0, 1].
        steps, batch_size: Adam steps on batches of ``batch_size`` images (2 × batch_size views).
        temperature: the NT-Xent temperature τ; strength: the augmentation strength s in [0, 1].
        lr, seed: Adam's learning rate; seeds the weights, the batches and the views.
        progress: a progress bar; on_step: called as ``on_step(step, record)`` after every step.

    Returns:
        (encoder, head, history) with ``history = {"step": [...], "loss": [...]}``; the encoder is
        returned in eval mode (batch norm uses its running statistics).
    """
    images = check_array(images, "images", ndim=3)
    check_range(steps, "steps", 1, None, integer=True)
    check_range(batch_size, "batch_size", 2, len(images), integer=True)
    check_range(temperature, "temperature", 0.0, None, low_inclusive=False)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    torch.manual_seed(seed)
    encoder, head = DigitEncoder(), ProjectionHead()
    opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=lr)
    rng = np.random.default_rng(seed)
    history: dict[str, list] = {"step": [], "loss": []}
    encoder.train()
    from helpers.core.progress import Progress

    for step in Progress(range(1, steps + 1), desc="SimCLR", show=progress):
        batch = images[rng.choice(len(images), batch_size, replace=False)]          # (N, 8, 8)
        v1, v2 = (torch.as_tensor(v, dtype=torch.float32) for v in two_views(batch, rng, strength))
        loss = nt_xent_torch(head(encoder(v1)), head(encoder(v2)), temperature)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history["step"].append(step)
        history["loss"].append(loss.item())
        if on_step is not None:
            on_step(step, {"loss": history["loss"][-1]})
    encoder.eval()
    return encoder, head, history


@torch.no_grad()
def encode(encoder: nn.Module, images: np.ndarray) -> np.ndarray:
    """Features of ``images`` under ``encoder`` in eval mode, as float64 NumPy.

    Shape:
        images: (N, 8, 8) -> (N, D).
    """
    check_type(encoder, "encoder", nn.Module, "a torch.nn.Module")
    images = check_array(images, "images", ndim=3)
    was_training = encoder.training
    encoder.eval()
    out = encoder(torch.as_tensor(images, dtype=torch.float32)).double().numpy()
    encoder.train(was_training)
    return out


def linear_probe(train_features: np.ndarray, train_labels: np.ndarray, test_features: np.ndarray,
                 test_labels: np.ndarray, C: float = 1.0) -> float:
    r"""Test accuracy of a logistic-regression classifier on standardised features.

    Features are standardised with the *training* features' mean and standard deviation (a
    feature that never varies is left at 0), so pixels and learned features get the same probe.

    Shape:
        train_features: (n, D); train_labels: (n,); test_features: (M, D); test_labels: (M,).
    """
    from sklearn.linear_model import LogisticRegression

    Ftr = check_array(train_features, "train_features", ndim=2)
    Fte = check_array(test_features, "test_features", shape=(None, Ftr.shape[1]))
    ytr = check_array(train_labels, "train_labels", shape=(Ftr.shape[0],), dtype="int")
    yte = check_array(test_labels, "test_labels", shape=(Fte.shape[0],), dtype="int")
    mean, std = Ftr.mean(axis=0), Ftr.std(axis=0)
    std = np.where(std > 1e-8, std, 1.0)                              # constant features stay 0, not 0/0
    clf = LogisticRegression(C=C, max_iter=3000).fit((Ftr - mean) / std, ytr)
    return float(clf.score((Fte - mean) / std, yte))


def random_encoder(seed: int = 0) -> DigitEncoder:
    """A :class:`DigitEncoder` with its random initial weights (seeded), in eval mode."""
    check_seed(seed)
    torch.manual_seed(10_000 + seed)                                  # not the trained run's initial weights
    return DigitEncoder().eval()


def _probe_all(task: ProbeTask, encoders: dict[str, nn.Module | None]) -> dict[str, float]:
    lab = task.labelled
    out = {}
    for name, encoder in encoders.items():
        if encoder is None:                                           # raw pixels
            Ftr, Fte = task.pool[lab].reshape(len(lab), -1), task.test.reshape(len(task.test), -1)
        else:
            Ftr, Fte = encode(encoder, task.pool[lab]), encode(encoder, task.test)
        out[name] = linear_probe(Ftr, task.pool_labels[lab], Fte, task.test_labels)
    return out


def compare_probes(seeds=(0, 1, 2, 3, 4), label_fraction: float = 0.05, **simclr_kwargs) -> dict[str, np.ndarray]:
    """For every seed: a new split and label draw, SimCLR pre-training on the pool, then the same
    linear probe on the contrastive features, the raw pixels and a random encoder.

    Returns:
        ``{"contrastive": (S,), "pixels": (S,), "random encoder": (S,)}`` test accuracies, S = len(seeds).
    """
    check_type(seeds, "seeds", (list, tuple, range), "a list, tuple or range of seeds")
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got an empty sequence")
    for s in seeds:
        check_seed(s, "each of seeds")
    rows: dict[str, list[float]] = {"contrastive": [], "pixels": [], "random encoder": []}
    digits = load_digits()
    for seed in seeds:
        task = make_probe_task(seed=seed, label_fraction=label_fraction, digits=digits)
        encoder, _, _ = train_simclr(task.pool, seed=seed, **simclr_kwargs)
        acc = _probe_all(task, {"contrastive": encoder, "pixels": None, "random encoder": random_encoder(seed)})
        for name, value in acc.items():
            rows[name].append(value)
    return {name: np.array(values) for name, values in rows.items()}


@dataclass(frozen=True)
class Sweep:
    """SimCLR trained at every (temperature, strength) of a grid, on one task.

    ``models[(i, j)]`` is the (encoder, head) trained at ``temperatures[i]``, ``strengths[j]``;
    ``accuracy[i, j]`` its linear-probe accuracy; ``baselines`` the pixels' and the random encoder's.
    """

    temperatures: tuple[float, ...]
    strengths: tuple[float, ...]
    accuracy: np.ndarray                       # (len(temperatures), len(strengths))
    final_loss: np.ndarray                     # same shape
    models: dict[tuple[int, int], tuple[DigitEncoder, ProjectionHead]]
    baselines: dict[str, float]
    task: ProbeTask


def sweep(temperatures=(0.1, 0.5, 1.0), strengths=(0.0, 0.5, 1.0), seed: int = 0, **simclr_kwargs) -> Sweep:
    """Train SimCLR at every grid point (same task, same seed) and probe each encoder.

    Example:
        >>> s = sweep((0.5,), (0.0,), steps=2)
        >>> s.accuracy.shape, sorted(s.baselines)
        ((1, 1), ['pixels', 'random encoder'])
    """
    check_seed(seed)
    temperatures = check_array(temperatures, "temperatures", ndim=1, allow_empty=True)
    strengths = check_array(strengths, "strengths", ndim=1, allow_empty=True)
    temperatures, strengths = tuple(float(t) for t in temperatures), tuple(float(s) for s in strengths)
    if not temperatures or not strengths:
        raise ValueError(f"temperatures and strengths must be non-empty, got {temperatures} and {strengths}")
    task = make_probe_task(seed=seed)
    acc = np.zeros((len(temperatures), len(strengths)))
    loss = np.zeros_like(acc)
    models = {}
    for i, tau in enumerate(temperatures):
        for j, s in enumerate(strengths):
            encoder, head, hist = train_simclr(task.pool, temperature=tau, strength=s, seed=seed, **simclr_kwargs)
            models[(i, j)] = (encoder, head.eval())
            acc[i, j] = _probe_all(task, {"x": encoder})["x"]
            loss[i, j] = np.mean(hist["loss"][-10:])
    baselines = _probe_all(task, {"pixels": None, "random encoder": random_encoder(seed)})
    return Sweep(temperatures, strengths, acc, loss, models, baselines, task)
