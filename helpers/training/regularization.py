r"""Regularizers from scratch: dropout, weight decay, early stopping, label smoothing, mixup and
gradient clipping (notebook 08). Batch normalization is in :mod:`helpers.training.batchnorm`, image
augmentations in :mod:`helpers.training.augment`.

Each one either changes the data the model sees (mixup, label smoothing, augmentation), the
model while it trains (dropout), the objective (weight decay) or the training procedure (early
stopping, clipping). ``tests/test_regularization.py`` checks them against PyTorch
(``F.dropout``, autograd on the L2 term, ``F.cross_entropy(label_smoothing=...)``,
``clip_grad_norm_``).

Shape: ``x`` (N, D) or any shape for dropout; logits (N, K); labels (N,) ints in [0, K);
soft targets (N, K) with rows summing to 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from helpers.core.checks import check_array, check_range

__all__ = ["DropoutCache", "dropout_forward", "dropout_backward", "l2_penalty", "l2_penalty_grad", "EarlyStopping", "smooth_labels",
           "mixup", "clip_grad_norm", "dropout_ridge"]


def _check_p(p: float) -> float:
    return float(check_range(p, "p", 0.0, 1.0))


@dataclass(frozen=True)
class DropoutCache:
    """What :func:`dropout_backward` needs: the kept units, scaled by 1 / (1 - p)."""

    mask: np.ndarray  # same shape as x


def dropout_forward(x: np.ndarray, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None,
            keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Inverted dropout (Srivastava et al., 2014): zero each unit with probability ``p`` and
    scale the survivors by :math:`1/(1-p)` so that :math:`\mathbb{E}[\text{out}] = x`.

    .. math:: \text{out} = x \odot m, \qquad m_i = \frac{\mathbb{1}[u_i \ge p]}{1 - p}, \ u_i \sim U(0, 1)

    Scaling at training time (not at test time) is what makes evaluation a no-op: in eval mode
    (``training=False``) the output is ``x`` itself. ``p = 1`` drops everything (output 0).

    Args:
        x: activations, any shape.
        p: drop probability in [0, 1].
        training: False gives the identity (what ``model.eval()`` does).
        rng: generator for the mask (required when training, unless ``keep`` is given).
        keep: optional boolean mask of the units to keep, same shape as ``x`` (for tests).

    Returns:
        ``(out, cache)``: the output and a :class:`DropoutCache` holding the scaled mask :math:`m`
        (the backward pass needs it).
    """
    x = check_array(x, "x", allow_empty=True)
    p = _check_p(p)
    if not training or p == 0:
        return x, DropoutCache(np.ones_like(x))
    if keep is None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"dropout in training mode needs rng=np.random.Generator (or keep=...), "
                             f"got {type(rng).__name__}")
        keep = rng.random(x.shape) >= p
    else:
        keep = check_array(keep, "keep", shape=x.shape, dtype="any", allow_empty=True).astype(bool)
    # p = 1 keeps nothing; dividing by 1 - p = 0 would turn the zeros into NaNs
    mask = keep / (1.0 - p) if p < 1 else np.zeros(x.shape)
    mask = mask.astype(x.dtype)
    return x * mask, DropoutCache(mask)


def dropout_backward(dy: np.ndarray, cache: DropoutCache) -> np.ndarray:
    r"""Gradient of dropout: :math:`\partial L / \partial x = \partial L / \partial \text{out} \odot m`,
    with ``dy`` the gradient with respect to the output."""
    if not isinstance(cache, DropoutCache):
        raise ValueError(f"cache must be the DropoutCache that dropout_forward returned, got {type(cache).__name__}")
    dy = check_array(dy, "dy", shape=cache.mask.shape, allow_empty=True)
    return dy * cache.mask


def l2_penalty(params: Sequence[np.ndarray], weight_decay: float) -> float:
    r"""The weight-decay term :math:`\tfrac{\lambda}{2} \sum_k \lVert W_k \rVert_2^2` added to the loss."""
    check_range(weight_decay, "weight_decay", 0.0)
    return float(0.5 * weight_decay * sum(np.sum(check_array(w, f"params[{i}]") ** 2)
                                          for i, w in enumerate(params)))


def l2_penalty_grad(params: Sequence[np.ndarray], weight_decay: float) -> list[np.ndarray]:
    r"""Its gradient :math:`\lambda W_k`: each step shrinks the weights toward 0 by a factor
    :math:`1 - \eta\lambda` (hence "decay"); ``torch.optim.SGD(weight_decay=λ)`` adds exactly this."""
    check_range(weight_decay, "weight_decay", 0.0)
    return [weight_decay * check_array(w, f"params[{i}]") for i, w in enumerate(params)]


class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs; keep the best weights.

    Call :meth:`update` once per epoch with the validation loss and the parameter arrays: it
    copies them when the loss improves by more than ``min_delta`` and returns True once training
    should stop. :meth:`restore` writes the best copy back into the arrays, in place.

    Example:
        >>> import numpy as np
        >>> w = np.zeros(1); stop = EarlyStopping(patience=2)
        >>> [stop.update(loss, [w]) for loss in [3.0, 2.0, 2.5, 2.4]]
        [False, False, False, True]
        >>> stop.best_epoch, stop.best
        (1, 2.0)
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0) -> None:
        self.patience = int(check_range(patience, "patience", 1, None, integer=True))
        self.min_delta = float(check_range(min_delta, "min_delta", 0.0))
        self.best = float("inf")
        self.best_epoch = -1
        self.epoch = -1
        self.best_params: list[np.ndarray] = []

    def update(self, val_loss: float, params: Sequence[np.ndarray]) -> bool:
        """Record one epoch's validation loss; True once ``patience`` epochs passed without a new best.

        A NaN/inf loss (a diverging run) counts as "no improvement" rather than an error.
        """
        if isinstance(val_loss, bool) or not isinstance(val_loss, (int, float, np.integer, np.floating)):
            raise ValueError(f"val_loss must be a number, got {type(val_loss).__name__}")
        self.epoch += 1
        if np.isfinite(val_loss) and val_loss < self.best - self.min_delta:
            self.best, self.best_epoch = float(val_loss), self.epoch
            self.best_params = [np.array(p, copy=True) for p in params]
        return self.epoch - self.best_epoch >= self.patience

    def restore(self, params: Sequence[np.ndarray]) -> None:
        """Copy the best weights back into ``params`` (in place)."""
        if not self.best_params:
            raise ValueError("restore() needs at least one update() with a finite loss first")
        for p, best in zip(params, self.best_params):
            p[...] = best


def smooth_labels(y: np.ndarray, num_classes: int, eps: float = 0.1) -> np.ndarray:
    r"""Label smoothing (Szegedy et al., 2016): :math:`\tilde y = (1 - \varepsilon)\, y + \varepsilon / K`.

    The one-hot target asks for infinitely confident logits; the smoothed one is reached with
    finite logits, which keeps the model from becoming over-confident. The cross-entropy against
    these soft targets (``helpers.basics.losses.cross_entropy``) equals PyTorch's
    ``F.cross_entropy(z, y, label_smoothing=eps)``.

    Shape: ``y`` (N,) ints in [0, K) -> (N, K) rows summing to 1.
    """
    check_range(num_classes, "num_classes", 2, None, integer=True)
    check_range(eps, "eps", 0.0, 1.0)
    y = check_array(y, "y", ndim=1, dtype="int")
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes}), got range [{y.min()}, {y.max()}]")
    onehot = np.eye(num_classes)[y]  # (N, K)
    return (1.0 - eps) * onehot + eps / num_classes


def _check_mixup(x, targets, alpha: float, rng) -> tuple[np.ndarray, np.ndarray]:
    x = check_array(x, "x")
    t = check_array(targets, "targets", ndim=2)
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"x and targets must have the same number of rows, got {x.shape[0]} and {t.shape[0]}")
    check_range(alpha, "alpha", 0.0, None, low_inclusive=False)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"mixup needs rng=np.random.Generator, got {type(rng).__name__}")
    return x, t


def mixup(x: np.ndarray, targets: np.ndarray, alpha: float = 0.2,
          rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    r"""Mixup (Zhang et al., 2018): train on convex combinations of pairs of examples and labels,

    .. math:: \tilde x = \lambda x_i + (1-\lambda) x_j, \quad \tilde y = \lambda y_i + (1-\lambda) y_j,
              \quad \lambda \sim \mathrm{Beta}(\alpha, \alpha),

    where :math:`j` is a random permutation of the batch. Small :math:`\alpha` gives
    :math:`\lambda` near 0 or 1 (mild mixing).

    Shape: ``x`` (N, ...), ``targets`` (N, K) soft or one-hot -> same shapes, plus
    :math:`\lambda` and the permutation (N,).
    """
    x, t = _check_mixup(x, targets, alpha, rng)
    lam = float(rng.beta(alpha, alpha))
    perm = rng.permutation(x.shape[0])
    return lam * x + (1 - lam) * x[perm], lam * t + (1 - lam) * t[perm], lam, perm


def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    r"""Rescale the gradients so that their joint L2 norm is at most ``max_norm``:

    .. math:: \lVert g \rVert = \sqrt{\textstyle\sum_k \lVert g_k \rVert_2^2}, \qquad
              g_k \leftarrow g_k \cdot \min\!\left(1, \frac{c}{\lVert g \rVert + 10^{-6}}\right)

    The direction is kept, only the length is capped, so one exploding batch cannot throw the
    weights far away. Same formula (and the same :math:`10^{-6}`) as
    ``torch.nn.utils.clip_grad_norm_``, but returns new arrays instead of editing in place.

    Returns:
        ``(clipped grads, total norm before clipping)``.
    """
    check_range(max_norm, "max_norm", 0.0, None, low_inclusive=False)
    if not isinstance(grads, (list, tuple)) or not grads:
        raise ValueError(f"grads must be a non-empty list of arrays, got {type(grads).__name__}")
    gs = [check_array(g, f"grads[{i}]", allow_empty=True) for i, g in enumerate(grads)]
    # Scale by the largest entry first: squaring an exploding gradient (1e200) would overflow to inf.
    scale = max((float(np.max(np.abs(g))) for g in gs if g.size), default=0.0)
    total = scale * float(np.sqrt(sum(np.sum((g / scale) ** 2) for g in gs))) if scale > 0 else 0.0
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in gs], total


def dropout_ridge(features: np.ndarray, y: np.ndarray, weight_decay: float = 0.0, p: float = 0.0) -> np.ndarray:
    r"""The weights of a linear read-out trained with dropout on its inputs and weight decay, in
    closed form (dropout as an adaptive L2 penalty; Wager, Wang & Liang, 2013).

    For :math:`\hat y = \sum_j m_j \phi_j w_j` with the inverted-dropout mask :math:`m`, the
    expected squared error splits into the plain error and a penalty
    (:math:`\operatorname{Var} m_j = p/(1-p)`):

    .. math:: \mathbb{E}_m \frac{1}{2N}\lVert y - (\Phi \odot M) w \rVert^2 + \frac{\lambda}{2}\lVert w\rVert^2
              = \frac{1}{2N}\lVert y - \Phi w\rVert^2 + \frac{p}{2N(1-p)} \sum_j w_j^2 \lVert\Phi_{:j}\rVert^2
              + \frac{\lambda}{2}\lVert w\rVert^2,

    minimised by

    .. math:: w = \Bigl(\Phi^\top\Phi + \tfrac{p}{1-p}\operatorname{diag}(\Phi^\top\Phi) + N\lambda I\Bigr)^{-1}
              \Phi^\top y .

    Shape: ``features`` (N, D), ``y`` (N,) -> ``w`` (D,).
    """
    phi = check_array(features, "features", ndim=2)
    y = check_array(y, "y", shape=(phi.shape[0],))
    check_range(weight_decay, "weight_decay", 0.0)
    check_range(p, "p", 0.0, 0.99)
    gram = phi.T @ phi  # (D, D)
    penalty = p / (1 - p) * np.diag(np.diag(gram)) + phi.shape[0] * weight_decay * np.eye(gram.shape[0])
    if np.all(np.diag(penalty) > 0):  # positive definite: a plain solve is exact and fast
        return np.linalg.solve(gram + penalty, phi.T @ y)
    # otherwise (no penalty, more features than points) the system is singular: lstsq picks the
    # minimum-norm solution, the one gradient descent from w = 0 would find
    return np.linalg.lstsq(gram + penalty, phi.T @ y, rcond=None)[0]
