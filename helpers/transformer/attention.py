r"""Attention from scratch in NumPy (notebook 11): forward and backward, checked against PyTorch.

* :func:`scaled_dot_product_attention` / :func:`attention_backward`:
  :math:`\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\bigl(QK^\top/\sqrt{d_k}\bigr)V`
  (Vaswani et al., 2017, eq. 1) with optional padding and causal masks;
* :func:`multi_head_attention` / :func:`multi_head_attention_backward`: ``h`` heads with the
  parameter layout of ``torch.nn.MultiheadAttention`` (``in_proj_weight``, ``out_proj``), so
  weights copy across with :func:`mha_params_from_torch`;
* :func:`positional_encoding`: the sinusoidal table of section 3.5 of the same paper;
* :func:`layer_norm` / :func:`layer_norm_backward` (Ba et al., 2016), as ``torch.nn.LayerNorm``.

**Masks** are boolean and mean "may attend" (True = keep), as in
``torch.nn.functional.scaled_dot_product_attention``. (``torch.nn.MultiheadAttention``'s
``attn_mask`` / ``key_padding_mask`` use the opposite convention: True = blocked.)

**Fully masked rows.** A query that may attend to nothing gets all-zero weights, hence an all-zero
output and zero gradients (instead of the 0/0 = NaN of the literal formula). PyTorch's
``scaled_dot_product_attention`` does the same; ``nn.MultiheadAttention`` returns NaN there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range, check_type

__all__ = ["causal_mask", "padding_mask", "masked_softmax", "scaled_dot_product_attention",
           "AttentionCache", "attention_forward", "attention_backward", "MHAParams", "init_mha_params",
           "mha_params_from_torch", "MHACache", "multi_head_attention_forward",
           "multi_head_attention_backward", "positional_encoding", "LayerNormCache", "layer_norm_forward",
           "layer_norm_backward"]


# ----------------------------------------------------------------------------- masks and softmax
def causal_mask(T_q: int, T_k: int | None = None) -> np.ndarray:
    r"""``mask[t, s] = s <= t``: query position t may look at itself and the past, never the future.

    Shape: (T_q, T_k) bool (``T_k = T_q`` by default), aligned top-left like PyTorch's ``is_causal``.
    """
    T_k = T_q if T_k is None else T_k
    check_range(T_q, "T_q", 1, None, integer=True)
    check_range(T_k, "T_k", 1, None, integer=True)
    return np.tril(np.ones((T_q, T_k), dtype=bool))


def padding_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """``mask[n, 0, s] = s < lengths[n]``: every query may attend to the real tokens only.

    Shape: lengths (N,) ints in [0, T] -> (N, 1, T) bool, broadcasting over the query axis.
    """
    check_range(T, "T", 1, None, integer=True)
    lengths = check_array(lengths, "lengths", ndim=1, dtype="int")
    if lengths.min() < 0 or lengths.max() > T:
        raise ValueError(f"lengths must lie in [0, {T}], got range [{lengths.min()}, {lengths.max()}]")
    return (np.arange(T)[None, :] < lengths[:, None])[:, None, :]  # (N, 1, T)


def _check_mask(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"mask must be a bool array (True = may attend), got dtype {mask.dtype}")
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(f"mask must broadcast to the scores' shape {shape}, got {mask.shape}") from None


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    r"""Softmax over the last axis of ``scores`` restricted to ``mask`` (True = keep).

    .. math:: p_{ts} = \frac{m_{ts}\, e^{z_{ts} - c_t}}{\sum_{s'} m_{ts'}\, e^{z_{ts'} - c_t}},
              \qquad c_t = \max_{s:\, m_{ts}} z_{ts}

    Subtracting the row maximum :math:`c_t` of the *kept* scores changes nothing mathematically
    and keeps every exponent :math:`\le 0`, so scores of :math:`\pm 10^4` neither overflow nor
    give inf/inf. A row with no kept entry is defined as all zeros (see the module docstring).
    A NaN among the kept scores propagates to its row: it is not masked away.

    Shape: scores (..., T_q, T_k), mask broadcastable to it -> (..., T_q, T_k).
    """
    scores = check_array(scores, "scores", ndim=tuple(range(1, 6)), finite=False)
    mask = _check_mask(mask, scores.shape)
    z = scores if mask is None else np.where(mask, scores, -np.inf)
    c = z.max(axis=-1, keepdims=True)              # (..., T_q, 1)
    c = np.where(np.isfinite(c), c, 0.0)           # fully masked row: any shift will do
    e = np.exp(z - c)                              # exp(-inf) = 0 exactly for masked entries
    total = e.sum(axis=-1, keepdims=True)          # (..., T_q, 1), >= 1 unless fully masked
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


# ----------------------------------------------------------------------------- one head
def _check_qkv(q, k, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = check_array(q, "q", ndim=tuple(range(2, 6)))
    k = check_array(k, "k", ndim=q.ndim, shape=q.shape[:-2] + (None, q.shape[-1]))
    v = check_array(v, "v", ndim=q.ndim, shape=q.shape[:-2] + (k.shape[-2], None))
    return q, k, v


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                                 causal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""Each query takes a weighted average of the values, weighted by how well it matches each key.

    .. math:: S = \frac{Q K^\top}{\sqrt{d_k}}, \qquad P = \mathrm{softmax}_{\text{rows}}(S),
              \qquad O = P V

    Dividing by :math:`\sqrt{d_k}` keeps the scores' variance near 1 when q and k have unit-variance
    entries, so the softmax does not saturate as :math:`d_k` grows.

    Args:
        q, k, v: queries, keys and values.
        mask: optional bool array (True = may attend), broadcastable to (..., T_q, T_k).
        causal: also apply :func:`causal_mask`.

    Returns:
        ``(out, weights)``, with ``weights`` = :math:`P` (for plots). :func:`attention_forward` is the
        same computation returning ``(out, cache)`` for :func:`attention_backward`.

    Shape:
        - q: (..., T_q, d_k), k: (..., T_k, d_k), v: (..., T_k, d_v), e.g. ``...`` = (N, h)
        - out: (..., T_q, d_v), weights: (..., T_q, T_k)

    Example:
        >>> q = k = v = np.eye(2)[None]                 # (1, 2, 2)
        >>> out, w = scaled_dot_product_attention(q, k, v, causal=True)
        >>> w[0].round(4).tolist()
        [[1.0, 0.0], [0.3302, 0.6698]]
    """
    out, cache = attention_forward(q, k, v, mask, causal)
    return out, cache.weights


@dataclass(frozen=True)
class AttentionCache:
    """What :func:`attention_backward` needs: the inputs and the attention weights :math:`P`."""

    q: np.ndarray        # (..., T_q, d_k)
    k: np.ndarray        # (..., T_k, d_k)
    v: np.ndarray        # (..., T_k, d_v)
    weights: np.ndarray  # (..., T_q, T_k)


def attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                      causal: bool = False) -> tuple[np.ndarray, AttentionCache]:
    r""":func:`scaled_dot_product_attention` returning ``(out, cache)`` for :func:`attention_backward`.

    Shape: as :func:`scaled_dot_product_attention`.
    """
    q, k, v = _check_qkv(q, k, v)
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])  # (..., T_q, T_k)
    if causal:
        cm = causal_mask(q.shape[-2], k.shape[-2])
        mask = cm if mask is None else np.logical_and(_check_mask(mask, scores.shape), cm)
    weights = masked_softmax(scores, mask)
    return weights @ v, AttentionCache(q, k, v, weights)         # (..., T_q, d_v)


def attention_backward(dy: np.ndarray, cache: AttentionCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of a loss with respect to q, k and v, given :math:`G = \partial\mathcal L/\partial O` (``dy``).

    .. math::
        \frac{\partial\mathcal L}{\partial V} = P^\top G, \quad
        \frac{\partial\mathcal L}{\partial P} = G V^\top, \quad
        \frac{\partial\mathcal L}{\partial S} = P \odot \Bigl(\frac{\partial\mathcal L}{\partial P}
            - \mathrm{rowsum}\bigl(P \odot \tfrac{\partial\mathcal L}{\partial P}\bigr)\Bigr),

    then :math:`\partial\mathcal L/\partial Q = (\partial\mathcal L/\partial S)\,K/\sqrt{d_k}` and
    :math:`\partial\mathcal L/\partial K = (\partial\mathcal L/\partial S)^\top Q/\sqrt{d_k}`.
    Masked entries have :math:`P = 0`, so no gradient flows through them.

    Shape: dy (..., T_q, d_v) -> dq, dk, dv shaped like q, k, v.
    """
    check_type(cache, "cache", AttentionCache, "the AttentionCache from attention_forward")
    q, k, v, weights = cache.q, cache.k, cache.v, cache.weights
    dy = check_array(dy, "dy", shape=q.shape[:-1] + (v.shape[-1],))
    dv = np.swapaxes(weights, -1, -2) @ dy                                 # (..., T_k, d_v)
    dp = dy @ np.swapaxes(v, -1, -2)                                       # (..., T_q, T_k)
    ds = weights * (dp - (dp * weights).sum(axis=-1, keepdims=True))       # softmax's backward
    scale = 1.0 / np.sqrt(q.shape[-1])
    return ds @ k * scale, np.swapaxes(ds, -1, -2) @ q * scale, dv


# ----------------------------------------------------------------------------- many heads
@dataclass
class MHAParams:
    """Weights in ``torch.nn.MultiheadAttention``'s layout: ``w_in`` stacks W_Q, W_K, W_V.

    Shape: w_in (3D, D), b_in (3D,), w_out (D, D), b_out (D,).
    """

    w_in: np.ndarray
    b_in: np.ndarray
    w_out: np.ndarray
    b_out: np.ndarray


def init_mha_params(D: int, rng: np.random.Generator) -> MHAParams:
    """Xavier-uniform projections and zero biases, as ``nn.MultiheadAttention`` initialises its in_proj."""
    check_type(rng, "rng", np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
    check_range(D, "D", 1, None, integer=True)
    bound_in, bound_out = np.sqrt(6 / (D + 3 * D)), np.sqrt(6 / (2 * D))
    return MHAParams(rng.uniform(-bound_in, bound_in, (3 * D, D)), np.zeros(3 * D),
                     rng.uniform(-bound_out, bound_out, (D, D)), np.zeros(D))


def mha_params_from_torch(module) -> MHAParams:
    """Copy a ``torch.nn.MultiheadAttention``'s weights (float64 NumPy arrays)."""
    if not hasattr(module, "in_proj_weight") or getattr(module, "in_proj_bias", None) is None:
        raise TypeError(f"module must be a torch.nn.MultiheadAttention with biases, got {type(module).__name__}")
    def arr(t):
        return t.detach().cpu().double().numpy().copy()
    return MHAParams(arr(module.in_proj_weight), arr(module.in_proj_bias), arr(module.out_proj.weight),
                     arr(module.out_proj.bias))


@dataclass(frozen=True)
class MHACache:
    """What :func:`multi_head_attention_backward` needs; ``attention.weights`` (N, h, T_q, T_k) is handy for plots."""

    x_q: np.ndarray
    x_k: np.ndarray
    x_v: np.ndarray
    attention: AttentionCache   # the heads' q, k, v (N, h, T, d) and weights
    concat: np.ndarray          # (N, T_q, D) heads side by side
    params: MHAParams

    @property
    def weights(self) -> np.ndarray:
        """The attention weights (N, h, T_q, T_k)."""
        return self.attention.weights


def _split_heads(x: np.ndarray, h: int) -> np.ndarray:
    N, T, D = x.shape
    return x.reshape(N, T, h, D // h).transpose(0, 2, 1, 3)  # (N, T, h, d) -> (N, h, T, d)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    N, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * d)       # (N, T, h, d) -> (N, T, D)


def multi_head_attention_forward(x_q: np.ndarray, x_k: np.ndarray, x_v: np.ndarray, params: MHAParams, num_heads: int,
                                 mask: np.ndarray | None = None, causal: bool = False
                                 ) -> tuple[np.ndarray, MHACache]:
    r"""``h`` attention heads in parallel, each on its own :math:`d = D/h`-dimensional projection.

    .. math:: \mathrm{head}_i = \mathrm{Attention}(X_q W_Q^{(i)}, X_k W_K^{(i)}, X_v W_V^{(i)}),
              \qquad \mathrm{out} = [\mathrm{head}_1, \dots, \mathrm{head}_h]\, W_O^\top + b_O

    Self-attention passes the same array three times. ``mask`` (True = may attend) is (N or 1,
    T_q or 1, T_k), shared by all heads, e.g. :func:`padding_mask`.

    Shape:
        - x_q: (N, T_q, D), x_k and x_v: (N, T_k, D) -> out (N, T_q, D)
    """
    check_type(params, "params", MHAParams, "the MHAParams of init_mha_params")
    x_q = check_array(x_q, "x_q", ndim=3)
    N, T_q, D = x_q.shape
    x_k = check_array(x_k, "x_k", shape=(N, None, D))
    x_v = check_array(x_v, "x_v", shape=x_k.shape)
    check_range(num_heads, "num_heads", 1, D, integer=True)
    if D % num_heads:
        raise ValueError(f"D must be divisible by num_heads, got D={D}, num_heads={num_heads}")
    p = MHAParams(check_array(params.w_in, "w_in", shape=(3 * D, D)), check_array(params.b_in, "b_in", shape=(3 * D,)),
                  check_array(params.w_out, "w_out", shape=(D, D)), check_array(params.b_out, "b_out", shape=(D,)))
    w_q, w_k, w_v = np.split(p.w_in, 3)                                    # 3 x (D, D)
    b_q, b_k, b_v = np.split(p.b_in, 3)
    q = _split_heads(x_q @ w_q.T + b_q, num_heads)                          # (N, h, T_q, d)
    k = _split_heads(x_k @ w_k.T + b_k, num_heads)                          # (N, h, T_k, d)
    v = _split_heads(x_v @ w_v.T + b_v, num_heads)                          # (N, h, T_k, d)
    if mask is not None:
        mask = _check_mask(mask, (N, T_q, x_k.shape[1]))[:, None]          # (N, 1, T_q, T_k)
    heads, att = attention_forward(q, k, v, mask, causal)                 # (N, h, T_q, d)
    concat = _merge_heads(heads)                                            # (N, T_q, D)
    return concat @ p.w_out.T + p.b_out, MHACache(x_q, x_k, x_v, att, concat, p)


def multi_head_attention_backward(dy: np.ndarray, cache: MHACache
                                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, MHAParams]:
    r"""Gradients for the three inputs and every weight, by the chain rule through each linear map:
    for :math:`Y = XW^\top + b`, :math:`\partial\mathcal L/\partial X = G W`,
    :math:`\partial\mathcal L/\partial W = \sum_{n,t} G^\top X`, :math:`\partial\mathcal L/\partial b = \sum_{n,t} G`.

    For self-attention add the three input gradients: the same ``x`` was used three times.

    Shape: dy (N, T_q, D) -> dx_q (N, T_q, D), dx_k (N, T_k, D), dx_v (N, T_k, D), grads as ``MHAParams``.
    """
    check_type(cache, "cache", MHACache, "the MHACache from multi_head_attention_forward")
    c, p = cache, cache.params
    dy = check_array(dy, "dy", shape=c.x_q.shape)
    h = c.attention.q.shape[1]
    d_concat = dy @ p.w_out                                                 # (N, T_q, D)
    dw_out = np.einsum("ntd,nte->de", dy, c.concat)                         # (D, D)
    dq, dk, dv = attention_backward(_split_heads(d_concat, h), c.attention)  # (N, h, T, d) each
    w_q, w_k, w_v = np.split(p.w_in, 3)
    grads_in, dx = [], []
    for g, x, w in ((dq, c.x_q, w_q), (dk, c.x_k, w_k), (dv, c.x_v, w_v)):
        g = _merge_heads(g)                                                 # (N, T, D)
        grads_in.append((np.einsum("ntd,nte->de", g, x), g.sum(axis=(0, 1))))  # (D, D), (D,)
        dx.append(g @ w)                                                    # (N, T, D)
    grads = MHAParams(np.concatenate([g for g, _ in grads_in]), np.concatenate([b for _, b in grads_in]),
                      dw_out, dy.sum(axis=(0, 1)))
    return dx[0], dx[1], dx[2], grads


# ----------------------------------------------------------------------------- position
def positional_encoding(T: int, D: int, base: float = 10000.0) -> np.ndarray:
    r"""The sinusoidal position table: column pairs oscillate at geometrically spaced frequencies.

    .. math:: PE_{(pos, 2i)} = \sin\bigl(pos / 10000^{2i/D}\bigr), \qquad
              PE_{(pos, 2i+1)} = \cos\bigl(pos / 10000^{2i/D}\bigr)

    The frequencies are computed as :math:`\exp(-\tfrac{2i}{D}\ln 10000)` rather than a power of a
    large number; the values are the same. Every entry lies in [-1, 1]; for odd D the last column
    is a sine.

    Shape: (T, D).

    Example:
        >>> positional_encoding(3, 4)[1].round(4).tolist()
        [0.8415, 0.5403, 0.01, 1.0]
    """
    check_range(T, "T", 1, None, integer=True)
    check_range(D, "D", 1, None, integer=True)
    check_range(base, "base", 1.0, None, low_inclusive=False)
    pos = np.arange(T)[:, None]                                  # (T, 1)
    freq = np.exp(-np.arange(0, D, 2) / D * np.log(base))       # (ceil(D/2),)
    pe = np.zeros((T, D))
    pe[:, 0::2] = np.sin(pos * freq)                             # (T, ceil(D/2))
    pe[:, 1::2] = np.cos(pos * freq[: D // 2])                   # (T, floor(D/2))
    return pe


# ----------------------------------------------------------------------------- layer norm
@dataclass(frozen=True)
class LayerNormCache:
    """What :func:`layer_norm_backward` needs."""

    x_hat: np.ndarray    # (..., D) normalised input
    inv_std: np.ndarray  # (..., 1)
    gamma: np.ndarray    # (D,)


def layer_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
                       ) -> tuple[np.ndarray, LayerNormCache]:
    r"""Normalise each token's features to zero mean and unit variance, then scale and shift.

    .. math:: \mu = \tfrac1D\sum_j x_j, \quad \sigma^2 = \tfrac1D\sum_j (x_j-\mu)^2, \quad
              y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    The variance is computed from the centred values (two passes), not as
    :math:`E[x^2] - \mu^2`, which cancels catastrophically when :math:`|\mu| \gg \sigma`.

    Returns:
        ``(y, cache)``; the :class:`LayerNormCache` is for :func:`layer_norm_backward`.

    Shape: x (..., D), gamma and beta (D,) -> y (..., D).
    """
    x = check_array(x, "x", ndim=tuple(range(1, 6)))
    D = x.shape[-1]
    gamma = check_array(gamma, "gamma", shape=(D,))
    beta = check_array(beta, "beta", shape=(D,))
    check_range(eps, "eps", 0.0, None, low_inclusive=False)
    xc = x - x.mean(axis=-1, keepdims=True)                      # (..., D)
    inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
    x_hat = xc * inv_std
    return gamma * x_hat + beta, LayerNormCache(x_hat, inv_std, gamma)


def layer_norm_backward(dy: np.ndarray, cache: LayerNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of layer norm, with :math:`g = \gamma \odot \partial\mathcal L/\partial y`:

    .. math:: \frac{\partial\mathcal L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
              \Bigl(g - \overline{g} - \hat x\, \overline{g \odot \hat x}\Bigr),

    where the bars average over the D features (the two subtracted terms are the paths through
    :math:`\mu` and :math:`\sigma`); :math:`\partial\mathcal L/\partial\gamma = \sum \partial\mathcal L/\partial y \odot \hat x`,
    :math:`\partial\mathcal L/\partial\beta = \sum \partial\mathcal L/\partial y` over all tokens.

    Shape: dy (..., D) -> dx (..., D), dgamma (D,), dbeta (D,).
    """
    check_type(cache, "cache", LayerNormCache, "the LayerNormCache from layer_norm_forward")
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    dy = check_array(dy, "dy", shape=x_hat.shape)
    g = dy * gamma                                               # (..., D)
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
    axes = tuple(range(dy.ndim - 1))
    return dx, (dy * x_hat).sum(axis=axes), dy.sum(axis=axes)
