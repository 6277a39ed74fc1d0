"""The one shape of a training loop.

Every chapter writes its loop out in full (the loop is the lesson), but every loop has the same
signature and returns the same record:

* keyword arguments ``steps`` (or ``epochs`` for a loop over whole passes, documented there),
  ``batch_size`` (where there are mini-batches), ``lr``, ``seed``, ``progress=False`` (a progress bar)
  and ``on_step=None``, called as ``on_step(step, record)`` after every update with the update's
  ``record`` (``{"loss": ...}`` and whatever else the loop measures);
* it returns a :data:`History`: ``{"step": [1, 2, ...], "loss": [...], ...}``, one list per
  metric, all of the same length (a metric measured only now and then, e.g. a validation score,
  keeps its own ``"<name>_step"`` list).

Example:
    >>> history = new_history()
    >>> for step in steps_range(3):
    ...     record_step(history, step, None, loss=1.0 / step)
    >>> history["step"], [round(v, 2) for v in history["loss"]]
    ([1, 2, 3], [1.0, 0.5, 0.33])
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from helpers.core.checks import check_array, check_range, check_seed

__all__ = ["History", "OnStep", "new_history", "steps_range", "record_step", "check_loop_args",
           "check_class_labels"]

History = dict[str, list]
OnStep = Callable[[int, dict[str, float]], Any]


def new_history(*metrics: str) -> History:
    """An empty history with a ``"step"`` list, a ``"loss"`` list and one list per extra metric."""
    return {"step": [], "loss": [], **{m: [] for m in metrics if m not in ("step", "loss")}}


def steps_range(steps: int, progress: bool = False, desc: str = "training") -> Iterable[int]:
    """``1 .. steps``, with a progress bar when ``progress`` (:class:`helpers.core.progress.Progress`,
    redrawn at most once a second and stored finished)."""
    check_range(steps, "steps", 1, None, integer=True)
    if not progress:
        return range(1, steps + 1)
    from helpers.core.progress import Progress

    return Progress(range(1, steps + 1), desc=desc, min_interval=1.0)


def record_step(history: History, step: int, on_step: OnStep | None, **values: float) -> None:
    """Append ``step`` and every value to ``history`` (a new key gets a new list), then call
    ``on_step(step, values)`` if given."""
    history["step"].append(step)
    for name, value in values.items():
        history.setdefault(name, []).append(float(value))
    if on_step is not None:
        on_step(step, values)


_UNSET: Any = object()


def check_loop_args(steps: int = _UNSET, batch_size: int | None = None, lr: float = _UNSET,
                    seed: int = _UNSET, on_step: OnStep | None = None) -> None:
    """Validate the arguments every loop shares. An argument left out is skipped; ``steps``,
    ``lr`` and ``seed`` passed as ``None`` are rejected (torch would fail on them deep inside),
    while ``batch_size=None`` is skipped (full batch, for the loops that allow it)."""
    if steps is not _UNSET:
        check_range(steps, "steps", 1, None, integer=True)
    if batch_size is not None:
        check_range(batch_size, "batch_size", 1, None, integer=True)
    if lr is not _UNSET:
        check_range(lr, "lr", 0.0, None, low_inclusive=False)
    if seed is not _UNSET:
        check_seed(seed)
    if on_step is not None and not callable(on_step):
        raise ValueError(f"on_step must be a function on_step(step, record) or None, got {type(on_step).__name__}")


def check_class_labels(model: Any, X: Any, y: Any) -> None:
    """Raise a ``ValueError`` unless the class labels ``y`` lie in [0, K), K being the number of
    logits ``model`` gives for the first row of ``X`` (run once, without gradients, in eval mode;
    the training mode is restored). A loop calls it before its first step, so that a bad label is
    named here rather than by an IndexError from deep inside ``cross_entropy``.

    Shape: X (N, ...) and y (N,) integer labels, tensors or arrays; ``model(X[:1])``: (1, K).
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(X, torch.Tensor):
        X = torch.as_tensor(check_array(X, "X", ndim=(2, 3, 4, 5)), dtype=torch.float32)
    y = check_array(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y, "y", ndim=1,
                    shape=(len(X),), dtype="int")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            K = model(X[:1]).shape[-1]
    except RuntimeError as exc:  # torch's shape errors, e.g. a wrong number of features
        raise ValueError(f"the model cannot take X of shape {tuple(X.shape)}: {exc}") from None
    finally:
        model.train(was_training)
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= K:
        raise ValueError(f"y must hold class labels in [0, {K}) for a model with {K} outputs, got range [{lo}, {hi}]")
