"""helpers.rnn.models, helpers.rnn.memory, notebook 10's apps and exercise checks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.rnn import memory as memory_tasks, cells as rnn
from helpers.apps.ch10_rnn import CharSampler, GradientFlowExplorer, describe_flow
from helpers.core.data import CharVocab
from helpers.exercises import ch10
from helpers.core.metrics import count_parameters
from helpers.rnn.charlm import generate
from helpers.rnn.models import CharLSTM, SequenceClassifier
from torch_twin import assert_close
from exercise_grading import assert_grades


# ----------------------------------------------------------------------------- CharLSTM
def test_charlstm_shapes_and_parameter_count():
    model = CharLSTM(vocab_size=20, embed_dim=8, hidden_size=16)
    assert model(torch.zeros(3, 7, dtype=torch.long)).shape == (3, 7, 20)
    # embedding + LSTM (4 gates, two biases) + read-out
    assert count_parameters(model) == 20 * 8 + 4 * 16 * (8 + 16 + 2) + 16 * 20 + 20
    assert count_parameters(CharLSTM(96)) == 98_400


def test_charlstm_state_carries_over_chunks():
    torch.manual_seed(0)
    model = CharLSTM(11, embed_dim=4, hidden_size=6, num_layers=2).eval()
    ids = torch.randint(0, 11, (2, 9))
    whole = model(ids)
    first, state = model.forward_state(ids[:, :4])
    second, _ = model.forward_state(ids[:, 4:], state)
    assert_close(torch.cat([first, second], 1).detach().numpy(), whole.detach().numpy(), atol=1e-6)


def test_charlstm_layer_matches_our_numpy_lstm():
    torch.manual_seed(1)
    model = CharLSTM(9, embed_dim=5, hidden_size=7).double()
    ids = torch.randint(0, 9, (3, 6))
    emb = model.embed(ids).detach().numpy().transpose(1, 0, 2)  # (T, N, D)
    from helpers.rnn.bptt import sequence_forward

    outputs, _, _ = sequence_forward("lstm", emb, rnn.params_from_torch(model.lstm))
    ref, _ = model.lstm(model.embed(ids))
    assert_close(outputs.transpose(1, 0, 2), ref.detach().numpy(), what="LSTM outputs")


def test_generate_is_stepwise_equivalent_and_deterministic():
    torch.manual_seed(2)
    model = CharLSTM(12, embed_dim=4, hidden_size=8)
    prompt = np.array([1, 2, 3])
    a = generate(model, prompt, length=30, temperature=0.7, seed=5)
    b = generate(model, prompt, length=30, temperature=0.7, seed=5)
    assert a.shape == (33,) and np.array_equal(a, b) and np.array_equal(a[:3], prompt)
    # at a tiny temperature sampling is greedy: each character is the argmax given the full prefix
    greedy = generate(model, prompt, length=10, temperature=1e-4, seed=0)
    with torch.no_grad():
        logits = model(torch.from_numpy(greedy[None, :-1]))[0]  # (T, K)
    assert np.array_equal(logits.argmax(-1).numpy()[2:], greedy[3:])
    assert model.training  # restored


def test_models_reject_bad_input():
    model = CharLSTM(5)
    with pytest.raises(ValueError, match=r"ids must be an int64 tensor of shape \(N, T\), got torch.float32"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 5\), got range \[0, 7\]"):
        model(torch.tensor([[0, 7]]))
    with pytest.raises(ValueError, match="vocab_size must be in"):
        CharLSTM(0)
    with pytest.raises(ValueError, match="temperature must be in"):
        generate(model, np.array([1]), temperature=0.0)
    with pytest.raises(ValueError, match=r"model must have a forward_state\(ids, state\) method .*, got Linear"):
        generate(torch.nn.Linear(2, 2), np.array([1]))
    with pytest.raises(ValueError, match="prompt_ids must be a non-empty 1-D array"):
        generate(model, np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match=r"cell must be one of \['rnn', 'lstm', 'gru'\], got 'tcn'"):
        SequenceClassifier("tcn", 3, 4, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\) with D = 3, got \(1, 5, 4\)"):
        SequenceClassifier("gru", 3, 4, 2)(torch.zeros(1, 5, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\)"):
        SequenceClassifier("gru", 3, 4, 2)(torch.zeros(2, 3))


def test_sequence_classifier_forget_bias_opens_the_gate():
    model = SequenceClassifier("lstm", 3, 4, 2, forget_bias=4.0)
    fresh = SequenceClassifier("lstm", 3, 4, 2)
    b = model.rnn.bias_hh_l0.detach()
    assert torch.all(b[4:8] > 3.0) and torch.all(fresh.rnn.bias_hh_l0.detach()[4:8].abs() < 1)


# ----------------------------------------------------------------------------- memory tasks
def test_recall_batch_encodes_the_message_first_and_the_query_last():
    x, y = memory_tasks.recall_batch(6, 9, 4, np.random.default_rng(0), n_distractors=3)
    assert x.shape == (6, 9, 8) and x.dtype == np.float32 and y.shape == (6,)
    assert np.array_equal(x[:, 0].argmax(1), y)
    assert np.all(x.sum(-1) == 1)
    assert np.all((x[:, 1:-1].argmax(-1) >= 4) & (x[:, 1:-1].argmax(-1) < 7))
    assert np.all(x[:, -1, 7] == 1)
    with pytest.raises(ValueError, match="seq_len must be in"):
        memory_tasks.recall_batch(2, 1, 4, np.random.default_rng(0))


def test_train_memory_models_returns_histories():
    hist = memory_tasks.train_memory_models(cells=("rnn", "gru"), seq_len=5, steps=4, eval_every=2,
                                            hidden_size=4, plot=False, progress=False)
    assert set(hist) == {"rnn", "gru"}
    assert hist["gru"]["step"] == [2, 4] and all(0 <= a <= 1 for a in hist["gru"]["acc"])
    with pytest.raises(ValueError, match=r"cell must be one of \['rnn', 'lstm', 'gru'\], got 'tcn'"):
        memory_tasks.train_memory_models(cells=("tcn",), plot=False, progress=False)


def test_clipping_run_caps_nothing_but_the_step():
    hist = memory_tasks.clipping_run(1.0, steps=5)
    assert len(hist["loss"]) == 5 and all(np.isfinite(hist["loss"]))
    with pytest.raises(ValueError, match="clip must be in"):
        memory_tasks.clipping_run(-1.0)


# ----------------------------------------------------------------------------- apps
def test_gradient_flow_status_names_the_regime():
    app = GradientFlowExplorer()
    assert "vanished" in app.update(cell="rnn", gain=0.5)
    assert "exploded" in app.update(cell="rnn", gain=3.0)
    assert "carried back" in app.update(cell="lstm", gain=1.0, forget_bias=4.0)
    assert describe_flow(0.5).startswith("carried back")


@pytest.fixture(scope="module")
def tiny_lm():
    torch.manual_seed(0)
    vocab = CharVocab("def class import return # abc\n")
    return CharLSTM(len(vocab), embed_dim=4, hidden_size=8), vocab


def test_char_sampler_with_a_given_model(tiny_lm):
    model, vocab = tiny_lm
    app = CharSampler(model, vocab, description="test model")
    status = app.update(temperature=0.5, seed=1, length=40, prompt="class ")
    assert "test model" in status and "40 characters sampled" in status
    assert app.text.get_text().startswith("class ")
    probs = app.next_char_probs("def ", 0.05)
    assert np.isclose(probs.sum(), 1) and np.all(np.isfinite(probs))
    hot, cold = app.next_char_probs("def ", 5.0), app.next_char_probs("def ", 0.2)
    assert hot.max() < cold.max()  # a higher temperature flattens the distribution
    with pytest.raises(ValueError, match="CharSampler needs a CharLSTM and its vocabulary"):
        CharSampler(model, CharVocab("ab"))


def test_char_sampler_default_model_says_so():
    status = CharSampler().update()
    assert "tiny CharLSTM" in status


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check,solution,wrong", [
    (ch10.check_rnn_step, ch10.rnn_step_solution, lambda x, h, Wi, Wh, b: x @ Wi.T + h @ Wh.T + b),
    (ch10.check_lstm_update, ch10.lstm_update_solution, lambda i, f, g, o, c: (f * c + i * g, o * (f * c + i * g))),
    (ch10.check_clip_by_global_norm, ch10.clip_by_global_norm_solution,
     lambda grads, m: [g * min(1.0, m / np.linalg.norm(g)) for g in grads]),
])
def test_exercise_checks_accept_the_solution_and_reject_a_wrong_answer(check, solution, wrong, capsys):
    bad = assert_grades(check, solution, wrong, capsys)
    assert ("tanh" in bad.message) or ("each array" in bad.message)
    crash = check(lambda *args: 1 / 0)
    assert not crash.ok and "ZeroDivisionError" in crash.message
