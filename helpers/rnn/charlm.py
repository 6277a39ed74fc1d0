"""Character-level language modelling shared by notebooks 10 (LSTM) and 11 (tiny GPT).

Both chapters train on the same frozen corpus (``data/corpus.txt``), hold out the same last 10 %,
and report the same metric, so their numbers compare directly:

.. math::  \\text{bits per character} = \\frac{1}{T \\ln 2} \\sum_t -\\ln p(x_t \\mid x_{<t})

A model here is any ``torch.nn.Module`` mapping ids (N, T) int64 to logits (N, T, K); to be
sampled from (:func:`generate`) it also has ``forward_state(ids, state) -> (logits, state)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from helpers.core.data import CharVocab, load_corpus
from helpers.core.checks import check_array, check_range, check_type
from helpers.core.loop import check_loop_args

__all__ = ["CharCorpus", "load_char_corpus", "random_batch", "bits_per_char", "train_char_model", "check_ids",
           "generate", "TextSampler"]


@dataclass(frozen=True)
class CharCorpus:
    """The corpus as ids: ``train`` is the first 90 %, ``val`` the held-out last 10 %."""

    text: str
    vocab: CharVocab
    train: np.ndarray  # (T_train,) int64
    val: np.ndarray    # (T_val,) int64


def load_char_corpus(val_fraction: float = 0.1) -> CharCorpus:
    """Load ``data/corpus.txt`` and split it by position (no shuffling: held-out text is unseen text)."""
    check_range(val_fraction, "val_fraction", 0.01, 0.5)
    text = load_corpus()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * (1 - val_fraction))
    return CharCorpus(text, vocab, ids[:cut], ids[cut:])


def random_batch(ids: np.ndarray, batch_size: int, seq_len: int, rng: np.random.Generator):
    """Random windows: inputs x (N, T) and next-character targets y (N, T), as torch int64."""
    import torch

    ids = check_array(ids, "ids", ndim=1, dtype="int")
    check_range(seq_len, "seq_len", 1, len(ids) - 2, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    starts = rng.integers(0, len(ids) - seq_len - 1, size=batch_size)
    idx = starts[:, None] + np.arange(seq_len + 1)[None, :]  # (N, T+1)
    chunk = torch.from_numpy(ids[idx])
    return chunk[:, :-1], chunk[:, 1:]


def bits_per_char(model, ids: np.ndarray, seq_len: int = 128, max_chars: int = 20_000) -> float:
    """Average next-character cross-entropy in bits over the first ``max_chars`` of ``ids``.

    The text is cut into consecutive windows of ``seq_len``; every character after the first of
    each window is predicted once (context restarts at window boundaries, for both chapters alike).
    """
    import torch
    import torch.nn.functional as F

    check_type(model, "model", torch.nn.Module, "a torch model (CharLSTM or GPT)")
    check_range(seq_len, "seq_len", 1, None, integer=True)
    check_range(max_chars, "max_chars", 1, None, integer=True)
    n = min(len(ids) - 1, max_chars) // seq_len * seq_len
    if n == 0:
        raise ValueError(f"need more than seq_len={seq_len} characters, got {len(ids)}")
    x = torch.from_numpy(ids[:n].reshape(-1, seq_len))       # (B, T)
    y = torch.from_numpy(ids[1:n + 1].reshape(-1, seq_len))  # (B, T)
    was_training = model.training
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(x), 64):
            logits = model(x[i:i + 64])                       # (b, T, K)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i:i + 64].reshape(-1),
                                     reduction="sum").item()
    model.train(was_training)
    return total / (n * math.log(2))


def train_char_model(model, corpus: CharCorpus, steps: int = 500, lr: float = 3e-3, batch_size: int = 32,
                     seq_len: int = 64, seed: int = 0, eval_every: int = 100, clip: float = 1.0,
                     plot: bool = True, progress: bool = True) -> dict[str, list[float]]:
    """Train with Adam on random windows; track train loss and held-out bits per character.

    Shows a live plot and a progress bar in Jupyter. Returns ``{"step", "train_bpc", "val_bpc"}``
    histories (``val_bpc`` every ``eval_every`` steps, on the first 20k held-out characters).
    """
    import torch
    import torch.nn.functional as F
    from helpers.core.progress import Progress

    from helpers.core.plotting import LivePlot

    check_type(model, "model", torch.nn.Module, "a torch model (CharLSTM or GPT)")
    check_type(corpus, "corpus", CharCorpus, "the CharCorpus of load_char_corpus")
    check_loop_args(steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    check_range(seq_len, "seq_len", 1, None, integer=True)
    check_range(eval_every, "eval_every", 1, None, integer=True)
    if clip is not None:  # None or 0: no clipping
        check_range(clip, "clip", 0.0, None)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    live = LivePlot(["train bpc", "val bpc"], every=eval_every, show=plot,
                    title="bits per character (lower is better)")
    live.fig.axes[0].set_ylabel("bits per character")  # both series are bpc, not a loss in nats
    history: dict[str, list[float]] = {"step": [], "train_bpc": [], "val_bpc": []}
    model.train()
    for step in Progress(range(1, steps + 1), show=progress, desc="training", min_interval=1.0):
        x, y = random_batch(corpus.train, batch_size, seq_len, rng)
        logits = model(x)                                   # (N, T, K)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        train_bpc = loss.item() / math.log(2)
        history["step"].append(step)
        history["train_bpc"].append(train_bpc)
        values = {"train bpc": train_bpc}
        if step % eval_every == 0 or step == steps:
            val = bits_per_char(model, corpus.val)
            history["val_bpc"].append(val)
            values["val bpc"] = val
        live.update(step, **values)
    live.close()
    return history


def check_ids(ids, vocab_size: int, max_len: int | None = None) -> None:
    """Raise a ``ValueError`` unless ``ids`` is an int64 tensor (N, T) of ids in [0, ``vocab_size``)
    with 1 <= T <= ``max_len`` (when given): the input check of every language model here."""
    import torch

    if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64 or ids.dim() != 2:
        got = f"{ids.dtype} tensor of shape {tuple(ids.shape)}" if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"ids must be an int64 tensor of shape (N, T), got {got}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}), got range [{int(ids.min())}, {int(ids.max())}]")
    if max_len is not None and not 1 <= ids.shape[1] <= max_len:
        raise ValueError(f"sequence length T must be in [1, {max_len}], got {ids.shape[1]}")


def _check_sampling(model, prompt_ids, length: int, temperature: float):
    """The prompt as a (T,) int64 tensor, after checking every argument of :func:`generate`."""
    import torch

    if not callable(getattr(model, "forward_state", None)):
        raise ValueError("model must have a forward_state(ids, state) method (CharLSTM and GPT do), "
                         f"got {type(model).__name__}")
    check_range(temperature, "temperature", 0.0, 100.0, low_inclusive=False)
    check_range(length, "length", 0, 100_000, integer=True)
    prompt = torch.as_tensor(np.asarray(prompt_ids), dtype=torch.int64)
    if prompt.dim() != 1 or prompt.numel() == 0:
        raise ValueError(f"prompt_ids must be a non-empty 1-D array, got shape {tuple(prompt.shape)}")
    return prompt


def generate(model, prompt_ids: np.ndarray, length: int = 200, temperature: float = 1.0,
             seed: int = 0) -> np.ndarray:
    r"""Sample ``length`` ids after ``prompt_ids``, one at a time, from
    :math:`\mathrm{softmax}(\text{logits} / \tau)`.

    Temperature :math:`\tau \to 0` approaches greedy decoding; large temperatures approach
    uniform noise. The model is read through ``logits, state = model.forward_state(ids, state)``:
    ids (N, T) -> logits (N, T', K), whose last row predicts the next id, and a state to pass
    back in with the next id. The LSTM's state is its memory ``(h, c)``, so each new character
    costs one step; the transformer's state is its context window, re-read for every new id.

    Shape:
        - prompt_ids: (T,) int64, T >= 1
        - returns: (T + length,) int64, the prompt followed by the sample

    Example:
        >>> import torch
        >>> from helpers.rnn.models import CharLSTM
        >>> _ = torch.manual_seed(0)
        >>> generate(CharLSTM(vocab_size=5), np.array([1, 2]), length=3).shape
        (5,)
    """
    import torch

    prompt = _check_sampling(model, prompt_ids, length, temperature)
    gen = torch.Generator().manual_seed(int(seed))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, state = model.forward_state(prompt[None, :])       # logits (1, T, K)
        out = [prompt]
        for _ in range(length):
            scaled = logits[0, -1] / temperature                   # (K,)
            probs = torch.softmax(scaled - scaled.max(), dim=-1)   # minus max: exp stays finite at tiny tau
            nxt = torch.multinomial(probs, 1, generator=gen)       # (1,)
            out.append(nxt)
            logits, state = model.forward_state(nxt[None, :], state)  # read the new id: (1, 1, K)
    model.train(was_training)
    return torch.cat(out).numpy()


def _keep(cache: dict, key, value, size: int) -> None:
    """Store ``value`` as the most recent entry of ``cache``, dropping the oldest beyond ``size``."""
    cache.pop(key, None)
    cache[key] = value
    while len(cache) > size:
        cache.pop(next(iter(cache)))


class TextSampler:
    """A character language model seen from outside: text in, probabilities and text out.

    What the sampling panels of notebooks 10 and 11 (:class:`helpers.ui.sampling.SamplingPanel`)
    call, so one panel serves the LSTM and the transformer alike.

    Args:
        model: a model with ``forward_state`` (:class:`helpers.rnn.models.CharLSTM`,
            :class:`helpers.transformer.gpt.GPT`).
        vocab: its :class:`helpers.core.data.CharVocab`, of the model's vocabulary size.
        decoder: optional, a class that turns the model into a NumPy decoder
            (:class:`helpers.rnn.decoding.LSTMDecoder`, :class:`helpers.transformer.decoding.GPTDecoder`):
            :meth:`sample` then returns :func:`generate`'s samples without its per-character torch
            calls, and keeps the last ones, so a longer sample continues a shorter one. Without
            it, :meth:`sample` calls :func:`generate`.

    Everything kept is keyed on the model's weights (each parameter's version counter, which
    every in-place update such as an optimizer step advances, and its storage), so training the
    model further is seen at the next call.
    """

    _KEEP = 64   # entries kept per cache (prompts, seeds, samples), the least recently used dropped first

    def __init__(self, model, vocab: CharVocab, decoder=None) -> None:
        if not isinstance(vocab, CharVocab):
            raise ValueError(f"vocab must be a CharVocab, got {type(vocab).__name__}")
        if decoder is not None and not callable(decoder):
            raise ValueError(f"decoder must be a decoder class such as LSTMDecoder, got {type(decoder).__name__}")
        self.model, self.vocab = model, vocab
        self.labels = list(vocab.chars)
        self._decoder_cls = decoder
        self._decoder, self._weights = None, None   # the decoder, built for these weights
        self._logits: dict[str, np.ndarray] = {}    # prompt -> next-character logits, for these weights
        self._noise: dict[int, np.ndarray] = {}     # seed -> log q (steps, K): independent of the weights
        self._samples: dict[tuple, list] = {}       # (prompt, temperature, seed) -> [ids, logits, state]

    def _weights_key(self) -> tuple:
        import itertools

        return tuple((id(t), t._version, t.data_ptr(), t.dtype)   # replaced storage (.data =, .double()) too
                     for t in itertools.chain(self.model.parameters(), self.model.buffers()))

    def _check_weights(self) -> None:
        """Forget everything computed from older weights."""
        key = self._weights_key()
        if key != self._weights:
            self._decoder, self._weights = None, key
            self._logits.clear()
            self._samples.clear()

    def next_probs(self, prompt: str, temperature: float = 1.0) -> np.ndarray:
        r""":math:`\mathrm{softmax}(\text{logits} / \tau)` of the character after ``prompt``; shape (K,), float64."""
        import torch

        prompt_ids = _check_sampling(self.model, self.vocab.encode(prompt), 0, temperature)
        self._check_weights()
        logits = self._logits.get(prompt)
        if logits is None:
            was_training = self.model.training
            self.model.eval()
            with torch.no_grad():
                logits = self.model.forward_state(prompt_ids[None, :])[0][0, -1].double().numpy()  # (K,)
            self.model.train(was_training)
            _keep(self._logits, prompt, logits, self._KEEP)
        z = np.exp((logits - logits.max()) / temperature)  # minus max: no overflow at small tau
        return z / z.sum()

    def entropy(self, prompt: str, temperature: float = 1.0) -> float:
        r"""Entropy :math:`-\sum_k p_k \log_2 p_k` (bits) of the character after ``prompt``."""
        probs = self.next_probs(prompt, temperature)
        return float(-(probs * np.log2(np.maximum(probs, 1e-300))).sum())  # 0 log 0 = 0

    def sample(self, prompt: str, length: int, temperature: float, seed: int = 0) -> str:
        """``prompt`` followed by ``length`` sampled characters (:func:`generate`'s, for the same seed)."""
        prompt_ids = self.vocab.encode(prompt)
        if self._decoder_cls is None or not (isinstance(seed, (int, np.integer)) and 0 <= seed < 2**32):
            return self.vocab.decode(generate(self.model, prompt_ids, length, temperature, seed))
        return self.vocab.decode(np.concatenate([prompt_ids, self._sample_ids(prompt, length, temperature, seed)]))

    def _sample_ids(self, prompt: str, length: int, temperature: float, seed: int) -> np.ndarray:
        from helpers.rnn.decoding import sample_ids, seed_noise

        prompt_ids = _check_sampling(self.model, self.vocab.encode(prompt), length, temperature).numpy()
        self._check_weights()
        if self._decoder is None:
            self._decoder = self._decoder_cls(self.model)
        noise = self._noise.get(int(seed))
        if noise is None or len(noise) < length:   # drawn for 200 ids at least: the panels' longest
            noise = seed_noise(seed, max(length, 200), len(self.labels))
            _keep(self._noise, int(seed), noise, self._KEEP)
        key = (prompt, float(temperature), int(seed))
        entry = self._samples.pop(key, None)
        if entry is None:
            entry = [[], *self._decoder.start(prompt_ids)]
        ids, logits, state = entry
        if len(ids) < length:   # continue the sample from where it stopped
            more, logits, state = sample_ids(self._decoder, logits, state, noise[len(ids):length], temperature)
            entry = [ids + more, logits, state]
        _keep(self._samples, key, entry, self._KEEP)
        return np.asarray(entry[0][:length], dtype=np.int64)
