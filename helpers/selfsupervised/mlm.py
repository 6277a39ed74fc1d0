r"""BERT-style masked-language-model pre-training of a small transformer encoder, then fine-tuning (notebook 18).

**Pre-training** (Devlin et al., 2019, "BERT", section 3.1): hide some of the words of a text and
train the model to fill them in from both sides. Each position is *selected* with probability
15 %; a selected word is replaced by ``[mask]`` 80 % of the time, by a random word 10 % of the
time and left as it is 10 % of the time (:func:`apply_masking`), so the model cannot tell which
words it will be asked about. The loss is the cross-entropy over the selected positions only:

.. math:: \mathcal L_{\text{MLM}} = -\frac{1}{|M|} \sum_{t \in M} \log p_\theta(x_t \mid \tilde{\mathbf x}),

with :math:`M` the selected positions and :math:`\tilde{\mathbf x}` the corrupted text.

**The encoder** is notebook 11's transformer (:class:`helpers.transformer.gpt.GPT`) with
``causal=False``: the same blocks, but every word attends to the whole snippet. Its read-out
(tied to the word embedding) predicts the hidden words; :meth:`TextEncoder.forward` averages
the last hidden states into one vector per snippet for a classifier.

**The text** is the course's frozen corpus (a selection of the standard library's source, see
``data/README.md``) read as *words*: lower-case runs of letters (``self.max_width`` gives
``self``, ``max``, ``width``), each word seen at least ``min_count`` times in the pre-training
text getting an id (:class:`WordVocab`). Each module's first 80 % is pre-training text; its
last 20 % is never seen before the test.

**The labelled task** (:func:`make_snippet_task`): which of four modules (``statistics``,
``difflib``, ``dataclasses``, ``functools``) a snippet of 32 words comes from, learned from a
handful of labelled snippets per module, by the pre-trained encoder and by the same architecture
from random weights (:func:`compare_finetuning`).
"""
from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checks import check_array, check_range, check_seed, check_tensor, check_type
from helpers.core.data import load_corpus
from helpers.core.metrics import accuracy
from helpers.representation.transfer import few_shot_subset, train
from helpers.transformer.gpt import GPT, GPTConfig

__all__ = ["words_of", "split_modules", "WordVocab", "ModuleCorpus", "load_module_corpus", "apply_masking",
           "mask_tokens", "TextEncoder", "mlm_loss", "pretrain_mlm", "SnippetTask", "make_snippet_task",
           "compare_finetuning", "IGNORE", "TASK_MODULES"]

IGNORE = -100                      # the target of a position that is not predicted (F.cross_entropy's ignore_index)
TASK_MODULES = ("statistics", "difflib", "dataclasses", "functools")


def words_of(text: str) -> list[str]:
    """Lower-case runs of letters: the words of a piece of source code.

    Example:
        >>> words_of("def mean(data):  # arithmetic MEAN")
        ['def', 'mean', 'data', 'arithmetic', 'mean']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return re.findall(r"[a-z]+", text.lower())


def split_modules(text: str) -> dict[str, str]:
    """The corpus cut at its ``# ==== name.py ====`` headers: ``{module name: source}``, in order."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    parts = re.split(r"^# ==== (\w+)\.py ====\n", text, flags=re.M)
    if len(parts) < 3:
        raise ValueError("no '# ==== name.py ====' headers found: is this the course corpus (data/corpus.txt)?")
    return dict(zip(parts[1::2], parts[2::2]))


class WordVocab:
    """Word ids: 0 is ``[unk]`` (a rare or unseen word), 1 is ``[mask]``, the words follow, sorted.

    Example:
        >>> v = WordVocab(["a", "b", "a", "c", "a", "b"], min_count=2)
        >>> v.itos, v.encode(["a", "c", "b"]).tolist()
        (['[unk]', '[mask]', 'a', 'b'], [2, 0, 3])
    """

    UNK, MASK, FIRST_WORD = 0, 1, 2

    def __init__(self, words: list[str], min_count: int = 10) -> None:
        check_range(min_count, "min_count", 1, None, integer=True)
        counts = Counter(words)
        self.itos = ["[unk]", "[mask]"] + sorted(w for w, c in counts.items() if c >= min_count)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, words: list[str]) -> np.ndarray:
        """Words -> ids (unknown words -> 0). Shape: (T,) int64."""
        return np.fromiter((self.stoi.get(w, self.UNK) for w in words), dtype=np.int64, count=len(words))

    def decode(self, ids) -> list[str]:
        """Ids -> words. Shape: (T,) -> T strings."""
        ids = check_array(ids, "ids", ndim=1, dtype="int", allow_empty=True)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must lie in [0, {len(self)}), got range [{ids.min()}, {ids.max()}]")
        return [self.itos[i] for i in ids]


@dataclass(frozen=True)
class ModuleCorpus:
    """The corpus as word ids: ``pretrain`` (every module's first part, concatenated), and per module
    the ``train`` part (the same text, for labelled snippets) and the held-out ``test`` part."""

    vocab: WordVocab
    pretrain: np.ndarray               # (T_pre,) int64
    train: dict[str, np.ndarray]
    test: dict[str, np.ndarray]


def load_module_corpus(min_count: int = 10, test_fraction: float = 0.2) -> ModuleCorpus:
    """Read ``data/corpus.txt`` as words, module by module; the last ``test_fraction`` of each is held out.

    Example:
        >>> corpus = load_module_corpus()
        >>> len(corpus.vocab), sorted(corpus.test)[:2]
        (782, ['bisect', 'calendar'])
    """
    check_range(test_fraction, "test_fraction", 0.05, 0.5)
    words = {name: words_of(src) for name, src in split_modules(load_corpus()).items()}
    cut = {name: int(len(w) * (1 - test_fraction)) for name, w in words.items()}
    vocab = WordVocab([x for name, w in words.items() for x in w[:cut[name]]], min_count)
    train_ids = {name: vocab.encode(w[:cut[name]]) for name, w in words.items()}
    test_ids = {name: vocab.encode(w[cut[name]:]) for name, w in words.items()}
    return ModuleCorpus(vocab, np.concatenate(list(train_ids.values())), train_ids, test_ids)


def apply_masking(ids: np.ndarray, selected: np.ndarray, u: np.ndarray, random_ids: np.ndarray,
                  mask_id: int = WordVocab.MASK) -> tuple[np.ndarray, np.ndarray]:
    r"""BERT's 80/10/10 rule, given the random draws: where ``selected``, the input becomes
    ``mask_id`` if :math:`u < 0.8`, ``random_ids`` if :math:`0.8 \le u < 0.9`, and stays itself otherwise;
    the target is the original id at selected positions and :data:`IGNORE` elsewhere.

    Shape:
        ids, selected (bool), u (floats in [0, 1)), random_ids: all the same shape, e.g. (N, T).
        Returns (inputs, targets), the same shape, int64.

    Example:
        >>> ids = np.array([5, 6, 7, 8])
        >>> inputs, targets = apply_masking(ids, np.array([True, True, True, False]),
        ...                                 np.array([0.5, 0.85, 0.95, 0.1]), np.array([9, 9, 9, 9]))
        >>> inputs.tolist(), targets.tolist()
        ([1, 9, 7, 8], [5, 6, 7, -100])
    """
    ids = check_array(ids, "ids", dtype="int")
    selected = np.asarray(selected)
    if selected.dtype != bool or selected.shape != ids.shape:
        raise ValueError(f"selected must be a bool array of shape {ids.shape}, got {selected.dtype} {selected.shape}")
    u = check_array(u, "u", shape=ids.shape)
    random_ids = check_array(random_ids, "random_ids", shape=ids.shape, dtype="int")
    inputs = ids.copy()
    inputs[selected & (u < 0.8)] = mask_id
    swap = selected & (u >= 0.8) & (u < 0.9)
    inputs[swap] = random_ids[swap]
    targets = np.where(selected, ids, IGNORE)
    return inputs, targets


def mask_tokens(ids: np.ndarray, rng: np.random.Generator, vocab_size: int, rate: float = 0.15,
                mask_id: int = WordVocab.MASK, first_word: int = WordVocab.FIRST_WORD) -> tuple[np.ndarray, np.ndarray]:
    """Select each position with probability ``rate`` and corrupt it by :func:`apply_masking`
    (random replacements are real words, ids in [first_word, vocab_size)).

    Shape:
        ids: (N, T) int -> (inputs, targets), both (N, T) int64.
    """
    ids = check_array(ids, "ids", dtype="int")
    check_range(rate, "rate", 0.0, 1.0)
    check_range(vocab_size, "vocab_size", first_word + 1, None, integer=True)
    selected = rng.random(ids.shape) < rate
    return apply_masking(ids, selected, rng.random(ids.shape), rng.integers(first_word, vocab_size, ids.shape), mask_id)


class TextEncoder(nn.Module):
    r"""Notebook 11's transformer as a bidirectional encoder (``GPTConfig(causal=False)``).

    * :meth:`hidden`: the last layer's states after the final layer norm, one per word;
    * :meth:`forward`: their mean, one vector per snippet (what a classifier reads);
    * ``self.gpt(ids)``: the word logits of every position (the MLM read-out).

    Shape:
        ids: (N, T) int64 -> hidden (N, T, D); forward (N, D).

    Example:
        >>> enc = TextEncoder(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=16, causal=False))
        >>> enc(torch.zeros(3, 8, dtype=torch.long)).shape
        torch.Size([3, 16])
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        check_type(config, "config", GPTConfig)
        if config.causal:
            raise ValueError("a masked language model reads both directions: the config needs causal=False")
        self.gpt = GPT(config)
        self.dim = config.n_embd

    def hidden(self, ids: torch.Tensor) -> torch.Tensor:
        g = self.gpt
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64 or ids.dim() != 2:
            raise ValueError(f"ids must be an int64 tensor of shape (N, T), got {getattr(ids, 'dtype', type(ids))}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= g.config.vocab_size):
            raise ValueError(f"ids must lie in [0, {g.config.vocab_size}), got [{int(ids.min())}, {int(ids.max())}]")
        if ids.shape[1] > g.config.block_size:
            raise ValueError(f"ids hold sequences of {ids.shape[1]} tokens, longer than the block size "
                             f"{g.config.block_size}")
        x = g.drop(g.wte(ids) + g.positions(ids.shape[1]))             # (N, T, D)
        for block in g.blocks:
            x = block(x)
        return g.ln_f(x)                                                # (N, T, D)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.hidden(ids).mean(dim=1)                             # (N, D)


def mlm_loss(encoder: TextEncoder, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the selected positions (``targets != IGNORE``) only.

    The read-out runs on the selected positions alone (about 15 % of them), which gives the same
    number as ``F.cross_entropy`` over all logits with ``ignore_index=-100`` at a sixth of the cost.

    Shape:
        inputs, targets: (N, T) int64 -> a scalar.
    """
    check_type(encoder, "encoder", TextEncoder)
    check_tensor(inputs, "inputs", ndim=2, dtype="int")
    check_tensor(targets, "targets", dtype="int")
    if targets.shape != inputs.shape:
        raise ValueError(f"targets must have the shape of inputs {tuple(inputs.shape)}, got {tuple(targets.shape)}")
    picked = targets != IGNORE                                          # (N, T) bool
    if not bool(picked.any()):
        raise ValueError("no position is selected (every target is IGNORE): nothing to predict")
    V = encoder.gpt.config.vocab_size
    if int(targets[picked].min()) < 0 or int(targets[picked].max()) >= V:
        raise ValueError(f"targets must be word ids in [0, {V - 1}] or IGNORE ({IGNORE}), got values from "
                         f"{int(targets[picked].min())} to {int(targets[picked].max())}")
    h = encoder.hidden(inputs)[picked]                                  # (M, D)
    return F.cross_entropy(encoder.gpt.lm_head(h), targets[picked])


def pretrain_mlm(corpus: ModuleCorpus, *, steps: int = 800, batch_size: int = 32, seq_len: int = 32,
                 lr: float = 5e-3, n_embd: int = 48, n_layer: int = 1, n_head: int = 4, seed: int = 0,
                 progress: bool = False, on_step: Callable[[int, dict], None] | None = None) -> tuple[TextEncoder, dict]:
    """Masked-language-model pre-training on random windows of ``corpus.pretrain``.

    Adam with a linear warm-up over the first 50 steps (a transformer's first updates are the
    unstable ones). ``history`` holds the loss and the accuracy on the selected words.

    Returns:
        (encoder, {"step": [...], "loss": [...], "masked_accuracy": [...]}).
    """
    check_type(corpus, "corpus", ModuleCorpus, "a ModuleCorpus (see load_module_corpus)")
    check_range(steps, "steps", 1, None, integer=True)
    check_range(batch_size, "batch_size", 1, None, integer=True)
    check_range(seq_len, "seq_len", 2, len(corpus.pretrain) - 1, integer=True)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_seed(seed)
    torch.manual_seed(seed)
    V = len(corpus.vocab)
    encoder = TextEncoder(GPTConfig(vocab_size=V, block_size=seq_len, n_layer=n_layer, n_head=n_head,
                                    n_embd=n_embd, causal=False))
    opt = torch.optim.Adam(encoder.parameters(), lr=lr)
    warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50))
    rng = np.random.default_rng(seed)
    history: dict[str, list] = {"step": [], "loss": [], "masked_accuracy": []}
    from helpers.core.progress import Progress

    for step in Progress(range(1, steps + 1), desc="MLM", show=progress):
        starts = rng.integers(0, len(corpus.pretrain) - seq_len, batch_size)
        windows = corpus.pretrain[starts[:, None] + np.arange(seq_len)]  # (N, T)
        inputs, targets = (torch.from_numpy(a) for a in mask_tokens(windows, rng, V))
        picked = targets != IGNORE
        if not bool(picked.any()):
            continue
        logits = encoder.gpt.lm_head(encoder.hidden(inputs)[picked])     # (M, V)
        loss = F.cross_entropy(logits, targets[picked])
        opt.zero_grad()
        loss.backward()
        opt.step()
        warmup.step()
        history["step"].append(step)
        history["loss"].append(loss.item())
        history["masked_accuracy"].append(float((logits.argmax(1) == targets[picked]).float().mean()))
        if on_step is not None:
            on_step(step, {k: v[-1] for k, v in history.items() if k != "step"})
    encoder.eval()
    return encoder, history


@dataclass(frozen=True)
class SnippetTask:
    """Snippets of ``seq_len`` words labelled by module: a labelled pool and a held-out test set.

    Shape:
        ``X_pool``: (P, T) int64; ``y_pool``: (P,); ``X_test``: (M, T); ``y_test``: (M,).
    """

    modules: tuple[str, ...]
    X_pool: torch.Tensor
    y_pool: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def make_snippet_task(corpus: ModuleCorpus, modules=TASK_MODULES, seq_len: int = 32, pool_per_module: int = 200,
                      test_per_module: int = 150, seed: int = 0) -> SnippetTask:
    """Random windows of each module's pre-training part (the pool) and of its held-out part (the test).

    Example:
        >>> task = make_snippet_task(load_module_corpus())
        >>> tuple(task.X_pool.shape), tuple(task.X_test.shape)
        ((800, 32), (600, 32))
    """
    check_type(corpus, "corpus", ModuleCorpus, "a ModuleCorpus (see load_module_corpus)")
    check_range(seq_len, "seq_len", 1, None, integer=True)
    check_range(pool_per_module, "pool_per_module", 1, None, integer=True)
    check_range(test_per_module, "test_per_module", 1, None, integer=True)
    check_seed(seed)
    modules = tuple(modules)
    unknown = sorted(set(modules) - set(corpus.train))
    if unknown or len(modules) < 2:
        raise ValueError(f"modules must be at least 2 of {sorted(corpus.train)}, got {list(modules)}")
    rng = np.random.default_rng(seed)

    def windows(ids: np.ndarray, n: int) -> np.ndarray:
        if len(ids) <= seq_len:
            raise ValueError(f"a module part has {len(ids)} words, not more than seq_len = {seq_len}")
        starts = rng.integers(0, len(ids) - seq_len, n)
        return ids[starts[:, None] + np.arange(seq_len)]                 # (n, T)

    def labelled(parts: dict[str, np.ndarray], n: int) -> tuple[torch.Tensor, torch.Tensor]:
        X = np.concatenate([windows(parts[m], n) for m in modules])
        return torch.from_numpy(X), torch.from_numpy(np.repeat(np.arange(len(modules)), n))

    return SnippetTask(modules, *labelled(corpus.train, pool_per_module), *labelled(corpus.test, test_per_module))


def compare_finetuning(encoder: TextEncoder, task: SnippetTask, seeds=(0, 1, 2, 3, 4), n_per_class: int = 8,
                       steps: int = 60, lr: float = 3e-3) -> dict[str, np.ndarray]:
    """Fine-tune the pre-trained encoder and train the same architecture from scratch, on the same
    ``n_per_class`` labelled snippets per module, with the same head initialisation, minibatches,
    optimiser and number of steps (every weight trained at ``lr`` in both); test accuracies per seed.

    Returns:
        ``{"pre-trained": (S,), "from scratch": (S,)}``.
    """
    check_type(encoder, "encoder", TextEncoder)
    check_type(task, "task", SnippetTask, "a SnippetTask (see make_snippet_task)")
    check_type(seeds, "seeds", (list, tuple, range), "a list, tuple or range of seeds")
    for s in seeds:
        check_seed(s, "each of seeds")
    check_range(n_per_class, "n_per_class", 1, None, integer=True)
    K = len(task.modules)
    out: dict[str, list[float]] = {"pre-trained": [], "from scratch": []}
    for seed in seeds:
        idx = few_shot_subset(task.y_pool, n_per_class, seed)
        X, y = task.X_pool[idx], task.y_pool[idx]
        torch.manual_seed(50 + seed)
        bodies = {"pre-trained": copy.deepcopy(encoder), "from scratch": TextEncoder(encoder.gpt.config)}
        for name, body in bodies.items():
            torch.manual_seed(seed)                                     # the same head for both
            model = nn.Sequential(body.train(), nn.Linear(body.dim, K))
            train(model, X, y, steps=steps, lr=lr, mode="scratch", batch_size=32, seed=seed)
            model.eval()
            out[name].append(accuracy(model, task.X_test, task.y_test))
    return {name: np.array(values) for name, values in out.items()}
