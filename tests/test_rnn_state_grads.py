"""hidden_grad_norms carries only the state gradients through time (helpers.rnn.bptt._state_grads):
it must give the numbers of the full BPTT (sequence_forward + sequence_backward) it replaces."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.rnn import cells
from helpers.rnn.bptt import hidden_grad_norms, sequence_backward, sequence_forward


def _full_bptt_norms(cell, seq_len, gain, forget_bias, seed=0, hidden_size=32, input_size=8, batch_size=16):
    rng = np.random.default_rng(seed)   # the draws of hidden_grad_norms, in its order
    p = cells.init_params(cell, input_size, hidden_size, rng, recurrent_gain=gain, forget_bias=forget_bias)
    x = rng.standard_normal((seq_len, batch_size, input_size))
    _, final, caches = sequence_forward(cell, x, p)
    v = rng.standard_normal(final[0].shape)
    dh = sequence_backward(cell, None, caches, (v,) + tuple(np.zeros_like(s) for s in final[1:])).dh
    norms = np.sqrt((dh ** 2).sum(axis=(1, 2)))
    return np.maximum(norms / norms[-1], np.finfo(float).tiny)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_hidden_grad_norms_equal_the_full_bptt(cell):
    # vanishing, carried and exploding (gain 4: saturated tanh, where rounding would show first)
    for seq_len, gain, bias, seed in [(10, 1.0, 0.0, 0), (200, 4.0, -2.0, 0), (100, 0.25, 6.0, 3),
                                      (60, 2.0, 1.5, 1), (2, 1.0, 0.0, 0)]:
        ours = hidden_grad_norms(cell, seq_len, gain, forget_bias=bias, seed=seed)
        full = _full_bptt_norms(cell, seq_len, gain, bias, seed)
        np.testing.assert_allclose(ours, full, rtol=1e-9, err_msg=f"{cell} T={seq_len} g={gain} b={bias}")
