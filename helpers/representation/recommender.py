r"""Embeddings in a tiny recommender: generated ratings, bias baselines and matrix factorisation.

The data (:func:`make_ratings`) is generated, seeded and documented: each item belongs to one of a
few named genres and has a hidden *taste vector* near its genre's centre; each user has a hidden
taste vector too. A rating is

.. math::
    r_{ui} = \mathrm{clip}_{[1, 5]}\big(\mu + b_u + b_i + \mathbf{u}_u^\top \mathbf{v}_i + \varepsilon_{ui}\big),
    \qquad \varepsilon_{ui} \sim \mathcal N(0, \sigma^2),

and every user has rated only a random fraction of the items. The model
(:class:`MatrixFactorization`, Koren, Bell & Volinsky 2009, "Matrix factorization techniques for
recommender systems") learns its own user and item vectors from the observed ratings alone:

.. math::
    \hat r_{ui} = \mu + b_u + b_i + \mathbf{p}_u^\top \mathbf{q}_i,

where :math:`\mathbf p_u = P[u]` and :math:`\mathbf q_i = Q[i]` are rows of two ``nn.Embedding``
tables. Its baselines: the global mean :math:`\mu` and the bias-only model
:math:`\mu + b_u + b_i` (:func:`fit_biases`). The genres are never shown to the model; whether the
learned :math:`\mathbf q_i` group by genre anyway is measured by :func:`helpers.representation.embeddings.same_genre_rate`.
Notebook 15, section 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.loop import History, OnStep, check_loop_args, new_history, record_step, steps_range
from helpers.core.checks import check_array, check_range, check_seed, check_type

__all__ = ["GENRES", "Ratings", "make_ratings", "rmse", "fit_biases", "predict_biases",
           "MatrixFactorization", "train_mf", "predict_mf"]

GENRES = ("action", "comedy", "drama", "horror", "sci-fi")


@dataclass(frozen=True)
class Ratings:
    """Observed ratings as (user, item, rating) triples, split into training and held-out test.

    Shape:
        ``*_users``, ``*_items``: (N,) int64; ``*_ratings``: (N,) float64 in [1, 5];
        ``item_genre``: (n_items,) int64 indexing :data:`GENRES`.
    """

    n_users: int
    n_items: int
    train_users: np.ndarray
    train_items: np.ndarray
    train_ratings: np.ndarray
    test_users: np.ndarray
    test_items: np.ndarray
    test_ratings: np.ndarray
    item_genre: np.ndarray
    genres: tuple[str, ...] = GENRES


def make_ratings(n_users: int = 400, n_items: int = 150, dim: int = 5, density: float = 0.15,
                 noise: float = 0.3, test: float = 0.2, seed: int = 0) -> Ratings:
    r"""Generate a ratings data set with hidden tastes and named genres (see the module docstring).

    Recipe (all draws from one ``np.random.default_rng(seed)``):

    * item :math:`i` gets genre :math:`g_i` (round-robin over :data:`GENRES`, then shuffled) and
      taste :math:`\mathbf v_i = \mathbf c_{g_i} + 0.5\,\mathbf z_i`, genre centres
      :math:`\mathbf c_g \sim \mathcal N(0, I_{\text{dim}})`;
    * user taste :math:`\mathbf u_u \sim \mathcal N(0, 0.5^2 I)`; biases
      :math:`b_u, b_i \sim \mathcal N(0, 0.3^2)`; :math:`\mu = 3.5`;
    * each (user, item) pair is observed with probability ``density``, and a fraction ``test``
      of the observed pairs is held out.

    Args:
        n_users, n_items: table sizes.
        dim: dimension of the hidden taste vectors.
        density: fraction of the rating matrix that is observed, in (0, 1].
        noise: standard deviation :math:`\sigma` of the rating noise.
        test: held-out fraction of the observed ratings.
        seed: the one seed of the whole recipe.
    """
    check_seed(seed)
    check_range(n_users, "n_users", 2, None, integer=True)
    check_range(n_items, "n_items", len(GENRES), None, integer=True)
    check_range(dim, "dim", 1, None, integer=True)
    check_range(density, "density", 0.0, 1.0, low_inclusive=False)
    check_range(noise, "noise", 0.0, None)
    check_range(test, "test", 0.0, 1.0, low_inclusive=False)
    rng = np.random.default_rng(seed)
    genre = rng.permutation(np.arange(n_items) % len(GENRES))                     # (I,)
    centres = rng.standard_normal((len(GENRES), dim))                             # (G, dim)
    items = centres[genre] + 0.5 * rng.standard_normal((n_items, dim))           # (I, dim)
    users = 0.5 * rng.standard_normal((n_users, dim))                             # (U, dim)
    b_user, b_item = 0.3 * rng.standard_normal(n_users), 0.3 * rng.standard_normal(n_items)
    full = 3.5 + b_user[:, None] + b_item[None, :] + users @ items.T              # (U, I)
    full = np.clip(full + noise * rng.standard_normal(full.shape), 1.0, 5.0)
    u, i = np.nonzero(rng.random((n_users, n_items)) < density)                   # observed pairs
    order = rng.permutation(len(u))
    n_test = int(round(test * len(u)))
    te, tr = np.sort(order[:n_test]), np.sort(order[n_test:])
    return Ratings(n_users, n_items, u[tr], i[tr], full[u[tr], i[tr]], u[te], i[te], full[u[te], i[te]],
                   genre.astype(np.int64))


def rmse(pred: np.ndarray, target: np.ndarray) -> float:
    r"""Root-mean-square error :math:`\sqrt{\tfrac1N \sum_n (\hat r_n - r_n)^2}`. Shape: (N,), (N,) -> scalar."""
    target = check_array(target, "target", ndim=1)
    pred = check_array(pred, "pred", shape=target.shape)
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def _check_triples(users, items, ratings, n_users, n_items):
    users = check_array(users, "users", ndim=1, dtype="int")
    items = check_array(items, "items", shape=users.shape, dtype="int")
    if users.min() < 0 or users.max() >= n_users or items.min() < 0 or items.max() >= n_items:
        raise ValueError(f"user ids must lie in [0, {n_users - 1}] and item ids in [0, {n_items - 1}], got "
                         f"users {users.min()}..{users.max()} and items {items.min()}..{items.max()}")
    ratings = None if ratings is None else check_array(ratings, "ratings", shape=users.shape)
    return users, items, ratings


def fit_biases(data: Ratings, reg: float = 5.0, sweeps: int = 10) -> tuple[float, np.ndarray, np.ndarray]:
    r"""The bias-only baseline :math:`\hat r_{ui} = \mu + b_u + b_i`, fitted by alternating ridge steps.

    Minimises :math:`\sum_{(u,i)} (r_{ui} - \mu - b_u - b_i)^2 + \lambda(\sum_u b_u^2 + \sum_i b_i^2)`
    with :math:`\mu` the training mean. With the item biases fixed the best user bias has a closed
    form, the average residual shrunk towards 0 by :math:`\lambda`:
    :math:`b_u = \sum_{i \in I(u)} (r_{ui} - \mu - b_i) / (\lambda + |I(u)|)`; then the same for
    items; a few sweeps converge (each sweep can only lower the objective).

    Returns:
        ``(mu, b_user (n_users,), b_item (n_items,))``.
    """
    check_type(data, "data", Ratings, "the Ratings of make_ratings")
    check_range(reg, "reg", 0.0, None, low_inclusive=False)
    check_range(sweeps, "sweeps", 1, None, integer=True)
    u, i, r = _check_triples(data.train_users, data.train_items, data.train_ratings, data.n_users, data.n_items)
    mu = float(r.mean())
    n_u = np.bincount(u, minlength=data.n_users)                                  # ratings per user
    n_i = np.bincount(i, minlength=data.n_items)
    b_u, b_i = np.zeros(data.n_users), np.zeros(data.n_items)
    for _ in range(sweeps):
        b_u = np.bincount(u, weights=r - mu - b_i[i], minlength=data.n_users) / (reg + n_u)
        b_i = np.bincount(i, weights=r - mu - b_u[u], minlength=data.n_items) / (reg + n_i)
    return mu, b_u, b_i


def predict_biases(biases: tuple[float, np.ndarray, np.ndarray], users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Predictions :math:`\\mu + b_u + b_i` of :func:`fit_biases`' result. Shape: (N,), (N,) -> (N,)."""
    mu, b_u, b_i = biases
    users, items, _ = _check_triples(users, items, None, len(b_u), len(b_i))
    return mu + b_u[users] + b_i[items]


class MatrixFactorization(nn.Module):
    r""":math:`\hat r_{ui} = \mu + b_u + b_i + \mathbf p_u^\top \mathbf q_i` as a ``torch.nn.Module``.

    ``P`` (n_users, dim) and ``Q`` (n_items, dim) are ``nn.Embedding`` tables (initialised with
    std 0.1, seeded), the biases are one-column embeddings starting at 0, ``mu`` is a fixed buffer.

    Shape:
        ``model(users, items)``: (N,) int64, (N,) int64 -> (N,) predicted ratings.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 8, mu: float = 3.5, seed: int = 0) -> None:
        super().__init__()
        check_range(n_users, "n_users", 1, None, integer=True)
        check_range(n_items, "n_items", 1, None, integer=True)
        check_range(dim, "dim", 1, None, integer=True)
        check_range(mu, "mu")
        gen = torch.Generator().manual_seed(check_seed(seed))
        self.P, self.Q = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)
        self.b_user, self.b_item = nn.Embedding(n_users, 1), nn.Embedding(n_items, 1)
        with torch.no_grad():
            for table in (self.P, self.Q):  # small random vectors: all-equal ones would stay equal
                table.weight.copy_(0.1 * torch.randn(table.weight.shape, generator=gen))
            for table in (self.b_user, self.b_item):
                table.weight.zero_()
        self.register_buffer("mu", torch.tensor(float(mu)))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        dot = (self.P(users) * self.Q(items)).sum(dim=1)                          # (N, dim) -> (N,)
        return self.mu + self.b_user(users)[:, 0] + self.b_item(items)[:, 0] + dot


def train_mf(data: Ratings, dim: int = 8, steps: int = 300, lr: float = 0.05, reg: float = 0.05,
             seed: int = 0, progress: bool = False, on_step: OnStep | None = None):
    r"""Fit :func:`MatrixFactorization` to the training ratings with full-batch Adam.

    Loss: :math:`\frac1N\sum_{(u,i)} (\hat r_{ui} - r_{ui})^2 + \lambda\,\frac1N\sum_{(u,i)}
    (\lVert\mathbf p_u\rVert^2 + \lVert\mathbf q_i\rVert^2)`: the penalty is counted once per
    observed rating, as in the usual SGD form, so a vector is shrunk in proportion to the data it sees.

    Returns:
        ``(model, history)``: the trained module and the history ``{"step", "loss"}`` of every
        step (full batch, so there is no ``batch_size``; :mod:`helpers.core.loop`).
    """
    check_type(data, "data", Ratings, "the Ratings of make_ratings")
    check_loop_args(steps, None, lr, seed, on_step)
    check_range(reg, "reg", 0.0, None)
    u, i, r = _check_triples(data.train_users, data.train_items, data.train_ratings, data.n_users, data.n_items)
    model = MatrixFactorization(data.n_users, data.n_items, dim, float(r.mean()), seed)
    users, items, target = torch.as_tensor(u), torch.as_tensor(i), torch.as_tensor(r, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = new_history()
    for step in steps_range(steps, progress):
        p, q = model.P(users), model.Q(items)                                     # (N, dim) each
        loss = ((model(users, items) - target) ** 2).mean() + reg * ((p ** 2).sum(1) + (q ** 2).sum(1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        record_step(history, step, on_step, loss=loss.item())
    return model.eval(), history


def predict_mf(model, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Predictions of a trained :func:`MatrixFactorization` as float64. Shape: (N,), (N,) -> (N,)."""
    check_type(model, "model", MatrixFactorization, "a trained MatrixFactorization")
    users, items, _ = _check_triples(users, items, None, model.P.num_embeddings, model.Q.num_embeddings)
    with torch.no_grad():
        return model(torch.as_tensor(users), torch.as_tensor(items)).double().numpy()
