r"""An embedding table from scratch, and how to inspect what a learned one has captured.

An embedding is a lookup: row :math:`x_n` of a table :math:`W \in \mathbb R^{V \times D}`,

.. math::
    \mathrm{out}_n = W[x_n], \qquad \text{the same as } \mathrm{onehot}(x_n)^\top W .

Seen as that matrix product, the gradient follows from the usual rule for :math:`AW`:
:math:`\partial L/\partial W = \mathrm{onehot}(x)^\top\, \partial L/\partial \mathrm{out}`, i.e.
every upstream row is **added** into the row it came from. An index that appears twice in a
batch receives the sum of both rows: a scatter-*add* (``np.add.at``), not an assignment
(``dW[x] = g`` keeps only one of them). ``torch.nn.Embedding`` does the same; the two are
compared in ``tests/test_representation.py``.

Inspection: :func:`nearest_neighbours` by cosine similarity, and :func:`same_genre_rate`, the
fraction of neighbours that share an item's label, against :func:`chance_same_genre`, what
random neighbours would give. Notebook 15, section 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range

__all__ = ["EmbeddingCache", "embedding_forward", "embedding_backward", "nearest_neighbours", "same_genre_rate",
           "chance_same_genre"]


def _check_indices(indices, num_embeddings: int) -> np.ndarray:
    idx = check_array(indices, "indices", dtype="int", allow_empty=True)
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        raise ValueError(f"indices must lie in [0, {num_embeddings - 1}] (a table of {num_embeddings} rows), "
                         f"got values from {idx.min()} to {idx.max()}")
    return idx


@dataclass(frozen=True)
class EmbeddingCache:
    """What :func:`embedding_backward` needs: the ids looked up and the table's number of rows."""

    indices: np.ndarray  # (*) integer ids
    num_embeddings: int  # V


def embedding_forward(weight: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, EmbeddingCache]:
    r"""Look up rows: :math:`\mathrm{out}[\dots] = W[x[\dots]]` (like ``torch.nn.functional.embedding``).

    Args:
        weight: the table :math:`W`, one row per id.
        indices: integer ids in ``[0, V)``, any shape.

    Shape:
        weight: (V, D); indices: (*) -> (*, D).

    Example:
        >>> out, cache = embedding_forward(np.eye(3), np.array([2, 0]))
        >>> out
        array([[0., 0., 1.],
               [1., 0., 0.]])
    """
    W = check_array(weight, "weight", ndim=2)
    idx = _check_indices(indices, W.shape[0])
    return W[idx], EmbeddingCache(idx, W.shape[0])                     # (*, D)


def embedding_backward(dy: np.ndarray, cache: EmbeddingCache) -> np.ndarray:
    r"""Gradient of the lookup with respect to the table: a scatter-add of the upstream rows.

    .. math::
        \frac{\partial L}{\partial W_v} = \sum_{n:\ x_n = v} \frac{\partial L}{\partial \mathrm{out}_n}.

    Computed as the formula :math:`\mathrm{onehot}(x)^\top\,\partial L/\partial\mathrm{out}`, with the
    one-hot matrix stored sparse. Rows never looked up get exactly 0 (that is why sparse
    optimisers only touch the looked-up rows).

    ``dy`` is the gradient with respect to the looked-up rows. The ids are integers and get no
    gradient, so only the table's is returned.

    Shape:
        dy: (*, D), with ``cache.indices`` (*) -> (num_embeddings, D).
    """
    if not isinstance(cache, EmbeddingCache):
        raise ValueError(f"cache must be the EmbeddingCache that embedding_forward returned, got {type(cache).__name__}")
    num_embeddings = check_range(cache.num_embeddings, "num_embeddings", 1, None, integer=True)
    idx = _check_indices(cache.indices, num_embeddings)
    g = check_array(dy, "dy", allow_empty=True)
    if g.shape[:-1] != idx.shape or g.ndim != idx.ndim + 1:
        raise ValueError(f"dy must have shape indices.shape + (D,) = {idx.shape + ('D',)}, got {g.shape}")
    import scipy.sparse

    D, n = g.shape[-1], idx.size
    # onehot(x)^T as a sparse (V, N) matrix: column n has a single 1, in row x_n. The product
    # adds every upstream row into its id's row, repeats included (np.add.at(grad, x, g) gives
    # the same sums, several times more slowly).
    onehot_t = scipy.sparse.csr_matrix((np.ones(n, dtype=g.dtype), (idx.reshape(-1), np.arange(n))),
                                       shape=(num_embeddings, n))
    return np.asarray(onehot_t @ g.reshape(n, D))                     # (V, N) @ (N, D) -> (V, D)


def nearest_neighbours(vectors: np.ndarray, k: int = 5) -> np.ndarray:
    r"""For every row, the indices of its ``k`` most similar other rows by cosine similarity
    :math:`\cos(\mathbf a, \mathbf b) = \mathbf a^\top \mathbf b / (\lVert\mathbf a\rVert \lVert\mathbf b\rVert)`,
    most similar first (a row is never its own neighbour).

    Shape:
        vectors: (N, D) -> (N, k) int64.
    """
    V = check_array(vectors, "vectors", ndim=2)
    check_range(k, "k", 1, V.shape[0] - 1, integer=True)
    unit = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)    # (N, D); a zero row stays 0
    sim = unit @ unit.T                                                       # (N, N)
    np.fill_diagonal(sim, -np.inf)
    # a stable sort on -sim breaks ties by the lower index, so the result is deterministic
    return np.argsort(-sim, axis=1, kind="stable")[:, :k].astype(np.int64)


def same_genre_rate(vectors: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Fraction of the ``k`` nearest neighbours (cosine) of every row that carry the row's label.

    Shape:
        vectors: (N, D); labels: (N,) ints -> a scalar in [0, 1].
    """
    V = check_array(vectors, "vectors", ndim=2)
    y = check_array(labels, "labels", shape=(V.shape[0],), dtype="int")
    nn = nearest_neighbours(V, k)                                             # (N, k)
    return float((y[nn] == y[:, None]).mean())


def chance_same_genre(labels: np.ndarray) -> float:
    r"""What :func:`same_genre_rate` is for neighbours drawn at random (without the item itself):
    :math:`\frac1N \sum_n \frac{N_{y_n} - 1}{N - 1}`, with :math:`N_g` the number of rows labelled g.

    Shape:
        labels: (N,) ints -> a scalar.
    """
    y = check_array(labels, "labels", ndim=1, dtype="int")
    if y.size < 2:
        raise ValueError(f"labels needs at least 2 entries, got shape {y.shape}")
    counts = np.bincount(y - y.min())
    return float(np.mean((counts[y - y.min()] - 1) / (y.size - 1)))
