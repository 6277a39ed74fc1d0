"""Per-entry plausible calls for ``tests/test_bad_input.py``: the packages of notebooks 12-20 (gan ... interpret).

``ENTRY_ARGS`` maps an entry's full name (``module.qualname``) to a factory that returns the keyword
arguments of one plausible call. Factories build fresh objects each time (a call may mutate them).
Everything is tiny (a handful of rows, a few hidden units, one or two steps): the whole table is
built at collection time and every entry is called about a dozen times.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch


def _t(*shape: int, start: float = -1.0, stop: float = 1.0) -> torch.Tensor:
    """A deterministic float32 tensor of the given shape (values spread over [start, stop])."""
    n = int(np.prod(shape))
    return torch.linspace(start, stop, n).reshape(shape)


def _a(*shape: int, start: float = -1.0, stop: float = 1.0) -> np.ndarray:
    """A deterministic float64 array of the given shape."""
    return np.linspace(start, stop, int(np.prod(shape))).reshape(shape)


# --- 12 GANs -----------------------------------------------------------------------------------

def _ring_trainer():
    from helpers.core.data import RingMixture
    from helpers.gan.train import GANTrainer, ring_gan_config

    return GANTrainer(ring_gan_config(batch_size=4, hidden=4, n_critic=1), RingMixture().sample)


def _critic():
    from helpers.gan.models import Discriminator

    return Discriminator(2, hidden=4, depth=1, generator=torch.Generator().manual_seed(0))


_GAN = {
    "helpers.gan.metrics.interpolate_latent": lambda: dict(z0=_a(2), z1=_a(2, start=1, stop=2), t=0.5),
    "helpers.gan.metrics.mode_coverage": lambda: dict(samples=_a(6, 2), centers=_a(3, 2), std=0.5),
    "helpers.gan.penalty.gradient_penalty": lambda: dict(critic=_critic(), real=_t(4, 2), fake=_t(4, 2, start=1)),
    "helpers.gan.plots.plot_ring_runs": lambda: dict(samples={"vanilla": _a(6, 2)}, ring=__import__(
        "helpers.core.data", fromlist=["RingMixture"]).RingMixture(), n_show=4),
    "helpers.gan.train.GANTrainer": lambda: dict(
        config=__import__("helpers.gan.train", fromlist=["x"]).ring_gan_config(batch_size=4, hidden=4),
        sample_real=__import__("helpers.core.data", fromlist=["x"]).RingMixture().sample),
    "helpers.gan.train.SampleView": lambda: dict(trainer=_ring_trainer(), real=_a(4, 2), n=4),
    "helpers.gan.train.ring_gan_config": lambda: dict(loss="wgan-gp"),
    "helpers.gan.train.train_gan": lambda: dict(trainer=_ring_trainer(), steps=1, live=False, every=1,
                                                progress=False),
}


# --- 13 compression ----------------------------------------------------------------------------

def _digits_tensors():
    from helpers.compression.students import DigitsTensors

    g = torch.Generator().manual_seed(0)
    y = torch.arange(20) % 10
    return DigitsTensors(torch.rand(20, 64, generator=g), y, torch.rand(10, 64, generator=g), torch.arange(10))


def _linear_stack():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


_COMPRESSION = {
    "helpers.compression.distill.distillation_loss_torch": lambda: dict(
        student_logits=_t(4, 3), teacher_logits=_t(4, 3, start=1, stop=-1), labels=torch.tensor([0, 1, 2, 0])),
    "helpers.compression.quantize.affine_params": lambda: dict(x_min=_a(3, start=-1, stop=-0.5),
                                                              x_max=_a(3, start=0.5, stop=1)),
    "helpers.compression.quantize.buffers_size_bytes": lambda: dict(model=_linear_stack()),
    "helpers.compression.quantize.dequantize": lambda: dict(q=np.array([[-128, 0, 127], [1, 2, 3]]),
                                                           scale=0.1, zero_point=0),
    "helpers.compression.quantize.int8_linear_model": lambda: dict(model=_linear_stack()),
    "helpers.compression.quantize.model_size_bytes": lambda: dict(model=_linear_stack()),
    "helpers.compression.quantize.quantize_model": lambda: dict(model=_linear_stack(), mode="per_tensor"),
    "helpers.compression.students.compare_students": lambda: dict(
        teacher=__import__("helpers.compression.students", fromlist=["x"]).make_mlp(4), data=_digits_tensors(),
        seeds=(0,), n_student=10, hidden=4, steps=1),
    "helpers.compression.students.plot_students": lambda: dict(rows=[
        __import__("helpers.compression.students", fromlist=["x"]).StudentRow(0, 0.5, 0.75)]),
}


# --- 14 distributed ----------------------------------------------------------------------------

def _ddp_config():
    from helpers.distributed.ddp import DDPConfig

    return DDPConfig(global_batch=8, features=3, hidden=4, steps=1)


_DISTRIBUTED = {
    "helpers.distributed.allreduce.plot_shard_noise": lambda: dict(
        world_sizes=[1, 2], worker_err=_a(2, start=0.1, stop=0.2), average_err=_a(2, start=0.05, stop=0.1)),
    "helpers.distributed.allreduce.ring_allreduce": lambda: dict(chunks=_a(2, 4)),
    "helpers.distributed.allreduce.shard_noise": lambda: dict(X=_a(8, 3), y=_a(8), w=_a(3), world_sizes=[1, 2]),
    "helpers.distributed.ddp.full_batch_gradient": lambda: dict(config=_ddp_config()),
    "helpers.distributed.ddp.global_batch": lambda: dict(config=_ddp_config()),
    "helpers.distributed.ddp.make_mlp": lambda: dict(config=_ddp_config()),
    "helpers.distributed.ddp.train_single_process": lambda: dict(config=_ddp_config()),
}


ENTRY_ARGS: dict[str, Callable[[], dict[str, Any]]] = {**_GAN, **_COMPRESSION, **_DISTRIBUTED}
