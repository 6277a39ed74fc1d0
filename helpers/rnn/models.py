"""Recurrent models in PyTorch for notebook 10: a character LSTM and a sequence classifier.

The from-scratch NumPy cells (:mod:`helpers.rnn.cells`, :mod:`helpers.rnn.bptt`) are for understanding;
training uses these ``torch.nn`` modules, which share PyTorch's parameter layout with them.

``CharLSTM`` is also the baseline that notebook 11 compares its tiny transformer with, on the same
corpus and the same metric (bits per character, :mod:`helpers.rnn.charlm`).
"""
from __future__ import annotations

import torch
from torch import nn

from helpers.core.checks import check_choice, check_range
from helpers.rnn.charlm import check_ids

__all__ = ["CharLSTM", "SequenceClassifier"]


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        check_range(value, name, 1, None, integer=True)


class CharLSTM(nn.Module):
    r"""Character-level language model: embedding → LSTM → linear read-out.

    .. math::
        e_t = E[x_t], \qquad (h_t, c_t) = \mathrm{LSTM}(e_t, (h_{t-1}, c_{t-1})), \qquad
        \text{logits}_t = W_{\text{out}} h_t + b_{\text{out}}

    and :math:`p(x_{t+1} \mid x_{\le t}) = \mathrm{softmax}(\text{logits}_t)`.

    Args:
        vocab_size: number of distinct characters ``K``.
        embed_dim: size of each character embedding.
        hidden_size: LSTM state size ``H``.
        num_layers: stacked LSTM layers.

    Shape:
        - ids: (N, T) int64 in [0, K)
        - output of ``forward``: logits (N, T, K)
        - state for :meth:`forward_state`: a pair ``(h, c)``, each (num_layers, N, H)

    Example:
        >>> model = CharLSTM(vocab_size=10)
        >>> model(torch.zeros(2, 5, dtype=torch.long)).shape
        torch.Size([2, 5, 10])
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1) -> None:
        super().__init__()
        _check_sizes(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size, num_layers=num_layers)
        self.vocab_size = int(vocab_size)
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward_state(self, ids: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                      ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits (N, T, K) and the final state ``(h, c)``; pass the state back in to continue the text."""
        check_ids(ids, self.vocab_size)
        out, state = self.lstm(self.embed(ids), state)  # out: (N, T, H)
        return self.head(out), state

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits (N, T, K) for ids (N, T), starting from a zero state."""
        return self.forward_state(ids)[0]


class SequenceClassifier(nn.Module):
    r"""A recurrent network that reads a sequence and predicts one class from its last state.

    .. math:: h_T = \mathrm{Cell}(x_1, \dots, x_T), \qquad \text{logits} = W h_T + b

    Args:
        cell: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``.
        input_size: features per time step ``D``.
        hidden_size: state size ``H``.
        num_classes: ``K``.
        forget_bias: added to the bias of the LSTM forget gate (GRU: update gate) at
            initialisation; a positive value makes a fresh cell keep its state (Gers et al., 2000;
            Jozefowicz et al., 2015). Ignored for the vanilla RNN, which has no gate.

    Shape:
        - x: (N, T, D) float (batch first)
        - output: logits (N, K)
    """

    _CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_classes: int,
                 forget_bias: float = 0.0) -> None:
        super().__init__()
        check_choice(cell, "cell", list(self._CELLS))
        check_range(forget_bias, "forget_bias", -20.0, 20.0)
        check_range(input_size, "input_size", 1, None, integer=True)
        check_range(hidden_size, "hidden_size", 1, None, integer=True)
        check_range(num_classes, "num_classes", 1, None, integer=True)
        self.cell = cell
        self.rnn = self._CELLS[cell](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)
        if cell != "rnn":  # the second gate block is f (LSTM: i, f, g, o) or z (GRU: r, z, n)
            with torch.no_grad():
                self.rnn.bias_hh_l0[hidden_size:2 * hidden_size] += forget_bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.rnn.input_size:
            raise ValueError(f"x must have shape (N, T, D) with D = {self.rnn.input_size}, got {tuple(x.shape)}")
        out, _ = self.rnn(x)           # (N, T, H)
        return self.head(out[:, -1])   # (N, K)
