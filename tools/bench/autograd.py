"""Chapter 04 benchmark: one training step (forward + backward + SGD update) of our autograd engine
vs the same MLP in PyTorch, float64, one thread.

    python -m tools.bench --only autograd

Goal: our engine within 5x of PyTorch on a 2 -> 64 -> 64 -> 2 tanh MLP with a batch of 256. The
notebook's own model (2 -> 16 -> 16 -> 2 on 200 points) is timed too.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

SECTION = "autograd training step (forward + backward + update)"
GOAL = 5.0
CONFIGS = [([2, 64, 64, 2], 256), ([2, 16, 16, 2], 200)]


def training_steps(sizes: list[int], batch: int) -> tuple[Callable[[], None], Callable[[], None]]:
    """(our step, PyTorch's step) for the same MLP, same weights, same data."""
    import torch

    from helpers.autograd import modules as nn

    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0]))
    y = rng.integers(0, sizes[-1], batch)
    model = nn.MLP(sizes, "tanh", seed=0)
    opt = nn.SGD(model.parameters(), lr=0.01)
    twin = nn.to_torch(model)
    t_opt = torch.optim.SGD(twin.parameters(), lr=0.01)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def ours() -> None:
        loss = nn.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def theirs() -> None:
        loss = torch.nn.functional.cross_entropy(twin(Xt), yt)
        t_opt.zero_grad()
        loss.backward()
        t_opt.step()

    return ours, theirs


def run(report) -> None:
    import torch

    torch.set_num_threads(1)
    for i, (sizes, batch) in enumerate(CONFIGS):
        ours, theirs = training_steps(sizes, batch)
        ratio = report.ratio(SECTION, f"MLP {'->'.join(map(str, sizes))}, batch {batch}, float64", ours, theirs,
                             repeat=200)
        if i == 0:
            report.add(SECTION, "goal (first row)", f"ratio <= {GOAL:.0f}x: {'met' if ratio <= GOAL else 'NOT met'}")
