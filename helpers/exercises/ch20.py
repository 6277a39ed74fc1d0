r"""Exercises for notebook 20 (interpretability): checks with specific feedback, and the solutions.

1. :func:`check_ig_linear`: Integrated Gradients of a linear score, by hand.
2. :func:`check_shapley_value`: one Shapley value by enumerating the coalitions.
3. :func:`check_most_faithful`: reading deletion curves: which map is the most faithful?

Each check takes the learner's function, never raises, prints ✅ or what is wrong (hints only
after a wrong attempt), and returns a :class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from itertools import combinations
from math import factorial
from typing import Callable

import numpy as np

from helpers.exercises import Feedback, answer, close_enough, run_check
from helpers.interpret.evaluation import curve_area
from helpers.interpret.shapley import all_coalitions, shapley_values

__all__ = ["solution_ig_linear", "check_ig_linear", "solution_shapley_value", "check_shapley_value",
           "solution_most_faithful", "check_most_faithful"]


# ----------------------------------------------------------------------------- 1. IG of a linear model
def solution_ig_linear(w: np.ndarray, b: float, x: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """The gradient of w·x + b is w everywhere on the path, so its average is w: IG = (x - x') * w."""
    return (x - baseline) * w


def check_ig_linear(fn: Callable[[np.ndarray, float, np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(w (D,), b, x (D,), baseline (D,)) -> (D,)`` on two cases with non-zero baselines."""
    rng = np.random.default_rng(20)
    cases = [(rng.normal(size=4), 0.7, rng.normal(size=4), rng.normal(size=4)) for _ in range(2)]

    def check() -> str | None:
        for w, b, x, x0 in cases:
            got = answer(fn(w.copy(), b, x.copy(), x0.copy()))
            g = np.asarray(got, dtype=float)
            want = solution_ig_linear(w, b, x, x0)
            if g.shape == want.shape:
                if np.allclose(g, w * x):
                    return "that is gradient × input, w * x: IG measures the change from the *baseline*, (x - x') * w."
                if np.allclose(g, w):
                    return "that is the (path-averaged) gradient alone; IG multiplies it by (x - x'), feature by feature."
                if np.allclose(g, want + b / len(w)) or np.allclose(g, want + b):
                    return "the bias b does not depend on x: it gets no attribution (f(x) - f(x') cancels it)."
                if np.isclose(g.sum(), w @ x - w @ x0) and not np.allclose(g, want):
                    return "your values add up to f(x) - f(x') but are not split per feature as (x_i - x'_i) w_i."
            problem = close_enough(got, want, "IG for the linear model", atol=1e-9)
            if problem:
                return problem
        return None

    return run_check("IG of a linear model", check, hints=(
        "the gradient of w·x + b is the same at every point of the path: what is its average over α?",
        "average gradient = w, so IG_i = (x_i - x'_i) * w_i; check: the sum is w·x - w·x' = f(x) - f(x')."))


# ----------------------------------------------------------------------------- 2. one Shapley value
def solution_shapley_value(v: Callable[[frozenset], float], M: int, i: int) -> float:
    """Sum over coalitions S without i of |S|!(M-|S|-1)!/M! * (v(S + i) - v(S))."""
    others = [j for j in range(M) if j != i]
    total = 0.0
    for k in range(M):
        for S in combinations(others, k):
            weight = factorial(k) * factorial(M - k - 1) / factorial(M)
            total += weight * (v(frozenset(S) | {i}) - v(frozenset(S)))
    return total


def _game(M: int, seed: int) -> Callable[[frozenset], float]:
    """A payout with individual parts, a pairwise synergy and a three-way one (so weights matter)."""
    rng = np.random.default_rng(seed)
    solo, pair = rng.normal(size=M), rng.normal(size=(M, M))

    def v(S: frozenset) -> float:
        S = sorted(S)
        return float(sum(solo[j] for j in S) + sum(pair[a, b] for a, b in combinations(S, 2))
                     + (2.0 if {0, 1, 2} <= set(S) else 0.0))
    return v


def check_shapley_value(fn: Callable[[Callable[[frozenset], float], int, int], float]) -> Feedback:
    """Check ``fn(v, M, i) -> float`` against enumeration, for a 4-player game with synergies."""
    M = 4
    v = _game(M, 20)
    values = np.array([v(frozenset(np.flatnonzero(z).tolist())) for z in all_coalitions(M)])
    phi = shapley_values(values)

    def check() -> str | None:
        for i in (0, 3):
            got = answer(fn(v, M, i))
            if np.ndim(got) != 0:
                return f"return one number, the Shapley value of player {i}, not an array of shape {np.shape(got)}."
            others = [j for j in range(M) if j != i]
            subsets = [frozenset(S) for k in range(M) for S in combinations(others, k)]
            plain = np.mean([v(S | {i}) - v(S) for S in subsets])
            if np.isclose(got, plain) and not np.isclose(plain, phi[i]):
                return ("that is the plain average of the marginal contributions over coalitions; a coalition of "
                        "size |S| must weigh |S|!(M-|S|-1)!/M! (every *order* of arrival counts once).")
            if np.isclose(got, v(frozenset({i})) - v(frozenset())):
                return f"that is player {i}'s contribution to the empty coalition only; average over all coalitions."
            problem = close_enough(got, phi[i], f"the Shapley value of player {i}", atol=1e-9)
            if problem:
                return problem
        return None

    return run_check("one Shapley value", check, hints=(
        "loop over every coalition S of the *other* players (itertools.combinations for each size k).",
        "add |S|!(M-|S|-1)!/M! * (v(S | {i}) - v(S)); with M = 4 there are 8 coalitions without i."))


# ----------------------------------------------------------------------------- 3. reading deletion curves
def solution_most_faithful(fractions: np.ndarray, curves: dict[str, np.ndarray]) -> str:
    """The smallest area under the deletion curve: the probability falls fastest overall."""
    return min(curves, key=lambda name: float(np.trapezoid(curves[name], fractions)))


_FRACTIONS = np.linspace(0, 1, 9)
_CURVES = {"steady": np.array([1.0, 0.95, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.0]),
           "quick start": np.array([1.0, 0.6, 0.58, 0.56, 0.55, 0.5, 0.45, 0.3, 0.0]),
           "slow": np.array([1.0, 0.99, 0.97, 0.9, 0.8, 0.6, 0.4, 0.2, 0.0]),
           "random order": np.array([1.0, 0.98, 0.95, 0.9, 0.85, 0.75, 0.6, 0.4, 0.0])}


def check_most_faithful(fn: Callable[[np.ndarray, dict[str, np.ndarray]], str]) -> Feedback:
    """Check ``fn(fractions (S,), {name: curve (S,)}) -> name`` on two sets of curves."""
    renamed = {"A": _CURVES["slow"], "B": _CURVES["steady"] * 0.9 + 0.1 * _CURVES["quick start"],
               "C": _CURVES["quick start"], "D": _CURVES["random order"]}

    def check() -> str | None:
        for curves in (_CURVES, renamed):
            got = answer(fn(_FRACTIONS.copy(), {k: v.copy() for k, v in curves.items()}))
            areas = {k: float(curve_area(_FRACTIONS, v)) for k, v in curves.items()}
            want = min(areas, key=areas.get)
            if not isinstance(got, str) or got not in curves:
                return f"return the *name* of a method, one of {list(curves)}, got {got!r}."
            first_drop = min(curves, key=lambda k: curves[k][1])
            if got == first_drop and got != want:
                return (f"'{got}' drops most at the first step but then stays high; a deletion curve is read as a "
                        f"whole: its area ({areas[got]:.2f}) is larger than '{want}''s ({areas[want]:.2f}).")
            if got == max(areas, key=areas.get):
                return f"'{got}' has the *largest* area ({areas[got]:.2f}): its probability falls slowest, the least faithful."
            if got != want:
                return f"'{got}' has area {areas[got]:.2f}; another curve has a smaller one."
        return None

    return run_check("reading deletion curves", check, hints=(
        "every curve starts at 1 and ends at 0, so the end points say nothing: what about the area under each?",
        "area = np.trapezoid(curve, fractions); the most faithful map has the smallest area."))
