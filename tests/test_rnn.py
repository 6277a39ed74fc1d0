"""helpers.rnn.cells and helpers.rnn.bptt against their PyTorch twins (float64, forward and every gradient),
plus property tests, a central-difference check and bad-input tests."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from helpers.rnn import bptt, cells as rnn
from torch_twin import assert_close

CELLS = {"rnn": (torch.nn.RNNCell, torch.nn.RNN), "lstm": (torch.nn.LSTMCell, torch.nn.LSTM),
         "gru": (torch.nn.GRUCell, torch.nn.GRU)}
SHAPES = [(1, 1, 1), (3, 4, 5), (2, 7, 3), (5, 2, 8)]  # (N, D, H)
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _torch_module(cls, D, H, seed):
    torch.manual_seed(seed)
    return cls(D, H).double()


def _ours_step(cell, x, state, p):
    if cell == "lstm":
        h, c, cache = rnn.lstm_cell_forward(x, state[0], state[1], p)
        return (h, c), cache
    fwd = rnn.rnn_cell_forward if cell == "rnn" else rnn.gru_cell_forward
    h, cache = fwd(x, state[0], p)
    return (h,), cache


def _ours_step_backward(cell, d_state, cache):
    if cell == "lstm":
        dx, dh, dc, g = rnn.lstm_cell_backward(d_state[0], d_state[1], cache)
        return dx, (dh, dc), g
    bwd = rnn.rnn_cell_backward if cell == "rnn" else rnn.gru_cell_backward
    dx, dh, g = bwd(d_state[0], cache)
    return dx, (dh,), g


# ----------------------------------------------------------------------------- one step vs torch cells
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("N,D,H", SHAPES)
def test_cell_matches_torch_forward_and_all_grads(cell, N, D, H):
    rng = np.random.default_rng(N * 100 + D * 10 + H)
    module = _torch_module(CELLS[cell][0], D, H, seed=H)
    p = rnn.params_from_torch(module)
    n_states = 2 if cell == "lstm" else 1
    x = rng.normal(size=(N, D))
    state = tuple(rng.normal(size=(N, H)) for _ in range(n_states))
    ups = tuple(rng.normal(size=(N, H)) for _ in range(n_states))

    new_state, cache = _ours_step(cell, x, state, p)
    dx, d_state, grads = _ours_step_backward(cell, ups, cache)

    xt = torch.tensor(x, requires_grad=True)
    st_t = [torch.tensor(s, requires_grad=True) for s in state]
    out = module(xt, tuple(st_t)) if cell == "lstm" else module(xt, st_t[0])
    out = out if cell == "lstm" else (out,)
    sum((o * torch.tensor(u)).sum() for o, u in zip(out, ups)).backward()

    for ours, theirs in zip(new_state, out):
        assert_close(ours, theirs.detach().numpy(), what=f"{cell} state")
    assert_close(dx, xt.grad.numpy(), what="dx")
    for ours, theirs in zip(d_state, st_t):
        assert_close(ours, theirs.grad.numpy(), what="d state")
    for name in PARAM_NAMES:
        assert_close(getattr(grads, name), getattr(module, name).grad.numpy(), what=name)


# ----------------------------------------------------------------------------- sequences vs torch RNN/LSTM/GRU
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("T,N,D,H", [(1, 2, 3, 4), (6, 3, 4, 5), (12, 1, 2, 3), (9, 4, 6, 2)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_sequence_matches_torch_outputs_states_and_all_grads(cell, T, N, D, H, batch_first):
    rng = np.random.default_rng(T * 1000 + N * 100 + D * 10 + H)
    torch.manual_seed(T + H)
    module = CELLS[cell][1](D, H, batch_first=batch_first).double()
    p = rnn.params_from_torch(module)
    n_states = 2 if cell == "lstm" else 1
    x = rng.normal(size=(T, N, D))  # ours is time-major
    state0 = tuple(rng.normal(size=(N, H)) for _ in range(n_states))
    d_out = rng.normal(size=(T, N, H))
    d_final = tuple(rng.normal(size=(N, H)) for _ in range(n_states))

    outputs, final, caches = bptt.sequence_forward(cell, x, p, state0)
    res = bptt.sequence_backward(cell, d_out, caches, d_final)

    x_t = torch.tensor(x.transpose(1, 0, 2) if batch_first else x, requires_grad=True)  # (N, T, D) or (T, N, D)
    s_t = [torch.tensor(s[None], requires_grad=True) for s in state0]  # (1, N, H)
    out, fin = module(x_t, tuple(s_t) if cell == "lstm" else s_t[0])
    fin = fin if cell == "lstm" else (fin,)
    out_tm = out.transpose(0, 1) if batch_first else out  # (T, N, H)
    loss = (out_tm * torch.tensor(d_out)).sum() + sum((f[0] * torch.tensor(d)).sum() for f, d in zip(fin, d_final))
    loss.backward()

    assert_close(outputs, out_tm.detach().numpy(), what="outputs")
    for ours, theirs in zip(final, fin):
        assert_close(ours, theirs[0].detach().numpy(), what="final state")
    dx_t = x_t.grad.numpy().transpose(1, 0, 2) if batch_first else x_t.grad.numpy()
    assert_close(res.dx, dx_t, what="dx")
    for ours, theirs in zip(res.d_state0, s_t):
        assert_close(ours, theirs.grad[0].numpy(), what="d state0")
    for name in PARAM_NAMES:
        assert_close(getattr(res.grads, name), getattr(module, name + "_l0").grad.numpy(), what=name)


def test_params_round_trip_into_torch():
    rng = np.random.default_rng(0)
    p = rnn.init_params("lstm", 3, 4, rng)
    module = torch.nn.LSTM(3, 4).double()
    rnn.params_to_torch(p, module)
    back = rnn.params_from_torch(module)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(getattr(back, name), getattr(p, name))
    with pytest.raises(ValueError, match=r"weight_ih must have shape \(16, 3\), got \(12, 3\)"):
        rnn.params_to_torch(rnn.init_params("gru", 3, 4, rng), module)


# ----------------------------------------------------------------------------- central differences
@pytest.mark.parametrize("cell", list(CELLS))
def test_bptt_matches_central_differences(cell):
    rng = np.random.default_rng(3)
    p = rnn.init_params(cell, 2, 3, rng, recurrent_gain=1.5)
    x = rng.normal(size=(5, 2, 2))
    w = rng.normal(size=(5, 2, 3))

    def loss():
        return float((bptt.sequence_forward(cell, x, p)[0] * w).sum())

    res = bptt.sequence_backward(cell, w, bptt.sequence_forward(cell, x, p)[2])
    eps = 1e-6
    for name in PARAM_NAMES:
        arr = getattr(p, name)
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = loss()
            arr[idx] = old - eps
            down = loss()
            arr[idx] = old
            num[idx] = (up - down) / (2 * eps)
        assert_close(getattr(res.grads, name), num, atol=1e-7, rtol=1e-6, what=name)


# ----------------------------------------------------------------------------- properties
@given(scale=st.floats(1e-3, 1e4), seed=st.integers(0, 10_000), cell=st.sampled_from(list(CELLS)))
def test_states_stay_bounded_and_finite_for_huge_inputs(scale, seed, cell):
    rng = np.random.default_rng(seed)
    p = rnn.init_params(cell, 3, 4, rng, recurrent_gain=3.0)
    x = rng.normal(size=(8, 2, 3)) * scale
    outputs, final, caches = bptt.sequence_forward(cell, x, p)
    assert np.all(np.isfinite(outputs)) and np.all(np.abs(outputs) <= 1.0)  # h = tanh(.) or o*tanh(c)
    res = bptt.sequence_backward(cell, np.ones_like(outputs), caches)
    assert all(np.all(np.isfinite(g)) for g in res.grads.arrays().values())


@given(seed=st.integers(0, 10_000))
def test_gru_with_closed_update_gate_copies_the_state(seed):
    # z = 1 (a huge update-gate bias) means h' = h exactly: the GRU's memory highway.
    rng = np.random.default_rng(seed)
    p = rnn.init_params("gru", 3, 4, rng, forget_bias=20.0)
    p.bias_ih[4:8] += 20.0
    h = rng.uniform(-1, 1, size=(2, 4))
    h_new, _ = rnn.gru_cell_forward(rng.normal(size=(2, 3)), h, p)
    assert np.allclose(h_new, h, atol=1e-12)


@given(seed=st.integers(0, 10_000), max_norm=st.floats(1e-3, 1e3))
def test_clip_grad_norm_matches_torch_and_caps_the_norm(seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=(3, 2)) * rng.uniform(0, 100), rng.normal(size=4)]
    clipped, total = bptt.clip_grad_norm(grads, max_norm)
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(ts, grads):
        t.grad = torch.tensor(g)
    torch_total = torch.nn.utils.clip_grad_norm_(ts, max_norm)
    assert np.isclose(total, float(torch_total))
    for ours, t in zip(clipped, ts):
        assert_close(ours, t.grad.numpy(), what="clipped gradient")
    new_norm = np.sqrt(sum((g ** 2).sum() for g in clipped))
    assert new_norm <= max_norm * (1 + 1e-9) or np.isclose(new_norm, total)


def test_clip_grad_norm_of_zero_gradients_matches_torch():
    grads = [np.zeros((3, 2)), np.zeros(4)]
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t in ts:
        t.grad = torch.zeros_like(t)
    torch_total = torch.nn.utils.clip_grad_norm_(ts, 1.0)
    clipped, total = bptt.clip_grad_norm(grads, 1.0)
    assert total == float(torch_total) == 0.0
    assert all(np.array_equal(ours, t.grad.numpy()) for ours, t in zip(clipped, ts))


def test_hidden_grad_norms_vanish_and_explode_for_the_vanilla_rnn():
    for seed in range(4):
        assert bptt.hidden_grad_norms("rnn", 100, 0.5, seed=seed)[0] < 1e-20
        assert bptt.hidden_grad_norms("rnn", 100, 2.0, seed=seed)[0] > 1e3
        for cell in ("lstm", "gru"):  # a gate biased to remember carries the gradient back
            assert bptt.hidden_grad_norms(cell, 100, 1.0, forget_bias=3.0, seed=seed)[0] > 1e-2
    norms = bptt.hidden_grad_norms("lstm", 50, 1.0)
    assert norms.shape == (50,) and norms[-1] == 1.0


# ----------------------------------------------------------------------------- bad inputs
def test_bad_inputs_raise_value_errors_naming_expected_and_received():
    rng = np.random.default_rng(0)
    p = rnn.init_params("rnn", 3, 4, rng)
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 3\), got \(2, 5\)"):
        rnn.rnn_cell_forward(np.zeros((2, 5)), np.zeros((2, 4)), p)
    with pytest.raises(ValueError, match=r"h must have shape \(2, 4\), got \(3, 4\)"):
        rnn.rnn_cell_forward(np.zeros((2, 3)), np.zeros((3, 4)), p)
    with pytest.raises(ValueError, match="x must be finite, got 1 NaN"):
        rnn.rnn_cell_forward(np.array([[0.0, np.nan, 0.0]]), np.zeros((1, 4)), p)
    with pytest.raises(ValueError, match="x must hold real numbers, got dtype complex"):
        rnn.rnn_cell_forward(np.zeros((1, 3), dtype=complex), np.zeros((1, 4)), p)
    with pytest.raises(ValueError, match=r"x must not be empty, got shape \(0, 0, 3\)"):
        bptt.sequence_forward("rnn", np.zeros((0, 0, 3)), p)
    with pytest.raises(ValueError, match=r"x must have 3 dimension\(s\), got shape \(2, 3\)"):
        bptt.sequence_forward("rnn", np.zeros((2, 3)), p)
    with pytest.raises(ValueError, match=r"lstm parameters must have 4\*H = 16 rows, got 4"):
        rnn.lstm_cell_forward(np.zeros((1, 3)), np.zeros((1, 4)), np.zeros((1, 4)), p)
    with pytest.raises(ValueError, match=r"cell must be one of \['rnn', 'lstm', 'gru'\], got 'elman'"):
        bptt.sequence_forward("elman", np.zeros((2, 1, 3)), p)
    with pytest.raises(ValueError, match="state0 for 'lstm' must be a tuple of 2 array"):
        bptt.sequence_forward("lstm", np.zeros((2, 1, 3)), rnn.init_params("lstm", 3, 4, rng), (np.zeros((1, 4)),))
    _, _, caches = bptt.sequence_forward("rnn", np.zeros((2, 1, 3)), p)
    with pytest.raises(ValueError, match=r"d_outputs must have shape \(2, 1, 4\), got \(2, 1, 3\)"):
        bptt.sequence_backward("rnn", np.zeros((2, 1, 3)), caches)
    with pytest.raises(ValueError, match="caches must hold at least one time step"):
        bptt.sequence_backward("rnn", None, [])
    with pytest.raises(ValueError, match=r"max_norm must be in \(0.0, inf\], got 0"):
        bptt.clip_grad_norm([np.ones(2)], 0)
    with pytest.raises(ValueError, match="grads must be a non-empty list"):
        bptt.clip_grad_norm([], 1.0)
    with pytest.raises(ValueError, match="expected a torch RNN/LSTM/GRU"):
        rnn.params_from_torch(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("cell", list(CELLS))
def test_compare_with_torch_reports_tiny_differences_for_every_quantity(cell):
    diffs = bptt.compare_with_torch(cell, seq_len=4, batch_size=2, input_size=3, hidden_size=2, seed=7)
    assert set(diffs) == {"outputs", "final state", "dx", "d state0", "d weight_ih", "d weight_hh",
                          "d bias_ih", "d bias_hh"}
    assert max(diffs.values()) < 1e-12
