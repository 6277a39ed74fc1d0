r"""Sampling a character model in NumPy: the samples of :func:`helpers.rnn.charlm.generate`, faster.

:func:`~helpers.rnn.charlm.generate` is the loop to read: one ``model.forward_state`` call per
new character. On the few hundred numbers of a character model, PyTorch spends most of each
call on dispatch, not arithmetic, so a widget that resamples 150 characters on every slider move
waits tens of milliseconds. A *decoder* here is the same network written as a NumPy step on the
trained weights (:class:`LSTMDecoder`; the transformer's is
:class:`helpers.transformer.decoding.GPTDecoder`), and :func:`sample_ids` samples through it the
ids that ``generate`` samples, for the same seed. Two facts make that exact:

* ``torch.multinomial(p, 1, generator=g)`` draws one sample as :math:`\arg\max_k p_k / q_k` with
  :math:`q_k \sim \mathrm{Exp}(1)` from ``torch.empty(K).exponential_(generator=g)`` (the
  Gumbel-max trick in exponential form). The noise of a seed does not depend on the
  probabilities, so :func:`seed_noise` draws it once, with the same generator calls.
* :math:`\arg\max_k p_k / q_k = \arg\max_k (\text{logits}_k / \tau - \log q_k)`: the softmax's
  normaliser is common to every k, so no softmax is needed.

The network's numbers agree with PyTorch's to float32 rounding (about 1e-6), so a sampled
character could differ only where two candidates tie to that precision;
``tests/test_decoding.py`` checks that the samples are the same ones.

A decoder has ``start(prompt_ids) -> (logits (K,), state)`` and
``step(token, state) -> (logits (K,), state)``; it copies the weights when built, so build a
new one after the model trains further (:class:`helpers.rnn.charlm.TextSampler` does).
"""
from __future__ import annotations

import numpy as np

from helpers.core.checks import check_array, check_range, check_seed

__all__ = ["seed_noise", "sample_ids", "LSTMDecoder"]


def seed_noise(seed: int, steps: int, vocab_size: int) -> np.ndarray:
    r""":math:`\log q` for ``steps`` draws of :math:`q \sim \mathrm{Exp}(1)^K`, made by the calls that
    :func:`helpers.rnn.charlm.generate`'s ``torch.multinomial`` makes on ``torch.Generator().manual_seed(seed)``.

    Shape: returns (steps, K) float64; row t is the noise of the t-th sampled id.

    Example:
        >>> seed_noise(0, 3, 5).shape
        (3, 5)
    """
    import torch

    seed = check_seed(seed)
    check_range(steps, "steps", 0, None, integer=True)
    check_range(vocab_size, "vocab_size", 1, None, integer=True)
    gen = torch.Generator().manual_seed(seed)   # as generate() seeds it
    # one call per id, as torch.multinomial makes it
    q = [torch.empty(vocab_size).exponential_(1, generator=gen) for _ in range(steps)]
    return np.log(torch.stack(q).double().numpy()) if q else np.zeros((0, vocab_size))


def sample_ids(decoder, logits: np.ndarray, state, log_q: np.ndarray,
               temperature: float) -> tuple[list[int], np.ndarray, object]:
    r"""Sample ``len(log_q)`` ids after a decoder's ``logits`` and ``state``:
    :math:`x_t = \arg\max_k (\text{logits}_k / \tau - \log q_{t,k})`, then read :math:`x_t` in.

    Returns the ids, and the logits and state after the last one (to continue the sample).

    Shape: logits (K,), log_q (T, K) -> T ids.
    """
    check_range(temperature, "temperature", 0.0, 100.0, low_inclusive=False)
    if not callable(getattr(decoder, "step", None)):
        raise TypeError(f"decoder must be an LSTMDecoder or a GPTDecoder (something with step(token, state)), "
                        f"got {type(decoder).__name__}")
    # validated only: the arrays are used as they come (float32 logits, float64 noise), as generate() does
    check_array(logits, "logits", ndim=1)
    check_array(log_q, "log_q", shape=(None, np.shape(logits)[0]), allow_empty=True)
    ids = []
    inv_tau = 1.0 / temperature
    for noise in log_q:
        token = int(np.argmax(logits * inv_tau - noise))  # float64: logits are float32, noise float64
        ids.append(token)
        logits, state = decoder.step(token, state)
    return ids, logits, state


def _sigmoid_via_tanh(x: np.ndarray) -> np.ndarray:
    # sigma(x) = (1 + tanh(x/2)) / 2: the same function, finite for any x and with no overflow warning
    return np.tanh(x * 0.5) * 0.5 + 0.5


class LSTMDecoder:
    r"""A :class:`helpers.rnn.models.CharLSTM` as a NumPy step, in float32 like the model.

    One step is PyTorch's LSTM cell (gates in the order i, f, g, o):

    .. math::
        z = W_{ih} e_x + b_{ih} + W_{hh} h + b_{hh}, \quad
        c' = \sigma(z_f) \odot c + \sigma(z_i) \odot \tanh(z_g), \quad
        h' = \sigma(z_o) \odot \tanh(c'),

    then :math:`\text{logits} = W_{out} h' + b_{out}`. The first layer only ever sees one of K
    embeddings, so :math:`W_{ih} E^\top + b_{ih} + b_{hh}` is tabulated once, (K, 4H).

    Example:
        >>> import torch
        >>> from helpers.rnn.models import CharLSTM
        >>> _ = torch.manual_seed(0)
        >>> model = CharLSTM(vocab_size=5, embed_dim=3, hidden_size=4)
        >>> logits, state = LSTMDecoder(model).start(np.array([1, 2]))
        >>> ref = model(torch.tensor([[1, 2]]))[0, -1].detach().numpy()
        >>> bool(np.allclose(logits, ref, atol=1e-6))
        True
    """

    def __init__(self, model) -> None:
        import torch

        # a CharLSTM, recognised by its parts (importing helpers.rnn.models here would close an import circle)
        parts = {"embed": torch.nn.Embedding, "lstm": torch.nn.LSTM, "head": torch.nn.Linear}
        if not all(isinstance(getattr(model, name, None), kind) for name, kind in parts.items()):
            raise ValueError(f"model must be a CharLSTM (embed, lstm, head), got {type(model).__name__}")
        lstm = model.lstm
        if not lstm.batch_first or lstm.bidirectional or lstm.proj_size or not lstm.bias or model.head.bias is None:
            raise ValueError("model must be laid out as a CharLSTM: a batch-first, one-directional LSTM with biases "
                             "and no projection, and a read-out with a bias")
        H, self.n_layers = lstm.hidden_size, lstm.num_layers
        self.H = H
        # rows reordered to i, f, o | g: one sigmoid over the first 3H entries, one tanh over the rest
        order = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]

        def arr(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().numpy().astype(np.float32)   # a copy: later training does not leak in

        self.w_ih, self.w_hh, self.bias = [], [], []
        for layer in range(self.n_layers):
            self.w_ih.append(np.ascontiguousarray(arr(getattr(lstm, f"weight_ih_l{layer}"))[order].T))  # (D_in, 4H)
            self.w_hh.append(np.ascontiguousarray(arr(getattr(lstm, f"weight_hh_l{layer}"))[order].T))  # (H, 4H)
            self.bias.append((arr(getattr(lstm, f"bias_ih_l{layer}")) + arr(getattr(lstm, f"bias_hh_l{layer}")))[order])
        self.table = arr(model.embed.weight) @ self.w_ih[0] + self.bias[0]    # (K, 4H)
        self.w_out = np.ascontiguousarray(arr(model.head.weight).T)            # (H, K)
        self.b_out = arr(model.head.bias)                                      # (K,)

    def start(self, prompt_ids: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Read the prompt from a zero state: the logits after it and the state ``(h, c)``, each a
        tuple of L arrays (H,), one per layer."""
        prompt_ids = np.asarray(prompt_ids, dtype=np.int64)
        if prompt_ids.ndim != 1 or prompt_ids.size == 0:
            raise ValueError(f"prompt_ids must be a non-empty 1-D array, got shape {prompt_ids.shape}")
        zeros = tuple(np.zeros(self.H, np.float32) for _ in range(self.n_layers))
        state = (zeros, zeros)
        for token in prompt_ids:
            logits, state = self.step(int(token), state)
        return logits, state

    def step(self, token: int, state: tuple) -> tuple[np.ndarray, tuple]:
        """Read one id: logits (K,) for the next, and the new state (the old one is not modified)."""
        h_prev, c_prev = state
        H = self.H
        hs, cs = [], []
        x = None
        for layer in range(self.n_layers):
            z = self.table[token] if layer == 0 else x @ self.w_ih[layer] + self.bias[layer]  # (4H,)
            z = z + h_prev[layer] @ self.w_hh[layer]
            s = _sigmoid_via_tanh(z[:3 * H])                                   # i, f, o
            c = s[H:2 * H] * c_prev[layer] + s[:H] * np.tanh(z[3 * H:])
            x = s[2 * H:] * np.tanh(c)                                         # h of this layer
            hs.append(x)
            cs.append(c)
        return x @ self.w_out + self.b_out, (tuple(hs), tuple(cs))
