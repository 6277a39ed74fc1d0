r"""A tiny decoder-only transformer in PyTorch (notebook 11), written to be read in one sitting.

The layout follows nanoGPT (Karpathy, 2022): token embedding + position embedding, a stack of
pre-norm :class:`Block` s, a final layer norm and a linear read-out tied to the token embedding.
One block is

.. math::
    x \leftarrow x + \mathrm{Attn}(\mathrm{LN}_1(x)), \qquad
    x \leftarrow x + \mathrm{MLP}(\mathrm{LN}_2(x)),

with :math:`\mathrm{Attn}` the multi-head attention of :mod:`helpers.transformer.attention` (Vaswani et al.,
2017, "Attention is all you need") and :math:`\mathrm{MLP}(x) = W_2\,\mathrm{GELU}(W_1 x)`.

Two switches serve the chapter's experiments:

* ``GPTConfig.pos``: ``"learned"`` (a trained table, as in GPT-2), ``"sinusoidal"`` (the fixed
  encoding of :func:`helpers.transformer.attention.positional_encoding`) or ``"none"`` (no position at all);
* ``GPTConfig.causal``: the causal mask (a language model may not read the future). With
  ``causal=False`` the same stack is an encoder that reads the whole input at once.

:meth:`GPT.attention_maps` returns every layer's and head's attention weights for plotting.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from helpers.transformer.attention import positional_encoding
from helpers.core.checks import check_choice, check_range, check_type
from helpers.rnn.charlm import check_ids

__all__ = ["GPTConfig", "CausalSelfAttention", "MLP", "Block", "GPT"]


@dataclass
class GPTConfig:
    """Hyper-parameters of :class:`GPT` (``D = n_embd`` must be divisible by ``h = n_head``)."""

    vocab_size: int = 16
    block_size: int = 64   # the longest sequence T the model accepts
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0
    pos: str = "learned"   # "learned", "sinusoidal" or "none"
    causal: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            check_range(getattr(self, name), name, 1, None, integer=True)
        check_range(self.dropout, "dropout", 0.0, 1.0)
        check_choice(self.pos, "pos", ["learned", "sinusoidal", "none"])
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd must be divisible by n_head, got n_embd={self.n_embd}, n_head={self.n_head}")


class CausalSelfAttention(nn.Module):
    r"""Multi-head self-attention, :math:`\mathrm{softmax}(QK^\top/\sqrt{d_k} + M)V` per head, where
    :math:`M` is :math:`-\infty` above the diagonal (the causal mask; none if ``config.causal`` is False).

    When ``self.store`` is True the formula is spelled out and the weights are kept in
    ``self.last_att``; otherwise PyTorch's fused ``F.scaled_dot_product_attention`` computes the
    same thing faster (``tests/test_transformer.py`` checks that the two agree).

    Shape:
        - x: (N, T, D) -> (N, T, D); ``last_att``: (N, h, T, T), rows sum to 1.
    """

    def __init__(self, config: GPTConfig) -> None:
        check_type(config, "config", GPTConfig)
        super().__init__()
        self.n_head, self.causal = config.n_head, config.causal
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # Q, K, V projections in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.register_buffer("mask", torch.tril(torch.ones(config.block_size, config.block_size, dtype=torch.bool)),
                             persistent=False)
        self.store = False
        self.last_att: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N, T, D = x.shape
        q, k, v = self.c_attn(x).split(D, dim=2)                          # 3 x (N, T, D)
        q, k, v = (t.view(N, T, self.n_head, D // self.n_head).transpose(1, 2) for t in (q, k, v))  # (N, h, T, d)
        if self.store:  # the formula spelled out, keeping the weights for plots
            att = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])         # (N, h, T, T)
            if self.causal:
                att = att.masked_fill(~self.mask[:T, :T], float("-inf"))  # position t sees s <= t
            att = F.softmax(att, dim=-1)
            self.last_att = att.detach()
            y = self.drop(att) @ v                                         # (N, h, T, d)
        else:  # the same computation, fused by PyTorch (faster, never stores the T x T weights)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal,
                                               dropout_p=self.drop.p if self.training else 0.0)  # (N, h, T, d)
        y = y.transpose(1, 2).reshape(N, T, D)                             # (N, T, D): heads side by side
        return self.c_proj(y)


class MLP(nn.Module):
    r"""The position-wise feed-forward layer :math:`W_2\,\mathrm{GELU}(W_1 x + b_1) + b_2`, width 4D.

    Shape: (N, T, D) -> (N, T, D).
    """

    def __init__(self, config: GPTConfig) -> None:
        check_type(config, "config", GPTConfig)
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One pre-norm transformer block: attention and MLP, each inside a residual connection.

    Shape: (N, T, D) -> (N, T, D).
    """

    def __init__(self, config: GPTConfig) -> None:
        check_type(config, "config", GPTConfig)
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # tokens exchange information
        return x + self.mlp(self.ln_2(x))  # each token thinks on its own


class GPT(nn.Module):
    r"""Token ids (N, T) -> next-token logits (N, T, K), with K = ``config.vocab_size``.

    .. math:: h_0 = E[x] + P, \quad h_\ell = \mathrm{Block}_\ell(h_{\ell-1}), \quad
              \text{logits} = \mathrm{LN}(h_L)\,E^\top

    where :math:`P` is the learned, sinusoidal or zero position table (``config.pos``) and the
    read-out re-uses the embedding matrix :math:`E` (weight tying, Press & Wolf 2017).

    Shape:
        - ids: (N, T) int64 with T <= ``block_size``; output (N, T, K).

    Example:
        >>> model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=16))
        >>> model(torch.zeros(3, 8, dtype=torch.long)).shape
        torch.Size([3, 8, 10])
    """

    def __init__(self, config: GPTConfig) -> None:
        check_type(config, "config", GPTConfig)
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        if config.pos == "learned":
            self.wpe = nn.Embedding(config.block_size, config.n_embd)
        elif config.pos == "sinusoidal":
            table = torch.from_numpy(positional_encoding(config.block_size, config.n_embd)).float()
            self.register_buffer("pe", table, persistent=False)  # fixed, not trained
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # GPT-2's N(0, 0.02) keeps the initial logits small, so the first loss is close to ln K.
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def positions(self, T: int) -> torch.Tensor:
        """The position table added to the token embeddings, (T, D) (zeros for ``pos="none"``)."""
        if self.config.pos == "learned":
            return self.wpe(torch.arange(T, device=self.wte.weight.device))
        if self.config.pos == "sinusoidal":
            return self.pe[:T]
        return torch.zeros(T, self.config.n_embd, device=self.wte.weight.device)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        check_ids(ids, self.config.vocab_size, max_len=self.config.block_size)
        T = ids.shape[1]
        x = self.drop(self.wte(ids) + self.positions(T))  # (N, T, D) + (T, D)
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))  # (N, T, K)

    def forward_state(self, ids: torch.Tensor, state: torch.Tensor | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits for the context window after reading ``ids``, and that window as the new state.

        A transformer carries no memory from one call to the next: its state is the text itself,
        the last ``block_size`` ids, re-read whole for every new id (no key/value cache: simple,
        and fast enough for the short samples the widget shows). This is the interface
        :func:`helpers.rnn.charlm.generate` samples through, as it does for the LSTM.

        Shape: ids (N, T), state (N, T_s) or None -> logits (N, T_w, K), window (N, T_w),
        with T_w = min(T_s + T, block_size).
        """
        window = ids if state is None else torch.cat([state, ids], dim=1)  # (N, T_s + T)
        window = window[:, -self.config.block_size:]                        # (N, T_w)
        return self(window), window

    @torch.no_grad()
    def attention_maps(self, ids: torch.Tensor) -> torch.Tensor:
        """Attention weights of every layer and head for ``ids``: (L, N, h, T, T), rows sum to 1."""
        was_training = self.training
        self.eval()
        attns = [b.attn for b in self.blocks]
        for a in attns:
            a.store = True
        try:
            self(ids)
            maps = torch.stack([a.last_att for a in attns])  # (L, N, h, T, T)
        finally:
            for a in attns:
                a.store, a.last_att = False, None
            self.train(was_training)
        return maps
