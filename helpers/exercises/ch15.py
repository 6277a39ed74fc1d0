r"""Exercises for notebook 15 (representation learning): checks with specific feedback, and the solutions.

1. :func:`check_embedding_backward`: the gradient of an embedding lookup with respect to its table
   (a scatter-add: a repeated id collects every row it was used for).
2. :func:`check_top_components`: PCA's top-k directions from the eigenvectors of the covariance.
3. :func:`check_projector`: the orthogonal projector onto the span of a (non-orthonormal) decoder.

Each check takes the learner's function, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.representation.embeddings import EmbeddingCache, embedding_backward
from helpers.representation.pca import fit_pca, projector
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["solution_embedding_backward", "check_embedding_backward", "solution_top_components",
           "check_top_components", "solution_projector", "check_projector"]


# ----------------------------------------------------------------------------- 1. embedding gradient
def solution_embedding_backward(indices: np.ndarray, grad_out: np.ndarray, num_embeddings: int) -> np.ndarray:
    """The gradient of an embedding lookup with respect to its (V, D) table: a scatter-add.

    The lookup is onehot(x) @ W, so row v of the gradient is the sum of the upstream rows of every
    lookup of id v; ids never looked up get zeros. ``grad[indices] += grad_out`` would be wrong for
    a repeated id (NumPy applies only one of the updates); ``np.add.at`` accumulates them all.
    """
    grad = np.zeros((num_embeddings, grad_out.shape[-1]))
    np.add.at(grad, indices, grad_out)
    return grad


def check_embedding_backward(fn: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> Feedback:
    """Check ``fn(indices (N,), grad_out (N, D), V) -> (V, D)``, with and without repeated ids."""
    rng = np.random.default_rng(15)
    cases = [(np.array([3, 0, 2]), 5), (np.array([1, 4, 1, 1, 0]), 6)]  # the second repeats id 1

    def check() -> str | None:
        for idx, V in cases:
            g = rng.normal(size=(len(idx), 3))
            got = answer(fn(idx.copy(), g.copy(), V))
            want = embedding_backward(g, EmbeddingCache(idx, V))
            if np.shape(got) == (len(idx), 3) and V != len(idx):
                return f"the gradient has one row per *table entry*: shape ({V}, 3), not one per lookup {np.shape(got)}."
            last_only = np.zeros((V, 3))
            last_only[idx] = g
            if np.shape(got) == want.shape and len(set(idx.tolist())) < len(idx) and np.allclose(got, last_only):
                return ("id 1 is looked up three times, and your gradient keeps only one of its rows: "
                        "`grad[idx] = g` overwrites; the rows must be *added* (np.add.at).")
            problem = close_enough(got, want, f"gradient for indices {idx.tolist()}")
            if problem:
                return problem
        return None

    return run_check("embedding backward", check,
                     hints=("the result has one row per table entry; where does upstream row n go, and what if an "
                            "id was looked up twice?",
                            "start from zeros (V, D); np.add.at(grad, indices, grad_out) adds row n into row indices[n]."))


# ----------------------------------------------------------------------------- 2. top-k components
def solution_top_components(X: np.ndarray, k: int) -> np.ndarray:
    """The top-k principal directions of X (N, D), as the rows of a (k, D) array.

    Centre the data, form the covariance C = Xc^T Xc / (N - 1), and diagonalise it with ``eigh``
    (C is symmetric). ``eigh`` returns the eigenvalues in *ascending* order with the eigenvectors
    as *columns*, so the directions of largest variance are the last columns: reverse, keep k,
    transpose to rows. Each is a unit vector; its sign is arbitrary.
    """
    Xc = X - X.mean(axis=0)
    C = Xc.T @ Xc / (len(X) - 1)
    _, vecs = np.linalg.eigh(C)
    return vecs[:, ::-1][:, :k].T


def check_top_components(fn: Callable[[np.ndarray, int], np.ndarray]) -> Feedback:
    """Check ``fn(X (N, D), k) -> (k, D)``: unit rows, equal to the top-k eigenvectors up to sign."""
    rng = np.random.default_rng(5)
    # an offset mean (centring matters) and clearly separated variances (the order matters)
    X = rng.normal(size=(200, 5)) * np.array([3.0, 0.3, 2.0, 1.0, 0.6]) + np.array([5.0, -4.0, 3.0, 8.0, 6.0])
    X[:, 1] += 0.5 * X[:, 0]  # correlated: the components are not just the axes

    def check() -> str | None:
        for k in (1, 3):
            got = np.asarray(answer(fn(X.copy(), k)), dtype=float)
            want = fit_pca(X, k).components                                 # (k, D)
            if got.shape == want.shape[::-1]:
                return f"return the components as rows, shape {want.shape}, not as columns {got.shape} (transpose)."
            if got.shape != want.shape:
                return f"for k = {k} the result should have shape {want.shape}, got {got.shape}."
            if not np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6):
                return "each component should be a unit vector (eigenvectors from eigh already are)."
            smallest = fit_pca(X).components[::-1][:k]
            if np.allclose(np.abs(np.sum(got * smallest, axis=1)), 1.0, atol=1e-6):
                return "these are the directions of *least* variance: eigh sorts eigenvalues in ascending order."
            raw = np.linalg.eigh(X.T @ X)[1][:, ::-1][:, :k].T
            if not np.allclose(np.abs(np.sum(got * want, axis=1)), 1.0, atol=1e-6) and \
                    np.allclose(np.abs(np.sum(got * raw, axis=1)), 1.0, atol=1e-6):
                return "subtract the mean of every column first: the covariance is of the *centred* data."
            cos = np.abs(np.sum(got * want, axis=1))                         # 1 for the same line
            problem = close_enough(cos, np.ones(k), f"|cosine| between your components and PCA's (k = {k})",
                                   atol=1e-6)
            if problem:
                return problem
        return None

    return run_check("top-k components", check,
                     hints=("the components are eigenvectors of the covariance of the centred data; mind the order "
                            "in which np.linalg.eigh returns them, and whether they are rows or columns.",
                            "Xc = X - X.mean(0); C = Xc.T @ Xc / (N - 1); vals, vecs = np.linalg.eigh(C); "
                            "return vecs[:, ::-1][:, :k].T."))


# ----------------------------------------------------------------------------- 3. projector
def solution_projector(A: np.ndarray) -> np.ndarray:
    """The orthogonal projector onto the span of A's columns: P = A (AᵀA)⁻¹ Aᵀ.

    Projecting x means finding the combination A c closest to x; the normal equations
    AᵀA c = Aᵀx give c, hence P x = A (AᵀA)⁻¹ Aᵀ x. When the columns are orthonormal AᵀA = I and
    this is A Aᵀ; a decoder's columns are not. Solving the small k×k system is more accurate than
    forming the inverse.
    """
    return A @ np.linalg.solve(A.T @ A, A.T)


def check_projector(fn: Callable[[np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(A (D, k)) -> (D, D)``, the orthogonal projector onto span(A), for non-orthonormal A."""
    rng = np.random.default_rng(3)
    cases = [rng.normal(size=(6, 2)) * np.array([2.0, 0.5]), rng.normal(size=(5, 3)) + 1.0]

    def check() -> str | None:
        for A in cases:
            got = np.asarray(answer(fn(A.copy())), dtype=float)
            want = projector(A)
            if got.shape == want.shape and np.allclose(got, A @ A.T):
                return ("A Aᵀ is a projector only when A's columns are orthonormal; a decoder's are not. "
                        "Use A (AᵀA)⁻¹ Aᵀ (or orthonormalise A first).")
            problem = close_enough(got, want, f"projector for A of shape {A.shape}", atol=1e-8)
            if problem:
                return problem
        return None

    return run_check("projector", check,
                     hints=("the closest point A c to x solves the normal equations AᵀA c = Aᵀx; the projector maps "
                            "x to A c.",
                            "P = A (AᵀA)⁻¹ Aᵀ, e.g. A @ np.linalg.solve(A.T @ A, A.T); then P @ P == P and P @ A == A."))
