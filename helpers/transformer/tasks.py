r"""A sequence task a transformer solves exactly (notebook 11): reverse a string of digits.

Input :math:`x = (x_0, \dots, x_{T-1})`, target :math:`y_t = x_{T-1-t}`. Every output position
must copy the input at the *mirror position*, so the task is pure routing by position: easy for
attention that knows where each token sits, impossible for one that does not (attention without a
position signal is permutation-equivariant, :func:`permutation_equivariance_gap`).

The model reads the whole input at once (``GPTConfig(causal=False)``, an encoder) and predicts all
T outputs in parallel with a per-position cross-entropy loss. Held-out sequences are drawn with a
separate seed and never appear in a training batch.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from helpers.core.loop import check_loop_args
from helpers.core.checks import check_array, check_range, check_seed, check_type

__all__ = ["make_reversal_data", "predict", "exact_match", "token_accuracy", "train_reversal",
           "permutation_equivariance_gap"]


def make_reversal_data(n: int, length: int = 12, vocab: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random digit strings and their reversals.

    Shape: returns x (n, T) and y (n, T), int64 in [0, vocab), with ``y = x[:, ::-1]``.
    """
    check_seed(seed)
    check_range(n, "n", 1, None, integer=True)
    check_range(length, "length", 1, 18, integer=True)  # 18 digits still fit the int64 codes below
    check_range(vocab, "vocab", 2, 10, integer=True)
    x = np.random.default_rng(seed).integers(0, vocab, size=(n, length))
    return x, x[:, ::-1].copy()


def _codes(x: np.ndarray) -> np.ndarray:
    """Each row of digits as one int64 (its base-10 number), for fast set membership. (N, T) -> (N,)."""
    return x @ (10 ** np.arange(x.shape[1], dtype=np.int64))


def _as_ids(x: np.ndarray, name: str) -> torch.Tensor:
    return torch.from_numpy(check_array(x, name, ndim=2, dtype="int"))


@torch.no_grad()
def predict(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's most likely output digit at every position. Shape: (N, T) -> (N, T) int64."""
    check_type(model, "model", torch.nn.Module, "a torch model (GPT)")
    was_training = model.training
    model.eval()
    out = model(_as_ids(x, "x")).argmax(dim=-1).numpy()  # (N, T, K) -> (N, T)
    model.train(was_training)
    return out


def exact_match(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of sequences whose every output position is right (the task's real metric)."""
    y = check_array(y, "y", ndim=2, dtype="int", shape=np.shape(x))
    return float(np.mean(np.all(predict(model, x) == y, axis=1)))


def token_accuracy(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of individual output digits that are right."""
    y = check_array(y, "y", ndim=2, dtype="int", shape=np.shape(x))
    return float(np.mean(predict(model, x) == y))


def train_reversal(model: torch.nn.Module, x_val: np.ndarray, y_val: np.ndarray, steps: int = 300,
                   batch_size: int = 64, lr: float = 3e-3, vocab: int = 10, seed: int = 0,
                   eval_every: int = 10, plot: bool = True, progress: bool = True,
                   on_step=None) -> dict[str, list[float]]:
    r"""Train on fresh random strings with Adam and the per-position cross-entropy
    :math:`\mathcal L = -\frac{1}{NT}\sum_{n,t} \log p(y_{n,t} \mid x_n)`.

    Training strings that happen to equal a held-out one are dropped from the batch. Shows a live
    plot (redrawn every 50 steps at most) and a progress bar in Jupyter. The course's loop shape
    (:mod:`helpers.core.loop`): ``on_step(step, record)`` after every update; returns
    ``{"step", "loss", "eval_step", "val_exact"}`` (the held-out score every ``eval_every`` steps).
    """
    from helpers.core.plotting import LivePlot
    from helpers.core.progress import Progress

    check_type(model, "model", torch.nn.Module, "a torch model (GPT)")
    check_range(steps, "steps", 1, None, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_range(eval_every, "eval_every", 1, None, integer=True)
    check_range(vocab, "vocab", 2, 10, integer=True)
    check_loop_args(seed=seed, on_step=on_step)
    x_val = check_array(x_val, "x_val", ndim=2, dtype="int")
    y_val = check_array(y_val, "y_val", dtype="int", shape=x_val.shape)
    T = x_val.shape[1]
    held_out = set(_codes(x_val).tolist())
    if len(held_out) >= vocab ** T:
        raise ValueError(f"x_val holds every one of the {vocab ** T} possible strings: none is left to train on")
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    live = LivePlot(["train loss", "held-out exact-match acc"], every=max(eval_every, 50), show=plot,
                    title="reversing digit strings")
    history: dict[str, list[float]] = {"step": [], "loss": [], "eval_step": [], "val_exact": []}
    model.train()
    for step in Progress(range(1, steps + 1), show=progress, desc="training", min_interval=1.0):
        while True:  # a batch of held-out strings only would be empty, with a NaN loss: draw again
            x = rng.integers(0, vocab, size=(batch_size, T))
            x = x[[c not in held_out for c in _codes(x).tolist()]]    # never train on a test string
            if len(x):
                break
        xb = torch.from_numpy(x)
        logits = model(xb)                                             # (N, T, K)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), xb.flip(1).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history["step"].append(step)
        history["loss"].append(loss.item())
        values = {"train loss": loss.item()}
        if step % eval_every == 0 or step == steps:
            acc = exact_match(model, x_val, y_val)
            history["eval_step"].append(step)
            history["val_exact"].append(acc)
            values["held-out exact-match acc"] = acc
        live.update(step, **values)
        if on_step is not None:
            on_step(step, values)
    live.close()
    return history


@torch.no_grad()
def permutation_equivariance_gap(model: torch.nn.Module, x: np.ndarray, seed: int = 0) -> float:
    r"""Shuffle each input's positions and measure :math:`\max|f(\pi x) - \pi f(x)|` over the logits.

    Zero (up to rounding) means the model is permutation-equivariant: moving an input token moves
    its output with it and changes nothing else, so the model cannot know *where* a token is.
    Attention without a position signal (and without a causal mask) has this property exactly.
    """
    check_type(model, "model", torch.nn.Module, "a torch model (GPT)")
    ids = _as_ids(x, "x")
    perm = torch.from_numpy(np.random.default_rng(check_seed(seed)).permutation(ids.shape[1]))
    was_training = model.training
    model.eval()
    gap = (model(ids[:, perm]) - model(ids)[:, perm]).abs().max().item()  # (N, T, K) both
    model.train(was_training)
    return gap
