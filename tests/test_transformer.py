"""helpers.transformer.gpt (the tiny GPT), helpers.transformer.tasks (digit reversal), notebook 11's apps,
figures and exercise checks."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch_twin import assert_close

from helpers.transformer import attention as A
from helpers.transformer import tasks as S
from helpers.apps import ch11_transformer as app11
from helpers.exercises import ch11
from helpers.core.metrics import count_parameters
from helpers.rnn.charlm import generate
from helpers.transformer.gpt import GPT, Block, CausalSelfAttention, GPTConfig
from helpers.ui.player import TrainingPlayer


def _gpt(**kw) -> GPT:
    torch.manual_seed(0)
    cfg = dict(vocab_size=11, block_size=9, n_layer=2, n_head=2, n_embd=16)
    cfg.update(kw)
    return GPT(GPTConfig(**cfg))


@pytest.mark.parametrize("pos", ["learned", "sinusoidal", "none"])
@pytest.mark.parametrize("N, T", [(1, 1), (3, 5), (2, 9)])
def test_gpt_output_shape(pos, N, T):
    assert _gpt(pos=pos)(torch.zeros(N, T, dtype=torch.long)).shape == (N, T, 11)


def test_causal_model_never_reads_the_future():
    model = _gpt().eval()
    x = torch.randint(0, 11, (2, 9), generator=torch.Generator().manual_seed(0))
    x2 = x.clone()
    x2[:, 6:] = (x2[:, 6:] + 1) % 11
    with torch.no_grad():
        a, b = model(x), model(x2)
    assert torch.allclose(a[:, :6], b[:, :6], atol=1e-6) and not torch.allclose(a[:, 6:], b[:, 6:])


def test_without_position_and_mask_the_model_is_permutation_equivariant():
    x, _ = S.make_reversal_data(4, 9, seed=0)
    assert S.permutation_equivariance_gap(_gpt(pos="none", causal=False), x) < 1e-5
    assert S.permutation_equivariance_gap(_gpt(pos="learned", causal=False), x) > 1e-3
    assert S.permutation_equivariance_gap(_gpt(pos="sinusoidal", causal=False), x) > 1e-3


@pytest.mark.parametrize("causal", [True, False])
def test_attention_maps_shape_rows_and_agreement_with_the_fused_path(causal):
    model = _gpt(causal=causal).eval()
    x = torch.randint(0, 11, (3, 7), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        fused = model(x)
    maps = model.attention_maps(x)
    assert maps.shape == (2, 3, 2, 7, 7)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 3, 2, 7), atol=1e-6)
    if causal:
        assert torch.all(maps.triu(1) == 0)
    for block in model.blocks:  # the flag is switched off again and nothing is kept
        assert not block.attn.store and block.attn.last_att is None
    blocks = model.blocks
    for b in blocks:
        b.attn.store = True
    with torch.no_grad():
        spelled_out = model(x)
    for b in blocks:
        b.attn.store = False
    assert torch.allclose(fused, spelled_out, atol=1e-5)  # formula == torch's fused kernel


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("N, T, D, h", [(1, 1, 4, 1), (2, 5, 8, 2), (3, 6, 12, 3)])
def test_torch_attention_layer_equals_our_numpy_multi_head_attention(causal, N, T, D, h):
    torch.manual_seed(N + T)
    layer = CausalSelfAttention(GPTConfig(block_size=8, n_head=h, n_embd=D, causal=causal)).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0, 0.5)
    x = np.random.default_rng(0).standard_normal((N, T, D))
    # c_attn / c_proj are in nn.MultiheadAttention's in_proj / out_proj layout, so the weights copy across
    params = A.MHAParams(*(t.detach().numpy() for t in (layer.c_attn.weight, layer.c_attn.bias,
                                                      layer.c_proj.weight, layer.c_proj.bias)))
    ours, _ = A.multi_head_attention_forward(x, x, x, params, h, causal=causal)
    assert_close(ours, layer(torch.from_numpy(x)).detach().numpy(), what="attention layer")


def test_sinusoidal_table_is_the_numpy_one_and_not_trained():
    model = _gpt(pos="sinusoidal")
    assert np.allclose(model.positions(9).numpy(), A.positional_encoding(9, 16), atol=1e-6)
    assert all("pe" not in name for name, _ in model.named_parameters())
    assert torch.all(_gpt(pos="none").positions(4) == 0)


def test_weight_tying_and_parameter_count():
    model = _gpt()
    assert model.lm_head.weight is model.wte.weight
    D, K, T, L = 16, 11, 9, 2
    per_block = 2 * 2 * D + (3 * D * D + 3 * D) + (D * D + D) + (4 * D * D + 4 * D) + (4 * D * D + D)
    assert count_parameters(model) == K * D + T * D + L * per_block + 2 * D
    assert isinstance(model.blocks[0], Block)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(n_embd=10, n_head=3), r"n_embd must be divisible by n_head, got n_embd=10, n_head=3"),
    (dict(pos="rotary"), r"pos must be one of \['learned', 'sinusoidal', 'none'\], got 'rotary'"),
    (dict(n_layer=0), r"n_layer must be in \[1, inf\], got 0"),
    (dict(dropout=1.5), r"dropout must be in \[0.0, 1.0\], got 1.5"),
])
def test_config_validation(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        GPTConfig(**kwargs)


def test_forward_validation():
    model = _gpt()
    with pytest.raises(ValueError, match=r"ids must be an int64 tensor of shape \(N, T\), got torch.float32 tensor of shape \(2, 3\)"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"sequence length T must be in \[1, 9\], got 10"):
        model(torch.zeros(1, 10, dtype=torch.long))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 11\), got range \[0, 11\]"):
        model(torch.tensor([[0, 11]]))


def test_generate_is_seeded_and_greedy_at_low_temperature():
    model = _gpt()
    prompt = np.array([1, 2, 3])
    a = generate(model, prompt, 12, 1.0, seed=3)
    assert a.shape == (15,) and np.array_equal(a[:3], prompt) and np.array_equal(a, generate(model, prompt, 12, 1.0, seed=3))
    greedy = generate(model, prompt, 1, 1e-3, seed=0)
    with torch.no_grad():
        assert greedy[-1] == int(model(torch.tensor([[1, 2, 3]]))[0, -1].argmax())
    with pytest.raises(ValueError, match=r"temperature must be in \(0.0, 100.0\], got 0.0"):
        generate(model, prompt, 5, 0.0)
    with pytest.raises(ValueError, match=r"prompt_ids must be a non-empty 1-D array, got shape \(0,\)"):
        generate(model, np.array([], dtype=np.int64), 5)


def test_forward_state_is_the_last_block_size_ids_reread():
    model = _gpt()  # block_size 9
    model.eval()
    ids = torch.tensor([[1, 2, 3, 4, 5, 6, 7]])
    logits, state = model.forward_state(ids)
    assert torch.equal(state, ids) and torch.equal(logits, model(ids))
    logits, state = model.forward_state(torch.tensor([[8, 9, 10]]), state)  # 10 ids: the first drops out
    assert torch.equal(state, torch.tensor([[2, 3, 4, 5, 6, 7, 8, 9, 10]]))
    assert torch.equal(logits, model(state))


def test_one_sampler_serves_the_lstm_and_the_transformer():
    from helpers.core.data import CharVocab
    from helpers.rnn.charlm import TextSampler
    from helpers.rnn.models import CharLSTM
    from helpers.ui.sampling import SamplingPanel

    vocab = CharVocab("def class import return # abcdefghij\n")
    torch.manual_seed(0)
    for model in (CharLSTM(len(vocab), embed_dim=4, hidden_size=8),
                  GPT(GPTConfig(vocab_size=len(vocab), block_size=16, n_layer=1, n_head=2, n_embd=8))):
        sampler = TextSampler(model, vocab)
        text = sampler.sample("def ", 30, 1.0, seed=2)  # longer than the GPT's block: the window slides
        assert text.startswith("def ") and len(text) == 34 and text == sampler.sample("def ", 30, 1.0, seed=2)
        assert np.isclose(sampler.next_probs("class ", 0.5).sum(), 1.0)
        assert sampler.entropy("# ", 0.1) < sampler.entropy("# ", 1.0) < sampler.entropy("# ", 10.0)
        status = SamplingPanel(sampler, "test model").update(temperature=0.3, length=40)
        assert "40 characters sampled" in status and "repetitive" in status
    with pytest.raises(ValueError, match="sampler must have labels, next_probs, entropy and sample"):
        SamplingPanel(object(), "nothing")


# ----------------------------------------------------------------------------- the reversal task
def test_reversal_data():
    x, y = S.make_reversal_data(5, 7, seed=0)
    assert x.shape == y.shape == (5, 7) and np.array_equal(y, x[:, ::-1]) and x.dtype == np.int64
    assert np.array_equal(x, S.make_reversal_data(5, 7, seed=0)[0])
    with pytest.raises(ValueError, match=r"length must be in \[1, 18\], got 19"):
        S.make_reversal_data(5, 19)


def test_reversal_is_learned_with_position_and_not_without():
    x_val, y_val = S.make_reversal_data(200, 6, seed=1)
    results = {}
    for pos in ("learned", "none"):
        model = app11.reversal_model(length=6, n_layer=1, pos=pos)
        hist = S.train_reversal(model, x_val, y_val, steps=150, plot=False, progress=False)
        assert hist["eval_step"][-1] == 150 and len(hist["loss"]) == 150
        results[pos] = S.exact_match(model, x_val, y_val)
    assert results["learned"] >= 0.99 and results["none"] <= 0.05


def test_metrics_on_a_known_model():
    class Echo(torch.nn.Module):  # predicts its input: right exactly where the string is a palindrome
        def forward(self, ids):
            return torch.nn.functional.one_hot(ids, 10).float()
    x = np.array([[1, 2, 1], [1, 2, 3]])
    assert S.exact_match(Echo(), x, x[:, ::-1]) == 0.5
    assert S.token_accuracy(Echo(), x, x[:, ::-1]) == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match=r"y must have shape \(2, 3\), got \(2, 2\)"):
        S.exact_match(Echo(), x, x[:, :2])


# ----------------------------------------------------------------------------- apps and figures
def test_attention_explorer_reports_the_mirror_attention():
    app = app11.AttentionExplorer()
    status = app.update(layer=0, head=0, example=0)
    assert "reversed correctly" in status and "mirror position" in status
    assert app.maps.shape[0] == app.n_layer and app.maps.shape[-1] == app.T


def test_sampling_explorer_needs_model_and_vocab_together():
    with pytest.raises(ValueError, match="give both model and vocab, or neither"):
        app11.SamplingExplorer(_gpt(), None)


def test_sampling_explorer_default_build_and_statuses():
    app = app11.SamplingExplorer()
    cold = app.update(temperature=0.05)
    hot = app.update(temperature=5.0)
    assert "repetitive" in cold and "noise" in hot
    entropy = [float(s.split("entropy ")[1].split(" bits")[0]) for s in (cold, hot)]
    assert entropy[0] < 1.0 < entropy[1]


def test_reversal_session_with_the_training_player():
    player = TrainingPlayer(app11.ReversalSession(length=6), lr=3e-3, lr_range=(1e-4, 1e-1))
    status = player.run(60)
    assert player.step_count == 60 and player.losses[-1] < player.losses[0]
    assert "reversed exactly" in status
    player.reset()
    assert player.step_count == 0 and player.session.losses == []


def test_static_figures():
    assert isinstance(app11.plot_positional_encoding(32, 16), Figure)
    model = app11.reversal_model(length=5)
    fig = app11.plot_attention_grid(model, np.arange(5))
    assert isinstance(fig, Figure) and len(fig.axes) == 4 + 1  # four panels and their shared colour bar


# ----------------------------------------------------------------------------- exercises
def test_exercise_checks_accept_solutions_and_reject_mistakes(capsys):
    assert ch11.check_causal_mask(ch11.causal_mask_solution)
    assert not ch11.check_causal_mask(lambda T: ...)
    assert "not attempted yet" in capsys.readouterr().out
    fb = ch11.check_causal_mask(lambda T: np.triu(np.ones((T, T), dtype=bool)))
    assert not fb and "transposed" in fb.message
    fb = ch11.check_causal_mask(lambda T: np.tril(np.ones((T, T), dtype=bool), -1))
    assert not fb and "diagonal" in fb.message
    fb = ch11.check_causal_mask(lambda T: np.tril(np.ones((T, T))))
    assert not fb and "booleans" in fb.message

    assert ch11.check_attention_weights(ch11.attention_weights_solution)
    assert not ch11.check_attention_weights(lambda q, k: ...)
    fb = ch11.check_attention_weights(lambda q, k: A.masked_softmax(q @ k.T))
    assert not fb and "scaling" in fb.message
    fb = ch11.check_attention_weights(lambda q, k: np.exp(q @ k.T / 2) / np.exp(q @ k.T / 2).sum(1, keepdims=True))
    assert not fb and "maximum" in fb.message

    assert ch11.check_mha_parameter_count(ch11.mha_parameter_count_solution(**ch11.MHA_SIZE))
    assert ch11.check_mha_parameter_count(count_parameters(torch.nn.MultiheadAttention(64, 4)))
    fb = ch11.check_mha_parameter_count(4 * 64 * 64)
    assert not fb and "biases" in fb.message
    assert not ch11.check_mha_parameter_count(...)


def test_bpc_comparison_figure_puts_both_models_and_baselines_on_one_chart():
    hists = {"LSTM": {"step": list(range(1, 201)), "val_bpc": [3.5, 3.1]},
             "GPT": {"step": list(range(1, 201)), "val_bpc": [3.7, 3.4]}}
    fig = app11.bpc_comparison_figure(hists, {"unigram": 4.6, "bigram": 3.8}, eval_every=100)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "held-out bits per character"
    model_lines = [ln for ln in ax.get_lines() if ln.get_label().startswith(("LSTM", "GPT"))]
    assert [list(ln.get_xdata()) for ln in model_lines] == [[100, 200], [100, 200]]
    assert len(ax.get_lines()) == 4  # two models, two baselines
