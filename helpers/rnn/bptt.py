r"""Backpropagation through time (BPTT): the cells of :mod:`helpers.rnn.cells` unrolled over a sequence.

Layout: **time-major**, x of shape (T, N, D), as ``torch.nn.RNN/LSTM/GRU`` with the default
``batch_first=False`` (transpose a batch-first (N, T, D) array with ``x.transpose(1, 0, 2)``).
One layer, one direction.

Forward keeps every step's cache; backward walks the steps in reverse, adding at each step the
gradient arriving from the output :math:`\partial L/\partial y_t` to the one arriving from the
future through the state,

.. math::
    \frac{\partial L}{\partial h_t} = \frac{\partial L}{\partial y_t}
        + \Big(\frac{\partial h_{t+1}}{\partial h_t}\Big)^{\!\top} \frac{\partial L}{\partial h_{t+1}},

and accumulating the parameter gradients of all steps (the weights are shared across time). The
repeated product of Jacobians :math:`\prod_k \partial h_{k+1}/\partial h_k` is why gradients
vanish or explode over long spans (Bengio et al., 1994; Pascanu et al., 2013).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.rnn import cells
from helpers.rnn.cells import GATES, CellParams
from helpers.core.checks import check_array, check_choice, check_range, check_seed, check_type

__all__ = ["BPTTResult", "sequence_forward", "sequence_backward", "compare_with_torch", "hidden_grad_norms",
           "clip_grad_norm"]


def _n_states(cell: str) -> int:
    return 2 if cell == "lstm" else 1


def _step_forward(cell: str, x: np.ndarray, state: tuple, p: CellParams) -> tuple[tuple, tuple]:
    if cell == "rnn":
        h, cache = cells.rnn_cell_forward(x, state[0], p)
        return (h,), cache
    if cell == "gru":
        h, cache = cells.gru_cell_forward(x, state[0], p)
        return (h,), cache
    h, c, cache = cells.lstm_cell_forward(x, state[0], state[1], p)
    return (h, c), cache


def _step_backward(cell: str, d_state: tuple, cache: tuple) -> tuple[np.ndarray, tuple, CellParams]:
    if cell == "rnn":
        dx, dh, g = cells.rnn_cell_backward(d_state[0], cache)
        return dx, (dh,), g
    if cell == "gru":
        dx, dh, g = cells.gru_cell_backward(d_state[0], cache)
        return dx, (dh,), g
    dx, dh, dc, g = cells.lstm_cell_backward(d_state[0], d_state[1], cache)
    return dx, (dh, dc), g


def sequence_forward(cell: str, x: np.ndarray, params: CellParams, state0: tuple | None = None
                     ) -> tuple[np.ndarray, tuple, list]:
    r"""Run ``cell`` over a sequence, as ``torch.nn.RNN/LSTM/GRU`` (one layer, time-major).

    Args:
        cell: "rnn", "lstm" or "gru".
        x: inputs, (T, N, D).
        params: the cell's parameters (:class:`helpers.rnn.cells.CellParams`).
        state0: initial state: ``(h0,)`` or, for the LSTM, ``(h0, c0)``; each (N, H). Zeros if None.

    Returns:
        ``outputs`` (T, N, H) (every :math:`h_t`), the final state tuple, and the per-step caches
        for :func:`sequence_backward`.

    Shape: x (T, N, D) -> outputs (T, N, H); each final state (N, H).

    Example:
        >>> p = cells.init_params("gru", 3, 4, np.random.default_rng(0))
        >>> outputs, (h_T,), caches = sequence_forward("gru", np.ones((5, 2, 3)), p)
        >>> outputs.shape, bool(np.all(outputs[-1] == h_T)), len(caches)
        ((5, 2, 4), True, 5)
    """
    check_choice(cell, "cell", list(GATES))
    if not isinstance(params, CellParams):
        raise TypeError(f"params must be a CellParams (see init_params), got {type(params).__name__}")
    x = check_array(x, "x", ndim=3, shape=(None, None, params.input_size))
    T, N, _ = x.shape
    H = params.hidden_size
    if state0 is None:
        state0 = tuple(np.zeros((N, H), dtype=x.dtype) for _ in range(_n_states(cell)))
    if len(state0) != _n_states(cell):
        raise ValueError(f"state0 for {cell!r} must be a tuple of {_n_states(cell)} array(s), got {len(state0)}")
    state, caches = tuple(state0), []
    outputs = np.empty((T, N, H), dtype=np.result_type(x, params.weight_hh))
    for t in range(T):
        state, cache = _step_forward(cell, x[t], state, params)
        caches.append(cache)
        outputs[t] = state[0]
    return outputs, state, caches


@dataclass
class BPTTResult:
    """Everything :func:`sequence_backward` computes."""

    dx: np.ndarray          # (T, N, D)
    d_state0: tuple         # gradients w.r.t. the initial state, each (N, H)
    grads: CellParams       # gradients w.r.t. the parameters, summed over time
    dh: np.ndarray          # (T, N, H): the total dL/dh_t at every step


def sequence_backward(cell: str, d_outputs: np.ndarray | None, caches: list,
                      d_final: tuple | None = None) -> BPTTResult:
    r"""Backpropagation through time for :func:`sequence_forward`.

    Args:
        cell: the cell used in the forward pass.
        d_outputs: :math:`\partial L/\partial h_t` from the loss at every step, (T, N, H), or None
            if the loss only reads the final state.
        caches: the list returned by :func:`sequence_forward`.
        d_final: gradient with respect to the final state tuple (h_T, and c_T for the LSTM);
            None means zero.

    Returns:
        A :class:`BPTTResult`; ``dh[t]`` is the total gradient reaching :math:`h_t` (from its own
        output and from all later steps), the quantity whose norm vanishes or explodes.
    """
    check_choice(cell, "cell", list(GATES))
    check_type(caches, "caches", list, "the list of caches from sequence_forward")
    if not caches:
        raise ValueError("caches must hold at least one time step, got an empty list")
    T = len(caches)
    p: CellParams = caches[0].params
    N, H = caches[0].h.shape
    if d_outputs is None:
        d_outputs = np.zeros((T, N, H))
    d_outputs = check_array(d_outputs, "d_outputs", shape=(T, N, H))
    if d_final is None:
        d_final = tuple(np.zeros((N, H)) for _ in range(_n_states(cell)))
    if len(d_final) != _n_states(cell):
        raise ValueError(f"d_final for {cell!r} must be a tuple of {_n_states(cell)} array(s), got {len(d_final)}")
    d_state = tuple(check_array(d, "d_final", shape=(N, H)) for d in d_final)
    grads = CellParams(*(np.zeros_like(a) for a in p.arrays().values()))
    dx = np.empty((T, N, p.input_size))
    dh = np.empty((T, N, H))
    for t in reversed(range(T)):
        d_state = (d_state[0] + d_outputs[t],) + d_state[1:]
        dh[t] = d_state[0]
        dx[t], d_state, g = _step_backward(cell, d_state, caches[t])
        # Sum, not assign: the same weights act at every step, so their gradients add up.
        grads = CellParams(*(a + b for a, b in zip(grads.arrays().values(), g.arrays().values())))
    return BPTTResult(dx, d_state, grads, dh)


def compare_with_torch(cell: str, seq_len: int = 6, batch_size: int = 3, input_size: int = 4,
                       hidden_size: int = 5, seed: int = 0) -> dict[str, float]:
    """Max abs differences between our BPTT and ``torch.nn.RNN/LSTM/GRU`` (same weights, float64).

    Random inputs, initial state and upstream gradients on every output and on the final state;
    compares outputs, final states, dx, d(initial state) and the four parameter gradients.
    """
    import torch

    check_choice(cell, "cell", list(GATES))
    for name, value in (("seq_len", seq_len), ("batch_size", batch_size), ("input_size", input_size),
                        ("hidden_size", hidden_size)):
        check_range(value, name, 1, None, integer=True)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](input_size, hidden_size).double()
    p = cells.params_from_torch(module)
    T, N, H = seq_len, batch_size, hidden_size
    x = rng.normal(size=(T, N, input_size))                                   # (T, N, D)
    state0 = tuple(rng.normal(size=(N, H)) for _ in range(_n_states(cell)))  # each (N, H)
    d_out = rng.normal(size=(T, N, H))
    d_final = tuple(rng.normal(size=(N, H)) for _ in state0)
    outputs, final, caches = sequence_forward(cell, x, p, state0)
    ours = sequence_backward(cell, d_out, caches, d_final)

    x_t = torch.tensor(x, requires_grad=True)
    s_t = [torch.tensor(s[None], requires_grad=True) for s in state0]  # each (1, N, H): (layers, N, H)
    out, fin = module(x_t, tuple(s_t) if cell == "lstm" else s_t[0])
    fin = fin if cell == "lstm" else (fin,)
    loss = (out * torch.tensor(d_out)).sum() + sum((f[0] * torch.tensor(d)).sum() for f, d in zip(fin, d_final))
    loss.backward()

    def diff(a, b) -> float:
        return float(np.max(np.abs(a - b.detach().numpy())))

    result = {"outputs": diff(outputs, out), "final state": max(diff(a, b[0]) for a, b in zip(final, fin)),
              "dx": diff(ours.dx, x_t.grad), "d state0": max(diff(a, b.grad[0]) for a, b in zip(ours.d_state0, s_t))}
    for name, value in ours.grads.arrays().items():
        result["d " + name] = diff(value, getattr(module, name + "_l0").grad)
    return result


def hidden_grad_norms(cell: str, seq_len: int = 100, recurrent_gain: float | None = 1.0,
                      hidden_size: int = 32, input_size: int = 8, batch_size: int = 16,
                      forget_bias: float = 0.0, seed: int = 0) -> np.ndarray:
    r""":math:`\|\partial L/\partial h_t\|` for t = 1..T when the loss reads only the last state.

    A random network (see :func:`helpers.rnn.cells.init_params` for ``recurrent_gain`` and
    ``forget_bias``) reads standard-normal inputs; the loss is :math:`L = \sum v \odot h_T` with a
    random :math:`v`, so :math:`\|\partial L/\partial h_t\|` measures how much of the signal from
    the end reaches step t. Returned relative to :math:`\|\partial L/\partial h_T\|`.

    Shape: returns (T,), entry t-1 for step t; the last entry is 1.
    """
    check_choice(cell, "cell", list(GATES))
    check_range(seq_len, "seq_len", 1, 10_000, integer=True)
    for name, value in (("hidden_size", hidden_size), ("input_size", input_size), ("batch_size", batch_size)):
        check_range(value, name, 1, None, integer=True)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    p = cells.init_params(cell, input_size, hidden_size, rng, recurrent_gain=recurrent_gain,
                          forget_bias=forget_bias)
    x = rng.standard_normal((seq_len, batch_size, input_size))  # (T, N, D)
    v = rng.standard_normal((batch_size, hidden_size))          # dL/dh_T
    dh = _state_grads(cell, x, p, v)                            # (T, N, H)
    norms = np.sqrt((dh ** 2).sum(axis=(1, 2)))
    # Deep in the vanishing regime the norm underflows to exactly 0; report the smallest float
    # instead so a log-scale plot and a ratio stay finite.
    return np.maximum(norms / norms[-1], np.finfo(float).tiny)


def _state_grads(cell: str, x: np.ndarray, p: CellParams, v: np.ndarray) -> np.ndarray:
    """The ``dh`` of ``sequence_backward(cell, None, caches, (v, 0))`` after ``sequence_forward(cell, x, p)``
    from a zero state, (T, N, H): the same steps, carrying only the state gradients (no parameter
    gradients, no per-step checks, the backward's factors computed for all steps at once), so a
    widget can redraw it on every slider move. ``tests/test_rnn_state_grads.py`` checks it against the
    two functions.
    """
    T, N, _ = x.shape
    H = p.hidden_size
    h, c = np.zeros((N, H)), np.zeros((N, H))
    hs, cs, acts = [h], [c], []
    # The forward repeats the cells' expressions term for term (x W_ih^T + b_ih is the same
    # numbers for all steps at once): where tanh saturates, 1 - h^2 turns a last-bit difference
    # in h into a large one in the gradient.
    xw = x @ p.weight_ih.T + p.bias_ih                                             # (T, N, G*H)
    w_hh_t = p.weight_hh.T   # as the cells use it: a contiguous copy would change the last bits (BLAS)
    for t in range(T):
        if cell == "rnn":
            h = np.tanh(xw[t] + h @ w_hh_t + p.bias_hh)
        elif cell == "lstm":
            a = xw[t] + h @ w_hh_t + p.bias_hh                                     # (N, 4H): i, f, g, o
            sig = cells._sigmoid(a)                                                # g's block unused
            g = np.tanh(a[:, 2 * H:3 * H])
            c = sig[:, H:2 * H] * c + sig[:, :H] * g
            tc = np.tanh(c)
            h = sig[:, 3 * H:] * tc
            acts.append((sig, g, tc))
            cs.append(c)
        else:
            gi, gh = xw[t], h @ w_hh_t + p.bias_hh                                    # (N, 3H): r, z, n
            rz = cells._sigmoid(gi[:, :2 * H] + gh[:, :2 * H])
            n = np.tanh(gi[:, 2 * H:] + rz[:, :H] * gh[:, 2 * H:])
            h = (1 - rz[:, H:]) * n + rz[:, H:] * h
            acts.append((rz, n, gh[:, 2 * H:]))
        hs.append(h)
    hs = np.stack(hs)                                                              # (T+1, N, H): h_0 .. h_T
    dh_all = np.empty((T, N, H))
    dh, dc = v, np.zeros((N, H))
    if cell == "rnn":
        da_factor = 1.0 - hs[1:] ** 2                                              # tanh' at every step
        for t in reversed(range(T)):
            dh_all[t] = dh
            dh = (dh * da_factor[t]) @ p.weight_hh
    elif cell == "lstm":
        sig, g, tc = (np.stack(a) for a in zip(*acts))                             # (T, N, 4H), (T, N, H) x 2
        i, f, o = sig[..., :H], sig[..., H:2 * H], sig[..., 3 * H:]
        c_prev = np.stack(cs[:-1])
        via_h = o * (1.0 - tc ** 2)                                                # dc' from dh'
        gates = np.concatenate([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g ** 2), tc * o * (1 - o)],
                               axis=-1)                                            # (T, N, 4H): d a / d(c', c', c', h')
        for t in reversed(range(T)):
            dh_all[t] = dh
            dc_tot = dc + dh * via_h[t]
            da = np.concatenate([dc_tot, dc_tot, dc_tot, dh], axis=1) * gates[t]    # (N, 4H): d a_i, d a_f, d a_g, d a_o
            dh, dc = da @ p.weight_hh, dc_tot * f[t]
    else:
        rz, n, hn = (np.stack(a) for a in zip(*acts))
        r, z = rz[..., :H], rz[..., H:]
        via_n, via_r, via_z = (1 - z) * (1 - n ** 2), hn * r * (1 - r), (hs[:-1] - n) * z * (1 - z)
        for t in reversed(range(T)):
            dh_all[t] = dh
            dan = dh * via_n[t]
            dh = np.concatenate([dan * via_r[t], dh * via_z[t], dan * r[t]], axis=1) @ p.weight_hh + dh * z[t]
    return dh_all


def clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    r"""Rescale gradients so their global norm is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_``:

    .. math:: g \leftarrow g \cdot \min\Big(1, \frac{\text{max\_norm}}{\|g\|_2 + 10^{-6}}\Big),
        \qquad \|g\|_2 = \sqrt{\textstyle\sum_k \|g_k\|_2^2}

    The direction of the step is kept; only its length is capped (Pascanu et al., 2013).
    Returns the clipped copies and the norm before clipping.

    Example:
        >>> clipped, norm = clip_grad_norm([np.array([3.0, 0.0]), np.array([4.0])], max_norm=1.0)
        >>> round(norm, 6), [np.round(g, 3).tolist() for g in clipped]
        (5.0, [[0.6, 0.0], [0.8]])
    """
    check_range(max_norm, "max_norm", 0.0, None, low_inclusive=False)
    if not grads:
        raise ValueError("grads must be a non-empty list of arrays, got an empty list")
    grads = [check_array(g, f"grads[{k}]") for k, g in enumerate(grads)]
    total = float(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))
    scale = min(1.0, max_norm / (total + 1e-6))  # the 1e-6 keeps an all-zero gradient from dividing by 0
    return [g * scale for g in grads], total
