"""Notebook 14: sharding, gradient averaging and ring all-reduce vs PyTorch; 2 real gloo processes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from helpers.distributed import allreduce as ar
from helpers.distributed import ddp
from helpers.exercises import ch14
from torch_twin import assert_close, torch_value_and_grads
from exercise_grading import assert_grades

SHAPES = [(4, 1, 1), (12, 3, 2), (24, 5, 4), (30, 7, 3), (64, 2, 8)]  # (N, D, P)


def _data(rng, n, d):
    return rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)


def _torch_mse_grad(X, y, w):
    _, grads = torch_value_and_grads(lambda X, y, w: torch.mean((X @ w - y) ** 2), X, y, w,
                                     requires_grad=[False, False, True])
    return grads[2]


@pytest.mark.parametrize("n,d,p", SHAPES)
def test_linear_mse_grad_matches_torch(rng, n, d, p):
    X, y, w = _data(rng, n, d)
    assert_close(ar.linear_mse_grad(X, y, w), _torch_mse_grad(X, y, w), atol=1e-12, what="grad w")


@pytest.mark.parametrize("n,d,p", SHAPES)
def test_data_parallel_gradient_equals_full_batch_torch(rng, n, d, p):
    X, y, w = _data(rng, n, d)
    avg, per = ar.data_parallel_gradient(X, y, w, p)
    assert per.shape == (p, d)
    assert np.max(np.abs(avg - _torch_mse_grad(X, y, w))) <= 1e-12
    for r in range(p):  # each worker's own gradient is torch's gradient on its shard
        idx = ar.shard_indices(n, p, r)
        assert_close(per[r], _torch_mse_grad(X[idx], y[idx], w), atol=1e-12, what=f"worker {r}")


@pytest.mark.parametrize("p,d", [(1, 3), (2, 5), (3, 7), (4, 4), (5, 2), (8, 1), (8, 33)])
def test_ring_allreduce_matches_torch_sum(rng, p, d):
    chunks = rng.normal(size=(p, d))
    out = ar.ring_allreduce(chunks)
    want = torch.tensor(chunks).sum(dim=0).numpy()
    assert out.shape == (p, d)
    for row in out:
        assert_close(row, want, atol=1e-12, what="all-reduced row")


@given(p=st.integers(1, 8), n=st.integers(1, 6), d=st.integers(1, 5), seed=st.integers(0, 10**6),
       scale=st.sampled_from([1e-8, 1.0, 1e6]))
def test_property_average_is_full_batch_gradient(p, n, d, seed, scale):
    rng = np.random.default_rng(seed)
    X, y, w = _data(rng, p * n, d)
    X, y = X * scale, y * scale
    avg, per = ar.data_parallel_gradient(X, y, w, p)
    full = ar.linear_mse_grad(X, y, w)
    assert np.all(np.isfinite(avg))
    assert np.allclose(avg, full, rtol=1e-10, atol=1e-12 * np.max(np.abs(full), initial=1.0))


@given(p=st.integers(1, 9), n=st.integers(1, 9))
def test_property_shards_partition_the_batch(p, n):
    shards = [ar.shard_indices(p * n, p, r) for r in range(p)]
    assert all(len(s) == n for s in shards)
    assert np.array_equal(np.sort(np.concatenate(shards)), np.arange(p * n))


@given(p=st.integers(1, 8), d=st.integers(1, 20), seed=st.integers(0, 10**6))
def test_property_ring_rows_identical_and_finite(p, d, seed):
    chunks = np.random.default_rng(seed).normal(scale=1e4, size=(p, d))
    out = ar.ring_allreduce(chunks)
    assert np.all(np.isfinite(out))
    assert np.allclose(out, chunks.sum(axis=0), rtol=1e-12, atol=1e-8)


def test_ring_traffic():
    assert ar.ring_traffic_per_worker(1000, 1) == 0.0
    assert ar.ring_traffic_per_worker(1000, 4) == 1500.0


@pytest.mark.parametrize("call,words", [
    (lambda: ar.shard_indices(7, 2, 0), ["multiple", "n=7"]),
    (lambda: ar.shard_indices(8, 2, 2), ["rank", "got 2"]),
    (lambda: ar.shard_indices(8, 0, 0), ["world_size", "got 0"]),
    (lambda: ar.linear_mse_grad(np.ones((3, 2)), np.ones(4), np.ones(2)), ["shape (3)", "(4,)"]),
    (lambda: ar.linear_mse_grad(np.ones((3, 2)), np.ones(3), np.ones(3)), ["shape (2)", "(3,)"]),
    (lambda: ar.linear_mse_grad(np.ones(3), np.ones(3), np.ones(1)), ["2 dimension", "1-D"]),
    (lambda: ar.linear_mse_grad(np.full((2, 1), np.nan), np.ones(2), np.ones(1)), ["finite", "NaN"]),
    (lambda: ar.linear_mse_grad(np.ones((0, 2)), np.ones(0), np.ones(2)), ["empty", "(0, 2)"]),
    (lambda: ar.linear_mse_grad(np.array([["a"]]), np.ones(1), np.ones(1)), ["real numbers", "dtype"]),
    (lambda: ar.data_parallel_gradient(np.ones((5, 2)), np.ones(5), np.ones(2), 2), ["multiple", "N=5"]),
    (lambda: ar.ring_allreduce(np.ones(3)), ["2 dimension", "1-D"]),
    (lambda: ddp.launch(0), ["world_size", "got 0"]),
    (lambda: ddp.launch(3), ["multiple", "64"]),
    (lambda: ddp.launch(2, config="big"), ["DDPConfig", "str"]),
])
def test_bad_inputs_name_expected_and_received(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value}"


# ----------------------------------------------------------------------------- real processes
@pytest.fixture(scope="module")
def two_workers():
    """Spawn 2 gloo processes once (launch() terminates them even if a test below fails)."""
    return ddp.launch(2, ddp.DDPConfig(steps=3), timeout_s=90)


def test_two_gloo_processes_give_the_full_batch_gradient(two_workers):
    ref = ddp.full_batch_gradient(ddp.DDPConfig(steps=3))
    assert two_workers.world_size == 2
    assert np.max(np.abs(two_workers.grad_allreduce - ref)) <= 1e-12
    assert np.max(np.abs(two_workers.grad_ddp - ref)) <= 1e-12
    # the shard's own gradient really differs: the all-reduce did something
    assert np.max(np.abs(two_workers.local_grad - ref)) > 1e-3
    assert np.isfinite(two_workers.ms_per_step) and two_workers.ms_per_step > 0


def test_no_worker_left_behind(two_workers):
    import multiprocessing

    assert two_workers is not None
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_ddp_training_follows_single_process_training(two_workers):
    params, ms = ddp.train_single_process(ddp.DDPConfig(steps=3))
    assert ms > 0
    assert np.max(np.abs(two_workers.final_params - params)) <= 1e-12
    assert np.max(np.abs(params - ddp.train_single_process(ddp.DDPConfig(steps=0))[0])) > 1e-4


def test_free_port():
    assert 1024 <= ddp.free_port() <= 65535


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check,solution,wrong", [
    (ch14.check_shard, ch14.solution_shard, lambda n, p, r: np.arange(r * (n // p), (r + 1) * (n // p))),
    (ch14.check_shard, ch14.solution_shard, lambda n, p, r: np.arange(n)),
    (ch14.check_allreduce_mean, ch14.solution_allreduce_mean, lambda g: np.tile(g.sum(0), (len(g), 1))),
    (ch14.check_allreduce_mean, ch14.solution_allreduce_mean, lambda g: g),
    (ch14.check_scaled_lr, ch14.solution_scaled_lr, lambda lr, b, n, p: lr * n / b),
    (ch14.check_scaled_lr, ch14.solution_scaled_lr, lambda lr, b, n, p: lr),
])
def test_exercise_checks(check, solution, wrong, capsys):
    assert_grades(check, solution, wrong, capsys)


@pytest.mark.parametrize("check, solution, wrong", [
    (ch14.check_shard, ch14.solution_shard, lambda n, p, r: np.arange(n)),
    (ch14.check_allreduce_mean, ch14.solution_allreduce_mean, lambda g: g),
    (ch14.check_scaled_lr, ch14.solution_scaled_lr, lambda lr, b, n, p: lr),
])
def test_ch14_hints_come_gentle_then_stronger(check, solution, wrong):
    assert check(solution)  # a correct answer resets the count of wrong attempts
    first, second = check(wrong), check(wrong)
    assert "\n   hint:" in first.message and "stronger hint:" in second.message
    assert first.message.split("hint:")[1] != second.message.split("hint:")[1]
