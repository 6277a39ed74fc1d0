"""helpers.transformer.attention against PyTorch (values and every gradient, float64, masks included), its
properties under extreme inputs (hypothesis), and its error messages on bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch_twin import assert_close, torch_value_and_grads

from helpers.transformer import attention as A

# (batch dims, T_q, T_k, d_k, d_v)
SHAPES = [((1,), 1, 1, 1, 1), ((2,), 4, 4, 8, 8), ((3,), 5, 7, 4, 6), ((2, 3), 6, 6, 8, 5), ((1, 2), 3, 9, 2, 3)]
MASKS = ["none", "causal", "padding", "random"]


def _mask(kind: str, batch: tuple[int, ...], T_q: int, T_k: int, rng: np.random.Generator):
    """(our bool mask or None, causal flag); True = may attend. 'random' includes a fully masked row."""
    if kind == "none":
        return None, False
    if kind == "causal":
        return None, True
    if kind == "padding":
        lengths = rng.integers(1, T_k + 1, size=int(np.prod(batch)))
        return A.padding_mask(lengths, T_k).reshape(*batch, 1, T_k), False
    mask = rng.random((*batch, T_q, T_k)) < 0.6
    mask[(0,) * len(batch) + (0,)] = False  # query 0 of the first sequence sees nothing
    return mask, False


@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sdpa_matches_torch_value_and_grads(shape, mask_kind, rng):
    batch, T_q, T_k, d_k, d_v = shape
    q, k = rng.standard_normal((*batch, T_q, d_k)), rng.standard_normal((*batch, T_k, d_k))
    v = rng.standard_normal((*batch, T_k, d_v))
    mask, causal = _mask(mask_kind, batch, T_q, T_k, rng)
    upstream = rng.standard_normal((*batch, T_q, d_v))
    tmask = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask))
    value, (dq, dk, dv) = torch_value_and_grads(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=tmask, is_causal=causal), q, k, v,
        upstream=upstream)
    out, cache = A.attention_forward(q, k, v, mask, causal)
    assert_close(out, value, what="output")
    assert_close(A.scaled_dot_product_attention(q, k, v, mask, causal)[0], value, what="value API")
    ours = A.attention_backward(upstream, cache)
    for name, g, t in zip("qkv", ours, (dq, dk, dv)):
        assert_close(g, t, what=f"d{name}")


def test_fully_masked_row_is_zero_like_torch_sdpa(rng):
    q, k, v = rng.standard_normal((1, 3, 4)), rng.standard_normal((1, 5, 4)), rng.standard_normal((1, 5, 2))
    mask = np.ones((1, 3, 5), dtype=bool)
    mask[0, 1] = False
    out, cache = A.attention_forward(q, k, v, mask)
    weights = cache.weights
    assert np.all(weights[0, 1] == 0) and np.all(out[0, 1] == 0)
    assert np.allclose(weights[0, [0, 2]].sum(axis=-1), 1)
    dq, dk, dv = A.attention_backward(np.ones_like(out), cache)
    assert np.all(dq[0, 1] == 0) and np.all(np.isfinite(dk)) and np.all(np.isfinite(dv))
    torch_out = F.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)),
                                               attn_mask=torch.from_numpy(mask))
    assert_close(out, torch_out.numpy(), what="fully masked row")


def test_causal_mask_blocks_the_future(rng):
    q, k, v = (rng.standard_normal((2, 6, 4)) for _ in range(3))
    out, weights = A.scaled_dot_product_attention(q, k, v, causal=True)
    assert np.all(np.triu(weights[0], 1) == 0)
    v2 = v.copy()
    v2[:, -1] += 100.0  # changing the last value may only change the last output
    out2, _ = A.scaled_dot_product_attention(q, k, v2, causal=True)
    assert np.allclose(out[:, :-1], out2[:, :-1]) and not np.allclose(out[:, -1], out2[:, -1])
    assert A.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]


def test_padding_mask_shape_and_content():
    m = A.padding_mask(np.array([2, 0, 3]), 3)
    assert m.shape == (3, 1, 3)
    assert m[:, 0].tolist() == [[True, True, False], [False, False, False], [True, True, True]]


# ----------------------------------------------------------------------------- multi-head attention
def _torch_mha(D: int, h: int, seed: int) -> torch.nn.MultiheadAttention:
    torch.manual_seed(seed)
    mha = torch.nn.MultiheadAttention(D, h, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # non-zero biases, so their gradients are tested too
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    return mha


MHA_CASES = [(1, 1, 1, 4, 1), (2, 5, 5, 8, 2), (3, 4, 6, 12, 3), (2, 7, 3, 16, 4)]  # N, T_q, T_k, D, h


@pytest.mark.parametrize("self_attention", [True, False], ids=["self", "cross"])
@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding"])
@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_mha_matches_torch_value_and_every_grad(case, mask_kind, self_attention, rng):
    N, T_q, T_k, D, h = case
    if self_attention:
        T_k = T_q
    mha = _torch_mha(D, h, seed=T_q + D)
    params = A.mha_params_from_torch(mha)
    x_q = rng.standard_normal((N, T_q, D))
    x_k, x_v = (x_q, x_q) if self_attention else (rng.standard_normal((N, T_k, D)), rng.standard_normal((N, T_k, D)))
    mask, causal, kwargs = None, False, {}
    if mask_kind == "causal":
        causal = True
        kwargs["attn_mask"] = ~torch.from_numpy(A.causal_mask(T_q, T_k))  # torch: True = blocked
    elif mask_kind == "padding":
        lengths = rng.integers(1, T_k + 1, size=N)
        mask = A.padding_mask(lengths, T_k)
        kwargs["key_padding_mask"] = ~torch.from_numpy(mask[:, 0])
    upstream = rng.standard_normal((N, T_q, D))

    tensors = [torch.tensor(a, requires_grad=True) for a in ((x_q,) if self_attention else (x_q, x_k, x_v))]
    tq, tk, tv = (tensors * 3) if self_attention else tensors  # self-attention: one leaf used three times
    out_t, w_t = mha(tq, tk, tv, average_attn_weights=False, **kwargs)
    out_t.backward(torch.from_numpy(upstream))

    out, cache = A.multi_head_attention_forward(x_q, x_k, x_v, params, h, mask=mask, causal=causal)
    assert_close(out, out_t.detach().numpy(), what="output")
    assert_close(cache.weights, w_t.detach().numpy(), what="per-head weights")
    dx_q, dx_k, dx_v, grads = A.multi_head_attention_backward(upstream, cache)
    if self_attention:  # the same x fed Q, K and V: its gradient is the sum of the three paths
        assert_close(dx_q + dx_k + dx_v, tensors[0].grad.numpy(), what="dx (fan-out)")
    else:
        for name, g, t in zip(("dx_q", "dx_k", "dx_v"), (dx_q, dx_k, dx_v), tensors):
            assert_close(g, t.grad.numpy(), what=name)
    assert_close(grads.w_in, mha.in_proj_weight.grad.numpy(), what="d in_proj_weight")
    assert_close(grads.b_in, mha.in_proj_bias.grad.numpy(), what="d in_proj_bias")
    assert_close(grads.w_out, mha.out_proj.weight.grad.numpy(), what="d out_proj.weight")
    assert_close(grads.b_out, mha.out_proj.bias.grad.numpy(), what="d out_proj.bias")


def test_mha_fully_masked_sequence_gives_the_output_bias_where_torch_gives_nan(rng):
    mha = _torch_mha(8, 2, seed=0)
    params = A.mha_params_from_torch(mha)
    x = rng.standard_normal((2, 4, 8))
    mask = A.padding_mask(np.array([4, 0]), 4)  # the second sequence is all padding
    out, _ = A.multi_head_attention_forward(x, x, x, params, 2, mask=mask)
    assert np.allclose(out[1], params.b_out)  # zero attention output, then the output projection's bias
    t = torch.from_numpy(x)
    torch_out, _ = mha(t, t, t, key_padding_mask=~torch.from_numpy(mask[:, 0]))
    assert torch.isnan(torch_out[1]).all()  # the behaviour we chose not to copy
    assert_close(out[0], torch_out[0].detach().numpy(), what="unmasked sequence")


def test_init_mha_params_shapes_and_bounds():
    p = A.init_mha_params(8, np.random.default_rng(0))
    assert p.w_in.shape == (24, 8) and p.b_in.shape == (24,) and p.w_out.shape == (8, 8) and p.b_out.shape == (8,)
    assert np.abs(p.w_in).max() <= np.sqrt(6 / 32) and np.all(p.b_in == 0)


# ----------------------------------------------------------------------------- layer norm
@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 8), (4, 1, 16)], ids=str)
def test_layer_norm_matches_torch_value_and_grads(shape, rng):
    D = shape[-1]
    x, upstream = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    value, (dx, dgamma, dbeta) = torch_value_and_grads(
        lambda a, g, b: F.layer_norm(a, (D,), g, b, eps=1e-5), x, gamma, beta, upstream=upstream)
    y, cache = A.layer_norm_forward(x, gamma, beta)
    assert_close(y, value, what="layer norm")
    for name, ours, theirs in zip(("dx", "dgamma", "dbeta"), A.layer_norm_backward(upstream, cache), (dx, dgamma, dbeta)):
        assert_close(ours, theirs, what=name)


def test_layer_norm_of_a_constant_row_matches_torch():
    """A row with variance exactly 0 (the normalisation's most sensitive point) next to an ordinary one."""
    x = np.array([[2.0, 2.0, 2.0, 2.0], [1.0, -1.0, 0.5, 3.0]])
    gamma, beta, upstream = np.array([1.0, 2.0, 0.5, -1.0]), np.zeros(4), np.arange(8.0).reshape(2, 4) - 3
    value, grads = torch_value_and_grads(lambda a, g, b: F.layer_norm(a, (4,), g, b, eps=1e-5),
                                         x, gamma, beta, upstream=upstream)
    y, cache = A.layer_norm_forward(x, gamma, beta)
    assert_close(y, value, what="layer norm")
    for name, ours, theirs in zip(("dx", "dgamma", "dbeta"), A.layer_norm_backward(upstream, cache), grads):
        assert_close(ours, theirs, atol=1e-9, what=name)


def test_layer_norm_matches_the_torch_module(rng):
    ln = torch.nn.LayerNorm(6, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    x = rng.standard_normal((4, 6))
    y, _ = A.layer_norm_forward(x, ln.weight.detach().numpy(), ln.bias.detach().numpy(), eps=ln.eps)
    assert_close(y, ln(torch.from_numpy(x)).detach().numpy(), what="nn.LayerNorm")


@given(offset=st.floats(-1e6, 1e6), scale=st.floats(1e-3, 1e3), seed=st.integers(0, 10_000))
def test_layer_norm_ignores_shift_and_scale_of_its_input(offset, scale, seed):
    x = np.random.default_rng(seed).standard_normal((3, 16))
    g, b = np.ones(16), np.zeros(16)
    y, _ = A.layer_norm_forward(x, g, b, eps=1e-12)
    y2, _ = A.layer_norm_forward(offset + scale * x, g, b, eps=1e-12)
    assert np.all(np.isfinite(y2))
    assert np.allclose(y, y2, atol=1e-5)  # the two-pass variance survives a large mean


# ----------------------------------------------------------------------------- positional encoding
def test_positional_encoding_matches_the_definition():
    T, D = 20, 10
    pe = A.positional_encoding(T, D)
    for pos in range(T):
        for i in range(D // 2):
            assert np.isclose(pe[pos, 2 * i], np.sin(pos / 10000 ** (2 * i / D)))
            assert np.isclose(pe[pos, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / D)))


@pytest.mark.parametrize("T, D", [(1, 1), (7, 3), (50, 16), (200, 64)])
def test_positional_encoding_shape_range_and_relative_shift(T, D):
    pe = A.positional_encoding(T, D)
    assert pe.shape == (T, D) and np.all(np.abs(pe) <= 1)
    if T > 5 and D >= 2:
        # PE(pos + k) is a fixed rotation of PE(pos) in every (sin, cos) pair: a linear map, the same for all pos
        k = 5
        freq = np.exp(-np.arange(0, D - 1, 2) / D * np.log(10000.0))
        s, c = pe[:-k, 0:D - 1:2], pe[:-k, 1::2]
        assert np.allclose(pe[k:, 0:D - 1:2], s * np.cos(k * freq) + c * np.sin(k * freq))
        assert np.allclose(pe[k:, 1::2], c * np.cos(k * freq) - s * np.sin(k * freq))


# ----------------------------------------------------------------------------- stability (hypothesis)
@given(scores=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
                         elements=st.floats(-1e4, 1e4)),
       keep=st.integers(0, 2**30))
def test_masked_softmax_rows_sum_to_one_or_zero(scores, keep):
    mask = ((keep >> np.arange(scores.size)) & 1).astype(bool).reshape(scores.shape)
    p = A.masked_softmax(scores, mask)
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p[~mask] == 0)
    sums = p.sum(axis=-1)
    assert np.allclose(sums[mask.any(axis=-1)], 1.0) and np.all(sums[~mask.any(axis=-1)] == 0)


@given(data=st.data(), T=st.integers(1, 5), d=st.integers(1, 4), causal=st.booleans())
def test_attention_finite_with_scores_up_to_1e4(data, T, d, causal):
    # raw scores q.k / sqrt(d) reach about +-1e4: the softmax saturates but never overflows
    elems = st.floats(-100.0, 100.0)
    q = data.draw(hnp.arrays(np.float64, (1, T, d), elements=elems))
    k = data.draw(hnp.arrays(np.float64, (1, T, d), elements=elems))
    v = data.draw(hnp.arrays(np.float64, (1, T, d), elements=st.floats(-1e4, 1e4)))
    out, cache = A.attention_forward(q, k, v, causal=causal)
    assert np.all(np.isfinite(out)) and np.allclose(cache.weights.sum(axis=-1), 1.0)
    assert np.all(np.abs(out) <= np.abs(v).max() + 1e-6)  # a weighted average stays inside the values' range
    grads = A.attention_backward(np.ones_like(out), cache)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_attention_at_scores_of_1e4_matches_torch():
    q = np.array([[[100.0, 0.0], [0.0, -100.0]]])   # scores of about 7e3
    k = np.array([[[100.0, 0.0], [0.0, 100.0], [-100.0, 100.0]]])
    v = np.arange(6.0).reshape(1, 3, 2)
    out, w = A.scaled_dot_product_attention(q, k, v)
    ref = F.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)))
    assert np.all(np.isfinite(out))
    assert_close(out, ref.numpy(), what="saturated softmax")


# ----------------------------------------------------------------------------- bad input
def _good(rng):
    return rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 6))


@pytest.mark.parametrize("which, bad, pattern", [
    ("q", np.zeros((3,)), r"q must have 2 or 3 or 4 or 5 dimension\(s\), got shape \(3,\)"),
    ("k", np.zeros((2, 5, 3)), r"k must have shape \(2, \*, 4\), got \(2, 5, 3\)"),
    ("v", np.zeros((2, 4, 6)), r"v must have shape \(2, 5, \*\), got \(2, 4, 6\)"),
    ("q", np.full((2, 3, 4), np.nan), r"q must be finite, got 24 NaN"),
    ("q", np.zeros((2, 0, 4)), r"q must not be empty, got shape \(2, 0, 4\)"),
    ("q", np.array([["a"]]), r"q must hold real numbers, got dtype"),
])
def test_sdpa_bad_inputs_name_expected_and_received(which, bad, pattern, rng):
    args = dict(zip("qkv", _good(rng)))
    args[which] = bad
    with pytest.raises(ValueError, match=pattern):
        A.scaled_dot_product_attention(args["q"], args["k"], args["v"])


def test_bad_masks_and_sizes(rng):
    q, k, v = _good(rng)
    with pytest.raises(ValueError, match=r"mask must be a bool array .* got dtype float64"):
        A.scaled_dot_product_attention(q, k, v, mask=np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match=r"mask must broadcast to the scores' shape \(2, 3, 5\), got \(4, 4\)"):
        A.scaled_dot_product_attention(q, k, v, mask=np.ones((4, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"lengths must lie in \[0, 3\], got range \[1, 4\]"):
        A.padding_mask(np.array([1, 4]), 3)
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3, 6\), got \(2, 3, 5\)"):
        out, cache = A.attention_forward(q, k, v)
        A.attention_backward(np.zeros((2, 3, 5)), cache)
    x = rng.standard_normal((2, 3, 6))
    with pytest.raises(ValueError, match=r"D must be divisible by num_heads, got D=6, num_heads=4"):
        A.multi_head_attention_forward(x, x, x, A.init_mha_params(6, rng), 4)
    with pytest.raises(ValueError, match=r"w_in must have shape \(18, 6\), got \(24, 8\)"):
        A.multi_head_attention_forward(x, x, x, A.init_mha_params(8, rng), 2)
    with pytest.raises(ValueError, match=r"gamma must have shape \(6\), got \(5,\)"):
        A.layer_norm_forward(x, np.ones(5), np.zeros(6))
    with pytest.raises(ValueError, match=r"T must be in \[1, inf\], got 0"):
        A.positional_encoding(0, 4)
