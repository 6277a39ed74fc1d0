"""Notebook 17: our GCN and GAT layers (NumPy, edge list, forward + backward) vs torch_geometric's
GCNConv / GATConv (forward + autograd backward), float64, one thread, on a generated graph of
2,000 nodes and about 10,000 directed edges.

    python -m tools.bench --only graphs
"""
from __future__ import annotations

import numpy as np

SECTION = "Notebook 17: graphs, ours / torch_geometric (float64, 1 thread)"


def run(report) -> None:
    import torch
    from torch_geometric.nn import GATConv, GCNConv

    from helpers.graphs import gat, gcn, structure as st

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng = np.random.default_rng(0)
        N, D_in, D_out = 2000, 32, 16
        pairs = rng.integers(0, N, (5000, 2))
        pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
        ei = st.edges_from_pairs(pairs, N)                                           # (2, ~10k)
        x = rng.normal(size=(N, D_in))
        report.add(SECTION, "graph", f"{N} nodes, {ei.shape[1]} directed edges (+{N} self-loops), {D_in} -> {D_out} features")
        ei_t, x_t = torch.as_tensor(ei), torch.tensor(x, requires_grad=True)

        conv = GCNConv(D_in, D_out).double()
        W, b = conv.lin.weight.detach().numpy().T.copy(), conv.bias.detach().numpy().copy()
        up = rng.normal(size=(N, D_out))
        up_t = torch.as_tensor(up)

        def ours_gcn():
            y, cache = gcn.gcn_forward(x, ei, W, b)
            return gcn.gcn_backward(up, cache)

        def pyg_gcn():
            conv.zero_grad()
            x_t.grad = None
            conv(x_t, ei_t).backward(up_t)

        report.ratio(SECTION, "GCN layer forward + backward (edge list) vs GCNConv", ours_gcn, pyg_gcn,
                     repeat=20, ref_name="torch_geometric")
        report.ratio(SECTION, "GCN layer forward only vs GCNConv",
                     lambda: gcn.gcn_forward(x, ei, W, b), lambda: conv(x_t.detach(), ei_t),
                     repeat=20, ref_name="torch_geometric")

        H, C = 4, 8
        gconv = GATConv(D_in, C, heads=H).double()
        params = [p.detach().numpy().copy() for p in (gconv.lin.weight, gconv.att_src, gconv.att_dst, gconv.bias)]
        params = [params[0].T, params[1][0], params[2][0], params[3]]
        up_g = rng.normal(size=(N, H * C))
        up_gt = torch.as_tensor(up_g)

        def ours_gat():
            y, cache = gat.gat_forward(x, ei, *params)
            return gat.gat_backward(up_g, cache)

        def pyg_gat():
            gconv.zero_grad()
            x_t.grad = None
            gconv(x_t, ei_t).backward(up_gt)

        report.ratio(SECTION, f"GAT layer ({H} heads x {C}) forward + backward vs GATConv", ours_gat, pyg_gat,
                     repeat=10, ref_name="torch_geometric")
        small = st.edges_from_pairs(pairs[pairs.max(axis=1) < 300], 300)
        A = st.adjacency(small, 300)
        report.ratio(SECTION, "GCN forward, 300 nodes: dense form / edge-list form (both ours)",
                     lambda: gcn.gcn_dense_forward(x[:300], A, W, b), lambda: gcn.gcn_forward(x[:300], small, W, b),
                     repeat=20, ref_name="edge list")
    finally:
        torch.set_num_threads(threads)
