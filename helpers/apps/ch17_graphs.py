"""Notebook 17's interactive pieces, on Zachary's karate club.

* :class:`ReceptiveFieldExplorer` (an :class:`helpers.ui.widgets.App`): pick a member and a
  number of message-passing steps; the graph shows who is in that member's receptive field (hop
  counts written on the nodes), the right panel shows every member's vector after that many
  steps of :math:`\\hat A`, moving together and finally collapsing. An edge mode draws a trained
  GAT's attention weights on the edges instead (colour and width, with a colour bar).
* :class:`KarateTrainingSession` (a :class:`helpers.ui.player.TrainingSession`): a two-layer
  GCN learning the split from two labelled members, its two output scores per member moving.

Everything a slider selects is computed when the app is built; a move only updates artists.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, to_rgba

from helpers.core.checks import check_choice, check_range
from helpers.core.figures import MARKERS, OKABE_ITO, PALETTE, new_figure
from helpers.graphs.datasets import karate_club
from helpers.graphs.gat import gat_forward
from helpers.core.metrics import logits_accuracy
from helpers.graphs.models import GAT, GCN, to_torch_graph, train_nodes
from helpers.graphs.plots import draw_edges, spring_layout, undirected_pairs
from helpers.graphs.smoothing import mean_pairwise_cosine, propagate
from helpers.graphs.structure import hop_distances
from helpers.ui.backdrop import Backdrop
from helpers.ui.widgets import App, dropdown, int_slider

__all__ = ["karate_attention", "ReceptiveFieldExplorer", "KarateTrainingSession"]

_EDGE_MODES = {"receptive field": "field", "GAT attention": "attention"}
_LABELLED = [0, 33]  # one member per side: Mr. Hi (0) and the officer (33)


def karate_attention(steps: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train a two-layer GAT (4 heads of 8) on the karate club from members 0 and 33, then read
    its first layer's attention with our NumPy :func:`helpers.graphs.gat.gat_forward`, averaged
    over the heads. Returns the weights (E + N,) and their edges (2, E + N), self-loops included."""
    g = karate_club()
    model = GAT(34, 8, 2, heads=4, seed=seed)
    train_nodes(model, to_torch_graph(g.edge_index, 34), g.x, g.y, _LABELLED, steps=steps, lr=0.01)
    layer = model.first
    params = [p.detach().double().numpy() for p in (layer.lin.weight, layer.att_src, layer.att_dst, layer.bias)]
    _, cache = gat_forward(g.x, g.edge_index, params[0].T, params[1], params[2], params[3])
    return cache.alpha.mean(axis=1), cache.aggregate.edge_index


class ReceptiveFieldExplorer(App):
    """Receptive field and propagated vectors of a karate-club member (see the module docstring).

    Args:
        max_steps: the steps slider's end (vectors are precomputed for 0..max_steps).
        seed: the layout's and the GAT's seed.
    """

    def __init__(self, max_steps: int = 8, seed: int = 0) -> None:
        check_range(max_steps, "max_steps", 1, 64, integer=True)
        g = self.graph = karate_club()
        N, self.max_steps = g.num_nodes, max_steps
        self.pos = spring_layout(g.edge_index, N, seed=seed)                          # (N, 2)
        self.hops = np.stack([hop_distances(g.edge_index, N, i) for i in range(N)])    # (N, N), row = picked node
        H = propagate(g.x, g.edge_index, max_steps)                                    # [(N, N)] for k = 0..K
        self.cosine = np.array([mean_pairwise_cosine(h) for h in H])                   # (K + 1,)
        unit = [h / np.linalg.norm(h, axis=1, keepdims=True) for h in H]               # directions only
        ref = unit[min(2, max_steps)]
        centre = ref.mean(axis=0)
        _, _, vt = np.linalg.svd(ref - centre, full_matrices=False)                    # one fixed 2-D view
        self.coords = np.stack([(u - centre) @ vt[:2].T for u in unit])                # (K + 1, N, 2)
        self.pairs = undirected_pairs(g.edge_index, N)                                  # (P, 2)
        alpha, att_edges = karate_attention(seed=seed)
        self.attention = np.zeros((N, N))                                              # [receiver, sender]
        self.attention[att_edges[1], att_edges[0]] = alpha
        self.edge_attention = 0.5 * (self.attention[self.pairs[:, 0], self.pairs[:, 1]]
                                     + self.attention[self.pairs[:, 1], self.pairs[:, 0]])   # (P,)
        self._build_figure()

    def _build_figure(self) -> None:
        g = self.graph
        self.fig = new_figure(8.6, 3.9)
        ax, self.ax_emb = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        self.edges = draw_edges(ax, self.pos, g.edge_index)
        # the edges get explicit colours in both modes; this mappable only feeds the colour bar
        self.attention_colours = ScalarMappable(Normalize(0, float(self.edge_attention.max())), "cividis")
        self.fig.colorbar(self.attention_colours, ax=ax, shrink=0.75, label="GAT attention α (edge mode)")
        self.nodes, self.points = [], []
        for k, name in enumerate(g.classes):
            idx = np.flatnonzero(g.y == k)
            style = dict(s=90, marker=MARKERS[k], c=[PALETTE[k]] * len(idx), edgecolors="k", linewidths=0.6,
                         zorder=3, label=name)
            self.nodes.append((idx, ax.scatter(*self.pos[idx].T, **style)))
            self.points.append((idx, self.ax_emb.scatter(*self.coords[0][idx].T, **dict(style, s=40))))
        self.labels = [ax.text(x, y, "", ha="center", va="center", fontsize=9, zorder=4) for x, y in self.pos]
        self.ring = ax.scatter([0], [0], s=330, facecolors="none", edgecolors=OKABE_ITO["vermillion"], linewidths=2.2, zorder=5)
        self.emb_ring = self.ax_emb.scatter([0], [0], s=160, facecolors="none", edgecolors=OKABE_ITO["vermillion"],
                                            linewidths=2.2, zorder=5, label="picked member")
        ax.set(xticks=[], yticks=[], aspect="equal")
        # texts, not Axes titles: a title repositions itself against the hidden artists of a Backdrop
        self.title = ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center", va="bottom", fontsize=9)
        lim = 1.1 * np.abs(self.coords).max()
        self.ax_emb.set(xlim=(-lim, lim), ylim=(-lim, lim), xticks=[], yticks=[], aspect="equal",
                        xlabel="direction 1 of the vectors (fixed view)", ylabel="direction 2")
        self.emb_title = self.ax_emb.text(0.5, 1.02, "", transform=self.ax_emb.transAxes, ha="center",
                                          va="bottom", fontsize=9)
        legend = self.ax_emb.legend(loc="lower right", fontsize=9)
        self.fig.tight_layout()
        self.fig.subplots_adjust(top=0.9)
        dynamic = [self.edges, self.ring, self.emb_ring, self.title, self.emb_title, legend, *self.labels,
                   *(s for _, s in self.nodes), *(s for _, s in self.points)]
        self.backdrop = Backdrop(self.fig, dynamic)
        self.backdrop.capture()

    def controls(self) -> dict[str, W.ValueWidget]:
        return {"node": int_slider(0, 0, self.graph.num_nodes - 1, "member (node)"),
                "steps": int_slider(1, 0, self.max_steps, "message-passing steps k"),
                "edges": dropdown(_EDGE_MODES, "field", "edges show")}

    def update(self, node: int = 0, steps: int = 1, edges: str = "field") -> str:
        N = self.graph.num_nodes
        check_range(node, "node", 0, N - 1, integer=True)
        check_range(steps, "steps", 0, self.max_steps, integer=True)
        check_choice(edges, "edges", list(_EDGE_MODES.values()))
        hops = self.hops[node]                                                         # (N,)
        inside = (hops >= 0) & (hops <= steps)
        for (idx, nodes), (_, points) in zip(self.nodes, self.points):
            faces = np.array([to_rgba(c, 1.0 if inside[i] else 0.15) for c, i in zip(nodes.get_facecolors(), idx)])
            nodes.set_facecolors(faces)
            points.set_facecolors(faces)
            points.set_offsets(self.coords[steps][idx])
        for i, text in enumerate(self.labels):
            text.set_text(str(hops[i]) if inside[i] else "")
        self.ring.set_offsets(self.pos[[node]])
        self.emb_ring.set_offsets(self.coords[steps][[node]])
        if edges == "attention":
            self.edges.set_colors(self.attention_colours.to_rgba(self.edge_attention))
            self.edges.set_linewidths(0.4 + 4 * self.edge_attention / self.edge_attention.max())
        else:
            both_in = inside[self.pairs[:, 0]] & inside[self.pairs[:, 1]]
            self.edges.set_colors(np.where(both_in[:, None], to_rgba("0.15"), to_rgba("0.8")))
            self.edges.set_linewidths(np.where(both_in, 1.6, 0.6))
        n_in = int(inside.sum())
        self.title.set_text(f"member {node}: {n_in} of {N} members within {steps} hop{'s' if steps != 1 else ''}")
        cos = self.cosine[steps]
        self.emb_title.set_text(f"every member's vector after k = {steps}: mean cosine {cos:.2f}")
        status = (f"member {node} ({self.graph.classes[self.graph.y[node]]}) after k = {steps}: its vector mixes "
                  f"{n_in} of {N} members; mean pairwise cosine of all vectors {cos:.2f}")
        if steps == 0:
            status += " (k = 0: every member is only itself, all vectors orthogonal)"
        elif n_in == N:
            status += " (the whole club is in view)"
        if cos > 0.8:
            status += "; over-smoothing: the vectors are lining up"
        if edges == "attention":
            incoming = self.attention[node].copy()
            self_att = incoming[node]
            incoming[node] = -1
            j = int(np.argmax(incoming))
            status += f". GAT: member {node} attends most to member {j} (α = {incoming[j]:.2f}), to itself {self_att:.2f}"
        return status


class KarateTrainingSession:
    """A GCN (34 -> 16 -> 2) learning the club's split from members 0 and 33 only, drawn live: the
    graph coloured by the predicted side, and every member's two output scores (the diagonal is the
    decision boundary). Full-batch Adam; the player's learning rate is read at every step.

    Args:
        seed: seeds the weights.
        weight_decay: Adam's L2 penalty.
    """

    def __init__(self, seed: int = 0, weight_decay: float = 5e-4) -> None:
        check_range(seed, "seed", 0, None, integer=True)
        self.seed, self.weight_decay = seed, weight_decay
        g = self.data = karate_club()
        self.graph = to_torch_graph(g.edge_index, g.num_nodes)
        self.X, self.Y = torch.as_tensor(g.x, dtype=torch.float32), torch.as_tensor(g.y)
        self.pos = spring_layout(g.edge_index, g.num_nodes, seed=0)
        self.fig = new_figure(8.0, 3.6)
        ax, self.ax_out = self.fig.subplots(1, 2)
        draw_edges(ax, self.pos, g.edge_index)
        self.nodes = ax.scatter(*self.pos.T, s=80, c=[PALETTE[0]] * g.num_nodes, edgecolors="k", linewidths=0.6, zorder=3)
        for k, name in enumerate(g.classes):  # legend entries for the node colours
            ax.scatter([], [], s=40, c=PALETTE[k], edgecolors="k", linewidths=0.6, label=f"predicted {name}")
        ax.scatter(*self.pos[_LABELLED].T, s=30, marker="*", c="w", edgecolors="k", zorder=4, label="labelled")
        ax.set(xticks=[], yticks=[], aspect="equal")
        ax.legend(loc="lower left", fontsize=9)
        self.title = ax.set_title("", fontsize=9)
        self.points = []
        for k, name in enumerate(g.classes):
            idx = np.flatnonzero(g.y == k)
            self.points.append((idx, self.ax_out.scatter(np.zeros(len(idx)), np.zeros(len(idx)), s=30, c=PALETTE[k],
                                                         marker=MARKERS[k], edgecolors="k", linewidths=0.5,
                                                         label=f"truly {name}")))
        (self.diagonal,) = self.ax_out.plot([-100, 100], [-100, 100], color="0.4", ls="--", lw=1, label="boundary")
        self.ax_out.set(xlabel=f"score for {g.classes[0]}", ylabel=f"score for {g.classes[1]}")
        self.ax_out.legend(loc="upper left", fontsize=9)
        self.ax_out.grid(alpha=0.3)
        self.fig.tight_layout()
        self.fig.subplots_adjust(top=0.9)
        self.reset()

    def reset(self) -> None:
        self.model = GCN([34, 16, 2], seed=self.seed)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=0.01, weight_decay=self.weight_decay)
        self.losses: list[float] = []

    def step(self, lr: float) -> float:
        for group in self.opt.param_groups:
            group["lr"] = lr
        logits = self.model(self.X, self.graph)
        loss = torch.nn.functional.cross_entropy(logits[_LABELLED], self.Y[_LABELLED])
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.losses.append(loss.item())
        return self.losses[-1]

    def draw(self) -> str:
        with torch.no_grad():
            out = self.model(self.X, self.graph)                                       # (N, 2)
        pred = out.argmax(dim=1).numpy()
        self.nodes.set_facecolors([PALETTE[p] for p in pred])
        for idx, points in self.points:
            points.set_offsets(out.numpy()[idx])
        lim = max(1.0, 2.0 ** np.ceil(np.log2(float(out.abs().max()) + 1e-9)))         # doubles as scores grow
        self.ax_out.set(xlim=(-lim, lim), ylim=(-lim, lim))
        right = int((pred == self.data.y).sum())
        acc = logits_accuracy(out, self.Y)
        self.title.set_text(f"predicted side after {len(self.losses)} steps: {right}/34 right")
        if not self.losses:
            return "untrained GCN: press play or step (only members 0 and 33 carry labels)"
        return (f"loss on the 2 labelled members {self.losses[-1]:.3f}; "
                f"{right} of 34 members on the right side ({acc:.0%})")
