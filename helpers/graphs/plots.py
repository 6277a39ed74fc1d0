"""Notebook 17's figures: a graph with its node features, message passing spreading a signal,
the karate-club result, GCN vs MLP, over-smoothing, and example graphs of the two families.

Node positions come from ``networkx``'s spring layout (seeded); everything is drawn with
matplotlib on a :func:`helpers.core.figures.new_figure`. Classes are told apart by marker
*and* colour (Okabe-Ito), continuous node values by a colour bar.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure

from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure
from helpers.graphs.structure import check_edge_index

__all__ = ["spring_layout", "undirected_pairs", "draw_edges", "draw_nodes", "plot_node_feature", "plot_spread",
           "plot_predictions", "plot_gcn_vs_mlp", "plot_oversmoothing", "plot_depth_sweep", "plot_graph_examples"]


def spring_layout(edge_index, num_nodes: int, seed: int = 0) -> np.ndarray:
    """Node positions from ``networkx.spring_layout`` (force-directed, seeded), scaled into [-1, 1].

    Shape:
        (2, E) -> (N, 2).
    """
    check_seed(seed)
    import networkx as nx

    ei = check_edge_index(edge_index, num_nodes)
    G = nx.Graph()
    G.add_nodes_from(range(num_nodes))
    G.add_edges_from(ei.T.tolist())
    pos = nx.spring_layout(G, seed=seed)
    return np.array([pos[i] for i in range(num_nodes)])


def _check_pos(pos) -> np.ndarray:
    return check_array(pos, "pos", shape=(None, 2))


def _check_classes(labels, class_names, n: int, name: str = "labels") -> np.ndarray:
    if isinstance(class_names, str) or not isinstance(class_names, (list, tuple)) \
            or not 1 <= len(class_names) <= len(MARKERS):
        raise ValueError(f"class_names must be a list of 1 to {len(MARKERS)} names, got {class_names!r}")
    labels = check_array(labels, name, shape=(n,), dtype="int")
    if labels.min() < 0 or labels.max() >= len(class_names):
        raise ValueError(f"{name} must lie in [0, {len(class_names) - 1}] (one per class name), "
                         f"got values from {labels.min()} to {labels.max()}")
    return labels


def _check_curves(curves, name: str, length: int | None = None) -> None:
    if not isinstance(curves, dict) or not 1 <= len(curves) <= len(MARKERS):
        raise ValueError(f"{name} must map 1 to {len(MARKERS)} model names to their values, got {type(curves).__name__}")
    for key, values in curves.items():
        values = check_array(values, f"{name}[{key!r}]", ndim=1)
        if length is not None and len(values) != length:
            raise ValueError(f"{name}[{key!r}] must have {length} values (one per step or depth), got {len(values)}")


def draw_edges(ax: Axes, pos, edge_index, **style) -> LineCollection:
    """Every undirected edge once, as one ``LineCollection`` (update it with ``set_linewidths`` /
    ``set_array``). Its segments follow :func:`undirected_pairs` order."""
    check_type(ax, "ax", Axes, "a matplotlib Axes")
    pos = _check_pos(pos)
    pairs = undirected_pairs(edge_index, len(pos))
    lines = LineCollection(np.asarray(pos)[pairs], **{"colors": "0.6", "linewidths": 0.8, "zorder": 1, **style})
    ax.add_collection(lines)
    return lines


def undirected_pairs(edge_index, num_nodes: int) -> np.ndarray:
    """Each undirected edge once, smaller id first, no loops. Shape: (2, E) -> (P, 2)."""
    ei = check_edge_index(edge_index, num_nodes)
    ei = ei[:, ei[0] < ei[1]]
    return np.unique(ei.T, axis=0)


def draw_nodes(ax: Axes, pos, labels, class_names, colours=None, size: float = 60, **style) -> list[PathCollection]:
    """One scatter per class (its own marker); ``colours`` (N,) values for a colour map, or None for
    the class colours. Returns the collections, class by class."""
    check_type(ax, "ax", Axes, "a matplotlib Axes")
    pos = _check_pos(pos)
    labels = _check_classes(labels, class_names, len(pos))
    out = []
    for k, name in enumerate(class_names):
        idx = np.flatnonzero(np.asarray(labels) == k)
        kw = {"c": PALETTE[k]} if colours is None else {"c": np.asarray(colours)[idx]}
        out.append(ax.scatter(pos[idx, 0], pos[idx, 1], s=size, marker=MARKERS[k], edgecolors="k",
                              linewidths=0.6, zorder=3, label=name, **kw, **style))
    return out


def _graph_axes(ax: Axes, title: str) -> None:
    ax.set(xticks=[], yticks=[], aspect="equal", title=title)
    ax.title.set_fontsize(10)


def plot_node_feature(pos, edge_index, values, labels, class_names, title: str, colour_label: str) -> Figure:
    """The graph with one number per node as its colour (with a colour bar) and its class as the marker."""
    pos = _check_pos(pos)
    values = check_array(values, "values", shape=(len(pos),))
    _check_classes(labels, class_names, len(pos))
    fig = new_figure(5.2, 4.0)
    ax = fig.add_subplot()
    draw_edges(ax, pos, edge_index)
    sets = draw_nodes(ax, pos, labels, class_names, colours=values, cmap="viridis",
                      vmin=values.min(), vmax=values.max())
    fig.colorbar(sets[0], ax=ax, label=colour_label, shrink=0.8)
    ax.legend(loc="lower left", fontsize=9, title="club (marker)", title_fontsize=9)
    _graph_axes(ax, title)
    fig.tight_layout()
    return fig


def plot_spread(pos, edge_index, signals: list[np.ndarray], steps: list[int], labels, class_names) -> Figure:
    """Small multiples: a one-node signal after ``steps[k]`` propagation steps (shared colour bar, log scale)."""
    from matplotlib.colors import LogNorm

    pos = _check_pos(pos)
    _check_classes(labels, class_names, len(pos))
    steps = check_array(steps, "steps", ndim=1, dtype="int")
    if not isinstance(signals, (list, tuple)) or len(signals) != len(steps):
        raise ValueError(f"signals must be a list of {len(steps)} arrays (one per step), got {type(signals).__name__}"
                         f"{f' of length {len(signals)}' if isinstance(signals, (list, tuple)) else ''}")
    signals = [check_array(h, f"signals[{i}]", shape=(len(pos),)) for i, h in enumerate(signals)]
    fig = new_figure(2.6 * len(steps) + 0.8, 2.9)
    axes = fig.subplots(1, len(steps))
    norm = LogNorm(1e-3, 1.0)
    for ax, h, k in zip(axes, signals, steps):
        draw_edges(ax, pos, edge_index, linewidths=0.5)
        sets = draw_nodes(ax, pos, labels, class_names, colours=np.clip(h, 1e-3, 1.0), size=30, cmap="viridis", norm=norm)
        _graph_axes(ax, f"after {k} step{'s' if k != 1 else ''}")
    fig.colorbar(sets[0], ax=list(axes), label="signal (log scale)", shrink=0.85)
    return fig


def plot_predictions(pos, edge_index, y, pred, train_idx, class_names, title: str) -> Figure:
    """Nodes as their predicted class (colour and marker); a vermillion ring marks a mistake, a star a
    labelled node. The legend sits beside the graph, never over it."""
    pos = _check_pos(pos)
    _check_classes(y, class_names, len(pos), "y")
    _check_classes(pred, class_names, len(pos), "pred")
    train_idx = check_array(train_idx, "train_idx", ndim=1, dtype="int", allow_empty=True)
    if train_idx.size and (train_idx.min() < 0 or train_idx.max() >= len(pos)):
        raise ValueError(f"train_idx must hold node ids in [0, {len(pos) - 1}], got values from "
                         f"{train_idx.min()} to {train_idx.max()}")
    fig = new_figure(6.4, 4.0)
    ax = fig.add_subplot()
    pos = np.asarray(pos)
    draw_edges(ax, pos, edge_index)
    draw_nodes(ax, pos, pred, [f"predicted {n}" for n in class_names])
    wrong = np.flatnonzero(np.asarray(pred) != np.asarray(y))
    ax.scatter(pos[wrong, 0], pos[wrong, 1], s=260, facecolors="none", edgecolors=PALETTE[3], linewidths=2,
               zorder=2, label="wrong")
    ax.scatter(pos[train_idx, 0], pos[train_idx, 1], s=30, marker="*", c="w", edgecolors="k", zorder=4,
               linewidths=0.6, label="labelled")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)
    _graph_axes(ax, title)
    fig.tight_layout()
    return fig


def plot_gcn_vs_mlp(results: dict[str, np.ndarray], chance: float) -> Figure:
    """Held-out accuracy per seed for each model (markers and line styles per model), chance dashed."""
    _check_curves(results, "results")
    check_range(chance, "chance", 0.0, 1.0)
    fig = new_figure(5.6, 3.0)
    ax = fig.add_subplot()
    for k, (name, acc) in enumerate(results.items()):
        ax.plot(np.arange(len(acc)), acc, marker=MARKERS[k], ls=LINESTYLES[k], color=PALETTE[k], label=name)
    ax.axhline(chance, color="0.4", ls=":", lw=1, label="chance")
    ax.set(xlabel="seed (graph, labelled nodes and weights)", ylabel="held-out accuracy", ylim=(0, 1.02),
           title="The graph, not the features, does most of the work")
    ax.set_xticks(np.arange(len(acc)))
    ax.legend(fontsize=9, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_oversmoothing(steps, cosines: dict[str, list[float]], energies: dict[str, list[float]]) -> Figure:
    """Mean pairwise cosine (left) and Dirichlet energy (right) against the number of propagation steps."""
    steps = check_array(steps, "steps", ndim=1, dtype="int")
    _check_curves(cosines, "cosines", len(steps))
    _check_curves(energies, "energies", len(steps))
    fig = new_figure(7.4, 3.0)
    axes = fig.subplots(1, 2)
    x = np.asarray(steps)
    for ax, curves, ylabel in ((axes[0], cosines, "mean pairwise cosine"),
                               (axes[1], energies, "Dirichlet energy / ‖H‖²")):
        for k, (name, values) in enumerate(curves.items()):
            ax.plot(x + 1, values, marker=MARKERS[k], ls=LINESTYLES[k], color=PALETTE[k], label=name)
        ax.set(xscale="log", xlabel="propagation steps k (axis shows k + 1)", ylabel=ylabel)
        ax.set_xticks(x + 1, [str(v) for v in x])
        ax.grid(alpha=0.3)
    axes[0].set_title("Without a residual, every node points the same way", fontsize=10)
    axes[1].set_title("...and neighbours stop differing", fontsize=10)
    axes[0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_depth_sweep(depths, results: dict[str, list[float]], chance: float) -> Figure:
    """Held-out accuracy of trained GCNs against their depth, plain vs residual."""
    depths = check_array(depths, "depths", ndim=1, dtype="int")
    _check_curves(results, "results", len(depths))
    check_range(chance, "chance", 0.0, 1.0)
    fig = new_figure(5.0, 3.0)
    ax = fig.add_subplot()
    for k, (name, acc) in enumerate(results.items()):
        ax.plot(depths, acc, marker=MARKERS[k], ls=LINESTYLES[k], color=PALETTE[k], label=name)
    ax.axhline(chance, color="0.4", ls=":", lw=1, label="chance")
    ax.set(xscale="log", xlabel="GCN layers", ylabel="held-out accuracy", ylim=(0, 1.02),
           title="Deep plain GCNs collapse; residual ones keep working")
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.legend(fontsize=9, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_graph_examples(graphs, sizes, y, class_names, n_per_class: int = 3) -> Figure:
    """A few graphs of each family, one row per family."""
    check_range(n_per_class, "n_per_class", 1, None, integer=True)
    if not isinstance(graphs, (list, tuple)) or not graphs:
        raise ValueError(f"graphs must be a non-empty list of edge lists (2, E), got {type(graphs).__name__}")
    sizes = check_array(sizes, "sizes", shape=(len(graphs),), dtype="int")
    _check_classes(y, class_names, len(graphs), "y")
    fig = new_figure(1.9 * n_per_class, 1.9 * len(class_names) + 0.2)
    axes = fig.subplots(len(class_names), n_per_class, squeeze=False)
    for k, name in enumerate(class_names):
        for col, g in enumerate(np.flatnonzero(np.asarray(y) == k)[:n_per_class]):
            ax = axes[k, col]
            pos = spring_layout(graphs[g], int(sizes[g]), seed=0)
            draw_edges(ax, pos, graphs[g], colors="0.3")
            ax.scatter(pos[:, 0], pos[:, 1], s=14, c=PALETTE[k], marker=MARKERS[k], edgecolors="k",
                       linewidths=0.4, zorder=3)
            _graph_axes(ax, f"{name}, {int(sizes[g])} nodes")
    fig.tight_layout()
    return fig
