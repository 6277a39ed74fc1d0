r"""The chapter's networks in PyTorch, and the loops that train them.

The layers are the ones of :mod:`helpers.graphs.gcn` and :mod:`helpers.graphs.gat`, written with
``torch`` operations so autograd does the backward pass (they are compared with
``torch_geometric``'s in ``tests/test_graphs.py``):

* :class:`GCNLayer`: :math:`\hat A (H W) + \mathbf b`, with :math:`\hat A` stored once per graph
  (a dense matrix for small graphs, where one product beats any scatter; the edge list with
  ``index_add_`` as the scatter-add beyond ``DENSE_UP_TO`` nodes);
* :class:`GATLayer`: multi-head attention over in-neighbours; ``forward`` also returns the weights;
* :class:`GCN`: a stack of them with ReLU between, optionally **residual**,
  :math:`H^{(l+1)} = H^{(l)} + \mathrm{ReLU}(\hat A H^{(l)} W^{(l)})` for the hidden layers
  (He et al.'s skip connection, as DeepGCNs use it against over-smoothing);
* :class:`NodeMLP`: the same stack without the graph (:math:`\hat A = I`), the baseline;
* :class:`GraphClassifier`: GCN layers, then **pooling** (the mean of every graph's node
  vectors), then a linear layer: one prediction per graph.

Loops follow the course's shape: keyword arguments ``steps``, ``seed``, ``progress``,
``on_step(step, record)``, and a history dict of lists.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from helpers.core.metrics import logits_accuracy
from helpers.core.checks import check_array, check_range, check_type
from helpers.graphs.structure import gcn_edge_weights

__all__ = ["TorchGraph", "to_torch_graph", "GCNLayer", "GATLayer", "GCN", "NodeMLP", "GAT",
           "GraphClassifier", "train_nodes", "train_graphs"]


@dataclass(frozen=True)
class TorchGraph:
    r"""A graph ready for the torch layers: the edges with one self-loop per node (for attention),
    their GCN weights, :math:`\hat A` as a matrix, and the graph each node belongs to.

    Shape:
        src, dst, weight: (E + N,); A_hat: (N, N) dense, or None above ``DENSE_UP_TO`` nodes; batch: (N,).
    """

    num_nodes: int
    src: torch.Tensor
    dst: torch.Tensor
    weight: torch.Tensor
    A_hat: torch.Tensor | None
    batch: torch.Tensor
    num_graphs: int = 1


DENSE_UP_TO = 1024  # nodes; measured: for N = 300, a dense (N, N) product is ~5x faster than index_add_


def to_torch_graph(edge_index, num_nodes: int, batch=None) -> TorchGraph:
    """Precompute :math:`\\hat A`'s edges and weights (float32) once per graph. Shape: (2, E) -> TorchGraph."""
    ei, w = gcn_edge_weights(edge_index, num_nodes)                      # (2, E + N), (E + N,)
    b = np.zeros(num_nodes, dtype=np.int64) if batch is None else check_array(batch, "batch", shape=(num_nodes,), dtype="int")
    src, dst, weight = torch.as_tensor(ei[0]), torch.as_tensor(ei[1]), torch.as_tensor(w, dtype=torch.float32)
    A_hat = None
    if num_nodes <= DENSE_UP_TO:  # rows are receivers; accumulate: a repeated edge adds its weight
        A_hat = torch.zeros(num_nodes, num_nodes).index_put_((dst, src), weight, accumulate=True)
    return TorchGraph(num_nodes, src, dst, weight, A_hat, torch.as_tensor(b), int(b.max()) + 1)


@contextmanager
def _seeded(seed: int):
    """Build modules under their own seed, leaving the global generator as it was."""
    check_range(seed, "seed", 0, None, integer=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class GCNLayer(nn.Module):
    r""":math:`Y = \hat A (X W) + \mathbf b` (``torch_geometric.nn.GCNConv``'s computation).

    Shape:
        x: (N, D_in) -> (N, D_out).
    """

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        check_range(d_in, "d_in", 1, None, integer=True)
        check_range(d_out, "d_out", 1, None, integer=True)
        self.lin = nn.Linear(d_in, d_out, bias=False)
        self.bias = nn.Parameter(torch.zeros(d_out))

    def forward(self, x: torch.Tensor, graph: TorchGraph) -> torch.Tensor:
        h = self.lin(x)                                                  # (N, D_out): transform
        if graph.A_hat is not None:                                      # small graph: one (N, N) product
            return graph.A_hat @ h + self.bias
        messages = graph.weight[:, None] * h[graph.src]                  # (E, D_out): gather, weight
        return torch.zeros_like(h).index_add_(0, graph.dst, messages) + self.bias   # scatter-add


class GATLayer(nn.Module):
    r"""Multi-head graph attention (``torch_geometric.nn.GATConv``'s computation, no dropout).

    Shape:
        x: (N, D_in) -> ((N, H*C) or (N, C), attention (E + N, H) on the edges ``graph.src -> graph.dst``).
    """

    def __init__(self, d_in: int, channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2) -> None:
        check_range(d_in, "d_in", 1, None, integer=True)
        check_range(channels, "channels", 1, None, integer=True)
        check_range(heads, "heads", 1, None, integer=True)
        super().__init__()
        self.heads, self.channels, self.concat, self.negative_slope = heads, channels, concat, negative_slope
        self.lin = nn.Linear(d_in, heads * channels, bias=False)
        self.att_src = nn.Parameter(torch.randn(heads, channels) / channels ** 0.5)
        self.att_dst = nn.Parameter(torch.randn(heads, channels) / channels ** 0.5)
        self.bias = nn.Parameter(torch.zeros(heads * channels if concat else channels))

    def forward(self, x: torch.Tensor, graph: TorchGraph) -> tuple[torch.Tensor, torch.Tensor]:
        N, H, C = x.shape[0], self.heads, self.channels
        z = self.lin(x).view(N, H, C)                                    # (N, H, C)
        u = (z * self.att_src).sum(-1)[graph.src] + (z * self.att_dst).sum(-1)[graph.dst]   # (E, H)
        e = nn.functional.leaky_relu(u, self.negative_slope)
        idx = graph.dst[:, None].expand_as(e)                            # (E, H)
        group_max = torch.full((N, H), -torch.inf).scatter_reduce(0, idx, e.detach(), "amax")
        ex = torch.exp(e - group_max[graph.dst])                         # (E, H): max first, no overflow
        alpha = ex / torch.zeros(N, H).index_add_(0, graph.dst, ex)[graph.dst]
        out = torch.zeros(N, H, C).index_add_(0, graph.dst, alpha[..., None] * z[graph.src])   # (N, H, C)
        out = out.reshape(N, H * C) if self.concat else out.mean(dim=1)
        return out + self.bias, alpha


class GCN(nn.Module):
    """GCN layers of widths ``dims`` (input first, classes last) with ReLU between.

    Args:
        dims: e.g. (34, 16, 2): two layers.
        residual: add each hidden layer's input to its output where the widths agree.
        seed: seeds the weights (the global generator is left alone).
    """

    def __init__(self, dims, residual: bool = False, seed: int = 0) -> None:
        super().__init__()
        dims = [int(d) for d in dims]
        if len(dims) < 2 or min(dims) < 1:
            raise ValueError(f"dims must list at least an input and an output width, all >= 1, got {dims}")
        with _seeded(seed):
            self.layers = nn.ModuleList(GCNLayer(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.residual = residual

    def embed(self, x: torch.Tensor, graph: TorchGraph) -> list[torch.Tensor]:
        """Every layer's output (the last one is the logits). Shape: (N, D) -> [(N, dims[l])]."""
        outs, h = [], x
        for k, layer in enumerate(self.layers):
            z = layer(h, graph)
            if k < len(self.layers) - 1:
                z = torch.relu(z)
                if self.residual and z.shape == h.shape:
                    z = h + z
            outs.append(z)
            h = z
        return outs

    def forward(self, x: torch.Tensor, graph: TorchGraph) -> torch.Tensor:
        return self.embed(x, graph)[-1]


class NodeMLP(GCN):
    """The same stack that ignores the edges: every node classified from its own features."""

    def embed(self, x: torch.Tensor, graph: TorchGraph) -> list[torch.Tensor]:
        n, loops = graph.num_nodes, torch.arange(graph.num_nodes)
        alone = TorchGraph(n, loops, loops, torch.ones(n), torch.eye(n), graph.batch, graph.num_graphs)   # Â = I
        return super().embed(x, alone)


class GAT(nn.Module):
    """Two GAT layers: ``heads`` heads of ``hidden`` channels (concatenated, ELU), then one head to the classes."""

    def __init__(self, d_in: int, hidden: int, classes: int, heads: int = 4, seed: int = 0) -> None:
        check_range(d_in, "d_in", 1, None, integer=True)
        check_range(hidden, "hidden", 1, None, integer=True)
        check_range(classes, "classes", 1, None, integer=True)
        check_range(heads, "heads", 1, None, integer=True)
        super().__init__()
        with _seeded(seed):
            self.first = GATLayer(d_in, hidden, heads)
            self.second = GATLayer(heads * hidden, classes, 1, concat=False)

    def forward(self, x: torch.Tensor, graph: TorchGraph, return_attention: bool = False):
        h, a1 = self.first(x, graph)
        out, a2 = self.second(nn.functional.elu(h), graph)
        return (out, (a1, a2)) if return_attention else out


class GraphClassifier(nn.Module):
    """GCN layers, mean pooling over each graph's nodes, a linear read-out: graph -> class logits."""

    def __init__(self, d_in: int, hidden: int, classes: int, layers: int = 3, seed: int = 0) -> None:
        check_range(d_in, "d_in", 1, None, integer=True)
        check_range(hidden, "hidden", 1, None, integer=True)
        check_range(classes, "classes", 1, None, integer=True)
        check_range(layers, "layers", 1, None, integer=True)
        super().__init__()
        self.body = GCN([d_in] + [hidden] * layers, seed=seed)
        with _seeded(seed + 1):
            self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor, graph: TorchGraph) -> torch.Tensor:
        h = torch.relu(self.body(x, graph))                              # (N, hidden)
        total = torch.zeros(graph.num_graphs, h.shape[1]).index_add_(0, graph.batch, h)   # (G, hidden)
        count = torch.bincount(graph.batch, minlength=graph.num_graphs).clamp(min=1)
        return self.head(total / count[:, None])                         # (G, classes): mean pooling


def _check_training(model, graph, x, y, train_idx, n_labels: int):
    """x, y, train_idx as tensors; labels in [0, K) for the model's K outputs, ids in [0, n_labels)."""
    check_type(model, "model", nn.Module, "a torch.nn.Module")
    check_type(graph, "graph", TorchGraph, "a TorchGraph (see to_torch_graph)")
    X = torch.as_tensor(check_array(x, "x", shape=(graph.num_nodes, None)), dtype=torch.float32)
    Y = torch.as_tensor(check_array(y, "y", shape=(n_labels,), dtype="int"))
    idx = torch.as_tensor(check_array(train_idx, "train_idx", ndim=1, dtype="int"))
    if idx.min() < 0 or idx.max() >= n_labels:
        raise ValueError(f"train_idx must hold ids in [0, {n_labels - 1}], got values from {idx.min().item()} "
                         f"to {idx.max().item()}")
    was_training = model.training
    with torch.no_grad():                                                 # eval: no dropout draw
        K = model.eval()(X, graph).shape[-1]
    model.train(was_training)
    if Y.min() < 0 or Y.max() >= K:
        raise ValueError(f"y must hold class labels in [0, {K - 1}] (the model has {K} outputs), got values from "
                         f"{Y.min().item()} to {Y.max().item()}")
    return X, Y, idx


def train_nodes(model: nn.Module, graph: TorchGraph, x, y, train_idx, steps: int = 200, lr: float = 0.01,
                weight_decay: float = 5e-4, seed: int = 0, progress: bool = False,
                on_step: Callable[[int, dict], None] | None = None) -> dict[str, list]:
    """Full-batch Adam on the cross-entropy of the labelled nodes ``train_idx`` only (semi-supervised:
    the other nodes still pass messages). ``seed`` seeds nothing random here (no dropout, no batches)
    but is kept for the course's loop signature. ``progress`` is accepted and ignored (runs take < 1 s).

    Returns:
        ``{"step", "loss", "train_acc", "acc"}``: ``acc`` over every node, labelled ones included.
    """
    check_range(steps, "steps", 1, None, integer=True)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    X, Y, idx = _check_training(model, graph, x, y, train_idx, graph.num_nodes if isinstance(graph, TorchGraph) else 0)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history: dict[str, list] = {"step": [], "loss": [], "train_acc": [], "acc": []}
    for step in range(1, steps + 1):
        logits = model(X, graph)                                         # (N, K)
        loss = nn.functional.cross_entropy(logits[idx], Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        record = {"step": step, "loss": loss.item(), "train_acc": logits_accuracy(logits[idx], Y[idx]),
                  "acc": logits_accuracy(logits, Y)}
        for key, value in record.items():
            history[key].append(value)
        if on_step is not None:
            on_step(step, record)
    return history


def train_graphs(model: GraphClassifier, graph: TorchGraph, x, y, train_idx, steps: int = 300, lr: float = 0.01,
                 seed: int = 0, progress: bool = False,
                 on_step: Callable[[int, dict], None] | None = None) -> dict[str, list]:
    """Full-batch Adam on the cross-entropy of the training graphs ``train_idx`` (all graphs go
    through the network as one disjoint union; only the training graphs' logits enter the loss).

    Returns:
        ``{"step", "loss", "train_acc"}``.
    """
    check_range(steps, "steps", 1, None, integer=True)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    X, Y, idx = _check_training(model, graph, x, y, train_idx, graph.num_graphs if isinstance(graph, TorchGraph) else 0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list] = {"step": [], "loss": [], "train_acc": []}
    for step in range(1, steps + 1):
        logits = model(X, graph)                                         # (G, K)
        loss = nn.functional.cross_entropy(logits[idx], Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        record = {"step": step, "loss": loss.item(), "train_acc": logits_accuracy(logits[idx], Y[idx])}
        for key, value in record.items():
            history[key].append(value)
        if on_step is not None:
            on_step(step, record)
    return history

