"""The NumPy decoders (helpers.rnn.decoding, helpers.transformer.decoding) against the torch models,
and TextSampler's fast, cached sampling against generate(): the same characters, for any order of calls."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.core.data import CharVocab
from helpers.rnn.charlm import TextSampler, generate
from helpers.rnn.decoding import LSTMDecoder, sample_ids, seed_noise
from helpers.rnn.models import CharLSTM
from helpers.transformer.decoding import GPTDecoder
from helpers.transformer.gpt import GPT, GPTConfig

TEXT = "def f(x):\n    return x + 1  # one more\nclass A:\n    pass\n"


def _lstm(num_layers: int = 1, seed: int = 0) -> CharLSTM:
    torch.manual_seed(seed)
    model = CharLSTM(len(CharVocab(TEXT)), embed_dim=8, hidden_size=16, num_layers=num_layers)
    with torch.no_grad():   # larger weights than the init: peaked, varied distributions, as after training
        for p in model.parameters():
            p.mul_(3.0)
    return model


def _gpt(n_layer: int = 1, pos: str = "learned", block_size: int = 16, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=len(CharVocab(TEXT)), block_size=block_size, n_layer=n_layer, n_head=2,
                          n_embd=16, pos=pos))
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
    return model


def _torch_logits(model, ids) -> np.ndarray:
    with torch.no_grad():
        return model.forward_state(torch.tensor([list(ids)]))[0][0, -1].numpy()


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_decoder_matches_torch_at_every_step(num_layers):
    model = _lstm(num_layers).eval()
    dec = LSTMDecoder(model)
    ids = np.random.default_rng(0).integers(0, model.vocab_size, 40)
    logits, state = dec.start(ids[:3])
    np.testing.assert_allclose(logits, _torch_logits(model, ids[:3]), atol=1e-5)
    for t in range(3, len(ids)):
        logits, state = dec.step(int(ids[t]), state)
        np.testing.assert_allclose(logits, _torch_logits(model, ids[:t + 1]), atol=1e-5)


@pytest.mark.parametrize("n_layer,pos", [(1, "learned"), (2, "learned"), (2, "sinusoidal"), (1, "none")])
def test_gpt_decoder_matches_torch_before_and_after_the_window_slides(n_layer, pos):
    model = _gpt(n_layer, pos, block_size=8).eval()
    dec = GPTDecoder(model)
    ids = np.random.default_rng(1).integers(0, model.config.vocab_size, 30)
    logits, state = dec.start(ids[:3])
    np.testing.assert_allclose(logits, _torch_logits(model, ids[:3]), atol=1e-5)
    for t in range(3, len(ids)):   # the window (8) fills at t = 7, then slides
        logits, state = dec.step(int(ids[t]), state)
        np.testing.assert_allclose(logits, _torch_logits(model, ids[max(0, t - 7):t + 1]), atol=1e-5)
    long_prompt = dec.start(ids)[0]   # a prompt longer than the window: its last block_size ids
    np.testing.assert_allclose(long_prompt, _torch_logits(model, ids[-8:]), atol=1e-5)


def test_gpt_decoder_refuses_an_encoder():
    model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=4, causal=False))
    with pytest.raises(ValueError, match="causal"):
        GPTDecoder(model)


def test_seed_noise_is_what_multinomial_draws():
    """torch.multinomial(p, 1) is argmax p / q with q the exponential draws of seed_noise, whatever p."""
    K, steps = 7, 50
    rng = np.random.default_rng(0)
    probs = torch.softmax(torch.tensor(rng.normal(size=(steps, K)) * 3, dtype=torch.float32), dim=-1)
    gen = torch.Generator().manual_seed(11)
    drawn = [int(torch.multinomial(p, 1, generator=gen)) for p in probs]
    log_q = seed_noise(11, steps, K)
    assert drawn == list(np.argmax(np.log(probs.double().numpy()) - log_q, axis=1))


class _Table:
    """A decoder whose logits are a fixed function of the last id: for sample_ids alone."""

    def __init__(self, table):
        self.table = table

    def step(self, token, state):
        return self.table[token], state + [token]


def test_sample_ids_is_argmax_of_scaled_logits_minus_noise():
    table = np.random.default_rng(2).normal(size=(5, 5)).astype(np.float32)
    log_q = seed_noise(3, 20, 5)
    ids, logits, state = sample_ids(_Table(table), table[0], [], log_q, 0.7)
    expected, last = [], 0
    for noise in log_q:
        last = int(np.argmax(table[last] / 0.7 - noise))
        expected.append(last)
    assert ids == expected == state and np.array_equal(logits, table[ids[-1]])


@pytest.mark.parametrize("kind", ["lstm", "gpt"])
def test_text_sampler_gives_generates_samples_in_any_order(kind):
    vocab = CharVocab(TEXT)
    model = _lstm() if kind == "lstm" else _gpt(block_size=16)
    sampler = TextSampler(model, vocab, decoder=LSTMDecoder if kind == "lstm" else GPTDecoder)
    calls = [("def ", 30, 1.0, 0), ("def ", 10, 1.0, 0), ("class ", 45, 0.3, 4), ("def ", 45, 1.0, 0),
             ("def ", 45, 1.0, 1), ("# ", 20, 5.0, 7), ("class ", 5, 0.3, 4), ("def ", 45, 0.05, 0),
             ("def ", 0, 1.0, 2), ("def ", 250, 1.0, 3)]   # 250: more than the noise drawn at first
    for prompt, length, tau, seed in calls:
        fast = sampler.sample(prompt, length, tau, seed)
        ref = vocab.decode(generate(model, vocab.encode(prompt), length, tau, seed))
        assert fast == ref, (prompt, length, tau, seed)
    assert len(set(sampler.sample("def ", 40, 1.0, s) for s in range(5))) > 1   # seeds differ


def test_text_sampler_sees_further_training():
    vocab = CharVocab(TEXT)
    model = _lstm()
    sampler = TextSampler(model, vocab, decoder=LSTMDecoder)
    before = sampler.sample("def ", 60, 1.0, 0)
    probs_before = sampler.next_probs("def ", 1.0)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss = model(torch.from_numpy(vocab.encode(TEXT))[None])[0, :-1].logsumexp(-1).sum()
    loss.backward()
    opt.step()   # an in-place update: the weights' version counters advance
    after = sampler.sample("def ", 60, 1.0, 0)
    assert after == vocab.decode(generate(model, vocab.encode("def "), 60, 1.0, 0)) != before
    expected = torch.softmax(model(torch.from_numpy(vocab.encode("def "))[None])[0, -1].double(), -1).detach().numpy()
    np.testing.assert_allclose(sampler.next_probs("def ", 1.0), expected, atol=1e-6)
    assert not np.allclose(sampler.next_probs("def ", 1.0), probs_before)


def test_text_sampler_without_decoder_and_with_a_seed_out_of_range_calls_generate():
    vocab = CharVocab(TEXT)
    model = _lstm()
    for sampler, seed in ((TextSampler(model, vocab), 3), (TextSampler(model, vocab, decoder=LSTMDecoder), -1)):
        assert sampler.sample("def ", 20, 1.0, seed) == vocab.decode(generate(model, vocab.encode("def "), 20, 1.0, seed))
    with pytest.raises(ValueError, match="decoder"):
        TextSampler(model, vocab, decoder="lstm")


def test_text_sampler_sees_replaced_weights():
    vocab = CharVocab(TEXT)
    model = _lstm()
    sampler = TextSampler(model, vocab, decoder=LSTMDecoder)
    before = sampler.sample("def ", 60, 1.0, 0)
    model.load_state_dict(_lstm(seed=1).state_dict())           # copied in place
    assert sampler.sample("def ", 60, 1.0, 0) == vocab.decode(generate(model, vocab.encode("def "), 60, 1.0, 0)) != before
    with torch.no_grad():
        model.head.weight.data = torch.randn_like(model.head.weight) * 3   # storage replaced, version kept
    assert sampler.sample("def ", 60, 1.0, 0) == vocab.decode(generate(model, vocab.encode("def "), 60, 1.0, 0))


def test_text_sampler_forgets_the_oldest_and_stays_right(monkeypatch):
    monkeypatch.setattr(TextSampler, "_KEEP", 2)   # every cache holds 2 entries: most calls evict one
    vocab = CharVocab(TEXT)
    model = _lstm()
    sampler = TextSampler(model, vocab, decoder=LSTMDecoder)
    rng = np.random.default_rng(0)
    for _ in range(25):
        prompt = ["def ", "class ", "# "][rng.integers(3)]
        length, tau, seed = int(rng.integers(1, 60)), float(rng.choice([0.1, 1.0, 3.0])), int(rng.integers(4))
        assert sampler.sample(prompt, length, tau, seed) == vocab.decode(
            generate(model, vocab.encode(prompt), length, tau, seed)), (prompt, length, tau, seed)
        np.testing.assert_allclose(sampler.entropy(prompt, tau), TextSampler(model, vocab).entropy(prompt, tau))
    assert max(len(sampler._samples), len(sampler._noise), len(sampler._logits)) <= 2
