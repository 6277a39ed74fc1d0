"""Notebook 18's figures: the similarity softmax of a batch, probe accuracies per seed, the
temperature × strength grid, the gradient share of the hardest negatives, MLM fine-tuning, CLIP.

Every function returns a :class:`matplotlib.figure.Figure` from :func:`helpers.core.figures.new_figure`
(the notebook shows it with ``show_figure(fig, alt)``).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_range
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure

__all__ = ["plot_similarity", "plot_seed_comparison", "plot_sweep", "plot_negative_weights", "plot_mlm",
           "plot_zero_shot"]


def plot_similarity(probs: np.ndarray, title: str) -> Figure:
    """Heat map of a batch's softmax rows (2N × 2N), the positives' diagonals outlined.

    Shape: probs (2N, 2N), rows summing to 1.
    """
    probs = check_array(probs, "probs", ndim=2)
    n2 = probs.shape[0]
    fig = new_figure(4.4, 3.6)
    ax = fig.add_subplot()
    im = ax.imshow(probs, cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="softmax weight of column j for row i")
    ax.plot(np.arange(n2), (np.arange(n2) + n2 // 2) % n2, "s", mfc="none", mec="w", ms=5, lw=0, label="positive pair")
    ax.axhline(n2 / 2 - 0.5, color="w", lw=0.6)
    ax.axvline(n2 / 2 - 0.5, color="w", lw=0.6)
    ax.set(xlabel="view j (first views, then second views)", ylabel="anchor view i", title=title)
    ax.title.set_fontsize(9.5)
    ax.legend(loc="upper right", fontsize=9, framealpha=0.6)
    fig.tight_layout()
    return fig


def _check_curves(curves, name: str, ndim: int = 1) -> None:
    if not isinstance(curves, dict) or not 1 <= len(curves) <= len(MARKERS):
        raise ValueError(f"{name} must map 1 to {len(MARKERS)} names to arrays, got {type(curves).__name__}")
    for key, values in curves.items():
        check_array(values, f"{name}[{key!r}]", ndim=ndim)


def plot_seed_comparison(results: dict[str, np.ndarray], ylabel: str, title: str) -> Figure:
    """One marker per seed and method, seeds on the x axis (so per-seed wins are visible)."""
    _check_curves(results, "results")
    fig = new_figure(5.2, 3.0)
    ax = fig.add_subplot()
    for k, (name, acc) in enumerate(results.items()):
        acc = np.asarray(acc)
        ax.plot(np.arange(len(acc)), acc, color=PALETTE[k], ls=LINESTYLES[k], marker=MARKERS[k], label=name)
    ax.set(xlabel="seed", ylabel=ylabel, title=title)
    ax.title.set_fontsize(9.5)
    ax.set_xticks(np.arange(len(acc)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_sweep(temperatures, strengths, accuracy: np.ndarray, baselines: dict[str, float]) -> Figure:
    """Probe accuracy at every (temperature, strength), written in each cell; baselines in the title."""
    temperatures = check_array(temperatures, "temperatures", ndim=1)
    strengths = check_array(strengths, "strengths", ndim=1)
    acc = check_array(accuracy, "accuracy", shape=(len(temperatures), len(strengths)))
    if not isinstance(baselines, dict):
        raise ValueError(f"baselines must map names to accuracies, got {type(baselines).__name__}")
    for key, value in baselines.items():
        check_range(value, f"baselines[{key!r}]", 0.0, 1.0)
    fig = new_figure(4.6, 3.2)
    ax = fig.add_subplot()
    im = ax.imshow(acc * 100, cmap="viridis", origin="lower", aspect="auto")
    fig.colorbar(im, ax=ax, label="linear-probe accuracy (%)")
    for i in range(acc.shape[0]):
        for j in range(acc.shape[1]):
            ax.text(j, i, f"{acc[i, j]:.1%}", ha="center", va="center", fontsize=9,
                    color="k" if acc[i, j] > acc.mean() else "w")
    ax.set_xticks(range(len(strengths)), [f"{s:g}" for s in strengths])
    ax.set_yticks(range(len(temperatures)), [f"{t:g}" for t in temperatures])
    ax.set(xlabel="augmentation strength s", ylabel="temperature τ")
    base = ", ".join(f"{k} {v:.1%}" for k, v in baselines.items())
    ax.set_title(f"No augmentation (s = 0) learns little\n(same probe on {base})", fontsize=9.5)
    fig.tight_layout()
    return fig


def plot_negative_weights(weights: dict[float, np.ndarray]) -> Figure:
    """Mean softmax weight of the k-th hardest negative, one curve per temperature (log scale).

    ``weights``: {τ: (2N, 2N - 2) sorted rows} from :func:`helpers.selfsupervised.contrastive.negative_weights`.
    """
    _check_curves(weights, "weights", ndim=2)
    fig = new_figure(5.0, 3.0)
    ax = fig.add_subplot()
    for k, (tau, w) in enumerate(weights.items()):
        mean = np.asarray(w).mean(axis=0)
        ax.plot(np.arange(1, len(mean) + 1), mean, color=PALETTE[k], ls=LINESTYLES[k], marker=MARKERS[k],
                markevery=max(1, len(mean) // 8), label=f"τ = {tau:g}")
    ax.set(xscale="log", yscale="log", xlabel="negative, from the hardest (rank k)",
           ylabel="share of the anchor's push", title="Small τ: the hardest negatives take almost all of the gradient")
    ax.title.set_fontsize(9.5)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_mlm(history: dict, results: dict[str, np.ndarray], chance: float) -> Figure:
    """Left: the MLM loss during pre-training; right: fine-tuning test accuracy per seed."""
    if not isinstance(history, dict) or "step" not in history or "loss" not in history:
        raise ValueError(f"history must be pretrain_mlm's dict with 'step' and 'loss' lists, got {type(history).__name__}")
    check_array(history["loss"], "history['loss']", shape=(len(history["step"]),))
    _check_curves(results, "results")
    check_range(chance, "chance", 0.0, 1.0)
    fig = new_figure(8.0, 3.0)
    ax, ax2 = fig.subplots(1, 2)
    loss = np.asarray(history["loss"])
    smooth = np.convolve(loss, np.ones(20) / 20, mode="valid")
    ax.plot(history["step"], loss, color=PALETTE[5], lw=0.6, label="per step")
    ax.plot(history["step"][19:], smooth, color=PALETTE[0], lw=1.8, label="mean of 20 steps")
    ax.set(xlabel="pre-training step", ylabel="MLM loss (nats per masked word)", title="Filling in masked words")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    for k, (name, acc) in enumerate(results.items()):
        ax2.plot(np.arange(len(acc)), acc, color=PALETTE[k], ls=LINESTYLES[k], marker=MARKERS[k], label=name)
    ax2.axhline(chance, color="0.4", ls=":", label="chance")
    ax2.set(xlabel="seed (labelled snippets, head, batches)", ylabel="test accuracy",
            title="Same labels, same steps: pre-trained wins", ylim=(0, 1))
    ax2.set_xticks(np.arange(len(acc)))
    ax2.legend(fontsize=9)
    ax2.grid(alpha=0.3)
    for a in (ax, ax2):
        a.title.set_fontsize(9.5)
    fig.tight_layout()
    return fig


def plot_zero_shot(confusion: np.ndarray, names, title: str) -> Figure:
    """Confusion matrix of zero-shot predictions (rows: true digit, columns: the prompt chosen), row-normalised."""
    conf = check_array(confusion, "confusion", shape=(len(names), len(names)))
    rates = conf / np.maximum(conf.sum(axis=1, keepdims=True), 1)
    fig = new_figure(4.6, 3.8)
    ax = fig.add_subplot()
    im = ax.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="fraction of the true digit's images")
    ax.set_xticks(range(len(names)), names, rotation=60, fontsize=9)
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.set(xlabel="prompt with the highest similarity", ylabel="true digit", title=title)
    ax.title.set_fontsize(9.5)
    fig.tight_layout()
    return fig
