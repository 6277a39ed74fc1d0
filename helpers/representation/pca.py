r"""Principal component analysis from scratch (eigenvectors of the covariance), and how to compare
two subspaces (principal angles, projector distance).

For centred data :math:`X_c = X - \bar{\mathbf x}` (N rows) the covariance is
:math:`C = X_c^\top X_c / (N - 1)`, symmetric and positive semi-definite, so
:math:`C = V \Lambda V^\top` with orthonormal eigenvectors. The top-k eigenvectors (largest
:math:`\lambda`) span the k-dimensional subspace that keeps the most variance, and projecting on
it gives the smallest mean squared reconstruction error of any k-dimensional linear subspace
(Eckart & Young, 1936): the error is :math:`\sum_{j > k} \lambda_j \cdot (N - 1)/N` per example.

``np.linalg.eigh`` (for symmetric matrices) returns the eigenvalues in *ascending* order: we
reverse them. An eigenvector is only defined up to its sign; we flip each one so that its largest
entry in absolute value is positive (scikit-learn chooses its sign by another rule, so the tests
compare up to sign). Checked against ``sklearn.decomposition.PCA`` in
``tests/test_representation.py``. Notebook 15, section 2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range

__all__ = ["PCA", "fit_pca", "orthonormal_basis", "projector", "principal_angles", "projector_distance"]


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: the mean, the components (rows, orthonormal) and their variances.

    Shape:
        mean: (D,); components: (k, D); explained_variance: (k,); total_variance: scalar.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    total_variance: float

    @property
    def explained_variance_ratio(self) -> np.ndarray:
        """Fraction of the total variance each component keeps. Shape: (k,)."""
        return self.explained_variance / self.total_variance

    def _check(self, X: np.ndarray, name: str) -> np.ndarray:
        return check_array(X, name, shape=(None, self.mean.shape[0]))

    def transform(self, X: np.ndarray) -> np.ndarray:
        r"""Codes :math:`Z = (X - \bar{\mathbf x}) V_k`. Shape: (N, D) -> (N, k)."""
        return (self._check(X, "X") - self.mean) @ self.components.T

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        r"""Back to data space: :math:`\hat X = Z V_k^\top + \bar{\mathbf x}`. Shape: (N, k) -> (N, D)."""
        Z = check_array(Z, "Z", shape=(None, self.components.shape[0]))
        return Z @ self.components + self.mean

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        """Project onto the components and back: the best rank-k linear reconstruction. Shape: (N, D) -> (N, D)."""
        return self.inverse_transform(self.transform(X))


def fit_pca(X: np.ndarray, k: int | None = None) -> PCA:
    r"""PCA by eigendecomposition of the covariance :math:`C = X_c^\top X_c / (N-1)`.

    Args:
        X: data, one example per row.
        k: number of components to keep (default: all D).

    Shape:
        X: (N, D) -> a :class:`PCA` with ``components`` (k, D).

    Example:
        >>> X = np.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.1]])
        >>> fit_pca(X, 1).components.round(3)
        array([[0.707, 0.708]])
    """
    X = check_array(X, "X", ndim=2)
    N, D = X.shape
    if N < 2:
        raise ValueError(f"X needs at least 2 rows (examples) to have a covariance, got shape {X.shape}")
    k = D if k is None else check_range(k, "k", 1, D, integer=True)
    mean = X.mean(axis=0)                                              # (D,)
    Xc = X - mean                                                      # (N, D)
    C = Xc.T @ Xc / (N - 1)                                            # (D, D), symmetric
    evals, evecs = np.linalg.eigh(C)                                   # ascending; columns are eigenvectors
    order = np.argsort(evals, kind="stable")[::-1][:k]                 # largest first
    V = evecs[:, order].T                                              # (k, D), one component per row
    signs = np.sign(V[np.arange(k), np.argmax(np.abs(V), axis=1)])     # largest |entry| positive
    V = V * np.where(signs == 0, 1.0, signs)[:, None]
    # eigh can return tiny negative eigenvalues (round-off) for a singular C: they are 0
    return PCA(mean, V, np.maximum(evals[order], 0.0), float(np.trace(C)))


def orthonormal_basis(A: np.ndarray) -> np.ndarray:
    r"""An orthonormal basis :math:`Q` of the column span of ``A`` (thin QR), so that
    :math:`Q^\top Q = I` and :math:`\mathrm{span}(Q) = \mathrm{span}(A)`.

    Shape:
        A: (D, k) with k <= D and rank k -> (D, k).
    """
    A = check_array(A, "A", ndim=2)
    D, k = A.shape
    if k > D:
        raise ValueError(f"A must have at most as many columns as rows (a k-dim subspace of R^D), got shape {A.shape}")
    Q, R = np.linalg.qr(A)
    if np.min(np.abs(np.diag(R))) <= 1e-10 * max(np.max(np.abs(np.diag(R))), 1e-300):
        raise ValueError(f"the columns of A (shape {A.shape}) are linearly dependent: they span fewer than {k} dimensions")
    return Q


def projector(A: np.ndarray) -> np.ndarray:
    r"""The orthogonal projector onto the column span of ``A``: :math:`P = A (A^\top A)^{-1} A^\top = QQ^\top`.

    :math:`A A^\top` is a projector only if the columns are orthonormal; a learned decoder's are not.

    Shape:
        A: (D, k) -> (D, D).
    """
    Q = orthonormal_basis(A)
    return Q @ Q.T


def principal_angles(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""The principal angles between the column spans of ``A`` and ``B``, smallest first (radians).

    With orthonormal bases :math:`Q_A, Q_B` the singular values of :math:`Q_A^\top Q_B` are the
    cosines :math:`\cos\theta_1 \ge \dots \ge \cos\theta_k`; all angles 0 means the same subspace.
    (Like ``scipy.linalg.subspace_angles``, which returns them largest first.) Angles near 0 are
    inaccurate from the cosine (:math:`\cos\theta \approx 1 - \theta^2/2` loses half the digits),
    so they are computed from the sine: the singular values of :math:`Q_B - Q_A Q_A^\top Q_B`.

    Shape:
        A: (D, k); B: (D, k) -> (k,).
    """
    A = check_array(A, "A", ndim=2)
    B = check_array(B, "B", ndim=2)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape (D, k), got {A.shape} and {B.shape}")
    Qa, Qb = orthonormal_basis(A), orthonormal_basis(B)
    cos = np.clip(np.linalg.svd(Qa.T @ Qb, compute_uv=False), 0.0, 1.0)           # descending
    sin = np.clip(np.linalg.svd(Qb - Qa @ (Qa.T @ Qb), compute_uv=False)[::-1], 0.0, 1.0)  # ascending
    # small angles from the sine, large ones from the cosine (each is accurate where the other is not)
    return np.where(cos ** 2 < 0.5, np.arccos(cos), np.arcsin(sin))


def projector_distance(A: np.ndarray, B: np.ndarray) -> float:
    r""":math:`\lVert P_A - P_B \rVert_F / \sqrt{2k}`, in [0, 1]: 0 for the same subspace, 1 for
    orthogonal ones. Equals :math:`\sqrt{\tfrac1k\sum_j \sin^2\theta_j}` (principal angles).

    Shape:
        A: (D, k); B: (D, k) -> a scalar.
    """
    A = check_array(A, "A", ndim=2)
    B = check_array(B, "B", ndim=2)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape (D, k), got {A.shape} and {B.shape}")
    return float(np.linalg.norm(projector(A) - projector(B)) / np.sqrt(2 * A.shape[1]))
