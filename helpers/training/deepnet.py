r"""A deep stack of dense layers, forward and backward, with every layer's signal recorded
(notebooks 05 and 06, and their widgets).

Layer :math:`l = 1, \dots, L` computes

.. math:: z_l = h_{l-1} W_l + b_l, \qquad h_l = f(z_l), \qquad h_0 = X,

and the backward pass, given :math:`G = \partial \mathcal{L} / \partial h_L` (the loss is
:math:`\mathcal{L} = \sum_{n,j} G_{nj} (h_L)_{nj}`), applies the chain rule layer by layer:

.. math:: \frac{\partial \mathcal{L}}{\partial z_l} = \frac{\partial \mathcal{L}}{\partial h_l} \odot f'(z_l), \quad
          \frac{\partial \mathcal{L}}{\partial W_l} = h_{l-1}^\top \frac{\partial \mathcal{L}}{\partial z_l}, \quad
          \frac{\partial \mathcal{L}}{\partial h_{l-1}} = \frac{\partial \mathcal{L}}{\partial z_l} W_l^\top .

Each backward step multiplies the gradient by :math:`f'(z_l)` and by :math:`W_l^\top`; over many
layers those factors compound, which is why gradients vanish or explode. :func:`layer_stats`
summarises a :class:`DeepTrace` per layer; :func:`torch_forward_backward` computes the same
trace with PyTorch's autograd, for checking.

Shape: ``X`` (N, D_0); ``weights[l]`` (D_l, D_{l+1}) (our layout, ``x @ W``); each recorded array
(N, D_l); ``grad_weights[l]`` like ``weights[l]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from helpers.basics.activations import get_activation
from helpers.training.init import get_initializer, init_weights
from helpers.core.checks import check_array, check_range, check_seed, check_type
from helpers.core.loop import check_class_labels

__all__ = ["DeepTrace", "forward_backward", "torch_forward_backward", "deep_stack_trace", "DeepStackFamily",
           "layer_stats", "TORCH_ACTIVATION_NAMES", "torch_mlp", "train_full_batch",
           "silent_units", "silent_fraction", "validation_recorder", "train_val_figure"]

# Our activation names -> the torch.nn.functional function with the same definition and defaults.
TORCH_ACTIVATION_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu",
                          "leaky_relu": "leaky_relu", "elu": "elu", "gelu": "gelu", "silu": "silu"}


@dataclass
class DeepTrace:
    """Everything one forward + backward pass recorded; lists hold one entry per layer 1..L."""

    preacts: list[np.ndarray]           # z_l, (N, D_l)
    activations: list[np.ndarray]       # h_l = f(z_l), (N, D_l)
    grad_preacts: list[np.ndarray]      # dL/dz_l, (N, D_l)
    grad_activations: list[np.ndarray]  # dL/dh_l, (N, D_l)
    grad_weights: list[np.ndarray]      # dL/dW_l, (D_{l-1}, D_l)
    grad_biases: list[np.ndarray]       # dL/db_l, (D_l,)
    grad_input: np.ndarray              # dL/dX, (N, D_0)
    activation: str = "relu"            # the activation's name, as in ACTIVATIONS

    @property
    def depth(self) -> int:
        return len(self.activations)


def _check_stack(X: np.ndarray, weights: list, biases: list | None, dy: np.ndarray | None):
    X = check_array(X, "X", ndim=2)
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError(f"weights must be a non-empty list of (D_in, D_out) arrays, got {type(weights).__name__}")
    Ws, width = [], X.shape[1]
    for l, W in enumerate(weights):
        Ws.append(check_array(W, f"weights[{l}]", ndim=2, shape=(width, None)))
        width = Ws[-1].shape[1]
    if biases is None:
        bs = [np.zeros(W.shape[1]) for W in Ws]
    else:
        if len(biases) != len(Ws):
            raise ValueError(f"biases must have one entry per layer ({len(Ws)}), got {len(biases)}")
        bs = [check_array(b, f"biases[{l}]", shape=(W.shape[1],)) for l, (b, W) in enumerate(zip(biases, Ws))]
    G = None if dy is None else check_array(dy, "dy", shape=(X.shape[0], width))
    return X, Ws, bs, G


def forward_backward(X: np.ndarray, weights: list[np.ndarray], activation: str = "relu",
                     biases: list[np.ndarray] | None = None,
                     dy: np.ndarray | None = None) -> DeepTrace:
    """Run the stack forward and backward in NumPy, keeping every layer's values and gradients.

    Args:
        X: inputs, (N, D_0).
        weights: one (D_{l-1}, D_l) array per layer.
        activation: a name from :data:`helpers.basics.activations.ACTIVATIONS`, applied after every layer.
        biases: one (D_l,) array per layer; zeros when None.
        dy: :math:`G = \\partial\\mathcal{L}/\\partial h_L`, (N, D_L); ones when None.

    Returns:
        A :class:`DeepTrace`.

    Raises:
        ValueError: on bad shapes, or if the signal overflows float64 (beyond about 1e308; a
        far too large init over very many layers), naming the layer where it happened.
    """
    act = get_activation(activation)
    X, Ws, bs, G = _check_stack(X, weights, biases, dy)
    zs, hs = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        h = X
        for l, (W, b) in enumerate(zip(Ws, bs)):
            zs.append(h @ W + b)                        # (N, D_l)
            _check_finite(zs[-1], "forward signal", l)
            hs.append(act.fn(zs[-1]))
            h = hs[-1]
        g_h = np.ones_like(h) if G is None else G
        gz, gh, gW, gb = [], [], [], []
        for l in range(len(Ws) - 1, -1, -1):
            h_prev = X if l == 0 else hs[l - 1]
            gh.append(g_h)
            g_z = g_h * act.grad(zs[l])                 # (N, D_l)
            gz.append(g_z)
            gW.append(h_prev.T @ g_z)                   # (D_{l-1}, D_l)
            _check_finite(gW[-1], "gradient", l)
            gb.append(g_z.sum(axis=0))                  # (D_l,)
            g_h = g_z @ Ws[l].T                         # (N, D_{l-1})
    return DeepTrace(zs, hs, gz[::-1], gh[::-1], gW[::-1], gb[::-1], g_h, act.name)


def _check_finite(a: np.ndarray, what: str, layer: int) -> None:
    if not np.all(np.isfinite(a)):
        raise ValueError(f"the {what} overflowed float64 at layer {layer + 1} (expected finite "
                         f"values, got inf/NaN): the weights are far too large for this depth")


def torch_forward_backward(X: np.ndarray, weights: list[np.ndarray], activation: str = "relu",
                           biases: list[np.ndarray] | None = None,
                           dy: np.ndarray | None = None) -> DeepTrace:
    """The same trace computed by PyTorch autograd in float64 (``torch.nn.functional`` activations;
    torch's weight layout would be ``W.T``, here we keep ours and write ``h @ W``)."""
    import torch
    import torch.nn.functional as F

    X, Ws, bs, G = _check_stack(X, weights, biases, dy)
    fn = getattr(F, TORCH_ACTIVATION_NAMES[get_activation(activation).name])
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    tW = [torch.tensor(W, dtype=torch.float64, requires_grad=True) for W in Ws]
    tb = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in bs]
    zs, hs, h = [], [], x
    for W, b in zip(tW, tb):
        zs.append(h @ W + b)
        hs.append(fn(zs[-1]))
        for t in (zs[-1], hs[-1]):
            t.retain_grad()
        h = hs[-1]
    h.backward(torch.ones_like(h) if G is None else torch.tensor(G, dtype=torch.float64))

    def np_(ts: list) -> list[np.ndarray]:
        return [t.detach().numpy().copy() for t in ts]

    return DeepTrace(np_(zs), np_(hs), np_([z.grad for z in zs]), np_([a.grad for a in hs]),
                     np_([W.grad for W in tW]), np_([b.grad for b in tb]), x.grad.numpy().copy(),
                     get_activation(activation).name)


def deep_stack_trace(activation: str = "tanh", init: str = "xavier", depth: int = 20,
                     width: int = 64, n: int = 256, seed: int = 0) -> DeepTrace:
    """The standard experiment: ``n`` standard-normal inputs of dimension ``width`` through
    ``depth`` square layers initialised with ``init``, zero biases, and a standard-normal upstream
    gradient ``G`` (as if a loss sent back a unit-scale error signal)."""
    check_seed(seed)
    check_range(depth, "depth", 1, 200, integer=True)
    check_range(width, "width", 1, 4096, integer=True)
    check_range(n, "n", 1, 100_000, integer=True)
    rng = np.random.default_rng(seed)
    get_initializer(init)
    X = rng.standard_normal((n, width))
    weights = init_weights(init, [width] * (depth + 1), rng)
    G = rng.standard_normal((n, width))
    return forward_backward(X, weights, activation, dy=G)


class DeepStackFamily:
    """:func:`deep_stack_trace` for every depth up to ``max_depth``, sharing one forward pass.

    :func:`deep_stack_trace` draws the inputs, then the weights layer by layer, then the upstream
    gradient ``G``, all from one generator: the first ``d`` layers of a deeper stack are the same
    layers, so their forward signal is a prefix of the deepest one's. Only ``G`` (the next draw
    after layer ``d``) and the backward pass depend on the depth. A widget's depth slider then
    costs one backward pass instead of a whole trace.

    ``DeepStackFamily(activation, init, max_depth, width, n, seed).trace(depth)`` equals
    ``deep_stack_trace(activation, init, depth, width, n, seed)`` exactly, including the overflow
    error a too-large init raises (``tests/test_deepnet.py``).
    """

    def __init__(self, activation: str = "tanh", init: str = "xavier", max_depth: int = 50,
                 width: int = 64, n: int = 256, seed: int = 0) -> None:
        check_seed(seed)
        check_range(max_depth, "max_depth", 1, 200, integer=True)
        check_range(width, "width", 1, 4096, integer=True)
        check_range(n, "n", 1, 100_000, integer=True)
        get_initializer(init)
        self.act, self.max_depth = get_activation(activation), int(max_depth)
        self.n, self.width = int(n), int(width)
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((n, width))
        self.weights: list[np.ndarray] = []
        self._states = []   # the generator's state after each layer's weights: G's draw for that depth
        for _ in range(self.max_depth):
            self.weights.append(init_weights(init, [width, width], rng)[0])
            self._states.append(rng.bit_generator.state)
        self._bit_generator = type(rng.bit_generator)
        # the forward pass of forward_backward, once, up to the first overflow (if any)
        self.preacts: list[np.ndarray] = []
        self.activations: list[np.ndarray] = []
        self._overflow: ValueError | None = None
        with np.errstate(over="ignore", invalid="ignore"):
            h = self.X
            for l, W in enumerate(self.weights):
                z = h @ W + np.zeros(W.shape[1])          # (N, D_l), with forward_backward's zero bias
                try:
                    _check_finite(z, "forward signal", l)
                except ValueError as exc:
                    self._overflow = exc
                    break
                self.preacts.append(z)
                self.activations.append(self.act.fn(z))
                h = self.activations[-1]
        self._local_grads: list[np.ndarray] = []   # f'(z_l), computed when first needed
        self._forward: dict[str, np.ndarray] | None = None   # forward half of layer_stats, every layer

    def upstream(self, depth: int) -> np.ndarray:
        """The upstream gradient ``G`` that :func:`deep_stack_trace` draws for ``depth`` layers, (N, D)."""
        check_range(depth, "depth", 1, self.max_depth, integer=True)
        rng = np.random.Generator(self._bit_generator())
        rng.bit_generator.state = self._states[depth - 1]
        return rng.standard_normal((self.n, self.width))

    def trace(self, depth: int) -> DeepTrace:
        """The :class:`DeepTrace` of the first ``depth`` layers (``deep_stack_trace``'s, exactly)."""
        check_range(depth, "depth", 1, self.max_depth, integer=True)
        if depth > len(self.preacts):   # the forward signal overflowed within these layers
            raise ValueError(str(self._overflow))
        zs, hs, Ws = self.preacts[:depth], self.activations[:depth], self.weights[:depth]
        local_grads = self._local_grad(depth)
        # the backward loop of forward_backward over these layers, with f'(z_l) computed once
        g_h = self.upstream(depth)
        gz, gh, gW, gb = [], [], [], []
        with np.errstate(over="ignore", invalid="ignore"):
            for l in range(depth - 1, -1, -1):
                h_prev = self.X if l == 0 else hs[l - 1]
                gh.append(g_h)
                g_z = g_h * local_grads[l]                 # (N, D_l)
                gz.append(g_z)
                gW.append(h_prev.T @ g_z)                   # (D_{l-1}, D_l)
                _check_finite(gW[-1], "gradient", l)
                gb.append(g_z.sum(axis=0))                  # (D_l,)
                g_h = g_z @ Ws[l].T                         # (N, D_{l-1})
        return DeepTrace(list(zs), list(hs), gz[::-1], gh[::-1], gW[::-1], gb[::-1], g_h, self.act.name)

    def trace_and_stats(self, depth: int) -> tuple[DeepTrace, dict[str, np.ndarray]]:
        """:meth:`trace` and its :func:`layer_stats`, whose forward half is computed once for every depth."""
        trace = self.trace(depth)
        if self._forward is None:
            self._local_grad(len(self.preacts))
            self._forward = _forward_stats(self.activations, self._local_grads)
        return trace, _join_stats({k: v[:depth] for k, v in self._forward.items()}, trace)

    def _local_grad(self, depth: int) -> list[np.ndarray]:
        """:math:`f'(z_l)` of the first ``depth`` layers, each computed once."""
        while len(self._local_grads) < depth:
            self._local_grads.append(self.act.grad(self.preacts[len(self._local_grads)]))
        return self._local_grads[:depth]


def _rms(a: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


def layer_stats(trace: DeepTrace) -> dict[str, np.ndarray]:
    """Per-layer summaries of a trace, each an array of shape (L,):

    * ``act_std``: std of :math:`h_l` over all samples and units;
    * ``act_rms``: root-mean-square of :math:`h_l` (scale of the signal, mean included);
    * ``grad_act_rms``: RMS of :math:`\\partial\\mathcal{L}/\\partial h_l` (the backward signal);
    * ``grad_w_norm``: Frobenius norm :math:`\\lVert \\partial\\mathcal{L}/\\partial W_l \\rVert`;
    * ``dead_fraction``: fraction of units whose local derivative :math:`f'(z_l)` is exactly 0
      for every sample (they pass no gradient at all, e.g. ReLUs that never fire).
    """
    check_type(trace, "trace", DeepTrace, "the DeepTrace of forward_backward")
    grad = get_activation(trace.activation).grad
    forward = _forward_stats(trace.activations, [grad(z) for z in trace.preacts])
    return _join_stats(forward, trace)


def _forward_stats(activations: list[np.ndarray], local_grads: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The forward half of :func:`layer_stats`, from the :math:`h_l` and the :math:`f'(z_l)`."""
    with np.errstate(over="ignore", invalid="ignore"):
        act_std = np.array([float(np.std(h)) for h in activations])
    dead = [float(np.mean(np.all(dz == 0, axis=0))) for dz in local_grads]
    return {"act_std": act_std, "act_rms": np.array([_rms(h) for h in activations]),
            "dead_fraction": np.array(dead)}


def _join_stats(forward: dict[str, np.ndarray], trace: DeepTrace) -> dict[str, np.ndarray]:
    """:func:`layer_stats` from its forward half (for these layers) and the trace's gradients."""
    return {"act_std": forward["act_std"], "act_rms": forward["act_rms"],
            "grad_act_rms": np.array([_rms(g) for g in trace.grad_activations]),
            "grad_w_norm": np.array([_rms(g) * np.sqrt(g.size) for g in trace.grad_weights]),
            "dead_fraction": forward["dead_fraction"]}


# ----------------------------------------------------------------------------- training in PyTorch
# Training comparisons run in PyTorch (fast), with weights drawn by our own initializers.
def torch_mlp(widths: list[int], activation: str = "relu", init: str | Callable = "he", seed: int = 0):
    """A ``torch.nn.Sequential`` MLP ``widths[0] -> ... -> widths[-1]``: Linear layers with
    ``activation`` between them (none after the last: it outputs logits), weights drawn by our
    initializer ``init`` (a name from :data:`helpers.training.init.INITIALIZERS` or a function
    ``(n_in, n_out, rng) -> W``) and copied in as ``W.T`` (torch's (out, in) layout), zero biases."""
    import torch.nn as nn

    from helpers.training.init import copy_into_linear

    if len(widths) < 2:
        raise ValueError(f"widths must list at least an input and an output size, got {widths}")
    act_name = TORCH_ACTIVATION_NAMES[get_activation(activation).name]
    modules = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
               "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU}
    draw = init if callable(init) else get_initializer(init).fn
    check_seed(seed)
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(int(a), int(b)))
        copy_into_linear(layers[-1], draw(int(a), int(b), rng))
        if i < len(widths) - 2:
            layers.append(modules[act_name]())
    return nn.Sequential(*layers)


def train_full_batch(models: dict, X: np.ndarray, y: np.ndarray, lr: float = 0.1, steps: int = 300,
                     plot=None, progress: bool = True, on_step=None) -> dict[str, list[float]]:
    """Train several classifiers side by side with full-batch SGD on cross-entropy.

    All models see the same data and learning rate, one step each per iteration, so a
    :class:`helpers.core.plotting.LivePlot` with one metric per model name shows them race. A model
    whose loss becomes non-finite is stopped (its history ends there: it diverged).

    A race of several models, so the record is one loss list per model rather than the course's
    single ``"loss"`` (:mod:`helpers.core.loop`); ``on_step(step, {name: loss})`` after every
    step. Full batch and deterministic given the models, so there is no ``batch_size`` or ``seed``.

    Returns:
        ``{name: [loss before step 1, loss before step 2, ...]}``.
    """
    import torch
    import torch.nn.functional as F
    from helpers.core.progress import Progress

    check_type(models, "models", dict, "a dict name -> torch model")
    if plot is not None and not callable(getattr(plot, "update", None)):
        raise TypeError(f"plot must be a LivePlot (or None), got {type(plot).__name__}")
    if not models:
        raise ValueError("models must hold at least one model, got an empty dict")
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1, shape=(X.shape[0],), dtype="int")
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    check_range(steps, "steps", 1, None, integer=True)
    xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    for model in models.values():
        check_class_labels(model, xt, yt)
    opts = {name: torch.optim.SGD(m.parameters(), lr=lr) for name, m in models.items()}
    history: dict[str, list[float]] = {name: [] for name in models}
    for step in Progress(range(steps), desc="training", show=progress):
        values = {}
        for name, model in models.items():
            if history[name] and not np.isfinite(history[name][-1]):
                continue  # diverged: stop this one
            opts[name].zero_grad()
            loss = F.cross_entropy(model(xt), yt)
            loss.backward()
            opts[name].step()
            history[name].append(loss.item())
            values[name] = history[name][-1]
        if plot is not None:
            plot.update(step, **values)
        if on_step is not None:
            on_step(step + 1, values)
    if plot is not None:
        plot.close()
    return history


def silent_units(model, X: np.ndarray) -> list[np.ndarray]:
    """For each hidden layer of a :func:`torch_mlp`, a boolean mask (D_l,) of the units whose
    pre-activation is :math:`\\le 0` for **every** row of ``X``. For ReLU those units are dead:
    output 0 and gradient 0 for all inputs, so gradient descent can never revive them."""
    import torch
    import torch.nn as nn

    X = check_array(X, "X", ndim=2)
    h, masks = torch.tensor(X, dtype=torch.float32), []
    with torch.no_grad():
        linears = [m for m in model if isinstance(m, nn.Linear)]
        for module in model:
            h = module(h)
            if isinstance(module, nn.Linear) and module is not linears[-1]:
                masks.append((h <= 0).all(dim=0).numpy())
    return masks


def silent_fraction(model, X: np.ndarray) -> np.ndarray:
    """The fraction of :func:`silent_units` in each hidden layer, shape (L_hidden,)."""
    return np.array([float(m.mean()) for m in silent_units(model, X)])


def validation_recorder(models: dict, X_val: np.ndarray, y_val: np.ndarray,
                        every: int = 10) -> tuple[Callable[[int, dict], None], dict[str, list[float]]]:
    """An ``on_step`` callback for :func:`train_full_batch` that records every model's
    cross-entropy on held-out data every ``every`` steps, and the dict it fills.

    The validation loss is measured *after* steps ``every, 2·every, ...`` (no gradient, the
    model unchanged); a model whose loss has become non-finite is recorded as ``nan``.

    Returns:
        ``(on_step, {name: [loss after step every, after step 2·every, ...]})``.
    """
    import torch
    import torch.nn.functional as F

    X_val = check_array(X_val, "X_val", ndim=2)
    y_val = check_array(y_val, "y_val", ndim=1, shape=(X_val.shape[0],), dtype="int")
    check_range(every, "every", 1, None, integer=True)
    xv, yv = torch.tensor(X_val, dtype=torch.float32), torch.tensor(y_val)
    record: dict[str, list[float]] = {name: [] for name in models}

    def on_step(step: int, losses: dict) -> None:
        if step % every:
            return
        with torch.no_grad():
            for name, model in models.items():
                record[name].append(F.cross_entropy(model(xv), yv).item())

    return on_step, record


def train_val_figure(history: dict[str, list[float]], val_history: dict[str, list[float]], every: int,
                     labels: dict[str, str] | None = None, title: str = ""):
    """Training loss (left) and validation loss (right) per model, on a log scale, with one colour,
    line style and marker per model in the order of ``history`` (the order a ``LivePlot`` of the
    same names uses, so the colours match it).

    Args:
        history: ``{name: training loss per step}`` from :func:`train_full_batch`.
        val_history: ``{name: validation loss every ``every`` steps}`` from :func:`validation_recorder`.
        labels: display names (defaults to the keys).
    """
    from matplotlib.ticker import MaxNLocator

    from helpers.core.figures import LINESTYLES, MARKERS, PALETTE, new_figure

    check_type(history, "history", dict, "a dict name -> training losses (from train_full_batch)")
    check_type(val_history, "val_history", dict, "a dict name -> validation losses (from validation_recorder)")
    check_range(every, "every", 1, None, integer=True)
    labels = labels or {}
    fig = new_figure(9.5, 3.4)
    ax_t, ax_v = fig.subplots(1, 2, sharey=True)
    for i, name in enumerate(history):
        style = dict(color=PALETTE[i % len(PALETTE)], ls=LINESTYLES[i % len(LINESTYLES)], lw=1.6,
                     marker=MARKERS[i % len(MARKERS)], ms=5, mec="k", mew=0.4, label=labels.get(name, name))
        train = np.asarray(history[name], dtype=float)
        ax_t.plot(np.arange(1, len(train) + 1), np.where(np.isfinite(train), train, np.nan),
                  markevery=(3 * i, 50), **style)
        val = np.asarray(val_history.get(name, []), dtype=float)
        ax_v.plot(every * np.arange(1, len(val) + 1), np.where(np.isfinite(val), val, np.nan),
                  markevery=(i % 5, 5), **style)
    ax_t.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="training loss")
    ax_v.set(xlabel="step", title="validation loss (held-out images)")
    for ax in (ax_t, ax_v):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax_v.legend(loc="best", fontsize=9, ncol=2)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
