"""Per-entry plausible calls for ``tests/test_bad_input.py``: the packages of notebooks 12-20 (gan ... interpret).

``ENTRY_ARGS`` maps an entry's full name (``module.qualname``) to a factory that returns the keyword
arguments of one plausible call. Factories build fresh objects each time (a call may mutate them).
Everything is tiny (a handful of rows, a few hidden units, one or two steps): the whole table is
built at collection time and every entry is called about a dozen times.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch


def _t(*shape: int, start: float = -1.0, stop: float = 1.0) -> torch.Tensor:
    """A deterministic float32 tensor of the given shape (values spread over [start, stop])."""
    n = int(np.prod(shape))
    return torch.linspace(start, stop, n).reshape(shape)


def _a(*shape: int, start: float = -1.0, stop: float = 1.0) -> np.ndarray:
    """A deterministic float64 array of the given shape."""
    return np.linspace(start, stop, int(np.prod(shape))).reshape(shape)


# --- 12 GANs -----------------------------------------------------------------------------------

def _ring_trainer():
    from helpers.core.data import RingMixture
    from helpers.gan.train import GANTrainer, ring_gan_config

    return GANTrainer(ring_gan_config(batch_size=4, hidden=4, n_critic=1), RingMixture().sample)


def _critic():
    from helpers.gan.models import Discriminator

    return Discriminator(2, hidden=4, depth=1, generator=torch.Generator().manual_seed(0))


_GAN = {
    "helpers.gan.metrics.interpolate_latent": lambda: dict(z0=_a(2), z1=_a(2, start=1, stop=2), t=0.5),
    "helpers.gan.metrics.mode_coverage": lambda: dict(samples=_a(6, 2), centers=_a(3, 2), std=0.5),
    "helpers.gan.penalty.gradient_penalty": lambda: dict(critic=_critic(), real=_t(4, 2), fake=_t(4, 2, start=1)),
    "helpers.gan.plots.plot_ring_runs": lambda: dict(samples={"vanilla": _a(1, 6, 2)}, ring=__import__(
        "helpers.core.data", fromlist=["RingMixture"]).RingMixture(), n_show=4),
    "helpers.gan.train.GANTrainer": lambda: dict(
        config=__import__("helpers.gan.train", fromlist=["x"]).ring_gan_config(batch_size=4, hidden=4),
        sample_real=__import__("helpers.core.data", fromlist=["x"]).RingMixture().sample),
    "helpers.gan.train.SampleView": lambda: dict(trainer=_ring_trainer(), real=_a(4, 2), n=4),
    "helpers.gan.train.ring_gan_config": lambda: dict(loss="wgan-gp"),
    "helpers.gan.train.train_gan": lambda: dict(trainer=_ring_trainer(), steps=1, live=False, every=1,
                                                progress=False),
}


# --- 13 compression ----------------------------------------------------------------------------

def _digits_tensors():
    from helpers.compression.students import DigitsTensors

    g = torch.Generator().manual_seed(0)
    y = torch.arange(20) % 10
    return DigitsTensors(torch.rand(20, 64, generator=g), y, torch.rand(10, 64, generator=g), torch.arange(10))


def _linear_stack():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


_COMPRESSION = {
    "helpers.compression.distill.distillation_loss_torch": lambda: dict(
        student_logits=_t(4, 3), teacher_logits=_t(4, 3, start=1, stop=-1), labels=torch.tensor([0, 1, 2, 0])),
    "helpers.compression.quantize.affine_params": lambda: dict(x_min=_a(3, start=-1, stop=-0.5),
                                                              x_max=_a(3, start=0.5, stop=1)),
    "helpers.compression.quantize.buffers_size_bytes": lambda: dict(model=_linear_stack()),
    "helpers.compression.quantize.dequantize": lambda: dict(q=np.array([[-128, 0, 127], [1, 2, 3]]),
                                                           scale=0.1, zero_point=0),
    "helpers.compression.quantize.int8_linear_model": lambda: dict(model=_linear_stack()),
    "helpers.compression.quantize.model_size_bytes": lambda: dict(model=_linear_stack()),
    "helpers.compression.quantize.quantize_model": lambda: dict(model=_linear_stack(), mode="per_tensor"),
    "helpers.compression.students.compare_students": lambda: dict(
        teacher=__import__("helpers.compression.students", fromlist=["x"]).make_mlp(4), data=_digits_tensors(),
        seeds=(0,), n_student=10, hidden=4, steps=1),
    "helpers.compression.students.plot_students": lambda: dict(rows=[
        __import__("helpers.compression.students", fromlist=["x"]).StudentRow(0, 0.5, 0.75)]),
}


# --- 14 distributed ----------------------------------------------------------------------------

def _ddp_config():
    from helpers.distributed.ddp import DDPConfig

    return DDPConfig(global_batch=8, features=3, hidden=4, steps=1)


_DISTRIBUTED = {
    "helpers.distributed.allreduce.plot_shard_noise": lambda: dict(
        world_sizes=[1, 2], worker_err=_a(2, start=0.1, stop=0.2), average_err=_a(2, start=0.05, stop=0.1)),
    "helpers.distributed.allreduce.ring_allreduce": lambda: dict(chunks=_a(2, 4)),
    "helpers.distributed.allreduce.shard_noise": lambda: dict(X=_a(8, 3), y=_a(8), w=_a(3), world_sizes=[1, 2]),
    "helpers.distributed.ddp.full_batch_gradient": lambda: dict(config=_ddp_config()),
    "helpers.distributed.ddp.global_batch": lambda: dict(config=_ddp_config()),
    "helpers.distributed.ddp.make_mlp": lambda: dict(config=_ddp_config()),
    "helpers.distributed.ddp.train_single_process": lambda: dict(config=_ddp_config()),
}

# --- 16 generative -----------------------------------------------------------------------------

def _schedule():
    from helpers.generative.schedules import make_schedule

    return make_schedule("linear", T=25)


def _denoiser():
    from helpers.generative.denoiser import Denoiser

    return Denoiser(data_dim=2, T=25, hidden=4, depth=1, emb_dim=4, generator=torch.Generator().manual_seed(0))


def _vae(members: int = 1):
    from helpers.generative.vae import VAE

    return VAE(data_dim=64, latent_dim=2, hidden=4, depth=1, members=members,
               generator=torch.Generator().manual_seed(0))


def _ring_sampler():
    from helpers.core.data import RingMixture

    return RingMixture().sample


def _objective(z: torch.Tensor) -> torch.Tensor:
    return (z ** 2).sum(-1)


_GENERATIVE = {
    "helpers.generative.denoiser.noise_prediction_loss": lambda: dict(model=_denoiser(), schedule=_schedule(),
                                                                      x0=_t(4, 2)),
    "helpers.generative.denoiser.sample": lambda: dict(model=_denoiser(), schedule=_schedule(), n=3),
    "helpers.generative.denoiser.time_embedding": lambda: dict(t=torch.tensor([0, 5, 9]), dim=4, T=10),
    "helpers.generative.denoiser.train_denoiser": lambda: dict(model=_denoiser(), schedule=_schedule(),
                                                               sample_data=_ring_sampler(), steps=1, batch_size=4),
    "helpers.generative.estimators.reparam_gradients": lambda: dict(f=_objective, mu=_t(2), logvar=_t(2), n=3),
    "helpers.generative.estimators.score_function_gradients": lambda: dict(f=_objective, mu=_t(2), logvar=_t(2), n=3),
    "helpers.generative.latent.gaussian_kl": lambda: dict(mu_q=_t(4, 2), logvar_q=_t(4, 2, start=-0.5, stop=0.5)),
    "helpers.generative.latent.reparameterize": lambda: dict(mu=_t(4, 2), logvar=_t(4, 2), eps=_t(4, 2, start=1)),
    "helpers.generative.plots.plot_estimator_spread": lambda: dict(reparam=_a(5, 2), score=_a(5, 2, start=2)),
    "helpers.generative.plots.plot_schedules": lambda: dict(schedules={"linear": _schedule()}),
    "helpers.generative.schedules.add_noise": lambda: dict(schedule=_schedule(), x0=_t(4, 2), noise=_t(4, 2, start=1),
                                                           t=3),
    "helpers.generative.schedules.cosine_betas": lambda: dict(T=10),
    "helpers.generative.schedules.linear_betas": lambda: dict(T=25),
    "helpers.generative.schedules.posterior_mean_variance": lambda: dict(schedule=_schedule(), x0=_t(4, 2),
                                                                         x_t=_t(4, 2, start=1), t=3),
    "helpers.generative.schedules.predict_x0": lambda: dict(schedule=_schedule(), x_t=_t(4, 2), eps=_t(4, 2, start=1),
                                                            t=3),
    "helpers.generative.schedules.reverse_step": lambda: dict(schedule=_schedule(), x_t=_t(4, 2),
                                                              eps=_t(4, 2, start=1), t=3, noise=_t(4, 2, start=0.5)),
    "helpers.generative.vae.describe_vae": lambda: dict(model=_vae(), X=_a(3, 64, start=0, stop=1), betas=[1.0],
                                                        grid=2, n_samples=2),
    "helpers.generative.vae.log_likelihood": lambda: dict(model=_vae(), x=_t(64, start=0, stop=1), z=_t(3, 2)),
}


# --- 17 graphs ---------------------------------------------------------------------------------

_EDGES = np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])     # a path 0-1-2-3, both directions


def _gat_params(concat: bool = True):
    H, C = 2, 2
    return dict(W=_a(3, H * C), att_src=_a(H, C), att_dst=_a(H, C, start=1), b=np.zeros(H * C if concat else C))


def _gat_cache():
    from helpers.graphs.gat import gat_forward

    return gat_forward(_a(4, 3), _EDGES, **_gat_params())[1]


def _gat_dense_cache():
    from helpers.graphs.gat import gat_dense_forward
    from helpers.graphs.structure import adjacency

    return gat_dense_forward(_a(4, 3), adjacency(_EDGES, 4), **_gat_params())[1]


def _gcn_cache(dense: bool):
    from helpers.graphs import gcn
    from helpers.graphs.structure import adjacency

    if dense:
        return gcn.gcn_dense_forward(_a(4, 3), adjacency(_EDGES, 4, self_loops=True), _a(3, 2), np.zeros(2))[1]
    return gcn.gcn_forward(_a(4, 3), _EDGES, _a(3, 2), np.zeros(2))[1]


def _aggregate_cache():
    from helpers.graphs.message_passing import aggregate_forward

    return aggregate_forward(_a(4, 3), _EDGES)[1]


def _torch_graph():
    from helpers.graphs.models import to_torch_graph

    return to_torch_graph(_EDGES, 4)


def _graph_batch():
    from helpers.graphs.models import to_torch_graph

    return to_torch_graph(np.array([[0, 1, 2, 3], [1, 0, 3, 2]]), 4, batch=np.array([0, 0, 1, 1]))


def _ax():
    from helpers.core.figures import new_figure

    return new_figure(2, 2).add_subplot()


_POS = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])

_GRAPHS = {
    "helpers.graphs.datasets.batch_graphs": lambda: dict(graphs=[np.array([[0, 1], [1, 0]]), np.array([[0], [1]])],
                                                         sizes=[2, 3]),
    "helpers.graphs.gat.attention_matrix": lambda: dict(cache=_gat_cache()),
    "helpers.graphs.gat.gat_backward": lambda: dict(dy=_a(4, 4), cache=_gat_cache()),
    "helpers.graphs.gat.gat_dense_backward": lambda: dict(dy=_a(4, 4), cache=_gat_dense_cache()),
    "helpers.graphs.gat.gat_dense_forward": lambda: dict(x=_a(4, 3), A=__import__(
        "helpers.graphs.structure", fromlist=["x"]).adjacency(_EDGES, 4), **_gat_params()),
    "helpers.graphs.gat.gat_forward": lambda: dict(x=_a(4, 3), edge_index=_EDGES, **_gat_params()),
    "helpers.graphs.gcn.gcn_backward": lambda: dict(dy=_a(4, 2), cache=_gcn_cache(False)),
    "helpers.graphs.gcn.gcn_dense_backward": lambda: dict(dy=_a(4, 2), cache=_gcn_cache(True)),
    "helpers.graphs.message_passing.aggregate_backward": lambda: dict(dy=_a(4, 3), cache=_aggregate_cache()),
    "helpers.graphs.message_passing.segment_softmax": lambda: dict(scores=_a(6), index=_EDGES[1], num_nodes=4),
    "helpers.graphs.message_passing.segment_softmax_backward": lambda: dict(
        dy=_a(6), alpha=np.array([1.0, 0.5, 0.5, 0.5, 0.5, 1.0]), index=_EDGES[1], num_nodes=4),
    "helpers.graphs.models.GCNLayer": lambda: dict(d_in=3, d_out=2),
    "helpers.graphs.models.train_graphs": lambda: dict(
        model=__import__("helpers.graphs.models", fromlist=["x"]).GraphClassifier(3, 4, 2, layers=1),
        graph=_graph_batch(), x=_t(4, 3), y=torch.tensor([0, 1]), train_idx=torch.tensor([0, 1]), steps=1),
    "helpers.graphs.models.train_nodes": lambda: dict(
        model=__import__("helpers.graphs.models", fromlist=["x"]).GCN([3, 4, 2]), graph=_torch_graph(),
        x=_t(4, 3), y=torch.tensor([0, 1, 0, 1]), train_idx=torch.tensor([0, 1]), steps=1),
    "helpers.graphs.plots.draw_edges": lambda: dict(ax=_ax(), pos=_POS, edge_index=_EDGES),
    "helpers.graphs.plots.draw_nodes": lambda: dict(ax=_ax(), pos=_POS, labels=np.array([0, 1, 0, 1]),
                                                    class_names=["a", "b"]),
    "helpers.graphs.plots.plot_depth_sweep": lambda: dict(depths=[1, 2], results={"GCN": [0.5, 0.75]}, chance=0.5),
    "helpers.graphs.plots.plot_gcn_vs_mlp": lambda: dict(results={"GCN": _a(3, start=0.5, stop=0.9),
                                                                  "MLP": _a(3, start=0.4, stop=0.6)}, chance=0.5),
    "helpers.graphs.plots.plot_graph_examples": lambda: dict(
        graphs=[np.array([[0, 1], [1, 0]]), np.array([[0, 1, 1, 2], [1, 0, 2, 1]])], sizes=np.array([2, 3]),
        y=np.array([0, 1]), class_names=["tree", "ring"], n_per_class=1),
    "helpers.graphs.plots.plot_node_feature": lambda: dict(
        pos=_POS, edge_index=_EDGES, values=_a(4), labels=np.array([0, 1, 0, 1]), class_names=["a", "b"],
        title="t", colour_label="value"),
    "helpers.graphs.plots.plot_oversmoothing": lambda: dict(steps=[0, 1], cosines={"GCN": [0.1, 0.2]},
                                                            energies={"GCN": [1.0, 0.5]}),
    "helpers.graphs.plots.plot_predictions": lambda: dict(
        pos=_POS, edge_index=_EDGES, y=np.array([0, 1, 0, 1]), pred=np.array([0, 1, 1, 1]),
        train_idx=np.array([0, 1]), class_names=["a", "b"], title="t"),
    "helpers.graphs.plots.plot_spread": lambda: dict(pos=_POS, edge_index=_EDGES, signals=[_a(4), _a(4, start=0)],
                                                     steps=[0, 1], labels=np.array([0, 1, 0, 1]),
                                                     class_names=["a", "b"]),
    "helpers.graphs.smoothing.dirichlet_energy": lambda: dict(H=_a(4, 3), edge_index=_EDGES),
    "helpers.graphs.smoothing.mean_pairwise_cosine": lambda: dict(H=_a(4, 3, start=0.1, stop=1)),
    "helpers.graphs.structure.edges_from_pairs": lambda: dict(pairs=[(0, 1), (1, 2)], num_nodes=3),
    "helpers.graphs.structure.normalized_adjacency": lambda: dict(A=np.array([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]])),
}


# --- 19 reinforcement learning -----------------------------------------------------------------

def _push_policy(feats: np.ndarray) -> np.ndarray:
    return (feats[:, 2] > 0).astype(int)


def _world():
    from helpers.rl.gridworld import make_gridworld

    return make_gridworld(layout=("S..", ".#G"))


def _q_agent():
    from helpers.rl.dqn import QAgent

    return QAgent(hidden=4, seed=0)


def _policy_agent():
    from helpers.rl.policy_gradient import PolicyAgent

    return PolicyAgent(hidden=4, seed=0)


def _mlp_params(d_in: int = 4, hidden: int = 3, d_out: int = 2):
    from helpers.rl.networks import init_tanh_mlp

    return init_tanh_mlp(d_in, hidden, d_out, np.random.default_rng(0))


def _dqn_batch():
    return (_a(3, 4), np.array([0, 1, 0]), np.ones(3), _a(3, 4, start=1), np.array([False, False, True]))


def _td_cache():
    from helpers.rl.dqn import td_loss_forward

    return td_loss_forward(_a(3, 2), np.array([0, 1, 0]), np.ones(3))[1]


def _mlp_cache():
    from helpers.rl.networks import tanh_mlp_forward

    return tanh_mlp_forward(_a(3, 4), _mlp_params())[1]


def _policy_cache():
    from helpers.rl.policy_gradient import policy_loss_forward

    return policy_loss_forward(_a(3, 2), np.array([0, 1, 0]), np.ones(3))[1]


def _episodes():
    from helpers.rl.cartpole import run_episodes

    return run_episodes(_push_policy, 2, seed=0, max_steps=5)


def _gw():
    w = _world()
    return dict(P=w.P, R=w.R)


_RL = {
    "helpers.rl.cartpole.evaluate": lambda: dict(policy=_push_policy, n_episodes=2, seed=0),
    "helpers.rl.cartpole.evaluate_sequential": lambda: dict(policy=_push_policy, n_episodes=2, seed=0),
    "helpers.rl.cartpole.features": lambda: dict(obs=_a(3, 4)),
    "helpers.rl.cartpole.run_episodes": lambda: dict(policy=_push_policy, n_episodes=2, seed=0, max_steps=5),
    "helpers.rl.dqn.DQNTrainer": lambda: dict(agent=_q_agent(), n_envs=2, batch_size=4, capacity=16,
                                              learning_starts=4, target_every=2, epsilon_steps=4),
    "helpers.rl.dqn.ReplayBuffer": lambda: dict(capacity=8, dim=4),
    "helpers.rl.dqn.dqn_gradients": lambda: dict(q_params=_mlp_params(), target_params=_mlp_params(),
                                                 batch=_dqn_batch(), gamma=0.9),
    "helpers.rl.dqn.td_loss_backward": lambda: dict(dy=1.0, cache=_td_cache()),
    "helpers.rl.dqn.td_loss_forward": lambda: dict(q=_a(3, 2), actions=np.array([0, 1, 0]), targets=np.ones(3)),
    "helpers.rl.dqn.td_targets": lambda: dict(q_next=_a(3, 2), rewards=np.ones(3),
                                              terminated=np.array([False, False, True]), gamma=0.9),
    "helpers.rl.dqn.train_dqn": lambda: dict(agent=_q_agent(), steps=2, batch_size=4, eval_every=2,
                                             stop_when_solved=False),
    "helpers.rl.gridworld.bellman_backup": lambda: dict(V=np.zeros(5), gamma=0.9, **_gw()),
    "helpers.rl.gridworld.bellman_residual": lambda: dict(V=np.zeros(5), gamma=0.9, **_gw()),
    "helpers.rl.gridworld.greedy_policy": lambda: dict(Q=_a(5, 4)),
    "helpers.rl.gridworld.make_gridworld": lambda: dict(slip=0.1, step_reward=-0.04, layout=("S..", ".#G")),
    "helpers.rl.gridworld.policy_evaluation": lambda: dict(policy=np.zeros(5, dtype=int), gamma=0.9, **_gw()),
    "helpers.rl.gridworld.value_iteration": lambda: dict(gamma=0.9, max_sweeps=5, **_gw()),
    "helpers.rl.networks.copy_params": lambda: dict(params=_mlp_params()),
    "helpers.rl.networks.tanh_mlp_backward": lambda: dict(dy=_a(3, 2), cache=_mlp_cache()),
    "helpers.rl.plots.CartPoleView": lambda: dict(ax=_ax()),
    "helpers.rl.plots.GridWorldView": lambda: dict(fig=_ax().figure, ax=_ax(), world=_world()),
    "helpers.rl.plots.plot_convergence": lambda: dict(deltas=[1.0, 0.5, 0.25], gamma=0.9),
    "helpers.rl.plots.plot_gridworld": lambda: dict(world=_world(), V=np.zeros(5), policy=np.zeros(5, dtype=int),
                                                    title="t"),
    "helpers.rl.plots.plot_learning_curves": lambda: dict(runs={"dqn": [{"env_steps": [0, 10], "return": [9.0, 12.0],
                                                                          "eval_return": [10.0, 20.0]}]}),
    "helpers.rl.policy_gradient.ReinforceTrainer": lambda: dict(agent=_policy_agent(), batch_size=2),
    "helpers.rl.policy_gradient.policy_loss_backward": lambda: dict(dy=1.0, cache=_policy_cache()),
    "helpers.rl.policy_gradient.reinforce_inputs": lambda: dict(agent=_policy_agent(), batch=_episodes(), gamma=0.9),
    "helpers.rl.policy_gradient.train_reinforce": lambda: dict(agent=_policy_agent(), steps=1, batch_size=2,
                                                               stop_when_solved=False),
    "helpers.rl.reference.torch_dqn_update": lambda: dict(q_params=_mlp_params(), target_params=_mlp_params(),
                                                          batch=_dqn_batch(), gamma=0.9, lr=0.01),
    "helpers.rl.reference.torch_mlp": lambda: dict(params=_mlp_params()),
    "helpers.rl.tabular.q_learning": lambda: dict(world=_world(), steps=2, max_moves=3),
}

# --- 18 self-supervised ------------------------------------------------------------------------

def _vocab():
    from helpers.selfsupervised.mlm import WordVocab

    return WordVocab(["def", "return", "self", "x"] * 3, min_count=1)     # 2 specials + 4 words


def _corpus():
    from helpers.selfsupervised.mlm import ModuleCorpus

    ids = lambda k: (np.arange(24) * k) % 4 + 2  # noqa: E731 - word ids 2..5
    return ModuleCorpus(_vocab(), np.concatenate([ids(1), ids(3)]), {"a": ids(1), "b": ids(3)},
                        {"a": ids(1)[:12], "b": ids(3)[:12]})


def _text_encoder():
    from helpers.selfsupervised.mlm import TextEncoder
    from helpers.transformer.gpt import GPTConfig

    torch.manual_seed(0)
    return TextEncoder(GPTConfig(vocab_size=6, block_size=4, n_layer=1, n_head=2, n_embd=4, causal=False))


def _snippet_task():
    from helpers.selfsupervised.mlm import make_snippet_task

    return make_snippet_task(_corpus(), modules=("a", "b"), seq_len=4, pool_per_module=2, test_per_module=2)


def _tiny_clip():
    from helpers.selfsupervised.clip import TinyCLIP

    torch.manual_seed(0)
    return TinyCLIP(dim=4)


def _nt_xent_cache():
    from helpers.selfsupervised.contrastive import nt_xent_forward

    return nt_xent_forward(_a(3, 2), _a(3, 2, start=1, stop=-0.5))[1]


_SELFSUPERVISED = {
    "helpers.selfsupervised.clip.caption": lambda: dict(label=3),
    "helpers.selfsupervised.clip.check_prompt": lambda: dict(prompt="a handwritten {}"),
    "helpers.selfsupervised.clip.clip_loss": lambda: dict(image_emb=_t(3, 4), text_emb=_t(3, 4, start=1, stop=-0.5)),
    "helpers.selfsupervised.clip.embed_prompts": lambda: dict(model=_tiny_clip(), template="a handwritten {}"),
    "helpers.selfsupervised.clip.encode_text": lambda: dict(texts=["a one", "a two"]),
    "helpers.selfsupervised.clip.zero_shot_predict": lambda: dict(image_emb=_t(3, 4), prompt_emb=_t(10, 4, start=1)),
    "helpers.selfsupervised.contrastive.nt_xent_anchor": lambda: dict(anchor=_a(3), positive=_a(3, start=0),
                                                                      negatives=_a(2, 3, start=1, stop=-1)),
    "helpers.selfsupervised.contrastive.nt_xent_backward": lambda: dict(dy=1.0, cache=_nt_xent_cache()),
    "helpers.selfsupervised.contrastive.nt_xent_torch": lambda: dict(z1=_t(3, 2), z2=_t(3, 2, start=1, stop=-0.5)),
    "helpers.selfsupervised.contrastive.positive_index": lambda: dict(N=3),
    "helpers.selfsupervised.mlm.TextEncoder": lambda: dict(config=__import__(
        "helpers.transformer.gpt", fromlist=["x"]).GPTConfig(vocab_size=6, block_size=4, n_layer=1, n_head=2,
                                                              n_embd=4, causal=False)),
    "helpers.selfsupervised.mlm.WordVocab": lambda: dict(words=["def", "x", "def"], min_count=1),
    "helpers.selfsupervised.mlm.apply_masking": lambda: dict(
        ids=np.array([5, 6, 7, 8]), selected=np.array([True, True, True, False]), u=np.array([0.5, 0.85, 0.95, 0.1]),
        random_ids=np.array([9, 9, 9, 9])),
    "helpers.selfsupervised.mlm.compare_finetuning": lambda: dict(encoder=_text_encoder(), task=_snippet_task(),
                                                                  seeds=(0,), n_per_class=1, steps=1),
    "helpers.selfsupervised.mlm.load_module_corpus": lambda: dict(min_count=10, test_fraction=0.2),
    "helpers.selfsupervised.mlm.make_snippet_task": lambda: dict(corpus=_corpus(), modules=("a", "b"), seq_len=4,
                                                                 pool_per_module=2, test_per_module=2),
    "helpers.selfsupervised.mlm.mlm_loss": lambda: dict(encoder=_text_encoder(), inputs=torch.tensor([[2, 1, 4, 5]]),
                                                        targets=torch.tensor([[-100, 3, -100, -100]])),
    "helpers.selfsupervised.mlm.pretrain_mlm": lambda: dict(corpus=_corpus(), steps=1, batch_size=2, seq_len=4,
                                                            n_embd=4, n_layer=1, n_head=2),
    "helpers.selfsupervised.mlm.split_modules": lambda: dict(text="# ==== a.py ====\nx = 1\n# ==== b.py ====\ny = 2\n"),
    "helpers.selfsupervised.mlm.words_of": lambda: dict(text="def f(x): return x + 1"),
    "helpers.selfsupervised.plots.plot_mlm": lambda: dict(
        history={"step": list(range(1, 26)), "loss": list(np.linspace(2, 1, 25))},
        results={"pre-trained": _a(2, start=0.6, stop=0.7), "from scratch": _a(2, start=0.4, stop=0.5)},
        chance=0.25),
    "helpers.selfsupervised.plots.plot_negative_weights": lambda: dict(weights={0.5: _a(4, 6, start=0, stop=0.2)}),
    "helpers.selfsupervised.plots.plot_seed_comparison": lambda: dict(
        results={"SimCLR": _a(2, start=0.6, stop=0.7), "random": _a(2, start=0.4, stop=0.5)}, ylabel="acc", title="t"),
    "helpers.selfsupervised.plots.plot_sweep": lambda: dict(temperatures=[0.1, 0.5], strengths=[0.0, 1.0],
                                                            accuracy=_a(2, 2, start=0.5, stop=0.8),
                                                            baselines={"pixels": 0.5}),
    "helpers.selfsupervised.plots.plot_zero_shot": lambda: dict(confusion=np.eye(3), names=["0", "1", "2"], title="t"),
    "helpers.selfsupervised.simclr.ProjectionHead": lambda: dict(out=4),
    "helpers.selfsupervised.simclr.compare_probes": lambda: dict(seeds=(0,), label_fraction=0.05, steps=1,
                                                                 batch_size=4),
    "helpers.selfsupervised.simclr.encode": lambda: dict(
        encoder=__import__("helpers.selfsupervised.simclr", fromlist=["x"]).DigitEncoder(hidden=4),
        images=_a(2, 8, 8, start=0, stop=1)),
    "helpers.selfsupervised.simclr.linear_probe": lambda: dict(
        train_features=_a(4, 3), train_labels=np.array([0, 1, 0, 1]), test_features=_a(2, 3, start=1),
        test_labels=np.array([0, 1])),
    "helpers.selfsupervised.simclr.sweep": lambda: dict(temperatures=(0.5,), strengths=(0.0,), steps=1,
                                                        batch_size=4),
    "helpers.selfsupervised.views.view_params": lambda: dict(strength=0.5),
}


# --- 20 interpretability -----------------------------------------------------------------------
# The table's ``model`` is a float32 linear classifier of (N, 3) inputs into 3 classes; one example
# x (1, 3) has three features, numbered by feature_mask [0, 1, 2].

def _linear():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 3)).double().eval()


def _interp(**more):
    return dict(model=_linear(), x=_a(1, 3), target=1, **more)


_INTERPRET = {
    "helpers.interpret.attribute.attribute": lambda: dict(
        method="saliency", model=torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3)).double().eval(),
        x=_a(1, 1, 4, 4), target=1),
    "helpers.interpret.evaluation.curve_area": lambda: dict(fractions=np.linspace(0, 1, 5), values=_a(2, 5)),
    "helpers.interpret.evaluation.deletion_curves": lambda: dict(attributions=_a(1, 3, start=0.5), steps=3,
                                                                 **_interp()),
    "helpers.interpret.evaluation.rank_correlation": lambda: dict(a=_a(2, 3), b=_a(2, 3, start=0.5, stop=0)),
    "helpers.interpret.gradients.completeness_gap": lambda: dict(attributions=_a(1, 3, start=0.5), **_interp()),
    "helpers.interpret.models.as_float64": lambda: dict(model=_linear().float()),
    "helpers.interpret.occlusion.occlusion": lambda: dict(window=(1,), **_interp()),
    "helpers.interpret.occlusion.window_masks": lambda: dict(shape=(1, 4, 4), window=(1, 2, 2), stride=2),
    "helpers.interpret.plots.normalise": lambda: dict(attr=_a(2, 8, 8)),
    "helpers.interpret.plots.plot_attribution_grid": lambda: dict(images=_a(2, 8, 8, start=0, stop=1),
                                                                  maps={"saliency": _a(2, 8, 8)}, labels=["0", "1"]),
    "helpers.interpret.plots.plot_completeness": lambda: dict(gaps={"IG": ([2, 4], _a(2, start=0.1, stop=0.01))}),
    "helpers.interpret.plots.plot_deletion": lambda: dict(fractions=np.linspace(0, 1, 4),
                                                          curves={"IG": _a(4, start=0.9, stop=0.1)}, areas={"IG": 0.5}),
    "helpers.interpret.plots.plot_sanity": lambda: dict(image=_a(8, 8, start=0, stop=1), trained={"IG": _a(8, 8)},
                                                        randomised={"IG": _a(8, 8, start=1)}, rho={"IG": 0.1}),
    "helpers.interpret.scores.apply_model": lambda: dict(model=_linear(), xb=torch.zeros(2, 3, dtype=torch.float64)),
    "helpers.interpret.scores.check_baseline": lambda: dict(baseline=0.0, x=torch.zeros(2, 3, dtype=torch.float64)),
    "helpers.interpret.scores.check_model": lambda: dict(model=_linear()),
    "helpers.interpret.shapley.all_coalitions": lambda: dict(M=3),
    "helpers.interpret.shapley.constrained_fit": lambda: dict(
        Z=np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]), y=np.array([1.0, 2.0, 3.0, 3.5]),
        weights=np.ones(4), v_empty=0.0, v_full=6.0),
    "helpers.interpret.shapley.exact_shapley": lambda: dict(feature_mask=np.array([0, 1, 2]), **_interp()),
    "helpers.interpret.shapley.kernel_shap": lambda: dict(feature_mask=np.array([0, 1, 2]), n_samples=8, **_interp()),
    "helpers.interpret.shapley.kernel_shap_coalitions": lambda: dict(M=3, n_samples=4,
                                                                     generator=torch.Generator().manual_seed(0)),
    "helpers.interpret.shapley.shapley_kernel": lambda: dict(M=3, k=np.array([1, 2])),
    "helpers.interpret.shapley.shapley_values": lambda: dict(values=_a(8)),
    "helpers.interpret.surrogate.check_feature_mask": lambda: dict(feature_mask=np.array([0, 1, 2]), shape=(3,)),
    "helpers.interpret.surrogate.coalition_inputs": lambda: dict(
        x=torch.ones(1, 3, dtype=torch.float64), x0=torch.zeros(1, 3, dtype=torch.float64),
        feature_mask=np.array([0, 1, 2]), Z=np.array([[1, 0, 1], [0, 1, 1]])),
    "helpers.interpret.surrogate.coalition_scores": lambda: dict(
        model=_linear(), x=torch.ones(1, 3, dtype=torch.float64), target=1, feature_mask=np.array([0, 1, 2]),
        Z=np.array([[1, 0, 1], [0, 1, 1]]), x0=torch.zeros(1, 3, dtype=torch.float64)),
    "helpers.interpret.surrogate.cosine_kernel": lambda: dict(x=torch.ones(1, 3, dtype=torch.float64),
                                                              inputs=torch.eye(3, dtype=torch.float64)),
    "helpers.interpret.surrogate.lime": lambda: dict(feature_mask=np.array([0, 1, 2]), n_samples=8, **_interp()),
    "helpers.interpret.surrogate.lime_coalitions": lambda: dict(M=3, n_samples=4,
                                                                generator=torch.Generator().manual_seed(0)),
    "helpers.interpret.surrogate.paint": lambda: dict(values=_a(3), feature_mask=np.array([0, 1, 2])),
    "helpers.interpret.surrogate.superpixels": lambda: dict(shape=(1, 4, 4), block=(2, 2)),
    "helpers.interpret.surrogate.weighted_linear_fit": lambda: dict(
        Z=np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]), y=np.array([1.0, 2.0, 3.0, 3.5]),
        weights=np.ones(4)),
}


ENTRY_ARGS: dict[str, Callable[[], dict[str, Any]]] = {**_GAN, **_COMPRESSION, **_DISTRIBUTED, **_GENERATIVE, **_GRAPHS, **_RL,
                                                      **_SELFSUPERVISED, **_INTERPRET}
