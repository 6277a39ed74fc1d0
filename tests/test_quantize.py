"""helpers.compression.quantize: our affine int8 quantizer vs torch's, error bounds, sizes, bad inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.compression import quantize as Q
from helpers.exercises import ch13

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
SHAPES = [(7,), (4, 9), (16, 64), (3, 5, 6)]


def _x(shape, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 2 + 0.3).astype(dtype)


@pytest.mark.parametrize("shape", SHAPES)
def test_per_tensor_matches_torch_quantize_per_tensor(shape):
    x = _x(shape, seed=len(shape))
    qt = Q.quantize_tensor(x)
    ref = torch.quantize_per_tensor(torch.tensor(x), float(qt.scale), int(qt.zero_point), torch.qint8)
    assert np.array_equal(ref.int_repr().numpy(), qt.q)
    assert np.allclose(ref.dequantize().numpy(), qt.dequantize(), atol=1e-6)


@pytest.mark.parametrize("shape", [s for s in SHAPES if len(s) > 1])
def test_per_channel_matches_torch_quantize_per_channel(shape):
    x = _x(shape, seed=5)
    qt = Q.quantize_tensor(x, per_channel=True, axis=0)
    ref = torch.quantize_per_channel(torch.tensor(x), torch.tensor(qt.scale), torch.tensor(qt.zero_point), 0,
                                     torch.qint8)
    assert np.array_equal(ref.int_repr().numpy(), qt.q)
    assert np.allclose(ref.dequantize().numpy(), qt.dequantize(), atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fake_quantize_matches_torch(shape, dtype):
    x = _x(shape, seed=9, dtype=dtype)
    scale, zp = Q.affine_params(x.min(), x.max())
    ref = torch.fake_quantize_per_tensor_affine(torch.tensor(x), float(scale), int(zp), -128, 127).numpy()
    ours = Q.fake_quantize(x, scale, zp)
    assert ours.dtype == x.dtype
    assert np.allclose(ours, ref, atol=1e-6 * float(scale) * 128)


def test_zero_is_exact_and_constant_rows_do_not_divide_by_zero():
    w = np.array([[0.0, 0.0, 0.0], [-1.0, 0.0, 2.0]])
    qt = Q.quantize_tensor(w, per_channel=True)
    assert np.all(qt.dequantize()[w == 0] == 0.0)
    assert np.all(np.isfinite(qt.dequantize()))


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 8)),
                  elements=st.floats(-1e3, 1e3, allow_nan=False)),
       st.booleans())
def test_round_trip_error_at_most_half_a_step(x, per_channel):
    qt = Q.quantize_tensor(x, per_channel=per_channel)
    step = qt.scale[:, None] if per_channel else qt.scale
    assert np.all(np.abs(qt.dequantize() - x) <= step / 2 + 1e-9 * (1 + np.abs(x)))
    assert qt.q.dtype == np.int8


def test_per_channel_beats_per_tensor_when_rows_differ_in_range():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((8, 32)) * np.logspace(-2, 1, 8)[:, None]
    err = {pc: np.abs(Q.quantize_tensor(w, per_channel=pc).dequantize() - w).mean() for pc in (False, True)}
    assert err[True] < err[False] / 3


def test_model_quantization_sizes_and_outputs():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    qm, sizes = Q.quantize_model(m)
    assert Q.model_size_bytes(m) == 4 * (64 * 32 + 32 + 32 * 10 + 10)
    assert sizes["0.weight"] == 64 * 32 + 8 * 32 and sizes["0.bias"] == 4 * 32
    i8 = Q.int8_linear_model(m)
    assert Q.buffers_size_bytes(i8) == sum(sizes.values())
    x = torch.randn(5, 64)
    assert torch.allclose(qm(x), i8(x), atol=1e-5)
    assert (qm(x) - m(x)).abs().max() < 0.05


@pytest.mark.parametrize("call,needle", [
    (lambda: Q.quantize_tensor(np.array([1.0, np.nan])), "finite"),
    (lambda: Q.quantize_tensor(np.zeros(0)), "empty"),
    (lambda: Q.quantize_tensor(np.array(["a"])), "real numbers"),
    (lambda: Q.quantize(np.ones(3), 0.0, 0), "scale must be > 0"),
    (lambda: Q.quantize(np.ones((2, 3)), np.ones(3), np.zeros(3), axis=0), "shape (2,)"),
    (lambda: Q.quantize_model(torch.nn.Linear(2, 2), mode="int4"), "mode must be one of"),
    (lambda: Q.int8_linear_model(torch.nn.Linear(2, 2)), "nn.Sequential"),
])
def test_bad_inputs_raise_with_expected_and_received(call, needle):
    with pytest.raises(ValueError, match="got") as info:
        call()
    assert needle in str(info.value)


def test_quantize_exercise_accepts_solution_and_rejects_wrong_answers():
    assert ch13.check_quantize_int8(ch13.solution_quantize_int8)
    assert not ch13.check_quantize_int8(lambda x: ...)
    assert not ch13.check_quantize_int8(lambda x: np.round(x * 100))
    assert not ch13.check_quantize_int8(lambda x: np.round(x / ((x.max() - x.min()) / 255)).astype(np.int8))


@pytest.mark.parametrize("zero_point", [-7, -3, 0, 1, 5, 12])
@pytest.mark.parametrize("scale", [0.1, 0.5, 1.0, 1 / 3, 0.013])
def test_values_exactly_halfway_between_levels_round_like_torch(scale, zero_point):
    """Ties: PyTorch rounds x / s + z half to even, so an odd z moves a tie to the other level."""
    k = np.arange(-60, 60)
    x = ((k + 0.5) * scale).astype(np.float32)                   # halfway between two levels
    ref = torch.quantize_per_tensor(torch.from_numpy(x), scale, zero_point, torch.qint8).int_repr().numpy()
    assert np.array_equal(Q.quantize(x, np.float64(scale), zero_point), ref)


def test_per_channel_ties_and_random_values_match_torch():
    rng = np.random.default_rng(7)
    for _ in range(50):
        s, z = rng.choice([0.1, 0.5, 1 / 3, 0.07, 0.013], 4), rng.integers(-5, 6, 4)
        ties = ((rng.integers(-60, 60, (4, 9)) + 0.5) * s[:, None]).astype(np.float32)
        rand = (rng.normal(0, 40, (4, 9)) * s[:, None]).astype(np.float32)
        for x in (ties, rand):
            ref = torch.quantize_per_channel(torch.from_numpy(x), torch.tensor(s), torch.tensor(z), 0,
                                             torch.qint8).int_repr().numpy()
            assert np.array_equal(Q.quantize(x, s, z, axis=0), ref)


def test_zero_point_outside_the_int8_grid_is_refused():
    with pytest.raises(ValueError, match=r"zero_point must lie in \[-128, 127\].*got values from 1000 to 1000"):
        Q.quantize(np.ones(3, dtype=np.float32), 0.1, 1000)
