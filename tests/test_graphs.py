"""Notebook 17: graph structure, message passing, and the GCN / GAT layers against torch_geometric
(forward with copied weights, backward against autograd), dense form against edge-list form."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from torch_geometric.nn import GATConv, GCNConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import softmax as pyg_softmax
from torch_geometric.utils import to_dense_adj

from helpers.graphs import gat, gcn, message_passing as mp, structure as st
from torch_twin import assert_close


def random_graph(N: int, P: int, seed: int, loops: bool = False, repeats: bool = False) -> np.ndarray:
    """An undirected edge list on N nodes from P random pairs (some nodes may stay isolated)."""
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, N, (P, 2))
    if not loops:
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if not repeats:
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    return st.edges_from_pairs(pairs, N) if len(pairs) else np.zeros((2, 0), dtype=np.int64)


GRAPHS = [  # (N, pairs, seed): a single node, a path, sparse with isolated nodes, dense
    (1, 0, 0), (2, 1, 1), (7, 5, 2), (12, 40, 3), (30, 60, 4)]


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("N,P,seed", GRAPHS)
def test_normalized_adjacency_matches_pyg_gcn_norm(N, P, seed):
    ei = random_graph(N, P, seed)
    A_hat = st.normalized_adjacency(st.adjacency(ei, N))
    e, w = gcn_norm(torch.as_tensor(ei), None, N, add_self_loops=True, dtype=torch.float64)
    theirs = to_dense_adj(e[[1, 0]], edge_attr=w, max_num_nodes=N)[0].numpy()   # rows: receivers
    assert_close(A_hat, theirs, what="Â")
    ours_e, ours_w = st.gcn_edge_weights(ei, N)
    dense = np.zeros((N, N))
    np.add.at(dense, (ours_e[1], ours_e[0]), ours_w)
    assert_close(dense, theirs, what="edge-list Â")
    assert np.allclose(A_hat, A_hat.T)                           # undirected: symmetric
    assert np.linalg.eigvalsh(A_hat).max() == pytest.approx(1.0)  # largest eigenvalue 1


def test_degrees_and_hops_match_networkx():
    G = nx.karate_club_graph()
    ei = st.edges_from_pairs(np.array(G.edges()), 34)
    assert np.array_equal(st.degrees(ei, 34), [G.degree(i) for i in range(34)])
    for node in (0, 16, 33):
        want = nx.single_source_shortest_path_length(G, node)
        assert np.array_equal(st.hop_distances(ei, 34, node), [want[i] for i in range(34)])
    sizes = st.receptive_field_sizes(ei, 34, 16, 6)
    assert sizes[0] == 1 and sizes[-1] == 34 and np.all(np.diff(sizes) >= 0)


def test_self_loops_replaced_and_isolated_nodes_kept_finite():
    ei = np.array([[0, 0, 1], [0, 1, 0]])                          # a loop on 0, an edge 0-1; node 2 isolated
    with_loops = st.add_self_loops(ei, 3)
    assert with_loops.shape == (2, 5) and np.sum(with_loops[0] == with_loops[1]) == 3
    A = st.adjacency(ei, 3)
    no_loops = st.normalized_adjacency(A - np.diag(np.diag(A)), self_loops=False)
    assert np.all(np.isfinite(no_loops)) and np.all(no_loops[2] == 0)
    assert st.hop_distances(ei, 3, 0)[2] == -1


def test_repeated_edges_count_twice_like_pyg():
    ei = np.array([[0, 0, 1], [1, 1, 0]])                          # 0 -> 1 twice
    assert st.adjacency(ei, 2)[1, 0] == 2
    e, w = gcn_norm(torch.as_tensor(ei), None, 2, add_self_loops=True, dtype=torch.float64)
    theirs = to_dense_adj(e[[1, 0]], edge_attr=w, max_num_nodes=2)[0].numpy()
    assert_close(st.normalized_adjacency(st.adjacency(ei, 2)), theirs)


@pytest.mark.parametrize("call,match", [
    (lambda: st.check_edge_index(np.array([[0, 1, 2]]), 3), r"shape \(2, E\)"),
    (lambda: st.check_edge_index(np.array([[0], [5]]), 3), "ids 0..2"),
    (lambda: st.check_edge_index(np.array([[0.5], [1]]), 3), "integers"),
    (lambda: st.normalized_adjacency(np.ones((2, 3))), "square"),
    (lambda: st.normalized_adjacency(-np.ones((2, 2))), "non-negative"),
    (lambda: st.hop_distances(np.zeros((2, 0), dtype=int), 3, 3), "node must be in"),
    (lambda: st.edges_from_pairs([(0, 1, 2)], 3), r"shape \(\*, 2\)"),
])
def test_structure_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- message passing
def test_scatter_sum_and_segment_softmax_match_torch():
    rng = np.random.default_rng(0)
    index = rng.integers(0, 6, 40)
    values = rng.normal(size=(40, 3)) * 50                         # large scores: the stable form matters
    want = torch.zeros(6, 3, dtype=torch.float64).index_add_(0, torch.as_tensor(index), torch.as_tensor(values))
    assert_close(mp.scatter_sum(values, index, 6), want.numpy())
    theirs = pyg_softmax(torch.as_tensor(values), torch.as_tensor(index), num_nodes=6).numpy()
    assert_close(mp.segment_softmax(values, index, 6), theirs, atol=1e-12)
    s = torch.tensor(values, requires_grad=True)
    up = rng.normal(size=(40, 3))
    pyg_softmax(s, torch.as_tensor(index), num_nodes=6).backward(torch.as_tensor(up))
    alpha = mp.segment_softmax(values, index, 6)
    assert_close(mp.segment_softmax_backward(up, alpha, index, 6), s.grad.numpy(), atol=1e-10)


def test_segment_softmax_ties_singletons_and_empty_groups_match_pyg():
    """All scores tied (zeros: each group uniform), a group of one edge (weight exactly 1, zero
    gradient), and a node that receives nothing (no row at all): forward and backward as PyG."""
    index = np.array([0, 0, 0, 2, 3, 3])                               # node 1 receives no edge
    for scores in (np.zeros((6, 2)), np.array([[1.0], [1.0], [1.0], [-7.0], [2.0], [2.0]])):
        theirs = pyg_softmax(torch.as_tensor(scores), torch.as_tensor(index), num_nodes=4)
        alpha = mp.segment_softmax(scores, index, 4)
        assert_close(alpha, theirs.numpy(), atol=1e-15)
        assert_close(alpha[:, 0], [1 / 3, 1 / 3, 1 / 3, 1.0, 0.5, 0.5], atol=1e-15)
        s = torch.tensor(scores, requires_grad=True)
        up = np.arange(scores.size, dtype=float).reshape(scores.shape)
        pyg_softmax(s, torch.as_tensor(index), num_nodes=4).backward(torch.as_tensor(up))
        ours = mp.segment_softmax_backward(up, alpha, index, 4)
        assert_close(ours, s.grad.numpy(), atol=1e-12)
        assert np.all(ours[3] == 0.0)                                      # a lone edge's weight cannot move


def test_aggregate_backward_matches_autograd_with_repeated_senders():
    rng = np.random.default_rng(1)
    ei = np.array([[0, 0, 0, 2, 3], [1, 1, 2, 1, 0]])            # 0 -> 1 twice: its gradient must add up
    x, w, up = rng.normal(size=(4, 3)), rng.normal(size=5), rng.normal(size=(4, 3))
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = torch.zeros(4, 3, dtype=torch.float64).index_add_(0, torch.as_tensor(ei[1]), wt[:, None] * xt[ei[0]])
    out.backward(torch.as_tensor(up))
    ours, cache = mp.aggregate_forward(x, ei, w)
    dx, dw = mp.aggregate_backward(up, cache)
    assert_close(ours, out.detach().numpy())
    assert_close(dx, xt.grad.numpy(), what="dx")
    assert_close(dw, wt.grad.numpy(), what="dw")


def test_mean_aggregate_leaves_a_node_without_senders_at_zero():
    out = mp.mean_aggregate(np.array([[1.0], [3.0], [5.0]]), np.array([[0, 1], [2, 2]]))
    assert np.array_equal(out.ravel(), [0.0, 0.0, 2.0])


# ----------------------------------------------------------------------------- GCN
def _pyg_gcn(x, ei, d_out, seed):
    torch.manual_seed(seed)
    conv = GCNConv(x.shape[1], d_out).double()
    torch.nn.init.normal_(conv.bias)                               # a non-zero bias, so it is tested too
    xt = torch.tensor(x, requires_grad=True)
    y = conv(xt, torch.as_tensor(ei))
    up = torch.as_tensor(np.random.default_rng(seed).normal(size=y.shape))
    y.backward(up)
    params = (conv.lin.weight.detach().numpy().T.copy(), conv.bias.detach().numpy().copy())
    grads = (xt.grad.numpy(), conv.lin.weight.grad.numpy().T, conv.bias.grad.numpy())
    return y.detach().numpy(), up.numpy(), params, grads


@pytest.mark.parametrize("N,P,seed", GRAPHS)
@pytest.mark.parametrize("d_in,d_out", [(1, 1), (5, 3), (8, 16)])
def test_gcn_matches_pyg_gcnconv_forward_and_backward(N, P, seed, d_in, d_out):
    ei = random_graph(N, P, seed)
    x = np.random.default_rng(seed + 100).normal(size=(N, d_in))
    y, up, (W, b), grads = _pyg_gcn(x, ei, d_out, seed)
    for forward, backward, what in ((gcn.gcn_forward, gcn.gcn_backward, "edge list"),
                                    (gcn.gcn_dense_forward, gcn.gcn_dense_backward, "dense")):
        graph = ei if forward is gcn.gcn_forward else st.adjacency(ei, N)
        ours, cache = forward(x, graph, W, b)
        assert_close(ours, y, what=f"{what} forward")
        for mine, theirs, name in zip(backward(up, cache), grads, ("dx", "dW", "db")):
            assert_close(mine, theirs, what=f"{what} {name}")


def test_gcn_bad_inputs():
    x, ei = np.zeros((3, 2)), np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"W must have shape \(D_in, D_out\) with D_in = x.shape\[1\] = 2"):
        gcn.gcn_forward(x, ei, np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(ValueError, match="b must have shape"):
        gcn.gcn_forward(x, ei, np.zeros((2, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        gcn.gcn_forward(np.full((3, 2), np.nan), ei, np.zeros((2, 4)), np.zeros(4))
    _, cache = gcn.gcn_forward(x, ei, np.zeros((2, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dy must have shape \(3, 4\)"):
        gcn.gcn_backward(np.zeros((3, 3)), cache)


# ----------------------------------------------------------------------------- GAT
@pytest.mark.parametrize("N,P,seed", GRAPHS[1:])
@pytest.mark.parametrize("heads,channels,concat", [(1, 1, True), (3, 2, True), (2, 4, False)])
def test_gat_matches_pyg_gatconv_forward_and_backward(N, P, seed, heads, channels, concat):
    ei = random_graph(N, P, seed)
    x = np.random.default_rng(seed + 7).normal(size=(N, 5))
    torch.manual_seed(seed)
    conv = GATConv(5, channels, heads=heads, concat=concat).double()
    torch.nn.init.normal_(conv.bias)
    xt = torch.tensor(x, requires_grad=True)
    y, (att_ei, att) = conv(xt, torch.as_tensor(ei), return_attention_weights=True)
    up = np.random.default_rng(seed).normal(size=tuple(y.shape))
    y.backward(torch.as_tensor(up))
    params = [p.detach().numpy().copy() for p in (conv.lin.weight, conv.att_src, conv.att_dst, conv.bias)]
    params = [params[0].T, params[1][0], params[2][0], params[3]]   # our layout: W (D_in, H*C), att (H, C)
    grads = [xt.grad.numpy(), conv.lin.weight.grad.numpy().T, conv.att_src.grad.numpy()[0],
             conv.att_dst.grad.numpy()[0], conv.bias.grad.numpy()]
    ours, cache = gat.gat_forward(x, ei, *params, concat=concat)
    assert_close(ours, y.detach().numpy(), what="GAT forward")
    # the same attention weight on the same edge (PyG orders its edges like ours: loops appended)
    assert np.array_equal(cache.aggregate.edge_index, att_ei.numpy())
    assert_close(cache.alpha, att.detach().numpy(), what="attention")
    for mine, theirs, name in zip(gat.gat_backward(up, cache), grads, ("dx", "dW", "d_att_src", "d_att_dst", "db")):
        assert_close(mine, theirs, what=name)
    dense, dcache = gat.gat_dense_forward(x, st.adjacency(ei, N), *params, concat=concat)
    assert_close(dense, ours, what="dense GAT forward")
    assert_close(dcache.alpha, gat.attention_matrix(cache), what="dense attention")
    for mine, theirs, name in zip(gat.gat_dense_backward(up, dcache), grads, ("dx", "dW", "d_att_src", "d_att_dst", "db")):
        assert_close(mine, theirs, what=f"dense {name}")


def test_gat_attention_sums_to_one_per_receiver_and_survives_huge_scores():
    ei = random_graph(10, 20, 5)
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 4)) * 1e3                              # scores in the thousands: exp would overflow
    _, cache = gat.gat_forward(rng.normal(size=(10, 3)), ei, W, rng.normal(size=(2, 2)), rng.normal(size=(2, 2)),
                               np.zeros(4))
    assert np.all(np.isfinite(cache.alpha))
    sums = mp.scatter_sum(cache.alpha, cache.aggregate.edge_index[1], 10)
    assert np.allclose(sums, 1.0)


def test_gat_backward_at_the_leaky_relu_kink_uses_the_slope_like_torch():
    x, ei = np.zeros((2, 2)), np.array([[0], [1]])                 # all scores exactly 0
    W, a = np.ones((2, 2)), np.ones((1, 2))
    y, cache = gat.gat_forward(x, ei, W, a, a, np.zeros(2))
    assert np.all(cache.scores == 0)
    conv = GATConv(2, 2, heads=1).double()
    with torch.no_grad():
        conv.lin.weight.copy_(torch.ones(2, 2))
        conv.att_src.fill_(1.0)
        conv.att_dst.fill_(1.0)
        conv.bias.zero_()
    xt = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
    out = conv(xt, torch.as_tensor(ei))
    up = np.array([[1.0, -2.0], [0.5, 3.0]])
    out.backward(torch.as_tensor(up))
    assert_close(gat.gat_backward(up, cache)[0], xt.grad.numpy())
    assert_close(gat.gat_backward(up, cache)[1], conv.lin.weight.grad.numpy().T)


def test_gat_bad_inputs():
    x, ei = np.zeros((3, 2)), np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"W must have shape \(2, 4\)"):
        gat.gat_forward(x, ei, np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b must have shape \(2\)"):
        gat.gat_forward(x, ei, np.zeros((2, 4)), np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(4), concat=False)
    with pytest.raises(ValueError, match="negative_slope"):
        gat.gat_forward(x, ei, np.zeros((2, 4)), np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(4), negative_slope=2.0)
