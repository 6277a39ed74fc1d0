"""Per-entry plausible calls for ``tests/test_bad_input.py``: ``helpers.core``, the packages of
notebooks 01-11 (basics, autograd, training, cnn, rnn, transformer) and ``helpers.representation``.

``ENTRY_ARGS`` maps an entry's full name (``module.qualname``) to a factory that returns the keyword
arguments of one plausible call. Factories build fresh objects each time (a call may mutate them).
Sizes are tiny (a hidden size of 4, two steps) so that every entry runs in well under a second.
``SKIPS`` lists the entries of these packages that cannot be probed generically, with the reason.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


def _tensor(a: np.ndarray):
    from helpers.autograd.tensor import Tensor
    return Tensor(a)


def _long_tensor(ids):
    import torch
    return torch.tensor(ids, dtype=torch.int64)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _x(*shape: int) -> np.ndarray:
    """Deterministic float64 values in [-1, 1] of the given shape."""
    n = int(np.prod(shape))
    return np.linspace(-1, 1, n).reshape(shape) if n > 1 else np.full(shape, 0.5)


# ---- core ---------------------------------------------------------------------------------------

def _figure():
    from helpers.core.figures import new_figure
    fig = new_figure(2, 1.5, dpi=20)
    fig.add_subplot().plot([0, 1], [0, 1])
    return fig


def _ax():
    return _figure().axes[0]


def _idx_bytes() -> bytes:
    import struct
    return struct.pack(">HBB", 0, 0x08, 1) + struct.pack(">I", 3) + bytes([1, 2, 3])


def _record_step() -> dict[str, Any]:
    from helpers.core.loop import new_history
    return {"history": new_history("loss"), "step": 0, "on_step": None}


# ---- basics -------------------------------------------------------------------------------------

def _neuron_cache():
    from helpers.basics.neuron import neuron_forward
    y, cache = neuron_forward(_x(4, 2), np.array([0.5, -0.5]), 0.1)
    return cache


def _softmax_cache():
    from helpers.basics.losses import softmax_forward
    return softmax_forward(_x(4, 3))[1]


def _perceptron():
    from helpers.basics.neuron import logic_gate, train_perceptron
    X, y = logic_gate("AND")
    return {"X": X, "y": y, "result": train_perceptron(X, y, max_epochs=2)}


def _layers():
    from helpers.basics.mlp import init_mlp
    return init_mlp([3, 4, 2], _rng())


def _problem():
    from helpers.basics.gradient_descent import make_linear_problem
    return make_linear_problem(n=8)


# ---- autograd -----------------------------------------------------------------------------------

def _root():
    from helpers.autograd.tensor import Tensor
    a = Tensor(np.array([1.0, -2.0]), name="a")
    b = Tensor(np.array([0.5, 3.0]), name="b")
    out = (a * b + a).sum()
    out.backward()
    return out


def _trace():
    from helpers.autograd.graph import trace
    nodes, edges = trace(_root())
    return {"nodes": nodes, "edges": edges}


def _autograd_mlp():
    from helpers.autograd.modules import MLP
    return MLP([3, 4, 2], seed=0)


# ---- training -----------------------------------------------------------------------------------

def _batchnorm():
    return {"x": _x(4, 3), "gamma": np.ones(3), "beta": np.zeros(3),
            "running_mean": np.zeros(3), "running_var": np.ones(3)}


def _batchnorm_cache():
    from helpers.training.batchnorm import batchnorm_forward
    return batchnorm_forward(**_batchnorm())[1]


def _dropout_cache():
    from helpers.training.regularization import dropout_forward
    return dropout_forward(_x(4, 3), p=0.5, rng=_rng())[1]


def _weights():
    return [_x(3, 4) * 0.5, _x(4, 2) * 0.5]


def _deep_trace():
    from helpers.training.deepnet import forward_backward
    return forward_backward(_x(4, 3), _weights())


def _digits_task():
    from helpers.core.data import Split
    rng = _rng()
    X = rng.normal(size=(12, 64)).astype(np.float32)
    y = np.arange(12) % 10
    return Split(X[:8], y[:8], X[8:10], y[8:10], X[10:], y[10:])


def _run_config():
    from helpers.training.digits_lab import RunConfig
    return RunConfig(hidden=(4,), epochs=1, batch_size=4)


def _run_result():
    from helpers.training.digits_lab import RunResult
    return RunResult(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], train_acc=[0.5, 0.7], val_acc=[0.4, 0.6],
                     step_loss=[1.0, 0.7, 0.5], grad_norm=[1.0, 0.5, 0.4], lrs=[0.1, 0.1, 0.1],
                     best_epoch=1, test_acc=0.6)


def _surface():
    from helpers.training.trajectories import ill_conditioned_bowl
    return ill_conditioned_bowl()


def _trajectory_runs():
    from helpers.training.trajectories import run_trajectory
    return {"sgd": run_trajectory(_surface(), "sgd", lr=0.01, steps=3)}


def _tiny_torch_classifier():
    import torch
    torch.manual_seed(0)
    return torch.nn.Linear(3, 3)


def _linear_layer():
    import torch
    torch.manual_seed(0)
    return torch.nn.Linear(3, 2)


def _tiny_models():
    from helpers.training.deepnet import torch_mlp
    return {"relu": torch_mlp([3, 4, 2], seed=0)}


# ---- cnn ----------------------------------------------------------------------------------------

def _conv_cache():
    from helpers.cnn.conv import conv2d_forward
    return conv2d_forward(_x(1, 1, 4, 4), _x(2, 1, 3, 3), np.zeros(2))[1]


def _naive_conv_cache():
    from helpers.cnn.conv import conv2d_naive_forward
    return conv2d_naive_forward(_x(1, 1, 4, 4), _x(2, 1, 3, 3), np.zeros(2))[1]


def _pool_cache(kind: str):
    from helpers.cnn import conv
    forward = conv.maxpool2d_forward if kind == "max" else conv.avgpool2d_forward
    return forward(_x(1, 2, 4, 4), 2)[1]


def _cnn_split():
    from helpers.core.data import Split
    rng = _rng()
    X = rng.normal(size=(12, 1, 8, 8)).astype(np.float32)
    y = np.arange(12) % 10
    return Split(X[:8], y[:8], X[8:10], y[8:10], X[10:], y[10:])


def _make_digits_mlp():
    from helpers.cnn.models import DigitsMLP
    return DigitsMLP()


# ---- rnn ----------------------------------------------------------------------------------------

def _cell(cell: str):
    from helpers.rnn.cells import init_params
    return init_params(cell, 3, 4, _rng())


def _cell_cache(cell: str):
    from helpers.rnn import cells
    p = _cell(cell)
    if cell == "lstm":
        return cells.lstm_cell_forward(_x(2, 3), _x(2, 4), _x(2, 4), p)[2]
    forward = cells.rnn_cell_forward if cell == "rnn" else cells.gru_cell_forward
    return forward(_x(2, 3), _x(2, 4), p)[1]


def _sequence_caches():
    from helpers.rnn.bptt import sequence_forward
    out = sequence_forward("rnn", _x(3, 2, 3), _cell("rnn"))
    return {"cell": "rnn", "d_outputs": np.ones((3, 2, 4)), "caches": out[-1]}


def _torch_rnn():
    import torch
    torch.manual_seed(0)
    return torch.nn.RNN(3, 4)


def _char_corpus():
    from helpers.core.data import CharVocab
    from helpers.rnn.charlm import CharCorpus
    text = "the cat sat on the mat. " * 20
    vocab = CharVocab(text)
    ids = np.asarray(vocab.encode(text))
    return CharCorpus(text=text, vocab=vocab, train=ids[:300], val=ids[300:])


def _char_lstm():
    import torch
    from helpers.rnn.models import CharLSTM
    torch.manual_seed(0)
    return CharLSTM(len(_char_corpus().vocab), embed_dim=4, hidden_size=4)


# ---- transformer --------------------------------------------------------------------------------

def _attention_cache():
    from helpers.transformer.attention import attention_forward
    return attention_forward(_x(2, 3, 4), _x(2, 3, 4), _x(2, 3, 4) * 0.5)[1]


def _mha_params():
    from helpers.transformer.attention import init_mha_params
    return init_mha_params(4, _rng())


def _mha_cache():
    from helpers.transformer.attention import multi_head_attention_forward
    x = _x(2, 3, 4)
    return multi_head_attention_forward(x, x, x, _mha_params(), 2)[1]


def _layer_norm_cache():
    from helpers.transformer.attention import layer_norm_forward
    return layer_norm_forward(_x(2, 4), np.ones(4), np.zeros(4))[1]


def _gpt_config():
    from helpers.transformer.gpt import GPTConfig
    return GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8)


def _reversal():
    import torch
    from helpers.transformer.gpt import GPT
    from helpers.transformer.tasks import make_reversal_data
    torch.manual_seed(0)
    x, y = make_reversal_data(4, length=4, vocab=10, seed=0)
    return {"model": GPT(_gpt_config()), "x_val": x, "y_val": y, "steps": 1, "batch_size": 2,
            "eval_every": 1, "plot": False, "progress": False}


# ---- representation -----------------------------------------------------------------------------

def _ratings():
    from helpers.representation.recommender import make_ratings
    return make_ratings(n_users=6, n_items=5, dim=2, density=0.8, seed=0)


def _embedding_cache():
    from helpers.representation.embeddings import embedding_forward
    return embedding_forward(_x(5, 3), np.array([0, 2, 2, 4]))[1]


def _mf_model():
    from helpers.representation.recommender import MatrixFactorization
    return MatrixFactorization(6, 5, dim=2)


def _tasks():
    import torch
    from helpers.representation.transfer import Tasks
    g = torch.Generator().manual_seed(0)
    X = torch.rand(20, 64, generator=g)
    y = torch.arange(20) % 5
    return Tasks(X[:10], y[:10], X[10:], y[10:], X[:10], y[:10], X[10:], y[10:])


def _feature_mlp():
    from helpers.representation.transfer import FeatureMLP
    return FeatureMLP()


def _gpt():
    import torch
    from helpers.transformer.gpt import GPT
    torch.manual_seed(0)
    return GPT(_gpt_config())


def _reversal_pairs():
    from helpers.transformer.tasks import make_reversal_data
    x, y = make_reversal_data(3, length=4, vocab=10, seed=1)
    return {"model": _gpt(), "x": x, "y": y}


def _transfer_train():
    import torch
    from helpers.representation.transfer import make_classifier
    return {"model": make_classifier(), "X": torch.rand(6, 64, generator=torch.Generator().manual_seed(0)),
            "y": torch.arange(6) % 5, "steps": 2, "batch_size": 4}


def _lstm_sampling_call():
    from helpers.rnn.decoding import LSTMDecoder, seed_noise
    decoder = LSTMDecoder(_char_lstm())
    logits, state = decoder.start(np.array([1, 2]))
    return {"decoder": decoder, "logits": logits, "state": state, "log_q": seed_noise(0, 3, logits.shape[0]),
            "temperature": 1.0}


ENTRY_ARGS: dict[str, Callable[[], dict[str, Any]]] = {
    "helpers.rnn.decoding.LSTMDecoder": lambda: {"model": _char_lstm()},
    "helpers.rnn.decoding.seed_noise": lambda: {"seed": 0, "steps": 3, "vocab_size": 5},
    "helpers.rnn.decoding.sample_ids": _lstm_sampling_call,
    "helpers.transformer.decoding.GPTDecoder": lambda: {"model": _gpt()},
    # entries the name table serves with values their call rejects: a call that works
    "helpers.autograd.graph.node_label": lambda: {"node": _root()},
    "helpers.autograd.modules.MLP": lambda: {"sizes": [3, 4, 2], "activation": "tanh"},
    "helpers.autograd.modules.SGD": lambda: {"params": _autograd_mlp().parameters(), "lr": 0.1},
    "helpers.autograd.modules.cross_entropy": lambda: {"logits": _tensor(_x(4, 3)), "y": np.array([0, 1, 2, 1])},
    "helpers.basics.losses.binary_cross_entropy_with_logits": lambda: {
        "logits": _x(4), "targets": np.array([0.0, 1.0, 1.0, 0.0])},
    "helpers.basics.losses.binary_cross_entropy_with_logits_grad": lambda: {
        "logits": _x(4), "targets": np.array([0.0, 1.0, 1.0, 0.0])},
    "helpers.basics.mlp.fit_relu_network": lambda: {"x": _x(8), "y": _x(8) ** 2, "n_units": 3},
    "helpers.basics.neuron.best_linear_accuracy": lambda: {"X": _x(4, 2), "y": np.array([0, 1, 0, 1]), "n_angles": 8},
    "helpers.basics.neuron.neuron_forward": lambda: {"X": _x(4, 2), "w": np.array([0.5, -0.5]), "b": 0.1},
    "helpers.basics.neuron.perceptron_predict": lambda: {"X": _x(4, 2), "w": np.array([0.5, -0.5]), "b": 0.1},
    "helpers.basics.neuron.perceptron_update": lambda: {"x": np.array([1.0, 0.0]), "y": 1, "w": np.array([0.5, -0.5]),
                                                        "b": 0.1},
    "helpers.basics.neuron.weighted_sum": lambda: {"X": _x(4, 2), "w": np.array([0.5, -0.5]), "b": 0.1},
    "helpers.cnn.conv.avgpool2d_forward": lambda: {"x": _x(1, 2, 4, 4), "kernel_size": 2},
    "helpers.cnn.conv.conv2d": lambda: {"x": _x(1, 1, 4, 4), "w": _x(2, 1, 3, 3), "b": np.zeros(2)},
    "helpers.cnn.conv.conv2d_forward": lambda: {"x": _x(1, 1, 4, 4), "w": _x(2, 1, 3, 3), "b": np.zeros(2)},
    "helpers.cnn.conv.conv2d_naive": lambda: {"x": _x(1, 1, 4, 4), "w": _x(2, 1, 3, 3), "b": np.zeros(2)},
    "helpers.cnn.conv.conv2d_naive_forward": lambda: {"x": _x(1, 1, 4, 4), "w": _x(2, 1, 3, 3), "b": np.zeros(2)},
    "helpers.cnn.conv.im2col": lambda: {"x": _x(1, 1, 4, 4), "kernel_size": 3},
    "helpers.cnn.conv.maxpool2d_forward": lambda: {"x": _x(1, 2, 4, 4), "kernel_size": 2},
    "helpers.core.data.train_val_test_split": lambda: {"X": _x(20, 3), "y": np.arange(20) % 2, "val": 0.2, "test": 0.2},
    "helpers.representation.pca.orthonormal_basis": lambda: {"A": _x(4, 2) ** 2 + np.eye(4, 2)},
    "helpers.representation.pca.projector": lambda: {"A": _x(4, 2) ** 2 + np.eye(4, 2)},
    "helpers.representation.transfer.train": _transfer_train,
    "helpers.rnn.bptt.sequence_forward": lambda: {"cell": "gru", "x": _x(3, 2, 3), "params": _cell("gru")},
    "helpers.rnn.charlm.bits_per_char": lambda: {"model": _char_lstm(), "ids": _char_corpus().val, "seq_len": 16},
    "helpers.rnn.charlm.check_ids": lambda: {"ids": _long_tensor([[1, 2, 3]]), "vocab_size": 5, "max_len": 8},
    "helpers.training.regularization.dropout_forward": lambda: {"x": _x(4, 3), "p": 0.5, "rng": _rng()},
    "helpers.training.regularization.mixup": lambda: {"x": _x(4, 3), "targets": np.eye(3)[[0, 1, 2, 0]], "rng": _rng()},
    "helpers.transformer.attention.layer_norm_forward": lambda: {"x": _x(2, 4), "gamma": np.ones(4), "beta": np.zeros(4)},
    "helpers.transformer.tasks.exact_match": _reversal_pairs,
    "helpers.transformer.tasks.permutation_equivariance_gap": lambda: {"model": _gpt(), "x": _reversal_pairs()["x"]},
    "helpers.transformer.tasks.predict": lambda: {"model": _gpt(), "x": _reversal_pairs()["x"]},
    "helpers.transformer.tasks.token_accuracy": _reversal_pairs,
    # core
    "helpers.core.checks.check_array": lambda: {"x": _x(4, 3), "name": "x"},
    "helpers.core.checks.check_choice": lambda: {"value": "a", "name": "kind", "choices": ["a", "b"]},
    "helpers.core.checks.check_range": lambda: {"value": 0.5, "name": "p", "low": 0.0, "high": 1.0},
    "helpers.core.checks.check_seed": lambda: {"seed": 0},
    "helpers.core.checks.check_type": lambda: {"value": 3, "name": "n", "types": int},
    "helpers.core.mnist.mnist_available": lambda: {"root": None, "split": "test"},
    "helpers.core.data.CharVocab": lambda: {"text": "hello world"},
    "helpers.core.data.load_corpus": lambda: {},
    "helpers.core.data.load_digits": lambda: {"flatten": True},
    "helpers.core.data.load_sample_photo": lambda: {"name": "china", "size": 16},
    "helpers.core.figures.FigureWithAlt": lambda: {"fig": _figure(), "alt": "A line rising from left to right."},
    "helpers.core.figures.render_png": lambda: {"fig": _figure()},
    "helpers.core.figures.show_figure": lambda: {"fig": _figure(), "alt": "A line rising from left to right."},
    "helpers.core.loop.record_step": _record_step,
    "helpers.core.loop.check_class_labels": lambda: {"model": _tiny_torch_classifier(), "X": _x(4, 3).astype(np.float32),
                                                     "y": np.array([0, 1, 2, 1])},
    "helpers.core.metrics.count_parameters": lambda: {"model": _linear_layer()},
    "helpers.core.mnist.parse_idx": lambda: {"raw": _idx_bytes()},
    "helpers.core.notebook.markdown_table": lambda: {"header": ["a", "b"], "rows": [[1, 2], [3, 4]]},
    "helpers.core.notebook.show": lambda: {"obj": _x},
    "helpers.core.plotting.LivePlot": lambda: {"metrics": ["loss"], "show": False},
    "helpers.core.plotting.grid_2d": lambda: {"x_range": (-1.0, 1.0), "y_range": (-1.0, 1.0), "n": 4},
    "helpers.core.plotting.plot_decision_boundary": lambda: {
        "ax": _ax(), "predict": lambda P: (P[:, 0] > 0).astype(int), "X": _x(4, 2), "y": np.array([0, 1, 0, 1]),
        "n": 4},
    # basics
    "helpers.basics.activations.get_activation": lambda: {"name": "relu"},
    "helpers.basics.gradient_descent.critical_learning_rate": lambda: {"curvature": 2.0},
    "helpers.basics.gradient_descent.get_surface": lambda: {"name": "bowl"},
    "helpers.basics.gradient_descent.gradient_descent": lambda: {
        "grad": lambda t: 2 * t, "theta0": np.array([1.0, -1.0]), "lr": 0.1, "n_steps": 2},
    "helpers.basics.gradient_descent.gradient_noise": lambda: {
        "problem": _problem(), "w": np.zeros(2), "batch_size": 2, "n_draws": 3, "rng": _rng()},
    "helpers.basics.gradient_descent.gradient_noise_theory": lambda: {
        "problem": _problem(), "w": np.zeros(2), "batch_size": 2},
    "helpers.basics.gradient_descent.minibatch_sgd": lambda: {
        "problem": _problem(), "w0": np.zeros(2), "lr": 0.1, "batch_size": 2, "n_epochs": 1.0, "rng": _rng()},
    "helpers.basics.losses.softmax_backward": lambda: {"dy": _x(4, 3), "cache": _softmax_cache()},
    "helpers.basics.mlp.fit_output_layer": lambda: {"H": _x(4, 3), "Y": _x(4, 2)},
    "helpers.basics.mlp.init_mlp": lambda: {"sizes": [3, 4, 2], "rng": _rng()},
    "helpers.basics.mlp.mlp_forward": lambda: {"X": _x(4, 3), "layers": _layers()},
    "helpers.basics.mlp.mlp_params": lambda: {"sizes": [3, 4, 2]},
    "helpers.basics.mlp.mlp_trace": lambda: {"X": _x(4, 3), "layers": _layers()},
    "helpers.basics.mlp.target_function": lambda: {"name": "wave"},
    "helpers.basics.neuron.logic_gate": lambda: {"name": "XOR"},
    "helpers.basics.neuron.neuron_backward": lambda: {"dy": _x(4), "cache": _neuron_cache()},
    "helpers.basics.neuron.plot_gate_lines": lambda: {"lines": {"AND": (np.array([1.0, 1.0]), -1.5)}},
    "helpers.basics.neuron.plot_perceptron": _perceptron,
    # autograd
    "helpers.autograd.gradcheck.relative_error": lambda: {"analytic": _x(3), "numeric": _x(3) + 1e-7},
    "helpers.autograd.graph.GraphDrawing": lambda: {"root": _root()},
    "helpers.autograd.graph.draw_graph": lambda: {"root": _root()},
    "helpers.autograd.graph.layout": _trace,
    "helpers.autograd.graph.trace": lambda: {"root": _root()},
    "helpers.autograd.modules.Linear": lambda: {"d_in": 3, "d_out": 2, "rng": _rng()},
    "helpers.autograd.modules.to_torch": lambda: {"mlp": _autograd_mlp()},
    "helpers.autograd.tensor.Tensor": lambda: {"data": _x(2, 3)},
    "helpers.autograd.tensor.topological_order": lambda: {"root": _root()},
    "helpers.autograd.tensor.unbroadcast": lambda: {"grad": _x(4, 3), "shape": (1, 3)},
    # training
    "helpers.training.batchnorm.batchnorm_backward": lambda: {"dy": _x(4, 3), "cache": _batchnorm_cache()},
    "helpers.training.batchnorm.batchnorm_forward": _batchnorm,
    "helpers.training.deepnet.forward_backward": lambda: {"X": _x(4, 3), "weights": _weights()},
    "helpers.training.deepnet.layer_stats": lambda: {"trace": _deep_trace()},
    "helpers.training.deepnet.torch_forward_backward": lambda: {"X": _x(4, 3), "weights": _weights()},
    "helpers.training.deepnet.train_full_batch": lambda: {
        "models": _tiny_models(), "X": _x(4, 3), "y": np.array([0, 1, 0, 1]), "steps": 2, "progress": False},
    "helpers.training.digits_lab.compare_runs": lambda: {
        "task": _digits_task(), "configs": {"tiny": _run_config()}, "show": False},
    "helpers.training.digits_lab.final": lambda: {"runs": [_run_result()], "name": "train_loss"},
    "helpers.training.digits_lab.plot_capacity": lambda: {"widths": [4], "results": [_run_result()]},
    "helpers.training.digits_lab.plot_steps": lambda: {"results": {"tiny": _run_result()}},
    "helpers.training.digits_lab.results_table": lambda: {"results": {"tiny": [_run_result()]}},
    "helpers.training.digits_lab.train_mlp": lambda: {"task": _digits_task(), "config": _run_config()},
    "helpers.training.init.calculate_gain": lambda: {"activation": "relu"},
    "helpers.training.init.copy_into_linear": lambda: {"layer": _linear_layer(), "W": _x(3, 2), "b": np.zeros(2)},
    "helpers.training.init.get_initializer": lambda: {"name": "he"},
    "helpers.training.init.init_weights": lambda: {"name": "xavier", "widths": [3, 4, 2], "rng": _rng()},
    "helpers.training.optim.Optimizer": lambda: {"params": [np.ones(3)], "lr": 0.1},
    "helpers.training.optim.make_optimizer": lambda: {"name": "adam", "params": [np.ones(3)]},
    "helpers.training.regularization.EarlyStopping": lambda: {"patience": 2, "min_delta": 0.0},
    "helpers.training.regularization.clip_grad_norm": lambda: {"grads": [_x(3), _x(2, 2)], "max_norm": 1.0},
    "helpers.training.regularization.dropout_backward": lambda: {"dy": _x(4, 3), "cache": _dropout_cache()},
    "helpers.training.regularization.l2_penalty": lambda: {"params": [_x(3), _x(2, 2)], "weight_decay": 0.01},
    "helpers.training.regularization.l2_penalty_grad": lambda: {"params": [_x(3), _x(2, 2)], "weight_decay": 0.01},
    "helpers.training.schedules.constant_lr": lambda: {"step": 1, "lr0": 0.1},
    "helpers.training.schedules.cosine_lr": lambda: {"step": 1, "lr0": 0.1, "total": 10},
    "helpers.training.schedules.schedule_values": lambda: {"name": "cosine", "lr0": 0.1, "n_steps": 4},
    "helpers.training.schedules.warmup_cosine_lr": lambda: {"step": 1, "lr0": 0.1, "warmup": 2, "total": 10},
    "helpers.training.schedules.warmup_lr": lambda: {"step": 1, "lr0": 0.1, "warmup": 2},
    "helpers.training.trajectories.draw_surface": lambda: {"ax": _ax(), "surface": _surface(), "n": 8, "levels": 3},
    "helpers.training.trajectories.fastest": lambda: {
        "surface": _surface(), "optimizer": "sgd", "lrs": [0.01, 0.02], "tol": 1e-2, "steps": 3},
    "helpers.training.trajectories.ill_conditioned_bowl": lambda: {"kappa": 25.0},
    "helpers.training.trajectories.plot_trajectories": lambda: {"surface": _surface(), "runs": _trajectory_runs()},
    "helpers.training.trajectories.rosenbrock": lambda: {"a": 1.0, "b": 100.0},
    "helpers.training.trajectories.run_trajectory": lambda: {"surface": _surface(), "steps": 3},
    "helpers.training.trajectories.ResumableRun": lambda: {"surface": _surface()},
    # cnn
    "helpers.cnn.conv.avgpool2d_backward": lambda: {"dy": _x(1, 2, 2, 2), "cache": _pool_cache("avg")},
    "helpers.cnn.conv.col2im": lambda: {"cols": _x(1, 9, 4), "x_shape": (1, 1, 4, 4), "kernel_size": 3},
    "helpers.cnn.conv.conv2d_backward": lambda: {"dy": _x(1, 2, 2, 2), "cache": _conv_cache()},
    "helpers.cnn.conv.conv2d_naive_backward": lambda: {"dy": _x(1, 2, 2, 2), "cache": _naive_conv_cache()},
    "helpers.cnn.conv.maxpool2d_backward": lambda: {"dy": _x(1, 2, 2, 2), "cache": _pool_cache("max")},
    "helpers.cnn.conv.receptive_field": lambda: {"kernel_sizes": [3, 3], "strides": [1, 2], "dilations": [1, 1]},
    "helpers.cnn.models.confusion_matrix": lambda: {
        "y_true": np.array([0, 1, 2, 1]), "y_pred": np.array([0, 2, 2, 1]), "classes": 3},
    "helpers.cnn.models.gradient_footprint": lambda: {"kernel_sizes": [3, 3], "strides": [1, 2], "size": 8},
    "helpers.cnn.models.train_and_test": lambda: {"make_model": _make_digits_mlp, "split": _cnn_split(), "epochs": 1},
    # rnn
    "helpers.rnn.bptt.clip_grad_norm": lambda: {"grads": [_x(3), _x(2, 2)], "max_norm": 1.0},
    "helpers.rnn.bptt.sequence_backward": _sequence_caches,
    "helpers.rnn.cells.gru_cell_backward": lambda: {"dy": _x(2, 4), "cache": _cell_cache("gru")},
    "helpers.rnn.cells.gru_cell_forward": lambda: {"x": _x(2, 3), "h": _x(2, 4), "p": _cell("gru")},
    "helpers.rnn.cells.lstm_cell_backward": lambda: {"dy": _x(2, 4), "dy_c": _x(2, 4), "cache": _cell_cache("lstm")},
    "helpers.rnn.cells.lstm_cell_forward": lambda: {"x": _x(2, 3), "h": _x(2, 4), "c": _x(2, 4), "p": _cell("lstm")},
    "helpers.rnn.cells.params_from_torch": lambda: {"module": _torch_rnn()},
    "helpers.rnn.cells.params_to_torch": lambda: {"params": _cell("rnn"), "module": _torch_rnn()},
    "helpers.rnn.cells.rnn_cell_backward": lambda: {"dy": _x(2, 4), "cache": _cell_cache("rnn")},
    "helpers.rnn.cells.rnn_cell_forward": lambda: {"x": _x(2, 3), "h": _x(2, 4), "p": _cell("rnn")},
    "helpers.rnn.charlm.TextSampler": lambda: {"model": _char_lstm(), "vocab": _char_corpus().vocab},
    "helpers.rnn.charlm.generate": lambda: {"model": _char_lstm(), "prompt_ids": np.array([1, 2, 3]), "length": 3},
    "helpers.rnn.charlm.load_char_corpus": lambda: {"val_fraction": 0.1},
    "helpers.rnn.charlm.train_char_model": lambda: {
        "model": _char_lstm(), "corpus": _char_corpus(), "steps": 2, "batch_size": 2, "seq_len": 4,
        "eval_every": 1, "plot": False, "progress": False},
    "helpers.rnn.memory.recall_batch": lambda: {"batch_size": 2, "seq_len": 6, "n_symbols": 3, "rng": _rng(),
                                                "n_distractors": 2},
    # transformer
    "helpers.transformer.attention.attention_backward": lambda: {"dy": _x(2, 3, 4), "cache": _attention_cache()},
    "helpers.transformer.attention.attention_forward": lambda: {"q": _x(2, 3, 4), "k": _x(2, 3, 4), "v": _x(2, 3, 4)},
    "helpers.transformer.attention.causal_mask": lambda: {"T_q": 3, "T_k": 4},
    "helpers.transformer.attention.init_mha_params": lambda: {"D": 4, "rng": _rng()},
    "helpers.transformer.attention.layer_norm_backward": lambda: {"dy": _x(2, 4), "cache": _layer_norm_cache()},
    "helpers.transformer.attention.masked_softmax": lambda: {"scores": _x(2, 3, 3), "mask": np.tril(np.ones((3, 3), bool))},
    "helpers.transformer.attention.mha_params_from_torch": lambda: {"module": _torch_mha()},
    "helpers.transformer.attention.multi_head_attention_backward": lambda: {"dy": _x(2, 3, 4), "cache": _mha_cache()},
    "helpers.transformer.attention.multi_head_attention_forward": lambda: {
        "x_q": _x(2, 3, 4), "x_k": _x(2, 3, 4), "x_v": _x(2, 3, 4), "params": _mha_params(), "num_heads": 2},
    "helpers.transformer.attention.positional_encoding": lambda: {"T": 4, "D": 4},
    "helpers.transformer.attention.scaled_dot_product_attention": lambda: {
        "q": _x(2, 3, 4), "k": _x(2, 3, 4), "v": _x(2, 3, 4), "causal": True},
    "helpers.transformer.gpt.Block": lambda: {"config": _gpt_config()},
    "helpers.transformer.gpt.CausalSelfAttention": lambda: {"config": _gpt_config()},
    "helpers.transformer.gpt.GPT": lambda: {"config": _gpt_config()},
    "helpers.transformer.gpt.MLP": lambda: {"config": _gpt_config()},
    "helpers.transformer.tasks.train_reversal": _reversal,
    # representation
    "helpers.representation.autoencoder.pca_from_decoder": lambda: {"decoder": _x(3, 2), "Xc": _x(5, 3)},
    "helpers.representation.autoencoder.reconstruction_error": lambda: {"X": _x(4, 3), "X_hat": _x(4, 3) * 0.9},
    "helpers.representation.embeddings.embedding_backward": lambda: {"dy": _x(4, 3), "cache": _embedding_cache()},
    "helpers.representation.embeddings.embedding_forward": lambda: {"weight": _x(5, 3), "indices": np.array([0, 2, 4])},
    "helpers.representation.embeddings.nearest_neighbours": lambda: {"vectors": _x(5, 3) + 0.1, "k": 2},
    "helpers.representation.embeddings.same_genre_rate": lambda: {
        "vectors": _x(5, 3) + 0.1, "labels": np.array([0, 1, 0, 1, 0]), "k": 2},
    "helpers.representation.pca.principal_angles": lambda: {"A": _x(4, 2), "B": _x(4, 2) ** 2 + 0.1},
    "helpers.representation.pca.projector_distance": lambda: {"A": _x(4, 2), "B": _x(4, 2) ** 2 + 0.1},
    "helpers.representation.plots.plot_codes": lambda: {"codes": {"pca": _x(4, 2)}, "labels": np.array([0, 1, 0, 1])},
    "helpers.representation.plots.plot_component_rows": lambda: {"rows": {"pca": _x(2, 64)}, "n": 2},
    "helpers.representation.plots.plot_item_map": lambda: {
        "coords": _x(4, 2), "labels": np.array([0, 1, 0, 1]), "names": ("a", "b")},
    "helpers.representation.plots.plot_rmse_vs_dim": lambda: {
        "dims": [1, 2], "train_rmse": [1.0, 0.8], "test_rmse": [1.1, 0.9], "baselines": {"mean": 1.2}},
    "helpers.representation.plots.plot_transfer": lambda: {"results": {"scratch": np.array([0.5, 0.6])}},
    "helpers.representation.recommender.MatrixFactorization": lambda: {"n_users": 6, "n_items": 5, "dim": 2},
    "helpers.representation.recommender.fit_biases": lambda: {"data": _ratings(), "sweeps": 2},
    "helpers.representation.recommender.predict_biases": lambda: {
        "biases": (3.5, np.zeros(6), np.zeros(5)), "users": np.array([0, 5]), "items": np.array([1, 4])},
    "helpers.representation.recommender.predict_mf": lambda: {
        "model": _mf_model(), "users": np.array([0, 5]), "items": np.array([1, 4])},
    "helpers.representation.recommender.train_mf": lambda: {"data": _ratings(), "dim": 2, "steps": 2},
    "helpers.representation.transfer.FeatureMLP": lambda: {"D": 64},
    "helpers.representation.transfer.compare_transfer": lambda: {
        "starts": {"a": _feature_mlp()}, "tasks": _tasks(), "seeds": (0,), "n_per_class": 1,
        "steps": 2},
    "helpers.representation.transfer.few_shot_subset": lambda: {"y": _tasks().y_pool, "n_per_class": 1},
    "helpers.representation.transfer.pretrain_supervised": lambda: {"tasks": _tasks(), "steps": 2},
    "helpers.core.progress.Progress": lambda: {"total": 3, "desc": "probe", "show": False},
    "helpers.core.checks.check_tensor": lambda: {"x": _tensor(_x(4, 3)), "name": "x"},
    "helpers.training.deepnet.validation_recorder": lambda: {
        "models": {"a": _tiny_torch_classifier()}, "X_val": _x(4, 3), "y_val": np.array([0, 1, 2, 0]), "every": 2},
    "helpers.training.deepnet.train_val_figure": lambda: {
        "history": {"a": [1.0, 0.8, 0.6, 0.5]}, "val_history": {"a": [0.9, 0.7]}, "every": 2},
    "helpers.training.digits_lab.plot_curves": lambda: {"results": {"a": [_run_result()]}},
    "helpers.training.digits_lab.plot_overfitting": lambda: {"result": _run_result()},
}


def _torch_mha():
    import torch
    torch.manual_seed(0)
    return torch.nn.MultiheadAttention(4, 2, batch_first=True)


_FILES = "; a probe passes a string as a path, and a missing file raises FileNotFoundError on purpose"
_VARARGS = "takes its inputs as *arrays, which a keyword call cannot pass; tests/test_gradcheck.py tests its bad input"
SKIPS: dict[str, str] = {
    "helpers.core.mnist.download_mnist": "downloads from the network; tests/test_mnist.py fakes the mirrors",
    "helpers.core.mnist.load_mnist": "reads the MNIST files" + _FILES + " (tests/test_mnist.py)",
    "helpers.core.mnist.read_idx": "reads a file" + _FILES + " (tests/test_mnist.py)",
    "helpers.core.mnist.write_idx": "writes a file: a probe of its path would create one named after the probe",
    "helpers.core.data.load_corpus": "reads data/corpus.txt" + _FILES,
    "helpers.autograd.modules.Module": "takes no arguments: nothing to probe",
    "helpers.basics.mlp.xor_network": "takes no arguments: nothing to probe",
    "helpers.core.data.load_digits": "takes only a flag (flatten): nothing to probe",
    "helpers.core.figures.apply_style": "takes only a flag (force): nothing to probe",
    "helpers.core.loop.new_history": "takes only *metrics (names), which a keyword call cannot pass",
    "helpers.autograd.gradcheck.gradcheck": _VARARGS,
    "helpers.autograd.gradcheck.numerical_gradient": _VARARGS,
}
