"""Exercises of notebook 08 (regularization and normalization): checks and reference solutions."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from helpers.training.batchnorm import batchnorm_forward
from helpers.training.regularization import dropout_forward, smooth_labels
from helpers.exercises import Feedback, answer, close_enough, run_check

__all__ = ["check_inverted_dropout", "check_smooth_labels", "check_batchnorm_train", "check_train_epoch",
           "check_evaluate", "solution_inverted_dropout", "solution_smooth_labels", "solution_batchnorm_train",
           "solution_train_epoch", "solution_evaluate"]


# ----------------------------------------------------------------------------- solutions
def solution_inverted_dropout(x: np.ndarray, keep: np.ndarray, p: float) -> np.ndarray:
    """Zero the dropped units and scale the kept ones by 1 / (1 - p), so the mean is unchanged.

    A unit survives with probability 1 - p, so on average only a fraction 1 - p of x gets through;
    dividing the survivors by 1 - p restores E[out] = x during training, and at test time the
    layer does nothing at all.
    """
    return x * keep / (1 - p)  # keep is boolean: True * x = x, False * x = 0


def solution_smooth_labels(y: np.ndarray, num_classes: int, eps: float) -> np.ndarray:
    """(1 - eps) * one-hot + eps / K: every class gets eps / K, the true one 1 - eps + eps / K.

    Row i of the identity matrix is the one-hot vector of class i, so indexing it with the labels
    builds all N one-hot rows at once (shape (N, K)). Each smoothed row still sums to 1.
    """
    onehot = np.eye(num_classes)[y]  # (N,) -> (N, K)
    return (1 - eps) * onehot + eps / num_classes


def solution_batchnorm_train(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Standardise each column with the batch's mean and (biased) variance, then scale and shift.

    The statistics run over the batch axis (axis 0), one mean and one variance per feature, and
    the variance divides by N (not N - 1), as torch.nn.BatchNorm1d does in training mode. gamma
    and beta, shape (D,), broadcast over the N rows.
    """
    mean = x.mean(axis=0)                     # (N, D) -> (D,)
    var = ((x - mean) ** 2).mean(axis=0)      # biased: divides by N
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def solution_train_epoch(model: torch.nn.Module, loader, optimizer: torch.optim.Optimizer) -> float:
    """One pass over ``loader``: forward, loss, backward, step for every mini-batch; returns the
    mean training loss per example.

    The four lines inside the loop are all of training in PyTorch. ``zero_grad`` comes first
    because ``backward`` *adds* to ``.grad`` (so that a weight used twice gets both
    contributions): without it every step would follow the sum of all gradients so far.
    ``model.train()`` switches dropout and batch norm to their training behaviour; the model may
    still be in eval mode from the last validation pass.
    """
    model.train()
    total, count = 0.0, 0
    for x, y in loader:                       # x: (N, D) float32, y: (N,) int64
        optimizer.zero_grad()                 # clear the previous batch's gradients
        loss = F.cross_entropy(model(x), y)   # mean over the batch
        loss.backward()                       # fills p.grad for every parameter p
        optimizer.step()                      # updates every p from p.grad
        total += loss.item() * len(y)         # .item(): a float, so the graph is not kept alive
        count += len(y)
    return total / count


def solution_evaluate(model: torch.nn.Module, loader) -> tuple[float, float]:
    """Mean loss and accuracy over ``loader``, in eval mode and without recording a graph.

    ``model.eval()`` makes dropout pass every unit through and batch norm use its running
    statistics, so the numbers depend neither on random masks nor on the batch.
    ``torch.no_grad()`` stops autograd from storing the forward pass for a backward that never
    comes (less memory, faster). Sums, not means, per batch: a smaller last batch then counts
    for exactly its size.
    """
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)                                            # (B, K)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total / count, correct / count


# ----------------------------------------------------------------------------- checks
def check_inverted_dropout(fn: Callable) -> Feedback:
    """``fn(x, keep, p)`` must apply the boolean mask ``keep`` with inverted-dropout scaling."""
    def check() -> str | None:
        rng = np.random.default_rng(80)
        for p in (0.5, 0.2, 0.9):
            x = rng.normal(size=(6, 5))
            keep = rng.random(x.shape) >= p
            got = answer(fn(x.copy(), keep.copy(), p))
            if np.shape(got) == x.shape and np.allclose(got, x * keep):
                return f"at p = {p} the kept units are not rescaled: divide by (1 - p) so the expected output equals x."
            problem = close_enough(got, dropout_forward(x, p, keep=keep)[0], f"dropout output at p = {p}")
            if problem:
                return problem
        return None
    return run_check("inverted dropout", check, hints=(
        "two things happen to x: the dropped units become 0, and the survivors are scaled so that the "
        "average output over many masks equals x. What fraction of units survives?",
        "multiply by the mask, then divide by the survival probability: x * keep / (1 - p)"))


def check_smooth_labels(fn: Callable) -> Feedback:
    """``fn(y, num_classes, eps)`` must return the smoothed targets (N, K)."""
    def check() -> str | None:
        y = np.array([0, 2, 1, 2])
        for k, eps in ((3, 0.1), (10, 0.3)):
            got = answer(fn(y.copy(), k, eps))
            want = smooth_labels(y, k, eps)
            wrong = (1 - eps) * np.eye(k)[y] + eps / (k - 1) * (1 - np.eye(k)[y])
            if np.shape(got) == want.shape and np.allclose(got, wrong):
                return "you spread eps over the K - 1 wrong classes; the formula spreads eps / K over all K classes."
            problem = close_enough(got, want, f"targets for K = {k}, eps = {eps}")
            if problem:
                return problem
        return None
    return run_check("label smoothing", check, hints=(
        "build the one-hot targets first (shape (N, K)), then take a weighted blend of them with the "
        "uniform distribution over the K classes.",
        "(1 - eps) * np.eye(K)[y] + eps / K"))


def check_batchnorm_train(fn: Callable) -> Feedback:
    """``fn(x, gamma, beta, eps)`` must return batch norm's training-mode output."""
    def check() -> str | None:
        rng = np.random.default_rng(81)
        for n, d in ((8, 3), (2, 4), (50, 1)):
            x = rng.normal(3.0, 2.0, size=(n, d))
            gamma, beta = rng.normal(size=d), rng.normal(size=d)
            got = answer(fn(x.copy(), gamma.copy(), beta.copy(), 1e-5))
            want = batchnorm_forward(x, gamma, beta, np.zeros(d), np.ones(d))[0]
            unbiased = gamma * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + 1e-5) + beta
            if np.shape(got) == want.shape and np.allclose(got, unbiased):
                return "you normalised with the unbiased variance (ddof=1); batch norm divides by N."
            problem = close_enough(got, want, f"output for a batch of shape {x.shape}", atol=1e-6)
            if problem:
                return problem
        return None
    return run_check("batch norm (training mode)", check, hints=(
        "each feature (column) is standardised with statistics over the examples of the batch (the "
        "rows), then rescaled by gamma and shifted by beta.",
        "mean = x.mean(0); var = x.var(0) (divides by N); x_hat = (x - mean) / sqrt(var + eps); "
        "return gamma * x_hat + beta"))


# ----------------------------------------------------------------------------- the training loop
class _SpyNet(torch.nn.Module):
    """A tiny MLP with dropout that records, at every forward, whether it was in training mode
    and whether autograd was recording, and counts ``zero_grad`` calls."""

    def __init__(self, d_in: int = 8, hidden: int = 16, k: int = 3) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.ReLU(), torch.nn.Dropout(0.25),
                                       torch.nn.Linear(hidden, k))
        self.calls: list[tuple[bool, bool]] = []
        self.zero_grads = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.net(x)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grads += 1
        super().zero_grad(set_to_none)


class _SpySGD(torch.optim.SGD):
    """``torch.optim.SGD`` that counts its ``zero_grad`` and ``step`` calls."""

    def __init__(self, params, **kwargs) -> None:
        super().__init__(params, **kwargs)
        self.zero_grads = self.steps = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grads += 1
        super().zero_grad(set_to_none)

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def _loop_setup(seed: int = 0, n: int = 96, batch_size: int = 16):
    """The same tiny seeded task, model, optimizer and loaders every time: three Gaussian blobs in
    8-D, a 8-16-3 MLP with dropout, SGD with momentum."""
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(seed)
    centres = 1.5 * torch.randn(3, 8, generator=g)
    y = torch.randint(0, 3, (2 * n,), generator=g)
    X = centres[y] + torch.randn(2 * n, 8, generator=g)  # (2n, 8)
    torch.manual_seed(seed)
    model = _SpyNet()
    opt = _SpySGD(model.parameters(), lr=0.05, momentum=0.9)
    train = DataLoader(TensorDataset(X[:n], y[:n]), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    val = DataLoader(TensorDataset(X[n:], y[n:]), batch_size=batch_size)
    return model, opt, train, val


def _run_epochs(train_epoch: Callable, epochs: int = 3, zero_grad: bool = True) -> tuple[list[float], Any]:
    model, opt, train, _ = _loop_setup()
    losses = []
    for epoch in range(epochs):
        model.eval()  # as after a validation pass: the epoch has to switch training mode back on
        torch.manual_seed(100 + epoch)  # the same dropout masks for the learner and the reference
        if zero_grad:
            losses.append(float(answer(train_epoch(model, train, opt))))
        else:
            losses.append(float(_epoch_without_zero_grad(model, train, opt)))
    return losses, (model, opt)


def _epoch_without_zero_grad(model, loader, optimizer) -> float:
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * len(y), count + len(y)
    return total / count


def check_train_epoch(fn: Callable) -> Feedback:
    """``fn(model, loader, optimizer)`` must train one epoch and return the mean training loss;
    three epochs on a tiny seeded task must give the reference loop's losses and weights."""
    def check() -> str | None:
        got, (model, opt) = _run_epochs(fn)
        want, (ref_model, _) = _run_epochs(solution_train_epoch)
        if any(not training for training, _ in model.calls):
            return ("a forward pass ran in eval mode: call model.train() at the start of the epoch (after a "
                    "validation pass the model is still in eval mode, so dropout would be off).")
        if opt.steps == 0:
            return "the weights never changed: call optimizer.step() after loss.backward() for every batch."
        if opt.steps != 3 * len(_loop_setup()[2]):
            return f"optimizer.step() ran {opt.steps} times in 3 epochs of 6 batches; it should run once per batch (18)."
        if opt.zero_grads + model.zero_grads < opt.steps:
            return (f"zero_grad ran {opt.zero_grads + model.zero_grads} times for {opt.steps} steps: call "
                    "optimizer.zero_grad() before every loss.backward(), or the gradients of earlier batches "
                    "pile up (backward adds to .grad).")
        problem = close_enough(got, want, "the mean training loss of epochs 1-3", atol=1e-5, rtol=1e-4)
        if problem:
            return problem + " (return the mean loss per example over the whole epoch, as a float.)"
        if not got[-1] < got[0]:
            return f"the loss did not fall over 3 epochs ({got[0]:.3f} -> {got[-1]:.3f})."
        for (name, p), q in zip(model.named_parameters(), ref_model.parameters()):
            problem = close_enough(p.detach().numpy(), q.detach().numpy(), f"parameter {name} after 3 epochs",
                                   atol=1e-5, rtol=1e-4)
            if problem:
                return problem
        return None
    return run_check("training epoch", check, hints=(
        "every mini-batch goes through the same four moves: clear the old gradients, compute the loss "
        "of the batch, back-propagate it, let the optimizer update the weights. And the model has to be "
        "in training mode first.",
        "model.train(); for x, y in loader: optimizer.zero_grad(); loss = F.cross_entropy(model(x), y); "
        "loss.backward(); optimizer.step(); add loss.item() * len(y) to a total; return total / number "
        "of examples"))


def check_evaluate(fn: Callable) -> Feedback:
    """``fn(model, loader)`` must return ``(mean loss, accuracy)`` over ``loader``, computed in eval
    mode, without recording gradients and without changing the weights."""
    def check() -> str | None:
        model, opt, train, val = _loop_setup()
        torch.manual_seed(100)
        solution_train_epoch(model, train, opt)
        model.train()  # as after a training epoch: evaluation has to switch eval mode on itself
        before = [p.detach().clone() for p in model.parameters()]
        model.calls.clear()
        result = answer(fn(model, val))
        calls = list(model.calls)
        if not isinstance(result, tuple) or len(result) != 2:
            return "return a pair (mean loss, accuracy)."
        if not calls:
            return "the model was never called: loop over the loader and compute model(x) for every batch."
        if any(training for training, _ in calls):
            return ("the model evaluated in training mode: call model.eval() first (in training mode dropout "
                    "still drops units, so the validation numbers come out noisy and too pessimistic).")
        if any(grad for _, grad in calls):
            return ("autograd recorded the evaluation: run the loop inside `with torch.no_grad():` (no "
                    "backward follows, so the stored graph is wasted memory and time).")
        if any(not torch.equal(a, b) for a, b in zip(before, model.parameters())):
            return "the weights changed during evaluation: evaluation must not call backward() or step()."
        want = solution_evaluate(model, val)
        problem = close_enough(float(result[0]), want[0], "the mean validation loss", atol=1e-5, rtol=1e-5)
        if problem:
            return problem + " (average the loss over examples: sum it per batch, divide by the count.)"
        return close_enough(float(result[1]), want[1], "the accuracy", atol=1e-9)
    return run_check("evaluation pass", check, hints=(
        "evaluation differs from training in two switches (one on the model, one on autograd) and in "
        "what it does not do (no backward, no step); then it adds up loss and correct answers.",
        "model.eval(); with torch.no_grad(): for x, y in loader: logits = model(x); total += "
        "F.cross_entropy(logits, y, reduction='sum').item(); correct += (logits.argmax(1) == y).sum().item(); "
        "return total / n, correct / n"))
