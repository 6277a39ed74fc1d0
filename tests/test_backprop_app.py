"""Notebook 04's widgets: the neuron-graph app, the training session under the TrainingPlayer, the graph drawing."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.autograd import modules as nn
from helpers.apps.ch04_backprop import NeuronGraphApp, TrainingSession, compare_figure, neuron_graph
from helpers.autograd.tensor import Tensor
from helpers.autograd.graph import GraphDrawing, draw_graph, layout, node_label, trace
from helpers.ui.player import TrainingPlayer
from helpers.core.figures import render_png
from torch_twin import assert_close, torch_value_and_grads


@pytest.fixture(scope="module")
def session():
    return TrainingSession()


# ----------------------------------------------------------------------------- training session + player
def test_player_trains_the_session_and_reset_restarts_identically(session):
    player = TrainingPlayer(session, lr=0.5, lr_range=(1e-3, 10.0), steps_per_tick=5)
    status = player.run(200)
    assert len(player.losses) == 200 and not player.diverged
    assert player.losses[-1] < 0.5 * player.losses[0]
    assert "train accuracy" in status and session.accuracy() > 0.9
    first = player.losses[0]
    player.reset()
    assert player.losses == [] and session.losses == []
    player.run(1)
    assert player.losses[0] == first


def test_player_matches_torch_with_the_same_init(session):
    player = TrainingPlayer(session, lr=0.5, lr_range=(1e-3, 10.0))
    player.run(40)
    twin = nn.to_torch(nn.MLP(session.sizes, session.activation, seed=session.seed))
    opt = torch.optim.SGD(twin.parameters(), lr=0.5)
    X, y = torch.tensor(session.X), torch.tensor(session.y)
    for ours in player.losses:
        loss = torch.nn.functional.cross_entropy(twin(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert abs(ours - loss.item()) < 1e-10


def test_lr_changed_mid_run_takes_effect(session):
    player = TrainingPlayer(session, lr=0.5, lr_range=(1e-3, 10.0))
    player.run(5)
    player.lr_slider.value = 1e-3
    before = [p.data.copy() for p in session.model.parameters()]
    player.run(1)
    moved = max(np.abs(p.data - b).max() for p, b in zip(session.model.parameters(), before))
    assert 0 < moved < 1e-2


def test_lowest_lr_is_reported_as_slow_in_words(session):
    player = TrainingPlayer(session, lr=1e-3, lr_range=(1e-3, 10.0))
    status = player.run(120)
    assert not player.diverged and "Slow" in status and "raise the learning rate" in status


def test_highest_lr_is_reported_as_unstable_in_words(session):
    player = TrainingPlayer(session, lr=10.0, lr_range=(1e-3, 10.0))
    status = player.run(60)
    assert "Unstable" in status and "learning rate" in status
    assert "nan" not in status.lower()
    assert render_png(session.fig).startswith(b"\x89PNG")


def test_relu_divergence_stops_the_player_with_a_message():
    relu = TrainingSession(activation="relu")
    player = TrainingPlayer(relu, lr=100.0, lr_range=(1e-3, 100.0))
    status = player.run(50)
    assert player.diverged and "diverged at step" in status and "lower the learning rate" in status
    assert player.step_count < 50
    assert "diverged" in player.run(5)  # stays stopped until reset
    player.reset()
    assert not player.diverged


def test_session_draw_before_training_and_bad_arguments(session):
    session.reset()
    assert session.draw().startswith("ready")
    with pytest.raises(ValueError, match=r"start and end with 2"):
        TrainingSession(sizes=(3, 4, 2))
    with pytest.raises(ValueError, match="lr must be in"):
        session.step(0.0)


def test_compare_figure_has_three_panels(session):
    p = lambda pts: session.model.predict_proba(pts)[:, 1]  # noqa: E731
    fig = compare_figure(p, p, session.X, session.y, [1.0, 0.5], [1.0, 0.5])
    assert len(fig.axes) == 4 and render_png(fig).startswith(b"\x89PNG")  # three panels and a colour bar
    with pytest.raises(ValueError, match="X must have shape"):
        compare_figure(p, p, np.ones((3, 3)), session.y, [1.0], [1.0])


# ----------------------------------------------------------------------------- neuron graph app
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_neuron_graph_gradients_match_torch(activation):
    vals = dict(x1=1.5, x2=-0.5, w1=0.7, w2=-1.2, b=0.3, t=0.2)
    g = neuron_graph(**vals, activation=activation)
    keys = ["x1", "w1", "x2", "w2", "b"]

    def twin(x1, w1, x2, w2, b):
        return (getattr(torch, activation)(x1 * w1 + x2 * w2 + b) - vals["t"]) ** 2
    value, grads = torch_value_and_grads(twin, *[np.array(vals[k]) for k in keys])
    assert_close(g["L"].data, value)
    for k, want in zip(keys, grads):
        assert_close(g[k].grad, want, what=f"dL/d{k}")


def test_neuron_app_reports_degenerate_cases_in_words():
    app = NeuronGraphApp()
    assert "ReLU is off" in app.update(x1=2.0, w1=-3.0, x2=0.0, w2=0.0, b=0.0, activation="relu")
    assert "saturated" in app.update(x1=3.0, w1=3.0, x2=3.0, w2=3.0, b=3.0, activation="tanh")
    assert "every gradient are 0" in app.update(x1=0.0, x2=0.0, b=0.0, t=0.5, activation="sigmoid")
    status = app.update(**app.defaults())
    assert status.startswith("L = ") and "∂L/∂w1" in status


# ----------------------------------------------------------------------------- graph drawing
def test_trace_and_layout_of_a_small_graph():
    a, b = Tensor(2.0, name="a"), Tensor(3.0, name="b")
    c = a * b
    d = c + a  # `a` used twice: one node, two edges out
    nodes, edges = trace(d)
    assert nodes[-1] is d and len(nodes) == 4 and len(edges) == 4
    pos = layout(nodes, edges)
    assert pos.shape == (4, 2)
    assert pos[nodes.index(a), 0] < pos[nodes.index(c), 0] < pos[nodes.index(d), 0]
    d.backward()
    assert "∂L: 4" in node_label(a) and "= 2" in node_label(a)


def test_graph_drawing_updates_in_place_and_refuses_another_structure():
    x = Tensor([1.0, 2.0], name="x")
    drawing = GraphDrawing((x * 2.0).sum())
    texts = list(drawing.texts)
    y = Tensor([3.0, 4.0], name="x")
    drawing.update((y * 5.0).sum())
    assert drawing.texts == texts and "shape (2,)" in texts[0].get_text()
    with pytest.raises(ValueError, match="same structure"):
        drawing.update(y.tanh().sum())
    with pytest.raises(ValueError, match="needs a Tensor"):
        draw_graph(np.ones(2))


def test_snapshot_is_a_fresh_static_figure(session):
    session.step(0.3)
    fig = session.snapshot()
    assert fig is not session.fig and len(fig.axes) == 3  # boundary, loss, colour bar
    assert len(fig.axes[1].lines[0].get_xdata()) == len(session.losses)
    assert render_png(fig).startswith(b"\x89PNG")
