"""Notebook 10 benchmarks: our NumPy BPTT vs PyTorch, and stateful vs re-reading text generation.

    python -m tools.bench --only rnn
"""
from __future__ import annotations

import numpy as np

SECTION = "Notebook 10: BPTT ours vs torch, stateful vs re-reading sampling"


def run(report) -> None:
    import torch

    from helpers.rnn import bptt, cells as rnn
    from helpers.core.data import CharVocab
    from helpers.rnn.charlm import generate
    from helpers.rnn.models import CharLSTM

    torch.set_num_threads(1)
    section = "RNN forward + backward through time, float64 (ours NumPy / torch CPU)"
    T, N, D, H = 50, 32, 32, 64
    rng = np.random.default_rng(0)
    x = rng.normal(size=(T, N, D))  # (T, N, D)
    d_out = rng.normal(size=(T, N, H))
    modules = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
    for cell, cls in modules.items():
        module = cls(D, H).double()
        p = rnn.params_from_torch(module)
        x_t = torch.tensor(x, requires_grad=True)
        up = torch.tensor(d_out)

        def ours(cell=cell, p=p):
            _, _, caches = bptt.sequence_forward(cell, x, p)
            bptt.sequence_backward(cell, d_out, caches)

        def theirs(module=module, x_t=x_t, up=up):
            module.zero_grad(set_to_none=True)
            x_t.grad = None
            out, _ = module(x_t)
            out.backward(up)

        report.ratio(section, f"{cell} T={T} N={N} D={D} H={H}", ours, theirs, repeat=10)

    class Rereading(torch.nn.Module):
        """An LSTM read the way a transformer is: its state is the last ``context`` ids, re-read
        from a zero state for every new one (what GPT.forward_state does)."""

        def __init__(self, lstm, context: int = 128) -> None:
            super().__init__()
            self.lstm, self.context = lstm, context

        def forward_state(self, ids, state=None):
            window = (ids if state is None else torch.cat([state, ids], dim=1))[:, -self.context:]
            return self.lstm(window), window

    section = "sampling 200 characters from CharLSTM (H=128), torch"
    text = "def sample(x):\n    return x\n"
    vocab = CharVocab(text)
    torch.manual_seed(0)
    model = CharLSTM(len(vocab))
    prompt = vocab.encode("def ")
    report.ratio(section, "stateful generate() vs re-reading the last 128 ids (as a transformer does)",
                 lambda: generate(model, prompt, 200, 0.8, 0),
                 lambda: generate(Rereading(model), prompt, 200, 0.8, 0), repeat=5, ref_name="re-reading")

