r"""Autoencoders: a linear one that rediscovers PCA's subspace, and a small nonlinear one.

A **linear autoencoder** with encoder :math:`E \in \mathbb R^{k \times D}` and decoder
:math:`D_e \in \mathbb R^{D \times k}` (no biases: the data are centred, no nonlinearity) reconstructs
:math:`\hat{\mathbf x} = D_e E\,\mathbf x` and is trained on the mean squared error. Baldi & Hornik
(1989, "Neural networks and principal component analysis") showed that at its optimum the
decoder's columns span the top-k principal subspace, and :math:`D_e E` is the orthogonal
projector onto it. The columns themselves are *not* the eigenvectors: the loss depends on the
product only, and for any invertible :math:`A \in \mathbb R^{k\times k}`

.. math::
    (D_e A^{-1})(A E) = D_e E,

so every basis of the subspace is an equally good solution; gradient descent lands on one of them.
:func:`pca_from_decoder` recovers the eigenvectors by a PCA *inside* the learned subspace.
Notebook 15, section 2.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from helpers.representation.pca import fit_pca, orthonormal_basis
from helpers.core.loop import History, OnStep, check_loop_args, new_history, record_step, steps_range
from helpers.core.checks import check_array, check_range, check_seed

__all__ = ["LinearAutoencoder", "DeepAutoencoder", "train_autoencoder", "reconstruction_error",
           "pca_from_decoder"]


class LinearAutoencoder(nn.Module):
    r""":math:`\hat{\mathbf x} = D_e E \mathbf x`: ``encoder`` = Linear(D, k), ``decoder`` = Linear(k, D), no bias.

    Shape:
        x: (N, D) centred -> (N, D); ``encode``: (N, D) -> (N, k).
    """

    def __init__(self, D: int = 64, k: int = 10, seed: int = 0) -> None:
        check_seed(seed)
        super().__init__()
        check_range(D, "D", 1, None, integer=True)
        check_range(k, "k", 1, D, integer=True)
        torch.manual_seed(seed)
        self.encoder = nn.Linear(D, k, bias=False)
        self.decoder = nn.Linear(k, D, bias=False)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))

    def decoder_columns(self) -> np.ndarray:
        """The decoder's weight as float64 (its columns span the learned subspace). Shape: (D, k)."""
        return self.decoder.weight.detach().double().numpy().copy()


class DeepAutoencoder(nn.Module):
    """A nonlinear autoencoder D -> hidden -> k -> hidden -> D with ReLUs (linear code and output).

    Shape:
        x: (N, D) centred -> (N, D); ``encode``: (N, D) -> (N, k).
    """

    def __init__(self, D: int = 64, k: int = 2, hidden: int = 64, seed: int = 0) -> None:
        check_seed(seed)
        super().__init__()
        check_range(D, "D", 1, None, integer=True)
        check_range(k, "k", 1, D, integer=True)
        check_range(hidden, "hidden", 1, None, integer=True)
        torch.manual_seed(seed)
        self.encoder = nn.Sequential(nn.Linear(D, hidden), nn.ReLU(), nn.Linear(hidden, k))
        self.decoder = nn.Sequential(nn.Linear(k, hidden), nn.ReLU(), nn.Linear(hidden, D))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def train_autoencoder(model: nn.Module, X: np.ndarray, steps: int = 1500, lr: float = 1e-2,
                      batch_size: int | None = None, seed: int = 0, progress: bool = False,
                      on_step: OnStep | None = None) -> History:
    r"""Minimise the mean squared error :math:`\frac{1}{ND}\sum_n \lVert \hat{\mathbf x}_n - \mathbf x_n\rVert^2`
    with Adam, the learning rate decayed by a cosine to 0 (so the last steps settle instead of
    jittering around the optimum).

    Args:
        X: the (centred) training data.
        batch_size: minibatch size (seeded sampling); None = full batch.

    Shape:
        X: (N, D). Returns the history ``{"step", "loss"}`` of every step (:mod:`helpers.core.loop`).
    """
    X = check_array(X, "X", ndim=2)
    check_loop_args(steps, batch_size, lr, seed, on_step)
    data = torch.as_tensor(X, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    gen = torch.Generator().manual_seed(seed)
    history = new_history()
    for step in steps_range(steps, progress):
        xb = data if batch_size is None else data[torch.randint(0, len(data), (batch_size,), generator=gen)]
        loss = ((model(xb) - xb) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        record_step(history, step, on_step, loss=loss.item())
    return history


def reconstruction_error(X: np.ndarray, X_hat: np.ndarray) -> float:
    r"""Mean squared reconstruction error per example, :math:`\frac1N \sum_n \lVert \hat{\mathbf x}_n - \mathbf x_n \rVert^2`.

    Shape:
        X, X_hat: (N, D) -> a scalar.
    """
    X = check_array(X, "X", ndim=2)
    X_hat = check_array(X_hat, "X_hat", shape=X.shape)
    return float(np.mean(np.sum((np.asarray(X_hat, np.float64) - X) ** 2, axis=1)))


def pca_from_decoder(decoder: np.ndarray, Xc: np.ndarray) -> np.ndarray:
    r"""The principal components hidden in a linear autoencoder's decoder.

    :math:`Q` = an orthonormal basis of the decoder's columns; the data's coordinates in it,
    :math:`Z = X_c Q`, have a k x k covariance whose eigenvectors :math:`U` rotate :math:`Q` onto the
    principal directions: components :math:`= (Q U)^\top`, ordered and signed like :func:`fit_pca`.
    If the subspace is the top-k principal subspace, these are the top-k eigenvectors.

    Shape:
        decoder: (D, k); Xc: (N, D) centred -> (k, D).
    """
    Dm = check_array(decoder, "decoder", ndim=2)
    Xc = check_array(Xc, "Xc", shape=(None, Dm.shape[0]))
    Q = orthonormal_basis(Dm)                                          # (D, k)
    inner = fit_pca(Xc @ Q)                                            # PCA of the (N, k) codes
    V = inner.components @ Q.T                                         # (k, k) @ (k, D) -> (k, D)
    signs = np.sign(V[np.arange(len(V)), np.argmax(np.abs(V), axis=1)])
    return V * np.where(signs == 0, 1.0, signs)[:, None]
