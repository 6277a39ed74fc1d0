r"""Learning-rate schedules as plain functions of the step number (notebook 07).

A schedule maps the step :math:`t = 0, 1, 2, \dots` (the number of optimizer steps already taken)
to the learning rate :math:`\eta_t` used for the next step; the training loop sets
``optimizer.lr = schedule(t)`` before each step. Each function matches a
``torch.optim.lr_scheduler`` class evaluated after ``t`` calls of ``scheduler.step()``
(``tests/test_optim.py`` checks them against each other):

=================  ========================================================================  =======================
name               :math:`\eta_t`                                                            PyTorch twin
=================  ========================================================================  =======================
``constant``       :math:`\eta_0`                                                            (none needed)
``step``           :math:`\eta_0\, \gamma^{\lfloor t / s \rfloor}`                           ``StepLR``
``cosine``         :math:`\eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi t / T))`   ``CosineAnnealingLR``
``warmup``         :math:`\eta_0\,(f + (1 - f)\min(t, w)/w)`                                 ``LinearLR``
``warmup_cosine``  warm-up for :math:`w` steps, then cosine over the remaining :math:`T-w`   ``SequentialLR``
=================  ========================================================================  =======================

Shape: every function takes an int step and returns a float; :func:`schedule_values` returns
the whole schedule, shape (n_steps,).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from helpers.core.checks import check_choice, check_range
from helpers.core.figures import new_figure

__all__ = ["constant_lr", "step_lr", "cosine_lr", "warmup_lr", "warmup_cosine_lr", "SCHEDULES",
           "schedule_values", "plot_schedules"]


def _check(step: int, lr0: float) -> None:
    check_range(step, "step", 0, None, integer=True)
    check_range(lr0, "lr0", 0.0)


def constant_lr(step: int, lr0: float) -> float:
    """:math:`\\eta_t = \\eta_0`: the baseline every schedule is compared with."""
    _check(step, lr0)
    return float(lr0)


def step_lr(step: int, lr0: float, step_size: int, gamma: float = 0.1) -> float:
    r"""Step decay, :math:`\eta_t = \eta_0 \gamma^{\lfloor t/s \rfloor}`: divide by :math:`1/\gamma`
    every ``step_size`` steps (``torch.optim.lr_scheduler.StepLR``)."""
    _check(step, lr0)
    check_range(step_size, "step_size", 1, None, integer=True)
    check_range(gamma, "gamma", 0.0, 1.0)
    return float(lr0 * gamma ** (step // step_size))


def cosine_lr(step: int, lr0: float, total: int, lr_min: float = 0.0) -> float:
    r"""Cosine annealing (Loshchilov & Hutter, 2017) from :math:`\eta_0` down to :math:`\eta_{min}`
    over ``total`` steps:

    .. math:: \eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min}) \left(1 + \cos\frac{\pi t}{T}\right)

    Steps past ``total`` stay at :math:`\eta_{min}` (PyTorch's ``CosineAnnealingLR`` would start to
    climb again, a warm restart without the restart).
    """
    _check(step, lr0)
    check_range(total, "total", 1, None, integer=True)
    check_range(lr_min, "lr_min", 0.0, lr0)
    t = min(step, total)
    return float(lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t / total)))


def warmup_lr(step: int, lr0: float, warmup: int, start_factor: float = 0.1) -> float:
    r"""Linear warm-up from :math:`f\eta_0` to :math:`\eta_0` over ``warmup`` steps, then constant:
    :math:`\eta_t = \eta_0 (f + (1-f)\min(t, w)/w)` (``LinearLR(start_factor=f, total_iters=w)``).

    Small early steps let Adam's second-moment estimate settle before full-size steps are taken.
    """
    _check(step, lr0)
    check_range(warmup, "warmup", 1, None, integer=True)
    check_range(start_factor, "start_factor", 0.0, 1.0, low_inclusive=False)
    return float(lr0 * (start_factor + (1 - start_factor) * min(step, warmup) / warmup))


def warmup_cosine_lr(step: int, lr0: float, warmup: int, total: int, start_factor: float = 0.1,
                     lr_min: float = 0.0) -> float:
    r"""Linear warm-up for ``warmup`` steps, then cosine annealing over the remaining
    ``total - warmup`` steps: the schedule most transformers are trained with. Matches
    ``SequentialLR([LinearLR(...), CosineAnnealingLR(T_max=total - warmup)], milestones=[warmup])``."""
    _check(step, lr0)
    check_range(warmup, "warmup", 1, None, integer=True)
    check_range(total, "total", warmup + 1, None, integer=True)
    if step < warmup:
        return warmup_lr(step, lr0, warmup, start_factor)
    return cosine_lr(step - warmup, lr0, total - warmup, lr_min)


SCHEDULES = {"constant": constant_lr, "step": step_lr, "cosine": cosine_lr, "warmup": warmup_lr,
             "warmup_cosine": warmup_cosine_lr}


def schedule_values(name: str, lr0: float, n_steps: int, **options: Any) -> np.ndarray:
    """The learning rate of each of ``n_steps`` steps for a named schedule, shape (n_steps,).

    Defaults tie each schedule to the run length: ``step`` multiplies the rate by 0.3 after each
    third of the run, ``cosine`` reaches 0 at the end, ``warmup`` lasts the first 10 % of the run.
    Any keyword argument of the schedule's function (``step_size``, ``total``, ``warmup``, ...)
    overrides these.

    Example:
        >>> schedule_values("cosine", 1.0, 4).round(3)
        array([1.   , 0.854, 0.5  , 0.146])
    """
    check_choice(name, "schedule", SCHEDULES)
    check_range(n_steps, "n_steps", 1, None, integer=True)
    warmup = max(1, min(n_steps // 10, n_steps - 1))
    defaults: dict[str, dict[str, Any]] = {
        "constant": {}, "step": {"step_size": max(1, -(-n_steps // 3)), "gamma": 0.3},  # ceil: 3 phases
        "cosine": {"total": n_steps}, "warmup": {"warmup": warmup},
        "warmup_cosine": {"warmup": warmup, "total": n_steps},
    }
    fn = SCHEDULES[name]
    kwargs = {**defaults[name], **options}
    return np.array([fn(t, lr0, **kwargs) for t in range(n_steps)], dtype=np.float64)


def plot_schedules(n_steps: int = 300, lr0: float = 1.0) -> Figure:
    """Every schedule of :data:`SCHEDULES` over one run of ``n_steps`` steps, with its defaults."""
    fig = new_figure(7.0, 2.8)
    ax = fig.add_subplot()
    # one colour *and* one dash per schedule; constant in black on top, or warm-up's plateau would hide it
    styles = {"constant": ("k", ":", 3), "step": ("C0", "-", 2), "cosine": ("C1", "--", 2),
              "warmup": ("C2", "-.", 2), "warmup_cosine": ("C4", (0, (6, 1.5)), 2)}
    labels = {"step": "step decay", "warmup": "warm-up", "warmup_cosine": "warm-up + cosine"}
    for name in SCHEDULES:
        colour, dash, z = styles.get(name, ("0.4", "-", 2))
        ax.plot(schedule_values(name, lr0, n_steps), label=labels.get(name, name), color=colour, ls=dash,
                lw=1.6 if name == "constant" else 2, zorder=z)
    ax.set(xlabel="step $t$", ylabel=r"learning rate $\eta_t$",
           title=rf"schedules over {n_steps} steps, $\eta_0$ = {lr0:g}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig
