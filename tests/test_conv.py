"""helpers.cnn.conv against torch.nn.functional: conv2d (loops and im2col) and pooling, forward and
every gradient, float64, on random shapes; arithmetic (output size, receptive field); properties;
bad inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from helpers.cnn import conv
from torch_twin import assert_close, torch_value_and_grads

# (N, C, H, W, C_out, kH, kW, stride, padding, dilation): one channel and many, non-square inputs
# and kernels, stride > 1, dilation > 1, per-axis pairs.
CONV_CASES = [
    (1, 1, 5, 5, 1, 3, 3, 1, 0, 1),
    (2, 3, 7, 9, 4, 3, 2, (2, 1), (1, 2), (2, 1)),
    (3, 2, 8, 6, 5, 2, 3, 2, 1, 2),
    (2, 1, 11, 7, 3, 5, 1, 3, 2, 1),
    (1, 4, 6, 10, 2, 1, 1, 2, 0, 1),
    (2, 2, 9, 9, 3, 3, 3, 1, 1, 3),
    (4, 1, 6, 5, 8, 6, 5, 1, 0, 1),   # kernel as large as the input: a 1x1 output
]
IDS = [f"case{i}" for i in range(len(CONV_CASES))]


def _conv_inputs(case, seed=0):
    N, C, H, W, C_out, kh, kw, s, p, d = case
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N, C, H, W)), rng.normal(size=(C_out, C, kh, kw)), rng.normal(size=C_out),
            dict(stride=s, padding=p, dilation=d), rng)


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_im2col_conv_matches_torch_forward_and_grads(case):
    x, w, b, geo, rng = _conv_inputs(case)
    y, cache = conv.conv2d_forward(x, w, b, **geo)
    dy = rng.normal(size=y.shape)
    value, (dx_t, dw_t, db_t) = torch_value_and_grads(lambda a, k, c: F.conv2d(a, k, c, **geo), x, w, b, upstream=dy)
    assert_close(y, value, what="forward")
    dx, dw, db = conv.conv2d_backward(dy, cache)
    assert_close(dx, dx_t, what="dx")
    assert_close(dw, dw_t, what="dw")
    assert_close(db, db_t, what="db")


@pytest.mark.parametrize("case", CONV_CASES, ids=IDS)
def test_naive_conv_matches_torch_forward_and_grads(case):
    x, w, b, geo, rng = _conv_inputs(case, seed=1)
    y, cache = conv.conv2d_naive_forward(x, w, b, **geo)
    assert np.array_equal(y, conv.conv2d_naive(x, w, b, **geo))
    dy = rng.normal(size=y.shape)
    value, (dx_t, dw_t, db_t) = torch_value_and_grads(lambda a, k, c: F.conv2d(a, k, c, **geo), x, w, b, upstream=dy)
    assert_close(y, value, what="forward")
    dx, dw, db = conv.conv2d_naive_backward(dy, cache)
    assert_close(dx, dx_t, what="dx")
    assert_close(dw, dw_t, what="dw")
    assert_close(db, db_t, what="db")


def test_without_bias_and_in_float32():
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(2, 3, 6, 6)).astype(np.float32), rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    y, cache = conv.conv2d_forward(x, w)
    assert y.dtype == np.float32
    dx, dw, db = conv.conv2d_backward(np.ones_like(y), cache)
    assert db is None and dx.dtype == np.float32 and dw.shape == w.shape
    ref = F.conv2d(torch.tensor(x), torch.tensor(w)).numpy()
    assert np.allclose(y, ref, atol=1e-4)
    assert conv.conv2d(x, w.astype(np.float64)).dtype == np.float64  # mixed precision promotes


POOL_CASES = [((2, 3, 6, 6), 2, None, 0), ((1, 1, 7, 5), 3, 2, 1), ((2, 2, 8, 9), (2, 3), (1, 2), (1, 1)),
              ((3, 1, 5, 5), 3, 1, 0), ((1, 4, 4, 4), 4, None, 2)]


@pytest.mark.parametrize("shape,k,s,p", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_torch(shape, k, s, p, kind):
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape)
    fwd, bwd = {"max": (conv.maxpool2d_forward, conv.maxpool2d_backward),
                "avg": (conv.avgpool2d_forward, conv.avgpool2d_backward)}[kind]
    tfn = {"max": F.max_pool2d, "avg": F.avg_pool2d}[kind]
    y, cache = fwd(x, k, s, p)
    dy = rng.normal(size=y.shape)
    value, (dx_t,) = torch_value_and_grads(lambda a: tfn(a, k, s, p), x, upstream=dy)
    assert_close(y, value, what=f"{kind} pool forward")
    assert_close(bwd(dy, cache), dx_t, what=f"{kind} pool dx")


def test_maxpool_gradient_goes_to_the_first_maximum_on_ties():
    x = np.ones((1, 1, 2, 2))
    y, cache = conv.maxpool2d_forward(x, 2)
    dx = conv.maxpool2d_backward(np.ones_like(y), cache)
    xt = torch.ones((1, 1, 2, 2), dtype=torch.float64, requires_grad=True)
    F.max_pool2d(xt, 2).sum().backward()
    assert np.array_equal(dx, xt.grad.numpy()) and dx.sum() == 1.0


# ----------------------------------------------------------------------------- arithmetic
@pytest.mark.parametrize("n", [1, 5, 8, 28])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("p", [0, 1, 2])
@pytest.mark.parametrize("d", [1, 2])
def test_output_size_matches_torch(n, k, s, p, d):
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        with pytest.raises(ValueError, match="kernel spans"):
            conv.conv_output_size(n, k, s, p, d)
        return
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    assert conv.conv_output_size(n, k, s, p, d) == out.shape[-1]


@pytest.mark.parametrize("kernels,strides,dilations", [
    ([3], None, None), ([3, 3, 3], None, None), ([3, 3, 3], None, [1, 2, 4]),
    ([5, 3, 3], [2, 1, 2], None), ([3, 2, 3], [1, 2, 1], [2, 1, 1])])
def test_receptive_field_matches_the_gradient_footprint(kernels, strides, dilations):
    """The input pixels that influence one output pixel are those with a non-zero gradient."""
    n = len(kernels)
    s, d = strides or [1] * n, dilations or [1] * n
    size = 64
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    h = x
    for k, si, di in zip(kernels, s, d):
        h = F.conv2d(h, torch.ones(1, 1, k, k, dtype=torch.float64), stride=si, dilation=di)
    h[0, 0, h.shape[2] // 2, h.shape[3] // 2].backward()
    rows = np.nonzero(x.grad[0, 0].abs().sum(dim=1).numpy())[0]
    assert conv.receptive_field(kernels, strides, dilations) == rows.max() - rows.min() + 1


# ----------------------------------------------------------------------------- properties
small = st.integers(1, 3)


@given(N=small, C=small, H=st.integers(3, 7), W=st.integers(3, 7), k=st.integers(1, 3), s=small,
       p=st.integers(0, 1), d=st.integers(1, 2), seed=st.integers(0, 10_000))
def test_col2im_is_the_adjoint_of_im2col(N, C, H, W, k, s, p, d, seed):
    """<im2col(x), c> = <x, col2im(c)>: the property that makes col2im the backward pass."""
    if d * (k - 1) + 1 > min(H, W) + 2 * p:
        return
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, C, H, W))
    cols = conv.im2col(x, k, s, p, d)
    c = rng.normal(size=cols.shape)
    assert np.isclose(np.sum(cols * c), np.sum(x * conv.col2im(c, x.shape, k, s, p, d)), rtol=1e-10, atol=1e-10)


@given(shift_r=st.integers(0, 3), shift_c=st.integers(0, 3), seed=st.integers(0, 10_000))
def test_convolution_is_translation_equivariant(shift_r, shift_c, seed):
    """Shift the image, and the (valid, stride-1) feature map shifts the same way."""
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(1, 2, 12, 12)), rng.normal(size=(3, 2, 3, 3))
    shifted = np.roll(x, (shift_r, shift_c), axis=(2, 3))
    y, y_shift = conv.conv2d(x, w), conv.conv2d(shifted, w)
    # compare where neither map saw the wrapped-around border
    assert np.allclose(y_shift[:, :, shift_r:, shift_c:], y[:, :, :10 - shift_r, :10 - shift_c])


@given(scale=st.sampled_from([1e-150, 1e-6, 1.0, 1e6, 1e150]), seed=st.integers(0, 10_000))
def test_finite_and_linear_at_extreme_scales(scale, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2))
    y = conv.conv2d(scale * x, w, stride=2, padding=1)
    assert np.all(np.isfinite(y))
    assert np.allclose(y, scale * conv.conv2d(x, w, stride=2, padding=1), rtol=1e-9, atol=0)


@given(seed=st.integers(0, 10_000))
def test_pooling_bounds(seed):
    """max pool >= avg pool, and both lie within the input's range."""
    x = np.random.default_rng(seed).normal(size=(2, 3, 6, 6))
    mx, _ = conv.maxpool2d_forward(x, 2)
    av, _ = conv.avgpool2d_forward(x, 2)
    assert np.all(mx >= av - 1e-12) and mx.max() <= x.max() and av.min() >= x.min()


# ----------------------------------------------------------------------------- bad inputs
def test_bad_inputs_name_expected_and_received():
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"x must have 4 dimension\(s\), got shape \(5, 5\)"):
        conv.conv2d(np.zeros((5, 5)), w)
    with pytest.raises(ValueError, match=r"C=2.*got w.shape = \(3, 4, 3, 3\)"):
        conv.conv2d(x, np.zeros((3, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(3\), got \(2,\)"):
        conv.conv2d(x, w, np.zeros(2))
    with pytest.raises(ValueError, match="must be finite, got 1 NaN"):
        conv.conv2d(np.where(np.arange(50).reshape(1, 2, 5, 5) == 7, np.nan, 0.0), w)
    with pytest.raises(ValueError, match="must not be empty"):
        conv.conv2d(np.zeros((0, 2, 5, 5)), w)
    with pytest.raises(ValueError, match="must hold real numbers, got dtype <U1"):
        conv.conv2d(np.full((1, 2, 5, 5), "a"), w)
    with pytest.raises(ValueError, match="kernel spans 7 pixels.*padded input has only 5"):
        conv.conv2d(x, w, dilation=3)
    with pytest.raises(ValueError, match=r"stride must be in \[1, inf\], got 0"):
        conv.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"padding must be an int or a pair \(h, w\), got \(1, 2, 3\)"):
        conv.conv2d(x, w, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="dilation must be an integer, got 1.5"):
        conv.conv2d(x, w, dilation=1.5)
    y, cache = conv.conv2d_forward(x, w)
    with pytest.raises(ValueError, match=r"dy must have the forward output's shape.*got \(1, 3, 2, 2\)"):
        conv.conv2d_backward(np.zeros((1, 3, 2, 2)), cache)
    with pytest.raises(ValueError, match="cache must be the ConvCache.*got tuple"):
        conv.conv2d_backward(y, (1, 2))
    with pytest.raises(ValueError, match=r"dy must have shape \(1, 3, 3, 3\), got \(1, 3, 2, 2\)"):
        conv.conv2d_naive_backward(np.zeros((1, 3, 2, 2)), conv.conv2d_naive_forward(x, w)[1])
    with pytest.raises(ValueError, match=r"padding must be at most half the kernel size.*got \(2, 2\)"):
        conv.maxpool2d_forward(x, 3, padding=2)
    _, pcache = conv.avgpool2d_forward(x, 2)
    with pytest.raises(ValueError, match=r"dy must have the pooled output's shape \(1, 2, 2, 2\), got"):
        conv.avgpool2d_backward(np.zeros((1, 2, 3, 3)), pcache)
    _, mcache = conv.maxpool2d_forward(x, 2)
    with pytest.raises(ValueError, match=r"pooled output's shape \(1, 2, 2, 2\)"):
        conv.maxpool2d_backward(np.zeros((2, 2, 2, 2)), mcache)
    with pytest.raises(ValueError, match="expected 2 strides and 2 dilations.*got 1 and 2"):
        conv.receptive_field([3, 3], strides=[1])
    with pytest.raises(ValueError, match="at least one layer"):
        conv.receptive_field([])
    with pytest.raises(ValueError, match=r"cols must have shape \(1, 18, 9\), got \(1, 18, 8\)"):
        conv.col2im(np.zeros((1, 18, 8)), x.shape, 3)
