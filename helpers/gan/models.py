r"""The two players of a GAN as small PyTorch modules: a generator and a discriminator (notebook 12).

The **generator** :math:`G_\theta` maps a noise vector :math:`\mathbf{z} \sim \mathcal{N}(0, I)`
to a sample :math:`G_\theta(\mathbf{z})` (a 2-D point, or the 64 pixels of an 8×8 digit); the
**discriminator** :math:`D_\phi` maps a sample to one logit, "how real does this look". Both are
plain multilayer perceptrons.

One twist makes the chapter's multi-seed experiment affordable on a laptop: every layer can hold
``S`` *independent* copies of its weights (:class:`ParallelLinear`), evaluated with one batched
matrix product. ``S`` copies trained side by side never share a number: each has its own
initial weights, its own noise and its own (element-wise) Adam state, so it is exactly ``S``
separate training runs, computed together. With ``S = 1`` the modules behave like an ordinary
``nn.Linear`` stack on (N, D) inputs.

Shape: ``S`` independent copies ("members"), ``N`` batch, ``D`` features; ``Z`` latent size.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from helpers.core.checks import check_choice, check_range

__all__ = ["ParallelLinear", "MLP", "Generator", "Discriminator"]

_OUTPUTS = {"identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


class ParallelLinear(nn.Module):
    r"""``S`` independent affine maps :math:`\mathbf{y}_s = \mathbf{x}_s W_s + \mathbf{b}_s`.

    Initialised like ``nn.Linear``: every weight and bias uniform in
    :math:`[-1/\sqrt{D_{in}}, 1/\sqrt{D_{in}}]`.

    Args:
        d_in, d_out: feature sizes.
        members: the number ``S`` of independent copies.
        generator: a seeded ``torch.Generator`` for the initial weights (None: the global one).

    Shape:
        input (S, N, D_in) -> output (S, N, D_out).

    Example:
        >>> layer = ParallelLinear(3, 2, members=4)
        >>> layer(torch.zeros(4, 5, 3)).shape
        torch.Size([4, 5, 2])
    """

    def __init__(self, d_in: int, d_out: int, members: int = 1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        for value, name in ((d_in, "d_in"), (d_out, "d_out"), (members, "members")):
            check_range(value, name, 1, None, integer=True)
        bound = 1.0 / math.sqrt(d_in)
        w = torch.rand(members, d_in, d_out, generator=generator) * 2 * bound - bound
        b = torch.rand(members, 1, d_out, generator=generator) * 2 * bound - bound
        self.weight = nn.Parameter(w)  # (S, D_in, D_out)
        self.bias = nn.Parameter(b)    # (S, 1, D_out): broadcast over the batch
        self.members = members

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.members or x.shape[2] != self.weight.shape[1]:
            raise ValueError(f"ParallelLinear expects input of shape (S={self.members}, N, "
                             f"D_in={self.weight.shape[1]}), got {tuple(x.shape)}")
        return torch.baddbmm(self.bias, x, self.weight)  # (S, N, D_in) @ (S, D_in, D_out) -> (S, N, D_out)

    def extra_repr(self) -> str:
        return f"d_in={self.weight.shape[1]}, d_out={self.weight.shape[2]}, members={self.members}"


class MLP(nn.Module):
    """``depth`` hidden layers of width ``hidden`` with an activation, then a linear output layer.

    Accepts (N, D) input (every member sees the same points; with ``members=1`` the output is
    (N, D_out), as for an ordinary network) or (S, N, D) input (member ``s`` sees ``x[s]``).

    Shape:
        (N, D_in) -> (N, D_out) if ``members == 1`` else (S, N, D_out); (S, N, D_in) -> (S, N, D_out).
    """

    def __init__(self, d_in: int, d_out: int, hidden: int = 64, depth: int = 2,
                 activation: str = "relu", out_activation: str = "identity", members: int = 1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        check_range(hidden, "hidden", 1, None, integer=True)
        check_range(depth, "depth", 1, 8, integer=True)
        check_choice(activation, "activation", ["relu", "leaky_relu"])
        check_choice(out_activation, "out_activation", list(_OUTPUTS))
        sizes = [d_in] + [hidden] * depth + [d_out]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(ParallelLinear(a, b, members, generator))
            if i < depth:
                # Leaky ReLU in the discriminator keeps a gradient for every input, so the
                # generator is never told "no direction" on the samples D has written off.
                layers.append(nn.ReLU() if activation == "relu" else nn.LeakyReLU(0.2))
        layers.append(_OUTPUTS[out_activation]())
        self.net = nn.Sequential(*layers)
        self.members, self.d_in, self.d_out = members, d_in, d_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2 and x.shape[1] == self.d_in:
            out = self.net(x.expand(self.members, *x.shape))  # (N, D) -> (S, N, D)
            return out[0] if self.members == 1 else out       # (N, D_out) or (S, N, D_out)
        if x.dim() == 3 and x.shape[0] == self.members and x.shape[2] == self.d_in:
            return self.net(x)
        raise ValueError(f"{type(self).__name__} expects input (N, {self.d_in}) or "
                         f"({self.members}, N, {self.d_in}), got {tuple(x.shape)}")


class Generator(MLP):
    r"""The generator :math:`G_\theta(\mathbf{z})`: noise of size ``z_dim`` -> a sample of size ``out_dim``.

    ReLU hidden layers; ``out_activation`` matches the data's range ("identity" for points in the
    plane, "sigmoid" for pixels in [0, 1]).

    Shape:
        z (N, Z) or (S, N, Z) -> samples (N, D) or (S, N, D), as for :class:`MLP`.
    """

    def __init__(self, z_dim: int = 2, out_dim: int = 2, hidden: int = 64, depth: int = 2,
                 out_activation: str = "identity", members: int = 1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(z_dim, out_dim, hidden, depth, "relu", out_activation, members, generator)
        self.z_dim = z_dim

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Standard normal noise, shape (N, Z) if one member else (S, N, Z)."""
        check_range(n, "n", 1, None, integer=True)
        shape = (n, self.z_dim) if self.members == 1 else (self.members, n, self.z_dim)
        return torch.randn(*shape, generator=generator)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` fresh samples per member (no gradient): (N, D) or (S, N, D)."""
        with torch.no_grad():
            return self(self.sample_z(n, generator))


class Discriminator(MLP):
    r"""The discriminator (or WGAN *critic*) :math:`D_\phi(\mathbf{x})`: a sample -> one real number.

    For the original GAN the number is a logit, :math:`\sigma(D_\phi(\mathbf{x}))` the probability
    that :math:`\mathbf{x}` is real; for WGAN it is an unbounded score. Leaky-ReLU hidden layers
    and no batch normalisation: the gradient penalty needs each output to depend on its own
    input row only.

    Shape:
        x (N, D) or (S, N, D) -> logits (N,) or (S, N) (the trailing size-1 axis is dropped).
    """

    def __init__(self, in_dim: int = 2, hidden: int = 64, depth: int = 2, members: int = 1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(in_dim, 1, hidden, depth, "leaky_relu", "identity", members, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x)[..., 0]  # (..., N, 1) -> (..., N)
