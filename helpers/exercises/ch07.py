"""Exercises of notebook 07 (optimizers): checks and reference solutions."""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.training.optim import SGD, Adam
from helpers.training.schedules import warmup_cosine_lr
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_momentum_step", "check_adam_step", "check_warmup_cosine",
           "solution_momentum_step", "solution_adam_step", "solution_warmup_cosine"]


# ----------------------------------------------------------------------------- solutions
def solution_momentum_step(theta: np.ndarray, buf: np.ndarray, grad: np.ndarray, lr: float,
                           mu: float) -> tuple[np.ndarray, np.ndarray]:
    """One heavy-ball step in PyTorch's form: b = mu * b + g, then theta = theta - lr * b.

    The buffer is a decaying sum of all past gradients. Where they keep their sign (along a
    valley) it grows towards g / (1 - mu), a step up to 1 / (1 - mu) times longer; where they flip
    sign (across it) the terms cancel. PyTorch adds g undamped (no (1 - mu) factor), so lr
    multiplies the whole sum.
    """
    buf = mu * buf + grad  # velocity: yesterday's, shrunk by mu, plus today's gradient
    return theta - lr * buf, buf


def solution_adam_step(theta: np.ndarray, m: np.ndarray, v: np.ndarray, grad: np.ndarray, t: int,
                       lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                       eps: float = 1e-8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ``t`` (counting from 1) of Adam: update both moments, correct their bias, step.

    m averages the gradients (momentum), v their squares (RMSProp's scale). Both start at 0, so
    after t steps they hold only a fraction 1 - beta ** t of their weight: dividing by it undoes
    that shrinkage (at t = 1, m_hat = g and v_hat = g ** 2, so the first step is lr * sign(g)).
    """
    m = beta1 * m + (1 - beta1) * grad            # first moment: running mean of g
    v = beta2 * v + (1 - beta2) * grad ** 2       # second moment: running mean of g^2
    m_hat = m / (1 - beta1 ** t)                  # bias correction: both started at 0
    v_hat = v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def solution_warmup_cosine(step: int, lr0: float, warmup: int, total: int) -> float:
    """Linear warm-up from lr0/10 to lr0 over ``warmup`` steps, then a half cosine down to 0.

    Two phases, each a straight map of a fraction in [0, 1]: during warm-up the fraction
    step / warmup moves the rate from 0.1 lr0 to lr0; afterwards the fraction p of the remaining
    steps drives (1 + cos(pi p)) / 2 from 1 down to 0. Clipping p at 1 keeps the rate at 0 after
    ``total``.
    """
    if step < warmup:
        return lr0 * (0.1 + 0.9 * step / warmup)        # 0.1 lr0 at step 0, lr0 at step warmup
    progress = min(step - warmup, total - warmup) / (total - warmup)  # 0 -> 1, then stays 1
    return lr0 * 0.5 * (1 + np.cos(np.pi * progress))


# ----------------------------------------------------------------------------- checks
def check_momentum_step(fn: Callable) -> Feedback:
    """``fn(theta, buf, grad, lr, mu)`` must return ``(new_theta, new_buf)`` as ``torch.optim.SGD`` would."""
    def check() -> str | None:
        rng = np.random.default_rng(70)
        theta, grads = rng.normal(size=4), rng.normal(size=(3, 4))
        ours, buf = theta.copy(), np.zeros(4)
        reference = SGD([theta.copy()], lr=0.1, momentum=0.9)
        for k, g in enumerate(grads):
            result = answer(fn(ours.copy(), buf.copy(), g.copy(), 0.1, 0.9))
            if not isinstance(result, tuple) or len(result) != 2:
                return "return a pair (new_theta, new_buf)."
            ours, buf = result
            reference.step([g])
            if k == 0 and np.allclose(buf, 0.1 * g):
                return ("the buffer came out as (1 - mu) * grad: PyTorch's buffer is mu * buf + grad, "
                        "without the (1 - mu).")
            problem = close_enough(ours, reference.params[0], f"theta after step {k + 1}")
            if problem:
                return problem
        return None
    return run_check("momentum step", check, hints=(
        "the buffer is a running sum of gradients that forgets at rate mu; the step follows the buffer, "
        "not the gradient. Update the buffer first, then use the new one.",
        "buf = mu * buf + grad (no (1 - mu) factor in PyTorch's form), then return theta - lr * buf, buf"))


def check_adam_step(fn: Callable) -> Feedback:
    """``fn(theta, m, v, grad, t, lr, beta1, beta2, eps)`` must return ``(theta, m, v)`` after Adam's step ``t``."""
    def check() -> str | None:
        rng = np.random.default_rng(71)
        theta, grads = rng.normal(size=5), rng.normal(size=(4, 5))
        ours, m, v = theta.copy(), np.zeros(5), np.zeros(5)
        reference = Adam([theta.copy()], lr=0.05, betas=(0.8, 0.99))
        for t, g in enumerate(grads, start=1):
            result = answer(fn(ours.copy(), m.copy(), v.copy(), g.copy(), t, 0.05, 0.8, 0.99, 1e-8))
            if not isinstance(result, tuple) or len(result) != 3:
                return "return a triple (theta, m, v)."
            ours, m, v = result
            reference.step([g])
            if t == 1 and np.allclose(ours, theta - 0.05 * (0.2 * g) / (np.sqrt(0.01 * g * g) + 1e-8)):
                return "the first step is too small: divide m and v by (1 - beta ** t) (bias correction)."
            problem = close_enough(ours, reference.params[0], f"theta after step {t}", atol=1e-9)
            if problem:
                return problem
        return None
    return run_check("Adam step", check, hints=(
        "three stages: update the two running averages (of g and of g squared), correct both for having "
        "started at zero, then step along the corrected mean divided by the root of the corrected square.",
        "m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g**2; m_hat = m / (1 - b1**t); v_hat = v / (1 - b2**t); "
        "theta - lr * m_hat / (sqrt(v_hat) + eps)"))


def check_warmup_cosine(fn: Callable) -> Feedback:
    """``fn(step, lr0, warmup, total)`` must match :func:`helpers.training.schedules.warmup_cosine_lr`."""
    def check() -> str | None:
        for lr0, warmup, total in [(1.0, 10, 100), (0.3, 5, 20)]:
            got = [answer(fn(t, lr0, warmup, total)) for t in range(total + 1)]
            want = [warmup_cosine_lr(t, lr0, warmup, total) for t in range(total + 1)]
            problem = close_enough(got, want, f"the schedule for lr0={lr0}, warmup={warmup}, total={total}")
            if problem:
                return problem
        return None
    return run_check("warm-up + cosine schedule", check, hints=(
        "treat the two phases separately (an if on step < warmup), and in each one turn the step into a "
        "fraction from 0 to 1 of that phase; a straight line maps the first, a half cosine the second.",
        "warm-up: lr0 * (0.1 + 0.9 * step / warmup); then p = min(step - warmup, total - warmup) / "
        "(total - warmup) and lr0 * (1 + cos(pi p)) / 2"))
