r"""Exercises for notebook 18 (self-supervised learning): checks with specific feedback, and the solutions.

1. :func:`check_nt_xent_pair`: the NT-Xent loss of one anchor, its positive and its negatives.
2. :func:`check_mask_step`: BERT's 80/10/10 masking rule, given the random draws.
3. :func:`check_zero_shot`: zero-shot classes from image and prompt embeddings by cosine similarity.

Each check takes the learner's function, never raises, prints ✅ or what is wrong, and returns a
:class:`helpers.exercises.Feedback`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.exercises import Feedback, answer, close_enough, run_check
from helpers.selfsupervised.contrastive import nt_xent_anchor
from helpers.selfsupervised.mlm import IGNORE, apply_masking

__all__ = ["solution_nt_xent_pair", "check_nt_xent_pair", "solution_mask_step", "check_mask_step",
           "solution_zero_shot", "check_zero_shot"]


# ----------------------------------------------------------------------------- 1. NT-Xent for one pair
def solution_nt_xent_pair(anchor: np.ndarray, positive: np.ndarray, negatives: np.ndarray, tau: float) -> float:
    """Cosine similarities / tau; the positive's cross-entropy among positive + negatives (log-sum-exp)."""
    def cos(a, b):
        return b @ a / (np.linalg.norm(b, axis=-1) * np.linalg.norm(a))

    logits = np.concatenate([[cos(anchor, positive)], cos(anchor, negatives)]) / tau
    m = logits.max()
    return float(m + np.log(np.exp(logits - m).sum()) - logits[0])


def check_nt_xent_pair(fn: Callable[[np.ndarray, np.ndarray, np.ndarray, float], float]) -> Feedback:
    """Check ``fn(anchor (D,), positive (D,), negatives (K, D), tau) -> float``."""
    rng = np.random.default_rng(18)
    cases = [(rng.normal(size=4) * 3, rng.normal(size=4), rng.normal(size=(5, 4)) * 2, 0.5),
             (rng.normal(size=3), rng.normal(size=3) * 0.1, rng.normal(size=(2, 3)) * 5, 0.1)]

    def check() -> str | None:
        for a, p, negs, tau in cases:
            got = answer(fn(a.copy(), p.copy(), negs.copy(), tau))
            want = nt_xent_anchor(a, p, negs, tau)
            if np.ndim(got) != 0:
                return f"return one number (the loss of this anchor), got an array of shape {np.shape(got)}."
            got = float(got)
            others = np.concatenate([p[None], negs])
            cos = others @ a / (np.linalg.norm(others, axis=1) * np.linalg.norm(a))
            dots = others @ a / tau
            if np.isclose(got, np.log(np.exp(dots - dots.max()).sum()) + dots.max() - dots[0]):
                return "you used raw dot products: divide by both vectors' lengths first (cosine similarity)."
            no_pos = np.log(np.exp(cos[1:] / tau).sum()) - cos[0] / tau
            if np.isclose(got, no_pos):
                return "the denominator must include the positive itself, next to the negatives."
            if np.isclose(got, np.log(np.exp(cos).sum()) - cos[0]):
                return f"divide the similarities by the temperature (tau = {tau}) before the softmax."
            problem = close_enough(got, want, f"loss with tau = {tau}", atol=1e-8)
            if problem:
                return problem
        return None

    return run_check("NT-Xent for one pair", check, hints=(
        "cosine similarity s(a, b) = a·b / (|a| |b|); the loss is -log of the positive's softmax weight "
        "among [positive, negatives], all divided by tau.",
        "logits = [s(a, p), s(a, n_1), ..., s(a, n_K)] / tau; loss = logsumexp(logits) - logits[0]."))


# ----------------------------------------------------------------------------- 2. the masking step
def solution_mask_step(ids: np.ndarray, selected: np.ndarray, u: np.ndarray, random_ids: np.ndarray,
                       mask_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Copy; [mask] where selected and u < 0.8; a random word where selected and 0.8 <= u < 0.9."""
    inputs = ids.copy()
    inputs[selected & (u < 0.8)] = mask_id
    swap = selected & (u >= 0.8) & (u < 0.9)
    inputs[swap] = random_ids[swap]
    targets = np.where(selected, ids, -100)
    return inputs, targets


def check_mask_step(fn: Callable[..., tuple[np.ndarray, np.ndarray]]) -> Feedback:
    """Check ``fn(ids, selected, u, random_ids, mask_id) -> (inputs, targets)`` against BERT's rule."""
    rng = np.random.default_rng(11)
    ids = rng.integers(2, 50, size=(3, 12))
    selected = rng.random(ids.shape) < 0.5
    u = rng.random(ids.shape)
    u[0, :4] = [0.1, 0.85, 0.95, 0.5]                                 # every branch appears
    selected[0, :4] = True
    random_ids = rng.integers(2, 50, size=ids.shape)

    def check() -> str | None:
        got = answer(fn(ids.copy(), selected.copy(), u.copy(), random_ids.copy(), 1))
        if not isinstance(got, tuple) or len(got) != 2:
            return "return a pair (inputs, targets)."
        inputs, targets = (np.asarray(g) for g in got)
        want_in, want_t = apply_masking(ids, selected, u, random_ids, 1)
        if inputs.shape != ids.shape or targets.shape != ids.shape:
            return f"inputs and targets should both have shape {ids.shape}, got {inputs.shape} and {targets.shape}."
        if np.array_equal(inputs, ids):
            return "the inputs are unchanged: selected positions with u < 0.8 must become mask_id."
        if np.all(inputs[selected] == 1):
            return "every selected word became [mask]: only 80 % should (u < 0.8); 10 % get a random word, 10 % stay."
        if np.any(targets[~selected] != IGNORE):
            return "positions that were not selected are not predicted: their target must be -100 (IGNORE)."
        if np.any(targets[selected] != ids[selected]):
            return "a selected position's target is the ORIGINAL word, whatever its input became."
        bad = np.argwhere(inputs != want_in)
        if len(bad):
            r, c = bad[0]
            return (f"input at {(int(r), int(c))} (selected={bool(selected[r, c])}, u={u[r, c]:.2f}) is {inputs[r, c]}, "
                    f"expected {want_in[r, c]}: u < 0.8 → mask_id, 0.8 ≤ u < 0.9 → random_ids, else unchanged.")
        return close_enough(targets, want_t, "targets")

    return run_check("masking step", check, hints=(
        "start from a copy of ids; three cases for selected positions, decided by u.",
        "inputs[selected & (u < 0.8)] = mask_id; swap = selected & (u >= 0.8) & (u < 0.9); "
        "inputs[swap] = random_ids[swap]; targets = np.where(selected, ids, -100)."))


# ----------------------------------------------------------------------------- 3. zero-shot prediction
def solution_zero_shot(image_emb: np.ndarray, prompt_emb: np.ndarray) -> np.ndarray:
    """Normalise both, cosine matrix (N, K), arg-max over the prompts (axis 1)."""
    a = image_emb / np.linalg.norm(image_emb, axis=1, keepdims=True)
    b = prompt_emb / np.linalg.norm(prompt_emb, axis=1, keepdims=True)
    return np.argmax(a @ b.T, axis=1)


def check_zero_shot(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Check ``fn(image_emb (N, D), prompt_emb (K, D)) -> (N,)`` class indices by cosine similarity."""
    rng = np.random.default_rng(7)
    prompt = rng.normal(size=(4, 6))
    prompt[2] *= 10.0                                                 # a long prompt vector: dot products favour it
    near = prompt[rng.integers(0, 4, 9)]                              # (9, 6): each image leans towards a prompt
    image = rng.normal(size=(9, 6)) + 0.5 * near / np.linalg.norm(near, axis=1, keepdims=True)

    def check() -> str | None:
        got = np.asarray(answer(fn(image.copy(), prompt.copy())))
        want = solution_zero_shot(image, prompt)
        if got.shape == (prompt.shape[0],):
            return f"one prediction per IMAGE, shape ({image.shape[0]},): take the arg-max over the prompts (axis 1)."
        if got.shape != want.shape:
            return f"predictions should have shape {want.shape}, got {got.shape}."
        if np.array_equal(got, np.argmax(image @ prompt.T, axis=1)) and not np.array_equal(got, want):
            return "raw dot products favour long prompt vectors (prompt 2 here): normalise both to unit length first."
        wrong = np.flatnonzero(got != want)
        if len(wrong):
            return f"image {int(wrong[0])} should be class {int(want[wrong[0]])}, got {got[wrong[0]]}."
        return None

    return run_check("zero-shot prediction", check, hints=(
        "cosine similarity between every image and every prompt, then the best prompt for each image.",
        "a = image / |image| (rows), b = prompt / |prompt|; np.argmax(a @ b.T, axis=1)."))
