r"""Sequence tasks that need memory, and the PyTorch training runs of notebook 10.

**Recall the first symbol.** A sequence of ``T`` one-hot steps starts with one of ``K`` "message"
symbols, continues with ``T - 2`` random distractor symbols and ends with a "query" marker; the
target is the message. Chance accuracy is :math:`1/K`. Solving it means carrying a few bits across
``T`` steps untouched, which is exactly what vanishing gradients make hard to *learn*: the error
at step ``T`` must reach step 1 (Hochreiter & Schmidhuber, 1997).

:func:`train_memory_models` trains a vanilla RNN, an LSTM and a GRU side by side on fresh batches
with the same budget, showing a live plot and a progress bar. :func:`clipping_run` trains a
vanilla RNN started in the exploding regime, with or without gradient clipping.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.core.checks import check_choice, check_range, check_seed, check_type

__all__ = ["recall_batch", "train_memory_models", "clipping_run"]

_CELLS = ("rnn", "lstm", "gru")


def recall_batch(batch_size: int, seq_len: int, n_symbols: int, rng: np.random.Generator,
                 n_distractors: int = 4) -> tuple[np.ndarray, np.ndarray]:
    r"""A batch of the recall-the-first-symbol task.

    Symbols ``0..K-1`` are messages, ``K..K+n_distractors-1`` distractors, ``K+n_distractors`` the
    query marker; each step is one-hot over :math:`D = K + n_\text{distractors} + 1` symbols.

    Shape: returns x (N, T, D) float32 (batch first) and targets y (N,) int64 in [0, K).
    """
    check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
    check_range(batch_size, "batch_size", 1, None, integer=True)
    check_range(seq_len, "seq_len", 2, 10_000, integer=True)
    check_range(n_symbols, "n_symbols", 2, 1000, integer=True)
    check_range(n_distractors, "n_distractors", 1, 1000, integer=True)
    K, D = n_symbols, n_symbols + n_distractors + 1
    y = rng.integers(0, K, size=batch_size)
    tokens = np.empty((batch_size, seq_len), dtype=np.int64)  # (N, T)
    tokens[:, 0] = y
    tokens[:, 1:-1] = rng.integers(K, K + n_distractors, size=(batch_size, seq_len - 2))
    tokens[:, -1] = D - 1
    x = np.eye(D, dtype=np.float32)[tokens]  # (N, T, D)
    return x, y


def _accuracy(model, x, y) -> float:
    import torch

    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def train_memory_models(cells: tuple[str, ...] = _CELLS, seq_len: int = 100, n_symbols: int = 4,
                        hidden_size: int = 32, steps: int = 400, batch_size: int = 64, lr: float = 2e-3,
                        forget_bias: float = 4.0, seed: int = 0, eval_every: int = 50, plot: bool = True,
                        progress: bool = True) -> dict[str, dict[str, list[float]]]:
    r"""Train one :class:`helpers.rnn.models.SequenceClassifier` per cell on the recall task.

    Every model sees the same fresh batches (Adam, cross-entropy, gradients clipped at norm 1 for
    all) and the same budget of ``steps`` updates; accuracy is measured every ``eval_every``
    steps on a fixed held-out batch of 512 sequences.

    Returns:
        ``{cell: {"step": [...], "loss": [...], "acc": [...]}}`` with ``loss`` the training
        cross-entropy at each evaluation and ``acc`` the held-out accuracy.
    """
    check_seed(seed)
    import torch
    import torch.nn.functional as F
    from helpers.core.progress import Progress

    from helpers.core.figures import LINESTYLES, PALETTE
    from helpers.core.plotting import LivePlot
    from helpers.rnn.models import SequenceClassifier

    check_range(steps, "steps", 1, None, integer=True)
    check_range(hidden_size, "hidden_size", 1, None, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_range(eval_every, "eval_every", 1, None, integer=True)
    if not cells:
        raise ValueError(f"cells must name at least one of {list(_CELLS)}, got an empty tuple")
    for cell in cells:
        check_choice(cell, "cell", _CELLS)
    rng = np.random.default_rng(seed)
    D = n_symbols + 4 + 1  # messages, 4 distractors (recall_batch's default), the query marker
    models, opts = {}, {}
    for cell in cells:
        torch.manual_seed(seed * 100 + _CELLS.index(cell))  # the same init whichever cells train
        models[cell] = SequenceClassifier(cell, D, hidden_size, n_symbols, forget_bias)
        opts[cell] = torch.optim.Adam(models[cell].parameters(), lr=lr)
    val_rng = np.random.default_rng(seed + 10_000)  # held-out sequences, independent of the training stream
    x_val, y_val = (torch.from_numpy(a) for a in recall_batch(512, seq_len, n_symbols, val_rng))
    live = LivePlot([f"{c} loss" for c in cells] + [f"{c} acc" for c in cells], every=1, show=plot,
                    title=f"recall the first of {seq_len} symbols (chance = {1 / n_symbols:.2f})")
    for ax in live.fig.axes:  # one colour and line style per cell, the same in the loss and accuracy panels
        for line in ax.get_lines():
            i = list(cells).index(line.get_label().split()[0])
            line.set_color(PALETTE[i])
            line.set_linestyle(LINESTYLES[i])
        ax.legend(loc="best")
    history = {c: {"step": [], "loss": [], "acc": []} for c in cells}
    for step in Progress(range(1, steps + 1), show=progress, desc="training", min_interval=1.0):
        x, y = (torch.from_numpy(a) for a in recall_batch(batch_size, seq_len, n_symbols, rng))
        losses = {}
        for cell, model in models.items():
            loss = F.cross_entropy(model(x), y)
            opts[cell].zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opts[cell].step()
            losses[cell] = loss.item()
        if step % eval_every == 0 or step == steps:
            values = {}
            for cell, model in models.items():
                acc = _accuracy(model, x_val, y_val)
                for key, val in (("step", step), ("loss", losses[cell]), ("acc", acc)):
                    history[cell][key].append(val)
                values.update({f"{cell} loss": losses[cell], f"{cell} acc": acc})
            live.update(step, **values)
    live.close()
    return history


def clipping_run(clip: float | None, steps: int = 150, seq_len: int = 10, hidden_size: int = 32,
                 recurrent_gain: float = 3.0, lr: float = 0.3, seed: int = 0) -> dict[str, list[float]]:
    r"""Plain SGD on the recall task for a vanilla RNN started in the exploding regime.

    The recurrent matrix starts as :math:`\mathcal N(0, g^2/H)` with gain ``recurrent_gain``
    (spectral radius about g > 1), so gradients grow exponentially with the span. With
    ``clip`` set, every update is rescaled to global norm at most ``clip`` before the step
    (:func:`helpers.rnn.bptt.clip_grad_norm` is the NumPy version).

    Returns:
        ``{"loss": [...], "grad_norm": [...]}`` per step (the norm before clipping). A loss that
        became NaN or inf stops the run.
    """
    import torch
    import torch.nn.functional as F

    from helpers.rnn.models import SequenceClassifier

    check_range(steps, "steps", 1, None, integer=True)
    if clip is not None:
        check_range(clip, "clip", 0.0, None, low_inclusive=False)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_range(recurrent_gain, "recurrent_gain", 0.0, None)
    check_seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SequenceClassifier("rnn", 4 + 4 + 1, hidden_size, 4)  # 4 messages, 4 distractors, 1 query
    with torch.no_grad():
        model.rnn.weight_hh_l0.normal_(0.0, recurrent_gain / math.sqrt(hidden_size))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"loss": [], "grad_norm": []}
    for _ in range(steps):
        x, y = (torch.from_numpy(a) for a in recall_batch(64, seq_len, 4, rng))
        loss = F.cross_entropy(model(x), y)
        if not torch.isfinite(loss):
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip is not None else float("inf"))
        opt.step()
        history["loss"].append(loss.item())
        history["grad_norm"].append(float(norm))
    return history
