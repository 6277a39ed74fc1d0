r"""A tiny CLIP: digit images and their written names in one embedding space, and zero-shot classification (notebook 18).

CLIP (Radford et al., 2021, "Learning transferable visual models from natural language
supervision") trains two encoders side by side, one for images and one for text, so that a
picture and its caption land on nearby unit vectors. For a batch of :math:`N` pairs, the
:math:`N \times N` matrix of scaled cosine similarities :math:`L_{ij} = e^{t}\,\mathbf a_i^\top \mathbf b_j`
(image :math:`i`, caption :math:`j`, a learned log-scale :math:`t`) is read as :math:`N`
classification problems in each direction, the matching pair being the right answer:

.. math:: \mathcal L = \tfrac12\bigl[\mathrm{CE}(L, \mathrm{diag}) + \mathrm{CE}(L^\top, \mathrm{diag})\bigr]

(:func:`clip_loss`): InfoNCE again, with images as anchors and captions as candidates.

**Zero-shot classification**: write one prompt per class (``"a handwritten {}"`` with each
digit's name), embed the ten prompts, and give each image the class whose prompt is most
similar (:func:`zero_shot_predict`). No classifier is ever trained on the class labels; the
classes are defined by text at test time.

Our captions are generated (:func:`caption`): a digit's name in one of a few templates,
``"a handwritten seven"``, ``"the digit seven"``, ... The text encoder reads characters
(:class:`CharTextEncoder`: embeddings, a width-3 convolution and a max over positions, so a
name is recognised wherever it sits in the sentence).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checks import check_array, check_range, check_seed, check_tensor

__all__ = ["NAMES", "TEMPLATES", "ALPHABET", "MAX_CHARS", "caption", "encode_text", "check_prompt",
           "CharTextEncoder", "ImageEncoder", "TinyCLIP", "clip_loss", "train_clip", "embed_images",
           "embed_prompts", "zero_shot_predict", "ClipSteps", "zero_shot_accuracy"]

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEMPLATES = ("a handwritten {}", "the digit {}", "a scan of a {}", "{} written by hand", "a picture of the number {}")
ALPHABET = " abcdefghijklmnopqrstuvwxyz"   # id 0 is padding, then these characters
MAX_CHARS = 32


def caption(label: int, template: str = TEMPLATES[0]) -> str:
    """The caption of digit ``label`` in ``template`` (``{}`` is replaced by the digit's name).

    Example:
        >>> caption(7)
        'a handwritten seven'
    """
    check_range(label, "label", 0, 9, integer=True)
    return template.format(NAMES[label])


def check_prompt(prompt: str) -> str | None:
    """None if ``prompt`` is a usable zero-shot template, else a sentence saying what is wrong."""
    if not isinstance(prompt, str) or not prompt.strip():
        return "the prompt is empty: type a sentence with {} where the digit's name goes, e.g. 'a handwritten {}'"
    if prompt.count("{}") != 1:
        return f"the prompt needs exactly one {{}} where the digit's name goes (found {prompt.count('{}')})"
    text = prompt.replace("{}", "").lower()
    bad = sorted(set(text) - set(ALPHABET))
    if bad:
        return f"the text encoder reads only letters and spaces; it cannot read {''.join(bad)!r}"
    longest = max(len(prompt.format(n)) for n in NAMES)
    if longest > MAX_CHARS:
        return f"the prompt is too long: with the longest name it has {longest} characters, the encoder reads {MAX_CHARS}"
    return None


def encode_text(texts: list[str]) -> torch.Tensor:
    """Lower-case character ids, 0-padded to :data:`MAX_CHARS`.

    Shape:
        N strings -> (N, MAX_CHARS) int64.

    Example:
        >>> encode_text(["ab"])[0, :3].tolist()
        [2, 3, 0]
    """
    out = torch.zeros(len(texts), MAX_CHARS, dtype=torch.int64)
    for i, text in enumerate(texts):
        text = text.lower()
        bad = sorted(set(text) - set(ALPHABET))
        if bad or not text or len(text) > MAX_CHARS:
            raise ValueError(f"text {i} must be 1-{MAX_CHARS} letters and spaces, got {text!r}")
        out[i, :len(text)] = torch.tensor([ALPHABET.index(c) + 1 for c in text])
    return out


class CharTextEncoder(nn.Module):
    """Characters -> one vector: Embedding(28, 32) → Conv1d(32, 64, 3) → ReLU → max over positions → Linear(64, D).

    The max ignores padding, so a caption's vector does not depend on how much padding follows it.

    Shape:
        ids: (N, MAX_CHARS) int64 -> (N, D).
    """

    def __init__(self, dim: int = 32) -> None:
        check_range(dim, "dim", 1, None, integer=True)
        super().__init__()
        self.embed = nn.Embedding(len(ALPHABET) + 1, 32, padding_idx=0)
        self.conv = nn.Conv1d(32, 64, kernel_size=3, padding=1)
        self.out = nn.Linear(64, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(self.embed(ids).transpose(1, 2)))        # (N, 64, MAX_CHARS)
        h = h.masked_fill((ids == 0)[:, None, :], float("-inf"))      # padding never wins the max
        return self.out(h.max(dim=2).values)                            # (N, 64) -> (N, D)


class ImageEncoder(nn.Sequential):
    """Pixels -> one vector: Flatten → Linear(64, 128) → BatchNorm → ReLU → Linear(128, D).

    Shape:
        images: (N, 8, 8) -> (N, D).
    """

    def __init__(self, dim: int = 32, hidden: int = 128) -> None:
        check_range(dim, "dim", 1, None, integer=True)
        check_range(hidden, "hidden", 1, None, integer=True)
        super().__init__(nn.Flatten(), nn.Linear(64, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The hidden layer (what a supervised probe reads). Shape: (N, 8, 8) -> (N, hidden)."""
        for layer in list(self)[:-1]:
            images = layer(images)
        return images


class TinyCLIP(nn.Module):
    """An image encoder, a text encoder and the learned logit scale :math:`e^t` (initially 1/0.07, as in CLIP)."""

    def __init__(self, dim: int = 32) -> None:
        check_range(dim, "dim", 1, None, integer=True)
        super().__init__()
        self.image = ImageEncoder(dim)
        self.text = CharTextEncoder(dim)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def scale(self) -> torch.Tensor:
        return self.log_scale.exp().clamp(max=100.0)                   # CLIP clips it at 100 for stability


def _check_pairs(image_emb, text_emb, scale) -> None:
    check_tensor(image_emb, "image_emb")
    check_tensor(text_emb, "text_emb")
    if isinstance(scale, torch.Tensor):
        check_tensor(scale, "scale", shape=())
    else:
        check_range(scale, "scale", 0.0, None, low_inclusive=False)
    if image_emb.dim() != 2 or image_emb.shape != text_emb.shape:
        raise ValueError(f"image_emb and text_emb must both be (N, D), got {tuple(image_emb.shape)} and {tuple(text_emb.shape)}")


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, scale: torch.Tensor | float = 1.0) -> torch.Tensor:
    r"""The symmetric InfoNCE loss of :math:`N` matching (image, text) pairs (row i of both).

    Shape:
        image_emb, text_emb: (N, D) (normalised here) -> a scalar.

    Example:
        >>> e = torch.eye(3)
        >>> round(float(clip_loss(e, e, scale=1.0)), 4)     # log(1 + 2/e)
        0.5514
    """
    _check_pairs(image_emb, text_emb, scale)
    logits = scale * F.normalize(image_emb, dim=1) @ F.normalize(text_emb, dim=1).T   # (N, N): image i vs text j
    target = torch.arange(len(logits))
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def train_clip(images: np.ndarray, labels: np.ndarray, *, steps: int = 200, batch_size: int = 64, lr: float = 3e-3,
               seed: int = 0, templates=TEMPLATES, progress: bool = False,
               on_step: Callable[[int, dict], None] | None = None) -> tuple[TinyCLIP, dict]:
    """Train :class:`TinyCLIP` on (digit, caption) pairs; every step draws a template per image.

    The labels only ever become *text* (the captions): no classifier is trained on them.

    Returns:
        (model in eval mode, {"step": [...], "loss": [...]}).
    """
    images = check_array(images, "images", ndim=3)
    labels = check_array(labels, "labels", shape=(images.shape[0],), dtype="int")
    check_range(steps, "steps", 1, None, integer=True)
    check_range(batch_size, "batch_size", 2, len(images), integer=True)
    torch.manual_seed(seed)
    model = TinyCLIP()
    session = ClipSteps(model, images, labels, batch_size=batch_size, seed=seed, templates=templates)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list] = {"step": [], "loss": []}
    from helpers.core.progress import Progress

    for step in Progress(range(1, steps + 1), desc="CLIP", show=progress):
        history["step"].append(step)
        history["loss"].append(session.step(opt))
        if on_step is not None:
            on_step(step, {"loss": history["loss"][-1]})
    return model.eval(), history


class ClipSteps:
    """One CLIP update at a time (shared by :func:`train_clip` and the notebook's training player).

    Every caption a template can produce is tokenised once; a step draws ``batch_size`` images
    and a template for each.
    """

    def __init__(self, model: TinyCLIP, images: np.ndarray, labels: np.ndarray, batch_size: int = 64,
                 seed: int = 0, templates=TEMPLATES) -> None:
        check_seed(seed)
        check_range(batch_size, "batch_size", 1, None, integer=True)
        self.model, self.batch_size = model, batch_size
        self.images = torch.as_tensor(images, dtype=torch.float32)     # (N, 8, 8)
        self.labels = np.asarray(labels)
        self.templates = tuple(templates)
        self.captions = encode_text([t.format(n) for n in NAMES for t in self.templates])  # (10·n_templates, MAX_CHARS)
        self.rng = np.random.default_rng(seed)

    def step(self, opt: torch.optim.Optimizer) -> float:
        self.model.train()
        idx = self.rng.choice(len(self.images), self.batch_size, replace=False)
        which = self.labels[idx] * len(self.templates) + self.rng.integers(0, len(self.templates), len(idx))
        loss = clip_loss(self.model.image(self.images[idx]), self.model.text(self.captions[which]), self.model.scale())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()


def _check_clip(model) -> None:
    if not isinstance(model, TinyCLIP):
        raise TypeError(f"model must be a TinyCLIP, got {type(model).__name__}")


@torch.no_grad()
def embed_images(model: TinyCLIP, images: np.ndarray) -> torch.Tensor:
    """Unit image embeddings. Shape: (N, 8, 8) -> (N, D)."""
    _check_clip(model)
    images = check_array(images, "images", ndim=3)
    model.eval()
    return F.normalize(model.image(torch.as_tensor(images, dtype=torch.float32)), dim=1)


@torch.no_grad()
def embed_prompts(model: TinyCLIP, template: str) -> torch.Tensor:
    """Unit text embeddings of the ten prompts ``template.format(name)``. Shape: (10, D).

    Raises a ValueError saying what is wrong with a bad template (see :func:`check_prompt`).
    """
    _check_clip(model)
    problem = check_prompt(template)
    if problem:
        raise ValueError(problem)
    model.eval()
    return F.normalize(model.text(encode_text([template.format(n) for n in NAMES])), dim=1)


def zero_shot_predict(image_emb: torch.Tensor, prompt_emb: torch.Tensor) -> np.ndarray:
    r"""The class of each image: :math:`\hat y_i = \arg\max_k \mathbf a_i^\top \mathbf b_k` over the prompts.

    Shape:
        image_emb: (N, D); prompt_emb: (K, D) -> (N,) int64.
    """
    check_tensor(image_emb, "image_emb")
    check_tensor(prompt_emb, "prompt_emb")
    if image_emb.dim() != 2 or prompt_emb.dim() != 2 or image_emb.shape[1] != prompt_emb.shape[1]:
        raise ValueError(f"image_emb (N, D) and prompt_emb (K, D) must share D, got {tuple(image_emb.shape)} "
                         f"and {tuple(prompt_emb.shape)}")
    return (image_emb @ prompt_emb.T).argmax(dim=1).numpy()             # (N, K) -> (N,)


def zero_shot_accuracy(model: TinyCLIP, images: np.ndarray, labels: np.ndarray, template: str = TEMPLATES[0]) -> float:
    """Fraction of ``images`` whose most similar prompt ``template.format(name)`` names their label.

    Shape:
        images: (N, 8, 8); labels: (N,) ints in [0, 10).
    """
    labels = check_array(labels, "labels", ndim=1, dtype="int")
    pred = zero_shot_predict(embed_images(model, images), embed_prompts(model, template))
    if pred.shape != labels.shape:
        raise ValueError(f"labels must have shape {pred.shape}, got {labels.shape}")
    return float((pred == labels).mean())
