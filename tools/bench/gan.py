"""Chapter 12 benchmarks: the cost of a GAN training step, vanilla vs WGAN-GP, and of the tricks.

    python -m tools.bench --only gan

* one training step on the ring (5 discriminator/critic updates + 1 generator update), vanilla
  vs WGAN-GP: the ratio is the price of the gradient penalty's double backprop;
* five seeds as five independent copies in one batched model vs five separate runs (the
  notebook's experiment uses the batched form);
* the by-hand penalty gradients of a tanh critic (NumPy) vs PyTorch's double backprop.
"""
from __future__ import annotations

import numpy as np
import torch

from helpers.core.data import RingMixture
from helpers.gan.penalty import gradient_penalty, tanh_critic_penalty_grads
from helpers.gan.train import GANTrainer, ring_gan_config

SECTION = "GAN training steps (ch12)"


def run(report) -> None:
    torch.set_num_threads(1)
    ring = RingMixture()
    vanilla = GANTrainer(ring_gan_config("vanilla"), ring.sample)
    wgan = GANTrainer(ring_gan_config("wgan-gp"), ring.sample)
    report.ratio(SECTION, "ring step, WGAN-GP vs vanilla (5 D steps + 1 G step, batch 128)",
                 wgan.step, vanilla.step, repeat=20, ref_name="vanilla")
    batched = GANTrainer(ring_gan_config("wgan-gp", members=5), ring.sample)
    singles = [GANTrainer(ring_gan_config("wgan-gp", seed=s), ring.sample) for s in range(5)]
    report.ratio(SECTION, "5 seeds, WGAN-GP: 5 separate runs vs one batched model",
                 lambda: [t.step() for t in singles], batched.step, repeat=10, ref_name="batched")

    rng = np.random.default_rng(0)
    X, W, b, v = rng.normal(size=(128, 2)), rng.normal(size=(64, 2)), rng.normal(size=64), rng.normal(size=64)
    Wt, bt, vt = (torch.tensor(a, requires_grad=True) for a in (W, b, v))
    x = torch.tensor(X)

    def torch_penalty_grads():
        penalty = gradient_penalty(lambda z: torch.tanh(z @ Wt.T + bt) @ vt, x, x, 10.0, points=x)
        return torch.autograd.grad(penalty, (Wt, bt, vt))

    report.ratio(SECTION, "tanh critic penalty + gradients (N=128, H=64): NumPy by hand vs autograd",
                 lambda: tanh_critic_penalty_grads(X, W, b, v), torch_penalty_grads, repeat=50)
