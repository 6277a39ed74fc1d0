r"""The models notebook 20 explains: notebook 09's digits CNN and MLP, trained quickly and seeded.

Nothing new is built here: :class:`helpers.cnn.models.DigitsCNN` and
:class:`~helpers.cnn.models.DigitsMLP` are trained with :func:`helpers.cnn.models.fit` on
:func:`helpers.core.data.load_digits_images`. What this module adds is the **blank baseline**:
the images are standardised, so "no ink" is not 0 but :math:`(0 - \mu)/\sigma`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from helpers.cnn.models import DigitsCNN, DigitsMLP, fit
from helpers.core.metrics import accuracy
from helpers.core.checks import check_range, check_seed
from helpers.core.data import ImageSplit, load_digits_images

__all__ = ["DigitModels", "train_digit_models", "as_float64"]


@dataclass(frozen=True)
class DigitModels:
    """Two trained digit classifiers (float32, eval mode), their data and the blank baseline.

    ``baseline`` has one example's shape (1, 1, 8, 8): the standardised value of an ink-free pixel.
    """

    cnn: DigitsCNN
    mlp: DigitsMLP
    split: ImageSplit
    cnn_accuracy: float
    mlp_accuracy: float

    @property
    def baseline(self) -> np.ndarray:
        """The blank image, standardised like the inputs. Shape: (1, 1, 8, 8)."""
        return np.full((1, 1, 8, 8), (0.0 - self.split.mean) / self.split.std)


def train_digit_models(seed: int = 0, epochs: int = 5, lr: float = 1e-2) -> DigitModels:
    """Train notebook 09's CNN and MLP on the 8×8 digits (about a second on one core).

    Both are trained with the same seed, data split and schedule (Adam, one-cycle, batches of 64),
    then put in eval mode so that batch norm is a fixed affine map and every score depends on its
    own input only (:func:`helpers.interpret.scores.check_model`).

    Example:
        >>> m = train_digit_models(epochs=1)
        >>> m.cnn.training, m.baseline.shape
        (False, (1, 1, 8, 8))
    """
    check_seed(seed)
    check_range(epochs, "epochs", 1, None, integer=True)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    split = load_digits_images(seed=0)                       # (N, 1, 8, 8) standardised
    nets = {}
    for name, make in (("cnn", DigitsCNN), ("mlp", DigitsMLP)):
        torch.manual_seed(seed)
        net = make()
        fit(net, split.X_train, split.y_train, epochs=epochs, lr=lr, seed=seed, progress=False)
        nets[name] = net.eval()
    return DigitModels(nets["cnn"], nets["mlp"], split,
                       accuracy(nets["cnn"], split.X_test, split.y_test),
                       accuracy(nets["mlp"], split.X_test, split.y_test))


def as_float64(model: torch.nn.Module) -> torch.nn.Module:
    """A float64 copy in eval mode (``.double()`` alone would convert the model in place).

    Float64 is for the checks that compare numbers to 1e-6 or better; float32 is plenty for maps.
    """
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return copy.deepcopy(model).double().eval()
