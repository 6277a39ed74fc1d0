"""Notebook 17: the torch layers against torch_geometric, the data sets, the over-smoothing measures,
a short training run, the training session, the explorer's extremes and the exercise checks."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.nn import GATConv, GCNConv

from helpers.apps.ch17_graphs import KarateTrainingSession, ReceptiveFieldExplorer
from helpers.exercises import ch17
from helpers.graphs import datasets, models, smoothing, structure as st
from torch_twin import assert_close


@pytest.fixture(scope="module")
def karate():
    return datasets.karate_club()


# ----------------------------------------------------------------------------- torch layers
@pytest.mark.parametrize("num_nodes", [20, models.DENSE_UP_TO + 5])   # dense Â and edge-list paths
def test_torch_gcn_layer_matches_gcnconv(num_nodes):
    rng = np.random.default_rng(num_nodes)
    pairs = rng.integers(0, num_nodes, (3 * num_nodes, 2))
    pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
    ei = st.edges_from_pairs(pairs, num_nodes)
    graph = models.to_torch_graph(ei, num_nodes)
    assert (graph.A_hat is None) == (num_nodes > models.DENSE_UP_TO)
    layer, conv = models.GCNLayer(4, 3), GCNConv(4, 3)
    with torch.no_grad():
        conv.lin.weight.copy_(layer.lin.weight)
        layer.bias.normal_()
        conv.bias.copy_(layer.bias)
    x = torch.randn(num_nodes, 4)
    assert_close(layer(x, graph).detach(), conv(x, torch.as_tensor(ei)).detach(), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("heads,concat", [(1, True), (3, True), (2, False)])
def test_torch_gat_layer_matches_gatconv(karate, heads, concat):
    graph = models.to_torch_graph(karate.edge_index, 34)
    layer, conv = models.GATLayer(34, 4, heads, concat), GATConv(34, 4, heads=heads, concat=concat)
    with torch.no_grad():
        conv.lin.weight.copy_(layer.lin.weight)
        conv.att_src.copy_(layer.att_src[None])
        conv.att_dst.copy_(layer.att_dst[None])
        layer.bias.normal_()
        conv.bias.copy_(layer.bias)
    x = torch.randn(34, 34)
    ours, alpha = layer(x, graph)
    theirs, (_, att) = conv(x, torch.as_tensor(karate.edge_index), return_attention_weights=True)
    assert_close(ours.detach(), theirs.detach(), atol=1e-5, rtol=1e-4)
    assert_close(alpha.detach(), att.detach(), atol=1e-6, rtol=1e-4)


def test_models_are_seeded_and_leave_the_global_generator_alone():
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a, b = models.GCN([4, 8, 2], seed=3), models.GCN([4, 8, 2], seed=3)
    assert torch.equal(torch.rand(1), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(ValueError, match="dims must list"):
        models.GCN([4])


def test_karate_gcn_from_two_labels(karate):
    graph = models.to_torch_graph(karate.edge_index, 34)
    model = models.GCN([34, 16, 2], seed=0)
    history = models.train_nodes(model, graph, karate.x, karate.y, [0, 33], steps=200)
    assert set(history) == {"step", "loss", "train_acc", "acc"} and len(history["loss"]) == 200
    assert history["acc"][-1] >= 33 / 34 and history["loss"][-1] < 0.05


def test_residual_gcn_keeps_the_input_and_mlp_ignores_edges(karate):
    graph = models.to_torch_graph(karate.edge_index, 34)
    x = torch.as_tensor(karate.x, dtype=torch.float32)
    mlp = models.NodeMLP([34, 8, 2], seed=0)
    shuffled = models.to_torch_graph(st.edges_from_pairs([(0, 1)], 34), 34)
    assert torch.allclose(mlp(x, graph), mlp(x, shuffled))
    res = models.GCN([34, 34, 2], residual=True, seed=0)
    with torch.no_grad():
        for p in res.layers[0].parameters():
            p.zero_()
    assert torch.allclose(res.embed(x, graph)[0], x)


def test_graph_classifier_pools_per_graph():
    data = datasets.tree_or_cycle_graphs(6, seed=1)
    ei, batch = datasets.batch_graphs(data.graphs, data.sizes)
    graph = models.to_torch_graph(ei, len(batch), batch)
    model = models.GraphClassifier(1, 8, 2, layers=2, seed=0)
    out = model(torch.ones(len(batch), 1), graph)
    assert out.shape == (6, 2)
    single = models.to_torch_graph(data.graphs[0], int(data.sizes[0]))
    assert torch.allclose(out[0], model(torch.ones(int(data.sizes[0]), 1), single)[0], atol=1e-6)


# ----------------------------------------------------------------------------- data
def test_karate_club_is_zacharys(karate):
    assert karate.num_nodes == 34 and karate.edge_index.shape == (2, 156)
    assert karate.classes[karate.y[0]] == "Mr. Hi" and karate.classes[karate.y[33]] == "Officer"
    assert np.bincount(karate.y).tolist() == [17, 17]


def test_sbm_is_seeded_and_has_communities():
    a, b = datasets.stochastic_block_model(seed=3), datasets.stochastic_block_model(seed=3)
    assert np.array_equal(a.edge_index, b.edge_index) and np.array_equal(a.x, b.x)
    src, dst = a.edge_index
    assert np.mean(a.y[src] == a.y[dst]) > 0.7                   # most edges stay inside a community
    with pytest.raises(ValueError, match="sizes must list"):
        datasets.stochastic_block_model(sizes=(10,))


def test_tree_and_ring_families():
    data = datasets.tree_or_cycle_graphs(20, seed=0)
    for g, n, label in zip(data.graphs, data.sizes, data.y):
        edges = g.shape[1] // 2
        assert (edges == n - 1) if label == 0 else (n + 1 <= edges <= n + 3)
        assert np.all(st.hop_distances(g, int(n), 0) >= 0)       # connected
    assert abs(data.y.mean() - 0.5) < 0.01


# ----------------------------------------------------------------------------- over-smoothing
def test_pairwise_cosine_matches_brute_force():
    H = np.random.default_rng(0).normal(size=(9, 4))
    H[3] = 0.0
    unit = H / np.maximum(np.linalg.norm(H, axis=1, keepdims=True), 1e-300)
    brute = np.mean([unit[i] @ unit[j] for i in range(9) for j in range(9) if i != j])
    assert smoothing.mean_pairwise_cosine(H) == pytest.approx(brute)


def test_dirichlet_energy_matches_the_edge_sum(karate):
    H = np.random.default_rng(1).normal(size=(34, 3))
    A = st.adjacency(karate.edge_index, 34) + np.eye(34)
    d = A.sum(1)
    scaled = H / np.sqrt(d)[:, None]
    edge_sum = 0.5 * sum(A[i, j] * np.sum((scaled[i] - scaled[j]) ** 2) for i in range(34) for j in range(34))
    assert smoothing.dirichlet_energy(H, karate.edge_index) == pytest.approx(edge_sum / np.sum(H * H))


def test_propagation_oversmooths_and_the_residual_stops_it(karate):
    plain = smoothing.propagate(karate.x, karate.edge_index, 64)
    cos = [smoothing.mean_pairwise_cosine(h) for h in plain]
    assert np.all(np.diff(cos) > -1e-12) and cos[-1] > 0.999
    assert smoothing.dirichlet_energy(plain[-1], karate.edge_index) < 1e-4
    res = smoothing.propagate(karate.x, karate.edge_index, 64, alpha=0.1)
    assert smoothing.mean_pairwise_cosine(res[-1]) < 0.6


# ----------------------------------------------------------------------------- session, app, exercises
def test_karate_session_trains_and_resets():
    session = KarateTrainingSession(seed=0)
    assert "untrained" in session.draw()
    losses = [session.step(0.01) for _ in range(120)]
    assert losses[-1] < losses[0] and "of 34 members" in session.draw()
    session.reset()
    assert session.step(0.01) == pytest.approx(losses[0])


def test_explorer_extremes_and_status():
    app = ReceptiveFieldExplorer(max_steps=6)
    assert "orthogonal" in app.update(node=0, steps=0)
    status = app.update(node=33, steps=6, edges="attention")
    assert "whole club" in status and "attends most" in status
    assert np.all(np.diff(app.cosine) > 0)
    with pytest.raises(ValueError, match="steps must be in"):
        app.update(steps=7)


@pytest.mark.parametrize("check,solution,wrong,needle", [
    (ch17.check_normalized_step, ch17.solution_normalized_step,
     lambda A, X: (A + np.eye(len(A))) / (A + np.eye(len(A))).sum(1, keepdims=True) @ X, "random-walk"),
    (ch17.check_normalized_step, ch17.solution_normalized_step,
     lambda A, X: ch17.solution_normalized_step(A - np.eye(len(A)) * 0, X) * 0 + (lambda s: (s[:, None] * A * s) @ X)(
         1 / np.sqrt(np.maximum(A.sum(1), 1))), "self-loops"),
    (ch17.check_mean_aggregate, ch17.solution_mean_aggregate,
     lambda x, e: ch17.solution_mean_aggregate(x, e[::-1]), "wrong way"),
    (ch17.check_mean_aggregate, ch17.solution_mean_aggregate,
     lambda x, e: ch17.solution_mean_aggregate(x, e) * np.maximum(np.bincount(e[1], minlength=len(x)), 1)[:, None], "sum"),
    (ch17.check_receptive_field, ch17.solution_receptive_field,
     lambda e, n, node, k: ch17.solution_receptive_field(e, n, node, k) - 1, "itself"),
    (ch17.check_receptive_field, ch17.solution_receptive_field,
     lambda e, n, node, k: ch17.solution_receptive_field(e, n, node, k + 1), "k + 1"),
])
def test_exercise_checks(check, solution, wrong, needle, capsys):
    assert check(solution)
    feedback = check(wrong)
    assert not feedback and needle in feedback.message
    assert not check(lambda *args: ...)
