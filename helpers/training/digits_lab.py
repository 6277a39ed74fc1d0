r"""A small, fast test bench for notebooks 07 and 08: an MLP on the bundled 8x8 digits.

PyTorch computes the forward pass and the gradients; everything the two chapters teach is ours:
the update (:mod:`helpers.training.optim`), the learning-rate schedule (:mod:`helpers.training.schedules`), the
targets (label smoothing and mixup from :mod:`helpers.training.regularization`), the augmentations
(:mod:`helpers.training.augment`), gradient clipping and early stopping. The optimizer updates NumPy
*views* of the torch parameters in place (``p.detach().numpy()`` shares memory), so no copy is
made and the next forward pass sees the new weights.

A run is described by a :class:`RunConfig` and returns a :class:`RunResult` with per-epoch
curves (measured in eval mode on the clean data) and per-step gradient norms.

Shape: features (N, 64) float32, labels (N,) int64 in [0, 10).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from helpers.training.augment import augment
from helpers.core.data import Split, load_digits, train_val_test_split
from helpers.training.optim import make_optimizer
from helpers.training.regularization import EarlyStopping, clip_grad_norm, mixup, smooth_labels
from helpers.training.schedules import schedule_values
from helpers.core.checks import check_range, check_seed, check_type

__all__ = ["digits_task", "make_mlp", "RunConfig", "RunResult", "train_mlp", "compare_runs",
           "final", "results_table", "plot_capacity", "plot_steps", "plot_curves", "plot_overfitting"]

K = 10  # classes


def digits_task(n_train: int | None = None, seed: int = 0) -> Split:
    """The 1,797 digits split 60/20/20 (stratified), features as float32; ``n_train`` keeps only
    that many training images (a small training set is what makes a big network overfit). The
    test set is only for the final number."""
    check_seed(seed)
    X, y = load_digits(flatten=True)
    s = train_val_test_split(X, y, val=0.2, test=0.2, seed=seed)
    n = len(s.y_train) if n_train is None else check_range(n_train, "n_train", 20, len(s.y_train), integer=True)
    f32 = np.float32
    return Split(s.X_train[:n].astype(f32), s.y_train[:n], s.X_val.astype(f32), s.y_val,
                      s.X_test.astype(f32), s.y_test)


def make_mlp(hidden: tuple[int, ...] = (128,), dropout: float = 0.0, batchnorm: bool = False,
             activation: str = "relu", d_in: int = 64, init_gain: float | None = None) -> Any:
    """``Linear -> [BatchNorm] -> act -> [Dropout]`` per hidden layer, then a ``Linear`` to 10 logits.

    ``init_gain`` (optional) rescales PyTorch's default weights, e.g. to make a deep network's
    gradients explode on purpose.
    """
    import torch.nn as nn

    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    if activation not in acts:
        raise ValueError(f"activation must be one of {list(acts)}, got {activation!r}")
    check_range(dropout, "dropout", 0.0, 0.95)
    check_range(d_in, "d_in", 1, None, integer=True)
    layers, width = [], d_in
    for h in hidden:
        layers += [nn.Linear(width, h)] + ([nn.BatchNorm1d(h)] if batchnorm else []) + [acts[activation]()]
        layers += [nn.Dropout(dropout)] if dropout > 0 else []
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, K))
    if init_gain is not None:
        for layer in model:
            if isinstance(layer, nn.Linear):
                layer.weight.data.mul_(init_gain)
    return model


@dataclass(frozen=True)
class RunConfig:
    """One training run. ``optimizer_options`` go to :func:`helpers.training.optim.make_optimizer`."""

    hidden: tuple[int, ...] = (128,)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 1e-3
    optimizer_options: dict = field(default_factory=dict)
    schedule: str = "constant"
    epochs: int = 20
    batch_size: int = 32
    weight_decay: float = 0.0
    dropout: float = 0.0
    batchnorm: bool = False
    label_smoothing: float = 0.0
    mixup_alpha: float = 0.0
    augment: bool = False
    early_stopping: int = 0      # patience in epochs; 0 = off
    clip_norm: float = 0.0       # 0 = off
    init_gain: float | None = None
    seed: int = 0


@dataclass
class RunResult:
    """Per-epoch curves (eval mode, clean data), per-step records and the final scores."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    diverged: bool = False
    best_epoch: int = -1
    test_acc: float = float("nan")


def _evaluate(model: Any, X: Any, y: Any) -> tuple[float, float]:
    import torch
    import torch.nn.functional as F

    model.eval()
    with torch.no_grad():
        logits = model(X)
        loss = float(F.cross_entropy(logits, y))
        acc = float((logits.argmax(1) == y).float().mean())
    model.train()
    return loss, acc


def train_mlp(task: Split, config: RunConfig | None = None,
              on_epoch: Callable[[int, RunResult], None] | None = None, progress: bool = False) -> RunResult:
    """Train ``make_mlp(...)`` on ``task`` as ``config`` says; return the curves.

    Args:
        on_epoch: called as ``on_epoch(epoch, result_so_far)`` after every epoch (live plots).
        progress: show a progress bar over the epochs.

    A non-finite loss or gradient stops the run with ``diverged=True`` (no exception).
    """
    import torch

    check_type(task, "task", Split, "a helpers.core.data.Split (digits_task)")
    c = RunConfig() if config is None else check_type(config, "config", RunConfig)
    check_range(c.epochs, "epochs", 1, 10_000, integer=True)
    check_range(c.batch_size, "batch_size", 2, None, integer=True)
    torch.manual_seed(c.seed)
    rng = np.random.default_rng(c.seed)
    model = make_mlp(c.hidden, c.dropout, c.batchnorm, c.activation, init_gain=c.init_gain)
    torch_params = list(model.parameters())
    params = [p.detach().numpy() for p in torch_params]  # views: in-place updates reach the model
    opt = make_optimizer(c.optimizer, params, lr=c.lr, weight_decay=c.weight_decay, **c.optimizer_options)
    n = len(task.y_train)
    steps_per_epoch = int(np.ceil(n / c.batch_size))
    lrs = schedule_values(c.schedule, c.lr, c.epochs * steps_per_epoch)
    stopper = EarlyStopping(c.early_stopping) if c.early_stopping else None
    data = {k: torch.from_numpy(np.asarray(v)) for k, v in vars(task).items()}
    res = RunResult()
    epochs = range(c.epochs)
    if progress:
        from helpers.core.progress import Progress

        epochs = Progress(epochs, desc="epochs", unit="epoch")
    for epoch in epochs:
        for idx in np.array_split(rng.permutation(n), steps_per_epoch):
            x = task.X_train[idx]
            if c.augment:
                images = x.reshape(-1, 8, 8)  # (B, 64) -> (B, H, W)
                x = augment(images, rng).reshape(len(idx), 64)  # (B, H, W) -> (B, 64)
            target = smooth_labels(task.y_train[idx], K, c.label_smoothing)  # (B, K); eps = 0: one-hot
            if c.mixup_alpha > 0:
                x, target, _, _ = mixup(x, target, c.mixup_alpha, rng)
            log_probs = torch.log_softmax(model(torch.from_numpy(np.asarray(x, np.float32))), dim=1)
            loss = -(torch.from_numpy(target.astype(np.float32)) * log_probs).sum(1).mean()
            model.zero_grad(set_to_none=True)
            loss.backward()
            grads = [p.grad.numpy() for p in torch_params]
            # joint L2 norm before clipping, in float64: a float32 square overflows at |g| ~ 1e19
            norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in (g.astype(np.float64) for g in grads))))
            loss_value = float(loss.detach())
            if not (np.isfinite(loss_value) and np.isfinite(norm)):
                res.diverged = True
                break
            if c.clip_norm:
                grads, _ = clip_grad_norm(grads, c.clip_norm)
            opt.lr = float(lrs[len(res.step_loss)])
            opt.step(grads)
            res.step_loss.append(loss_value)
            res.grad_norm.append(norm)
            res.lrs.append(opt.lr)
        if res.diverged:
            break
        for name, (X, y) in {"train": ("X_train", "y_train"), "val": ("X_val", "y_val")}.items():
            loss_e, acc_e = _evaluate(model, data[X], data[y])
            getattr(res, f"{name}_loss").append(loss_e)
            getattr(res, f"{name}_acc").append(acc_e)
        if on_epoch is not None:
            on_epoch(epoch + 1, res)
        if stopper is not None and stopper.update(res.val_loss[-1], params):
            break
    if stopper is not None and stopper.best_params:
        stopper.restore(params)
        res.best_epoch = stopper.best_epoch
    res.test_acc = _evaluate(model, data["X_test"], data["y_test"])[1]
    return res


def compare_runs(task: Split, configs: dict[str, RunConfig], seeds: tuple[int, ...] = (0,),
                 metric: str = "train_loss", title: str = "", show: bool = True) -> dict[str, list[RunResult]]:
    """Train every config with every seed; a live plot follows ``metric`` of the first seed.

    Returns:
        ``{label: [one RunResult per seed]}``.
    """
    from helpers.core.plotting import LivePlot
    from helpers.core.progress import Progress

    check_type(task, "task", Split, "a helpers.core.data.Split (digits_task)")
    check_type(configs, "configs", dict, "a dict label -> RunConfig")
    if metric not in ("train_loss", "val_loss"):
        raise ValueError(f"metric must be 'train_loss' or 'val_loss', got {metric!r}")
    if "step" in configs:  # LivePlot.update(step, **values) cannot take a series named "step"
        raise ValueError("a run label cannot be 'step' (LivePlot reserves it); use e.g. 'step decay'")
    if not configs or not seeds:
        raise ValueError(f"need at least one config and one seed, got {len(configs)} and {len(seeds)}")
    # about 15 redraws in all: each one renders a PNG, which costs as much as a few epochs
    every = max(5, len(configs) * max(c.epochs for c in configs.values()) // 15)
    plot = LivePlot(list(configs), every=every, logy=True, show=show,
                    title=title or metric.replace("_", " ") + " per epoch")
    import matplotlib.ticker as mticker

    ax = plot.fig.axes[0]
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))  # no half epochs
    ax.yaxis.set_major_locator(mticker.LogLocator(subs=(1.0, 2.0, 5.0)))  # a loss spans a decade or two
    ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(mticker.NullFormatter())
    results: dict[str, list[RunResult]] = {}
    with Progress(total=len(configs) * len(seeds), desc="training runs", unit="run", show=show) as bar:
        for label, config in configs.items():
            results[label] = []
            for seed in seeds:
                def record(epoch: int, res: RunResult, label: str = label) -> None:
                    plot.update(epoch, **{label: getattr(res, metric)[-1]})

                results[label].append(train_mlp(task, replace(config, seed=seed),
                                                on_epoch=record if seed == seeds[0] else None))
                bar.update(1)
    plot.close()
    return results


def final(runs: list[RunResult], name: str) -> float:
    """The mean over seeds of a metric's last value (``"val_acc"``, ``"train_loss"``, ...), or of
    ``"test_acc"``, ``"best_val_loss"``, ``"epochs"``. A diverged run counts as NaN."""
    def one(r: RunResult) -> float:
        if name == "test_acc":
            return r.test_acc
        if name == "epochs":
            return float(len(r.val_loss))
        if name == "best_val_loss":
            return min(r.val_loss) if r.val_loss else float("nan")
        series = getattr(r, name)
        return float(series[-1]) if series and not r.diverged else float("nan")
    check_type(runs, "runs", (list, tuple), "a list of RunResults (one per seed)")
    if not runs or not all(isinstance(r, RunResult) for r in runs):
        raise ValueError(f"runs must be a non-empty list of RunResults, got {runs!r:.80}")
    return float(np.mean([one(r) for r in runs]))


def results_table(results: dict[str, list[RunResult]],
                  columns: tuple[str, ...] = ("train_loss", "train_acc", "val_loss", "val_acc", "epochs")) -> str:
    """A Markdown table of :func:`final` values (mean over seeds), one row per run label."""
    check_type(results, "results", dict, "a dict label -> list of RunResults")
    head = "| run | " + " | ".join(c.replace("_", " ") for c in columns) + " |"
    rule = "|---|" + "---:|" * len(columns)
    rows = []
    for label, runs in results.items():
        cells = []
        for c in columns:
            v = final(runs, c)
            cells.append("diverged" if not np.isfinite(v) else f"{v:.0f}" if c == "epochs" else f"{v:.3f}")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


def plot_capacity(widths: list[int], results: list[RunResult]) -> Any:
    """Final train and validation accuracy (left) and loss (right) against hidden width."""
    from helpers.core.figures import new_figure

    if len(widths) != len(results) or not widths:
        raise ValueError(f"need one result per width, got {len(widths)} widths and {len(results)} results")
    fig = new_figure(8.0, 3.0)
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("acc", "loss")):
        for split, colour, style, marker in (("train", "C0", "-", "o"), ("val", "C3", "--", "s")):
            ax.plot(widths, [getattr(r, f"{split}_{metric}")[-1] for r in results], color=colour, ls=style,
                    marker=marker, label="training" if split == "train" else "validation")
        ax.set(xscale="log", xlabel="hidden units (log scale)", ylabel="accuracy" if metric == "acc" else "loss")
        ax.grid(alpha=0.3)
    axes[1].set_yscale("log")
    axes[0].set_title("accuracy: the training curve reaches 1, validation stays below")
    axes[1].set_title("loss (log scale)")
    axes[0].legend(fontsize=9)
    fig.tight_layout()
    return fig


def plot_steps(results: dict[str, RunResult]) -> Any:
    """Per-step gradient norm (left) and mini-batch loss (right), log scales; a diverged run is
    drawn up to its last finite step and marked in the legend."""
    check_type(results, "results", dict, "a dict label -> RunResult")
    from helpers.core.figures import new_figure

    fig = new_figure(8.0, 3.0)
    ax_g, ax_l = fig.subplots(1, 2)
    for label, r in results.items():
        name = label + (f" (diverged at step {len(r.step_loss) + 1})" if r.diverged else "")
        steps = np.arange(1, len(r.step_loss) + 1)  # step 1 is the first update, as in the legend
        ax_g.semilogy(steps, r.grad_norm, lw=1.4, label=name)
        ax_l.semilogy(steps, r.step_loss, lw=1.4)
    ax_g.set(xlabel="step", ylabel="gradient norm ||g|| (log scale)", title="gradient norm before clipping")
    ax_l.set(xlabel="step", ylabel="mini-batch loss (log scale)", title="loss of each mini-batch")
    for ax in (ax_g, ax_l):
        ax.grid(alpha=0.3)
    ax_g.legend(fontsize=9)
    fig.tight_layout()
    return fig


def _mean_curve(runs: list[RunResult], name: str) -> np.ndarray:
    """The mean over seeds of a per-epoch curve, up to the shortest run (early stopping ends some)."""
    curves = [getattr(r, name) for r in runs if getattr(r, name)]
    n = min(len(c) for c in curves)
    return np.mean([c[:n] for c in curves], axis=0)


def plot_curves(results: dict[str, list[RunResult]], metrics: tuple[str, ...] = ("train_loss", "val_loss"),
                title: str = "", logy: bool = True) -> Any:
    """One panel per metric (per-epoch curves, mean over seeds), one colour *and* line style per
    run label, the same in every panel, so a run is found by its dash as well as its colour."""
    import matplotlib.ticker as mticker

    from helpers.core.figures import CLASS_COLOURS, LINESTYLES, new_figure

    check_type(results, "results", dict, "a dict run label -> list of RunResult")
    if not results:
        raise ValueError("plot_curves needs at least one run, got an empty dict")
    fig = new_figure(4.0 * len(metrics) + 1.6, 3.2)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, name in zip(axes, metrics):
        for i, (label, runs) in enumerate(results.items()):
            curve = _mean_curve(runs, name)
            # CLASS_COLOURS: the palette without its pale yellow, so seven runs stay readable
            ax.plot(np.arange(1, len(curve) + 1), curve, color=CLASS_COLOURS[i % len(CLASS_COLOURS)],
                    ls=LINESTYLES[i % len(LINESTYLES)], lw=1.6, label=label)
        words = name.replace("train_", "training ").replace("val_", "validation ").replace("acc", "accuracy")
        ax.set(xlabel="epoch", ylabel=words, title=words + " per epoch")
        if logy and "loss" in name:
            ax.set_yscale("log")
            ax.set_ylabel(words + " (log scale)")
            # ticks at 1, 2, 5 per decade, written plainly: a loss spans only a decade or two
            ax.yaxis.set_major_locator(mticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(mticker.NullFormatter())
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=9, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_overfitting(result: RunResult, ylim: float = 1.0) -> Any:
    """Training and validation loss per epoch on a *linear* axis cut at ``ylim`` (a log axis hides a
    rise of a few tenths), with the epoch of the lowest validation loss marked."""
    import matplotlib.ticker as mticker

    from helpers.core.figures import new_figure

    check_type(result, "result", RunResult, "a RunResult (from train_mlp)")
    check_range(ylim, "ylim", 0.0, None, low_inclusive=False)
    if not result.val_loss:
        raise ValueError("plot_overfitting needs a run with at least one epoch of validation loss")
    epochs = np.arange(1, len(result.val_loss) + 1)
    best = int(np.argmin(result.val_loss))
    fig = new_figure(7.0, 3.2)
    ax = fig.add_subplot()
    ax.plot(epochs, result.train_loss, color="C0", ls="-", label="training loss")
    ax.plot(epochs, result.val_loss, color="C3", ls="--", label="validation loss")
    ax.axvline(best + 1, color="0.4", ls=":", lw=1.2)
    ax.plot([best + 1], [result.val_loss[best]], "o", color="C3", ms=7)
    ax.annotate(f"lowest validation loss {result.val_loss[best]:.3f}\n(epoch {best + 1}); "
                f"{result.val_loss[-1]:.3f} at the end",
                xy=(best + 1, result.val_loss[best]), xytext=(0.55, 0.55), textcoords="axes fraction",
                fontsize=9, arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax.set(xlabel="epoch", ylabel="cross-entropy loss", ylim=(0, ylim), xlim=(0, len(epochs) + 1),
           title="after its minimum the validation loss climbs while the training loss falls")
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper right")
    fig.tight_layout()
    return fig
