r"""The tiny GPT (:class:`helpers.transformer.gpt.GPT`) as a NumPy decoder, for fast sampling.

The decoder interface and why sampling through it gives :func:`helpers.rnn.charlm.generate`'s
samples are in :mod:`helpers.rnn.decoding`. Two shortcuts make a step cheap, and neither changes
the numbers beyond float32 rounding:

* **a key/value cache.** While the text still fits the context window, position t of a causal
  model never looks at later positions, so the keys and values of the earlier positions do not
  change when an id is appended: only the new position is computed, against the cached ones.
  Once the window is full it slides, every id moves to a new position, and the window is read
  afresh (as :meth:`GPT.forward_state` always does).
* **a table for the first layer.** Its input is ``E[x] + P[t]``, one of K x block_size rows, so
  its layer norm and Q, K, V projection are tabulated once per model, (K, block_size, 3D).

Only the last position's logits are needed, so the last block runs its attention read-out and
MLP for that position alone.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

__all__ = ["GPTDecoder"]


def _normalize(x: np.ndarray, eps: float) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) over the last axis: a layer norm whose scale and shift are
    folded into the matrix that follows it (``LN(x) W = normalize(x) (diag(w) W) + b W``)."""
    D = x.shape[-1]
    c = x - np.add.reduce(x, axis=-1, keepdims=True) / D
    return c / np.sqrt(np.add.reduce(c * c, axis=-1, keepdims=True) / D + eps)   # biased variance, as torch


def _normalize_vector(x: np.ndarray, eps: float) -> np.ndarray:
    """:func:`_normalize` of one vector (D,), in fewer NumPy calls: a decoding step is made of them."""
    c = x - x.sum() / x.size
    return c * (1.0 / math.sqrt(float(c @ c) / x.size + eps))


def _gelu(x: np.ndarray) -> np.ndarray:
    return x * ndtr(x)   # x Phi(x) = x (1 + erf(x / sqrt 2)) / 2: the exact GELU, F.gelu's default


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = np.exp(scores - scores.max(axis=-1, keepdims=True))  # minus max: exp stays finite
    return z / z.sum(axis=-1, keepdims=True)


def _after_norm(ln, weight, bias) -> tuple[np.ndarray, np.ndarray]:
    """``LN(x) @ weight + bias`` as ``normalize(x) @ W + b``: (W, b) with LN's scale and shift folded in."""
    return np.ascontiguousarray(ln[0][:, None] * weight), ln[1] @ weight + bias


class GPTDecoder:
    r"""A causal :class:`helpers.transformer.gpt.GPT` as a NumPy step, in float32 like the model.

    The state is ``(ids, keys, values)``: the context window (a tuple of at most ``block_size`` ids) and,
    per layer, the keys and values of its positions, each (h, T, d).

    Example:
        >>> import torch
        >>> from helpers.transformer.gpt import GPT, GPTConfig
        >>> _ = torch.manual_seed(0)
        >>> model = GPT(GPTConfig(vocab_size=6, block_size=4, n_layer=2, n_head=2, n_embd=8))
        >>> dec = GPTDecoder(model)
        >>> logits, state = dec.start(np.array([1, 2, 3]))
        >>> logits, state = dec.step(4, state)          # the window is full: [1, 2, 3, 4]
        >>> logits, state = dec.step(5, state)          # it slides: [2, 3, 4, 5]
        >>> ref = model(torch.tensor([[2, 3, 4, 5]]))[0, -1].detach().numpy()
        >>> bool(np.allclose(logits, ref, atol=1e-5))
        True
    """

    def __init__(self, model) -> None:
        from helpers.transformer.gpt import GPT

        if not isinstance(model, GPT):
            raise ValueError(f"model must be a GPT, got {type(model).__name__}")
        cfg = model.config
        if not cfg.causal:
            raise ValueError("GPTDecoder needs a causal GPT (a language model); this one has causal=False")
        self.D, self.h, self.block = cfg.n_embd, cfg.n_head, cfg.block_size
        self.d = self.D // self.h

        def arr(t) -> np.ndarray:
            return t.detach().cpu().numpy().astype(np.float32)   # a copy: later training does not leak in

        self.wte = arr(model.wte.weight)                                        # (K, D)
        pos = arr(model.positions(self.block))                                  # (block, D)
        self.blocks = []
        for b in model.blocks:
            ln1, ln2 = (arr(b.ln_1.weight), arr(b.ln_1.bias)), (arr(b.ln_2.weight), arr(b.ln_2.bias))
            self.blocks.append({
                "eps": (b.ln_1.eps, b.ln_2.eps),
                "qkv": _after_norm(ln1, arr(b.attn.c_attn.weight).T, arr(b.attn.c_attn.bias)),     # (D, 3D), (3D,)
                "o": (np.ascontiguousarray(arr(b.attn.c_proj.weight).T), arr(b.attn.c_proj.bias)),  # (D, D), (D,)
                "fc": _after_norm(ln2, arr(b.mlp.c_fc.weight).T, arr(b.mlp.c_fc.bias)),            # (D, 4D), (4D,)
                "pr": (np.ascontiguousarray(arr(b.mlp.c_proj.weight).T), arr(b.mlp.c_proj.bias))})  # (4D, D), (D,)
        # the read-out: LN_f, then the embedding matrix (weight tying), no bias
        self.eps_f = model.ln_f.eps
        self.head = _after_norm((arr(model.ln_f.weight), arr(model.ln_f.bias)), self.wte.T, 0.0)  # (D, K), (K,)
        b0 = self.blocks[0]
        self.x0 = self.wte[:, None, :] + pos[None, :, :]                        # (K, block, D): every first-layer input
        self.qkv0 = _normalize(self.x0, b0["eps"][0]) @ b0["qkv"][0] + b0["qkv"][1]  # (K, block, 3D)

    def _heads(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(-1, self.h, self.d).transpose(1, 0, 2)                  # (T, D) -> (h, T, d)

    @staticmethod
    def _linear(x: np.ndarray, wb: tuple) -> np.ndarray:
        return x @ wb[0] + wb[1]

    def _mlp_residual(self, blk: dict, x: np.ndarray) -> np.ndarray:
        norm = _normalize_vector if x.ndim == 1 else _normalize
        return x + self._linear(_gelu(self._linear(norm(x, blk["eps"][1]), blk["fc"])), blk["pr"])

    def _qkv(self, layer: int, blk: dict, x: np.ndarray, ids, positions) -> np.ndarray:
        if layer == 0:
            return self.qkv0[ids, positions]                                    # tabulated
        norm = _normalize_vector if x.ndim == 1 else _normalize
        return self._linear(norm(x, blk["eps"][0]), blk["qkv"])

    def _logits(self, x_last: np.ndarray) -> np.ndarray:
        return self._linear(_normalize_vector(x_last, self.eps_f), self.head)   # (K,)

    def _read_window(self, ids: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Read the whole window (positions 0..T-1): logits after it, and its state."""
        T = len(ids)
        ids = tuple(int(i) for i in ids)                                        # the state keeps a tuple
        scale = 1.0 / math.sqrt(self.d)
        rows, positions = np.array(ids), np.arange(T)
        last = len(self.blocks) - 1
        x = self.x0[rows, positions] if last > 0 else None                     # (T, D); one block: its table suffices
        keys, values = [], []
        for layer, blk in enumerate(self.blocks):
            qkv = self._qkv(layer, blk, x, rows, positions)                     # (T, 3D)
            q, k, v = (self._heads(qkv[:, i * self.D:(i + 1) * self.D]) for i in range(3))  # 3 x (h, T, d)
            keys.append(k)
            values.append(v)
            if layer == last:   # the last block: only the last position matters
                att = _softmax(np.matmul(k, q[:, -1:].transpose(0, 2, 1))[:, :, 0] * scale)  # (h, T)
                y = np.matmul(att[:, None, :], v).reshape(self.D)              # (h, 1, d) -> (D,): heads side by side
                x_last = (self.x0[ids[-1], T - 1] if x is None else x[-1]) + self._linear(y, blk["o"])
                return self._logits(self._mlp_residual(blk, x_last)), (ids, keys, values)
            future = np.triu(np.ones((T, T), dtype=bool), k=1)                  # position t sees s <= t
            scores = np.where(future, -np.inf, q @ k.transpose(0, 2, 1) * scale)   # (h, T, T)
            y = (_softmax(scores) @ v).transpose(1, 0, 2).reshape(T, self.D)     # (T, D)
            x = self._mlp_residual(blk, x + self._linear(y, blk["o"]))
        raise AssertionError("unreachable: a GPT has at least one block")

    def start(self, prompt_ids: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Read the prompt (its last ``block_size`` ids, as ``forward_state``): logits (K,) and the state."""
        prompt_ids = np.asarray(prompt_ids, dtype=np.int64)
        if prompt_ids.ndim != 1 or prompt_ids.size == 0:
            raise ValueError(f"prompt_ids must be a non-empty 1-D array, got shape {prompt_ids.shape}")
        return self._read_window(prompt_ids[-self.block:])

    def step(self, token: int, state: tuple) -> tuple[np.ndarray, tuple]:
        """Read one more id: logits (K,) for the next one, and the new state (the old one is kept)."""
        ids, keys, values = state
        t = len(ids)
        if t == self.block:   # the window slides: every position changes, read it afresh
            return self._read_window(ids[1:] + (token,))
        scale = 1.0 / math.sqrt(self.d)
        x = self.x0[token, t]                                                   # (D,)
        new_keys, new_values = [], []
        for layer, blk in enumerate(self.blocks):
            qkv = self._qkv(layer, blk, x, token, t)                               # (3D,)
            q, k, v = qkv.reshape(3, self.h, 1, self.d)                         # each (h, 1, d)
            k = np.concatenate([keys[layer], k], axis=1)                        # (h, t+1, d)
            v = np.concatenate([values[layer], v], axis=1)
            new_keys.append(k)
            new_values.append(v)
            att = _softmax(np.matmul(k, q.transpose(0, 2, 1))[:, :, 0] * scale)  # (h, t+1)
            y = np.matmul(att[:, None, :], v).reshape(self.D)                   # (h, 1, d) -> (D,): heads side by side
            x = self._mlp_residual(blk, x + self._linear(y, blk["o"]))
        return self._logits(x), (ids + (token,), new_keys, new_values)
