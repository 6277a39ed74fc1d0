"""Notebook 18: BERT masking and the MLM loss, the transformer as an encoder, the tiny CLIP, the apps, the exercises."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.apps import ch18_self_supervised as apps
from helpers.exercises import ch18
from helpers.selfsupervised import clip, mlm
from helpers.transformer.gpt import GPTConfig


@pytest.fixture(scope="module")
def corpus():
    return mlm.load_module_corpus()


def _encoder(V: int, T: int = 16) -> mlm.TextEncoder:
    torch.manual_seed(0)
    return mlm.TextEncoder(GPTConfig(vocab_size=V, block_size=T, n_layer=1, n_head=2, n_embd=16, causal=False))


def test_words_and_vocab():
    assert mlm.words_of("self._max_width = 3") == ["self", "max", "width"]
    v = mlm.WordVocab(["x", "y", "x"], min_count=2)
    assert v.itos == ["[unk]", "[mask]", "x"] and v.decode(v.encode(["y", "x"])) == ["[unk]", "x"]
    with pytest.raises(ValueError, match="ids must lie"):
        v.decode([5])
    with pytest.raises(ValueError, match="headers"):
        mlm.split_modules("no headers here")


def test_apply_masking_follows_the_80_10_10_rule():
    ids = np.arange(10, 16)
    selected = np.array([True, True, True, True, False, False])
    u = np.array([0.0, 0.79, 0.8, 0.9, 0.1, 0.85])
    inputs, targets = mlm.apply_masking(ids, selected, u, np.full(6, 99), mask_id=1)
    assert inputs.tolist() == [1, 1, 99, 13, 14, 15]
    assert targets.tolist() == [10, 11, 12, 13, -100, -100]
    assert np.array_equal(ids, np.arange(10, 16))                 # the input is not modified
    with pytest.raises(ValueError, match="selected must be a bool"):
        mlm.apply_masking(ids, u, u, ids)


def test_mask_tokens_rates():
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 500, size=(200, 100))
    inputs, targets = mlm.mask_tokens(ids, rng, vocab_size=500)
    selected = targets != mlm.IGNORE
    assert abs(selected.mean() - 0.15) < 0.01
    masked = (inputs == 1) & selected
    unchanged = (inputs == ids) & selected
    assert abs(masked.sum() / selected.sum() - 0.8) < 0.02
    assert abs(unchanged.sum() / selected.sum() - 0.1) < 0.02  # (+ random draws of the same word, ~0.02 %)
    assert np.all(inputs[~selected] == ids[~selected]) and inputs.min() >= 1


@pytest.mark.parametrize("N, T", [(1, 4), (3, 16), (5, 9)])
def test_mlm_loss_equals_cross_entropy_with_ignore_index(N, T):
    rng = np.random.default_rng(N)
    enc = _encoder(40)
    x, t = (torch.as_tensor(a) for a in mlm.mask_tokens(rng.integers(2, 40, (N, T)), rng, 40, rate=0.5))
    t[0, 0] = 7                                                    # at least one selected position
    full = F.cross_entropy(enc.gpt(x).transpose(1, 2), t, ignore_index=-100)
    assert mlm.mlm_loss(enc, x, t).item() == pytest.approx(full.item(), abs=1e-6)
    with pytest.raises(ValueError, match="no position is selected"):
        mlm.mlm_loss(enc, x, torch.full_like(t, mlm.IGNORE))


def test_text_encoder_reads_both_ways_and_checks_input():
    enc = _encoder(20).eval()
    ids = torch.randint(0, 20, (2, 8))
    other = ids.clone()
    other[:, -1] = (other[:, -1] + 1) % 20
    assert (enc.hidden(ids)[:, 0] - enc.hidden(other)[:, 0]).abs().max() > 1e-5
    assert enc(ids).shape == (2, 16)
    with pytest.raises(ValueError, match="causal=False"):
        mlm.TextEncoder(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=4, causal=True))
    with pytest.raises(ValueError, match="ids must lie"):
        enc(torch.full((1, 4), 25))


def test_corpus_snippets_and_a_short_pretraining(corpus):
    task = mlm.make_snippet_task(corpus, seq_len=16, pool_per_module=10, test_per_module=5)
    assert task.X_pool.shape == (40, 16) and task.y_test.tolist() == sorted(task.y_test.tolist())
    assert set(corpus.test["difflib"][:50].tolist()) <= set(range(len(corpus.vocab)))
    with pytest.raises(ValueError, match="modules must be"):
        mlm.make_snippet_task(corpus, modules=("nope", "difflib"))
    enc, hist = mlm.pretrain_mlm(corpus, steps=3, batch_size=4, seq_len=16, n_embd=16)
    assert hist["step"] == [1, 2, 3] and all(np.isfinite(hist["loss"]))
    out = mlm.compare_finetuning(enc, task, seeds=(0,), n_per_class=2, steps=2)
    assert set(out) == {"pre-trained", "from scratch"} and out["pre-trained"].shape == (1,)


# ----------------------------------------------------------------------------- CLIP
@pytest.mark.parametrize("N, D, scale", [(2, 3, 1.0), (8, 5, 14.3), (4, 16, 100.0)])
def test_clip_loss_matches_numpy_symmetric_cross_entropy(N, D, scale):
    rng = np.random.default_rng(N)
    a, b = rng.normal(size=(N, D)), rng.normal(size=(N, D))
    au, bu = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    L = scale * au @ bu.T

    def ce(logits):
        m = logits.max(axis=1, keepdims=True)
        return np.mean(m[:, 0] + np.log(np.exp(logits - m).sum(axis=1)) - np.diag(logits))

    got = clip.clip_loss(torch.tensor(a), torch.tensor(b), scale).item()
    assert got == pytest.approx((ce(L) + ce(L.T)) / 2, abs=1e-10)


@pytest.mark.parametrize("prompt, match", [("", "empty"), ("a {} {}", "exactly one"), ("digit {}!", "cannot read"),
                                           ("a very very long prompt about {} ok", "too long"), (None, "empty")])
def test_bad_prompts_get_a_sentence(prompt, match):
    assert match in clip.check_prompt(prompt)


def test_good_prompt_and_text_encoding():
    assert clip.check_prompt("a handwritten {}") is None
    assert clip.encode_text(["one"]).shape == (1, clip.MAX_CHARS)
    with pytest.raises(ValueError, match="letters and spaces"):
        clip.encode_text(["7"])
    enc = clip.CharTextEncoder()
    ids = clip.encode_text(["seven"])
    padded_differently = torch.cat([ids[:, :6], torch.zeros(1, clip.MAX_CHARS - 6, dtype=torch.int64)], dim=1)
    assert torch.allclose(enc(ids), enc(padded_differently))


def test_train_clip_is_seeded_and_session_replays_it():
    X_train, X_test, y_train, y_test = apps.digits_split(0)
    model, hist = clip.train_clip(X_train, y_train, steps=4, batch_size=16, seed=2)
    again, hist2 = clip.train_clip(X_train, y_train, steps=4, batch_size=16, seed=2)
    assert hist["loss"] == hist2["loss"]
    session = apps.CLIPTrainingSession(seed=2, batch_size=16, split=(X_train, X_test, y_train, y_test))
    losses = [session.step(3e-3) for _ in range(4)]
    assert losses == pytest.approx(hist["loss"], abs=1e-6)
    status = session.draw()
    assert "4 updates" in status and "zero-shot accuracy" in status
    session.reset()
    assert session.losses == [] and "untrained" in session.draw()
    pred = clip.zero_shot_predict(clip.embed_images(model, X_test[:5]), clip.embed_prompts(model, "the digit {}"))
    assert pred.shape == (5,) and pred.dtype == np.int64
    with pytest.raises(ValueError, match="exactly one"):
        clip.embed_prompts(model, "no braces")


def test_zero_shot_app_explains_bad_prompts_and_contrastive_app_checks_values():
    X_train, X_test, y_train, y_test = apps.digits_split(0)
    model, _ = clip.train_clip(X_train, y_train, steps=2, batch_size=16)
    app = apps.ZeroShotExplorer(model, X_test[:30], y_test[:30])
    assert app.update(prompt="", digit=0).startswith("⚠") and "empty" in app.update(prompt="  ", digit=1)
    assert "zero-shot accuracy" in app.update(prompt="the digit {}", digit=29)
    from helpers.selfsupervised.simclr import sweep

    explorer = apps.ContrastiveExplorer(sweep((0.5,), (0.0, 0.5), steps=2, batch_size=16), n_show=4)
    assert "nothing to become invariant to" in explorer.update(temperature=0.5, strength=0.0)
    with pytest.raises(ValueError, match="temperature must be one of"):
        explorer.update(temperature=0.3, strength=0.5)


# ----------------------------------------------------------------------------- exercises
def test_exercise_solutions_pass():
    assert ch18.check_nt_xent_pair(ch18.solution_nt_xent_pair)
    assert ch18.check_mask_step(ch18.solution_mask_step)
    assert ch18.check_zero_shot(ch18.solution_zero_shot)


def test_exercise_typical_mistakes_get_specific_messages():
    def no_positive_in_denominator(a, p, negs, tau):
        cos = lambda x: x @ a / (np.linalg.norm(x, axis=-1) * np.linalg.norm(a))  # noqa: E731
        return float(np.log(np.exp(cos(negs) / tau).sum()) - cos(p) / tau)

    assert "include the positive" in ch18.check_nt_xent_pair(no_positive_in_denominator).message

    def mask_everything(ids, selected, u, random_ids, mask_id):
        inputs = ids.copy()
        inputs[selected] = mask_id
        return inputs, np.where(selected, ids, -100)

    assert "only 80 %" in ch18.check_mask_step(mask_everything).message

    def targets_everywhere(ids, selected, u, random_ids, mask_id):
        return ch18.solution_mask_step(ids, selected, u, random_ids, mask_id)[0], ids.copy()

    assert "-100" in ch18.check_mask_step(targets_everywhere).message
    assert "normalise" in ch18.check_zero_shot(lambda a, b: np.argmax(a @ b.T, axis=1)).message
    assert "axis 1" in ch18.check_zero_shot(lambda a, b: np.argmax(a @ b.T, axis=0)).message
    assert "not attempted" in ch18.check_zero_shot(lambda a, b: ...).message
