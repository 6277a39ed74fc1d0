r"""The NT-Xent / InfoNCE loss of SimCLR from scratch in NumPy, with its hand-written gradient (notebook 18).

Two augmented views of each of :math:`N` images give :math:`2N` embeddings
:math:`\mathbf z_1, \dots, \mathbf z_{2N}`, where :math:`\mathbf z_i` and :math:`\mathbf z_{i+N}` are
the two views of image :math:`i` (a *positive pair*); every other embedding in the batch is a
*negative* for both. With unit vectors :math:`\mathbf u_i = \mathbf z_i / \lVert \mathbf z_i \rVert`
and cosine similarities :math:`s_{ij} = \mathbf u_i^\top \mathbf u_j`, the loss of anchor :math:`i`
with positive :math:`p(i)` is (Chen et al., 2020, "A simple framework for contrastive learning of
visual representations", eq. 1; Oord et al., 2018, "CPC", for InfoNCE):

.. math::
    \ell_i = -\log \frac{\exp(s_{i,p(i)}/\tau)}{\sum_{k \ne i} \exp(s_{ik}/\tau)},
    \qquad \mathcal L = \frac{1}{2N} \sum_{i=1}^{2N} \ell_i .

That is a softmax cross-entropy over the row :math:`s_{i,\cdot}/\tau` (the anchor itself left
out) whose correct "class" is the positive, which is how :func:`nt_xent_torch` computes it with
``F.cross_entropy``. The temperature :math:`\tau` sharpens the softmax: small :math:`\tau`
puts almost all of the gradient on the few hardest negatives (:func:`negative_weights`).

* :func:`nt_xent_forward` / :func:`nt_xent_backward`: the loss and its gradient by hand;
* :func:`nt_xent_torch`: the PyTorch twin used for training (autograd does the backward);
* :func:`nt_xent_anchor`: the loss of a single anchor, the formula above read literally;
* :func:`similarity_logits`, :func:`negative_weights`: what the heat maps show.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.core.checks import check_array, check_range, check_tensor, check_type

__all__ = ["similarity_logits", "NTXentCache", "nt_xent_forward", "nt_xent_backward", "nt_xent_torch",
           "nt_xent_anchor", "positive_index", "negative_weights"]


def _check_views(z1: np.ndarray, z2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z1 = check_array(z1, "z1", ndim=2)
    z2 = check_array(z2, "z2", shape=z1.shape)
    if z1.shape[0] < 2:
        raise ValueError(f"NT-Xent needs at least 2 images (else there is no negative), got N = {z1.shape[0]}")
    norms = np.linalg.norm(np.concatenate([z1, z2]), axis=1)
    if np.any(norms == 0):
        raise ValueError("an embedding is the zero vector: its direction (cosine similarity) is undefined")
    return z1, z2


def positive_index(N: int) -> np.ndarray:
    """Where each of the 2N rows finds its positive: ``p(i) = i + N`` for the first view, ``i - N`` for the second.

    Example:
        >>> positive_index(3)
        array([3, 4, 5, 0, 1, 2])
    """
    check_range(N, "N", 1, None, integer=True)
    return np.concatenate([np.arange(N, 2 * N), np.arange(N)])


def similarity_logits(z1: np.ndarray, z2: np.ndarray, temperature: float = 0.5) -> np.ndarray:
    r"""The :math:`2N \times 2N` logits :math:`s_{ij}/\tau` of both views stacked, the diagonal set to
    :math:`-\infty` (an anchor is never its own negative).

    Shape:
        z1, z2: (N, D) -> (2N, 2N).
    """
    z1, z2 = _check_views(z1, z2)
    check_range(temperature, "temperature", 0.0, None, low_inclusive=False)
    z = np.concatenate([z1, z2])                                     # (2N, D)
    u = z / np.linalg.norm(z, axis=1, keepdims=True)                 # (2N, D) unit rows
    logits = u @ u.T / temperature                                   # (2N, 2N)
    np.fill_diagonal(logits, -np.inf)
    return logits


@dataclass(frozen=True)
class NTXentCache:
    """What :func:`nt_xent_backward` needs: unit vectors, norms, softmax rows, the temperature."""

    u: np.ndarray        # (2N, D) unit embeddings
    norms: np.ndarray    # (2N, 1) lengths of the raw embeddings
    probs: np.ndarray    # (2N, 2N) softmax of each row of logits, 0 on the diagonal
    temperature: float


def nt_xent_forward(z1: np.ndarray, z2: np.ndarray, temperature: float = 0.5) -> tuple[float, NTXentCache]:
    r"""NT-Xent loss of two batches of views (see the module docstring for the formula).

    Args:
        z1, z2: embeddings of the first and second view; row ``i`` of both comes from image ``i``.
        temperature: :math:`\tau > 0` (SimCLR used 0.1-0.5).

    Shape:
        z1, z2: (N, D), N >= 2 -> a scalar loss.

    Example:
        >>> z = np.eye(3)
        >>> round(nt_xent_forward(z, z, temperature=1.0)[0], 4)   # log(1 + 4/e): positive cos 1, four orthogonal negatives
        0.9048
    """
    logits = similarity_logits(z1, z2, temperature)                  # (2N, 2N), -inf on the diagonal
    z = np.concatenate([z1, z2])
    N2 = logits.shape[0]
    # log-softmax through the row maximum: exp of logits up to 1/tau (1e4 at tau = 1e-4) would overflow
    m = logits.max(axis=1, keepdims=True)                            # (2N, 1), finite: the diagonal is the only -inf
    log_z = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    log_p = logits - log_z                                           # (2N, 2N)
    pos = positive_index(N2 // 2)
    loss = -log_p[np.arange(N2), pos].mean()
    cache = NTXentCache(u=z / np.linalg.norm(z, axis=1, keepdims=True),
                        norms=np.linalg.norm(z, axis=1, keepdims=True), probs=np.exp(log_p),
                        temperature=float(temperature))
    return float(loss), cache


def nt_xent_backward(dy: float, cache: NTXentCache) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradient of :func:`nt_xent_forward` with respect to ``z1`` and ``z2``.

    Chain rule, one step at a time:

    .. math::
        \frac{\partial \mathcal L}{\partial (s_{ij}/\tau)} = \frac{P_{ij} - Y_{ij}}{2N}, \qquad
        \frac{\partial \mathcal L}{\partial U} = \frac{(G + G^\top) U}{\tau}, \qquad
        \frac{\partial \mathcal L}{\partial \mathbf z_i} = \frac{(I - \mathbf u_i \mathbf u_i^\top)}{\lVert\mathbf z_i\rVert}
        \frac{\partial \mathcal L}{\partial \mathbf u_i},

    with :math:`P` the row softmax, :math:`Y` the one-hot positives and :math:`G` the first
    gradient (every :math:`s_{ij}` uses :math:`\mathbf u_i` and :math:`\mathbf u_j`, hence
    :math:`G + G^\top`). The last step removes the part along :math:`\mathbf u_i`: stretching an
    embedding does not change a cosine.

    Shape:
        dy: scalar (the incoming gradient); returns dz1, dz2: (N, D) each.
    """
    check_range(dy, "dy")
    check_type(cache, "cache", NTXentCache, "a NTXentCache (from nt_xent_forward)")
    u, P, tau = cache.u, cache.probs, cache.temperature
    N2 = u.shape[0]
    G = P.copy()
    G[np.arange(N2), positive_index(N2 // 2)] -= 1.0
    G *= dy / N2                                                     # dL/dlogits, (2N, 2N)
    du = (G + G.T) @ u / tau                                         # (2N, D)
    dz = (du - u * np.sum(u * du, axis=1, keepdims=True)) / cache.norms  # project out u, divide by |z|
    return dz[: N2 // 2], dz[N2 // 2:]


def nt_xent_torch(z1, z2, temperature: float = 0.5):
    r"""The same loss in PyTorch, written as the cross-entropy it is: each row of :math:`S/\tau` (the
    diagonal masked) is a :math:`(2N-1)`-way classification whose target class is the positive.

    Used for training (autograd computes the backward); the tests check it against
    :func:`nt_xent_forward` / :func:`nt_xent_backward`.

    Shape:
        z1, z2: (N, D) tensors -> a scalar tensor.

    Example:
        >>> import torch
        >>> z = torch.eye(3, dtype=torch.float64)
        >>> round(float(nt_xent_torch(z, z, temperature=1.0)), 4)
        0.9048
    """
    import torch
    import torch.nn.functional as F

    check_tensor(z1, "z1")
    check_tensor(z2, "z2")
    if z1.dim() != 2 or z1.shape != z2.shape or z1.shape[0] < 2:
        raise ValueError(f"z1 and z2 must both have shape (N, D) with N >= 2, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    check_range(temperature, "temperature", 0.0, None, low_inclusive=False)
    N = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)                      # (2N, D) unit rows
    logits = z @ z.T / temperature                                   # (2N, 2N)
    eye = torch.eye(2 * N, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, float("-inf"))                  # an anchor is not its own negative
    target = torch.as_tensor(positive_index(N), device=z.device)     # (2N,)
    return F.cross_entropy(logits, target)


def nt_xent_anchor(anchor: np.ndarray, positive: np.ndarray, negatives: np.ndarray,
                   temperature: float = 0.5) -> float:
    r"""The loss of one anchor, the formula read literally:
    :math:`-\log \dfrac{e^{s(a,p)/\tau}}{e^{s(a,p)/\tau} + \sum_k e^{s(a,n_k)/\tau}}` with cosine
    similarity :math:`s`.

    Shape:
        anchor, positive: (D,); negatives: (K, D) -> a float.

    Example:
        >>> a = np.array([1.0, 0.0])
        >>> round(nt_xent_anchor(a, a, np.array([[0.0, 1.0]]), temperature=1.0), 4)   # log(1 + e^-1)
        0.3133
    """
    anchor = check_array(anchor, "anchor", ndim=1)
    positive = check_array(positive, "positive", shape=anchor.shape)
    negatives = check_array(negatives, "negatives", shape=(None, anchor.shape[0]))
    check_range(temperature, "temperature", 0.0, None, low_inclusive=False)
    others = np.concatenate([positive[None], negatives])             # (K + 1, D), the positive first
    cos = others @ anchor / (np.linalg.norm(others, axis=1) * np.linalg.norm(anchor))  # (K + 1,)
    logits = cos / temperature
    m = logits.max()                                                 # shift: exp(1/tau) overflows for tiny tau
    return float(m + np.log(np.exp(logits - m).sum()) - logits[0])


def negative_weights(z1: np.ndarray, z2: np.ndarray, temperature: float = 0.5) -> np.ndarray:
    r"""How each anchor's gradient is shared among its negatives: the softmax weights
    :math:`P_{ik}` of the negatives, renormalised to sum to 1 per row, sorted from the largest.

    :math:`\partial \ell_i / \partial s_{ik} = P_{ik}/\tau` for a negative :math:`k`, so these
    weights say how hard each negative pushes. The hardest-negative share grows as
    :math:`\tau` shrinks.

    Shape:
        z1, z2: (N, D) -> (2N, 2N - 2), each row sorted in decreasing order and summing to 1.
    """
    logits = similarity_logits(z1, z2, temperature)
    N2 = logits.shape[0]
    logits[np.arange(N2), positive_index(N2 // 2)] = -np.inf         # keep the negatives only
    logits = logits - logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(axis=1, keepdims=True)
    keep = np.isfinite(logits)                                       # 2N - 2 negatives per row
    return -np.sort(-w[keep].reshape(N2, N2 - 2), axis=1)
