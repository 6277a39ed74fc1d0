"""Character-level language modelling shared by notebooks 10 (LSTM) and 11 (tiny GPT).

Both chapters train on the same frozen corpus (``data/corpus.txt``), hold out the same last 10 %,
and report the same metric, so their numbers compare directly:

.. math::  \\text{bits per character} = \\frac{1}{T \\ln 2} \\sum_t -\\ln p(x_t \\mid x_{<t})

A model here is any ``torch.nn.Module`` mapping ids (N, T) int64 to logits (N, T, K).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from helpers.core.data import CharVocab, load_corpus
from helpers.core.checks import check_range

__all__ = ["CharCorpus", "load_char_corpus", "random_batch", "bits_per_char", "train_char_model", "sample"]


@dataclass(frozen=True)
class CharCorpus:
    """The corpus as ids: ``train`` is the first 90 %, ``val`` the held-out last 10 %."""

    text: str
    vocab: CharVocab
    train: np.ndarray  # (T_train,) int64
    val: np.ndarray    # (T_val,) int64


def load_char_corpus(val_fraction: float = 0.1) -> CharCorpus:
    """Load ``data/corpus.txt`` and split it by position (no shuffling: held-out text is unseen text)."""
    check_range(val_fraction, "val_fraction", 0.01, 0.5)
    text = load_corpus()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * (1 - val_fraction))
    return CharCorpus(text, vocab, ids[:cut], ids[cut:])


def random_batch(ids: np.ndarray, batch_size: int, seq_len: int, rng: np.random.Generator):
    """Random windows: inputs x (N, T) and next-character targets y (N, T), as torch int64."""
    import torch

    check_range(seq_len, "seq_len", 1, len(ids) - 2, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    starts = rng.integers(0, len(ids) - seq_len - 1, size=batch_size)
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]  # (N, T+1)
    chunk = torch.from_numpy(ids[idx])
    return chunk[:, :-1], chunk[:, 1:]


def bits_per_char(model, ids: np.ndarray, seq_len: int = 128, max_chars: int = 20_000) -> float:
    """Average next-character cross-entropy in bits over the first ``max_chars`` of ``ids``.

    The text is cut into consecutive windows of ``seq_len``; every character after the first of
    each window is predicted once (context restarts at window boundaries, for both chapters alike).
    """
    import torch
    import torch.nn.functional as F

    n = min(len(ids) - 1, max_chars) // seq_len * seq_len
    if n == 0:
        raise ValueError(f"need more than seq_len={seq_len} characters, got {len(ids)}")
    x = torch.from_numpy(ids[:n].reshape(-1, seq_len))       # (B, T)
    y = torch.from_numpy(ids[1:n + 1].reshape(-1, seq_len))  # (B, T)
    was_training = model.training
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), 64):
            logits = model(x[i:i + 64])                       # (b, T, K)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i:i + 64].reshape(-1),
                                     reduction="sum").item()
    model.train(was_training)
    return total / (n * math.log(2))


def train_char_model(model, corpus: CharCorpus, steps: int = 500, lr: float = 3e-3, batch_size: int = 32,
                     seq_len: int = 64, seed: int = 0, eval_every: int = 100, clip: float = 1.0,
                     plot: bool = True, progress: bool = True) -> dict[str, list[float]]:
    """Train with Adam on random windows; track train loss and held-out bits per character.

    Shows a live plot and a progress bar in Jupyter. Returns ``{"step", "train_bpc", "val_bpc"}``
    histories (``val_bpc`` every ``eval_every`` steps, on the first 20k held-out characters).
    """
    import torch
    import torch.nn.functional as F
    from tqdm.auto import trange

    from helpers.core.plotting import LivePlot

    check_range(steps, "steps", 1, None, integer=True)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    live = LivePlot(["train bpc", "val bpc"], every=eval_every, show=plot,
                    title="bits per character (lower is better)")
    history: dict[str, list[float]] = {"step": [], "train_bpc": [], "val_bpc": []}
    model.train()
    for step in trange(1, steps + 1, disable=not progress, desc="training", mininterval=1.0):
        x, y = random_batch(corpus.train, batch_size, seq_len, rng)
        logits = model(x)                                   # (N, T, K)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        train_bpc = loss.item() / math.log(2)
        history["step"].append(step)
        history["train_bpc"].append(train_bpc)
        values = {"train bpc": train_bpc}
        if step % eval_every == 0 or step == steps:
            val = bits_per_char(model, corpus.val)
            history["val_bpc"].append(val)
            values["val bpc"] = val
        live.update(step, **values)
    live.close()
    return history


def sample(model, vocab: CharVocab, prompt: str = "def ", length: int = 200, temperature: float = 1.0,
           seed: int = 0, context: int = 128) -> str:
    """Generate ``length`` characters after ``prompt``, sampling from softmax(logits / temperature).

    Temperature → 0 approaches greedy decoding; large temperatures approach uniform noise. The
    model sees at most the last ``context`` characters.
    """
    import torch

    check_range(temperature, "temperature", 0.0, 100.0, low_inclusive=False)
    check_range(length, "length", 0, 100_000, integer=True)
    if not prompt:
        raise ValueError("prompt must be a non-empty string")
    gen = torch.Generator().manual_seed(seed)
    ids = torch.from_numpy(vocab.encode(prompt))[None, :]  # (1, T)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for _ in range(length):
            logits = model(ids[:, -context:])[0, -1] / temperature  # (K,)
            probs = torch.softmax(logits - logits.max(), dim=-1)
            nxt = torch.multinomial(probs, 1, generator=gen)
            ids = torch.cat([ids, nxt[None, :]], dim=1)
    model.train(was_training)
    return vocab.decode(ids[0].numpy())
