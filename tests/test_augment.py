"""Image augmentations (notebook 08): shapes, dtypes, ranges, exact special cases, bad inputs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.training import augment as A

FUNCS = [A.random_flip, A.random_affine, A.brightness_contrast, A.augment]


@pytest.mark.parametrize("fn", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(5, 8, 8), (3, 1, 8, 8), (2, 3, 6, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_are_kept_and_input_untouched(fn, shape, dtype, rng):
    x = rng.uniform(0, 1, size=shape).astype(dtype)
    before = x.copy()
    out = fn(x, np.random.default_rng(0))
    assert out.shape == shape and out.dtype == dtype
    assert np.array_equal(x, before)
    assert np.all(np.isfinite(out))


def test_flip_with_p_one_mirrors_every_image(rng):
    x = rng.normal(size=(4, 5, 6))
    assert np.array_equal(A.random_flip(x, rng, p=1.0), x[..., ::-1])
    assert np.array_equal(A.random_flip(x, rng, p=1.0, direction="vertical"), x[..., ::-1, :])
    assert np.array_equal(A.random_flip(x, rng, p=0.0), x)


def test_affine_with_zero_ranges_is_the_identity(rng):
    x = rng.uniform(size=(6, 2, 8, 8))
    assert np.allclose(A.random_affine(x, rng, max_shift=0, max_rotate=0, max_scale=0), x, atol=1e-12)


def test_affine_moves_a_single_pixel_by_at_most_the_shift(rng):
    x = np.zeros((50, 9, 9))
    x[:, 4, 4] = 1.0
    out = A.random_affine(x, rng, max_shift=1.0, max_rotate=0, max_scale=0)
    ys, xs = np.unravel_index(out.reshape(50, -1).argmax(axis=1), (9, 9))
    assert np.all(np.abs(ys - 4) <= 1) and np.all(np.abs(xs - 4) <= 1)
    assert np.allclose(out.sum(axis=(1, 2)), 1.0)  # an interior pixel's mass is conserved by bilinear weights
    assert len({(int(a), int(b)) for a, b in zip(ys, xs)}) > 1  # and the shifts really differ per image


@given(st.floats(0, 4), st.floats(0, 45), st.floats(0, 0.5), st.integers(0, 100))
def test_affine_stays_within_the_input_range_and_zero(shift, rotate, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.2, 0.9, size=(3, 8, 8))
    out = A.random_affine(x, rng, shift, rotate, scale)
    assert out.min() >= -1e-12 and out.max() <= 0.9 + 1e-12


@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 100))
def test_jitter_stays_in_the_clip_range(brightness, contrast, seed):
    rng = np.random.default_rng(seed)
    out = A.brightness_contrast(rng.uniform(size=(4, 8, 8)), rng, brightness, contrast)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_jitter_with_zero_ranges_is_the_identity(rng):
    x = rng.uniform(size=(3, 8, 8))
    assert np.allclose(A.brightness_contrast(x, rng, 0.0, 0.0), x)


@pytest.mark.parametrize("call,fragment", [
    (lambda: A.random_flip(np.ones((8, 8)), np.random.default_rng()),
     "images must have 3 or 4 dimension(s), got shape (8, 8)"),
    (lambda: A.random_flip(np.ones((2, 8, 8)), 0), "rng must be a np.random.Generator, got int"),
    (lambda: A.random_flip(np.ones((2, 8, 8)), np.random.default_rng(), direction="diagonal"),
     "direction must be one of"),
    (lambda: A.random_affine(np.ones((2, 8, 8)), np.random.default_rng(), max_rotate=90), "max_rotate must be in"),
    (lambda: A.brightness_contrast(np.full((2, 8, 8), np.nan), np.random.default_rng()), "finite"),
    (lambda: A.augment(np.ones((0, 8, 8)), np.random.default_rng()), "must not be empty"),
    (lambda: A.augment(np.array([[["a"]]]), np.random.default_rng()), "real numbers"),
])
def test_bad_inputs_raise_a_clear_error(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value), str(info.value)
