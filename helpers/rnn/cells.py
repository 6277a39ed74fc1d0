r"""Recurrent cells from scratch in NumPy: vanilla RNN, LSTM and GRU, one time step forward and back.

The parameter layout and gate order are PyTorch's, so weights copy across in both directions
(:func:`params_from_torch`, :func:`params_to_torch`) and every result can be checked against
``torch.nn.RNNCell`` / ``LSTMCell`` / ``GRUCell``:

* ``weight_ih`` (G·H, D), ``weight_hh`` (G·H, H), ``bias_ih`` (G·H,), ``bias_hh`` (G·H,), with
  G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: r, z, n), stacked in that order.

Each ``*_cell_forward`` returns the new state and a cache; the matching ``*_cell_backward`` takes
the gradient of the loss with respect to the new state and returns the gradients with respect to
the input, the previous state and the four parameter arrays (a :class:`CellParams`). Unrolling
these over a sequence is :mod:`helpers.rnn.bptt`.

Shape: ``N`` batch, ``D`` input features, ``H`` hidden units; x (N, D), h and c (N, H).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.basics.activations import sigmoid as _sigmoid  # the stable sigmoid of notebook 05
from helpers.core.checks import check_array, check_choice, check_range, check_type

__all__ = ["GATES", "CellParams", "init_params", "params_from_torch", "params_to_torch",
           "rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward",
           "gru_cell_forward", "gru_cell_backward", "RNNCellCache", "LSTMCellCache", "GRUCellCache"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass
class CellParams:
    """The four parameter arrays of a recurrent cell, in PyTorch's layout (also used for gradients)."""

    weight_ih: np.ndarray  # (G*H, D)
    weight_hh: np.ndarray  # (G*H, H)
    bias_ih: np.ndarray    # (G*H,)
    bias_hh: np.ndarray    # (G*H,)

    @property
    def hidden_size(self) -> int:
        return self.weight_hh.shape[1]

    @property
    def input_size(self) -> int:
        return self.weight_ih.shape[1]

    def arrays(self) -> dict[str, np.ndarray]:
        """``{"weight_ih": ..., ...}`` in PyTorch's order."""
        return {"weight_ih": self.weight_ih, "weight_hh": self.weight_hh,
                "bias_ih": self.bias_ih, "bias_hh": self.bias_hh}


def init_params(cell: str, input_size: int, hidden_size: int, rng: np.random.Generator,
                recurrent_gain: float | None = None, forget_bias: float = 0.0) -> CellParams:
    r"""Random float64 parameters for ``cell`` ("rnn", "lstm" or "gru").

    By default every entry is :math:`\mathcal U(-1/\sqrt H, 1/\sqrt H)`, as PyTorch does. With
    ``recurrent_gain`` :math:`g`, ``weight_hh`` is instead :math:`\mathcal N(0, g^2/H)` per gate, so
    each gate's recurrent matrix has spectral radius close to :math:`g` (the circular law): the
    knob of the vanishing/exploding-gradient experiments. ``forget_bias`` is added to the LSTM
    forget gate's ``bias_hh`` (and to the GRU update gate's), a common trick to remember longer.
    """
    check_choice(cell, "cell", list(GATES))
    check_range(input_size, "input_size", 1, None, integer=True)
    check_range(hidden_size, "hidden_size", 1, None, integer=True)
    check_range(forget_bias, "forget_bias", -20.0, 20.0)
    G, H, D = GATES[cell], hidden_size, input_size
    k = 1.0 / np.sqrt(H)
    p = CellParams(rng.uniform(-k, k, (G * H, D)), rng.uniform(-k, k, (G * H, H)),
                   rng.uniform(-k, k, G * H), rng.uniform(-k, k, G * H))
    if recurrent_gain is not None:
        check_range(recurrent_gain, "recurrent_gain", 0.0, 100.0)
        p.weight_hh = rng.normal(0.0, recurrent_gain / np.sqrt(H), (G * H, H))
    gate = {"lstm": 1, "gru": 1}.get(cell)  # index of the forget (LSTM) / update (GRU) block
    if gate is not None:
        p.bias_hh[gate * H:(gate + 1) * H] += forget_bias
    return p


def params_from_torch(module, layer: int = 0) -> CellParams:
    """Copy (as float64 NumPy) the parameters of a torch RNN/LSTM/GRU cell or of layer ``layer``
    of a full ``torch.nn.RNN``/``LSTM``/``GRU``."""
    suffix = "" if hasattr(module, "weight_ih") else f"_l{layer}"
    get = {n: getattr(module, n + suffix, None) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    if any(t is None for t in get.values()):
        raise ValueError(f"expected a torch RNN/LSTM/GRU (cell) with biases, got {type(module).__name__}")
    return CellParams(**{n: t.detach().cpu().double().numpy().copy() for n, t in get.items()})


def params_to_torch(params: CellParams, module, layer: int = 0) -> None:
    """Write ``params`` into a torch cell or layer ``layer`` of a full RNN (the inverse of
    :func:`params_from_torch`); shapes must match."""
    check_type(params, "params", CellParams)
    if not hasattr(module, "weight_ih") and not hasattr(module, f"weight_ih_l{layer}"):
        raise TypeError(f"module must be a torch RNN/LSTM/GRU (cell) with a layer {layer!r}, got {type(module).__name__}")
    import torch

    suffix = "" if hasattr(module, "weight_ih") else f"_l{layer}"
    with torch.no_grad():
        for name, value in params.arrays().items():
            target = getattr(module, name + suffix)
            if tuple(target.shape) != value.shape:
                raise ValueError(f"{name} must have shape {tuple(target.shape)}, got {value.shape}")
            target.copy_(torch.from_numpy(np.asarray(value)))


@dataclass(frozen=True)
class RNNCellCache:
    """What :func:`rnn_cell_backward` needs from the forward step."""

    x: np.ndarray        # (N, D) input
    h: np.ndarray        # (N, H) previous state
    h_new: np.ndarray    # (N, H) output state
    params: CellParams


@dataclass(frozen=True)
class LSTMCellCache:
    """What :func:`lstm_cell_backward` needs: inputs, the four gates and tanh(c')."""

    x: np.ndarray
    h: np.ndarray
    c: np.ndarray
    i: np.ndarray        # input gate (N, H)
    f: np.ndarray        # forget gate
    g: np.ndarray        # candidate
    o: np.ndarray        # output gate
    tc: np.ndarray       # tanh(c')
    params: CellParams


@dataclass(frozen=True)
class GRUCellCache:
    """What :func:`gru_cell_backward` needs: inputs, the gates and W_hn h + b_hn."""

    x: np.ndarray
    h: np.ndarray
    r: np.ndarray        # reset gate (N, H)
    z: np.ndarray        # update gate
    n: np.ndarray        # candidate
    hn: np.ndarray       # W_hn h + b_hn, which r multiplies
    params: CellParams


def _check_step(x, states, params: CellParams, cell: str) -> tuple[np.ndarray, ...]:
    check_type(params, "p", CellParams, "the CellParams of init_params or params_from_torch")
    G, H, D = GATES[cell], params.hidden_size, params.input_size
    if params.weight_ih.shape[0] != G * H:
        raise ValueError(f"{cell} parameters must have {G}*H = {G * H} rows, got {params.weight_ih.shape[0]}")
    x = check_array(x, "x", ndim=2, shape=(None, D))
    out = [check_array(s, name, ndim=2, shape=(x.shape[0], H)) for name, s in zip(("h", "c"), states)]
    return (x, *out)


def rnn_cell_forward(x: np.ndarray, h: np.ndarray, p: CellParams) -> tuple[np.ndarray, RNNCellCache]:
    r"""One vanilla (Elman) RNN step, as ``torch.nn.RNNCell(nonlinearity="tanh")``.

    .. math:: h' = \tanh(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})

    Shape: x (N, D), h (N, H) -> h' (N, H).

    Example:
        >>> p = init_params("rnn", 3, 4, np.random.default_rng(0))
        >>> h, cache = rnn_cell_forward(np.ones((2, 3)), np.zeros((2, 4)), p)
        >>> h.shape
        (2, 4)
    """
    x, h = _check_step(x, (h,), p, "rnn")
    h_new = np.tanh(x @ p.weight_ih.T + p.bias_ih + h @ p.weight_hh.T + p.bias_hh)  # (N, H)
    return h_new, RNNCellCache(x, h, h_new, p)


def _linear_grads(da_i: np.ndarray, da_h: np.ndarray, x: np.ndarray, h: np.ndarray,
                  p: CellParams) -> tuple[np.ndarray, np.ndarray, CellParams]:
    # The shared last step of every cell: a_i = x W_ih^T + b_ih and a_h = h W_hh^T + b_hh.
    grads = CellParams(da_i.T @ x, da_h.T @ h, da_i.sum(axis=0), da_h.sum(axis=0))
    return da_i @ p.weight_ih, da_h @ p.weight_hh, grads


def rnn_cell_backward(dy: np.ndarray, cache: RNNCellCache) -> tuple[np.ndarray, np.ndarray, CellParams]:
    r"""Backward of :func:`rnn_cell_forward`: :math:`\partial a = \partial h' \odot (1 - h'^2)`.

    ``dy`` is the gradient of the loss with respect to the step's output :math:`h'`.
    Returns ``(dx (N, D), dh (N, H), grads)``.
    """
    check_type(cache, "cache", RNNCellCache, "the RNNCellCache from rnn_cell_forward")
    dy = check_array(dy, "dy", shape=cache.h_new.shape)
    da = dy * (1.0 - cache.h_new ** 2)  # tanh' written with the output: no second tanh
    dx, dh, grads = _linear_grads(da, da, cache.x, cache.h, cache.params)
    return dx, dh, grads


def lstm_cell_forward(x: np.ndarray, h: np.ndarray, c: np.ndarray, p: CellParams
                      ) -> tuple[np.ndarray, np.ndarray, LSTMCellCache]:
    r"""One LSTM step, as ``torch.nn.LSTMCell`` (gates stacked i, f, g, o).

    .. math::
        i = \sigma(a_i),\; f = \sigma(a_f),\; g = \tanh(a_g),\; o = \sigma(a_o), \quad
        [a_i; a_f; a_g; a_o] = x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh}

        c' = f \odot c + i \odot g, \qquad h' = o \odot \tanh(c')

    Shape: x (N, D), h and c (N, H) -> h', c' (N, H).

    Example:
        >>> p = init_params("lstm", 3, 4, np.random.default_rng(0))
        >>> h, c, cache = lstm_cell_forward(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), p)
        >>> p.weight_ih.shape, h.shape, c.shape
        ((16, 3), (2, 4), (2, 4))
    """
    x, h, c = _check_step(x, (h, c), p, "lstm")
    H = p.hidden_size
    a = x @ p.weight_ih.T + p.bias_ih + h @ p.weight_hh.T + p.bias_hh  # (N, 4H)
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    return o * tc, c_new, LSTMCellCache(x, h, c, i, f, g, o, tc, p)


def lstm_cell_backward(dy: np.ndarray, dy_c: np.ndarray, cache: LSTMCellCache
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, CellParams]:
    r"""Backward of :func:`lstm_cell_forward`.

    The cell state collects two paths, :math:`\partial c'_{\text{tot}} = \partial c' + \partial h'
    \odot o \odot (1 - \tanh^2 c')`, and passes :math:`\partial c = \partial c'_{\text{tot}} \odot f`
    back: when :math:`f \approx 1` the gradient flows through time almost unchanged.

    ``dy`` and ``dy_c`` are the gradients with respect to the step's outputs :math:`h'` and :math:`c'`.
    Returns ``(dx (N, D), dh (N, H), dc (N, H), grads)``.
    """
    check_type(cache, "cache", LSTMCellCache, "the LSTMCellCache from lstm_cell_forward")
    x, h, c, i, f, g, o, tc = cache.x, cache.h, cache.c, cache.i, cache.f, cache.g, cache.o, cache.tc
    dy = check_array(dy, "dy", shape=h.shape)
    dy_c = check_array(dy_c, "dy_c", shape=h.shape)
    dc_tot = dy_c + dy * o * (1.0 - tc ** 2)
    da = np.concatenate([dc_tot * g * i * (1 - i),          # d a_i
                         dc_tot * c * f * (1 - f),          # d a_f
                         dc_tot * i * (1 - g ** 2),         # d a_g
                         dy * tc * o * (1 - o)], axis=1)      # d a_o -> (N, 4H)
    dx, dh, grads = _linear_grads(da, da, x, h, cache.params)
    return dx, dh, dc_tot * f, grads


def gru_cell_forward(x: np.ndarray, h: np.ndarray, p: CellParams) -> tuple[np.ndarray, GRUCellCache]:
    r"""One GRU step, as ``torch.nn.GRUCell`` (gates stacked r, z, n; r acts inside the bracket).

    .. math::
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}), \quad
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz})

        n = \tanh\big(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})\big), \qquad
        h' = (1 - z) \odot n + z \odot h

    Shape: x (N, D), h (N, H) -> h' (N, H).
    """
    x, h = _check_step(x, (h,), p, "gru")
    H = p.hidden_size
    gi = x @ p.weight_ih.T + p.bias_ih  # (N, 3H)
    gh = h @ p.weight_hh.T + p.bias_hh  # (N, 3H)
    r = _sigmoid(gi[:, :H] + gh[:, :H])
    z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    hn = gh[:, 2 * H:]
    n = np.tanh(gi[:, 2 * H:] + r * hn)
    return (1 - z) * n + z * h, GRUCellCache(x, h, r, z, n, hn, p)


def gru_cell_backward(dy: np.ndarray, cache: GRUCellCache) -> tuple[np.ndarray, np.ndarray, CellParams]:
    r"""Backward of :func:`gru_cell_forward`. The direct path :math:`\partial h = \partial h' \odot z`
    is the GRU's gradient highway (the LSTM's :math:`f`).

    ``dy`` is the gradient with respect to the step's output :math:`h'`.
    Returns ``(dx (N, D), dh (N, H), grads)``.
    """
    check_type(cache, "cache", GRUCellCache, "the GRUCellCache from gru_cell_forward")
    x, h, r, z, n, hn = cache.x, cache.h, cache.r, cache.z, cache.n, cache.hn
    dy = check_array(dy, "dy", shape=h.shape)
    dan = dy * (1 - z) * (1 - n ** 2)                # through n = tanh(a_n)
    dar = dan * hn * r * (1 - r)                     # r multiplies (W_hn h + b_hn)
    daz = dy * (h - n) * z * (1 - z)
    da_i = np.concatenate([dar, daz, dan], axis=1)       # (N, 3H)
    da_h = np.concatenate([dar, daz, dan * r], axis=1)   # (N, 3H)
    dx, dh, grads = _linear_grads(da_i, da_h, x, h, cache.params)
    return dx, dh + dy * z, grads
